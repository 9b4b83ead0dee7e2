/**
 * The four ways of computing a gradient, side by side, for one function of
 * scalars at one point: a person's own derivative (optional), symbolic
 * differentiation, finite differences, and AD in forward and reverse mode.
 *
 * Values come from running each way: `evaluate` of the symbolic derivatives,
 * `numericalGrad`, one `jvp` per input, one `grad`. Operations are counted on
 * the expression graph, which is what each way computes: the symbolic
 * derivatives evaluated as written (trees), 2n evaluations of f's N ops, n
 * forward passes each of N ops and its new tangent ops, one forward pass and
 * the new adjoint ops. Times are medians of a few runs (this is small work:
 * they show orders of magnitude, not benchmarks).
 */
import { fail, GradlabError } from '../errors';
import { grad, jvp } from '../ad/functional';
import { numericalGrad } from '../ad/numerical';
import type { Tensor } from '../tensor';
import '../tensor-methods';
import { constant, type Expr } from './expr';
import { gradient, topological, derivative } from './diff';
import { symbolic } from './index';

export interface CompareOptions {
  /** Names of the inputs (default x1, x2, …). */
  names?: string[];
  /** A person's own gradient: from the point's values, one number per input. */
  manual?: (x: number[]) => number[];
  /** The finite-difference step (default 1e-4, central differences). */
  h?: number;
}

export type WayId = 'manual' | 'symbolic' | 'numerical' | 'forward' | 'reverse';

export interface Way {
  id: WayId;
  label: string;
  detail: string;
  values: number[] | null;
  relErrors: number[] | null;
  /** f evaluations (null: not of f), operations counted on the expression graph (null: unknown, a person's own code), ms. */
  cost: { fEvals: number | null; ops: number | null; ms: number };
  error?: string;
}

export interface Comparison {
  f: Expr;
  names: string[];
  point: number[];
  value: number;
  derivatives: Expr[];
  ways: Way[];
  notes: string[];
}

function isPoint(x: unknown): x is readonly number[] {
  return Array.isArray(x) && x.every((v) => typeof v === 'number' && Number.isFinite(v));
}

/** Op nodes (not variables or constants) of the DAG under `roots`, each once. */
function opNodes(roots: readonly Expr[]): Set<Expr> {
  const s = new Set<Expr>();
  for (const r of roots) for (const n of topological(r)) if (n.args.length) s.add(n);
  return s;
}

/** Op nodes of e written out as a tree: the work of evaluating it as written. */
function treeOps(e: Expr): number {
  const memo = new Map<Expr, number>();
  for (const n of topological(e)) memo.set(n, n.args.length ? 1 + n.args.reduce((t, a) => t + memo.get(a)!, 0) : 0);
  return memo.get(e)!;
}

/** Median wall time of `run` in ms, over as many runs as fit in about 20 ms (at least 3). */
function timed<T>(run: () => T): { result: T; ms: number } {
  const times: number[] = [];
  let result!: T;
  const until = performance.now() + 20;
  do {
    const t0 = performance.now();
    result = run();
    times.push(performance.now() - t0);
  } while (times.length < 3 || (performance.now() < until && times.length < 200));
  times.sort((a, b) => a - b);
  return { result, ms: times[times.length >> 1] };
}

/**
 * |v − s| / max(|s|, |v|) per input (s the symbolic value): relative to the larger of the two, so a
 * derivative that is 0 gives 0 when matched and 1 (all wrong) when not, never 1e+300.
 */
function relErrors(values: readonly number[], exact: readonly number[]): number[] {
  return values.map((v, i) => {
    const d = Math.abs(v - exact[i]);
    return d === 0 ? 0 : Number.isNaN(d) ? NaN : d / Math.max(Math.abs(exact[i]), Math.abs(v));
  });
}

