/**
 * From engine objects to display payloads (the contract's types): traces to
 * graphs, gradient-check reports, Jacobian chains (and the JacobianChain that
 * gl.jacobianChain returns, made of ad/chain.ts's data). Pure data, no I/O.
 */
import type { BackwardRule, GradCheckPayload, GraphNode, GraphPayload, JacobianChainPayload, JacobianChainStep, Num, TensorSummary } from './contract';
import { GRAPH_NODE_LIMIT, SUMMARY_ENTRIES } from './contract';
import type { ChainOrder, ParamJacobian } from './contract';
import type { GradCheckReport } from '../ad/gradcheck';
import { chainCosts, jacobianChainData, type ChainStep } from '../ad/chain';
import type { NodeCheckEntry } from '../ad/local-check';
import { inputGrads, type Trace, type TraceNode } from '../trace';
import { backwardRule } from './op-table';
import { Tensor, type TensorLike } from '../tensor';
import { fmtShape } from '../errors';

/** A number as JSON can carry it. */
export function num(v: number): Num {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

/** A number rounded to `digits` significant digits, as JSON can carry it. */
function numTo(v: number, digits: number): Num {
  return Number.isFinite(v) ? (v === 0 ? 0 : +v.toPrecision(digits)) : num(v);
}

/**
 * Shape, a few entries and statistics of a tensor: all entries up to
 * `entries` (default {@link SUMMARY_ENTRIES}), else the first `entries`;
 * numbers rounded to `digits` significant digits when given (exact by default).
 */
export function summarize(t: Tensor, entries: number = SUMMARY_ENTRIES, digits?: number): TensorSummary {
  const size = t.size;
  const out = digits ? (v: number) => numTo(v, digits) : num;
  if (size === 1) {
    // one entry (every node of a micrograd graph): it is the min, max and mean, rounded once
    const v = t._data === null ? t._v : t._data[0];
    const x = out(v);
    return { shape: t.shape.slice(), dtype: t.dtype, size, values: [x], truncated: false, min: x, max: x, mean: x };
  }
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
  const keep = Math.max(1, Math.min(entries, SUMMARY_ENTRIES));
  const truncated = size > keep;
  const values: Num[] = [];
  for (let i = 0; i < Math.min(size, keep); i++) values.push(out(get(i)));
  return {
    shape: t.shape.slice(),
    dtype: t.dtype,
    size,
    values,
    truncated,
    min: nan ? 'NaN' : out(size ? min : NaN),
    max: nan ? 'NaN' : out(size ? max : NaN),
    mean: out(size ? sum / size : NaN),
  };
}

/** Graphs larger than this are cut to the nodes nearest the output; a 10,000-node graph (a micrograd MLP over a few dozen examples) is sent whole. */
export { GRAPH_NODE_LIMIT };

/**
 * How a graph of `nodes` nodes summarises its tensors: up to 2,000 nodes every
 * summary has {@link SUMMARY_ENTRIES} entries and exact numbers; past that
 * fewer entries (4 past 5,000) and numbers to 6 significant digits (the view
 * shows 4), so a 10,000-node graph stays a few MB. Statistics (min, max, mean)
 * always cover every entry.
 */
function graphSummary(nodes: number): { entries: number; digits?: number } {
  return nodes <= 2000 ? { entries: SUMMARY_ENTRIES } : { entries: nodes <= 5000 ? 8 : 4, digits: 6 };
}

/**
 * Bytes of JSON a graph payload aims to stay under (3/4 of MAX_PAYLOAD_BYTES):
 * past it, the nodes farthest from the output are left out, and so are the
 * branch contributions (`inputGrads`) of the op nodes farthest from the output.
 * A 0-d node costs ~350 bytes and its contributions ~200; its rule is a
 * reference into the payload's rule table (~12 bytes).
 */
export const GRAPH_PAYLOAD_BUDGET = 6 * 1024 * 1024;

/** JSON bytes of the graph payloads measured while they were built (the common case: the whole graph fits). */
const measured = new WeakMap<GraphPayload, number>();

/**
 * The backward rules of a trace's op nodes, each computed once per kind of
 * node: attribute-less nodes with the same op and shapes (every scalar `add`
 * of a micrograd graph) share one rule object.
 */
class RuleTable {
  private readonly cache = new Map<string, BackwardRule | null>();

  ruleFor(n: TraceNode, all: readonly TraceNode[]): BackwardRule | null {
    const p = n.primitive!;
    const subject = () => ({ shape: n.shape, inputs: n.inputs.map((i) => all[i].shape), attrs: n.rawAttrs });
    // a node with attributes (axes, ta/tb, ...) gets its own rule; the table still lists equal rules once
    if (n.rawAttrs !== undefined) return backwardRule(p.name, p.custom, subject()) ?? null;
    let key = `${p.custom ? 1 : 0}${p.name}|${n.shape.join(',')}`;
    for (const i of n.inputs) key += `|${all[i].shape.join(',')}`;
    let rule = this.cache.get(key);
    if (rule === undefined) this.cache.set(key, (rule = backwardRule(p.name, p.custom, subject()) ?? null));
    return rule;
  }
}

/**
 * The graph payload of a trace: every node with its value, its gradient after
 * backward, the backward rule of each op (listed once in `rules`, referenced
 * by `ruleRef`) and the gradient it sent to each operand (see
 * {@link inputGrads}). Graphs past `limit` nodes (default
 * {@link GRAPH_NODE_LIMIT}) or past {@link GRAPH_PAYLOAD_BUDGET} bytes keep the
 * nodes nearest the output, and `omitted` says what was left out.
 */
export function graphPayload(tr: Trace, opts: { title?: string; limit?: number } = {}): GraphPayload {
  const b = graphNodes(tr, opts);
  // the common case: everything fits, measured with one JSON.stringify instead of one per node
  b.made.forEach((node, j) => {
    if (b.sent[j]) node.inputGrads = b.sent[j]!;
  });
  const whole = finishGraph(b, b.made, b.first, 0);
  const bytes = jsonBytes(whole);
  if (bytes <= GRAPH_PAYLOAD_BUDGET) {
    measured.set(whole, bytes);
    return whole;
  }
  // too large: undo what finishGraph did, then keep the nodes nearest the output while the budget lasts
  b.made.forEach((node, j) => {
    delete node.inputGrads;
    delete node.ruleRef;
    node.id = b.first + j;
    node.inputs = b.all[b.first + j].inputs.slice();
  });
  const { built, offset, total } = nearestWithinBudget(b);
  const skipped = contributionsWithinBudget(b, built, total);
  return finishGraph(b, built, offset, skipped);
}

/** What {@link graphPayload} works from: the trace, the nodes made of it, their contributions and rules. */
interface GraphBuild {
  tr: Trace;
  all: readonly TraceNode[];
  limit: number;
  title?: string;
  /** Id of the first node made: at most the last `limit` nodes in topological order are, the ones nearest the output. */
  first: number;
  made: GraphNode[];
  /** What each made node sent to its operands (`inputGrads`), summarised; null when it sent nothing. */
  sent: ((TensorSummary | null)[] | null)[];
  ruleOfNode: Map<GraphNode, BackwardRule>;
}

/** The payload nodes of (the last `limit` nodes of) a trace, their summarised contributions and their rules. */
function graphNodes(tr: Trace, opts: { title?: string; limit?: number }): GraphBuild {
  const limit = opts.limit ?? GRAPH_NODE_LIMIT;
  const all = tr.nodes;
  const first = Math.max(0, all.length - limit);
  const { entries, digits } = graphSummary(all.length - first);
  const rules = new RuleTable();
  const ruleOfNode = new Map<GraphNode, BackwardRule>();
  const nodeOf = (n: TraceNode): GraphNode => {
    const node: GraphNode = {
      id: n.id,
      kind: n.kind,
      op: n.op,
      name: n.name,
      inputs: n.inputs.slice(),
      shape: n.shape.slice(),
      value: summarize(n.value, entries, digits),
      grad: n.grad ? summarize(n.grad, entries, digits) : null,
      requiresGrad: n.requiresGrad,
      scope: n.scope.slice(),
    };
    if (n.attrs) node.attrs = n.attrs;
    if (n.primitive) {
      const rule = rules.ruleFor(n, all);
      if (rule) ruleOfNode.set(node, rule);
    }
    return node;
  };
  const contributions = (n: TraceNode) => {
    const gs = n.primitive && n.grad ? inputGrads(tr, n) : null;
    return gs ? gs.map((g) => (g ? summarize(g, entries, digits) : null)) : null;
  };
  const made = all.slice(first).map(nodeOf);
  const sent = made.map((_, j) => contributions(all[first + j]));
  return { tr, all, limit, title: opts.title, first, made, sent, ruleOfNode };
}

/**
 * The nodes nearest the output that fit the budget with their rules (at
 * least the output), in topological order; `offset` is the first id kept and
 * `total` the bytes counted so far.
 */
function nearestWithinBudget(b: GraphBuild): { built: GraphNode[]; offset: number; total: number } {
  // the payload's other fields, the title and `omitted` (a few hundred bytes)
  const fixed = 1024 + (b.title ? jsonBytes(b.title) : 0);
  const built: GraphNode[] = [];
  const counted = new Set<BackwardRule>();
  let offset = b.first;
  let total = fixed;
  for (let k = b.all.length - 1; k >= b.first; k--) {
    const node = b.made[k - b.first];
    const rule = b.ruleOfNode.get(node);
    // `"ruleRef":12345,` and, the first time a rule is seen, its entry in the table
    let bytes = jsonBytes(node) + 1 + (rule ? 16 : 0);
    if (rule && !counted.has(rule)) bytes += jsonBytes(rule) + 1;
    if (total + bytes > GRAPH_PAYLOAD_BUDGET && built.length) {
      offset = k + 1;
      break;
    }
    if (rule) counted.add(rule);
    total += bytes;
    built.push(node);
  }
  built.reverse();
  return { built, offset, total };
}

/**
 * Gives the kept nodes their contributions, nearest the output first, while
 * the budget lasts; once one is left out, all farther ones are, so "nearest
 * the output" stays true. Returns how many op nodes went without.
 */
function contributionsWithinBudget(b: GraphBuild, built: GraphNode[], total: number): number {
  let skipped = 0;
  for (let j = built.length - 1; j >= 0; j--) {
    const id = built[j].id;
    const n = b.all[id];
    if (!n.primitive || !n.grad) continue;
    const summaries = total < GRAPH_PAYLOAD_BUDGET ? b.sent[id - b.first] : null;
    const bytes = summaries ? jsonBytes(summaries) + 14 : 0;
    if (summaries && total + bytes <= GRAPH_PAYLOAD_BUDGET) {
      total += bytes;
      built[j].inputGrads = summaries;
    } else if (summaries || total >= GRAPH_PAYLOAD_BUDGET) {
      total = GRAPH_PAYLOAD_BUDGET;
      skipped++;
    }
  }
  return skipped;
}

/** The payload of the nodes kept (from `offset` on), ids made relative to the first, with its rule table and `omitted`. */
function finishGraph(b: GraphBuild, built: GraphNode[], offset: number, skipped: number): GraphPayload {
  const { all } = b;
  // operands left out are dropped (with their rule's Jacobian and contribution)
  const cut = new Map<GraphNode, BackwardRule>();
  if (offset > 0) {
    for (const node of built) {
      const keep = node.inputs.map((i) => i >= offset);
      node.id -= offset;
      node.inputs = node.inputs.filter((_, j) => keep[j]).map((i) => i - offset);
      const rule = b.ruleOfNode.get(node);
      if (rule && keep.includes(false)) cut.set(node, { ...rule, jacobians: rule.jacobians.filter((_, j) => keep[j]) });
      if (node.inputGrads) node.inputGrads = node.inputGrads.filter((_, j) => keep[j]);
    }
  }
  const table = ruleRefs(built, (node) => cut.get(node) ?? b.ruleOfNode.get(node));
  const p: GraphPayload = { version: 1, kind: 'graph', output: b.tr.output - offset, nodes: built };
  if (b.title) p.title = b.title;
  if (table.length) p.rules = table;
  const reasons: string[] = [];
  if (offset > 0) {
    reasons.push(
      `the graph has ${all.length} nodes; the ${built.length} nearest the output are drawn and ${offset} earlier ones are left out` +
        (offset > all.length - b.limit ? ` (to keep the payload under ${mb(GRAPH_PAYLOAD_BUDGET)})` : ''),
    );
  }
  if (skipped > 0) {
    reasons.push(
      `the gradients sent to each operand (branch contributions) of the ${skipped} op nodes farthest from the output are left out ` +
        `to keep the payload under ${mb(GRAPH_PAYLOAD_BUDGET)}`,
    );
  }
  if (reasons.length) p.omitted = { nodes: offset, reason: reasons.join('; ') };
  return p;
}

/** The rule table of the nodes kept: each distinct rule once, in order of first use; sets each node's `ruleRef`. */
function ruleRefs(built: GraphNode[], ruleOf: (node: GraphNode) => BackwardRule | undefined): BackwardRule[] {
  const table: BackwardRule[] = [];
  const refOf = new Map<string, number>();
  const keyOf = new Map<BackwardRule, string>();
  for (const node of built) {
    const rule = ruleOf(node);
    if (!rule) continue;
    let key = keyOf.get(rule);
    if (key === undefined) keyOf.set(rule, (key = JSON.stringify(rule)));
    let ref = refOf.get(key);
    if (ref === undefined) {
      refOf.set(key, (ref = table.length));
      table.push(rule);
    }
    node.ruleRef = ref;
  }
  return table;
}

/**
 * The JSON size in bytes that {@link graphPayload} measured for `p`, if it did,
 * so `gl.show` does not serialize a 10,000-node graph twice only to check its
 * size. Only valid for a payload not changed since it was built.
 */
export function measuredBytes(p: object): number | undefined {
  return measured.get(p as GraphPayload);
}

/** UTF-8 bytes of a value's JSON. */
function jsonBytes(x: unknown): number {
  return Buffer.byteLength(JSON.stringify(x));
}

function mb(n: number): string {
  return `${(n / (1024 * 1024)).toFixed(0)} MB`;
}

/** Most entries a gradient-check payload lists (worst first). */
const GRADCHECK_ENTRY_LIMIT = 200;

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
    forward:
      'skipped' in f ? { skipped: f.skipped } : { ok: f.ok, jvp: num(f.jvp), numerical: num(f.numerical), vjpDot: num(f.vjpDot), relError: num(f.relError) },
  };
  const title = opts.title ?? r.title;
  if (title) p.title = title;
  if (r.graph && r.nodes) p.graph = checkedGraphPayload(r.graph, r.nodes);
  return p;
}

