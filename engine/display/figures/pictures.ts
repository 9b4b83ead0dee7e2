/**
 * The pictures of a trained classifier: its decision boundary over 2-D data,
 * a confusion matrix, and grids of small images (digits, learned weights).
 *
 * As for the other figures in this folder, each figure is computed once here as a model
 * (`decisionBoundaryModel`, `confusionMatrixModel`, `imageGridModel`) that
 * both the static fallbacks below and the extension's views
 * (extension/views/decision-boundary.ts, confusion-matrix.ts, image-grid.ts)
 * draw, so the notebook view and the exported figure are the same picture.
 *
 * Pure functions of a payload; imports the contract and ../text.ts only (the
 * extension bundles this file). Its number formats (`fmt`, `count`), ticks,
 * fonts and colours are its own, not format.ts's: they were written when this
 * file could import nothing else, and differ in details (`fmt` writes a
 * non-number as `NaN` where formatNum writes `?`; the ticks are capped at
 * {@link MAX_TICKS}; other fonts), so sharing format.ts's would change the
 * pictures' text. Every payload string is
 * escaped. Classes are told apart by marker shape as well as colour, and the
 * decision boundary is drawn as a line, so a grey printout still reads.
 */
import type { ConfusionMatrixPayload, DecisionBoundaryPayload, ImageGridPayload } from '../contract';
import { asText as text, escapeXml as esc } from '../text';

// ---- caps ------------------------------------------------------------------
// A payload may come from any notebook: each model below bounds its work by the
// data actually present and by these caps, and says what it left out. The
// extension's validator (extension/validate.ts) refuses or notes the same
// sizes before a view is built; these keep a view bounded even without it.

/** Most grid cells of a decision boundary drawn (the engine sends at most 300 × 300 = 90,000). */
export const DB_MAX_CELLS = 250_000;
/** Most data points of a decision boundary drawn (one marker each); the rest are counted. */
export const DB_MAX_POINTS = 20_000;
/** Most classes of a confusion matrix (a table of classes × classes cells); the engine refuses more too. */
export const CM_MAX_CLASSES = 200;
/** Most images of one image grid drawn; the rest are counted. */
export const IG_MAX_IMAGES = 400;
/** Most pixels of all the drawn images of one grid together (one rectangle per non-blank pixel). */
export const IG_MAX_PIXELS = 200_000;
/** Most pixels of one image: a larger image is refused, not cut (the grid's whole budget: one such image fills it). */
export const IG_MAX_IMAGE_PIXELS = 200_000;
/** Most tick marks one axis gets, whatever its range (a range of a few ulps would otherwise step forever). */
const MAX_TICKS = 50;

/** A count as messages write it: thousands separators, huge values as `1e18`. */
function count(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 1e12 ? String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',') : n.toExponential().replace('e+', 'e');
}

// ---- text ------------------------------------------------------------------

