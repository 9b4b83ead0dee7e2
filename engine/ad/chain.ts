/**
 * The Jacobian chain of a composition f = f_k ∘ … ∘ f_1: each step's
 * Jacobian shape (output size × input size) and what it costs to multiply
 * them out from the input side (forward mode), the output side (reverse
 * mode) or in the cheapest order (dynamic programming over the chain), in
 * multiply-adds and memory; and for an FC step y = Wx + b, the full Jacobian
 * ∂y/∂W next to the gW = gy·xᵀ backprop computes instead.
 *
 * This is data: display/payloads.ts makes the JacobianChain users get (and
 * `gl.show` draws) of it.
 */
import { fail, fmtShape } from '../errors';
import { detach } from '../ops/shape';
import { Tensor, asTensor, type TensorLike } from '../tensor';
import { trace, type TraceNode } from '../trace';

/** One step of a chain: its Jacobian is (output size) × (input size). */
interface StepJacobian {
  op: string;
  label: string;
  inShape: number[];
  outShape: number[];
  /** Output size: rows of the Jacobian. */
  rows: number;
  /** Input size: columns of the Jacobian. */
  cols: number;
  /**
   * The step's parameters (an FC layer's W and b): the full Jacobian ∂y/∂W
   * that is never formed, next to what backprop computes instead.
   */
  params?: ParamJacobian[];
}

/** A parameter's Jacobian, as formed and as backprop avoids forming it. */
interface ParamJacobian {
  name: string;
  shape: number[];
  /** ∂y/∂param as a matrix: [y.size, param.size]. */
  jacobian: [number, number];
  /** How many of its entries can be non-zero (W of y = Wx + b: one x per row block). */
  nonzero: number;
  /** What backprop computes instead, e.g. "gW = gy · xᵀ", its shape and multiply-adds. */
  backprop: { formula: string; shape: number[]; cost: number };
}

/** One way of multiplying the chain's Jacobians. */
export interface ChainOrder {
  name: 'forward' | 'reverse' | 'optimal';
  /** The product with its brackets, e.g. "J3·(J2·J1)". */
  order: string;
  /** Multiply-adds. */
  cost: number;
  /** Largest number of entries alive at once (partial products, plus the activations reverse mode keeps). */
  memory: number;
}

/** The Jacobian chain of f at x, as data. */
export interface ChainData {
  /** The shape of x. */
  inShape: number[];
  /** Steps from input to output: J = J_k ··· J_2 · J_1. */
  steps: StepJacobian[];
  /** Forward, reverse and the cheapest order ({@link chainOrders}). */
  orders: ChainOrder[];
}

// ---- the orders of the product ---------------------------------------------

/**
 * Multiply-adds of accumulating J = J_k···J_1 (J_i is sizes[i] × sizes[i−1])
 * from the input side (forward mode) and from the output side (reverse mode).
 */
export function chainCosts(sizes: readonly number[]): { forward: number; reverse: number } {
  const k = sizes.length - 1;
  let forward = 0;
  for (let i = 2; i <= k; i++) forward += sizes[i] * sizes[i - 1] * sizes[0];
  let reverse = 0;
  for (let i = k - 1; i >= 1; i--) reverse += sizes[k] * sizes[i] * sizes[i - 1];
  return { forward, reverse };
}

/**
 * A bracketing of J_j ··· J_i (factors numbered from the input side, 1-based):
 * a leaf is one step's Jacobian, a product multiplies `left · right`, where
 * `left` holds the factors nearer the output.
 */
type ChainTree = { leaf: number } | { left: ChainTree; right: ChainTree; lo: number; hi: number };

const lo = (t: ChainTree) => ('leaf' in t ? t.leaf : t.lo);
const hi = (t: ChainTree) => ('leaf' in t ? t.leaf : t.hi);

/** `J3·(J2·J1)`: the product as written, outermost brackets dropped. */
function bracketed(t: ChainTree, top = true): string {
  if ('leaf' in t) return `J${t.leaf}`;
  const s = `${bracketed(t.left, false)}·${bracketed(t.right, false)}`;
  return top ? s : `(${s})`;
}

/** Forward order: J_k·(…·(J_2·J_1)), every partial product has d_0 columns. */
function forwardTree(k: number): ChainTree {
  let t: ChainTree = { leaf: 1 };
  for (let i = 2; i <= k; i++) t = { left: { leaf: i }, right: t, lo: 1, hi: i };
  return t;
}

