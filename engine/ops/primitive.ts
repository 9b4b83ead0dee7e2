/**
 * Primitives and how they are applied.
 *
 * A primitive is one definition: its numeric forward, its forward-mode rule
 * (jvp) and its reverse-mode rule (vjp), the rules written with engine ops so
 * they can be differentiated again. Everything else in the engine is composed
 * from primitives and needs no rule of its own.
 *
 * `apply` is the one place where an op meets the AD machinery: it unwraps
 * forward-mode duals, runs the forward, checks for NaN/Inf in anomaly mode and
 * records the node on the tape when an operand requires grad.
 */
import { fail, fmtShape, GradlabError } from '../errors';
import type { DType } from '../kernels';
import { state, currentTape, OP_NAMES, TAPE_CAP, F_FAST, F_F32, F_REQ, F_SCALAR, OP_CONST, OP_REF, type NodeInfo, type Tape } from '../tape';
import { BIT_REQ, BIT_RESULT, SCALAR_SHAPE, Tensor, scalarOf, valuesOf, type TensorLike } from '../tensor';

/** What a rule sees of the node it differentiates. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as Primitive's default below: a context of some primitive, whatever its attributes
export interface RuleContext<A = any> {
  /** The operands (values; in createGraph mode they are recorded so rules differentiate again). */
  x: Tensor[];
  /** The output. */
  y: Tensor;
  attrs: A;
  /** Whatever the forward saved. */
  saved: unknown;
  /** needs[i]: whether operand i requires a gradient. */
  needs: boolean[];
}

/**
 * A local partial derivative ∂y/∂x_i of an elementwise op, given the operands and the output:
 * all numbers on the scalar backward path (it then returns a number), tensors otherwise.
 */
export type PartialDerivative = (...args: TensorLike[]) => TensorLike;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the default is "some primitive, whatever its attributes" (PRIMITIVES, apply): with unknown, a Primitive<Attrs> (rules taking Attrs) would not be one
export interface Primitive<A = any> {
  readonly name: string;
  readonly index: number;
  /** Elementwise ops: the scalar function and its partial derivatives (null: not differentiable in that operand). */
  readonly elementwise: { f: (...a: number[]) => number; d: (PartialDerivative | null)[] } | null;
  /** False for comparisons and masks: their outputs never require grad. */
  readonly differentiable: boolean;
  /** User-defined (gl.customOp): first-order only. */
  readonly custom: boolean;
  /** Numeric forward on plain (unrecorded) operands. */
  forward(x: Tensor[], attrs: A): { y: Tensor; saved?: unknown };
  /** Tangent of the output. Missing operand tangents are null for elementwise ops, zeros otherwise. */
  jvp(dx: (Tensor | null)[], c: RuleContext<A>): Tensor;
  /** Cotangents of the operands (null where not needed). */
  vjp(gy: Tensor, c: RuleContext<A>): (Tensor | null)[];
  /** Attributes worth showing in the graph view. */
  describe?(attrs: A): Record<string, string | number | boolean | number[]>;
  /**
   * The jvp of a batch of B tangents at once (batched jacfwd, ad/functional.ts):
   * dx[i] has shape [B, ...x[i].shape] or is null (a zero tangent); the result
   * has shape [B, ...y.shape]. (A custom op runs its `jvp` once per batch entry: ad/custom.ts.)
   */
  readonly jvpBatched: (dx: (Tensor | null)[], c: RuleContext<A>, B: number) => Tensor;
  /**
   * The vjp of a batch of B cotangents at once (batched jacrev): gy has shape
   * [B, ...y.shape], gradient i shape [B, ...x[i].shape] (null where not
   * needed).
   */
  readonly vjpBatched: (gy: Tensor, c: RuleContext<A>, B: number) => (Tensor | null)[];
  /** @internal `elementwise.f` for one and two numbers (the scalar fast paths). */
  readonly f1: (a: number) => number;
  /** @internal */
  readonly f2: (a: number, b: number) => number;
  /** @internal `elementwise.d[0]`, `[1]` on numbers (the scalar backward path), or null. */
  readonly d0: ((...a: number[]) => number) | null;
  /** @internal */
  readonly d1: ((...a: number[]) => number) | null;
  /** @internal Scalar fast paths compiled for this op alone (see `specialize`); null for non-elementwise ops. */
  readonly fast: ScalarPaths | null;
}

