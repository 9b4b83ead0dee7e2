/**
 * Reverse mode: walk the tape backwards from the output, applying each op's
 * vjp, adding gradients where a value feeds several ops.
 *
 * The walk is a loop over row numbers (no recursion: a chain of a million
 * ops is fine). 0-d elementwise nodes take a scalar path: their local partial
 * derivatives are called with plain numbers and the gradients stay in a
 * Float64Array, with no tensor allocated. Everything else calls the op's vjp
 * with tensors; in createGraph mode the rules are recorded so the gradient can
 * be differentiated again.
 *
 * Leaf gradients are committed only after the whole pass succeeded, so an
 * error (a freed graph, a bad custom backward, an anomaly) changes nothing.
 */
import { fail, fmtShape } from '../errors';
import { PRIMITIVES, checkGradFinite, scalarBackward, scalarPaths, type Primitive } from '../ops/primitive';
import { add } from '../ops/elementwise';
import { reshape } from '../ops/shape';
import { F_F32, F_FAST, F_FREED, F_REQ, F_SCALAR, OP_CONST, OP_REF, nextTape, state, type GradState, type NodeInfo, type Tape } from '../tape';
import { Tensor, asTensor, fromNested, nodeValue, sameShapeAs, scalarOf, type NestedArray } from '../tensor';

export interface BackwardOptions {
  /** Keep the graph usable for another backward pass (default: false, or true with createGraph). */
  retainGraph?: boolean;
  /** Record the backward computation so gradients can be differentiated again (higher-order derivatives). */
  createGraph?: boolean;
}

interface PassState extends GradState {
  top: number;
}

interface PassResult {
  states: Map<Tape, PassState>;
  /** Gradient of each leaf reached (number: a 0-d gradient in first-order mode). */
  leaves: Map<Tensor, Tensor | number>;
}

/** @internal Throw if `t` carries a tangent of an active forward-mode level. */
export function assertNotDual(t: Tensor, what: string): void {
  let d = t._dual;
  while (d) {
    if (state.levels.includes(d.level)) {
      fail(
        `${what}: reverse mode inside forward mode (jvp/jacfwd of a function that calls grad, vjp or backward) ` +
          'is not supported. For second derivatives use gl.hessian(f) or gl.jacrev(gl.grad(f)).',
      );
    }
    d = d.primal._dual;
  }
}

/**
 * @internal The seed gradient for `y`: ones when omitted and y has one element
 * (any shape, as PyTorch allows); a number fills y's shape; otherwise it must
 * have y's shape.
 */
export function seedFor(y: Tensor, seed: Tensor | number | NestedArray | undefined, what: string): Tensor {
  if (seed === undefined || seed === null) {
    if (y.size !== 1) {
      fail(
        `${what}: the output has shape ${fmtShape(y.shape)}, not a scalar; pass a seed gradient of that shape ` +
          '(e.g. y.backward(gl.onesLike(y))) or reduce it first (y.sum().backward())',
      );
    }
    seed = 1;
  }
  if (typeof seed === 'number' && y.size === 1) {
    return y.ndim === 0 ? scalarOf(seed, y.dtype) : reshape(fromNested([seed], y.dtype), y.shape);
  }
  const s = seed instanceof Tensor ? seed : typeof seed === 'number' ? scalarOf(seed, y.dtype) : fromNested(seed, y.dtype);
  if (!sameShapeAs(s, y)) fail(`${what}: the seed gradient has shape ${fmtShape(s.shape)} but the output has shape ${fmtShape(y.shape)}`);
  return s;
}

/**
 * Backpropagate from `y`: add dy/dx into `x.grad` for every leaf x that
 * requires grad. See {@link Tensor.backward}.
 */
export function backward(y: Tensor, seed?: Tensor | number | NestedArray, opts: BackwardOptions = {}): void {
  y = asTensor(y, 'backward');
  assertNotDual(y, 'backward');
  const createGraph = !!opts.createGraph;
  const retain = opts.retainGraph ?? createGraph;
  const g0 = seedFor(y, seed, 'backward');
  if (!y._req) {
    fail(
      'backward: this tensor does not require grad: none of the tensors it was computed from has requiresGrad. ' +
        'Create the inputs with gl.tensor(data, {requiresGrad: true}).',
    );
  }
  if (!y._result) {
    // y is itself a leaf: dy/dy = seed
    commit(y, g0, createGraph);
    return;
  }
  const r = run([y], [g0], createGraph, retain);
  for (const [leaf, g] of r.leaves) commit(leaf, typeof g === 'number' ? scalarOf(g, leaf.dtype) : g, createGraph);
  if (!createGraph) nextTape();
}