/** Reverse order: ((J_k·J_{k−1})·…)·J_1, every partial product has d_k rows. */
function reverseTree(k: number): ChainTree {
  let t: ChainTree = { leaf: k };
  for (let i = k - 1; i >= 1; i--) t = { left: t, right: { leaf: i }, lo: i, hi: k };
  return t;
}

/**
 * The cheapest bracketing by dynamic programming over the chain (the
 * matrix-chain order problem, O(k³) time, O(k²) memory): with J_i of size
 * d_i × d_{i−1}, the product J_j···J_i split as (J_j···J_{s+1})·(J_s···J_i)
 * costs best(i, s) + best(s+1, j) + d_j·d_s·d_{i−1} multiply-adds.
 * NOTE: among equally cheap splits the first (smallest s) is kept.
 */
function optimalTree(d: readonly number[]): ChainTree {
  const k = d.length - 1;
  // cost[i][j] (and its transpose, so the inner loop reads two contiguous rows), split[i][j] for 1 ≤ i ≤ j ≤ k
  const cost: Float64Array[] = Array.from({ length: k + 2 }, () => new Float64Array(k + 2));
  const costT: Float64Array[] = Array.from({ length: k + 2 }, () => new Float64Array(k + 2));
  const split: Int32Array[] = Array.from({ length: k + 1 }, () => new Int32Array(k + 1));
  for (let len = 2; len <= k; len++) {
    for (let i = 1; i + len - 1 <= k; i++) {
      const j = i + len - 1;
      const row = cost[i];
      const col = costT[j];
      const outer = d[j] * d[i - 1];
      let best = Infinity;
      let arg = i;
      for (let s = i; s < j; s++) {
        const c = row[s] + col[s + 1] + outer * d[s];
        if (c < best) {
          best = c;
          arg = s;
        }
      }
      cost[i][j] = best;
      costT[j][i] = best;
      split[i][j] = arg;
    }
  }
  const build = (i: number, j: number): ChainTree => (i === j ? { leaf: i } : { left: build(split[i][j] + 1, j), right: build(i, split[i][j]), lo: i, hi: j });
  return build(1, k);
}

/** Multiply-adds of evaluating a bracketing: a (p × q)·(q × r) product costs p·q·r. */
function treeCost(t: ChainTree, d: readonly number[]): number {
  if ('leaf' in t) return 0;
  return treeCost(t.left, d) + treeCost(t.right, d) + d[hi(t)] * d[hi(t.right)] * d[lo(t) - 1];
}

/**
 * The largest number of entries alive at once while a bracketing is
 * evaluated. The model, the same for every order:
 * - the products are done one at a time, children before parents, the
 *   input-side operand (right) before the output-side one (left);
 * - a step's own Jacobian J_i is applied as an operator (a JVP or VJP through
 *   the op), never stored: only products of two or more factors are matrices
 *   in memory, from the moment they are computed until the product that uses
 *   them is done (during a product its operands and its result are all alive);
 * - applying J_i needs the step's input x_{i−1} (d_{i−1} entries). The forward
 *   pass runs once, from the input: once it has gone past step i to reach a
 *   later step, x_{i−1} is kept until J_i has been applied.
 * So forward order only holds its running product (d_i × d_0, and the next
 * one while it is computed) and the current activation; reverse order first
 * runs the whole forward pass and keeps every activation until the backward
 * sweep reaches it, plus its running product (d_k × d_i); the optimal order's
 * memory is whatever its own evaluation peaks at. A chain of one step stores
 * just its Jacobian (d_1 × d_0).
 */
function treeMemory(t: ChainTree, d: readonly number[]): number {
  const k = d.length - 1;
  if ('leaf' in t) return d[1] * d[0];
  const applied = new Uint8Array(k + 1);
  let reached = 0; // the forward pass has computed x_0 … x_{reached−1}
  let products = 0; // entries of the stored partial products
  let peak = 0;
  const size = (n: ChainTree) => ('leaf' in n ? 0 : d[hi(n)] * d[lo(n) - 1]);
  const visit = (n: ChainTree): void => {
    if ('leaf' in n) return;
    visit(n.right);
    visit(n.left);
    const leaves = [n.right, n.left].filter((c): c is { leaf: number } => 'leaf' in c).map((c) => c.leaf);
    for (const i of leaves) reached = Math.max(reached, i);
    let kept = 0;
    for (let i = 1; i <= reached; i++) if (!applied[i]) kept += d[i - 1];
    const result = d[hi(n)] * d[lo(n) - 1];
    peak = Math.max(peak, products + result + kept);
    for (const i of leaves) applied[i] = 1;
    products += result - size(n.left) - size(n.right);
  };
  visit(t);
  return peak;
}

