/**
 * The gradient check: compare analytic gradients (reverse mode) with
 * numerical ones (central differences), entry by entry, and forward mode
 * (jvp) with both along a random direction.
 */
import { GradlabError, fail, fmtShape } from '../errors';
import { mul } from '../ops/elementwise';
import { sum } from '../ops/reduce';
import { detach } from '../ops/shape';
import { Rng } from '../rng';
import { Tensor, asTensor, type TensorLike } from '../tensor';
import { noGrad } from '../context';
import { checkStep, inputList, numericalGradAt, scalarValue } from './numerical';
import { jvp, vjp } from './functional';
import { backward } from './reverse';
import { checkNodes, type NodeCheckEntry } from './local-check';
import { trace, type Trace } from '../trace';

export interface GradCheckOptions {
  /** Finite-difference step (default 1e-5: small enough for O(h²) truncation, large enough for float64 rounding). */
  h?: number;
  /** Relative-error tolerance (default 1e-6). */
  tol?: number;
  /** Absolute-error tolerance for entries whose gradient is ~0, where the relative error only measures rounding noise (default 1e-8). */
  atol?: number;
  /** Seed of the random cotangent (non-scalar outputs) and the forward-mode direction (default 0). */
  seed?: number;
  /** Names of the inputs for the report (default x0, x1, ...; or the tensors' names). */
  names?: string[];
  /**
   * Also check every op node's local backward (its vjp) against central
   * differences of its own forward, at the values f computes from `inputs`;
   * the report then lists the nodes (`nodes`, worst first) and carries the
   * traced graph (`graph`), so `gl.show(report)` points at the wrong node.
   * Operands larger than `nodeEntries` entries (default 32) are sampled.
   */
  nodes?: boolean;
  /** With `nodes`: most entries compared per operand of a node (default 32). */
  nodeEntries?: number;
}

/** One checked entry. */
export interface GradCheckEntry {
  /** Which input (index into `inputs`). */
  input: number;
  /** Position within that input. */
  index: number[];
  analytic: number;
  numerical: number;
  /** |a − n| / max(1e-8, |a| + |n|) */
  relError: number;
  absError: number;
  ok: boolean;
}

export type ForwardCheck = { ok: boolean; jvp: number; numerical: number; vjpDot: number; relError: number } | { skipped: string };

/** @internal */
function relError(a: number, n: number): number {
  return Math.abs(a - n) / Math.max(1e-8, Math.abs(a) + Math.abs(n));
}

/** The report of {@link gradCheck}; `gl.show(report)` draws it. */
export class GradCheckReport {
  constructor(
    /** True when every entry and the forward-mode check pass. */
    readonly ok: boolean,
    readonly maxRelError: number,
    readonly tol: number,
    readonly atol: number,
    readonly h: number,
    readonly inputs: { name: string; shape: number[]; ok: boolean; maxRelError: number; count: number }[],
    /** Every entry, worst (largest relative error) first. */
    readonly entries: GradCheckEntry[],
    readonly forward: ForwardCheck,
    readonly title?: string,
    /** With `{nodes: true}`: every op node's local check, worst first (failing nodes first). */
    readonly nodes?: NodeCheckEntry[],
    /** With `{nodes: true}`: the graph of f at the inputs (values and, after backward with the check's cotangent, gradients). */
    readonly graph?: Trace,
  ) {}

  /** With `{nodes: true}`: the op nodes whose local backward disagrees with finite differences, worst first. */
  failingNodes(): NodeCheckEntry[] {
    return (this.nodes ?? []).filter((n) => !n.ok);
  }

  /** The k worst entries. */
  worst(k = 5): GradCheckEntry[] {
    return this.entries.slice(0, k);
  }