function commit(leaf: Tensor, g: Tensor, createGraph: boolean): void {
  if (!createGraph) g = detachValue(g, leaf);
  leaf._grad = leaf._grad ? add(leaf._grad, g) : g;
}

/** A gradient as a fresh unrecorded tensor in the leaf's dtype. */
function detachValue(g: Tensor, like: Tensor): Tensor {
  if (g._data === null) return scalarOf(g._v, like.dtype);
  const d = like.dtype === 'float32' ? Float32Array.from(g._data) : Float64Array.from(g._data);
  return new Tensor(g.shape, like.dtype, d, 0);
}

/**
 * @internal Gradients of `ys` (with seeds) with respect to `xs`, without
 * touching any `.grad`. Inputs the outputs do not depend on get zeros.
 */
export function gradients(ys: Tensor[], xs: Tensor[], seeds: Tensor[], opts: { createGraph: boolean; retainGraph: boolean; batch?: number }): Tensor[] {
  for (const x of xs) assertNotDual(x, 'grad');
  const batch = opts.batch ?? 0;
  const live = ys.map((y, i) => ({ y, s: seeds[i] })).filter(({ y }) => y._req && y._result);
  const r = live.length
    ? run(
        live.map((l) => l.y),
        live.map((l) => l.s),
        opts.createGraph,
        opts.retainGraph,
        batch,
      )
    : { states: new Map<Tape, PassState>(), leaves: new Map<Tensor, Tensor | number>() };
  // an output that is itself one of the inputs
  const direct = new Map<Tensor, Tensor>();
  ys.forEach((y, i) => {
    if (!y._result && y._req) direct.set(y, seeds[i]);
  });
  const out = xs.map((x) => {
    let g: Tensor | number | undefined;
    if (x._result) {
      const st = r.states.get(x._tape!);
      if (st && x._id < st.reached.length && st.reached[x._id]) g = (st.GT[x._id] as Tensor | undefined) ?? st.G[x._id];
    } else g = r.leaves.get(x);
    let t: Tensor | null = g === undefined ? null : typeof g === 'number' ? scalarOf(g, x.dtype) : g;
    const d = direct.get(x);
    if (d) t = t ? add(t, d) : d;
    return t ?? (batch > 0 ? zerosOfShape([batch, ...x.shape], x.dtype) : zerosOf(x));
  });
  if (!opts.createGraph) nextTape();
  return out;
}

function zerosOfShape(shape: number[], dtype: Tensor['dtype']): Tensor {
  let n = 1;
  for (const d of shape) n *= d;
  return new Tensor(shape, dtype, dtype === 'float32' ? new Float32Array(n) : new Float64Array(n), 0);
}

function zerosOf(x: Tensor): Tensor {
  if (x._data === null) return scalarOf(0, x.dtype);
  return new Tensor(x.shape, x.dtype, x.dtype === 'float32' ? new Float32Array(x.size) : new Float64Array(x.size), 0);
}

function freedError(tape: Tape, id: number): never {
  const op = PRIMITIVES[tape.op[id]]?.name ?? '?';
  fail(
    `backward: the graph through '${op}' (node #${id}) was already used by an earlier backward() and freed; ` +
      'gradients would be counted twice. Pass {retainGraph: true} to the first backward() to go through the same ' +
      'graph again, or recompute the forward pass.',
  );
}

/** A tensor for row `id` that rules can use; in createGraph mode it is wired to the row so rules are recorded. */
function handleOf(tape: Tape, id: number, createGraph: boolean): Tensor {
  const h = nodeValue(tape, id);
  if (createGraph && tape.op[id] !== OP_CONST && tape.flags[id] & F_REQ) {
    h._tape = tape;
    h._id = id;
    h._result = true;
    h._req = true;
  }
  return h;
}

/**
 * One backward pass: the gradients it has reached on each tape and at the
 * leaves, and how it runs (first order or recorded, batched, freeing the graph).
 */