/** A number in at most 4 significant digits (integers exact). */
export function fmt(n: unknown): string {
  if (n === 'NaN' || n === 'Infinity' || n === '-Infinity') return n;
  if (typeof n !== 'number' || Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  if (Number.isInteger(n) && Math.abs(n) < 1e6) return String(n);
  const a = Math.abs(n);
  if (a >= 1e-3 && a < 1e5) return String(Number(n.toPrecision(4)));
  return n.toExponential(2).replace(/\.?0+e/, 'e');
}

/** A fraction as a percentage with one decimal: `0.9876` → `98.8%`. */
function pct(n: unknown): string {
  return typeof n === 'number' && Number.isFinite(n) ? `${(n * 100).toFixed(1)}%` : '—';
}

function cut(s: string, max: number): string {
  const cs = [...s];
  return cs.length <= max ? s : cs.slice(0, Math.max(1, max - 1)).join('') + '…';
}

const finite = (v: unknown, d = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);
const arr = <T = unknown>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

/** About `count` round tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  // NOTE: counted steps, not `v += step`: when step is below the spacing of floats near lo, v would never move.
  const first = Math.ceil(lo / step);
  for (let k = 0; k < MAX_TICKS; k++) {
    const v = (first + k) * step;
    if (!(v <= hi + step * 1e-9)) break;
    out.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  }
  return out;
}

const SANS = 'system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif';
const MONO = 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';
/** Class colours of the static figures (matplotlib's tab10 order); the views use --jp-* colours in the same hue order. */
const CLASS_COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#17becf', '#e377c2', '#bcbd22', '#7f7f7f', '#8c564b'];
const INK = { text: '#1f2328', muted: '#59636e', frame: '#8c959f', bad: '#b71c1c' };

// ---- markers ---------------------------------------------------------------

/** Names of the marker shapes, one per class (cycling after ten). */
const MARKER_NAMES = ['circle', 'square', 'triangle', 'diamond', 'down-triangle', 'plus', 'cross', 'star', 'hexagon', 'pentagon'];

function polygon(points: [number, number][]): string {
  return 'M' + points.map(([x, y]) => `${round2(x)},${round2(y)}`).join('L') + 'Z';
}

function regular(n: number, r: number, rot: number): [number, number][] {
  return Array.from({ length: n }, (_, k) => {
    const a = rot + (2 * Math.PI * k) / n;
    return [r * Math.cos(a), r * Math.sin(a)] as [number, number];
  });
}

/** An SVG path of class `k`'s marker, centred on (0, 0), about `2r` across. */
export function markerPath(k: number, r = 4.5): string {
  const up = -Math.PI / 2;
  switch (((k % 10) + 10) % 10) {
    case 0:
      return `M${-r},0a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0Z`;
    case 1: {
      const s = r * 0.85;
      return polygon([
        [-s, -s],
        [s, -s],
        [s, s],
        [-s, s],
      ]);
    }
    case 2:
      return polygon(regular(3, r * 1.2, up));
    case 3:
      return polygon(regular(4, r * 1.2, up));
    case 4:
      return polygon(regular(3, r * 1.2, -up));
    case 5:
    case 6: {
      const a = r * 1.1;
      const b = r * 0.38;
      const pts: [number, number][] = [
        [-b, -a],
        [b, -a],
        [b, -b],
        [a, -b],
        [a, b],
        [b, b],
        [b, a],
        [-b, a],
        [-b, b],
        [-a, b],
        [-a, -b],
        [-b, -b],
      ];
      if (k % 10 === 5) return polygon(pts);
      const c = Math.SQRT1_2;
      return polygon(pts.map(([x, y]) => [c * (x - y), c * (x + y)]));
    }
    case 7:
      return polygon(regular(10, 1, up).map(([x, y], i) => [x * (i % 2 ? r * 0.55 : r * 1.3), y * (i % 2 ? r * 0.55 : r * 1.3)]));
    case 8:
      return polygon(regular(6, r * 1.1, 0));
    default:
      return polygon(regular(5, r * 1.15, up));
  }
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

/** Class names of a payload: its own, padded with the class indices when there are more classes than names. */
function classNames(names: unknown, count: number): string[] {
  const given = arr(names).map((c, k) => text(c, String(k)));
  for (let k = given.length; k < count; k++) given.push(String(k));
  return given;
}

// ---- decision boundary -----------------------------------------------------

/** A horizontal run of grid cells with one predicted class, in plot pixels. */
interface BoundaryRun {
  x: number;
  y: number;
  w: number;
  h: number;
  cls: number;
  /** Region tint strength 0..1 (from the predicted class's probability, or fixed). */
  opacity: number;
}

/** One data point as drawn. */
interface BoundaryPoint {
  index: number;
  px: number;
  py: number;
  x: number;
  y: number;
  label: number;
  predicted: number;
  ok: boolean;
}

/** The decision-boundary figure: cells, the boundary line, points, axes and legend, in pixels of a `width × height` SVG. */
export interface DecisionBoundaryModel {
  title: string;
  subtitle: string;
  classes: string[];
  width: number;
  height: number;
  /** The plot rectangle. */
  plot: { x: number; y: number; w: number; h: number };
  runs: BoundaryRun[];
  /** Path (`d`) of the cell edges where the predicted class changes. */
  boundary: string;
  points: BoundaryPoint[];
  misclassified: number;
  xTicks: { px: number; text: string }[];
  yTicks: { px: number; text: string }[];
  xLabel: string;
  yLabel: string;
  legend: { cls: number; name: string; marker: string; shape: string; count: number }[];
  /** The cell under a plot pixel, with its centre in data coordinates, or null outside the grid. */
  cellAt(px: number, py: number): { row: number; col: number; x: number; y: number; predicted: number; confidence: number | null } | null;
}

const DB_PLOT = 420;

/** Reads a decision-boundary payload into a figure (tolerates malformed payloads). */
export function decisionBoundaryModel(p: DecisionBoundaryPayload): DecisionBoundaryModel {
  const grid = boundaryGrid(p);
  const { cols, rows, conf } = grid;
  const data = boundaryData(p, grid.pred);
  const { classes, given, n } = data;
  const C = Math.max(1, classes.length);
  const ax = boundaryAxes(p, cols, rows);
  const { plot, x0, x1, y0, y1, xs, ys, X, Y } = ax;
  const cw = plot.w / cols;
  const ch = plot.h / rows;
  const { points, counts } = boundaryPoints(data, C, X, Y);
  const misclassified = points.filter((q) => !q.ok).length;
  const title = typeof p?.title === 'string' && p.title ? p.title : 'decision boundary';
  const subtitle =
    `${points.length} points` +
    (given > n ? ` (the first ${count(n)} of ${count(given)})` : '') +
    `, ${C} classes; ${pct(p?.accuracy)} predicted correctly` +
    (misclassified ? ` (${misclassified} wrong, ringed)` : '') +
    `. Shaded: the class predicted at each place of a ${cols}×${rows} grid` +
    (conf ? ', darker = more confident' : '') +
    '; the line is the decision boundary.';
  return {
    title,
    subtitle,
    classes,
    width: plot.x + plot.w + 150,
    height: plot.y + plot.h + 44,
    plot,
    runs: shadedRuns(grid, plot, C),
    boundary: boundaryPath(grid, plot),
    points,
    misclassified,
    xTicks: ticks(x0, x1, 6).map((v) => ({ px: round2(X(v)), text: fmt(v) })),
    yTicks: ticks(y0, y1, 6).map((v) => ({ px: round2(Y(v)), text: fmt(v) })),
    xLabel: text(p?.xLabel, 'x₁'),
    yLabel: text(p?.yLabel, 'x₂'),
    legend: classes.slice(0, 30).map((name, k) => ({ cls: k, name, marker: markerPath(k, 5), shape: MARKER_NAMES[k % 10], count: counts[k] })),
    cellAt(qx, qy) {
      const col = Math.floor((qx - plot.x) / cw);
      const row = Math.floor((qy - plot.y) / ch);
      if (col < 0 || row < 0 || col >= cols || row >= rows) return null;
      const i = row * cols + col;
      return {
        row,
        col,
        x: x0 + ((col + 0.5) / cols) * xs,
        y: y1 - ((row + 0.5) / rows) * ys,
        predicted: grid.cls(row, col),
        confidence: conf ? finite(conf[i], NaN) : null,
      };
    },
  };
}

/** A decision boundary's grid of predicted classes (and confidences), checked against the entries present. */
interface BoundaryGrid {
  cols: number;
  rows: number;
  pred: number[];
  conf: number[] | null;
  /** The class predicted in cell (r, c), -1 when unreadable. */
  cls: (r: number, c: number) => number;
}

/** The grid of `p`; throws when it declares more cells than `predicted` holds or than a view draws. */
function boundaryGrid(p: DecisionBoundaryPayload): BoundaryGrid {
  const cols = Math.max(1, Math.floor(finite(p?.cols, 1)));
  const rows = Math.max(1, Math.floor(finite(p?.rows, 1)));
  const pred = arr<number>(p?.predicted);
  // The grid's work is rows × cols: bounded by the entries present, whatever the payload declares.
  if (cols * rows > Math.max(1, pred.length)) throw new Error(`cols × rows = ${count(cols * rows)} cells, but predicted holds ${count(pred.length)} entries`);
  if (cols * rows > DB_MAX_CELLS) throw new Error(`${count(cols * rows)} grid cells is more than the view draws (at most ${count(DB_MAX_CELLS)})`);
  const conf = Array.isArray(p?.confidence) ? p.confidence : null;
  return { cols, rows, pred, conf, cls: (r, c) => finite(pred[r * cols + c], -1) };
}

/** The data points of a decision boundary as given (the first {@link DB_MAX_POINTS} are read), and the class names. */
interface BoundaryData {
  px: number[];
  py: number[];
  pl: number[];
  pp: number[];
  /** Points given, and read. */
  given: number;
  n: number;
  classes: string[];
}

/** The points of `p`, and as many class names as the payload, the grid or the points need (at most 1,000). */
function boundaryData(p: DecisionBoundaryPayload, pred: number[]): BoundaryData {
  const pts = p?.points ?? ({} as DecisionBoundaryPayload['points']);
  const px = arr<number>(pts.x);
  const py = arr<number>(pts.y);
  const pl = arr<number>(pts.label);
  const pp = arr<number>(pts.predicted);
  const given = Math.min(px.length, py.length);
  const n = Math.min(given, DB_MAX_POINTS);
  let maxClass = arr(p?.classes).length - 1;
  for (const v of pred) maxClass = Math.max(maxClass, finite(v, 0));
  for (let i = 0; i < n; i++) maxClass = Math.max(maxClass, finite(pl[i], 0), finite(pp[i], 0));
  return { px, py, pl, pp, given, n, classes: classNames(p?.classes, Math.min(maxClass + 1, 1000)) };
}

/** The plot rectangle and the data → pixel maps. */
interface BoundaryAxes {
  plot: { x: number; y: number; w: number; h: number };
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  /** The data ranges' widths (1 for an empty range). */
  xs: number;
  ys: number;
  X: (v: number) => number;
  Y: (v: number) => number;
}

/** The plot for a `cols × rows` grid over the payload's ranges. */
function boundaryAxes(p: DecisionBoundaryPayload, cols: number, rows: number): BoundaryAxes {
  const [x0, x1] = Array.isArray(p?.xRange) ? [finite(p.xRange[0], 0), finite(p.xRange[1], 1)] : [0, 1];
  const [y0, y1] = Array.isArray(p?.yRange) ? [finite(p.yRange[0], 0), finite(p.yRange[1], 1)] : [0, 1];
  const xs = x1 > x0 ? x1 - x0 : 1;
  const ys = y1 > y0 ? y1 - y0 : 1;
  // The plot keeps the data's aspect ratio (a circle stays round), within 2:1 either way.
  const aspect = Math.min(2, Math.max(0.5, ys / xs));
  // Whole-pixel cells where the grid allows it: cells that meet at fractional positions leave
  // seams or double-tinted overlaps in the shading.
  const side = (target: number, n: number) => (n <= target ? Math.floor(target / n) * n : target);
  const plot = {
    x: 52,
    y: 66,
    w: side(aspect <= 1 ? DB_PLOT : Math.round(DB_PLOT / aspect), cols),
    h: side(aspect <= 1 ? Math.round(DB_PLOT * aspect) : DB_PLOT, rows),
  };
  const X = (v: number) => plot.x + ((v - x0) / xs) * plot.w;
  const Y = (v: number) => plot.y + ((y1 - v) / ys) * plot.h;
  return { plot, x0, x1, y0, y1, xs, ys, X, Y };
}

/** The shaded regions: runs of cells with one predicted class, tinted by confidence (5 levels, so runs stay long). */
function shadedRuns(grid: BoundaryGrid, plot: BoundaryAxes['plot'], C: number): BoundaryRun[] {
  const { cols, rows, conf, cls } = grid;
  const cw = plot.w / cols;
  const ch = plot.h / rows;
  const tint = (i: number) => {
    if (!conf) return 0.3;
    const t = (finite(conf[i], 1) - 1 / C) / (1 - 1 / C || 1);
    return 0.12 + 0.33 * (Math.round(Math.min(1, Math.max(0, t)) * 4) / 4); // 5 levels: runs stay long
  };
  const runs: BoundaryRun[] = [];
  for (let r = 0; r < rows; r++) {
    let c = 0;
    while (c < cols) {
      const k = cls(r, c);
      const o = tint(r * cols + c);
      let e = c + 1;
      while (e < cols && cls(r, e) === k && tint(r * cols + e) === o) e++;
      if (k >= 0) runs.push({ x: round2(plot.x + c * cw), y: round2(plot.y + r * ch), w: round2((e - c) * cw), h: round2(ch), cls: k, opacity: o });
      c = e;
    }
  }
  return runs;
}

/** The decision boundary: the cell edges where the predicted class changes, as path data. */
function boundaryPath(grid: BoundaryGrid, plot: BoundaryAxes['plot']): string {
  const { cols, rows, cls } = grid;
  const cw = plot.w / cols;
  const ch = plot.h / rows;
  const seg: string[] = [];
  for (let r = 0; r < rows; r++) {
    // vertical edges between horizontal neighbours, joined down the column where they continue
    for (let c = 0; c + 1 < cols; c++) {
      if (cls(r, c) !== cls(r, c + 1)) seg.push(`M${round2(plot.x + (c + 1) * cw)},${round2(plot.y + r * ch)}v${round2(ch)}`);
    }
    if (r + 1 < rows) {
      let c = 0;
      while (c < cols) {
        if (cls(r, c) === cls(r + 1, c)) {
          c++;
          continue;
        }
        let e = c + 1;
        while (e < cols && cls(r, e) !== cls(r + 1, e)) e++;
        seg.push(`M${round2(plot.x + c * cw)},${round2(plot.y + (r + 1) * ch)}h${round2((e - c) * cw)}`);
        c = e;
      }
    }
  }
  return seg.join('');
}

/** The readable points where they are drawn, and how many of each class there are. */
function boundaryPoints(d: BoundaryData, C: number, X: (v: number) => number, Y: (v: number) => number): { points: BoundaryPoint[]; counts: number[] } {
  const points: BoundaryPoint[] = [];
  const counts = new Array<number>(C).fill(0);
  for (let i = 0; i < d.n; i++) {
    const x = finite(d.px[i], NaN);
    const y = finite(d.py[i], NaN);
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    const label = finite(d.pl[i], 0);
    const predicted = finite(d.pp[i], label);
    if (label >= 0 && label < C) counts[label]++;
    points.push({ index: i, px: round2(X(x)), py: round2(Y(y)), x, y, label, predicted, ok: label === predicted });
  }
  return { points, counts };
}

/** The decision boundary as a self-contained SVG (image/svg+xml). */
export function decisionBoundarySvg(p: DecisionBoundaryPayload): string {
  const m = decisionBoundaryModel(p);
  const { plot } = m;
  const colour = (k: number) => CLASS_COLOURS[((k % 10) + 10) % 10];
  const o: string[] = [];
  o.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${m.width}" height="${m.height}" viewBox="0 0 ${m.width} ${m.height}" font-family="${esc(SANS)}" font-size="11">`,
  );
  o.push(`<title>${esc(m.title)}</title>`, `<rect width="${m.width}" height="${m.height}" fill="#ffffff"/>`);
  o.push(`<text x="${plot.x}" y="18" font-size="14" font-weight="600" fill="${INK.text}">${esc(m.title)}</text>`);
  o.push(
    ...wrap(m.subtitle, Math.floor((m.width - plot.x) / 5.6)).map((l, i) => `<text x="${plot.x}" y="${34 + i * 13}" fill="${INK.muted}">${esc(l)}</text>`),
  );
  o.push(`<g shape-rendering="crispEdges">`);
  for (const r of m.runs) o.push(`<rect x="${r.x}" y="${r.y}" width="${r.w}" height="${r.h}" fill="${colour(r.cls)}" fill-opacity="${r.opacity}"/>`);
  o.push('</g>');
  if (m.boundary) o.push(`<path d="${m.boundary}" fill="none" stroke="${INK.text}" stroke-width="1.4" stroke-linecap="square"/>`);
  o.push(`<rect x="${plot.x}" y="${plot.y}" width="${plot.w}" height="${plot.h}" fill="none" stroke="${INK.frame}"/>`);
  for (const q of m.points) {
    o.push(`<path transform="translate(${q.px},${q.py})" d="${markerPath(q.label)}" fill="${colour(q.label)}" stroke="#000" stroke-width="0.8"/>`);
    if (!q.ok) o.push(`<circle cx="${q.px}" cy="${q.py}" r="8" fill="none" stroke="${INK.bad}" stroke-width="1.5"/>`);
  }
  o.push(...axes(m));
  o.push(...legendSvg(m, colour, '#000'));
  o.push('</svg>');
  return o.join('\n');
}

function axes(m: DecisionBoundaryModel): string[] {
  const { plot } = m;
  const o: string[] = [`<g fill="${INK.muted}" stroke="none">`];
  for (const t of m.xTicks)
    o.push(
      `<line x1="${t.px}" x2="${t.px}" y1="${plot.y + plot.h}" y2="${plot.y + plot.h + 4}" stroke="${INK.frame}"/><text x="${t.px}" y="${plot.y + plot.h + 15}" text-anchor="middle">${esc(t.text)}</text>`,
    );
  for (const t of m.yTicks)
    o.push(
      `<line x1="${plot.x - 4}" x2="${plot.x}" y1="${t.px}" y2="${t.px}" stroke="${INK.frame}"/><text x="${plot.x - 6}" y="${t.px + 4}" text-anchor="end">${esc(t.text)}</text>`,
    );
  o.push('</g>');
  o.push(`<text x="${plot.x + plot.w / 2}" y="${plot.y + plot.h + 32}" text-anchor="middle" fill="${INK.text}">${esc(m.xLabel)}</text>`);
  o.push(`<text transform="translate(14,${plot.y + plot.h / 2}) rotate(-90)" text-anchor="middle" fill="${INK.text}">${esc(m.yLabel)}</text>`);
  return o;
}

function legendSvg(m: DecisionBoundaryModel, colour: (k: number) => string, stroke: string): string[] {
  const x = m.plot.x + m.plot.w + 16;
  const o = [`<text x="${x}" y="${m.plot.y + 4}" font-weight="600" fill="${INK.text}">class (points)</text>`];
  m.legend.forEach((l, i) => {
    const y = m.plot.y + 22 + i * 18;
    o.push(`<path transform="translate(${x + 6},${y - 4})" d="${l.marker}" fill="${colour(l.cls)}" stroke="${stroke}" stroke-width="0.8"/>`);
    o.push(`<text x="${x + 18}" y="${y}" fill="${INK.text}">${esc(cut(l.name, 14))} (${l.count})</text>`);
  });
  if (m.misclassified) {
    const y = m.plot.y + 22 + m.legend.length * 18;
    o.push(
      `<circle cx="${x + 6}" cy="${y - 4}" r="6" fill="none" stroke="${INK.bad}" stroke-width="1.5"/><text x="${x + 18}" y="${y}" fill="${INK.text}">wrong</text>`,
    );
  }
  return o;
}

function wrap(s: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const w of s.split(' ')) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.slice(0, 3);
}