/** @internal An elementwise op's scalar paths, forward and backward. */
export interface ScalarPaths {
  /** op(a) for a 0-d tensor a. */
  t(a: Tensor): Tensor;
  /** op(a, b) for 0-d tensors. */
  tt(a: Tensor, b: Tensor): Tensor;
  /** op(a, b) for a 0-d tensor a and a number b (b takes a's dtype). */
  tn(a: Tensor, b: number): Tensor;
  /** op(a, b) for a number a and a 0-d tensor b. */
  nt(a: number, b: Tensor): Tensor;
  /**
   * Backward through scalar row `id` with inputs a (and b): G[a] += G[id]·∂y/∂a,
   * for inputs that require grad (flag bit `req`).
   */
  back(G: Float64Array, R: Uint8Array, val: Float64Array, flags: Uint8Array, a: number, b: number, id: number): void;
}

/** Every primitive, by index. Filled by definePrimitive: there is no hand-kept list. */
export const PRIMITIVES: Primitive[] = [];

function notElementwise(): number {
  throw new Error('gradlab: not an elementwise primitive');
}

/** Fields definePrimitive fills in. */
type Derived = 'index' | 'elementwise' | 'differentiable' | 'custom' | 'f1' | 'f2' | 'd0' | 'd1' | 'fast';

export function definePrimitive<A>(def: Omit<Primitive<A>, Derived> & Partial<Pick<Primitive<A>, 'elementwise' | 'differentiable' | 'custom'>>): Primitive<A> {
  const ew = def.elementwise ?? null;
  const d = ew ? ew.d : [];
  // One object shape for every primitive, so the hot paths' loads of p.f2, p.d0, ... stay monomorphic.
  const p: Primitive<A> = {
    name: def.name,
    index: OP_NAMES.length,
    elementwise: ew,
    differentiable: def.differentiable ?? true,
    custom: def.custom ?? false,
    forward: def.forward,
    jvp: def.jvp,
    vjp: def.vjp,
    describe: def.describe,
    jvpBatched: def.jvpBatched,
    vjpBatched: def.vjpBatched,
    f1: ew ? ew.f : notElementwise,
    f2: ew ? ew.f : notElementwise,
    d0: (d[0] as ((...a: number[]) => number) | null | undefined) ?? null,
    d1: (d[1] as ((...a: number[]) => number) | null | undefined) ?? null,
    fast: null,
  };
  for (const k of Object.keys(def)) {
    if (!(k in p)) (p as unknown as Record<string, unknown>)[k] = (def as Record<string, unknown>)[k];
  }
  PRIMITIVES.push(p);
  OP_NAMES.push(p.name);
  return p;
}

/** The dtype of a result: float64 unless every tensor operand is float32. */
export function resultDtype(xs: readonly Tensor[]): DType {
  for (const x of xs) if (x.dtype === 'float64') return 'float64';
  return xs.length ? 'float32' : 'float64';
}

// ---- recording ------------------------------------------------------------

/** Row of `x` on `tape`, adding a ref (leaf, older tape) or constant node when needed. */
function idOf(tape: Tape, x: Tensor): number {
  if (x._tape === tape) return x._id;
  const scalar = x._data === null;
  const fl = (scalar ? F_SCALAR : 0) | (x.dtype === 'float32' ? F_F32 : 0);
  if (x._result) {
    // a result of an older tape: one ref node per tape stands for it
    const m = (tape.foreign ??= new Map<object, number>());
    let id = m.get(x);
    if (id === undefined) {
      id = tape.push0(OP_REF, fl | (x._req ? F_REQ : 0), scalar ? x._v : 0, x);
      m.set(x, id);
    }
    return id;
  }
  let id: number;
  if (x._req) id = tape.push0(OP_REF, fl | F_REQ, scalar ? x._v : 0, x);
  else {
    const info: NodeInfo | undefined = scalar ? undefined : { shape: x.shape, data: x._data, attrs: null, saved: null };
    id = tape.push0(OP_CONST, fl, scalar ? x._v : 0, info);
  }
  x._tape = tape;
  x._id = id;
  return id;
}