class Pass {
  /** Gradients per tape reached. */
  readonly states = new Map<Tape, PassState>();
  /** Gradient of each leaf reached (number: a 0-d gradient in first-order mode). */
  readonly leaves = new Map<Tensor, Tensor | number>();
  /** Gradients of 0-d nodes as numbers in a Float64Array (first order, unbatched). */
  readonly scalarG: boolean;
  /** Mark each row freed once the pass has gone through it (no retainGraph). */
  readonly free: boolean;
  /** detectAnomaly: check every gradient for NaN/Inf. */
  readonly anomaly: boolean;
  /** Tapes whose rows the pass has started to walk. */
  private readonly started = new Set<Tape>();
  /** Where an error stopped the walk: the tape and the row being processed. */
  private stoppedTape: Tape | null = null;
  private stoppedId = -1;

  constructor(
    readonly createGraph: boolean,
    retain: boolean,
    readonly batch: number,
  ) {
    this.scalarG = !createGraph && batch === 0;
    this.free = !retain;
    this.anomaly = state.anomaly;
  }

  stateOf(tape: Tape): PassState {
    let st = this.states.get(tape);
    if (!st) {
      st = { G: new Float64Array(tape.n), GT: [], reached: new Uint8Array(tape.n), top: -1 };
      this.states.set(tape, st);
    }
    return st;
  }

  /** Add `g` to the gradient of row `id` of `tape`. */
  accum(tape: Tape, id: number, g: Tensor | number): void {
    const st = this.stateOf(tape);
    if (id > st.top) st.top = id;
    if (this.scalarG && tape.flags[id] & F_SCALAR) {
      st.G[id] += typeof g === 'number' ? g : g.item();
    } else {
      const gt = typeof g === 'number' ? scalarOf(g) : g;
      const prev = st.GT[id] as Tensor | undefined;
      st.GT[id] = prev ? add(prev, gt) : gt;
    }
    st.reached[id] = 1;
  }

  /** Add `g` to the gradient of a leaf. */
  addLeaf(leaf: Tensor, g: Tensor | number): void {
    const prev = this.leaves.get(leaf);
    if (prev === undefined) this.leaves.set(leaf, g);
    else if (typeof prev === 'number' && typeof g === 'number') this.leaves.set(leaf, prev + g);
    else this.leaves.set(leaf, add(typeof prev === 'number' ? scalarOf(prev) : prev, typeof g === 'number' ? scalarOf(g) : g));
  }

  /** The newest tape with gradients pending: a tape only refers to older ones, so this is a topological order. */
  nextTape(): Tape | null {
    let tape: Tape | null = null;
    for (const t of this.states.keys()) if (!this.started.has(t) && (!tape || t.serial > tape.serial)) tape = t;
    if (tape !== null) this.started.add(tape);
    return tape;
  }

  /**
   * Walk the rows of `tape` from the top down (a loop, no recursion: a chain of
   * a million ops is fine); each reached row sends its gradient to its inputs.
   */
  walk(tape: Tape): void {
    const st = this.states.get(tape)!;
    const { op, flags, val, inStart, nin, ins, obj } = tape;
    const G = st.G;
    const R = st.reached;
    // Local copies for the loop: where modules are run by vite-node (the tests), every use of an
    // imported binding is a getter call on a dictionary-mode object.
    const prims = PRIMITIVES;
    const FAST = F_FAST,
      FREED = F_FREED,
      SCALAR = F_SCALAR,
      REF = OP_REF;
    const { scalarG, free, anomaly } = this;
    let id = st.top;
    try {
      for (; id >= 0; id--) {
        if (!R[id]) continue;
        const o = op[id];
        const f = flags[id];
        if (o < 0) {
          // a leaf, or a result of an older tape: its gradient goes there (a constant's nowhere)
          if (o === REF) this.refNode(obj[id] as Tensor, scalarG && f & SCALAR ? G[id] : (st.GT[id] as Tensor));
          continue;
        }
        if (f & FREED) freedError(tape, id);
        const p = prims[o];
        const s = inStart[id];
        const k = nin[id];
        if (scalarG && f & FAST) {
          // 0-d elementwise: G[in] += G[id]·∂y/∂in on numbers, the op's own compiled step (ops/primitive.ts);
          // anomaly mode (which checks every gradient) and 3-input ops (where) take the generic step
          if (k <= 2 && !anomaly) (p.fast ?? scalarPaths(p)).back(G, R, val, flags, ins[s], k === 2 ? ins[s + 1] : -1, id);
          else scalarBackward(p, G, R, val, flags, ins, s, k, id, anomaly);
        } else {
          this.ruleNode(tape, st, id, p, s, k, f);
        }
        if (free) flags[id] = f | FREED;
      }
    } catch (e) {
      this.stoppedTape = tape;
      this.stoppedId = id;
      throw e;
    }
  }