/** The decision boundary as text: a coarse map of the predicted classes (one symbol per class), and the accuracy. */
export function decisionBoundaryText(p: DecisionBoundaryPayload, width = 48, height = 20): string {
  const m = decisionBoundaryModel(p);
  const symbols = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const sym = (k: number) => (k >= 0 && k < symbols.length ? symbols[k] : '?');
  const o = [m.title, m.subtitle.split('. Shaded')[0].replace(', ringed)', ')') + '.'];
  o.push('classes: ' + m.legend.map((l) => `${sym(l.cls)} = ${l.name} (${l.count} points)`).join(', '));
  o.push(`predicted class over the plane (${m.xLabel} across, ${m.yLabel} up):`);
  for (let r = 0; r < height; r++) {
    let line = '  ';
    for (let c = 0; c < width; c++) {
      const cell = m.cellAt(m.plot.x + ((c + 0.5) / width) * m.plot.w, m.plot.y + ((r + 0.5) / height) * m.plot.h);
      line += cell ? sym(cell.predicted) : ' ';
    }
    o.push(line);
  }
  return o.join('\n');
}

// ---- confusion matrix ------------------------------------------------------

/** One cell of the confusion matrix. */
interface ConfusionCell {
  truth: number;
  predicted: number;
  count: number;
  /** count / (examples of the true class): the share of its row. */
  share: number;
  diagonal: boolean;
  /** What the cell means, in words (for hover and titles). */
  describe: string;
}

