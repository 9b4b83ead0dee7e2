/**
 * The gradient check, node by node: every op node's local backward (its vjp)
 * against central differences of its own forward, at the operand values the
 * trace recorded. A wrong rule shows up at its node, not only as a wrong
 * gradient somewhere upstream (`gl.gradCheck(f, x, {nodes: true})`).
 *
 * For an op y = op(x₀, x₁, ...) and a random upstream cotangent u of y's shape,
 * the vjp must give ∂⟨u, y⟩/∂xⱼ, and entry i of that is, numerically,
 * ⟨u, op(xⱼ + h·eᵢ) − op(xⱼ − h·eᵢ)⟩ / 2h.
 */
import { noGrad } from '../context';
import { describeValue, fail } from '../errors';
import { Rng } from '../rng';
import { SCALAR_SHAPE, Tensor, valuesOf } from '../tensor';
import type { Trace, TraceNode } from '../trace';

/** One op node's local check. */
export interface NodeCheckEntry {
  /** Id of the node in the trace (`Trace.nodes[id]`). */
  id: number;
  op: string;
  name: string | null;
  /** True when every compared entry passes (relError ≤ tol or absError ≤ atol). */
  ok: boolean;
  /** Largest |analytic − numerical| / max(1e-8, |analytic| + |numerical|) over the compared entries. */
  relError: number;
  absError: number;
  /** Entries compared, over all operands (all of a small operand, a sample of a large one). */
  count: number;
  /**
   * Entries left out because the op has a kink within ±h of them (relu at 0,
   * max at a tie, |x| at 0): there the one-sided differences disagree and the
   * central difference is the average of two slopes, not a derivative.
   */
  kinks: number;
}

export interface NodeCheckOptions {
  /** Finite-difference step (default 1e-5). */
  h?: number;
  /** Relative-error tolerance (default 1e-6). */
  tol?: number;
  /** Absolute-error tolerance (default 1e-8). */
  atol?: number;
  /** Seed of the cotangents and of the sampled entries (default 0). */
  seed?: number;
  /** Most entries compared per operand; larger operands are sampled (default 32). */
  entries?: number;
}

/** A float64 copy of a tensor (the check differentiates in float64 whatever the graph's dtype). */
function float64Copy(x: Tensor): Tensor {
  if (x._data === null) return new Tensor(SCALAR_SHAPE, 'float64', null, x._v);
  return new Tensor(x.shape, 'float64', Float64Array.from(x._data), 0);
}

/** ⟨u, a − b⟩, subtracting first (the differences are small, the values need not be). */
function dotDiff(u: Float64Array, a: Tensor, b: Tensor): number {
  const va = valuesOf(a);
  const vb = valuesOf(b);
  let s = 0;
  for (let k = 0; k < u.length; k++) s += u[k] * (va[k] - vb[k]);
  return s;
}

/** `count` distinct positions of 0..n−1 (all of them when n ≤ count), in increasing order. */
function sample(n: number, count: number, rng: Rng): number[] {
  if (n <= count) return Array.from({ length: n }, (_, i) => i);
  const p = rng.permutation(n);
  return Array.from(p.subarray(0, count)).sort((a, b) => a - b);
}

/** Check one op node's local vjp against central differences of its forward. Null for leaves, constants and non-differentiable ops. */
export function checkNode(tr: Trace, n: TraceNode, opts: NodeCheckOptions = {}): NodeCheckEntry | null {
  checkTrace('checkNode', tr);
  if (!n || typeof n !== 'object' || !tr.nodes.includes(n))
    fail(`checkNode: the second argument must be a node of the trace (one of tr.nodes), got ${describeValue(n)}`);
  return checkOne(tr, n, opts);
}

