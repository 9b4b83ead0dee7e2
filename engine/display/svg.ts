/**
 * Static fallbacks of the four views, and the figure models the views share.
 *
 * A notebook saved with gradlab outputs is also read where the JupyterLab
 * extension is absent (GitHub, VS Code, `nbconvert --to html`, a printed PDF).
 * Each bundle therefore carries a static form of the same figure: SVG for the
 * graph and the loss curve, HTML and plain-text tables for the gradient check
 * and the Jacobian chain.
 *
 * "The same figure" is kept true by construction: the geometry and the text of
 * each figure are computed once here (`graphFigure`, `gradCheckModel`,
 * `jacobianChainModel`, `lossCurveSeries`) and both the static strings below
 * and the extension's DOM views (extension/views/) draw from them.
 *
 * Pure functions: no DOM, no Node APIs. Imports only the contract and dagre.
 * Every string that comes from a payload is escaped (`escapeXml`); the static
 * SVG uses inline styles and no CSS variables, since it is shown outside
 * JupyterLab, and prints readably in grey (gradients are labelled "grad", not
 * only coloured).
 */
import * as dagre from '@dagrejs/dagre';
import type {
  GradCheckPayload,
  GraphNode,
  GraphPayload,
  JacobianChainPayload,
  LossCurvePayload,
  Num,
  TensorSummary,
} from './contract';
import { asText, escapeXml } from './text';

export { asText, escapeXml };

// ---- text ------------------------------------------------------------------

/** A payload number as a short string: up to 4 significant digits, exact for small integers. */
export function formatNum(n: Num | unknown): string {
  if (n === 'NaN' || n === 'Infinity' || n === '-Infinity') return n;
  if (typeof n !== 'number') return '?';
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  if (n === 0) return '0';
  if (Number.isInteger(n) && Math.abs(n) < 1e6) return String(n);
  const a = Math.abs(n);
  if (a >= 1e-3 && a < 1e5) return trimZeros(n.toPrecision(4));
  return n.toExponential(2).replace(/\.?0+e/, 'e');
}

/** A payload number with more digits (8 significant unless told), for details and tables. */
export function formatNumLong(n: Num | unknown, digits = 8): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) return formatNum(n);
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  const a = Math.abs(n);
  if (a >= 1e-4 && a < 1e7) return trimZeros(n.toPrecision(digits));
  return n.toExponential(digits - 4).replace(/\.?0+e/, 'e');
}

/** A relative error: always in scientific notation, which is how tolerances are read. */
export function formatErr(n: Num | unknown): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) return formatNum(n);
  if (n === 0) return '0';
  return n.toExponential(1);
}

/** An integer count with thousands separators (locale-independent). */
export function formatCount(n: unknown): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) return formatNum(n);
  const s = String(Math.round(Math.abs(n)));
  return (n < 0 ? '-' : '') + s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function trimZeros(s: string): string {
  return s.includes('.') && !s.includes('e') ? s.replace(/\.?0+$/, '') : s;
}

/** A shape as students write it: `3×4`, `scalar` for `[]`. */
export function formatShape(shape: unknown): string {
  if (!Array.isArray(shape)) return '?';
  if (shape.length === 0) return 'scalar';
  return shape.map((d) => (typeof d === 'number' ? String(d) : '?')).join('×');
}

/** The number a payload `Num` stands for (NaN for anything unreadable). */
export function toNumber(n: Num | unknown): number {
  if (typeof n === 'number') return n;
  if (n === 'Infinity') return Infinity;
  if (n === '-Infinity') return -Infinity;
  return NaN;
}


function shorten(s: string, max: number): string {
  const cs = [...s];
  return cs.length <= max ? s : cs.slice(0, max - 1).join('') + '…';
}

function isSummary(t: unknown): t is TensorSummary {
  return typeof t === 'object' && t !== null && Array.isArray((t as TensorSummary).values);
}

/**
 * The lines a graph node shows for a tensor: a scalar as its number; a tensor
 * as its first entries, and its range when not every entry is shown.
 */
export function summaryLines(t: TensorSummary | null | undefined, maxEntries = 3): string[] {
  if (!isSummary(t)) return t == null ? [] : ['?'];
  const size = typeof t.size === 'number' ? t.size : t.values.length;
  if (size === 1 && t.values.length >= 1) return [formatNum(t.values[0])];
  if (size === 0) return ['(empty)'];
  const shown = t.values.slice(0, maxEntries).map((v) => formatNum(v));
  const more = size > shown.length;
  const lines = ['[' + shown.join(', ') + (more ? ', …' : '') + ']'];
  if (more) lines.push(`min ${formatNum(t.min)} max ${formatNum(t.max)}`);
  return lines;
}

// ---- graph figure ----------------------------------------------------------

/** Glyphs for arithmetic ops; any other op is shown by its name. */
const OP_SYMBOL: Record<string, string> = { add: '+', sub: '−', mul: '×', div: '÷', neg: '−', pow: '^' };
/** Ops written between their operands, and which of them commute. */
const INFIX = new Set(['add', 'sub', 'mul', 'div', 'pow']);
const COMMUTES = new Set(['add', 'mul']);

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

/** One line of text in a value box. `label` is drawn muted before `text`. */
export interface FigureLine {
  role: 'title' | 'value' | 'grad';
  label: string;
  text: string;
  /** Baseline position. */
  x: number;
  y: number;
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
}

/** A drawn edge from an operand's box to an op. */
export interface FigureEdge {
  from: number;
  to: number;
  /** SVG path data. */
  d: string;
  /** Arrowhead polygon points at the op end. */
  arrow: string;
  /** The operand's shape for non-scalars, else null. */
  label: string | null;
  lx: number;
  ly: number;
}

/** The laid-out graph: everything both the view and the static SVG draw. */
export interface GraphFigure {
  width: number;
  height: number;
  nodes: FigureNode[];
  edges: FigureEdge[];
  /** Notes to show above the figure (left-out nodes, missing gradients, malformed parts). */
  notes: string[];
  /** Which layout ran and how long it took (ms). */
  layout: 'dagre' | 'layered';
  layoutMs: number;
  /** Payload nodes drawn inline (constants) and so absent from `nodes`. */
  inlined: number;
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
}