/** The graph of a `{nodes: true}` check: every op node carries its local `check`. */
function checkedGraphPayload(tr: Trace, checks: NodeCheckEntry[]): GraphPayload {
  const g = graphPayload(tr);
  // the payload keeps the last nodes of the trace when it cuts: ids shift by what was left out
  const offset = tr.nodes.length - g.nodes.length;
  for (const c of checks) {
    const node = g.nodes[c.id - offset];
    if (!node) continue;
    node.check = { ok: c.ok, relError: num(c.relError), absError: num(c.absError), count: c.count };
  }
  return g;
}

// ---- Jacobian chains (the data: ad/chain.ts) ---------------------------------

/** (The chain's multiply-adds are computed in ad/chain.ts, with its orders.) */
export { chainCosts };

const count = (n: number) => n.toLocaleString('en-US');

/** A Jacobian chain; `gl.show(chain)` draws it. */
export class JacobianChain {
  constructor(readonly payload: JacobianChainPayload) {}

  /** Steps from input to output. */
  get steps(): JacobianChainStep[] {
    return this.payload.steps;
  }
  /** Multiply-adds of forward-order accumulation. */
  get forwardCost(): number {
    return this.payload.forwardCost;
  }
  /** Multiply-adds of reverse-order accumulation. */
  get reverseCost(): number {
    return this.payload.reverseCost;
  }
  /** `forward`, `reverse` or `tie`. */
  get winner(): 'forward' | 'reverse' | 'tie' {
    return this.payload.winner;
  }
  /**
   * Forward order, reverse order and the cheapest order (dynamic programming
   * over the chain), each with its brackets (`J3·(J2·J1)`), multiply-adds and
   * memory: the largest number of entries alive at once (see {@link chainOrders}).
   */
  get orders(): ChainOrder[] {
    return this.payload.orders ?? [];
  }
  /** The cheapest order (the `optimal` entry of {@link orders}). */
  get optimal(): ChainOrder | undefined {
    return this.orders.find((o) => o.name === 'optimal');
  }
  /** The parameters of the chain's FC steps (W, b): their full Jacobian next to what backprop computes. */
  get params(): (ParamJacobian & { step: number; label: string })[] {
    return this.steps.flatMap((s, i) => (s.params ?? []).map((p) => ({ ...p, step: i + 1, label: s.label })));
  }