/** The four ways for `f` at `point`. */
export function compareWays(f: (...xs: Tensor[]) => Tensor | number, point: readonly number[], opts: CompareOptions = {}): Comparison {
  const what = 'fourWays';
  if (!isPoint(point)) {
    fail(`${what}: the point must be an array of finite numbers, one per input of f, got ${JSON.stringify(point)}`);
  }
  const n = point.length;
  const names = opts.names ?? point.map((_, i) => `x${i + 1}`);
  if (names.length !== n) fail(`${what}: ${names.length} names for a point of ${n} inputs`);
  const h = opts.h ?? 1e-4;
  const at = Object.fromEntries(names.map((k, i) => [k, point[i]]));
  const sym = timed(() => {
    const e = symbolic(f, names);
    const ds = names.map((k) => derivative(e, k));
    return { e, ds, values: ds.map((d) => (d ? d.evaluate(at) : 0)) };
  });
  const { e, ds } = sym.result;
  const exact = sym.result.values;
  const fNodes = opNodes([e]);
  const fOps = fNodes.size;
  const derivatives = ds.map((d) => d ?? constant(0));
  const ways: Way[] = [];
  if (opts.manual) ways.push(manualWay(opts.manual, point, exact));
  ways.push({
    id: 'symbolic',
    label: 'symbolic',
    detail: `${n} derivative expression${n === 1 ? '' : 's'}, evaluated as written`,
    values: exact,
    relErrors: exact.map(() => 0),
    cost: { fEvals: null, ops: ds.reduce((t, d) => t + (d ? treeOps(d) : 0), 0), ms: sym.ms },
  });
  const num = timed(() => numericalGrad(f, [...point], { h }).map((t) => t.item()));
  ways.push({
    id: 'numerical',
    label: 'numerical',
    detail: `central differences, h = ${h}`,
    values: num.result,
    relErrors: relErrors(num.result, exact),
    cost: { fEvals: 2 * n, ops: 2 * n * fOps, ms: num.ms },
  });
  const fwd = timed(() =>
    names.map((_, i) =>
      jvp(
        f,
        point as number[],
        point.map((_v, j) => (i === j ? 1 : 0)),
      ).tangent.item(),
    ),
  );
  const fwdOps = n * fOps + ds.reduce((t, d) => t + (d ? newOps([d], fNodes) : 0), 0);
  ways.push({
    id: 'forward',
    label: 'AD forward mode',
    detail: `${n} forward pass${n === 1 ? '' : 'es'} with tangents, one per input`,
    values: fwd.result,
    relErrors: relErrors(fwd.result, exact),
    cost: { fEvals: n, ops: fwdOps, ms: fwd.ms },
  });
  const argnums = names.map((_, i) => i);
  const rev = timed(() => grad(f, argnums)(...point).map((t) => t.item()));
  const adj = [...gradient(e).values()].filter((g): g is Expr => g !== null);
  ways.push({
    id: 'reverse',
    label: 'AD reverse mode',
    detail: '1 forward pass + 1 backward pass',
    values: rev.result,
    relErrors: relErrors(rev.result, exact),
    cost: { fEvals: 1, ops: fOps + newOps(adj, fNodes), ms: rev.ms },
  });
  return { f: e, names, point: [...point], value: e.evaluate(at), derivatives, ways, notes: kinkNotes(e, at) };
}

/** Op nodes under `roots` that f's own graph (`fNodes`) does not have: the tangent or adjoint work. */
function newOps(roots: readonly Expr[], fNodes: ReadonlySet<Expr>): number {
  let k = 0;
  for (const n of opNodes(roots)) if (!fNodes.has(n)) k++;
  return k;
}

function manualWay(manual: (x: number[]) => number[], point: readonly number[], exact: readonly number[]): Way {
  const base = { id: 'manual' as const, label: 'manual (your function)', detail: 'your derivative, evaluated at the point' };
  try {
    const run = timed(() => manual([...point]));
    const v = run.result;
    if (!Array.isArray(v) || v.length !== point.length || v.some((x) => typeof x !== 'number')) {
      throw new GradlabError(`it returned ${Array.isArray(v) ? `${v.length} values` : typeof v}; it should return ${point.length} numbers, one per input`);
    }
    return { ...base, values: v, relErrors: relErrors(v, exact), cost: { fEvals: null, ops: null, ms: run.ms } };
  } catch (err) {
    return { ...base, values: null, relErrors: null, cost: { fEvals: null, ops: null, ms: 0 }, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Where the point sits on a kink (max, min, relu, abs, a comparison at a tie): which side the rules chose. */
function kinkNotes(e: Expr, at: Readonly<Record<string, number>>): string[] {
  const notes: string[] = [];
  const value = new Map<Expr, number>();
  for (const n of topological(e)) {
    value.set(n, n.op === 'const' ? n.value : n.op === 'var' ? at[n.symbol] : n.prim.elementwise!.f(...n.args.map((a) => value.get(a)!)));
    if (!n.args.length) continue;
    const v = n.args.map((a) => value.get(a)!);
    const tie = (n.op === 'maximum' || n.op === 'minimum') && v[0] === v[1];
    const zero = (n.op === 'relu' || n.op === 'abs') && v[0] === 0;
    if (tie) notes.push(`${n.toString(200)}: its operands are equal here, a kink; the gradient goes to the first operand`);
    if (zero) notes.push(`${n.toString(200)}: its operand is 0 here, a kink; the derivative is taken as 0`);
  }
  return notes;
}