/** The confusion matrix as drawn: rows = true class, columns = predicted class. */
export interface ConfusionMatrixModel {
  title: string;
  headline: string;
  classes: string[];
  rows: { name: string; cells: ConfusionCell[]; total: number; recall: string }[];
  columnTotals: number[];
  precision: string[];
  /** The off-diagonal cells with the most examples: the mistakes to look at first. */
  worst: ConfusionCell[];
}

/** Reads a confusion-matrix payload (tolerates ragged or malformed counts). */
export function confusionMatrixModel(p: ConfusionMatrixPayload): ConfusionMatrixModel {
  const rowsIn = arr<unknown>(p?.counts);
  let C = Math.max(rowsIn.length, arr(p?.classes).length);
  for (const r of rowsIn) C = Math.max(C, arr(r).length);
  // The table has C × C cells: refuse a matrix larger than the view draws rather than build it.
  if (C > CM_MAX_CLASSES) throw new Error(`${count(C)} classes is more than the view draws (at most ${CM_MAX_CLASSES})`);
  const counts = rowsIn.map((r) => arr<number>(r).map((v) => Math.max(0, finite(v, 0))));
  const classes = classNames(p?.classes, C);
  const at = (t: number, q: number) => counts[t]?.[q] ?? 0;
  let total = 0;
  let correct = 0;
  const columnTotals = new Array<number>(C).fill(0);
  const rows = classes.map((name, t) => {
    const rowTotal = classes.reduce((s, _, q) => s + at(t, q), 0);
    total += rowTotal;
    correct += at(t, t);
    const cells = classes.map((pn, q): ConfusionCell => {
      const count = at(t, q);
      columnTotals[q] += count;
      const share = rowTotal ? count / rowTotal : 0;
      const of = `${count} of ${rowTotal} example${rowTotal === 1 ? '' : 's'} of class ${name} (${pct(share)})`;
      return {
        truth: t,
        predicted: q,
        count,
        share,
        diagonal: t === q,
        describe: t === q ? `true ${name}, predicted ${pn}: ${of} right` : `true ${name}, predicted ${pn}: ${of} mistaken for ${pn}`,
      };
    });
    return { name, cells, total: rowTotal, recall: rowTotal ? pct(at(t, t) / rowTotal) : '—' };
  });
  const precision = classes.map((_, q) => (columnTotals[q] ? pct(at(q, q) / columnTotals[q]) : '—'));
  const worst = rows
    .flatMap((r) => r.cells)
    .filter((c) => !c.diagonal && c.count > 0)
    .sort((a, b) => b.count - a.count)
    .slice(0, 3);
  const title = typeof p?.title === 'string' && p.title ? p.title : 'confusion matrix';
  const acc = total ? correct / total : NaN;
  return {
    title,
    headline: `accuracy ${pct(acc)}: ${correct} of ${total} right`,
    classes,
    rows,
    columnTotals,
    precision,
    worst,
  };
}

