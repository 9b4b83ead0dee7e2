/**
 * The computational graph as a figure model: nodes, edges, scope groups and
 * their places, computed once from a payload; the extension's graph view
 * (extension/views/graph.ts, graph-draw.ts) and the static fallbacks
 * (graph-svg.ts) draw it. The layout algorithms are in graph-layout.ts; what
 * an op is called (its glyph) comes from the op table (../op-table.ts).
 *
 * Pure functions: no DOM, no Node APIs; shared by the extension's views and the
 * engine's static fallbacks, so both draw the same figure.
 */
import { GRAPH_NODE_LIMIT, type GraphNode, type GraphPayload, type NodeCheck, type Num, type TensorSummary } from '../contract';
import { asText, formatErr, formatNum, formatCount, formatShape, shorten, isSummary, summaryLines, toNumber, type Pt } from './format';
import { FRAME_LABEL, FRAME_PAD, MARGIN, dagreLayout, edgePath, layeredLayout, now, type Placement } from './graph-layout';
import { opEntry } from '../op-table';

// ---- graph figure ----------------------------------------------------------

/** Font metrics the layout assumes: a 12px monospace font (0.6 em per character). */
export const GRAPH_FONT_PX = 12;
const CH = 7.2;
const LINE = 16;
const PAD_X = 8;
const PAD_Y = 5;
/** Where a line's text starts after its label ("value " / "grad  "). */
export const LABEL_W = 6 * CH;
const OP_RY = 13;
const OP_GAP = 18;
/** Largest number of drawn nodes laid out by dagre; larger graphs use the fast layered layout. */
export const DAGRE_MAX_NODES = 60;
/** Most nodes a graph figure lays out: the engine's own budget (contract.ts). */
export { GRAPH_NODE_LIMIT };
/** Most edges a figure draws: twice what a 20,000-node engine graph (two operands per op) has. */
export const GRAPH_EDGE_LIMIT = 4 * GRAPH_NODE_LIMIT;
/** Scope paths are read to this depth (engine scopes nest a few levels); deeper names fold into the last level drawn. */
export const MAX_SCOPE_DEPTH = 32;

/** The empty scope and input list, shared (most nodes of a large graph have no scope). */
const EMPTY: string[] = [];
/** Op names are drawn with at most this many characters (the details panel has the full name). */
export const MAX_OP_CHARS = 24;

/** One line of text in a value box or a collapsed group's box. `label` is drawn muted before `text`. */
export interface FigureLine {
  /** `check`: a failed local gradient check; `info`: a collapsed group's size, shapes and ops. */
  role: 'title' | 'value' | 'grad' | 'check' | 'info';
  label: string;
  text: string;
  /** Baseline position. */
  x: number;
  y: number;
}

/** A failed local gradient check (contract `NodeCheck`), as drawn. */
interface FigureCheck {
  /** Id of the failing node (for a group: its worst member). */
  id: number;
  relError: Num;
  /** "rel. error 3.1e-2": the badge text, so the failure is not told by colour only. */
  text: string;
}

/** A drawn node: a value box, preceded by an op ellipse when the value is an op's result. */
export interface FigureNode {
  /** Id of the payload node. */
  id: number;
  kind: 'leaf' | 'const' | 'op';
  /** The value box (top-left corner and size). */
  box: { x: number; y: number; w: number; h: number };
  /** The op, drawn as an ellipse left of the box with an arrow into it. */
  op: { label: string; cx: number; cy: number; rx: number; ry: number } | null;
  lines: FigureLine[];
  /** A leaf whose gradient is wanted (a parameter or a differentiated input). */
  gradLeaf: boolean;
  output: boolean;
  /** Names of the node's operands (constants shown inline in the op label count too). */
  tooltip: string;
  /** Set when this node's local backward failed its gradient check. */
  check: FigureCheck | null;
}

/**
 * A scope group (`gl.scope`, nn layers) as drawn: collapsed, one box standing
 * for all its members; expanded, a labelled frame around them.
 */
export interface FigureGroup {
  /** The scope path joined by `/` (a `/` or `%` inside a name is written `%2F` / `%25`). */
  key: string;
  /** Scope path, outermost first. */
  path: string[];
  /** Nesting depth: 0 for a top-level scope. */
  depth: number;
  collapsed: boolean;
  /** Drawn nodes inside (nested groups included; constants drawn inline on their op are not counted). */
  count: number;
  /** Collapsed: the box. Expanded: the frame around its members. */
  box: { x: number; y: number; w: number; h: number };
  /** Collapsed: title and info lines. Expanded: the frame's label only. */
  lines: FigureLine[];
  /** Shapes of the values entering / leaving the group (distinct, "3× scalar"). */
  inShapes: string[];
  outShapes: string[];
  /** The most frequent ops inside, "8 mul · 8 add · 4 relu". */
  ops: string;
  /** The worst failed gradient check among its members, or null. */
  check: FigureCheck | null;
  /** One line for a tooltip / accessible label. */
  tooltip: string;
}

/** A drawn edge from an operand's box (or a collapsed group) to an op (or a collapsed group). */
export interface FigureEdge {
  /** Payload ids of the two ends (for a collapsed group: the member the first such edge leaves or enters). */
  from: number;
  to: number;
  /** Keys of the collapsed groups at either end, when an end is a group. */
  fromGroup: string | null;
  toGroup: string | null;
  /** SVG path data. */
  d: string;
  /** Arrowhead polygon points at the op end. */
  arrow: string;
  /** The operand's shape for non-scalars, else null. */
  label: string | null;
  lx: number;
  ly: number;
}

/** Options of {@link graphFigure}. */
export interface GraphFigureOptions {
  /**
   * Keys of the groups drawn expanded (every other group is collapsed). When
   * absent, the default: everything expanded in graphs of at most
   * {@link EXPAND_ALL_MAX} drawn nodes, else groups expanded outermost first
   * while at most that many boxes are drawn.
   */
  expanded?: ReadonlySet<string>;
}

/** The laid-out graph: everything both the view and the static SVG draw. */
export interface GraphFigure {
  width: number;
  height: number;
  nodes: FigureNode[];
  edges: FigureEdge[];
  /** Visible groups: collapsed boxes, and frames of expanded groups, outermost first. */
  groups: FigureGroup[];
  /** Keys of every expanded group (visible or not): the state to start from when toggling one. */
  expanded: string[];
  /** For each node hidden in a collapsed group: the key of the group box drawn in its place. */
  hiddenIn: Map<number, string>;
  /** Notes to show above the figure (left-out nodes, missing gradients, malformed parts). */
  notes: string[];
  /** Which layout ran and how long it took (ms). */
  layout: 'dagre' | 'layered';
  layoutMs: number;
  /** Payload nodes drawn inline (constants) and so absent from `nodes`. */
  inlined: number;
  /** Set when the payload was over the budget ({@link GRAPH_NODE_LIMIT}, {@link GRAPH_EDGE_LIMIT}) and only a part was laid out. */
  cut: FigureCut | null;
}