function record(p: Primitive, xs: Tensor[], y: Tensor, attrs: unknown, saved: unknown): void {
  const tape = currentTape();
  const ids = xs.map((x) => idOf(tape, x));
  const scalar = y._data === null;
  let fl = F_REQ | (scalar ? F_SCALAR : 0) | (y.dtype === 'float32' ? F_F32 : 0);
  if (scalar && p.elementwise && xs.every((x) => x._data === null)) fl |= F_FAST;
  const info: NodeInfo | undefined = fl & F_FAST ? undefined : { shape: y.shape, data: y._data, attrs, saved };
  const id = tape.pushN(p.index, fl, scalar ? y._v : 0, ids, info);
  y._tape = tape;
  y._id = id;
  y._result = true;
  y._req = true;
}

// ---- applying ----------------------------------------------------------------

/** Apply primitive `p` to tensor operands. */
export function apply(p: Primitive, xs: Tensor[], attrs?: unknown): Tensor {
  if (state.levels.length) {
    const lvl = topLevel(xs);
    if (lvl) return applyDual(p, xs, attrs, lvl);
  }
  const { y, saved } = p.forward(xs, attrs);
  if (state.anomaly) checkFinite(p, xs, y);
  if (state.gradEnabled && p.differentiable) {
    for (let i = 0; i < xs.length; i++) {
      if (xs[i]._req) {
        record(p, xs, y, attrs, saved);
        break;
      }
    }
  }
  return y;
}

/** Fast path for an elementwise op on one 0-d tensor. */
export function applyScalar1(p: Primitive, a: Tensor): Tensor {
  return (p.fast ?? scalarPaths(p)).t(a);
}

// ---- the scalar paths, one copy per op ------------------------------------------------

/** Tensor._bits of a recorded result. */
const RESULT_REQ = BIT_RESULT | BIT_REQ;

/** The node's flags for a 0-d elementwise result. */
const FAST_ROW = F_REQ | F_SCALAR | F_FAST;

// Local copies (tape.ts does not import this module, so they are set): where modules are run by
// vite-node (the tests), every use of an imported binding is a getter call on a dictionary-mode object.
const STATE = state;
const CAP = TAPE_CAP;

/** The tape to record on (a fresh one when the current one is full). */
function tapeFor(): Tape {
  const t = STATE.tape;
  return t.n < CAP ? t : currentTape();
}

function markResult(y: Tensor, tape: Tape, id: number): void {
  y._tape = tape;
  y._id = id;
  y._bits = RESULT_REQ;
}

function rowFlags(y: Tensor): number {
  return y.dtype === 'float32' ? FAST_ROW | F_F32 : FAST_ROW;
}

/** What the per-op scalar paths call: shared code whose arguments are objects and small integers only. */
const HOOKS = {
  state: STATE,
  Tensor,
  shape: SCALAR_SHAPE,
  record1(p: Primitive, y: Tensor, a: Tensor): void {
    const tape = tapeFor();
    const ia = a._tape === tape ? a._id : idOf(tape, a);
    markResult(y, tape, tape.push1(p.index, rowFlags(y), y._v, ia));
  },
  recordTT(p: Primitive, y: Tensor, a: Tensor, b: Tensor): void {
    const tape = tapeFor();
    const ia = a._tape === tape ? a._id : idOf(tape, a);
    const ib = b._tape === tape ? b._id : idOf(tape, b);
    markResult(y, tape, tape.push2(p.index, rowFlags(y), y._v, ia, ib));
  },
  recordTN(p: Primitive, y: Tensor, a: Tensor, b: number): void {
    const tape = tapeFor();
    const ia = a._tape === tape ? a._id : idOf(tape, a);
    markResult(y, tape, tape.push2(p.index, rowFlags(y), y._v, ia, tape.constant(b)));
  },
  recordNT(p: Primitive, y: Tensor, a: number, b: Tensor): void {
    const tape = tapeFor();
    const ib = b._tape === tape ? b._id : idOf(tape, b);
    markResult(y, tape, tape.push2(p.index, rowFlags(y), y._v, tape.constant(a), ib));
  },
  anomaly(p: Primitive, y: Tensor, a: Tensor | number, b?: Tensor | number): void {
    const xs = b === undefined ? [a] : [a, b];
    checkFinite(
      p,
      xs.map((x) => (typeof x === 'number' ? scalarOf(x) : x)),
      y,
    );
  },
};
type Hooks = typeof HOOKS;