/** Reads a payload's nodes defensively: a malformed node becomes a visible "?" node, never an exception. */
function normalizeNodes(p: GraphPayload, notes: string[]): NormNode[] {
  const raw: unknown[] = Array.isArray(p?.nodes) ? p.nodes : [];
  let bad = 0;
  const out = raw.map((r, i): NormNode => {
    const n = (typeof r === 'object' && r !== null ? r : {}) as Partial<GraphNode>;
    const kind = n.kind === 'leaf' || n.kind === 'const' || n.kind === 'op' ? n.kind : 'op';
    const inputs = Array.isArray(n.inputs)
      ? n.inputs.filter((j): j is number => Number.isInteger(j) && j >= 0 && j < raw.length && j !== i)
      : [];
    if (typeof r !== 'object' || r === null || !isSummary(n.value) || !Array.isArray(n.inputs)) bad++;
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
    };
  });
  if (bad) notes.push(`${bad} node${bad === 1 ? '' : 's'} of this payload could not be read fully (shown with "?").`);
  return out;
}

function isScalarConst(n: NormNode): boolean {
  return n.kind === 'const' && n.value !== null && n.value.size === 1 && n.value.values.length >= 1;
}

/** The label of an op, with scalar constant operands written inline: `× 5`, `5 − ·`, `max(·, 0)`. */
function opLabel(n: NormNode, inlined: Set<number>, nodes: NormNode[]): string {
  const sym = OP_SYMBOL[n.op] ?? n.op;
  const consts = n.inputs.map((j) => (inlined.has(j) ? formatNum(nodes[j].value!.values[0]) : null));
  let label = sym;
  if (consts.some((c) => c !== null)) {
    if (INFIX.has(n.op) && n.inputs.length === 2) {
      const [a, b] = consts;
      if (a !== null && b !== null) label = `${a} ${sym} ${b}`;
      else if (b !== null) label = `${sym} ${b}`;
      else label = COMMUTES.has(n.op) ? `${sym} ${a}` : `${a} ${sym} ·`;
    } else {
      label = `${sym}(${consts.map((c) => c ?? '·').join(', ')})`;
    }
  }
  return label;
}

/** Short `key=value` text of an op's attributes, or '' when there are none. */
export function attrsText(attrs: unknown): string {
  if (typeof attrs !== 'object' || attrs === null) return '';
  return Object.entries(attrs as Record<string, unknown>)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? '[' + v.map((e) => asText(e)).join(',') + ']' : asText(v)}`)
    .join(' ');
}

/** How a node is called in text: its name, else `#id`. */
export function nodeTitle(n: Pick<GraphNode, 'id' | 'name'>): string {
  return n.name != null && n.name !== '' ? asText(n.name) : `#${n.id}`;
}

function textWidth(s: string): number {
  return [...s].length * CH;
}

/**
 * Lays out a graph payload: value boxes (name, shape, value, gradient), op
 * ellipses in front of the values they produce (micrograd style: the op is a
 * gate the gradient flows back through, the box is what it holds), scalar
 * constants inline on their op, edges labelled with non-scalar shapes.
 *
 * Left to right in topological order: dagre for graphs up to
 * {@link DAGRE_MAX_NODES} drawn nodes; above that, a linear-time layered layout
 * (longest-path ranks, barycenter ordering, straight curved edges), since
 * dagre's crossing minimisation and positioning take seconds past a few
 * hundred nodes.
 */
export function graphFigure(p: GraphPayload): GraphFigure {
  const notes: string[] = [];
  if (p?.omitted && typeof p.omitted === 'object') {
    notes.push(
      `${formatCount(p.omitted.nodes)} node${p.omitted.nodes === 1 ? '' : 's'} left out: ${asText(p.omitted.reason, 'graph too large')}.`,
    );
  }
  const nodes = normalizeNodes(p, notes);
  const output = typeof p?.output === 'number' ? p.output : nodes.length - 1;

  // Consumers of each node, and which constants are drawn inline on their op.
  const consumers: number[][] = nodes.map(() => []);
  for (const n of nodes) for (const j of n.inputs) consumers[j].push(n.id);
  const inlined = new Set<number>();
  for (const n of nodes) {
    if (isScalarConst(n) && n.id !== output && consumers[n.id].length > 0 && consumers[n.id].every((c) => nodes[c].kind === 'op')) {
      inlined.add(n.id);
    }
  }
  if (nodes.length > 0 && !nodes.some((n) => n.grad !== null)) {
    notes.push('No gradients yet: call backward() on the output before showing the graph to see them.');
  }

  // Geometry of each drawn node, relative to its unit's top-left corner.
  const drawn = nodes.filter((n) => !inlined.has(n.id));
  const index = new Map<number, number>(); // payload id → index in `drawn`
  drawn.forEach((n, k) => index.set(n.id, k));
  const units = drawn.map((n) => {
    const lines: { role: FigureLine['role']; label: string; text: string }[] = [];
    const shapeText = n.shape.length > 0 ? `[${formatShape(n.shape)}]` : '';
    const title = [n.name !== null && n.name !== '' ? shorten(n.name, 32) : '', shapeText].filter(Boolean).join(' ');
    if (title) lines.push({ role: 'title', label: '', text: title });
    const vl = n.value ? summaryLines(n.value) : ['?'];
    vl.forEach((t, i) => lines.push({ role: 'value', label: i === 0 ? 'value' : '', text: t }));
    summaryLines(n.grad).forEach((t, i) => lines.push({ role: 'grad', label: i === 0 ? 'grad' : '', text: t }));
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
    return { n, lines, boxW, boxH, op, w: opW + boxW, h: Math.max(boxH, 2 * OP_RY) };
  });
  // `slot` spreads an op's operands over its left side in argument order (first on top), so
  // x·x shows two edges and a − b shows which operand is which.
  const edgeList: { from: number; to: number; k: number; slot: number }[] = [];
  for (const n of drawn) {
    const seen = new Map<number, number>();
    const ins = n.inputs.filter((j) => !inlined.has(j));
    ins.forEach((j, pos) => {
      const k = seen.get(j) ?? 0;
      seen.set(j, k + 1);
      edgeList.push({ from: index.get(j)!, to: index.get(n.id)!, k, slot: pos - (ins.length - 1) / 2 });
    });
  }

  const t0 = now();
  const useDagre = units.length <= DAGRE_MAX_NODES;
  const pos = useDagre ? dagreLayout(units, edgeList) : layeredLayout(units, edgeList);
  const layoutMs = now() - t0;

  const figNodes: FigureNode[] = units.map((u, k) => {
    const { x, y } = pos.nodes[k]; // top-left of the unit
    const bx = x + (u.op ? 2 * u.op.rx + OP_GAP : 0);
    const by = y + (u.h - u.boxH) / 2;
    const lines: FigureLine[] = u.lines.map((l, i) => ({
      ...l,
      x: bx + PAD_X,
      y: by + PAD_Y + (i + 1) * LINE - 4,
    }));
    const n = u.n;
    const operands = n.inputs.map((j) => (inlined.has(j) ? formatNum(nodes[j].value!.values[0]) : nodeTitle(nodes[j])));
    return {
      id: n.id,
      kind: n.kind,
      box: { x: bx, y: by, w: u.boxW, h: u.boxH },
      op: u.op ? { label: u.op.label, cx: x + u.op.rx, cy: y + u.h / 2, rx: u.op.rx, ry: OP_RY } : null,
      lines,
      gradLeaf: n.kind === 'leaf' && n.requiresGrad,
      output: n.id === output,
      tooltip: `${nodeTitle(n)} = ${n.op}(${operands.join(', ')})`,
    };
  });

  const edges: FigureEdge[] = edgeList.map((e, i) => {
    const a = figNodes[e.from];
    const b = figNodes[e.to];
    const start = { x: a.box.x + a.box.w, y: a.box.y + a.box.h / 2 };
    const tgt = b.op ?? { cx: b.box.x, cy: b.box.y + b.box.h / 2, rx: 0, ry: 0 };
    const dy = Math.max(-tgt.ry + 4, Math.min(tgt.ry - 4, e.slot * 9));
    const ey = tgt.cy + dy;
    const ex = tgt.cx - tgt.rx * Math.sqrt(Math.max(0, 1 - (dy / Math.max(1, tgt.ry)) ** 2));
    const end = { x: ex - 1, y: ey };
    // a repeated operand (x·x) takes a slightly different route so both edges show
    const mids = (pos.edges[i] ?? []).map((q) => ({ x: q.x, y: q.y + e.k * 10 }));
    const path = edgePath(start, mids, end);
    const src = nodes[a.id];
    const label = src.shape.length > 0 ? formatShape(src.shape) : null;
    return { from: a.id, to: b.id, d: path.d, arrow: path.arrow, label, lx: path.mid.x, ly: path.mid.y - 4 };
  });

  let maxX = 0;
  let maxY = 0;
  for (const n of figNodes) {
    maxX = Math.max(maxX, n.box.x + n.box.w);
    maxY = Math.max(maxY, n.box.y + n.box.h, n.op ? n.op.cy + n.op.ry : 0);
  }
  return {
    width: Math.ceil(maxX + MARGIN),
    height: Math.ceil(maxY + MARGIN),
    nodes: figNodes,
    edges,
    notes,
    layout: useDagre ? 'dagre' : 'layered',
    layoutMs,
    inlined: inlined.size,
  };
}