/** What a figure left out of a payload over the budget. */
interface FigureCut {
  /** Nodes in the payload, and how many of them (the nearest the output) the figure holds. */
  total: number;
  kept: number;
  /** The note shown above the figure, also in `notes`. */
  note: string;
}

/** A payload node as the figure reads it: every field checked, unreadable parts replaced. */
export interface NormNode {
  id: number;
  kind: 'leaf' | 'const' | 'op';
  op: string;
  name: string | null;
  inputs: number[];
  shape: number[];
  value: TensorSummary | null;
  grad: TensorSummary | null;
  requiresGrad: boolean;
  attrs: unknown;
  scope: string[];
  check: NodeCheck | null;
}

/**
 * Reads a payload's nodes defensively: a malformed node becomes a visible "?"
 * node, never an exception. With `ids`, only those nodes are read, into a
 * sparse array indexed by id.
 */
export function normalizeNodes(p: GraphPayload, notes: string[], ids?: readonly number[]): NormNode[] {
  const raw: unknown[] = Array.isArray(p?.nodes) ? p.nodes : [];
  let bad = 0;
  let deep = 0;
  const one = (r: unknown, i: number): NormNode => {
    const n = (typeof r === 'object' && r !== null ? r : {}) as Partial<GraphNode>;
    const kind = n.kind === 'leaf' || n.kind === 'const' || n.kind === 'op' ? n.kind : 'op';
    const inputs = Array.isArray(n.inputs) ? n.inputs.filter((j): j is number => Number.isInteger(j) && j >= 0 && j < raw.length && j !== i) : [];
    if (typeof r !== 'object' || r === null || !isSummary(n.value) || !Array.isArray(n.inputs)) bad++;
    const c = n.check;
    let scope: unknown[] = Array.isArray(n.scope) ? n.scope : EMPTY;
    if (scope.length > MAX_SCOPE_DEPTH) {
      scope = scope.slice(0, MAX_SCOPE_DEPTH);
      deep++;
    }
    return {
      id: i,
      kind,
      op: asText(n.op, '?'),
      name: n.name == null ? null : asText(n.name),
      inputs,
      shape: Array.isArray(n.shape) ? n.shape.filter((d): d is number => typeof d === 'number') : [],
      value: isSummary(n.value) ? n.value : null,
      grad: isSummary(n.grad) ? n.grad : null,
      requiresGrad: n.requiresGrad === true,
      attrs: n.attrs,
      scope: scope.length === 0 ? EMPTY : scope.every((x): x is string => typeof x === 'string') ? scope : scope.map((x) => asText(x, '?')),
      check: typeof c === 'object' && c !== null && typeof c.ok === 'boolean' ? c : null,
    };
  };
  let out: NormNode[];
  if (ids) {
    out = new Array<NormNode>(raw.length);
    for (const i of ids) out[i] = one(raw[i], i);
  } else out = raw.map(one);
  if (bad) notes.push(`${bad} node${bad === 1 ? '' : 's'} of this payload could not be read fully (shown with "?").`);
  if (deep)
    notes.push(
      `${formatCount(deep)} node${deep === 1 ? ' has a scope' : 's have scopes'} nested deeper than ${MAX_SCOPE_DEPTH} levels: drawn in ${deep === 1 ? 'its' : 'their'} level-${MAX_SCOPE_DEPTH} group.`,
    );
  return out;
}

/**
 * The payload's nodes as the figure reads them: all of them when the payload
 * is within the budget; otherwise only the nodes nearest the output (see
 * {@link nearestOutput}), read into a sparse array by id, their inputs to
 * nodes left out dropped. `shown` lists the nodes read, in payload order.
 */
function readWithinBudget(p: GraphPayload, notes: string[]): { nodes: NormNode[]; shown: NormNode[]; cut: FigureCut | null } {
  const raw: unknown[] = Array.isArray(p?.nodes) ? p.nodes : [];
  const out = Number.isInteger(p?.output) && p.output >= 0 && p.output < raw.length ? p.output : raw.length - 1;
  const part = nearestOutput(raw, out);
  if (part === null) {
    const nodes = normalizeNodes(p, notes);
    return { nodes, shown: nodes, cut: null };
  }
  const kept = new Uint8Array(raw.length);
  for (const i of part.ids) kept[i] = 1;
  const nodes = normalizeNodes(p, notes, part.ids);
  const shown = part.ids.map((i) => nodes[i]);
  for (const n of shown) {
    const cap = part.inputCap.get(n.id);
    n.inputs = (cap === undefined ? n.inputs : n.inputs.slice(0, cap)).filter((j) => kept[j] === 1);
  }
  const note = cutNote(raw, part.ids.length, part.inputCap);
  notes.push(note);
  return { nodes, shown, cut: { total: raw.length, kept: part.ids.length, note } };
}

/** What a figure of part of a payload says: how many nodes it drew of how many, and which budget ran out. */
function cutNote(raw: unknown[], kept: number, inputCap: Map<number, number>): string {
  const total = raw.length;
  const byEdges = kept < Math.min(total, GRAPH_NODE_LIMIT) || inputCap.size > 0;
  const why = byEdges
    ? `a figure draws at most ${formatCount(GRAPH_EDGE_LIMIT)} edges`
    : `a figure lays out at most ${formatCount(GRAPH_NODE_LIMIT)} nodes, as many as the engine sends of its own graphs`;
  const parts: string[] = [];
  if (kept < total) parts.push(`the other ${formatCount(total - kept)} nodes are left out`);
  for (const [id, cap] of inputCap) {
    const ins = (raw[id] as { inputs: unknown[] }).inputs.length;
    parts.push(`${formatCount(ins - cap)} of the ${formatCount(ins)} inputs of node #${id} are left out`);
  }
  return `Drawn: the ${formatCount(kept)} nodes nearest the output of ${formatCount(total)}; ${parts.join('; ')} (${why}).`;
}

/**
 * The nodes of a payload over the budget that the figure keeps, or null when
 * the whole payload fits ({@link GRAPH_NODE_LIMIT} nodes,
 * {@link GRAPH_EDGE_LIMIT} edges). Kept: breadth first from the output along
 * inputs, while both budgets last; then, if room is left, the nodes not
 * feeding the output, latest first. Reads only what it keeps (and the first
 * node it refuses), so its work is bounded by the budget, not the payload.
 * `inputCap` cuts the inputs of a node (only the output) that alone has more
 * than the edge budget.
 */