const TD = 'padding:2px 8px;border:1px solid #d0d7de;text-align:right;font-family:' + MONO;
const TH = 'padding:2px 8px;border:1px solid #d0d7de;font-weight:600;background:#f6f8fa';

/** The confusion matrix as an HTML table with inline styles (text/html): counts, shaded by their share of the row. */
export function confusionMatrixHtml(p: ConfusionMatrixPayload): string {
  const m = confusionMatrixModel(p);
  const o: string[] = [];
  o.push(`<div class="gradlab-static gradlab-confusion-matrix" style="font-family:${esc(SANS)};font-size:13px;color:${INK.text}">`);
  o.push(`<div style="font-size:15px;font-weight:700">${esc(m.title)}</div><div>${esc(m.headline)}</div>`);
  o.push(`<div style="color:${INK.muted}">rows: true class; columns: predicted class; the diagonal (bold) is right, everything else is a mistake</div>`);
  o.push(`<table style="border-collapse:collapse;margin:6px 0"><thead><tr><th style="${TH}">true ↓ predicted →</th>`);
  for (const c of m.classes) o.push(`<th style="${TH}">${esc(c)}</th>`);
  o.push(`<th style="${TH}">right</th></tr></thead><tbody>`);
  for (const r of m.rows) {
    o.push(`<tr><th style="${TH};text-align:left">${esc(r.name)}</th>`);
    for (const c of r.cells) {
      const a = c.count ? 0.12 + 0.6 * c.share : 0;
      const bg = c.diagonal ? `rgba(31,119,180,${a.toFixed(2)})` : `rgba(214,39,40,${a.toFixed(2)})`;
      o.push(`<td title="${esc(c.describe)}" style="${TD};background:${bg};${c.diagonal ? 'font-weight:700' : ''}">${c.count || (c.diagonal ? 0 : '·')}</td>`);
    }
    o.push(`<td style="${TD};color:${INK.muted}">${esc(r.recall)}</td></tr>`);
  }
  o.push(`</tbody></table>`);
  if (m.worst.length)
    o.push(`<div>most common mistakes: ${m.worst.map((c) => esc(`${m.classes[c.truth]} → ${m.classes[c.predicted]} (${c.count})`)).join(', ')}</div>`);
  o.push('</div>');
  return o.join('');
}