/**
 * The longest chain whose cheapest order is searched. The search takes O(k³)
 * time: measured (median of 5) on the shared 2-core machine under load,
 * k = 100: 10 ms, k = 300: 85 ms, k = 1,000: 2.7 s — too long for a cell.
 */
export const CHAIN_DP_MAX_STEPS = 500;

/**
 * Forward, reverse and the cheapest order of multiplying a chain with sizes
 * `d = [d_0, …, d_k]` (J_i is d_i × d_{i−1}), each with its brackets,
 * multiply-adds and memory (see `treeMemory` above for what memory counts).
 * When an end order is already as cheap as any, `optimal` is that order (the
 * one with less memory if both are), so the view can say so. Past
 * {@link CHAIN_DP_MAX_STEPS} steps the search is skipped and only the two end
 * orders are listed.
 */
export function chainOrders(d: readonly number[]): ChainOrder[] {
  const k = d.length - 1;
  if (k < 1) return [];
  const order = (name: ChainOrder['name'], t: ChainTree): ChainOrder => ({ name, order: bracketed(t), cost: treeCost(t, d), memory: treeMemory(t, d) });
  const fwd = order('forward', forwardTree(k));
  const rev = order('reverse', reverseTree(k));
  if (k > CHAIN_DP_MAX_STEPS) return [fwd, rev];
  let opt = order('optimal', optimalTree(d));
  const ends = [fwd, rev].filter((o) => o.cost <= opt.cost).sort((a, b) => a.memory - b.memory);
  if (ends.length) opt = { ...ends[0], name: 'optimal' };
  return [fwd, rev, opt];
}

// ---- parameters of FC steps --------------------------------------------------

type Node = TraceNode;

/** Follows reshapes back to the node they view. */
function throughReshapes(nodes: Node[], id: number): number {
  while (nodes[id].op === 'reshape' && nodes[id].inputs.length === 1) id = nodes[id].inputs[0];
  return id;
}

function fcJacobians(
  nodes: Node[],
  ids: readonly number[],
  depends: ReadonlySet<number>,
  rows: number,
  input: { id: number; isParam: boolean; name: string },
): ParamJacobian[] {
  const out: ParamJacobian[] = [];
  /** A parameter: a leaf that requires grad (nn layers, requiresGrad tensors), or the step's input when it is one. */
  const paramOf = (id: number): Node | null => {
    const n = nodes[throughReshapes(nodes, id)];
    if (n.id === input.id) return input.isParam ? n : null;
    return n.kind === 'leaf' && n.requiresGrad && !depends.has(n.id) ? n : null;
  };
  const nameOf = (n: Node, fallback: string) => (n.id === input.id ? input.name : (n.name ?? fallback));
  for (const id of ids) {
    const n = nodes[id];
    if (n.op === 'matmul' && n.inputs.length === 2) {
      const [a, b] = n.inputs.map((i) => nodes[i]);
      const ta = n.attrs?.ta === true;
      const tb = n.attrs?.tb === true;
      const [p, q] = ta ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
      const r = tb ? b.shape[0] : b.shape[1];
      // W·x (W on the left, p × q) or x·W (W on the right, q × r); the other operand is the data
      const wl = paramOf(a.id);
      const wr = wl ? null : paramOf(b.id);
      const w = wl ?? wr;
      const data = throughReshapes(nodes, (wl ? b : a).id);
      if (!w || a.shape.length !== 2 || b.shape.length !== 2 || !(w.id === input.id || depends.has(data) || data === input.id)) continue;
      const wSize = w.value.size;
      const name = nameOf(w, 'W');
      out.push({
        name,
        shape: w.shape.slice(),
        jacobian: [rows, wSize],
        // each output entry of the product depends on one row (or column) of W: q entries
        nonzero: Math.min(rows * wSize, n.value.size * q),
        backprop: wl
          ? { formula: 'gW = gy · xᵀ', shape: w.shape.slice(), cost: p * q * r }
          : { formula: 'gW = xᵀ · gy', shape: w.shape.slice(), cost: p * q * r },
      });
    } else if (n.op === 'add' && n.inputs.length === 2 && out.length) {
      const bi = n.inputs.findIndex((i) => paramOf(i) !== null && !depends.has(throughReshapes(nodes, i)));
      if (bi < 0) continue;
      const bn = paramOf(n.inputs[bi])!;
      const name = nameOf(bn, 'b');
      const summed = bn.value.size < n.value.size;
      out.push({
        name,
        shape: bn.shape.slice(),
        jacobian: [rows, bn.value.size],
        // each output entry gets exactly one entry of b
        nonzero: Math.min(rows, n.value.size),
        backprop: summed
          ? { formula: 'gb = gy summed over the batch', shape: bn.shape.slice(), cost: n.value.size - bn.value.size }
          : { formula: 'gb = gy', shape: bn.shape.slice(), cost: 0 },
      });
    }
  }
  return out;
}

