/**
 * Where the graph figure's boxes go: dagre for small graphs, an own layered
 * layout for large ones, and the curved edges between them. Knows only boxes
 * (width, height) and edges between their indices; figures/graph.ts decides
 * what the boxes are.
 *
 * Pure functions: no DOM, no Node APIs.
 */
import * as dagre from '@dagrejs/dagre';
import { round1, type Pt } from './format';

/** Space around the figure. */
export const MARGIN = 16;
/** An expanded group's frame: padding around its members, and the height of its label above them. */
export const FRAME_PAD = 8;
export const FRAME_LABEL = 18;
const NODE_SEP = 18;
const RANK_SEP = 56;

/** Milliseconds from some fixed point, to time the layout. */
export function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/** A box to place: a value box with its op, or a collapsed group. */
export interface LayoutUnit {
  w: number;
  h: number;
}

/** An edge between two units (indices into the units). */
export interface LayoutEdge {
  from: number;
  to: number;
}

/** Where the layout put the units and the edges' bends. */
export interface Placement {
  /** Top-left corner of each unit. */
  nodes: Pt[];
  /** Bend points of each edge (between the two ends). */
  edges: Pt[][];
}

/**
 * dagre's layout, left to right. With `parentOf` (each unit's expanded group
 * key, or null) the groups in `clusters` ([key, parent key]) become dagre
 * clusters, so their members are laid out together.
 */
export function dagreLayout(units: LayoutUnit[], edges: LayoutEdge[], parentOf: (string | null)[] | null, clusters: [string, string | null][]): Placement {
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
 * `groupOf` gives each unit's expanded group (any number, -1 for none).
 */
export function layeredLayout(units: LayoutUnit[], edges: LayoutEdge[], groupOf: number[] | null): Placement {
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
  const { rank, layers } = rankLayers(n, preds, succs);
  orderLayers(n, layers, preds, succs, groupOf);
  const colX: number[] = [];
  let x = MARGIN;
  for (const layer of layers) {
    colX.push(x);
    let w = 0;
    for (const v of layer) w = Math.max(w, units[v].w);
    x += w + RANK_SEP;
  }
  const cy = centreHeights(units, layers, preds, succs);
  let minY = Infinity;
  for (let v = 0; v < n; v++) minY = Math.min(minY, cy[v] - units[v].h / 2);
  const nodes = units.map((u, v) => {
    const layerW = colX[rank[v] + 1] !== undefined ? colX[rank[v] + 1] - RANK_SEP - colX[rank[v]] : u.w;
    return { x: colX[rank[v]] + (layerW - u.w), y: cy[v] - u.h / 2 - minY + MARGIN };
  });
  return { nodes, edges: edges.map(() => []) };
}

/**
 * Ranks: longest path from the inputs, then every node with consumers moved as
 * far right as they allow (one rank before its first consumer). Without the
 * second pass, all the products w_i·x_i of a layer would share one rank and
 * make a column hundreds of nodes tall.
 */
function rankLayers(n: number, preds: number[][], succs: number[][]): { rank: Int32Array; layers: number[][] } {
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
  return { rank, layers };
}

/**
 * Orders each rank in place: barycenters of the neighbours' relative
 * positions; then the members of one expanded group (`groupOf`) kept next to
 * each other in every rank, at their mean position, so its frame does not
 * cover other nodes there.
 */
function orderLayers(n: number, layers: number[][], preds: number[][], succs: number[][], groupOf: number[] | null): void {
  const maxRank = layers.length - 1;
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
  if (!groupOf) return;
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

/** The centre height of each unit: stacked in its rank, then pulled towards its neighbours' mean without overlaps. */
function centreHeights(units: LayoutUnit[], layers: number[][], preds: number[][], succs: number[][]): Float64Array {
  const maxRank = layers.length - 1;
  const cy = new Float64Array(units.length);
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
  return cy;
}

/** A smooth edge from `a` through `mids` to `b`, its arrowhead, and its middle point. */
export function edgePath(a: Pt, mids: Pt[], b: Pt): { d: string; arrow: string; mid: Pt } {
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