const MARGIN = 16;
const NODE_SEP = 18;
const RANK_SEP = 56;

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

interface Pt {
  x: number;
  y: number;
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

function dagreLayout(units: Unit[], edges: { from: number; to: number }[]): Placement {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'LR', nodesep: NODE_SEP, ranksep: RANK_SEP, edgesep: 10, marginx: MARGIN, marginy: MARGIN });
  units.forEach((u, k) => g.setNode(String(k), { width: u.w, height: u.h }));
  edges.forEach((e, i) => g.setEdge(String(e.from), String(e.to), {}, String(i)));
  dagre.layout(g);
  const nodes = units.map((u, k) => {
    const n = g.node(String(k)) as { x: number; y: number };
    return { x: n.x - u.w / 2, y: n.y - u.h / 2 };
  });
  const bends = edges.map((e, i) => {
    const ed = g.edge({ v: String(e.from), w: String(e.to), name: String(i) }) as { points?: Pt[] } | undefined;
    const pts = ed?.points ?? [];
    return pts.slice(1, -1); // the ends are replaced by the box and op anchors
  });
  return { nodes, edges: bends };
}

/**
 * A layered layout in O((V + E) log V): ranks by longest path (sources pulled
 * next to their first consumer), a few barycenter sweeps to order each rank,
 * then each node moved towards its neighbours' mean height without overlaps.
 */
function layeredLayout(units: Unit[], edges: { from: number; to: number }[]): Placement {
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

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

// ---- graph: static SVG and text --------------------------------------------

/** Colours of the static figures: print-safe on white, not theme-dependent. */
const INK = {
  text: '#1f2328',
  muted: '#57606a',
  grad: '#b35000',
  edge: '#6e7781',
  box: '#ffffff',
  boxStroke: '#57606a',
  leafFill: '#f6f8fa',
  constFill: '#f0f0f0',
  opFill: '#eef2ff',
  opStroke: '#4f5b93',
  output: '#0b57d0',
  ok: '#1a7f37',
  bad: '#cf222e',
  note: '#9a6700',
};
const FONT = `ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', 'Liberation Mono', monospace`;
const SANS = `-apple-system, 'Segoe UI', Helvetica, Arial, 'DejaVu Sans', sans-serif`;

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
  o.push(`<g transform="translate(0,${headH})">`);
  for (const e of fig.edges) {
    o.push(`<path d="${e.d}" fill="none" stroke="${INK.edge}" stroke-width="1.2"/>`);
    o.push(`<polygon points="${e.arrow}" fill="${INK.edge}"/>`);
    if (e.label) {
      o.push(
        `<text x="${round1(e.lx)}" y="${round1(e.ly)}" text-anchor="middle" font-size="10" fill="${INK.muted}" stroke="#ffffff" stroke-width="3" paint-order="stroke">${escapeXml(e.label)}</text>`,
      );
    }
  }
  for (const n of fig.nodes) o.push(svgNode(n));
  o.push('</g>');
  o.push(svgLegend(MARGIN, H - 7));
  o.push('</svg>');
  return o.join('\n');
}