/** A layer-like step: anything with `forward(x)` (an nn layer); a Sequential's `children()` become steps of their own. */
export interface ChainLayer {
  forward(x: Tensor): Tensor;
  name?: string;
  children?(): [string, unknown][];
}

/** One step of a chain: a function of the previous step's output, or a layer. */
export type ChainStep = ((x: Tensor) => Tensor) | ChainLayer;

const isLayer = (f: unknown): f is ChainLayer => typeof f === 'object' && f !== null && typeof (f as ChainLayer).forward === 'function';

/** A Sequential's layers, flattened, each with its label (`fc1: FC 784→64`, `relu1`). */
function layersOf(f: ChainStep, label: string | undefined): { run: (x: Tensor) => Tensor; label: string | undefined }[] {
  if (!isLayer(f)) return [{ run: f, label: label ?? (f.name || undefined) }];
  const kids =
    typeof f.children === 'function'
      ? f
          .children()
          .map(([, m]) => m)
          .filter(isLayer)
      : [];
  if (kids.length && label === undefined) return kids.flatMap((m) => layersOf(m, undefined));
  const m = f as ChainLayer & { inFeatures?: unknown; outFeatures?: unknown };
  const fc = typeof m.inFeatures === 'number' && typeof m.outFeatures === 'number' ? `FC ${m.inFeatures}→${m.outFeatures}` : '';
  const name = typeof m.name === 'string' ? m.name : '';
  return [{ run: (x) => m.forward(x), label: label ?? ((name && fc ? `${name}: ${fc}` : name || fc) || undefined) }];
}

/**
 * Runs one step on a fresh leaf copy of its input and lists its parameters'
 * Jacobians when it is an FC layer (a matmul with a parameter, and maybe a
 * bias added). Never fails because of the detection: a step that is not an
 * FC layer (or whose output does not depend on its input) has no params.
 */
function runStep(run: (x: Tensor) => Tensor, v: Tensor, inputIsParam: boolean, inputName: string): { y: Tensor; params: ParamJacobian[] } {
  const vl = detach(v);
  vl.requiresGrad = true;
  const y = asTensor(run(vl), 'jacobianChain');
  let params: ParamJacobian[] = [];
  if (y.requiresGrad) {
    try {
      const tr = trace(y);
      const xi = tr.nodes.findIndex((n) => n.tensor === vl);
      if (xi >= 0) {
        const depends = new Set<number>([xi]);
        const ids: number[] = [];
        for (const n of tr.nodes) {
          if (n.inputs.some((i) => depends.has(i))) {
            depends.add(n.id);
            ids.push(n.id);
          }
        }
        params = fcJacobians(tr.nodes, ids, depends, y.size, { id: xi, isParam: inputIsParam, name: inputName });
      }
    } catch {
      params = [];
    }
  }
  return { y: detach(y), params };
}

function step(label: string, x: Tensor, y: Tensor, params: ParamJacobian[]): StepJacobian {
  const s: StepJacobian = { op: label, label, inShape: x.shape.slice(), outShape: y.shape.slice(), rows: y.size, cols: x.size };
  if (params.length) s.params = params;
  return s;
}

/**
 * The Jacobian chain of f at x as data (gl.jacobianChain, display/payloads.ts,
 * documents the arguments): each step's Jacobian shape and parameters, and
 * the orders of multiplying them out.
 */