function nearestOutput(raw: unknown[], output: number): { ids: number[]; inputCap: Map<number, number> } | null {
  const n = raw.length;
  const inputsOf = (i: number): unknown[] => {
    const r = raw[i] as { inputs?: unknown } | null | undefined;
    return typeof r === 'object' && r !== null && Array.isArray(r.inputs) ? r.inputs : EMPTY;
  };
  if (n <= GRAPH_NODE_LIMIT) {
    let edges = 0;
    for (let i = 0; i < n && edges <= GRAPH_EDGE_LIMIT; i++) edges += inputsOf(i).length;
    if (edges <= GRAPH_EDGE_LIMIT) return null;
  }
  const kept = new Uint8Array(n);
  const ids: number[] = [];
  const inputCap = new Map<number, number>();
  let edges = 0;
  /** Keeps node `v` when its inputs fit the edge budget (the first node always: cut to fit); false when full. */
  const keep = (v: number): boolean => {
    if (ids.length >= GRAPH_NODE_LIMIT) return false;
    const ins = inputsOf(v);
    if (edges + ins.length > GRAPH_EDGE_LIMIT) {
      if (ids.length > 0) return false;
      inputCap.set(v, GRAPH_EDGE_LIMIT);
    }
    edges += Math.min(ins.length, GRAPH_EDGE_LIMIT);
    kept[v] = 2;
    ids.push(v);
    return true;
  };
  if (n > 0) {
    const queue = [output];
    kept[output] = 1;
    for (let q = 0; q < queue.length; q++) {
      const v = queue[q];
      if (!keep(v)) break;
      const ins = inputsOf(v);
      const m = Math.min(ins.length, GRAPH_EDGE_LIMIT);
      for (let k = 0; k < m; k++) {
        const j = ins[k];
        if (typeof j === 'number' && Number.isInteger(j) && j >= 0 && j < n && kept[j] === 0) {
          kept[j] = 1; // queued
          queue.push(j);
        }
      }
    }
    if (ids.length === queue.length) for (let v = n - 1; v >= 0; v--) if (kept[v] === 0 && !keep(v)) break;
  }
  return { ids: ids.sort((a, b) => a - b), inputCap };
}