function svgNode(n: FigureNode): string {
  const o: string[] = [`<g>`];
  o.push(`<title>${escapeXml(n.tooltip)}</title>`);
  if (n.op) {
    const { cx, cy, rx, ry } = n.op;
    o.push(`<ellipse cx="${round1(cx)}" cy="${round1(cy)}" rx="${round1(rx)}" ry="${ry}" fill="${INK.opFill}" stroke="${INK.opStroke}" stroke-width="1.2"/>`);
    o.push(`<text x="${round1(cx)}" y="${round1(cy + 4)}" text-anchor="middle" fill="${INK.opStroke}" font-weight="600">${escapeXml(n.op.label)}</text>`);
    const x1 = cx + rx;
    const x2 = n.box.x - 1;
    const y = n.box.y + n.box.h / 2;
    o.push(`<line x1="${round1(x1)}" y1="${round1(cy)}" x2="${round1(x2 - 6)}" y2="${round1(y)}" stroke="${INK.opStroke}" stroke-width="1.2"/>`);
    o.push(`<polygon points="${round1(x2)},${round1(y)} ${round1(x2 - 7)},${round1(y - 3.5)} ${round1(x2 - 7)},${round1(y + 3.5)}" fill="${INK.opStroke}"/>`);
  }
  const { x, y, w, h } = n.box;
  const fill = n.kind === 'leaf' ? INK.leafFill : n.kind === 'const' ? INK.constFill : INK.box;
  const stroke = n.output ? INK.output : INK.boxStroke;
  const sw = n.output ? 2.5 : 1;
  const dash = n.kind === 'const' ? ' stroke-dasharray="4 3"' : '';
  o.push(`<rect x="${round1(x)}" y="${round1(y)}" width="${round1(w)}" height="${round1(h)}" rx="4" fill="${fill}" stroke="${stroke}" stroke-width="${sw}"${dash}/>`);
  if (n.gradLeaf) o.push(`<rect x="${round1(x)}" y="${round1(y)}" width="4" height="${round1(h)}" rx="2" fill="${INK.grad}"/>`);
  for (const l of n.lines) {
    if (l.role === 'title') {
      o.push(`<text x="${round1(l.x)}" y="${round1(l.y)}" font-weight="700" fill="${INK.text}">${escapeXml(l.text)}</text>`);
    } else {
      const colour = l.role === 'grad' ? INK.grad : INK.text;
      const lab = l.role === 'grad' ? INK.grad : INK.muted;
      if (l.label) o.push(`<text x="${round1(l.x)}" y="${round1(l.y)}" fill="${lab}" font-size="11">${escapeXml(l.label)}</text>`);
      const weight = l.role === 'grad' ? ' font-weight="600"' : '';
      o.push(`<text x="${round1(l.x + LABEL_W)}" y="${round1(l.y)}" fill="${colour}"${weight}>${escapeXml(l.text)}</text>`);
    }
  }
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
  lines.push(`${title}graph of ${nodes.length} nodes (${leaves} leaves, ${ops} ops), output ${nodes[out] ? nodeTitle(nodes[out]) : '?'}`);
  if (p?.omitted) lines.push(`(${formatCount(p.omitted.nodes)} nodes left out: ${asText(p.omitted.reason)})`);
  lines.push(...notes);
  const LIMIT = 40;
  for (const n of nodes.slice(0, LIMIT)) {
    const args = n.inputs.map((j) => nodeTitle(nodes[j])).join(', ');
    const what = n.kind === 'op' ? `${n.op}(${args})` : n.kind + (n.requiresGrad ? ', requires grad' : '');
    const shape = n.shape.length ? ` [${formatShape(n.shape)}]` : '';
    const val = summaryLines(n.value).join(' ');
    const grad = n.grad ? `  grad ${summaryLines(n.grad).join(' ')}` : '';
    lines.push(`  ${nodeTitle(n)}${shape} = ${what}: ${val}${grad}`);
  }
  if (nodes.length > LIMIT) lines.push(`  … ${nodes.length - LIMIT} more nodes`);
  return lines.join('\n');
}

// ---- gradient check --------------------------------------------------------

/** The gradient check as rows of text, shared by the view and the static tables. */
export interface GradCheckModel {
  ok: boolean;
  /** `✓ gradient check passed` / `✗ gradient check failed`. */
  headline: string;
  /** Max relative error and the settings used. */
  settings: string;
  inputs: { ok: boolean; mark: string; name: string; shape: string; count: string; maxRelError: string }[];
  columns: string[];
  rows: { ok: boolean; cells: string[] }[];
  /** Rows of `rows` beyond what the payload could carry (`totalEntries` − entries). */
  notShown: number;
  forward: { ok: boolean | null; text: string };
}

/** Mark for a pass or a fail, readable without colour. */
export function mark(ok: boolean): string {
  return ok ? '✓' : '✗';
}

function relErrKey(n: Num): number {
  const v = toNumber(n);
  return Number.isNaN(v) ? Infinity : v;
}

/** Reads a gradient-check payload into the rows both its view and its tables show (worst entries first). */
export function gradCheckModel(p: GradCheckPayload): GradCheckModel {
  const ok = p?.ok === true;
  const inputsRaw = Array.isArray(p?.inputs) ? p.inputs : [];
  const entries = Array.isArray(p?.entries) ? [...p.entries] : [];
  // Worst first: failing entries, then by relative error (NaN counts as worst).
  entries.sort((a, b) => Number(a?.ok === true) - Number(b?.ok === true) || relErrKey(b?.relError) - relErrKey(a?.relError));
  const inputs = inputsRaw.map((i) => ({
    ok: i?.ok === true,
    mark: mark(i?.ok === true),
    name: asText(i?.name, '?'),
    shape: formatShape(i?.shape),
    count: formatCount(i?.count),
    maxRelError: formatErr(i?.maxRelError),
  }));
  const rows = entries.map((e) => ({
    ok: e?.ok === true,
    cells: [
      asText(inputsRaw[e?.input]?.name, `#${asText(e?.input, '?')}`),
      Array.isArray(e?.index) ? (e.index.length ? `[${e.index.join(', ')}]` : 'scalar') : '?',
      formatNumLong(e?.analytic, 10), // enough digits to see analytic and numerical differ
      formatNumLong(e?.numerical, 10),
      formatErr(e?.relError),
      mark(e?.ok === true),
    ],
  }));
  const total = typeof p?.totalEntries === 'number' ? p.totalEntries : rows.length;
  let forward: GradCheckModel['forward'];
  const f = p?.forward as GradCheckPayload['forward'] | undefined;
  if (f && 'skipped' in f) forward = { ok: null, text: `forward mode: skipped (${asText(f.skipped)})` };
  else if (f && typeof f === 'object') {
    forward = {
      ok: f.ok === true,
      text:
        `${mark(f.ok === true)} forward mode, along a random direction v: ` +
        `jvp ${formatNumLong(f.jvp)} · finite difference ${formatNumLong(f.numerical)} · ⟨grad, v⟩ ${formatNumLong(f.vjpDot)} · ` +
        `relative error ${formatErr(f.relError)}`,
    };
  } else forward = { ok: null, text: 'forward mode: not reported' };
  const title = typeof p?.title === 'string' && p.title ? ` (${p.title})` : '';
  return {
    ok,
    headline: `${mark(ok)} gradient check ${ok ? 'passed' : 'FAILED'}${title}`,
    settings:
      `max relative error ${formatErr(p?.maxRelError)} · an entry passes when relative error ≤ ${formatErr(p?.tol)} ` +
      `or absolute error ≤ ${formatErr(p?.atol)} · finite-difference step h = ${formatErr(p?.h)} · ` +
      `${formatCount(rows.length)} of ${formatCount(total)} entries listed`,
    inputs,
    columns: ['input', 'index', 'analytic', 'numerical', 'rel. error', 'ok'],
    rows,
    notShown: Math.max(0, total - rows.length),
    forward,
  };
}