  /** A leaf's gradient, or one for a result of an older tape (its own row there). */
  private refNode(h: Tensor, g: Tensor | number): void {
    if (h._result) this.accum(h._tape!, h._id, g);
    else this.addLeaf(h, g);
  }

  /** A row through its op's vjp (vjpBatched in a batched pass) on tensors; recorded in createGraph mode. */
  private ruleNode(tape: Tape, st: PassState, id: number, p: Primitive, s: number, k: number, f: number): void {
    const { createGraph, batch } = this;
    if (createGraph && p.custom) {
      fail(`customOp '${p.name}' supports first-order gradients only (its backward is not recorded); higher-order derivatives through it are not available`);
    }
    const { flags, ins } = tape;
    const info = tape.obj[id] as NodeInfo | undefined;
    const xs: Tensor[] = [];
    const needs: boolean[] = [];
    for (let j = 0; j < k; j++) {
      const a = ins[s + j];
      xs.push(handleOf(tape, a, createGraph));
      needs.push(!!(flags[a] & F_REQ));
    }
    const gy = this.scalarG && f & F_SCALAR ? scalarOf(st.G[id], f & F_F32 ? 'float32' : 'float64') : (st.GT[id] as Tensor);
    const ctx = { x: xs, y: handleOf(tape, id, createGraph), attrs: info?.attrs, saved: info?.saved, needs };
    const gxs = batch > 0 ? p.vjpBatched(gy, ctx, batch) : p.vjp(gy, ctx);
    if (!Array.isArray(gxs) || gxs.length !== k) {
      fail(`backward of '${p.name}' returned ${Array.isArray(gxs) ? gxs.length : 'no'} gradients for ${k} inputs`);
    }
    for (let j = 0; j < k; j++) {
      const gx = gxs[j];
      if (!needs[j] || gx === null || gx === undefined) continue;
      if (!(gx instanceof Tensor) || !(batch > 0 ? batchOf(gx, xs[j], batch) : sameShapeAs(gx, xs[j]))) {
        fail(
          `backward of '${p.name}': the gradient for input #${j} has shape ` +
            `${gx instanceof Tensor ? fmtShape(gx.shape) : typeof gx} but the input has shape ` +
            `${fmtShape(xs[j].shape)}${batch > 0 ? ` (batched: expected [${batch}, ...that])` : ''}`,
        );
      }
      if (this.anomaly) checkGradFinite(p.name, j, gx);
      this.accum(tape, ins[s + j], gx);
    }
  }

  /** After an error nothing changes: the rows this pass went through are not freed after all. */
  unfree(): void {
    if (!this.free) return;
    for (const [tape, st] of this.states) {
      if (!this.started.has(tape)) continue;
      // the tape the error stopped at was walked down to the row after the failing one
      const lo = tape === this.stoppedTape ? this.stoppedId + 1 : 0;
      const { flags, op } = tape;
      for (let id = lo; id <= st.top; id++) if (st.reached[id] && op[id] >= 0) flags[id] &= ~F_FREED;
    }
  }
}

/**
 * The backward pass from `ys` with `seeds`. With `batch` B > 0 every seed and
 * gradient carries a leading dimension of B (B cotangents pulled back at once,
 * batched jacrev): each op's batched vjp runs (Primitive.vjpBatched), no scalar path.
 */
function run(ys: Tensor[], seeds: Tensor[], createGraph: boolean, retain: boolean, batch = 0): PassResult {
  const pass = new Pass(createGraph, retain, batch);
  ys.forEach((y, i) => pass.accum(y._tape!, y._id, seeds[i]));
  const wasEnabled = state.gradEnabled;
  state.gradEnabled = createGraph;
  try {
    for (let tape = pass.nextTape(); tape !== null; tape = pass.nextTape()) pass.walk(tape);
  } catch (e) {
    pass.unfree();
    throw e;
  } finally {
    state.gradEnabled = wasEnabled;
  }
  // (a batched pass leaves .grad of intermediates as the last ordinary pass set it)
  if (batch === 0) for (const [tape, st] of pass.states) tape.last = st;
  return { states: pass.states, leaves: pass.leaves };
}

/** Whether g has shape [B, ...x.shape]. */
function batchOf(g: Tensor, x: Tensor, B: number): boolean {
  const gs = g.shape;
  const xs = x.shape;
  if (gs.length !== xs.length + 1 || gs[0] !== B) return false;
  for (let i = 0; i < xs.length; i++) if (gs[i + 1] !== xs[i]) return false;
  return true;
}