function checkOne(tr: Trace, n: TraceNode, opts: NodeCheckOptions): NodeCheckEntry | null {
  const p = n.primitive;
  if (!p || !p.differentiable) return null;
  const h = opts.h ?? 1e-5;
  const tol = opts.tol ?? 1e-6;
  const atol = opts.atol ?? 1e-8;
  const perOperand = opts.entries ?? 32;
  const rng = new Rng((opts.seed ?? 0) * 1000003 + n.id);
  const attrs = n.rawAttrs;
  return noGrad(() => {
    const xs = n.inputs.map((i) => float64Copy(tr.nodes[i].value));
    const { y, saved } = p.forward(xs, attrs);
    const u = new Float64Array(y.size);
    for (let k = 0; k < u.length; k++) u[k] = rng.normal();
    const uT = y._data === null ? new Tensor(SCALAR_SHAPE, 'float64', null, u[0]) : new Tensor(y.shape, 'float64', u, 0);
    // constant operands are not checked: backward never asks for their gradient (pow's ∂/∂b = ln(a)·y
    // is NaN for a constant exponent on a negative base, and no gradient ever uses it)
    const needs = n.inputs.map((i) => tr.nodes[i].requiresGrad);
    const gxs = p.vjp(uT, { x: xs, y, attrs, saved, needs });
    let worst = 0;
    let worstAbs = 0;
    let count = 0;
    let kinks = 0;
    let ok = true;
    xs.forEach((x, j) => {
      const g = gxs[j];
      if (!needs[j] || !(g instanceof Tensor)) return; // no gradient to this operand (a condition, a custom op's null)
      const a = valuesOf(g);
      const data = x._data;
      for (const i of sample(x.size, perOperand, rng)) {
        const v = data === null ? x._v : data[i];
        const at = (s: number) => {
          if (data === null) x._v = v + s;
          else data[i] = v + s;
          const r = p.forward(xs, attrs).y;
          // forwards that share the operand's array (reshape) are read before it changes again
          return data === null ? r : new Tensor(r.shape, 'float64', Float64Array.from(valuesOf(r)), 0);
        };
        const plus = at(h);
        const minus = at(-h);
        if (data === null) x._v = v;
        else data[i] = v;
        const num = dotDiff(u, plus, minus) / (2 * h);
        const an = a[i];
        const abs = Math.abs(an - num);
        const rel = abs / Math.max(1e-8, Math.abs(an) + Math.abs(num));
        if (!(rel <= tol || abs <= atol)) {
          // NOTE: at a kink (relu at 0, a tie of max) the two one-sided slopes differ by O(1), not O(h):
          // the central difference is their average and the rule's subgradient is one of them. Such an
          // entry is left out (counted in `kinks`), so a check at a kink does not raise a false alarm.
          const fwd = dotDiff(u, plus, y) / h;
          const bwd = dotDiff(u, y, minus) / h;
          if (Math.abs(fwd - bwd) > 0.1 * Math.max(Math.abs(fwd), Math.abs(bwd)) + atol) {
            kinks++;
            continue;
          }
          ok = false;
        }
        count++;
        if (rel > worst || Number.isNaN(rel)) worst = rel;
        if (abs > worstAbs || Number.isNaN(abs)) worstAbs = abs;
      }
    });
    return { id: n.id, op: n.op, name: n.name, ok, relError: worst, absError: worstAbs, count, kinks };
  });
}

/**
 * Check every op node of a trace (see {@link checkNode}); the results worst
 * first: failing nodes, then by relative error (NaN counts as worst).
 */
export function checkNodes(tr: Trace, opts: NodeCheckOptions = {}): NodeCheckEntry[] {
  checkTrace('checkNodes', tr);
  const out: NodeCheckEntry[] = [];
  for (const n of tr.nodes) {
    const c = checkOne(tr, n, opts);
    if (c) out.push(c);
  }
  const key = (e: NodeCheckEntry) => (Number.isNaN(e.relError) ? Infinity : e.relError);
  return out.sort((a, b) => Number(a.ok) - Number(b.ok) || key(b) - key(a));
}

/** The first argument must be what gl.trace(y) returns. */
function checkTrace(what: string, tr: unknown): asserts tr is Trace {
  if (!tr || typeof tr !== 'object' || !Array.isArray((tr as Trace).nodes))
    fail(`${what}: the first argument must be a trace (gl.trace(y)), got ${describeValue(tr)}`);
}