/** Rows the static tables list before eliding (the worst ones). */
export const STATIC_ROWS = 50;

const CELL = 'padding:2px 8px;border-bottom:1px solid #d0d7de;text-align:right;font-family:' + FONT;
const CELL_L = 'padding:2px 8px;border-bottom:1px solid #d0d7de;text-align:left;font-family:' + FONT;

/** The gradient check as an HTML fragment with inline styles (text/html). */
export function gradCheckHtml(p: GradCheckPayload): string {
  const m = gradCheckModel(p);
  const colour = (ok: boolean | null) => (ok === null ? INK.muted : ok ? INK.ok : INK.bad);
  const o: string[] = [];
  o.push(`<div class="gradlab-static gradlab-gradcheck" style="font-family:${escapeXml(SANS)};font-size:13px;color:${INK.text}">`);
  o.push(`<div style="font-size:15px;font-weight:700;color:${colour(m.ok)}">${escapeXml(m.headline)}</div>`);
  o.push(`<div style="color:${INK.muted};margin:2px 0 6px">${escapeXml(m.settings)}</div>`);
  o.push(`<table style="border-collapse:collapse;margin-bottom:6px"><thead><tr>`);
  for (const h of ['', 'input', 'shape', 'entries', 'max rel. error']) o.push(`<th style="${CELL_L}">${escapeXml(h)}</th>`);
  o.push('</tr></thead><tbody>');
  for (const i of m.inputs) {
    o.push(
      `<tr><td style="${CELL_L};color:${colour(i.ok)};font-weight:700">${i.mark}</td><td style="${CELL_L}">${escapeXml(i.name)}</td>` +
        `<td style="${CELL_L}">${escapeXml(i.shape)}</td><td style="${CELL}">${escapeXml(i.count)}</td><td style="${CELL}">${escapeXml(i.maxRelError)}</td></tr>`,
    );
  }
  o.push('</tbody></table>');
  o.push(`<table style="border-collapse:collapse"><thead><tr>`);
  m.columns.forEach((h, k) => o.push(`<th style="${k < 2 ? CELL_L : CELL}">${escapeXml(h)}</th>`));
  o.push('</tr></thead><tbody>');
  for (const r of m.rows.slice(0, STATIC_ROWS)) {
    o.push('<tr>');
    r.cells.forEach((c, k) => {
      const last = k === r.cells.length - 1;
      const style = (k < 2 ? CELL_L : CELL) + (last ? `;color:${colour(r.ok)};font-weight:700;text-align:center` : '');
      o.push(`<td style="${style}">${escapeXml(c)}</td>`);
    });
    o.push('</tr>');
  }
  o.push('</tbody></table>');
  const more = Math.max(0, m.rows.length - STATIC_ROWS) + m.notShown;
  if (more > 0) o.push(`<div style="color:${INK.muted}">… ${escapeXml(formatCount(more))} more entries, all better than those above</div>`);
  o.push(`<div style="margin-top:6px;color:${colour(m.forward.ok)}">${escapeXml(m.forward.text)}</div>`);
  o.push('</div>');
  return o.join('');
}