  /** A plain-text report (what prints in a notebook and survives export). */
  toString(): string {
    const fmt = (v: number) => (Number.isFinite(v) ? v.toPrecision(6) : String(v));
    const lines = [
      `${this.ok ? '✓ gradient check passed' : '✗ gradient check FAILED'}: max relative error ${this.maxRelError.toExponential(2)} ` +
        `(tol ${this.tol}, atol ${this.atol}, h ${this.h})`,
    ];
    for (const i of this.inputs) {
      lines.push(`  ${i.ok ? '✓' : '✗'} ${i.name} ${fmtShape(i.shape)}: ${i.count} entries, max relative error ${i.maxRelError.toExponential(2)}`);
    }
    const f = this.forward;
    if ('skipped' in f) lines.push(`  – forward mode: skipped (${f.skipped})`);
    else
      lines.push(
        `  ${f.ok ? '✓' : '✗'} forward mode: jvp ${fmt(f.jvp)}, numerical ${fmt(f.numerical)}, ⟨grad, v⟩ ${fmt(f.vjpDot)}, relative error ${f.relError.toExponential(2)}`,
      );
    lines.push('  worst entries:');
    for (const e of this.worst(5)) {
      lines.push(
        `    ${e.ok ? '✓' : '✗'} ${this.inputs[e.input].name}[${e.index.join(', ')}]: analytic ${fmt(e.analytic)}, numerical ${fmt(e.numerical)}, rel ${e.relError.toExponential(2)}`,
      );
    }
    if (this.nodes) {
      const bad = this.failingNodes();
      const kinks = this.nodes.reduce((s, n) => s + n.kinks, 0);
      lines.push(
        `  ${bad.length ? '✗' : '✓'} local backward of each op node: ${this.nodes.length} checked, ${bad.length} failing` +
          (kinks ? ` (${kinks} entries at a kink left out)` : ''),
      );
      for (const n of bad.slice(0, 10)) {
        lines.push(`    ✗ node #${n.id} ${n.op}${n.name ? ` '${n.name}'` : ''}: relative error ${n.relError.toExponential(2)} over ${n.count} entries`);
      }
    }
    return lines.join('\n');
  }