/** The key of a scope path: its names joined by `/`, with `%` and `/` inside a name escaped. */
export function groupKey(path: readonly string[]): string {
  return path.map((s) => s.replace(/%/g, '%25').replace(/\//g, '%2F')).join('/');
}

function isScalarConst(n: NormNode): boolean {
  return n.kind === 'const' && n.value !== null && n.value.size === 1 && n.value.values.length >= 1;
}

/**
 * The label of an op: its glyph from the op table (a custom op's name, cut),
 * with scalar constant operands written inline: `× 5`, `5 − ·`, `max(·, 0)`.
 */
function opLabel(n: NormNode, inlined: Set<number>, nodes: NormNode[]): string {
  const entry = opEntry(n.op);
  const sym = entry ? entry.glyph : shorten(n.op, MAX_OP_CHARS);
  const consts = n.inputs.map((j) => (inlined.has(j) ? formatNum(nodes[j].value!.values[0]) : null));
  let label = sym;
  if (consts.some((c) => c !== null)) {
    if (entry?.infix && n.inputs.length === 2) {
      const [a, b] = consts;
      if (a !== null && b !== null) label = `${a} ${sym} ${b}`;
      else if (b !== null) label = `${sym} ${b}`;
      else label = entry.infix === 'commutes' ? `${sym} ${a}` : `${a} ${sym} ·`;
    } else {
      label = `${sym}(${consts.map((c) => c ?? '·').join(', ')})`;
    }
  }
  return label;
}

/**
 * Short `key=value` text of an op's attributes, or '' when there are none: at
 * most 16 attributes of 16 entries each, each value cut to 64 characters.
 */
export function attrsText(attrs: unknown): string {
  if (typeof attrs !== 'object' || attrs === null) return '';
  const MAX = 16;
  const cut = (t: string) => shorten(t, 64);
  const entries: string[] = [];
  for (const k in attrs) {
    if (!Object.prototype.hasOwnProperty.call(attrs, k)) continue;
    if (entries.length === MAX) {
      entries.push('…');
      break;
    }
    const v = (attrs as Record<string, unknown>)[k];
    const text = Array.isArray(v)
      ? '[' +
        v
          .slice(0, MAX)
          .map((e) => cut(asText(e)))
          .join(',') +
        (v.length > MAX ? ',…' : '') +
        ']'
      : cut(asText(v));
    entries.push(`${cut(k)}=${text}`);
  }
  return entries.join(' ');
}

/** How a node is called in text: its name, else `#id`. */
export function nodeTitle(n: Pick<GraphNode, 'id' | 'name'>): string {
  return n.name != null && n.name !== '' ? asText(n.name) : `#${n.id}`;
}

function textWidth(s: string): number {
  return [...s].length * CH;
}

/** Graphs of at most this many drawn nodes open fully expanded; larger ones open with groups collapsed down to about this many boxes. */
export const EXPAND_ALL_MAX = 80;

/** A scope group while the figure is built. */
interface GroupInfo {
  key: string;
  path: string[];
  parent: GroupInfo | null;
  children: GroupInfo[];
  /** Drawn nodes whose innermost scope this is. */
  direct: number[];
  /** Drawn nodes inside, nested groups included. */
  count: number;
  /** Smallest member id: the group's place in topological order. */
  first: number;
  /** Only for the synthetic shared-inputs group: the names of the top-level groups its members feed. */
  feeds?: string[];
}

/**
 * Key of the synthetic group of shared inputs. {@link groupKey} writes a `%`
 * inside a scope name as `%25`, so no user scope's key contains `%s`.
 */
export const SHARED_INPUTS_KEY = '%shared inputs';

/**
 * Top-level leaves and constants that feed two or more different top-level
 * groups (the weights every `gl.scope("point k")` uses), in payload order, and
 * the names of the groups they feed; null when fewer than two such nodes.
 * Drawn one by one, each would send an edge into every group it feeds.
 */
function sharedInputs(drawn: NormNode[], tree: ScopeTree, consumers: number[][]): { members: NormNode[]; feeds: string[] } | null {
  const topOf = new Map<number, GroupInfo>();
  drawn.forEach((n, k) => {
    let g = tree.leafGroup[k];
    if (g === null) return;
    while (g.parent) g = g.parent;
    topOf.set(n.id, g);
  });
  const members: NormNode[] = [];
  const feeds = new Set<GroupInfo>();
  drawn.forEach((n, k) => {
    if (tree.leafGroup[k] !== null || n.kind === 'op') return;
    const used = new Set<GroupInfo>();
    for (const c of consumers[n.id]) {
      const g = topOf.get(c);
      if (g) used.add(g);
    }
    if (used.size < 2) return;
    members.push(n);
    for (const g of used) feeds.add(g);
  });
  if (members.length < 2) return null;
  return { members, feeds: tree.top.filter((g) => feeds.has(g)).map((g) => g.path[0]) };
}

/** Adds the shared inputs to the scope tree as a top-level group of their own, labelled "shared inputs (41)". */
function addSharedGroup(tree: ScopeTree, shared: { members: NormNode[]; feeds: string[] }): void {
  const ids = new Set(shared.members.map((n) => n.id));
  const g: GroupInfo = {
    key: SHARED_INPUTS_KEY,
    path: [`shared inputs (${formatCount(shared.members.length)})`],
    parent: null,
    children: [],
    direct: shared.members.map((n) => n.id),
    count: shared.members.length,
    first: shared.members[0].id,
    feeds: shared.feeds,
  };
  tree.byKey.set(g.key, g);
  tree.top.push(g);
  // scopeTree's leafGroup is indexed like the drawn nodes; members are found by id
  tree.leafGroup.forEach((_, k) => ids.has(tree.drawnIds[k]) && (tree.leafGroup[k] = g));
}

/** "3 groups: point 0, point 1, …". */
function feedsText(names: string[]): string {
  return `${formatCount(names.length)} group${names.length === 1 ? '' : 's'}: ${names
    .slice(0, 3)
    .map((x) => shorten(x, 32))
    .join(', ')}${names.length > 3 ? ', …' : ''}`;
}

/** A scope path as text, "layer 1 / act", each name cut to 80 characters (keys keep the full names). */
export function groupName(path: readonly string[]): string {
  return path.map((x) => shorten(x, 80)).join(' / ');
}

/** The scope groups of the drawn nodes. */
interface ScopeTree {
  /** Top-level groups in order of first appearance. */
  top: GroupInfo[];
  byKey: Map<string, GroupInfo>;
  /** The innermost group of each drawn node (indexed like the drawn nodes), or null. */
  leafGroup: (GroupInfo | null)[];
  /** Payload id of each drawn node. */
  drawnIds: number[];
}

/** The scope tree of the drawn nodes, top-level groups in order of first appearance. */
function scopeTree(drawn: NormNode[]): ScopeTree {
  const byKey = new Map<string, GroupInfo>();
  const top: GroupInfo[] = [];
  const leafGroup: (GroupInfo | null)[] = [];
  // nodes in a run share their scope array's contents: cache the last lookup
  let lastScope: string[] | null = null;
  let lastGroup: GroupInfo | null = null;
  for (const n of drawn) {
    if (n.scope.length === 0) {
      leafGroup.push(null);
      continue;
    }
    let g: GroupInfo | null;
    if (lastScope !== null && sameScope(lastScope, n.scope)) g = lastGroup;
    else {
      g = null;
      let key = '';
      for (let d = 0; d < n.scope.length; d++) {
        const part = groupKey([n.scope[d]]);
        key = d === 0 ? part : `${key}/${part}`;
        let next = byKey.get(key);
        if (!next) {
          next = { key, path: n.scope.slice(0, d + 1), parent: g, children: [], direct: [], count: 0, first: n.id };
          byKey.set(key, next);
          if (g) g.children.push(next);
          else top.push(next);
        }
        g = next;
      }
      lastScope = n.scope;
      lastGroup = g;
    }
    g!.direct.push(n.id);
    for (let a: GroupInfo | null = g; a; a = a.parent) a.count++;
    leafGroup.push(g);
  }
  return { top, byKey, leafGroup, drawnIds: drawn.map((n) => n.id) };
}

function sameScope(a: string[], b: string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The default expanded set: all groups when at most {@link EXPAND_ALL_MAX}
 * nodes are drawn; otherwise groups opened outermost first (in order of
 * appearance) while the number of drawn boxes stays within that limit.
 */
function defaultExpanded(tree: ScopeTree, drawnCount: number, unscoped: number): Set<string> {
  const expanded = new Set<string>();
  if (drawnCount <= EXPAND_ALL_MAX) {
    for (const k of tree.byKey.keys()) expanded.add(k);
    return expanded;
  }
  let boxes = unscoped + tree.top.length;
  const queue = tree.top.slice();
  for (let i = 0; i < queue.length; i++) {
    const g = queue[i];
    const more = g.children.length + g.direct.length - 1;
    if (boxes + more > EXPAND_ALL_MAX) continue;
    boxes += more;
    expanded.add(g.key);
    queue.push(...g.children);
  }
  return expanded;
}

/** The failed check to badge: "rel. error 3.1e-2". */
function figureCheck(id: number, c: NodeCheck): FigureCheck {
  return { id, relError: c.relError, text: `rel. error ${formatErr(c.relError)}` };
}

/** Distinct shapes with their multiplicity: "3× scalar", "[2×3]" (at most three, then "+N more"). */
function shapeList(shapes: Map<string, number>): string[] {
  const out = [...shapes].sort((a, b) => b[1] - a[1]).map(([s, k]) => (k > 1 ? `${k}× ${s}` : s));
  return out.length > 3 ? [...out.slice(0, 3), `+${out.length - 3} more`] : out;
}

/**
 * Lays out a graph payload: value boxes (name, shape, value, gradient), op
 * ellipses in front of the values they produce (micrograd style: the op is a
 * gate the gradient flows back through, the box is what it holds), scalar
 * constants inline on their op, edges labelled with non-scalar shapes.
 *
 * Nodes with a scope (`gl.scope`, nn layers) are grouped: a collapsed group is
 * one box (its name, node count, the shapes entering and leaving it, its most
 * frequent ops) with the edges of its members; an expanded one is a labelled
 * frame around its members. Hidden members are not laid out at all, which is
 * what keeps a grouped graph of 10,000 nodes fast.
 *
 * Left to right in topological order: dagre for graphs up to
 * {@link DAGRE_MAX_NODES} drawn boxes; above that, a linear-time layered layout
 * (longest-path ranks, barycenter ordering, straight curved edges), since
 * dagre's crossing minimisation and positioning take seconds past a few
 * hundred nodes.
 *
 * The phases, each a function below: read the payload within the budget
 * ({@link readGraph}), group ({@link groupNodes}), make the boxes
 * ({@link buildUnits}) and the edges between them ({@link unitEdges}), lay
 * out ({@link runLayout}), put frames around expanded groups
 * ({@link frameBoxes}), place the boxes ({@link placeUnits},
 * {@link frameGroups}) and the edges ({@link figureEdges}).
 */
export function graphFigure(p: GraphPayload, opts: GraphFigureOptions = {}): GraphFigure {
  const notes: string[] = [];
  omittedNote(p, notes);
  const read = readGraph(p, notes);
  gradientNotes(read.shown, notes);
  const grouping = groupNodes(read, opts);
  const units = buildUnits(read, grouping);
  const edgeList = unitEdges(read, units, grouping.drawn);
  const frames = visibleFrames(grouping.tree.top, grouping.expanded);
  const { pos, layout, layoutMs } = runLayout(units.list, edgeList, frames);
  const frameBox = frameBoxes(units.list, pos, frames, grouping.expanded);
  const placed = placeUnits(read, units.list, pos);
  const groups = [...placed.groups, ...frameGroups(read.nodes, frames, frameBox, placed.nodes)];
  groups.sort((a, b) => a.depth - b.depth || (a.collapsed === b.collapsed ? 0 : a.collapsed ? 1 : -1));
  const edges = figureEdges(read.nodes, units.list, edgeList, placed, pos);
  const size = figureSize(units.list, placed.unitBox, pos, frameBox);
  const collapsedCount = groups.filter((g) => g.collapsed).length;
  if (collapsedCount > 0) {
    const hidden = units.hiddenIn.size - [...read.inlined].filter((j) => units.hiddenIn.has(j)).length;
    notes.push(
      `${formatCount(hidden)} of ${formatCount(grouping.drawn.length)} nodes are inside ${formatCount(collapsedCount)} collapsed scope group${collapsedCount === 1 ? '' : 's'}.`,
    );
  }
  return {
    width: size.width,
    height: size.height,
    nodes: placed.nodes,
    edges,
    groups,
    expanded: [...grouping.expanded].filter((k) => grouping.tree.byKey.has(k)),
    hiddenIn: units.hiddenIn,
    notes,
    layout,
    layoutMs,
    inlined: read.inlined.size,
    cut: read.cut,
  };
}

/** The note on what the engine left out of the payload, if it says so. */
function omittedNote(p: GraphPayload, notes: string[]): void {
  if (!p?.omitted || typeof p.omitted !== 'object') return;
  const reason = asText(p.omitted.reason, 'graph too large');
  // no node left out, only some of their data (e.g. branch contributions): the reason says what
  notes.push(p.omitted.nodes === 0 ? `Left out: ${reason}.` : `${formatCount(p.omitted.nodes)} node${p.omitted.nodes === 1 ? '' : 's'} left out: ${reason}.`);
}

/** The payload as the figure reads it. */
interface GraphRead {
  /** Nodes by id (sparse when the payload was cut to the budget). */
  nodes: NormNode[];
  /** The nodes read, in payload order. */
  shown: NormNode[];
  cut: FigureCut | null;
  output: number;
  /** The ops consuming each node. */
  consumers: number[][];
  /** Scalar constants drawn inline on the ops they feed. */
  inlined: Set<number>;
  /** `formatShape` of node `j`, computed once (a group box lists the shapes of many edges). */
  shapeOf: (j: number) => string;
}

/** Reads the payload within the budget: its nodes, their consumers, and which constants are drawn inline on their op. */
function readGraph(p: GraphPayload, notes: string[]): GraphRead {
  const { nodes, shown, cut } = readWithinBudget(p, notes);
  const output = typeof p?.output === 'number' ? p.output : nodes.length - 1;
  const consumers: number[][] = new Array<number[]>(nodes.length);
  for (const n of shown) consumers[n.id] = [];
  for (const n of shown) for (const j of n.inputs) consumers[j].push(n.id);
  const shapeTexts: (string | undefined)[] = [];
  const shapeOf = (j: number) => (shapeTexts[j] ??= formatShape(nodes[j].shape));
  const inlined = new Set<number>();
  for (const n of shown) {
    if (isScalarConst(n) && n.id !== output && consumers[n.id].length > 0 && consumers[n.id].every((c) => nodes[c].kind === 'op')) {
      inlined.add(n.id);
    }
  }
  return { nodes, shown, cut, output, consumers, inlined, shapeOf };
}

/** Notes on the gradients: none yet, or nodes that failed their local gradient check (and the worst). */
function gradientNotes(shown: NormNode[], notes: string[]): void {
  if (shown.length > 0 && !shown.some((n) => n.grad !== null)) {
    notes.push('No gradients yet: call backward() on the output before showing the graph to see them.');
  }
  const failed = shown.filter((n) => n.check !== null && !n.check.ok);
  if (failed.length === 0) return;
  const worst = failed.reduce((a, b) => (toNumber(b.check!.relError) > toNumber(a.check!.relError) || Number.isNaN(toNumber(b.check!.relError)) ? b : a));
  notes.push(
    `${failed.length} node${failed.length === 1 ? '' : 's'} failed the local gradient check (highlighted); worst: ${nodeTitle(worst)} (${worst.op}), rel. error ${formatErr(worst.check!.relError)}.`,
  );
}

/** The scope groups of the drawn nodes and which of them are expanded. */
interface Grouping {
  /** The nodes drawn as boxes (inline constants are not), in payload order. */
  drawn: NormNode[];
  tree: ScopeTree;
  /** Keys of the expanded groups. */
  expanded: Set<string>;
  /** The outermost collapsed group containing `g` (itself included), or null when all are expanded. */
  collapsedOf: (g: GroupInfo | null) => GroupInfo | null;
  /** The synthetic group of shared inputs, when there is one. */
  shared: GroupInfo | null;
}

/** Groups the drawn nodes by scope (with the shared inputs of a large graph as a group of their own) and chooses what is expanded. */
function groupNodes(read: GraphRead, opts: GraphFigureOptions): Grouping {
  const drawn = read.shown.filter((n) => !read.inlined.has(n.id));
  const tree = scopeTree(drawn);
  const shared = drawn.length > EXPAND_ALL_MAX ? sharedInputs(drawn, tree, read.consumers) : null;
  const unscoped = tree.leafGroup.reduce((k, g) => k + (g === null ? 1 : 0), 0) - (shared ? shared.members.length - 1 : 0);
  const expanded = opts.expanded ? new Set(opts.expanded) : defaultExpanded(tree, drawn.length, unscoped);
  // added after the default expansion was chosen: the shared inputs open collapsed
  if (shared) addSharedGroup(tree, shared);
  const cache = new Map<GroupInfo, GroupInfo | null>();
  const collapsedOf = (g: GroupInfo | null): GroupInfo | null => {
    if (g === null) return null;
    let c = cache.get(g);
    if (c !== undefined) return c;
    const up = collapsedOf(g.parent);
    c = up ?? (expanded.has(g.key) ? null : g);
    cache.set(g, c);
    return c;
  };
  return { drawn, tree, expanded, collapsedOf, shared: shared ? (tree.byKey.get(SHARED_INPUTS_KEY) ?? null) : null };
}

/** A line of a box before placement. */
type UnitLine = Omit<FigureLine, 'x' | 'y'>;
/** A drawn node: its value box and op ellipse, as one unit of the layout. */
interface NodeUnit {
  kind: 'node';
  n: NormNode;
  lines: UnitLine[];
  boxW: number;
  boxH: number;
  op: { label: string; rx: number } | null;
  w: number;
  h: number;
  /** The node's innermost group (expanded, since the node is drawn), or null. */
  g: GroupInfo | null;
}
/** A collapsed group: one box standing for its members. */
interface GroupUnit {
  kind: 'group';
  g: GroupInfo;
  members: NormNode[];
  lines: UnitLine[];
  boxW: number;
  boxH: number;
  op: null;
  w: number;
  h: number;
  info: Omit<FigureGroup, 'box' | 'lines' | 'collapsed' | 'depth' | 'key' | 'path'>;
}
type Unit = NodeUnit | GroupUnit;

/** The boxes to lay out, in topological order, and which box stands for each payload node. */
interface Units {
  list: Unit[];
  /** Payload id → unit index (-1: not drawn). */
  unitOf: Int32Array;
  /** For each node hidden in a collapsed group: the key of the group box drawn in its place. */
  hiddenIn: Map<number, string>;
}

/** One box per drawn node outside collapsed groups and one per collapsed group. */
function buildUnits(read: GraphRead, grouping: Grouping): Units {
  const { tree, collapsedOf } = grouping;
  const list: Unit[] = [];
  const unitOf = new Int32Array(read.nodes.length).fill(-1);
  const hiddenIn = new Map<number, string>();
  const groupUnit = new Map<GroupInfo, number>();
  const newGroupUnit = (c: GroupInfo) => {
    groupUnit.set(c, list.length);
    list.push({ kind: 'group', g: c, members: [], lines: [], boxW: 0, boxH: 0, op: null, w: 0, h: 0, info: null as never });
    return list.length - 1;
  };
  // collapsed shared inputs come first: all their edges go out, so unit order stays topological
  if (grouping.shared && collapsedOf(grouping.shared) === grouping.shared) newGroupUnit(grouping.shared);
  grouping.drawn.forEach((n, k) => {
    const g = tree.leafGroup[k];
    const c = collapsedOf(g);
    if (c === null) {
      unitOf[n.id] = list.length;
      list.push(nodeUnit(read, n, g));
      return;
    }
    hiddenIn.set(n.id, c.key);
    const u = groupUnit.get(c) ?? newGroupUnit(c);
    (list[u] as GroupUnit).members.push(n);
    unitOf[n.id] = u;
  });
  // inlined constants belong to their (first) consumer's unit
  for (const j of read.inlined) {
    const key = hiddenIn.get(read.consumers[j][0]);
    if (key !== undefined) hiddenIn.set(j, key);
  }
  for (const u of list) if (u.kind === 'group') finishGroupUnit(read, unitOf, u);
  return { list, unitOf, hiddenIn };
}

/** A node's box: title, value and gradient lines, a failed check; its op's label with inline constants and short attributes. */
function nodeUnit(read: GraphRead, n: NormNode, g: GroupInfo | null): NodeUnit {
  const lines: UnitLine[] = [];
  const shapeText = n.shape.length > 0 ? `[${formatShape(n.shape)}]` : '';
  const title = [n.name !== null && n.name !== '' ? shorten(n.name, 32) : '', shapeText].filter(Boolean).join(' ');
  if (title) lines.push({ role: 'title', label: '', text: title });
  const vl = n.value ? summaryLines(n.value) : ['?'];
  vl.forEach((t, i) => lines.push({ role: 'value', label: i === 0 ? 'value' : '', text: t }));
  summaryLines(n.grad).forEach((t, i) => lines.push({ role: 'grad', label: i === 0 ? 'grad' : '', text: t }));
  if (n.check && !n.check.ok) lines.push({ role: 'check', label: 'check', text: `✗ ${figureCheck(n.id, n.check).text}` });
  const boxW = Math.ceil(2 * PAD_X + Math.max(...lines.map((l) => (l.role === 'title' ? textWidth(l.text) : LABEL_W + textWidth(l.text))), 4 * CH));
  const boxH = 2 * PAD_Y + lines.length * LINE;
  let op: { label: string; rx: number } | null = null;
  if (n.kind === 'op') {
    const a = attrsText(n.attrs);
    let label = opLabel(n, read.inlined, read.nodes);
    if (a && [...label].length + [...a].length < 24) label = `${label} ${a}`;
    op = { label, rx: Math.max(OP_RY, textWidth(label) / 2 + 9) };
  }
  const opW = op ? 2 * op.rx + OP_GAP : 0;
  return { kind: 'node', n, lines, boxW, boxH, op, w: opW + boxW, h: Math.max(boxH, 2 * OP_RY), g };
}

/** A collapsed group's box: its name, size, the shapes entering and leaving it, its most frequent ops, what it feeds, its worst check. */
function finishGroupUnit(read: GraphRead, unitOf: Int32Array, u: GroupUnit): void {
  const self = unitOf[u.members[0].id];
  const ins = new Map<string, number>();
  const outs = new Map<string, number>();
  const ops = new Map<string, number>();
  let worst: NormNode | null = null;
  for (const m of u.members) {
    for (const j of m.inputs) {
      if (unitOf[j] === self || read.inlined.has(j)) continue;
      const t = read.shapeOf(j);
      ins.set(t, (ins.get(t) ?? 0) + 1);
    }
    let leaves = m.id === read.output;
    for (const c of read.consumers[m.id]) if (unitOf[c] !== self) leaves = true;
    if (leaves) outs.set(read.shapeOf(m.id), (outs.get(read.shapeOf(m.id)) ?? 0) + 1);
    if (m.kind === 'op') ops.set(m.op, (ops.get(m.op) ?? 0) + 1);
    if (m.check && !m.check.ok && (worst === null || toNumber(m.check.relError) > toNumber(worst.check!.relError))) worst = m;
  }
  const opMix = [...ops].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const opsText =
    opMix
      .slice(0, 3)
      .map(([o, k]) => `${k} ${o}`)
      .join(' · ') + (opMix.length > 3 ? ' · …' : '');
  const inShapes = shapeList(ins);
  const outShapes = shapeList(outs);
  const check = worst ? figureCheck(worst.id, worst.check!) : null;
  const name = u.g.path[u.g.path.length - 1];
  const count = u.g.count;
  const lines: UnitLine[] = [
    { role: 'title', label: '', text: `▸ ${shorten(name, 32)}` },
    { role: 'info', label: 'nodes', text: formatCount(count) },
  ];
  if (inShapes.length) lines.push({ role: 'info', label: 'in', text: shorten(inShapes.join(', '), 40) });
  if (outShapes.length) lines.push({ role: 'info', label: 'out', text: shorten(outShapes.join(', '), 40) });
  if (opsText) lines.push({ role: 'info', label: 'ops', text: shorten(opsText, 40) });
  const feeds = u.g.feeds ?? null;
  if (feeds !== null) lines.push({ role: 'info', label: 'feeds', text: shorten(feedsText(feeds), 40) });
  if (check) lines.push({ role: 'check', label: 'check', text: `✗ ${check.text} in ${shorten(nodeTitle(read.nodes[check.id]), 16)}` });
  u.lines = lines;
  u.boxW = Math.ceil(2 * PAD_X + Math.max(...lines.map((l) => (l.role === 'title' ? textWidth(l.text) : LABEL_W + textWidth(l.text)))));
  u.boxH = 2 * PAD_Y + lines.length * LINE;
  u.w = u.boxW;
  u.h = u.boxH;
  const tooltip = `group ${groupName(u.g.path)}: ${formatCount(count)} node${count === 1 ? '' : 's'}${inShapes.length ? `, in ${inShapes.join(', ')}` : ''}${outShapes.length ? `, out ${outShapes.join(', ')}` : ''}${opsText ? `; ops ${opsText}` : ''}${feeds !== null ? `; feeds ${feedsText(feeds)}` : ''}${check ? `; check failed, ${check.text}` : ''}`;
  u.info = { count, inShapes, outShapes, ops: opsText, check, tooltip };
}

/** An edge between two units, before placement. */
interface UnitEdge {
  /** Unit indices of the two ends. */
  from: number;
  to: number;
  /** Which repeat of the same operand this is (x·x: 0 and 1), and its slot on the op's left side. */
  k: number;
  slot: number;
  /** Payload ids of the two ends. */
  src: number;
  dst: number;
}

/**
 * Edges between units. `slot` spreads an op's operands over its left side in
 * argument order (first on top), so x·x shows two edges and a − b shows which
 * operand is which. Edges inside a collapsed group are dropped; several edges
 * between the same two units, one of them a group, merge.
 */
function unitEdges(read: GraphRead, units: Units, drawn: NormNode[]): UnitEdge[] {
  const { list, unitOf } = units;
  const edgeList: UnitEdge[] = [];
  const merged = new Set<number>();
  for (const n of drawn) {
    const to = unitOf[n.id];
    const toGroup = list[to].kind === 'group';
    let ins = n.inputs;
    if (toGroup) {
      // into a collapsed group: only edges from outside it, one per source box
      for (const j of ins) {
        const from = unitOf[j];
        if (from === to || read.inlined.has(j)) continue;
        const pair = from * list.length + to;
        if (merged.has(pair)) continue;
        merged.add(pair);
        edgeList.push({ from, to, k: 0, slot: 0, src: j, dst: n.id });
      }
      continue;
    }
    if (ins.some((j) => read.inlined.has(j))) ins = ins.filter((j) => !read.inlined.has(j));
    const seen = ins.length > 1 ? new Map<number, number>() : null;
    ins.forEach((j, pos) => {
      const from = unitOf[j];
      if (list[from].kind === 'group') {
        const pair = from * list.length + to;
        if (merged.has(pair)) return;
        merged.add(pair);
      }
      const k = seen?.get(from) ?? 0;
      seen?.set(from, k + 1);
      edgeList.push({ from, to, k, slot: pos - (ins.length - 1) / 2, src: j, dst: n.id });
    });
  }
  return edgeList;
}

/** Expanded groups that are visible (not inside a collapsed one), outermost first. */
function visibleFrames(top: GroupInfo[], expanded: Set<string>): GroupInfo[] {
  const frames: GroupInfo[] = [];
  const walk = (gs: GroupInfo[]) => {
    for (const g of gs) {
      if (!expanded.has(g.key)) continue;
      frames.push(g);
      walk(g.children);
    }
  };
  walk(top);
  return frames;
}

/** The expanded group a unit is drawn inside: a node's own group, a collapsed group's parent. */
function frameOfUnit(u: Unit): GroupInfo | null {
  return u.kind === 'node' ? u.g : u.g.parent;
}

/** Lays the units out: dagre up to {@link DAGRE_MAX_NODES} units, else the layered layout; timed. */
function runLayout(units: Unit[], edgeList: UnitEdge[], frames: GroupInfo[]): { pos: Placement; layout: GraphFigure['layout']; layoutMs: number } {
  const t0 = now();
  const useDagre = units.length <= DAGRE_MAX_NODES;
  const pos = useDagre
    ? dagreLayout(
        units,
        edgeList,
        frames.length ? units.map((u) => frameOfUnit(u)?.key ?? null) : null,
        frames.map((g) => [g.key, g.parent?.key ?? null]),
      )
    : layeredLayout(units, edgeList, frames.length ? units.map((u) => frameOfUnit(u)?.first ?? -1) : null);
  return { pos, layout: useDagre ? 'dagre' : 'layered', layoutMs: now() - t0 };
}

/** A frame's edges. */
interface FrameBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * The frame of each visible expanded group: around its members, innermost
 * first so an outer frame encloses the inner ones. Everything shifts
 * right/down when a frame reaches past the margin (`pos` is moved in place).
 */
function frameBoxes(units: Unit[], pos: Placement, frames: GroupInfo[], expanded: Set<string>): Map<GroupInfo, FrameBox> {
  const frameBox = new Map<GroupInfo, FrameBox>();
  const grow = (g: GroupInfo | null, x0: number, y0: number, x1: number, y1: number) => {
    for (; g && expanded.has(g.key); g = g.parent) {
      const b = frameBox.get(g);
      if (!b) frameBox.set(g, { x0, y0, x1, y1 });
      else {
        b.x0 = Math.min(b.x0, x0);
        b.y0 = Math.min(b.y0, y0);
        b.x1 = Math.max(b.x1, x1);
        b.y1 = Math.max(b.y1, y1);
      }
    }
  };
  units.forEach((u, k) => grow(frameOfUnit(u), pos.nodes[k].x, pos.nodes[k].y, pos.nodes[k].x + u.w, pos.nodes[k].y + u.h));
  for (let i = frames.length - 1; i >= 0; i--) {
    const g = frames[i];
    const b = frameBox.get(g);
    if (!b) continue;
    b.x0 -= FRAME_PAD;
    b.x1 += FRAME_PAD;
    b.y0 -= FRAME_PAD + FRAME_LABEL;
    b.y1 += FRAME_PAD;
    b.x1 = Math.max(b.x1, b.x0 + textWidth(`▾ ${shorten(g.path[g.path.length - 1], 32)}`) + 2 * PAD_X);
    grow(g.parent, b.x0, b.y0, b.x1, b.y1);
  }
  shiftIntoMargin(pos, frameBox);
  return frameBox;
}

/** Moves everything right/down when a frame reaches past the margin. */
function shiftIntoMargin(pos: Placement, frameBox: Map<GroupInfo, FrameBox>): void {
  let minX = MARGIN;
  let minY = MARGIN;
  for (const b of frameBox.values()) {
    minX = Math.min(minX, b.x0);
    minY = Math.min(minY, b.y0);
  }
  const sx = MARGIN - minX;
  const sy = MARGIN - minY;
  if (!sx && !sy) return;
  const move = (q: Pt) => {
    q.x += sx;
    q.y += sy;
  };
  for (const q of pos.nodes) move(q);
  for (const bends of pos.edges) for (const q of bends) move(q);
  for (const b of frameBox.values()) {
    b.x0 += sx;
    b.x1 += sx;
    b.y0 += sy;
    b.y1 += sy;
  }
}

/** The placed units: figure nodes, collapsed groups, and each unit's box and op ellipse (for the edges). */
interface Placed {
  nodes: FigureNode[];
  groups: FigureGroup[];
  /** Box of each unit (a node's value box or a group's box), and its op ellipse. */
  unitBox: { x: number; y: number; w: number; h: number }[];
  unitOp: ({ cx: number; cy: number; rx: number; ry: number } | null)[];
}

/** The figure's nodes and collapsed groups where the layout put them. */
function placeUnits(read: GraphRead, units: Unit[], pos: Placement): Placed {
  const { nodes, inlined } = read;
  const placed: Placed = { nodes: [], groups: [], unitBox: [], unitOp: [] };
  units.forEach((u, k) => {
    const { x, y } = pos.nodes[k]; // top-left of the unit
    const bx = x + (u.op ? 2 * u.op.rx + OP_GAP : 0);
    const by = y + (u.h - u.boxH) / 2;
    const lines: FigureLine[] = u.lines.map((l, i) => ({ role: l.role, label: l.label, text: l.text, x: bx + PAD_X, y: by + PAD_Y + (i + 1) * LINE - 4 }));
    const box = { x: bx, y: by, w: u.boxW, h: u.boxH };
    placed.unitBox.push(box);
    if (u.kind === 'group') {
      placed.unitOp.push(null);
      placed.groups.push({ key: u.g.key, path: u.g.path, depth: u.g.path.length - 1, collapsed: true, box, lines, ...u.info });
      return;
    }
    const n = u.n;
    const operands = n.inputs.slice(0, 8).map((j) => (inlined.has(j) ? formatNum(nodes[j].value!.values[0]) : shorten(nodeTitle(nodes[j]), 32)));
    if (n.inputs.length > 8) operands.push(`… ${formatCount(n.inputs.length - 8)} more`);
    const op = u.op ? { label: u.op.label, cx: x + u.op.rx, cy: y + u.h / 2, rx: u.op.rx, ry: OP_RY } : null;
    placed.unitOp.push(op);
    placed.nodes.push({
      id: n.id,
      kind: n.kind,
      box,
      op,
      lines,
      gradLeaf: n.kind === 'leaf' && n.requiresGrad,
      output: n.id === read.output,
      tooltip: `${shorten(nodeTitle(n), 80)} = ${shorten(n.op, MAX_OP_CHARS)}(${operands.join(', ')})`,
      check: n.check && !n.check.ok ? figureCheck(n.id, n.check) : null,
    });
  });
  return placed;
}

/** The expanded groups as drawn: a labelled frame, badged with the worst failed check of the nodes inside. */
function frameGroups(nodes: NormNode[], frames: GroupInfo[], frameBox: Map<GroupInfo, FrameBox>, figNodes: FigureNode[]): FigureGroup[] {
  const groups: FigureGroup[] = [];
  for (const g of frames) {
    const b = frameBox.get(g);
    if (!b) continue;
    const name = g.path[g.path.length - 1];
    let worst: FigureCheck | null = null;
    for (const n of figNodes) {
      if (n.check && nodes[n.id].scope.length >= g.path.length && sameScope(nodes[n.id].scope.slice(0, g.path.length), g.path)) {
        if (!worst || toNumber(n.check.relError) > toNumber(worst.relError)) worst = n.check;
      }
    }
    groups.push({
      key: g.key,
      path: g.path,
      depth: g.path.length - 1,
      collapsed: false,
      count: g.count,
      box: { x: b.x0, y: b.y0, w: b.x1 - b.x0, h: b.y1 - b.y0 },
      lines: [{ role: 'title', label: '', text: `▾ ${shorten(name, 32)}`, x: b.x0 + PAD_X, y: b.y0 + FRAME_LABEL - 4 }],
      inShapes: [],
      outShapes: [],
      ops: '',
      check: worst,
      tooltip: `group ${groupName(g.path)}: ${formatCount(g.count)} node${g.count === 1 ? '' : 's'}`,
    });
  }
  return groups;
}

/** The edges as drawn: from the right of the operand's box to the op's ellipse (or the left of a group's box), through the layout's bends. */
function figureEdges(nodes: NormNode[], units: Unit[], edgeList: UnitEdge[], placed: Placed, pos: Placement): FigureEdge[] {
  const { unitBox, unitOp } = placed;
  return edgeList.map((e, i) => {
    const a = unitBox[e.from];
    const b = unitBox[e.to];
    const start = { x: a.x + a.w, y: a.y + a.h / 2 };
    const tgt = unitOp[e.to] ?? { cx: b.x, cy: b.y + b.h / 2, rx: 0, ry: 0 };
    const dy = Math.max(-tgt.ry + 4, Math.min(tgt.ry - 4, e.slot * 9));
    const ey = tgt.cy + dy;
    const ex = tgt.cx - tgt.rx * Math.sqrt(Math.max(0, 1 - (dy / Math.max(1, tgt.ry)) ** 2));
    const end = { x: ex - 1, y: ey };
    // a repeated operand (x·x) takes a slightly different route so both edges show
    const mids = (pos.edges[i] ?? []).map((q) => ({ x: q.x, y: q.y + e.k * 10 }));
    const path = edgePath(start, mids, end);
    const from = units[e.from];
    const to = units[e.to];
    const fromGroup = from.kind === 'group' ? from.g.key : null;
    const toGroup = to.kind === 'group' ? to.g.key : null;
    const src = nodes[e.src];
    const label = fromGroup === null && src.shape.length > 0 ? formatShape(src.shape) : null;
    return { from: e.src, to: e.dst, fromGroup, toGroup, d: path.d, arrow: path.arrow, label, lx: path.mid.x, ly: path.mid.y - 4 };
  });
}

/** Width and height of the figure: every box, op and frame, and the margin. */
function figureSize(units: Unit[], unitBox: Placed['unitBox'], pos: Placement, frameBox: Map<GroupInfo, FrameBox>): { width: number; height: number } {
  let maxX = 0;
  let maxY = 0;
  units.forEach((u, k) => {
    maxX = Math.max(maxX, unitBox[k].x + unitBox[k].w);
    maxY = Math.max(maxY, unitBox[k].y + unitBox[k].h, pos.nodes[k].y + u.h);
  });
  for (const b of frameBox.values()) {
    maxX = Math.max(maxX, b.x1);
    maxY = Math.max(maxY, b.y1);
  }
  return { width: Math.ceil(maxX + MARGIN), height: Math.ceil(maxY + MARGIN) };
}
