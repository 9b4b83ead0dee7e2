/**
 * The computational graph as a figure: nodes, edges and their layout (dagre for small graphs, an own layered layout for large ones), and its static SVG and text fallbacks.
 *
 * Pure functions: no DOM, no Node APIs; shared by the extension's views and the
 * engine's static fallbacks, so both draw the same figure.
 */
import * as dagre from '@dagrejs/dagre';
import { GRAPH_NODE_LIMIT, type GraphNode, type GraphPayload, type NodeCheck, type Num, type TensorSummary } from '../contract';
import { asText, escapeXml, formatErr, formatNum, formatCount, formatShape, shorten, isSummary, summaryLines, toNumber, INK, FONT, SANS, type Pt, round1 } from './format';
import { opEntry } from '../op-table';

// ---- graph figure ----------------------------------------------------------

/** Font metrics the layout assumes: a 12px monospace font (0.6 em per character). */
export const GRAPH_FONT_PX = 12;
const CH = 7.2;
const LINE = 16;
const PAD_X = 8;
const PAD_Y = 5;
const LABEL_W = 6 * CH; // "value " / "grad  "
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
export interface FigureCheck {
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
export interface FigureCut {
  /** Nodes in the payload, and how many of them (the nearest the output) the figure holds. */
  total: number;
  kept: number;
  /** The note shown above the figure, also in `notes`. */
  note: string;
}

interface NormNode {
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
function normalizeNodes(p: GraphPayload, notes: string[], ids?: readonly number[]): NormNode[] {
  const raw: unknown[] = Array.isArray(p?.nodes) ? p.nodes : [];
  let bad = 0;
  let deep = 0;
  const one = (r: unknown, i: number): NormNode => {
    const n = (typeof r === 'object' && r !== null ? r : {}) as Partial<GraphNode>;
    const kind = n.kind === 'leaf' || n.kind === 'const' || n.kind === 'op' ? n.kind : 'op';
    const inputs = Array.isArray(n.inputs)
      ? n.inputs.filter((j): j is number => Number.isInteger(j) && j >= 0 && j < raw.length && j !== i)
      : [];
    if (typeof r !== 'object' || r === null || !isSummary(n.value) || !Array.isArray(n.inputs)) bad++;
    const c = n.check;
    let scope: unknown[] = Array.isArray(n.scope) ? n.scope : EMPTY;
    if (scope.length > MAX_SCOPE_DEPTH) (scope = scope.slice(0, MAX_SCOPE_DEPTH)), deep++;
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
      scope: scope.length === 0 ? EMPTY : scope.every((x) => typeof x === 'string') ? (scope as string[]) : scope.map((x) => asText(x, '?')),
      check: typeof c === 'object' && c !== null && typeof c.ok === 'boolean' ? c : null,
    };
  };
  let out: NormNode[];
  if (ids) {
    out = new Array<NormNode>(raw.length);
    for (const i of ids) out[i] = one(raw[i], i);
  } else out = raw.map(one);
  if (bad) notes.push(`${bad} node${bad === 1 ? '' : 's'} of this payload could not be read fully (shown with "?").`);
  if (deep) notes.push(`${formatCount(deep)} node${deep === 1 ? ' has a scope' : 's have scopes'} nested deeper than ${MAX_SCOPE_DEPTH} levels: drawn in ${deep === 1 ? 'its' : 'their'} level-${MAX_SCOPE_DEPTH} group.`);
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
const EMPTY: string[] = [];

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
    const text = Array.isArray(v) ? '[' + v.slice(0, MAX).map((e) => cut(asText(e))).join(',') + (v.length > MAX ? ',…' : '') + ']' : cut(asText(v));
    entries.push(`${cut(k)}=${text}`);
  }
  return entries.join(' ');
}