/** Pads cells into aligned plain-text columns (numbers right-aligned). */
function textTable(head: string[], rows: string[][], right: boolean[]): string[] {
  const widths = head.map((h, k) => Math.max([...h].length, ...rows.map((r) => [...(r[k] ?? '')].length)));
  const pad = (s: string, k: number) => {
    const fill = ' '.repeat(Math.max(0, widths[k] - [...s].length));
    return right[k] ? fill + s : s + fill;
  };
  const line = (r: string[]) => r.map(pad).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

/** The gradient check as a plain-text table (text/plain). */
export function gradCheckText(p: GradCheckPayload): string {
  const m = gradCheckModel(p);
  const o = [m.headline, m.settings, ''];
  o.push(
    ...textTable(
      ['', 'input', 'shape', 'entries', 'max rel. error'],
      m.inputs.map((i) => [i.mark, i.name, i.shape, i.count, i.maxRelError]),
      [false, false, false, true, true],
    ),
  );
  o.push('');
  o.push(...textTable(m.columns, m.rows.slice(0, STATIC_ROWS).map((r) => r.cells), [false, false, true, true, true, false]));
  const more = Math.max(0, m.rows.length - STATIC_ROWS) + m.notShown;
  if (more > 0) o.push(`… ${formatCount(more)} more entries, all better than those above`);
  o.push('', m.forward.text);
  return o.join('\n');
}

// ---- Jacobian chain --------------------------------------------------------

/** One Jacobian block as drawn: sizes in pixels on a shared sub-linear scale. */
export interface JacobianBlock {
  /** 1-based position in the chain (J_1 is applied to the input first). */
  index: number;
  label: string;
  op: string;
  rows: number;
  cols: number;
  /** `rows × cols` with thousands separators. */
  dims: string;
  inShape: string;
  outShape: string;
  w: number;
  h: number;
}

/** The Jacobian chain, drawn in the order the product is written: J_k ··· J_2 · J_1. */
export interface JacobianChainModel {
  title: string;
  /** Blocks in product order: J_k first (output side, left), J_1 last (input side, right). */
  blocks: JacobianBlock[];
  scale: 'linear' | 'square root' | 'logarithmic';
  product: string;
  forwardCost: string;
  reverseCost: string;
  /** Which order costs fewer multiply-adds, from the costs themselves. */
  winner: 'forward' | 'reverse' | 'tie';
  /** The answer to "which is faster here, forward or reverse?". */
  verdict: string;
  /** Relative cost bar lengths in [0, 1]. */
  forwardBar: number;
  reverseBar: number;
  inShape: string;
  outShape: string;
}

const SUBSCRIPT = '₀₁₂₃₄₅₆₇₈₉';
/** `J` with a subscript index: J₁, J₁₂. */
export function jName(i: number): string {
  return 'J' + String(i).replace(/\d/g, (d) => SUBSCRIPT[Number(d)]);
}

/** Largest block side in pixels. */
const J_MAX = 120;
const J_MIN = 6;

/** Reads a Jacobian-chain payload into blocks with proportional (or sub-linear) sizes, costs and a verdict. */
export function jacobianChainModel(p: JacobianChainPayload): JacobianChainModel {
  const steps = Array.isArray(p?.steps) ? p.steps : [];
  const dimsOf = (s: (typeof steps)[number]) => ({
    rows: Number.isFinite(s?.rows) && s.rows > 0 ? s.rows : 1,
    cols: Number.isFinite(s?.cols) && s.cols > 0 ? s.cols : 1,
  });
  const all = steps.flatMap((s) => {
    const d = dimsOf(s);
    return [d.rows, d.cols];
  });
  const lo = all.length ? Math.min(...all) : 1;
  const hi = all.length ? Math.max(...all) : 1;
  const ratio = hi / lo;
  const scale: JacobianChainModel['scale'] = ratio <= 20 ? 'linear' : ratio <= 1e4 ? 'square root' : 'logarithmic';
  const f = (n: number) =>
    scale === 'linear' ? n / hi : scale === 'square root' ? Math.sqrt(n) / Math.sqrt(hi) : Math.log1p(n) / Math.log1p(hi);
  const px = (n: number) => Math.max(J_MIN, Math.round(f(n) * J_MAX));
  const blocks = steps
    .map((s, i): JacobianBlock => {
      const d = dimsOf(s);
      return {
        index: i + 1,
        label: asText(s?.label, asText(s?.op, '?')),
        op: asText(s?.op, '?'),
        rows: d.rows,
        cols: d.cols,
        dims: `${formatCount(s?.rows)} × ${formatCount(s?.cols)}`,
        inShape: formatShape(s?.inShape),
        outShape: formatShape(s?.outShape),
        w: px(d.cols),
        h: px(d.rows),
      };
    })
    .reverse();
  const fc = toNumber(p?.forwardCost);
  const rc = toNumber(p?.reverseCost);
  let winner: JacobianChainModel['winner'] = p?.winner === 'forward' || p?.winner === 'reverse' ? p.winner : 'tie';
  if (Number.isFinite(fc) && Number.isFinite(rc)) winner = fc < rc ? 'forward' : rc < fc ? 'reverse' : 'tie';
  const inSize = steps.length ? dimsOf(steps[0]).cols : NaN;
  const outSize = steps.length ? dimsOf(steps[steps.length - 1]).rows : NaN;
  const times = (a: number, b: number) => {
    const r = a / b;
    return r >= 10 ? `${formatCount(r)}×` : `${r.toFixed(1)}×`;
  };
  let verdict: string;
  if (steps.length === 0) verdict = 'The chain is empty: there is nothing to multiply.';
  else if (steps.length === 1) verdict = `The chain has one Jacobian: forward and reverse order do the same work (no products to accumulate).`;
  else if (winner === 'tie') verdict = `Both orders cost the same here: ${formatCount(fc)} multiply-adds each.`;
  else {
    const [w, l, wc, lc] = winner === 'reverse' ? ['Reverse', 'forward', rc, fc] : ['Forward', 'reverse', fc, rc];
    const why =
      winner === 'reverse'
        ? `the output has ${formatCount(outSize)} entr${outSize === 1 ? 'y' : 'ies'} and the input ${formatCount(inSize)}: starting from the output side keeps every partial product only ${formatCount(outSize)} row${outSize === 1 ? '' : 's'} tall`
        : `the input has ${formatCount(inSize)} entr${inSize === 1 ? 'y' : 'ies'} and the output ${formatCount(outSize)}: starting from the input side keeps every partial product only ${formatCount(inSize)} column${inSize === 1 ? '' : 's'} wide`;
    verdict = `${w} mode is faster here: ${formatCount(wc)} multiply-adds instead of ${formatCount(lc)} in ${l} order (${times(lc, wc)} fewer), because ${why}.`;
  }
  const maxCost = Math.max(fc, rc);
  const bar = (c: number) => (Number.isFinite(c) && maxCost > 0 ? c / maxCost : 0);
  return {
    title: typeof p?.title === 'string' ? p.title : '',
    blocks,
    scale,
    product: 'J = ' + (blocks.length ? blocks.map((b) => jName(b.index)).join(' · ') : '(empty)'),
    forwardCost: formatCount(fc),
    reverseCost: formatCount(rc),
    winner,
    verdict,
    forwardBar: bar(fc),
    reverseBar: bar(rc),
    inShape: formatShape(p?.inShape),
    outShape: formatShape(p?.outShape),
  };
}

/** The Jacobian chain as HTML with inline styles (text/html): proportional blocks, a table, the costs and the verdict. */
export function jacobianChainHtml(p: JacobianChainPayload): string {
  const m = jacobianChainModel(p);
  const o: string[] = [];
  o.push(`<div class="gradlab-static gradlab-jacobian-chain" style="font-family:${escapeXml(SANS)};font-size:13px;color:${INK.text}">`);
  if (m.title) o.push(`<div style="font-size:15px;font-weight:700">${escapeXml(m.title)}</div>`);
  o.push(
    `<div style="color:${INK.muted}">${escapeXml(m.product)} — input [${escapeXml(m.inShape)}] enters on the right, output [${escapeXml(m.outShape)}] leaves on the left; each block is one op's Jacobian, rows = its output size, columns = its input size (${escapeXml(m.scale)} scale)</div>`,
  );
  o.push(`<div style="display:flex;align-items:center;gap:10px;margin:8px 0;flex-wrap:wrap">`);
  for (const b of m.blocks) {
    o.push(
      `<div style="display:flex;flex-direction:column;align-items:center;gap:2px"><div style="font-weight:700">${jName(b.index)}</div>` +
        `<div style="width:${b.w}px;height:${b.h}px;background:#dbe4ff;border:1px solid ${INK.opStroke}"></div>` +
        `<div style="font-family:${escapeXml(FONT)}">${escapeXml(b.dims)}</div><div style="color:${INK.muted}">${escapeXml(b.label)}</div></div>`,
    );
  }
  o.push('</div>');
  o.push(`<table style="border-collapse:collapse"><thead><tr>`);
  for (const h of ['', 'op', 'input shape', 'output shape', 'Jacobian (rows × cols)']) o.push(`<th style="${CELL_L}">${escapeXml(h)}</th>`);
  o.push('</tr></thead><tbody>');
  for (const b of [...m.blocks].reverse()) {
    o.push(
      `<tr><td style="${CELL_L}">${jName(b.index)}</td><td style="${CELL_L}">${escapeXml(b.label)}</td><td style="${CELL_L}">${escapeXml(b.inShape)}</td>` +
        `<td style="${CELL_L}">${escapeXml(b.outShape)}</td><td style="${CELL}">${escapeXml(b.dims)}</td></tr>`,
    );
  }
  o.push('</tbody></table>');
  const costRow = (name: string, cost: string, bar: number, win: boolean) =>
    `<div style="display:flex;align-items:center;gap:8px;margin-top:4px"><span style="width:15em">${escapeXml(name)}</span>` +
    `<span style="display:inline-block;height:10px;width:${Math.max(2, Math.round(bar * 240))}px;background:${win ? INK.ok : INK.edge}"></span>` +
    `<span style="font-family:${escapeXml(FONT)};font-weight:${win ? 700 : 400}">${escapeXml(cost)} multiply-adds${win ? ' ✓' : ''}</span></div>`;
  o.push(costRow(`forward order (${m.blocks.length > 1 ? `${jName(2)}·${jName(1)} first` : 'input side first'})`, m.forwardCost, m.forwardBar, m.winner === 'forward'));
  o.push(costRow(`reverse order (${m.blocks.length > 1 ? `${jName(m.blocks.length)}·${jName(m.blocks.length - 1)} first` : 'output side first'})`, m.reverseCost, m.reverseBar, m.winner === 'reverse'));
  o.push(`<div style="margin-top:6px;font-weight:600">${escapeXml(m.verdict)}</div>`);
  o.push('</div>');
  return o.join('');
}

/** The Jacobian chain as plain text (text/plain). */
export function jacobianChainText(p: JacobianChainPayload): string {
  const m = jacobianChainModel(p);
  const o: string[] = [];
  if (m.title) o.push(m.title);
  o.push(`${m.product}   (input [${m.inShape}] → output [${m.outShape}])`);
  o.push(
    ...textTable(
      ['', 'op', 'input shape', 'output shape', 'Jacobian (rows × cols)'],
      [...m.blocks].reverse().map((b) => [jName(b.index), b.label, b.inShape, b.outShape, b.dims]),
      [false, false, false, false, true],
    ),
  );
  o.push(`forward order: ${m.forwardCost} multiply-adds${m.winner === 'forward' ? '  ✓' : ''}`);
  o.push(`reverse order: ${m.reverseCost} multiply-adds${m.winner === 'reverse' ? '  ✓' : ''}`);
  o.push(m.verdict);
  return o.join('\n');
}

// ---- loss curve ------------------------------------------------------------

/** Points per series above which the static curve is downsampled for drawing. */
export const CURVE_MAX_POINTS = 4000;

/** A series ready to draw: finite points only (NaN/Infinity break the line), downsampled past {@link CURVE_MAX_POINTS}. */
export interface CurveSeries {
  name: string;
  axis: 'y' | 'y2';
  /** Runs of finite points; a non-finite value ends a run. */
  runs: Pt[][];
  count: number;
  downsampled: boolean;
  last: { x: number; y: Num } | null;
  min: { x: number; y: number } | null;
}

/**
 * Keeps the first and last point and, per bucket, the lowest and highest: a
 * spike or a divergence survives downsampling, which an every-k-th sample loses.
 */
export function downsampleMinMax(xs: number[], ys: number[], maxPoints: number): number[] {
  const n = xs.length;
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i);
  const buckets = Math.max(1, Math.floor((maxPoints - 2) / 2));
  const keep: number[] = [0];
  const size = (n - 2) / buckets;
  for (let b = 0; b < buckets; b++) {
    const s = 1 + Math.floor(b * size);
    const e = Math.min(n - 1, 1 + Math.floor((b + 1) * size));
    let lo = -1;
    let hi = -1;
    for (let i = s; i < e; i++) {
      const v = ys[i];
      if (!Number.isFinite(v)) {
        keep.push(i); // keep gaps visible
        continue;
      }
      if (lo < 0 || v < ys[lo]) lo = i;
      if (hi < 0 || v > ys[hi]) hi = i;
    }
    if (lo >= 0) keep.push(lo);
    if (hi >= 0 && hi !== lo) keep.push(hi);
  }
  keep.push(n - 1);
  return [...new Set(keep)].sort((a, b) => a - b);
}