  toString(): string {
    const p = this.payload;
    const lines = [`Jacobian chain ${fmtShape(p.inShape)} → ${fmtShape(p.outShape)}:`];
    for (const s of p.steps) lines.push(`  ${s.label}: ${fmtShape(s.inShape)} → ${fmtShape(s.outShape)}, Jacobian ${s.rows} × ${s.cols}`);
    lines.push(`  forward order (input side first): ${count(p.forwardCost)} multiply-adds`);
    lines.push(`  reverse order (output side first): ${count(p.reverseCost)} multiply-adds`);
    lines.push(`  → ${p.winner === 'tie' ? 'both orders cost the same' : `${p.winner} mode is cheaper here`}`);
    const opt = this.optimal;
    if (opt) lines.push(`  cheapest order (dynamic programming): ${opt.order}, ${count(opt.cost)} multiply-adds, memory ${count(opt.memory)} entries`);
    for (const q of this.params) {
      lines.push(
        `  J${q.step} ${q.label}: ∂y/∂${q.name} is ${count(q.jacobian[0])} × ${count(q.jacobian[1])} (${count(q.nonzero)} non-zero); ` +
          `backprop computes ${q.backprop.formula}, ${fmtShape(q.backprop.shape)}, ${count(q.backprop.cost)} multiply-adds`,
      );
    }
    return lines.join('\n');
  }

