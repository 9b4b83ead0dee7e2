/**
 * The computational graph as a figure: nodes, edges and their layout (dagre for small graphs, an own layered layout for large ones), and its static SVG and text fallbacks.
 *
 * Pure functions: no DOM, no Node APIs; shared by the extension's views and the
 * engine's static fallbacks, so both draw the same figure.
 */
import * as dagre from '@dagrejs/dagre';
import type { GraphNode, GraphPayload, Num, TensorSummary } from '../contract';
import { asText, escapeXml, formatNum, formatCount, formatShape, shorten, isSummary, summaryLines, INK, FONT, SANS, type Pt, round1 } from './format';

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