/**
 * The scalar paths of one op. This is a template: it uses nothing but its
 * parameters (and Math, Number), so `specialize` can compile a copy of it for
 * every op. A copy calls one `f` and one `d0`/`d1`, which V8 then inlines;
 * a single shared path would call every op's functions through one
 * megamorphic call site, boxing each double argument and result (that was
 * half the time of the scalar graphs).
 */
function scalarPathsTemplate(
  p: Primitive,
  f: (...a: number[]) => number,
  d0: ((...a: number[]) => number) | null,
  d1: ((...a: number[]) => number) | null,
  diff: boolean,
  REQ: number,
  H: Hooks,
): ScalarPaths {
  const T = H.Tensor;
  const shape = H.shape;
  const state = H.state;
  return {
    t(a) {
      const f32 = a.dtype === 'float32';
      let v = f(a._v);
      if (f32) v = Math.fround(v);
      const y = new T(shape, a.dtype, null, v);
      if (state.anomaly && !Number.isFinite(v)) H.anomaly(p, y, a);
      if (diff && a._req && state.gradEnabled) H.record1(p, y, a);
      return y;
    },
    tt(a, b) {
      const f32 = a.dtype === 'float32' && b.dtype === 'float32';
      let v = f(a._v, b._v);
      if (f32) v = Math.fround(v);
      const y = new T(shape, f32 ? 'float32' : 'float64', null, v);
      if (state.anomaly && !Number.isFinite(v)) H.anomaly(p, y, a, b);
      if (diff && (a._req || b._req) && state.gradEnabled) H.recordTT(p, y, a, b);
      return y;
    },
    tn(a, b) {
      const f32 = a.dtype === 'float32';
      let v = f(a._v, b);
      if (f32) v = Math.fround(v);
      const y = new T(shape, a.dtype, null, v);
      if (state.anomaly && !Number.isFinite(v)) H.anomaly(p, y, a, b);
      if (diff && a._req && state.gradEnabled) H.recordTN(p, y, a, b);
      return y;
    },
    nt(a, b) {
      const f32 = b.dtype === 'float32';
      let v = f(a, b._v);
      if (f32) v = Math.fround(v);
      const y = new T(shape, b.dtype, null, v);
      if (state.anomaly && !Number.isFinite(v)) H.anomaly(p, y, a, b);
      if (diff && b._req && state.gradEnabled) H.recordNT(p, y, a, b);
      return y;
    },
    back(G, R, val, flags, a, b, id) {
      const gy = G[id];
      const y = val[id];
      if (b < 0) {
        if (d0 !== null && (flags[a] & REQ) !== 0) {
          G[a] += gy * d0(val[a], y);
          R[a] = 1;
        }
        return;
      }
      const va = val[a];
      const vb = val[b];
      if (d0 !== null && (flags[a] & REQ) !== 0) {
        G[a] += gy * d0(va, vb, y);
        R[a] = 1;
      }
      if (d1 !== null && (flags[b] & REQ) !== 0) {
        G[b] += gy * d1(va, vb, y);
        R[b] = 1;
      }
    },
  };
}

/**
 * @internal The scalar backward of elementwise op `p` through row `id` whose inputs are
 * ins[s], …, ins[s + k − 1]: G[in] += G[id]·∂y/∂in with the partials on numbers, for the inputs
 * that require grad; with `check` (anomaly mode) each term is checked for NaN/Inf first. The
 * same step as the compiled `back` above, for any number of inputs; backward takes `back` for
 * one or two inputs when nothing is checked.
 */