export function jacobianChainData(f: ChainStep | ChainStep[], x: TensorLike, opts: { labels?: (string | undefined)[] } = {}): ChainData {
  if (typeof f !== 'function' && !Array.isArray(f) && !isLayer(f)) {
    fail(
      `jacobianChain: expected a function, a layer or an array of them, got ${f === null ? 'null' : typeof f === 'string' ? `a string (${JSON.stringify(f)})` : typeof f}`,
    );
  }
  const x0 = asTensor(x, 'jacobianChain');
  const steps: StepJacobian[] = [];
  const xName = x0.name ?? 'x';
  if (Array.isArray(f) || isLayer(f)) {
    const list = Array.isArray(f) ? f : [f];
    if (list.length === 0) fail('jacobianChain: give at least one step');
    list.forEach((fi, i) => {
      if (typeof fi !== 'function' && !isLayer(fi)) {
        fail(`jacobianChain: step #${i} is not a function or a layer (got ${fi === null ? 'null' : typeof fi})`);
      }
    });
    const runs = Array.isArray(f) ? list.flatMap((fi, i) => layersOf(fi, opts.labels?.[i])) : layersOf(f, undefined);
    if (!Array.isArray(f) && opts.labels) runs.forEach((r, i) => (r.label = opts.labels![i] ?? r.label));
    let v = x0;
    runs.forEach((r, i) => {
      let out: { y: Tensor; params: ParamJacobian[] };
      try {
        out = runStep(r.run, v, i === 0 && x0.requiresGrad, xName);
      } catch (e) {
        if (e instanceof Error)
          e.message = `jacobianChain: step #${i}${r.label ? ` '${r.label}'` : ''} failed on an input of shape ${fmtShape(v.shape)}: ${e.message}`;
        throw e;
      }
      steps.push(step(r.label ?? `f${i + 1}`, v, out.y, out.params));
      v = out.y;
    });
    return { inShape: x0.shape.slice(), steps, orders: chainOrders(sizesOf(x0, steps)) };
  }
  if (typeof f !== 'function') fail(`jacobianChain: expected a function, a layer or an array of them, got ${f === null ? 'null' : typeof f}`);
  const xl = detach(x0);
  xl.requiresGrad = true;
  const y = asTensor(f(xl), 'jacobianChain');
  if (!y.requiresGrad) fail('jacobianChain: the output of f does not depend on x');
  const tr = trace(y);
  const xi = tr.nodes.findIndex((n) => n.tensor === xl);
  const depends = new Set<number>([xi]);
  let cur = xi;
  for (const n of tr.nodes) {
    const fromX = [...new Set(n.inputs.filter((i) => depends.has(i)))];
    if (fromX.length === 0) continue;
    if (fromX.length > 1 || fromX[0] !== cur) {
      fail(
        `jacobianChain: f is not a chain from x to its output ('${n.op}' combines values that both depend on x); ` +
          'give the steps as an array of functions instead: gl.jacobianChain([f1, f2, ...], x)',
      );
    }
    depends.add(n.id);
    if (n.op !== 'reshape') {
      const prev = tr.nodes[stepInput(tr.nodes, cur, depends)];
      const s: StepJacobian = {
        op: n.op,
        label: n.name ? `${n.op} (${n.name})` : n.op,
        inShape: prev.shape.slice(),
        outShape: n.shape.slice(),
        rows: n.value.size,
        cols: prev.value.size,
      };
      const params = fcJacobians(tr.nodes, [n.id], depends, n.value.size, { id: xi, isParam: prev.id === xi && x0.requiresGrad, name: xName });
      if (params.length) s.params = params;
      steps.push(s);
    }
    cur = n.id;
  }
  return { inShape: x0.shape.slice(), steps, orders: chainOrders(sizesOf(x0, steps)) };
}

/** [d_0, d_1, …, d_k]: the input's size, then each step's output size. */
function sizesOf(x: Tensor, steps: readonly StepJacobian[]): number[] {
  return [x.size, ...steps.map((s) => s.rows)];
}
/** The node whose shape a step's Jacobian columns follow: the last non-reshape node on the chain before it (or x). */
function stepInput(nodes: { op: string; inputs: number[] }[], cur: number, depends: Set<number>): number {
  let i = cur;
  while (nodes[i].op === 'reshape') {
    const prev = nodes[i].inputs.find((j) => depends.has(j));
    if (prev === undefined) break;
    i = prev;
  }
  return i;
}