/** Op names are drawn with at most this many characters (the details panel has the full name). */
const MAX_OP_CHARS = 24;

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
function sharedInputs(drawn: NormNode[], tree: ReturnType<typeof scopeTree>, consumers: number[][]): { members: NormNode[]; feeds: string[] } | null {
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
function addSharedGroup(tree: ReturnType<typeof scopeTree>, shared: { members: NormNode[]; feeds: string[] }): void {
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
  return `${formatCount(names.length)} group${names.length === 1 ? '' : 's'}: ${names.slice(0, 3).map((x) => shorten(x, 32)).join(', ')}${names.length > 3 ? ', …' : ''}`;
}

/** A scope path as text, "layer 1 / act", each name cut to 80 characters (keys keep the full names). */
export function groupName(path: readonly string[]): string {
  return path.map((x) => shorten(x, 80)).join(' / ');
}

/** The scope tree of the drawn nodes, top-level groups in order of first appearance. */
function scopeTree(drawn: NormNode[]): { top: GroupInfo[]; byKey: Map<string, GroupInfo>; leafGroup: (GroupInfo | null)[]; drawnIds: number[] } {
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
function defaultExpanded(tree: ReturnType<typeof scopeTree>, drawnCount: number, unscoped: number): Set<string> {
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
 */
export function graphFigure(p: GraphPayload, opts: GraphFigureOptions = {}): GraphFigure {
  const notes: string[] = [];
  if (p?.omitted && typeof p.omitted === 'object') {
    const reason = asText(p.omitted.reason, 'graph too large');
    // no node left out, only some of their data (e.g. branch contributions): the reason says what
    notes.push(
      p.omitted.nodes === 0
        ? `Left out: ${reason}.`
        : `${formatCount(p.omitted.nodes)} node${p.omitted.nodes === 1 ? '' : 's'} left out: ${reason}.`,
    );
  }
  // `nodes` by id (sparse when cut), `shown` the nodes read, in payload order
  const { nodes, shown, cut } = readWithinBudget(p, notes);
  const output = typeof p?.output === 'number' ? p.output : nodes.length - 1;

  // Consumers of each node, and which constants are drawn inline on their op.
  const consumers: number[][] = new Array<number[]>(nodes.length);
  for (const n of shown) consumers[n.id] = [];
  for (const n of shown) for (const j of n.inputs) consumers[j].push(n.id);
  /** `formatShape` of each node, computed once (a group box lists the shapes of many edges). */
  const shapeTexts: (string | undefined)[] = [];
  const shapeOf = (j: number) => (shapeTexts[j] ??= formatShape(nodes[j].shape));
  const inlined = new Set<number>();
  for (const n of shown) {
    if (isScalarConst(n) && n.id !== output && consumers[n.id].length > 0 && consumers[n.id].every((c) => nodes[c].kind === 'op')) {
      inlined.add(n.id);
    }
  }
  if (shown.length > 0 && !shown.some((n) => n.grad !== null)) {
    notes.push('No gradients yet: call backward() on the output before showing the graph to see them.');
  }
  const failed = shown.filter((n) => n.check !== null && !n.check.ok);
  if (failed.length > 0) {
    const worst = failed.reduce((a, b) => (toNumber(b.check!.relError) > toNumber(a.check!.relError) || Number.isNaN(toNumber(b.check!.relError)) ? b : a));
    notes.push(
      `${failed.length} node${failed.length === 1 ? '' : 's'} failed the local gradient check (highlighted); worst: ${nodeTitle(worst)} (${worst.op}), rel. error ${formatErr(worst.check!.relError)}.`,
    );
  }

  // Groups, and which drawn node or collapsed group stands for each node.
  const drawnAll = shown.filter((n) => !inlined.has(n.id));
  const tree = scopeTree(drawnAll);
  const shared = drawnAll.length > EXPAND_ALL_MAX ? sharedInputs(drawnAll, tree, consumers) : null;
  const unscoped = tree.leafGroup.reduce((k, g) => k + (g === null ? 1 : 0), 0) - (shared ? shared.members.length - 1 : 0);
  const expandedSet = opts.expanded ? new Set(opts.expanded) : defaultExpanded(tree, drawnAll.length, unscoped);
  // added after the default expansion was chosen: the shared inputs open collapsed
  if (shared) addSharedGroup(tree, shared);
  /** The outermost collapsed group containing `g` (itself included), or null when all are expanded. */
  const collapsedCache = new Map<GroupInfo, GroupInfo | null>();
  const collapsedOf = (g: GroupInfo | null): GroupInfo | null => {
    if (g === null) return null;
    let c = collapsedCache.get(g);
    if (c !== undefined) return c;
    const up = collapsedOf(g.parent);
    c = up ?? (expandedSet.has(g.key) ? null : g);
    collapsedCache.set(g, c);
    return c;
  };
  const hiddenIn = new Map<number, string>();
  /** Payload id → unit index (nodes and collapsed groups share one list, in topological order). */
  const unitOf = new Int32Array(nodes.length).fill(-1);
  type NodeUnit = { kind: 'node'; n: NormNode; lines: Omit<FigureLine, 'x' | 'y'>[]; boxW: number; boxH: number; op: { label: string; rx: number } | null; w: number; h: number; g: GroupInfo | null };
  type GroupUnit = { kind: 'group'; g: GroupInfo; members: NormNode[]; lines: Omit<FigureLine, 'x' | 'y'>[]; boxW: number; boxH: number; op: null; w: number; h: number; info: Omit<FigureGroup, 'box' | 'lines' | 'collapsed' | 'depth' | 'key' | 'path'> };
  type Unit = NodeUnit | GroupUnit;
  const units: Unit[] = [];
  const groupUnit = new Map<GroupInfo, number>();
  const newGroupUnit = (c: GroupInfo) => {
    groupUnit.set(c, units.length);
    units.push({ kind: 'group', g: c, members: [], lines: [], boxW: 0, boxH: 0, op: null, w: 0, h: 0, info: null as never });
    return units.length - 1;
  };
  // collapsed shared inputs come first: all their edges go out, so unit order stays topological
  const sharedGroup = tree.byKey.get(SHARED_INPUTS_KEY);
  if (shared && sharedGroup && collapsedOf(sharedGroup) === sharedGroup) newGroupUnit(sharedGroup);
  drawnAll.forEach((n, k) => {
    const g = tree.leafGroup[k];
    const c = collapsedOf(g);
    if (c === null) {
      unitOf[n.id] = units.length;
      units.push(nodeUnit(n, g));
      return;
    }
    hiddenIn.set(n.id, c.key);
    const u = groupUnit.get(c) ?? newGroupUnit(c);
    (units[u] as GroupUnit).members.push(n);
    unitOf[n.id] = u;
  });
  // inlined constants belong to their (first) consumer's unit
  for (const j of inlined) hiddenIn.has(consumers[j][0]) && hiddenIn.set(j, hiddenIn.get(consumers[j][0])!);
  for (const u of units) if (u.kind === 'group') finishGroupUnit(u);

  function nodeUnit(n: NormNode, g: GroupInfo | null): NodeUnit {
    const lines: Omit<FigureLine, 'x' | 'y'>[] = [];
    const shapeText = n.shape.length > 0 ? `[${formatShape(n.shape)}]` : '';
    const title = [n.name !== null && n.name !== '' ? shorten(n.name, 32) : '', shapeText].filter(Boolean).join(' ');
    if (title) lines.push({ role: 'title', label: '', text: title });
    const vl = n.value ? summaryLines(n.value) : ['?'];
    vl.forEach((t, i) => lines.push({ role: 'value', label: i === 0 ? 'value' : '', text: t }));
    summaryLines(n.grad).forEach((t, i) => lines.push({ role: 'grad', label: i === 0 ? 'grad' : '', text: t }));
    if (n.check && !n.check.ok) lines.push({ role: 'check', label: 'check', text: `✗ ${figureCheck(n.id, n.check).text}` });
    const boxW = Math.ceil(
      2 * PAD_X + Math.max(...lines.map((l) => (l.role === 'title' ? textWidth(l.text) : LABEL_W + textWidth(l.text))), 4 * CH),
    );
    const boxH = 2 * PAD_Y + lines.length * LINE;
    let op: { label: string; rx: number } | null = null;
    if (n.kind === 'op') {
      const a = attrsText(n.attrs);
      let label = opLabel(n, inlined, nodes);
      if (a && [...label].length + [...a].length < 24) label = `${label} ${a}`;
      op = { label, rx: Math.max(OP_RY, textWidth(label) / 2 + 9) };
    }
    const opW = op ? 2 * op.rx + OP_GAP : 0;
    return { kind: 'node', n, lines, boxW, boxH, op, w: opW + boxW, h: Math.max(boxH, 2 * OP_RY), g };
  }

  function finishGroupUnit(u: GroupUnit): void {
    const self = unitOf[u.members[0].id];
    const ins = new Map<string, number>();
    const outs = new Map<string, number>();
    const ops = new Map<string, number>();
    let worst: NormNode | null = null;
    for (const m of u.members) {
      for (const j of m.inputs) {
        if (unitOf[j] === self || inlined.has(j)) continue;
        const t = shapeOf(j);
        ins.set(t, (ins.get(t) ?? 0) + 1);
      }
      let leaves = m.id === output;
      for (const c of consumers[m.id]) if (unitOf[c] !== self) leaves = true;
      if (leaves) outs.set(shapeOf(m.id), (outs.get(shapeOf(m.id)) ?? 0) + 1);
      if (m.kind === 'op') ops.set(m.op, (ops.get(m.op) ?? 0) + 1);
      if (m.check && !m.check.ok && (worst === null || toNumber(m.check.relError) > toNumber(worst.check!.relError))) worst = m;
    }
    const opMix = [...ops].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const opsText = opMix.slice(0, 3).map(([o, k]) => `${k} ${o}`).join(' · ') + (opMix.length > 3 ? ' · …' : '');
    const inShapes = shapeList(ins);
    const outShapes = shapeList(outs);
    const check = worst ? figureCheck(worst.id, worst.check!) : null;
    const name = u.g.path[u.g.path.length - 1];
    const count = u.g.count;
    const lines: Omit<FigureLine, 'x' | 'y'>[] = [
      { role: 'title', label: '', text: `▸ ${shorten(name, 32)}` },
      { role: 'info', label: 'nodes', text: formatCount(count) },
    ];
    if (inShapes.length) lines.push({ role: 'info', label: 'in', text: shorten(inShapes.join(', '), 40) });
    if (outShapes.length) lines.push({ role: 'info', label: 'out', text: shorten(outShapes.join(', '), 40) });
    if (opsText) lines.push({ role: 'info', label: 'ops', text: shorten(opsText, 40) });
    const feeds = u.g.feeds ?? null;
    if (feeds !== null) lines.push({ role: 'info', label: 'feeds', text: shorten(feedsText(feeds), 40) });
    if (check) lines.push({ role: 'check', label: 'check', text: `✗ ${check.text} in ${shorten(nodeTitle(nodes[check.id]), 16)}` });
    u.lines = lines;
    u.boxW = Math.ceil(2 * PAD_X + Math.max(...lines.map((l) => (l.role === 'title' ? textWidth(l.text) : LABEL_W + textWidth(l.text)))));
    u.boxH = 2 * PAD_Y + lines.length * LINE;
    u.w = u.boxW;
    u.h = u.boxH;
    const tooltip = `group ${groupName(u.g.path)}: ${formatCount(count)} node${count === 1 ? '' : 's'}${inShapes.length ? `, in ${inShapes.join(', ')}` : ''}${outShapes.length ? `, out ${outShapes.join(', ')}` : ''}${opsText ? `; ops ${opsText}` : ''}${feeds !== null ? `; feeds ${feedsText(feeds)}` : ''}${check ? `; check failed, ${check.text}` : ''}`;
    u.info = { count, inShapes, outShapes, ops: opsText, check, tooltip };
  }

  // Edges between units. `slot` spreads an op's operands over its left side in argument order
  // (first on top), so x·x shows two edges and a − b shows which operand is which. Edges inside a
  // collapsed group are dropped; several edges between the same two units, one of them a group, merge.
  const edgeList: { from: number; to: number; k: number; slot: number; src: number; dst: number }[] = [];
  const merged = new Set<number>();
  for (const n of drawnAll) {
    const to = unitOf[n.id];
    const toGroup = units[to].kind === 'group';
    let ins = n.inputs;
    if (toGroup) {
      // into a collapsed group: only edges from outside it, one per source box
      for (const j of ins) {
        const from = unitOf[j];
        if (from === to || inlined.has(j)) continue;
        const pair = from * units.length + to;
        if (merged.has(pair)) continue;
        merged.add(pair);
        edgeList.push({ from, to, k: 0, slot: 0, src: j, dst: n.id });
      }
      continue;
    }
    if (ins.some((j) => inlined.has(j))) ins = ins.filter((j) => !inlined.has(j));
    const seen = ins.length > 1 ? new Map<number, number>() : null;
    ins.forEach((j, pos) => {
      const from = unitOf[j];
      if (units[from].kind === 'group') {
        const pair = from * units.length + to;
        if (merged.has(pair)) return;
        merged.add(pair);
      }
      const k = seen?.get(from) ?? 0;
      seen?.set(from, k + 1);
      edgeList.push({ from, to, k, slot: pos - (ins.length - 1) / 2, src: j, dst: n.id });
    });
  }

  // Expanded groups that are visible (not inside a collapsed one), outermost first.
  const frames: GroupInfo[] = [];
  const walk = (gs: GroupInfo[]) => {
    for (const g of gs) {
      if (!expandedSet.has(g.key)) continue;
      frames.push(g);
      walk(g.children);
    }
  };
  walk(tree.top);
  const frameOfUnit = (u: Unit): GroupInfo | null => (u.kind === 'node' ? u.g : u.g.parent);

  const t0 = now();
  const useDagre = units.length <= DAGRE_MAX_NODES;
  const pos = useDagre
    ? dagreLayout(units, edgeList, frames.length ? units.map((u) => frameOfUnit(u)?.key ?? null) : null, frames.map((g) => [g.key, g.parent?.key ?? null]))
    : layeredLayout(units, edgeList, frames.length ? units.map((u) => frameOfUnit(u)?.first ?? -1) : null);
  const layoutMs = now() - t0;

  // Frames: around their members, innermost first so an outer frame encloses the inner ones.
  const frameBox = new Map<GroupInfo, { x0: number; y0: number; x1: number; y1: number }>();
  const grow = (g: GroupInfo | null, x0: number, y0: number, x1: number, y1: number) => {
    for (; g && expandedSet.has(g.key); g = g.parent) {
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
  // shift everything right/down when a frame reaches past the margin
  let minX = MARGIN;
  let minY = MARGIN;
  for (const b of frameBox.values()) {
    minX = Math.min(minX, b.x0);
    minY = Math.min(minY, b.y0);
  }
  const sx = MARGIN - minX;
  const sy = MARGIN - minY;
  if (sx || sy) {
    for (const q of pos.nodes) (q.x += sx), (q.y += sy);
    for (const bends of pos.edges) for (const q of bends) (q.x += sx), (q.y += sy);
    for (const b of frameBox.values()) (b.x0 += sx), (b.x1 += sx), (b.y0 += sy), (b.y1 += sy);
  }

  const figNodes: FigureNode[] = [];
  const groups: FigureGroup[] = [];
  /** Box of each unit (a node's value box or a group's box), and its op ellipse. */
  const unitBox: { x: number; y: number; w: number; h: number }[] = [];
  const unitOp: ({ cx: number; cy: number; rx: number; ry: number } | null)[] = [];
  units.forEach((u, k) => {
    const { x, y } = pos.nodes[k]; // top-left of the unit
    const bx = x + (u.op ? 2 * u.op.rx + OP_GAP : 0);
    const by = y + (u.h - u.boxH) / 2;
    const lines: FigureLine[] = u.lines.map((l, i) => ({ role: l.role, label: l.label, text: l.text, x: bx + PAD_X, y: by + PAD_Y + (i + 1) * LINE - 4 }));
    const box = { x: bx, y: by, w: u.boxW, h: u.boxH };
    unitBox.push(box);
    if (u.kind === 'group') {
      unitOp.push(null);
      groups.push({ key: u.g.key, path: u.g.path, depth: u.g.path.length - 1, collapsed: true, box, lines, ...u.info });
      return;
    }
    const n = u.n;
    const operands = n.inputs.slice(0, 8).map((j) => (inlined.has(j) ? formatNum(nodes[j].value!.values[0]) : shorten(nodeTitle(nodes[j]), 32)));
    if (n.inputs.length > 8) operands.push(`… ${formatCount(n.inputs.length - 8)} more`);
    const op = u.op ? { label: u.op.label, cx: x + u.op.rx, cy: y + u.h / 2, rx: u.op.rx, ry: OP_RY } : null;
    unitOp.push(op);
    figNodes.push({
      id: n.id,
      kind: n.kind,
      box,
      op,
      lines,
      gradLeaf: n.kind === 'leaf' && n.requiresGrad,
      output: n.id === output,
      tooltip: `${shorten(nodeTitle(n), 80)} = ${shorten(n.op, MAX_OP_CHARS)}(${operands.join(', ')})`,
      check: n.check && !n.check.ok ? figureCheck(n.id, n.check) : null,
    });
  });
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
  groups.sort((a, b) => a.depth - b.depth || (a.collapsed === b.collapsed ? 0 : a.collapsed ? 1 : -1));

  const edges: FigureEdge[] = edgeList.map((e, i) => {
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
    const fromGroup = units[e.from].kind === 'group' ? (units[e.from] as GroupUnit).g.key : null;
    const toGroup = units[e.to].kind === 'group' ? (units[e.to] as GroupUnit).g.key : null;
    const src = nodes[e.src];
    const label = fromGroup === null && src.shape.length > 0 ? formatShape(src.shape) : null;
    return { from: e.src, to: e.dst, fromGroup, toGroup, d: path.d, arrow: path.arrow, label, lx: path.mid.x, ly: path.mid.y - 4 };
  });

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
  const collapsedCount = groups.filter((g) => g.collapsed).length;
  if (collapsedCount > 0) {
    notes.push(
      `${formatCount(hiddenIn.size - [...inlined].filter((j) => hiddenIn.has(j)).length)} of ${formatCount(drawnAll.length)} nodes are inside ${formatCount(collapsedCount)} collapsed scope group${collapsedCount === 1 ? '' : 's'}.`,
    );
  }
  return {
    width: Math.ceil(maxX + MARGIN),
    height: Math.ceil(maxY + MARGIN),
    nodes: figNodes,
    edges,
    groups,
    expanded: [...expandedSet].filter((k) => tree.byKey.has(k)),
    hiddenIn,
    notes,
    layout: useDagre ? 'dagre' : 'layered',
    layoutMs,
    inlined: inlined.size,
    cut,
  };
}

const MARGIN = 16;
/** An expanded group's frame: padding around its members, and the height of its label above them. */
const FRAME_PAD = 8;
const FRAME_LABEL = 18;
const NODE_SEP = 18;
const RANK_SEP = 56;

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

interface Unit {
  w: number;
  h: number;
}
interface Placement {
  /** Top-left corner of each unit. */
  nodes: Pt[];
  /** Bend points of each edge (between the two ends). */
  edges: Pt[][];
}

function dagreLayout(
  units: Unit[],
  edges: { from: number; to: number }[],
  parentOf: (string | null)[] | null,
  clusters: [string, string | null][],
): Placement {
  // expanded groups become dagre clusters, so their members are laid out together
  const g = new dagre.graphlib.Graph({ multigraph: true, compound: parentOf !== null });
  // with clusters, room between them for the frames' padding and labels (dagre's clusters have none)
  const room = parentOf ? 2 * FRAME_PAD + FRAME_LABEL : 0;
  g.setGraph({ rankdir: 'LR', nodesep: NODE_SEP + room, ranksep: RANK_SEP + (parentOf ? 2 * FRAME_PAD : 0), edgesep: 10, marginx: MARGIN, marginy: MARGIN });
  units.forEach((u, k) => g.setNode(String(k), { width: u.w, height: u.h }));
  if (parentOf) {
    for (const [key] of clusters) g.setNode(`g:${key}`, {});
    for (const [key, parent] of clusters) if (parent !== null) g.setParent(`g:${key}`, `g:${parent}`);
    parentOf.forEach((key, k) => key !== null && g.setParent(String(k), `g:${key}`));
  }
  edges.forEach((e, i) => g.setEdge(String(e.from), String(e.to), {}, String(i)));
  dagre.layout(g);
  const nodes = units.map((u, k) => {
    const n = g.node(String(k)) as { x: number; y: number };
    return { x: n.x - u.w / 2, y: n.y - u.h / 2 };
  });
  const bends = edges.map((e, i) => {
    const ed = g.edge({ v: String(e.from), w: String(e.to), name: String(i) }) as { points?: Pt[] } | undefined;
    const pts = ed?.points ?? [];
    return pts.slice(1, -1).map((q) => ({ x: q.x, y: q.y })); // the ends are replaced by the box and op anchors
  });
  return { nodes, edges: bends };
}

/**
 * A layered layout in O((V + E) log V): ranks by longest path (sources pulled
 * next to their first consumer), a few barycenter sweeps to order each rank,
 * then each node moved towards its neighbours' mean height without overlaps.
 */
function layeredLayout(units: Unit[], edges: { from: number; to: number }[], groupOf: number[] | null): Placement {
  const n = units.length;
  const preds: number[][] = units.map(() => []);
  const succs: number[][] = units.map(() => []);
  for (const e of edges) {
    if (e.from < e.to) {
      // payload order is topological; anything else is a malformed back edge, ignored for layout
      preds[e.to].push(e.from);
      succs[e.from].push(e.to);
    }
  }
  // Ranks: longest path from the inputs, then every node with consumers moved as far right as
  // they allow (one rank before its first consumer). Without the second pass, all the products
  // w_i·x_i of a layer would share one rank and make a column hundreds of nodes tall.
  const rank = new Int32Array(n);
  for (let v = 0; v < n; v++) for (const u of preds[v]) rank[v] = Math.max(rank[v], rank[u] + 1);
  for (let v = n - 1; v >= 0; v--) {
    if (succs[v].length > 0) {
      let r = Infinity;
      for (const w of succs[v]) r = Math.min(r, rank[w] - 1);
      rank[v] = r;
    }
  }
  let maxRank = 0;
  for (let v = 0; v < n; v++) maxRank = Math.max(maxRank, rank[v]);
  const layers: number[][] = Array.from({ length: maxRank + 1 }, () => []);
  for (let v = 0; v < n; v++) layers[rank[v]].push(v);

  // Order within ranks: barycenters of neighbours' relative positions.
  const frac = new Float64Array(n);
  const setFrac = (layer: number[]) => layer.forEach((v, i) => (frac[v] = (i + 0.5) / layer.length));
  layers.forEach(setFrac);
  const sweep = (layer: number[], nb: number[][]) => {
    const key = new Map<number, number>();
    for (const v of layer) {
      const ns = nb[v];
      if (ns.length === 0) key.set(v, frac[v]);
      else {
        let s = 0;
        for (const w of ns) s += frac[w];
        key.set(v, s / ns.length);
      }
    }
    layer.sort((a, b) => key.get(a)! - key.get(b)! || a - b);
    setFrac(layer);
  };
  for (let round = 0; round < 2; round++) {
    for (let r = 1; r <= maxRank; r++) sweep(layers[r], preds);
    for (let r = maxRank - 1; r >= 0; r--) sweep(layers[r], succs);
  }
  // Members of one expanded group (`groupOf`: the group's id, -1 for none) kept next to each
  // other in every rank, at their mean position, so its frame does not cover other nodes there.
  if (groupOf) {
    for (const layer of layers) {
      const sum = new Map<number, [number, number]>();
      for (const v of layer) {
        if (groupOf[v] < 0) continue;
        const a = sum.get(groupOf[v]) ?? [0, 0];
        a[0] += frac[v];
        a[1]++;
        sum.set(groupOf[v], a);
      }
      const key = (v: number) => (groupOf[v] < 0 ? frac[v] : sum.get(groupOf[v])![0] / sum.get(groupOf[v])![1]);
      layer.sort((a, b) => key(a) - key(b) || groupOf[a] - groupOf[b] || frac[a] - frac[b]);
      setFrac(layer);
    }
  }

  // Coordinates: columns by rank; heights pulled towards neighbours.
  const colX: number[] = [];
  let x = MARGIN;
  for (const layer of layers) {
    colX.push(x);
    let w = 0;
    for (const v of layer) w = Math.max(w, units[v].w);
    x += w + RANK_SEP;
  }
  const cy = new Float64Array(n); // centre heights
  for (const layer of layers) {
    let y = 0;
    for (const v of layer) {
      cy[v] = y + units[v].h / 2;
      y += units[v].h + NODE_SEP;
    }
    for (const v of layer) cy[v] -= y / 2;
  }
  const place = (layer: number[], nb: number[][]) => {
    const m = layer.length;
    if (m === 0) return;
    const want = layer.map((v) => {
      const ns = nb[v];
      if (ns.length === 0) return cy[v];
      let s = 0;
      for (const w of ns) s += cy[w];
      return s / ns.length;
    });
    const down = new Float64Array(m);
    const up = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      const h = units[layer[i]].h / 2;
      down[i] = i === 0 ? want[i] : Math.max(want[i], down[i - 1] + units[layer[i - 1]].h / 2 + NODE_SEP + h);
    }
    for (let i = m - 1; i >= 0; i--) {
      const h = units[layer[i]].h / 2;
      up[i] = i === m - 1 ? want[i] : Math.min(want[i], up[i + 1] - units[layer[i + 1]].h / 2 - NODE_SEP - h);
    }
    for (let i = 0; i < m; i++) cy[layer[i]] = (down[i] + up[i]) / 2;
  };
  for (let round = 0; round < 3; round++) {
    for (let r = 1; r <= maxRank; r++) place(layers[r], preds);
    for (let r = maxRank - 1; r >= 0; r--) place(layers[r], succs);
  }
  let minY = Infinity;
  for (let v = 0; v < n; v++) minY = Math.min(minY, cy[v] - units[v].h / 2);
  const nodes = units.map((u, v) => {
    const layerW = colX[rank[v] + 1] !== undefined ? colX[rank[v] + 1] - RANK_SEP - colX[rank[v]] : u.w;
    return { x: colX[rank[v]] + (layerW - u.w), y: cy[v] - u.h / 2 - minY + MARGIN };
  });
  return { nodes, edges: edges.map(() => []) };
}

/** A smooth edge from `a` through `mids` to `b`, its arrowhead, and its middle point. */
function edgePath(a: Pt, mids: Pt[], b: Pt): { d: string; arrow: string; mid: Pt } {
  const f = (q: Pt) => `${round1(q.x)},${round1(q.y)}`;
  let d: string;
  let mid: Pt;
  let tail: Pt; // the point the last segment comes from, for the arrow's direction
  if (mids.length === 0) {
    const c = Math.max(24, (b.x - a.x) / 2);
    const c1 = { x: a.x + c, y: a.y };
    const c2 = { x: b.x - c, y: b.y };
    d = `M${f(a)} C${f(c1)} ${f(c2)} ${f(b)}`;
    mid = { x: (a.x + 3 * c1.x + 3 * c2.x + b.x) / 8, y: (a.y + 3 * c1.y + 3 * c2.y + b.y) / 8 };
    tail = c2;
  } else {
    const pts = [a, ...mids, b];
    d = `M${f(a)}`;
    for (let i = 1; i < pts.length - 1; i++) {
      const m = { x: (pts[i].x + pts[i + 1].x) / 2, y: (pts[i].y + pts[i + 1].y) / 2 };
      d += ` Q${f(pts[i])} ${f(m)}`;
    }
    d += ` L${f(b)}`;
    mid = pts[Math.floor(pts.length / 2)];
    const last = pts[pts.length - 2];
    tail = { x: (last.x + b.x) / 2, y: (last.y + b.y) / 2 };
    if (Math.hypot(b.x - tail.x, b.y - tail.y) < 1) tail = { x: b.x - 1, y: b.y };
  }
  const len = Math.hypot(b.x - tail.x, b.y - tail.y) || 1;
  const ux = (b.x - tail.x) / len;
  const uy = (b.y - tail.y) / len;
  const L = 7;
  const W = 3.5;
  const base = { x: b.x - ux * L, y: b.y - uy * L };
  const arrow = `${f(b)} ${f({ x: base.x - uy * W, y: base.y + ux * W })} ${f({ x: base.x + uy * W, y: base.y - ux * W })}`;
  return { d, arrow, mid };
}


/**
 * The graph as a self-contained SVG document (image/svg+xml): every node's
 * name, shape, value and gradient, the ops, and the edges with their shapes.
 */
export function graphSvg(p: GraphPayload): string {
  const fig = graphFigure(p);
  const title = typeof p?.title === 'string' ? p.title : '';
  const head: string[] = [];
  if (title) head.push(title);
  head.push(...fig.notes);
  if (fig.groups.some((g) => g.collapsed)) head.push('This static picture shows the groups collapsed; the JupyterLab view (gradlab extension) expands a group when clicked.');
  const headH = head.length ? head.length * 18 + 8 : 0;
  const legendH = 22;
  const W = Math.max(fig.width, 560); // room for the legend
  const H = fig.height + headH + legendH;
  const o: string[] = [];
  o.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${escapeXml(FONT)}" font-size="${GRAPH_FONT_PX}">`,
  );
  o.push(`<title>${escapeXml(title || 'gradlab computational graph')}</title>`);
  o.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  head.forEach((line, i) => {
    const isTitle = title !== '' && i === 0;
    o.push(
      `<text x="${MARGIN}" y="${18 + i * 18}" font-family="${escapeXml(SANS)}" font-size="${isTitle ? 14 : 12}" ${isTitle ? 'font-weight="600"' : ''} fill="${isTitle ? INK.text : INK.note}">${escapeXml(isTitle ? line : '⚠ ' + line)}</text>`,
    );
  });
  // Repeated styles as classes: a 1,000-node picture is half the bytes and builds faster.
  o.push(`<style>${SVG_STYLE}</style>`);
  const tips = fig.nodes.length + fig.groups.length <= SVG_TOOLTIPS_MAX;
  o.push(`<g transform="translate(0,${headH})">`);
  for (const g of fig.groups) if (!g.collapsed) o.push(svgGroup(g, tips));
  for (const e of fig.edges) {
    o.push(`<path class="e" d="${e.d}"/><polygon class="a" points="${e.arrow}"/>`);
    if (e.label) o.push(`<text class="el" x="${round1(e.lx)}" y="${round1(e.ly)}">${escapeXml(e.label)}</text>`);
  }
  for (const g of fig.groups) if (g.collapsed) o.push(svgGroup(g, tips));
  for (const n of fig.nodes) o.push(svgNode(n, tips));
  o.push('</g>');
  o.push(svgLegend(MARGIN, H - 7));
  o.push('</svg>');
  return o.join('\n');
}

/** Pictures with more boxes than this leave out the per-box tooltips (an `<img>` never shows them anyway). */
const SVG_TOOLTIPS_MAX = 400;

/** The static picture's classes: edges, ops, boxes by kind, text roles (INK colours, no CSS variables). */
const SVG_STYLE = [
  `.e{fill:none;stroke:${INK.edge};stroke-width:1.2}`,
  `.a{fill:${INK.edge}}`,
  `.el{font-size:10px;fill:${INK.muted};stroke:#fff;stroke-width:3;paint-order:stroke;text-anchor:middle}`,
  `.o{fill:${INK.opFill};stroke:${INK.opStroke};stroke-width:1.2}`,
  `.ol{fill:${INK.opStroke};font-weight:600;text-anchor:middle}`,
  `.ok{stroke:${INK.opStroke};stroke-width:1.2}`,
  `.oa{fill:${INK.opStroke}}`,
  `.b{fill:${INK.box};stroke:${INK.boxStroke};stroke-width:1}`,
  `.bl{fill:${INK.leafFill}}`,
  `.bc{fill:${INK.constFill};stroke-dasharray:4 3}`,
  `.bo{stroke:${INK.output};stroke-width:2.5}`,
  `.bf{stroke:${INK.bad};stroke-width:2.5}`,
  `.gl{fill:${INK.grad}}`,
  `.gr{fill:${INK.opFill};stroke:${INK.opStroke};stroke-width:1.5}`,
  `.gs{fill:${INK.opFill};stroke:${INK.opStroke};stroke-width:1}`,
  `.gf{fill:none;stroke:${INK.opStroke};stroke-width:1;stroke-dasharray:5 3}`,
  `.gx{stroke:${INK.bad};stroke-width:2.5}`,
  `.t{font-weight:700;fill:${INK.text}}`,
  `.l{font-size:11px;fill:${INK.muted}}`,
  `.v{fill:${INK.text}}`,
  `.g{fill:${INK.grad};font-weight:600}`,
  `.c{fill:${INK.bad};font-weight:600}`,
].join('');

/** A collapsed group's box (its lines as in a value box), or an expanded group's frame and label. */
function svgGroup(g: FigureGroup, tip: boolean): string {
  const { x, y, w, h } = g.box;
  const bad = g.check ? ' gx' : '';
  const o: string[] = [`<g>`];
  if (tip) o.push(`<title>${escapeXml(g.tooltip)}</title>`);
  if (g.collapsed) {
    o.push(`<rect class="gs${bad}" x="${round1(x + 4)}" y="${round1(y + 4)}" width="${round1(w)}" height="${round1(h)}" rx="6"/>`);
    o.push(`<rect class="gr${bad}" x="${round1(x)}" y="${round1(y)}" width="${round1(w)}" height="${round1(h)}" rx="6"/>`);
  } else {
    o.push(`<rect class="gf${bad}" x="${round1(x)}" y="${round1(y)}" width="${round1(w)}" height="${round1(h)}" rx="8"/>`);
  }
  o.push(...svgLines(g.lines));
  o.push('</g>');
  return o.join('');
}

function svgLines(lines: FigureLine[]): string[] {
  const o: string[] = [];
  for (const l of lines) {
    if (l.role === 'title') {
      o.push(`<text class="t" x="${round1(l.x)}" y="${round1(l.y)}">${escapeXml(l.text)}</text>`);
    } else {
      const cls = l.role === 'grad' ? 'g' : l.role === 'check' ? 'c' : 'v';
      if (l.label) o.push(`<text class="l${cls === 'v' ? '' : ' ' + cls}" x="${round1(l.x)}" y="${round1(l.y)}">${escapeXml(l.label)}</text>`);
      o.push(`<text class="${cls}" x="${round1(l.x + LABEL_W)}" y="${round1(l.y)}">${escapeXml(l.text)}</text>`);
    }
  }
  return o;
}

function svgNode(n: FigureNode, tip: boolean): string {
  const o: string[] = [`<g>`];
  if (tip) o.push(`<title>${escapeXml(n.tooltip)}</title>`);
  if (n.op) {
    const { cx, cy, rx, ry } = n.op;
    o.push(`<ellipse class="o" cx="${round1(cx)}" cy="${round1(cy)}" rx="${round1(rx)}" ry="${ry}"/>`);
    o.push(`<text class="ol" x="${round1(cx)}" y="${round1(cy + 4)}">${escapeXml(n.op.label)}</text>`);
    const x1 = cx + rx;
    const x2 = n.box.x - 1;
    const y = n.box.y + n.box.h / 2;
    o.push(`<line class="ok" x1="${round1(x1)}" y1="${round1(cy)}" x2="${round1(x2 - 6)}" y2="${round1(y)}"/>`);
    o.push(`<polygon class="oa" points="${round1(x2)},${round1(y)} ${round1(x2 - 7)},${round1(y - 3.5)} ${round1(x2 - 7)},${round1(y + 3.5)}"/>`);
  }
  const { x, y, w, h } = n.box;
  const cls = ['b'];
  if (n.kind === 'leaf') cls.push('bl');
  if (n.kind === 'const') cls.push('bc');
  if (n.output) cls.push('bo');
  if (n.check) cls.push('bf');
  o.push(`<rect class="${cls.join(' ')}" x="${round1(x)}" y="${round1(y)}" width="${round1(w)}" height="${round1(h)}" rx="4"/>`);
  if (n.gradLeaf) o.push(`<rect class="gl" x="${round1(x)}" y="${round1(y)}" width="4" height="${round1(h)}" rx="2"/>`);
  o.push(...svgLines(n.lines));
  o.push('</g>');
  return o.join('');
}

function svgLegend(x: number, y: number): string {
  const f = escapeXml(SANS);
  return [
    `<g font-family="${f}" font-size="11" fill="${INK.muted}">`,
    `<ellipse cx="${x + 8}" cy="${y - 4}" rx="8" ry="6" fill="${INK.opFill}" stroke="${INK.opStroke}"/>`,
    `<text x="${x + 20}" y="${y}">op</text>`,
    `<rect x="${x + 44}" y="${y - 10}" width="16" height="12" rx="2" fill="#fff" stroke="${INK.boxStroke}"/>`,
    `<text x="${x + 64}" y="${y}">value (grad = ∂output/∂value, in orange)</text>`,
    `<rect x="${x + 300}" y="${y - 10}" width="4" height="12" fill="${INK.grad}"/>`,
    `<text x="${x + 309}" y="${y}">leaf that requires grad</text>`,
    `<rect x="${x + 450}" y="${y - 10}" width="16" height="12" rx="2" fill="#fff" stroke="${INK.output}" stroke-width="2"/>`,
    `<text x="${x + 470}" y="${y}">output</text>`,
    `</g>`,
  ].join('');
}

/** The graph as short plain text: one line per node (the first 40), with value and gradient. */
export function graphText(p: GraphPayload): string {
  const notes: string[] = [];
  const nodes = normalizeNodes(p, notes);
  const out = typeof p?.output === 'number' ? p.output : nodes.length - 1;
  const leaves = nodes.filter((n) => n.kind === 'leaf').length;
  const ops = nodes.filter((n) => n.kind === 'op').length;
  const lines: string[] = [];
  const title = typeof p?.title === 'string' && p.title ? `${p.title}: ` : '';
  lines.push(`${title}graph of ${nodes.length} nodes (${leaves} leaves, ${ops} ops), output ${nodes[out] ? shorten(nodeTitle(nodes[out]), 80) : '?'}`);
  if (p?.omitted) lines.push(p.omitted.nodes === 0 ? `(left out: ${asText(p.omitted.reason)})` : `(${formatCount(p.omitted.nodes)} nodes left out: ${asText(p.omitted.reason)})`);
  const scopes = new Set(nodes.filter((n) => n.scope.length > 0).map((n) => groupKey(n.scope.slice(0, 1))));
  if (scopes.size > 0) lines.push(`${formatCount(scopes.size)} top-level scope group${scopes.size === 1 ? '' : 's'}: ${[...scopes].slice(0, 5).join(', ')}${scopes.size > 5 ? ', …' : ''}`);
  lines.push(...notes);
  const LIMIT = 40;
  for (const n of nodes.slice(0, LIMIT)) {
    const args = n.inputs.slice(0, 8).map((j) => shorten(nodeTitle(nodes[j]), 32)).join(', ') + (n.inputs.length > 8 ? `, … ${formatCount(n.inputs.length - 8)} more` : '');
    const what = n.kind === 'op' ? `${shorten(n.op, MAX_OP_CHARS)}(${args})` : n.kind + (n.requiresGrad ? ', requires grad' : '');
    const shape = n.shape.length ? ` [${formatShape(n.shape)}]` : '';
    const val = summaryLines(n.value).join(' ');
    const grad = n.grad ? `  grad ${summaryLines(n.grad).join(' ')}` : '';
    lines.push(`  ${shorten(nodeTitle(n), 80)}${shape} = ${what}: ${val}${grad}`);
  }
  if (nodes.length > LIMIT) lines.push(`  … ${nodes.length - LIMIT} more nodes`);
  return lines.join('\n');
}