/** The confusion matrix as a plain-text table (text/plain and `toString()`). */
export function confusionMatrixText(p: ConfusionMatrixPayload): string {
  const m = confusionMatrixModel(p);
  const head = ['true \\ predicted', ...m.classes, 'right'];
  const body = m.rows.map((r) => [r.name, ...r.cells.map((c) => String(c.count)), r.recall]);
  const widths = head.map((h, k) => Math.max([...h].length, ...body.map((b) => [...b[k]].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, k) => (k === 0 ? c.padEnd(widths[k]) : c.padStart(widths[k])))
      .join('  ')
      .trimEnd();
  const o = [m.title, m.headline, line(head), ...body.map(line)];
  if (m.worst.length) o.push('most common mistakes: ' + m.worst.map((c) => `${m.classes[c.truth]} → ${m.classes[c.predicted]} (${c.count})`).join(', '));
  return o.join('\n');
}

// ---- image grid ------------------------------------------------------------

/** One pixel as drawn: position in its tile, strength 0..1, and sign (diverging scale). */
interface GridPixel {
  x: number;
  y: number;
  opacity: number;
  negative: boolean;
}

/** One image of the grid. */
interface GridTile {
  index: number;
  x: number;
  y: number;
  caption: string;
  /** The caption cut to the tile's width. */
  shortCaption: string;
  range: [number, number];
  /** Pixels with a non-zero strength (the background shows through the rest). */
  pixels: GridPixel[];
  values: number[];
}

/** The image grid as drawn. */
export interface ImageGridModel {
  title: string;
  subtitle: string;
  scale: 'grey' | 'diverging';
  height: number;
  width: number;
  /** Side of one image pixel on screen. */
  pixel: number;
  tileW: number;
  tileH: number;
  /** Left edge of the image inside its tile (images narrower than the caption are centred). */
  imageX: number;
  captionH: number;
  svgW: number;
  svgH: number;
  tiles: GridTile[];
  /** The value under a position inside tile `t`, or null outside the image. */
  valueAt(t: GridTile, x: number, y: number): { row: number; col: number; value: number } | null;
}

const TILE_TARGET = 64;
const GAP = 10;
const CAPTION_H = 15;
const TOP = 44;

/** An image's value range: the payload's `[lo, hi]` when both are finite, else the range of its first `n` values and 0. */
function imageRange(given: unknown, vals: readonly number[], n: number): [number, number] {
  const r = arr<number>(given);
  let lo = finite(r[0], NaN);
  let hi = finite(r[1], NaN);
  if (Number.isFinite(lo) && Number.isFinite(hi)) return [lo, hi];
  // a loop, not Math.min(...vals): spreading a large array overflows the call stack
  lo = 0;
  hi = 0;
  for (let k = 0; k < Math.min(vals.length, n); k++) [lo, hi] = [Math.min(lo, finite(vals[k], 0)), Math.max(hi, finite(vals[k], 0))];
  return [lo, hi];
}

/** The grid's subtitle: how many images of which size, and how values map to ink (`shared`: the one range of all images). */
function gridSubtitle(given: number, shown: number, size: string, scale: 'grey' | 'diverging', shared: readonly number[] | null): string {
  const howMany = given > shown ? `the first ${count(shown)} of ${count(given)} images` : `${shown} image${shown === 1 ? '' : 's'}`;
  const ink =
    scale === 'grey'
      ? `the stronger the ink, the higher the value${shared ? ` (blank = ${fmt(shared[0])}, full = ${fmt(shared[1])})` : ' (each image over its own range)'}`
      : `red = positive, blue = negative, blank = 0; ${shared ? `full colour = ±${fmt(Math.max(Math.abs(shared[0]), Math.abs(shared[1])))}` : 'each image over its own ±max'}`;
  return `${howMany} of ${size} pixels; ${ink}`;
}

/** Reads an image-grid payload into tiles and pixels. */
export function imageGridModel(p: ImageGridPayload): ImageGridModel {
  const H = Math.max(1, Math.floor(finite(p?.height, 1)));
  const W = Math.max(1, Math.floor(finite(p?.width, 1)));
  // One image's pixels are refused past the cap; images past the count and pixel caps are counted, not drawn.
  if (H * W > IG_MAX_IMAGE_PIXELS)
    throw new Error(`images of height × width = ${count(H * W)} pixels are larger than the view draws (at most ${count(IG_MAX_IMAGE_PIXELS)} pixels each)`);
  const given = arr<unknown>(p?.images);
  const shownImages = Math.min(given.length, IG_MAX_IMAGES, Math.floor(IG_MAX_PIXELS / (H * W)));
  const images = given.slice(0, shownImages).map((im) => arr<number>(im));
  const captions = arr(p?.captions).map((c) => text(c));
  const hasCaptions = captions.some((c) => c !== '');
  const columns = Math.max(1, Math.min(images.length || 1, Math.floor(finite(p?.columns, 10))));
  const scale: 'grey' | 'diverging' = p?.scale === 'diverging' ? 'diverging' : 'grey';
  const pixel = Math.max(1, Math.min(12, Math.round(TILE_TARGET / Math.max(H, W))));
  const tileW = Math.max(W * pixel, 40);
  const captionH = hasCaptions ? CAPTION_H : 0;
  const tileH = H * pixel + captionH;
  const charW = 6.2;
  const tiles = images.map((vals, i): GridTile => {
    const [lo, hi] = imageRange(arr(p?.ranges)[i], vals, H * W);
    const amp = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    const pixels: GridPixel[] = [];
    for (let k = 0; k < H * W; k++) {
      const v = finite(vals[k], NaN);
      if (!Number.isFinite(v)) continue;
      const t = scale === 'grey' ? (hi > lo ? (v - lo) / (hi - lo) : 0) : Math.abs(v) / amp;
      const opacity = Math.round(Math.min(1, Math.max(0, t)) * 100) / 100;
      if (opacity > 0) pixels.push({ x: (k % W) * pixel, y: Math.floor(k / W) * pixel, opacity, negative: scale === 'diverging' && v < 0 });
    }
    const caption = captions[i] ?? '';
    return {
      index: i,
      x: (i % columns) * (tileW + GAP),
      y: TOP + Math.floor(i / columns) * (tileH + GAP),
      caption,
      shortCaption: cut(caption, Math.max(3, Math.floor((tileW + GAP - 2) / charW))),
      range: [lo, hi],
      pixels,
      values: vals,
    };
  });
  const shared = p?.sharedRange === true;
  const r0 = tiles[0]?.range ?? [0, 1];
  const subtitle = gridSubtitle(given.length, images.length, `${H}×${W}`, scale, shared ? r0 : null);
  const rowsOfTiles = Math.ceil(tiles.length / columns);
  return {
    title: typeof p?.title === 'string' && p.title ? p.title : 'images',
    subtitle,
    scale,
    height: H,
    width: W,
    pixel,
    tileW,
    tileH,
    imageX: (tileW - W * pixel) / 2,
    captionH,
    // wide enough for the subtitle (about 6 px a character at 11 px)
    svgW: Math.max(
      columns * (tileW + GAP) - GAP,
      320,
      Math.ceil([...subtitle].length * 6.1),
      Math.ceil(Math.min(120, [...text(p?.title).slice(0, 240)].length) * 8.5),
    ),
    svgH: TOP + Math.max(0, rowsOfTiles * (tileH + GAP) - GAP) + 2,
    tiles,
    valueAt(t, x, y) {
      const col = Math.floor((x - t.x - (tileW - W * pixel) / 2) / pixel);
      const row = Math.floor((y - t.y) / pixel);
      if (col < 0 || row < 0 || col >= W || row >= H) return null;
      return { row, col, value: finite(t.values[row * W + col], NaN) };
    },
  };
}

/** The image grid as a self-contained SVG (image/svg+xml), each image with its caption. */
export function imageGridSvg(p: ImageGridPayload): string {
  const m = imageGridModel(p);
  const o: string[] = [];
  o.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${m.svgW}" height="${m.svgH}" viewBox="0 0 ${m.svgW} ${m.svgH}" font-family="${esc(SANS)}" font-size="11">`,
  );
  o.push(`<title>${esc(m.title)}</title>`, `<rect width="${m.svgW}" height="${m.svgH}" fill="#ffffff"/>`);
  o.push(`<text x="0" y="16" font-size="14" font-weight="600" fill="${INK.text}">${esc(m.title)}</text>`);
  o.push(`<text x="0" y="32" fill="${INK.muted}">${esc(m.subtitle)}</text>`);
  const iw = m.width * m.pixel;
  const ih = m.height * m.pixel;
  for (const t of m.tiles) {
    const ox = t.x + m.imageX;
    o.push(`<g transform="translate(${ox},${t.y})"><title>${esc(t.caption || `image ${t.index}`)}</title>`);
    o.push(`<rect width="${iw}" height="${ih}" fill="#ffffff" stroke="#d0d7de" stroke-width="0.5"/>`);
    o.push(`<g shape-rendering="crispEdges">`);
    for (const q of t.pixels) {
      const fill = m.scale === 'grey' ? '#000000' : q.negative ? '#2166ac' : '#b2182b';
      o.push(`<rect x="${q.x}" y="${q.y}" width="${m.pixel}" height="${m.pixel}" fill="${fill}" fill-opacity="${q.opacity}"/>`);
    }
    o.push('</g></g>');
    if (m.captionH) o.push(`<text x="${t.x + m.tileW / 2}" y="${t.y + ih + 12}" text-anchor="middle" fill="${INK.text}">${esc(t.shortCaption)}</text>`);
  }
  o.push('</svg>');
  return o.join('\n');
}

/** The image grid as text: the title, and each image's caption and value range. */
export function imageGridText(p: ImageGridPayload): string {
  const m = imageGridModel(p);
  const o = [m.title, m.subtitle];
  const shown = m.tiles.slice(0, 40).map((t) => `${t.caption || `#${t.index}`} [${fmt(t.range[0])} … ${fmt(t.range[1])}]`);
  o.push(shown.join(', ') + (m.tiles.length > 40 ? `, … ${m.tiles.length - 40} more` : ''));
  return o.join('\n');
}
