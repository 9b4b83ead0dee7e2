/**
 * From engine objects to display payloads (the contract's types): traces to
 * graphs, gradient-check reports, Jacobian chains. Pure data, no I/O.
 */
import type {
  GradCheckPayload, GraphNode, GraphPayload, JacobianChainPayload, JacobianChainStep, Num, TensorSummary,
} from './contract';
import { SUMMARY_ENTRIES } from './contract';
import type { ChainOrder } from './contract';
import type { GradCheckReport } from '../ad/gradcheck';
import type { Trace } from '../trace';
import { Tensor } from '../tensor';

/** A number as JSON can carry it. */
export function num(v: number): Num {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

/** Shape, a few entries and statistics of a tensor. */
export function summarize(t: Tensor): TensorSummary {
  const size = t.size;
  const get = t._data === null ? (_: number) => t._v : (i: number) => t._data![i];
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let nan = false;
  for (let i = 0; i < size; i++) {
    const v = get(i);
    if (v !== v) nan = true;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const truncated = size > SUMMARY_ENTRIES;
  const values: Num[] = [];
  for (let i = 0; i < Math.min(size, SUMMARY_ENTRIES); i++) values.push(num(get(i)));
  return {
    shape: t.shape.slice(),
    dtype: t.dtype,
    size,
    values,
    truncated,
    min: nan ? 'NaN' : num(size ? min : NaN),
    max: nan ? 'NaN' : num(size ? max : NaN),
    mean: num(size ? sum / size : NaN),
  };
}

/** Graphs larger than this are cut to the nodes nearest the output. */
export const GRAPH_NODE_LIMIT = 3000;

/** The graph payload of a trace. */
export function graphPayload(tr: Trace, opts: { title?: string; limit?: number } = {}): GraphPayload {
  const limit = opts.limit ?? GRAPH_NODE_LIMIT;
  let nodes = tr.nodes;
  let omitted: GraphPayload['omitted'];
  let offset = 0;
  if (nodes.length > limit) {
    // keep the last `limit` nodes in topological order: the ones nearest the output
    offset = nodes.length - limit;
    omitted = {
      nodes: offset,
      reason: `the graph has ${nodes.length} nodes; the ${limit} nearest the output are drawn and ${offset} earlier ones are left out`,
    };
    nodes = nodes.slice(offset);
  }
  const out: GraphNode[] = nodes.map((n) => {
    const node: GraphNode = {
      id: n.id - offset,
      kind: n.kind,
      op: n.op,
      name: n.name,
      inputs: n.inputs.filter((i) => i >= offset).map((i) => i - offset),
      shape: n.shape.slice(),
      value: summarize(n.value),
      grad: n.grad ? summarize(n.grad) : null,
      requiresGrad: n.requiresGrad,
      scope: n.scope.slice(),
    };
    if (n.attrs) node.attrs = n.attrs;
    return node;
  });
  const p: GraphPayload = { version: 1, kind: 'graph', output: tr.output - offset, nodes: out };
  if (opts.title) p.title = opts.title;
  if (omitted) p.omitted = omitted;
  return p;
}

/** Most entries a gradient-check payload lists (worst first). */
export const GRADCHECK_ENTRY_LIMIT = 200;

/** The payload of a gradient-check report. */
export function gradCheckPayload(r: GradCheckReport, opts: { title?: string } = {}): GradCheckPayload {
  const f = r.forward;
  const p: GradCheckPayload = {
    version: 1,
    kind: 'gradcheck',
    ok: r.ok,
    maxRelError: num(r.maxRelError),
    tol: r.tol,
    atol: r.atol,
    h: r.h,
    inputs: r.inputs.map((i) => ({ name: i.name, shape: i.shape.slice(), ok: i.ok, maxRelError: num(i.maxRelError), count: i.count })),
    entries: r.entries.slice(0, GRADCHECK_ENTRY_LIMIT).map((e) => ({
      input: e.input,
      index: e.index.slice(),
      analytic: num(e.analytic),
      numerical: num(e.numerical),
      relError: num(e.relError),
      absError: num(e.absError),
      ok: e.ok,
    })),
    totalEntries: r.entries.length,
    forward: 'skipped' in f
      ? { skipped: f.skipped }
      : { ok: f.ok, jvp: num(f.jvp), numerical: num(f.numerical), vjpDot: num(f.vjpDot), relError: num(f.relError) },
  };
  const title = opts.title ?? r.title;
  if (title) p.title = title;
  return p;
}

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

/** The payload of a Jacobian chain. */
export function jacobianChainPayload(
  steps: JacobianChainStep[],
  inShape: number[],
  opts: { title?: string; orders?: ChainOrder[] } = {},
): JacobianChainPayload {
  const sizes = [inShape.reduce((a, b) => a * b, 1), ...steps.map((s) => s.rows)];
  const { forward, reverse } = chainCosts(sizes);
  const p: JacobianChainPayload = {
    version: 1,
    kind: 'jacobian-chain',
    inShape: inShape.slice(),
    outShape: steps.length ? steps[steps.length - 1].outShape.slice() : inShape.slice(),
    steps,
    forwardCost: forward,
    reverseCost: reverse,
    winner: forward < reverse ? 'forward' : reverse < forward ? 'reverse' : 'tie',
  };
  if (opts.title) p.title = opts.title;
  if (opts.orders) p.orders = opts.orders.map((o) => ({ ...o }));
  return p;
}