/** Reads a loss-curve payload's series: finite runs, downsampled for drawing, with last and best points. */
export function lossCurveSeries(p: LossCurvePayload, maxPoints = CURVE_MAX_POINTS): CurveSeries[] {
  const series = Array.isArray(p?.series) ? p.series : [];
  return series.map((s, k) => {
    const xr = Array.isArray(s?.x) ? s.x : [];
    const yr = Array.isArray(s?.y) ? s.y : [];
    const n = Math.min(xr.length, yr.length);
    const xs = xr.slice(0, n).map((v) => (typeof v === 'number' ? v : NaN));
    const ys = yr.slice(0, n).map(toNumber);
    const idx = downsampleMinMax(xs, ys, maxPoints);
    const runs: Pt[][] = [];
    let run: Pt[] = [];
    for (const i of idx) {
      if (Number.isFinite(xs[i]) && Number.isFinite(ys[i])) run.push({ x: xs[i], y: ys[i] });
      else if (run.length) {
        runs.push(run);
        run = [];
      }
    }
    if (run.length) runs.push(run);
    let min: { x: number; y: number } | null = null;
    for (let i = 0; i < n; i++) if (Number.isFinite(ys[i]) && (min === null || ys[i] < min.y)) min = { x: xs[i], y: ys[i] };
    return {
      name: asText(s?.name, `series ${k + 1}`),
      axis: s?.axis === 'y2' ? 'y2' : 'y',
      runs,
      count: n,
      downsampled: idx.length < n,
      last: n > 0 ? { x: xs[n - 1], y: yr[n - 1] as Num } : null,
      min,
    };
  });
}

/** The status line of a curve: `training…`, `done` or `stopped: why`. */
export function lossCurveStatus(p: LossCurvePayload): { state: 'running' | 'done' | 'stopped'; text: string } {
  if (typeof p?.stopped === 'string') return { state: 'stopped', text: `stopped: ${p.stopped}` };
  if (p?.done === true) return { state: 'done', text: 'done' };
  return { state: 'running', text: 'training…' };
}

/** Round tick values covering [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi === lo) {
    const d = Math.abs(lo) || 1;
    lo -= d / 2;
    hi += d / 2;
  }
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/** Line colours of the static curve (matplotlib/plotly defaults, distinct in colour and, with dashes on y2, in grey). */
export const CURVE_COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