export function scalarBackward(
  p: Primitive,
  G: Float64Array,
  R: Uint8Array,
  val: Float64Array,
  flags: Uint8Array,
  ins: Int32Array,
  s: number,
  k: number,
  id: number,
  check: boolean,
): void {
  const d = p.elementwise!.d;
  const gy = G[id];
  const args: number[] = [];
  for (let j = 0; j < k; j++) args.push(val[ins[s + j]]);
  args.push(val[id]);
  for (let j = 0; j < k; j++) {
    const a = ins[s + j];
    const dj = d[j];
    if (!(flags[a] & F_REQ) || !dj) continue;
    const ga = gy * (dj(...args) as number);
    if (check) checkGradFinite(p.name, j, ga);
    G[a] += ga;
    R[a] = 1;
  }
}

/**
 * A separately compiled copy of `template`, so that it collects its own type
 * feedback (V8 shares feedback among all closures of one function literal).
 * Falls back to the template itself where code cannot be compiled at run time.
 */
function specialize<F extends (...args: never[]) => unknown>(template: F): F {
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the template's own source, compiled again (see above): a measured speed feature, not user input
    const make = new Function(`'use strict'; return (${template.toString()});`) as () => unknown;
    const copy = make();
    return typeof copy === 'function' ? (copy as F) : template;
  } catch {
    return template;
  }
}

/** @internal The scalar paths of elementwise primitive `p`, built on first use. */
export function scalarPaths(p: Primitive): ScalarPaths {
  if (p.fast) return p.fast;
  const ew = p.elementwise;
  if (!ew) fail(`internal: '${p.name}' is not elementwise`);
  const args = [p, ew.f, p.d0, p.d1, p.differentiable, F_REQ, HOOKS] as const;
  let paths = specialize(scalarPathsTemplate)(...args);
  try {
    // the copy must behave as the template (e.g. code instrumented for coverage refers to outside names)
    const x = new Tensor(SCALAR_SHAPE, 'float64', null, 0.5);
    paths.tt(x, x);
    paths.back(new Float64Array(2), new Uint8Array(2), new Float64Array([0.5, 0.5]), new Uint8Array(2), 0, 0, 1);
  } catch {
    paths = scalarPathsTemplate(...args);
  }
  (p as { fast: ScalarPaths | null }).fast = paths;
  return paths;
}

// ---- forward mode ---------------------------------------------------------------

function isActive(level: number): boolean {
  return state.levels.includes(level);
}

/** Highest active forward-mode level among the operands (0: none). */
function topLevel(xs: Tensor[]): number {
  let lvl = 0;
  for (const x of xs) {
    let d = x._dual;
    while (d && !isActive(d.level)) d = d.primal._dual;
    if (d && d.level > lvl) lvl = d.level;
  }
  return lvl;
}

/** Strip dual wrappers of levels at or above `level` (inactive ones anywhere). */
function primalAt(x: Tensor, level: number): Tensor {
  while (x._dual && (x._dual.level >= level || !isActive(x._dual.level))) x = x._dual.primal;
  return x;
}

function applyDual(p: Primitive, xs: Tensor[], attrs: unknown, lvl: number): Tensor {
  const primals: Tensor[] = [];
  const tangents: (Tensor | null)[] = [];
  let any = false;
  let batch = 0;
  for (const x of xs) {
    let d = x._dual;
    while (d && d.level > lvl) d = d.primal._dual;
    if (d && d.level === lvl) {
      primals.push(primalAt(d.primal, lvl));
      tangents.push(d.tangent);
      batch = d.batch;
      if (d.tangent) any = true;
    } else {
      primals.push(primalAt(x, lvl));
      tangents.push(null);
    }
  }
  // The primal computation (recorded on the tape if needed; lower levels handled by the recursion).
  const { y, saved } = applyWithSaved(p, primals, attrs);
  if (!any || !p.differentiable) return y;
  const c: RuleContext = { x: primals, y, attrs, saved, needs: tangents.map((t) => t !== null) };
  if (batch > 0) return makeDual(lvl, y, p.jvpBatched(tangents, c, batch), batch);
  const dx = p.elementwise ? tangents : tangents.map((t, i) => t ?? zerosLikeT(primals[i]));
  return makeDual(lvl, y, p.jvp(dx, c));
}