  /** @internal */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/**
 * The Jacobian chain of f at x: each step's Jacobian shape, and forward,
 * reverse and the cheapest order of multiplying them (multiply-adds and
 * memory, see {@link chainOrders}).
 *
 * Give the steps as an array (`[fc1, relu, fc2, loss]`) of functions or nn
 * layers (a Sequential, or `gl.nn.mlp(...)`, alone or in the array, counts as
 * its layers), labelled by `opts.labels`, the layers' names or the functions'
 * names; or one function whose recorded ops between x and the output form a
 * chain (reshapes are skipped: their Jacobian is the identity).
 *
 * A step that multiplies by a parameter (an `nn.Linear`, or a matmul with a
 * tensor made with `{requiresGrad: true}`; also x itself when x requires grad
 * and the first step multiplies by it) lists the parameter's full Jacobian
 * ∂y/∂W next to what backprop computes instead (`step.params`).
 */
export function jacobianChain(f: ChainStep | ChainStep[], x: TensorLike, opts: { labels?: (string | undefined)[]; title?: string } = {}): JacobianChain {
  const c = jacobianChainData(f, x, opts);
  return new JacobianChain(jacobianChainPayload(c.steps, c.inShape, { ...opts, orders: c.orders }));
}

/** The payload of a Jacobian chain with these steps, from an input of shape `inShape`. */
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