/** The loss curve as a self-contained SVG (image/svg+xml): axes with ticks, every point (downsampled only past 4,000), a legend. */
export function lossCurveSvg(p: LossCurvePayload): string {
  const series = lossCurveSeries(p);
  const status = lossCurveStatus(p);
  const W = 640;
  const H = 340;
  const hasY2 = series.some((s) => s.axis === 'y2');
  const m = { l: 64, r: hasY2 ? 64 : 20, t: 54, b: 44 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const ext = (axis: 'x' | 'y' | 'y2') => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of series) {
      if (axis !== 'x' && s.axis !== axis) continue;
      for (const r of s.runs) for (const q of r) {
        const v = axis === 'x' ? q.x : q.y;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    return [lo, hi];
  };
  // Each axis spans whole tick steps around its data, so the line never touches the frame.
  const axisOf = (axis: 'x' | 'y' | 'y2') => {
    const [lo0, hi0] = ext(axis);
    const inner = niceTicks(lo0, hi0, axis === 'x' ? 6 : 5);
    if (!inner.length) return { lo: 0, hi: 1, ticks: [] as number[] };
    const step = inner.length > 1 ? inner[1] - inner[0] : Math.abs(inner[0]) || 1;
    const lo = Math.floor(lo0 / step + 1e-9) * step;
    const hi = Math.max(lo + step, Math.ceil(hi0 / step - 1e-9) * step);
    const ticks = niceTicks(lo, hi, Math.round((hi - lo) / step)).filter((t) => t >= lo - step * 1e-9 && t <= hi + step * 1e-9);
    return { lo, hi, ticks };
  };
  const ax = axisOf('x');
  const ay = axisOf('y');
  const ay2 = axisOf('y2');
  const X = (v: number) => m.l + ((v - ax.lo) / (ax.hi - ax.lo)) * pw;
  const Y = (v: number, a: typeof ay) => m.t + ph - ((v - a.lo) / (a.hi - a.lo)) * ph;
  const o: string[] = [];
  const title = typeof p?.title === 'string' && p.title ? p.title : 'loss curve';
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${escapeXml(SANS)}" font-size="11">`);
  o.push(`<title>${escapeXml(title)}</title>`);
  o.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  const stColour = status.state === 'stopped' ? INK.bad : status.state === 'done' ? INK.ok : INK.note;
  o.push(`<text x="${m.l}" y="18" font-size="14" font-weight="600" fill="${INK.text}">${escapeXml(title)} <tspan font-size="12" font-weight="400" fill="${stColour}">${escapeXml(status.text)}</tspan></text>`);
  // legend
  let lx = m.l;
  series.forEach((s, k) => {
    const c = CURVE_COLOURS[k % CURVE_COLOURS.length];
    const dash = s.axis === 'y2' ? ' stroke-dasharray="5 3"' : '';
    const last = s.last ? ` = ${formatNum(s.last.y)}` : '';
    const label = `${s.name}${s.axis === 'y2' ? ' (right axis)' : ''}${last}${s.downsampled ? ` (${formatCount(s.count)} points, drawn downsampled)` : ''}`;
    o.push(`<line x1="${lx}" y1="34" x2="${lx + 18}" y2="34" stroke="${c}" stroke-width="2"${dash}/>`);
    o.push(`<text x="${lx + 22}" y="38" fill="${INK.text}">${escapeXml(label)}</text>`);
    lx += 22 + [...label].length * 6.2 + 16;
  });
  // grid and axes
  o.push(`<g stroke="#e5e7eb" stroke-width="1">`);
  for (const t of ay.ticks) o.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${round1(Y(t, ay))}" y2="${round1(Y(t, ay))}"/>`);
  o.push('</g>');
  o.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="${INK.edge}"/>`);
  o.push(`<g fill="${INK.muted}">`);
  for (const t of ax.ticks) {
    const x = round1(X(t));
    o.push(`<line x1="${x}" x2="${x}" y1="${m.t + ph}" y2="${m.t + ph + 4}" stroke="${INK.edge}"/><text x="${x}" y="${m.t + ph + 16}" text-anchor="middle">${escapeXml(formatNum(t))}</text>`);
  }
  for (const t of ay.ticks) {
    const y = round1(Y(t, ay));
    o.push(`<line x1="${m.l - 4}" x2="${m.l}" y1="${y}" y2="${y}" stroke="${INK.edge}"/><text x="${m.l - 6}" y="${y + 4}" text-anchor="end">${escapeXml(formatNum(t))}</text>`);
  }
  if (hasY2) {
    for (const t of ay2.ticks) {
      const y = round1(Y(t, ay2));
      o.push(`<line x1="${m.l + pw}" x2="${m.l + pw + 4}" y1="${y}" y2="${y}" stroke="${INK.edge}"/><text x="${m.l + pw + 6}" y="${y + 4}">${escapeXml(formatNum(t))}</text>`);
    }
  }
  o.push('</g>');
  o.push(`<text x="${m.l + pw / 2}" y="${H - 8}" text-anchor="middle" fill="${INK.text}">${escapeXml(asText(p?.xLabel, 'step'))}</text>`);
  o.push(`<text transform="translate(16,${m.t + ph / 2}) rotate(-90)" text-anchor="middle" fill="${INK.text}">${escapeXml(asText(p?.yLabel, 'loss'))}</text>`);
  if (hasY2) o.push(`<text transform="translate(${W - 12},${m.t + ph / 2}) rotate(90)" text-anchor="middle" fill="${INK.text}">${escapeXml(asText(p?.y2Label, ''))}</text>`);
  // lines
  series.forEach((s, k) => {
    const c = CURVE_COLOURS[k % CURVE_COLOURS.length];
    const a = s.axis === 'y2' ? ay2 : ay;
    const dash = s.axis === 'y2' ? ' stroke-dasharray="5 3"' : '';
    const few = s.runs.reduce((n, r) => n + r.length, 0) <= 60;
    for (const r of s.runs) {
      const pts = r.map((q) => `${round1(X(q.x))},${round1(Y(q.y, a))}`);
      if (r.length > 1) o.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${c}" stroke-width="1.5" stroke-linejoin="round"${dash}/>`);
      if (few || r.length === 1) for (const q of pts) {
        const [x, y] = q.split(',');
        o.push(`<circle cx="${x}" cy="${y}" r="2.2" fill="${c}"/>`);
      }
    }
  });
  if (series.every((s) => s.count === 0)) {
    o.push(`<text x="${m.l + pw / 2}" y="${m.t + ph / 2}" text-anchor="middle" fill="${INK.muted}">no points yet</text>`);
  }
  o.push('</svg>');
  return o.join('\n');
}

/** The loss curve as short plain text: status, and per series its last and lowest value. */
export function lossCurveText(p: LossCurvePayload): string {
  const series = lossCurveSeries(p);
  const title = typeof p?.title === 'string' && p.title ? p.title : 'loss curve';
  const o = [`${title} (${lossCurveStatus(p).text})`];
  const xl = asText(p?.xLabel, 'step');
  for (const s of series) {
    if (!s.last) {
      o.push(`  ${s.name}: no points yet`);
      continue;
    }
    const best = s.min ? `, lowest ${formatNum(s.min.y)} at ${xl} ${formatNum(s.min.x)}` : '';
    o.push(`  ${s.name}: ${formatCount(s.count)} points, last ${formatNum(s.last.y)} at ${xl} ${formatNum(s.last.x)}${best}`);
  }
  return o.join('\n');
}