/** apply() that also returns what the forward saved (for jvp rules). */
function applyWithSaved(p: Primitive, xs: Tensor[], attrs: unknown): { y: Tensor; saved: unknown } {
  if (state.levels.length && topLevel(xs)) {
    return {
      y: apply(p, xs, attrs),
      saved: p.forward(
        xs.map((x) => primalAt(x, 0)),
        attrs,
      ).saved,
    };
  }
  const r = p.forward(xs, attrs);
  if (state.anomaly) checkFinite(p, xs, r.y);
  if (state.gradEnabled && p.differentiable && xs.some((x) => x._req)) record(p, xs, r.y, attrs, r.saved);
  return { y: r.y, saved: r.saved };
}

/**
 * Arrays of identity batches: the B basis tensors e_β stacked ([B, ...shape]
 * with B entries per basis tensor), as jacfwd and jacrev seed them. Views of
 * one share its array (reshape does not copy), so a rule can tell that its
 * batched tangent or cotangent is still the identity and read the result off
 * instead of multiplying by it (see the matmul rule).
 */
const IDENTITY_DATA = new WeakSet<object>();

/** @internal Register `t` ([B, ...s], the B basis tensors of shape s stacked) as an identity batch. */
export function markIdentityBatch(t: Tensor): Tensor {
  if (t._data) IDENTITY_DATA.add(t._data);
  return t;
}

/** @internal Whether `t` is a view of an identity batch of B basis tensors (so t[β] is e_β, reshaped). */
export function isIdentityBatch(t: Tensor, B: number): boolean {
  return t._data !== null && t._data.length === B * B && t.shape[0] === B && IDENTITY_DATA.has(t._data);
}

/** @internal A tensor that carries a tangent at forward-mode level `level`. */
export function makeDual(level: number, primal: Tensor, tangent: Tensor | null, batch = 0): Tensor {
  const t = new Tensor(primal.shape, primal.dtype, primal._data, primal._v);
  t._dual = { level, primal, tangent, batch };
  // The dual reads as its primal: same values, and requiresGrad mirrors it.
  t._req = primal._req;
  return t;
}

/** @internal Zeros of x's shape and dtype (an unrecorded constant). */
export function zerosLikeT(x: Tensor): Tensor {
  if (x._data === null) return scalarOf(0, x.dtype);
  const d = x._data.constructor === Float32Array ? new Float32Array(x._data.length) : new Float64Array(x._data.length);
  return new Tensor(x.shape, x.dtype, d, 0);
}

// ---- anomaly mode ------------------------------------------------------------------

function range(t: Tensor): string {
  const v = valuesOf(t);
  let lo = Infinity;
  let hi = -Infinity;
  let bad = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!Number.isFinite(x)) bad++;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return `shape ${fmtShape(t.shape)}, range [${lo}, ${hi}]${bad ? `, ${bad} non-finite` : ''}`;
}

/** @internal Throw if a gradient the backward of op `op` sent to its input #j has NaN/Inf (detectAnomaly). */
export function checkGradFinite(op: string, j: number, g: Tensor | number): void {
  const bad = (v: number) => !Number.isFinite(v);
  let found: number | null = null;
  if (typeof g === 'number') found = bad(g) ? g : null;
  else if (g._data === null) found = bad(g._v) ? g._v : null;
  else
    for (const v of g._data)
      if (bad(v)) {
        found = v;
        break;
      }
  if (found !== null) {
    fail(`detectAnomaly: the backward of '${op}' produced ${found} in the gradient of its input #${j}`);
  }
}

/** @internal Throw if `y` has NaN/Inf, naming the op and its operands. */
function checkFinite(p: Primitive, xs: Tensor[], y: Tensor): void {
  const v = valuesOf(y);
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) {
      throw new GradlabError(
        `detectAnomaly: '${p.name}' produced ${v[i]} (output ${range(y)}); ` +
          `its inputs: ${xs.map((x, j) => `#${j} ${x.name ? `'${x.name}' ` : ''}${range(x)}`).join('; ')}`,
      );
    }
  }
}