  /** @internal */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

function float64Leaf(x: Tensor): Tensor {
  const d = detach(x);
  const t = new Tensor(d.shape, 'float64', d._data === null ? null : Float64Array.from(d._data), d._v);
  t._name = x.name;
  return t;
}

function randomLike(x: Tensor, g: Rng): Tensor {
  const t = new Tensor(x.shape, 'float64', x._data === null ? null : new Float64Array(x.size), 0);
  if (t._data === null) t._v = g.normal();
  else for (let i = 0; i < t.size; i++) t._data[i] = g.normal();
  return t;
}

/**
 * Check f's gradients at `inputs`: analytic (reverse mode) against numerical
 * (central differences with step h) for every entry of every input, and
 * forward mode (jvp) along a random direction against a finite difference and
 * against ⟨grad, v⟩. A non-scalar output is reduced with a fixed random
 * cotangent r as Σ r·f(x), so every output entry is checked.
 *
 * Inputs are checked in float64. An entry passes when its relative error
 * |a − n| / max(1e-8, |a| + |n|) ≤ tol or |a − n| ≤ atol. Near a kink (relu at
 * 0, max at a tie) finite differences are unreliable: move the point.
 */
export function gradCheck(f: (...xs: Tensor[]) => Tensor | number, inputs: TensorLike | TensorLike[], opts: GradCheckOptions = {}): GradCheckReport {
  const h = checkStep('gradCheck', opts.h ?? 1e-5);
  const tol = opts.tol ?? 1e-6;
  const atol = opts.atol ?? 1e-8;
  const list = inputList('gradCheck', inputs, f);
  if (list.length === 0) fail('gradCheck: give at least one input');
  const xs = list.map((x) => float64Leaf(asTensor(x, 'gradCheck')));
  const names = xs.map((x, i) => opts.names?.[i] ?? x.name ?? `x${i}`);
  const rng = new Rng(opts.seed ?? 0);

  // a scalar objective L: f itself, or Σ r·f for a non-scalar f
  const y0 = noGrad(() => f(...xs));
  const yT = typeof y0 === 'number' ? null : y0;
  if (yT !== null && !(yT instanceof Tensor)) fail(`gradCheck: f must return a Tensor or a number, got ${typeof y0}`);
  const r = yT && yT.size !== 1 ? randomLike(yT, rng) : null;
  const L = (...a: Tensor[]) => {
    const y = f(...a);
    if (r) return sum(mul(y as Tensor, r));
    // a one-element output of shape [1] or [1, 1] (a loss from matmul) is a scalar too
    return y instanceof Tensor && y.ndim > 0 ? sum(y) : y;
  };

  const { grads } = vjp(L, xs, 1);
  const entries: GradCheckEntry[] = [];
  const perInput = xs.map((x, k) => {
    const num = noGrad(() =>
      numericalGradAt(
        L,
        xs.map((t) => float64Leaf(t)),
        k,
        h,
        'central',
        'gradCheck',
      ),
    );
    const a = grads[k].toTypedArray();
    const n = num.toTypedArray();
    let worst = 0;
    let ok = true;
    for (let i = 0; i < x.size; i++) {
      const rel = relError(a[i], n[i]);
      const abs = Math.abs(a[i] - n[i]);
      const eok = rel <= tol || abs <= atol;
      if (!eok) ok = false;
      if (rel > worst || Number.isNaN(rel)) worst = rel;
      entries.push({ input: k, index: unravel(i, x.shape), analytic: a[i], numerical: n[i], relError: rel, absError: abs, ok: eok });
    }
    return { name: names[k], shape: x.shape.slice(), ok, maxRelError: worst, count: x.size };
  });
  entries.sort((p, q) => (Number.isNaN(q.relError) ? 1 : 0) - (Number.isNaN(p.relError) ? 1 : 0) || q.relError - p.relError);

  // forward mode along a random direction v
  let forward: ForwardCheck;
  const vs = xs.map((x) => randomLike(x, rng));
  try {
    const t = jvp(
      L,
      xs.map((x) => float64Leaf(x)),
      vs,
    ).tangent.item();
    const at = (s: number) =>
      scalarValue(
        'gradCheck',
        noGrad(() =>
          L(
            ...xs.map((x, k) => {
              const v = vs[k];
              const c = float64Leaf(x);
              if (c._data === null) c._v += s * v._v;
              else for (let i = 0; i < c.size; i++) c._data[i] += s * v._data![i];
              return c;
            }),
          ),
        ),
      );
    const numerical = (at(h) - at(-h)) / (2 * h);
    let dot = 0;
    grads.forEach((g, k) => {
      const a = g.toTypedArray();
      const v = vs[k].toTypedArray();
      for (let i = 0; i < a.length; i++) dot += a[i] * v[i];
    });
    const rel = Math.max(relError(t, numerical), relError(t, dot));
    const abs = Math.max(Math.abs(t - numerical), Math.abs(t - dot));
    forward = { ok: rel <= tol || abs <= atol * Math.max(1, xs.length), jvp: t, numerical, vjpDot: dot, relError: rel };
  } catch (e) {
    if (e instanceof GradlabError && /has no jvp rule/.test(e.message)) forward = { skipped: e.message };
    else throw e;
  }

  const maxRel = entries.length ? entries[0].relError : 0;
  let ok = perInput.every((i) => i.ok) && ('skipped' in forward || forward.ok);
  if (!opts.nodes) return new GradCheckReport(ok, maxRel, tol, atol, h, perInput, entries, forward);

  // every op node's local backward, on the graph of f at the inputs
  const leaves = xs.map((x) => {
    const t = float64Leaf(x);
    t._req = true;
    return t;
  });
  const y = f(...leaves);
  if (!(y instanceof Tensor) || !y._result) {
    fail('gradCheck: {nodes: true} needs f to return a Tensor computed from its inputs (no graph was recorded)');
  }
  // backward with the check's cotangent first, so the graph shows the gradients and what each node sent
  backward(y, r ?? 1);
  const graph = trace(y);
  const nodes = checkNodes(graph, { h, tol, atol, seed: opts.seed, entries: opts.nodeEntries });
  if (nodes.some((n) => !n.ok)) ok = false;
  return new GradCheckReport(ok, maxRel, tol, atol, h, perInput, entries, forward, undefined, nodes, graph);
}
