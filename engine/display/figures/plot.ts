/**
 * The line plot (`gl.plot`): its figure model — the drawable runs of each
 * series, the axes (linear or log), and the notes on what was left out — and
 * its static SVG and text fallbacks.
 *
 * Pure functions: no DOM, no Node APIs; shared by the extension's view
 * (extension/views/line-plot.ts) and the engine's static fallback, so both say
 * the same about the same points. Axes and colours come from curve.ts.
 */
import type { PlotPayload } from '../contract';
import { asText, escapeXml, formatCount, formatNum, shorten, toNumber, INK, SANS, type Pt, round1 } from './format';
import { curveAxis, CURVE_COLOURS, type CurveAxis } from './curve';
import { drawable } from './curve-limits';

/** How a series is drawn: `lines`, `markers` or both. */
export type PlotMode = 'lines' | 'markers' | 'lines+markers';

/** Series with at most this many points get markers on their line when the payload does not say. */
const MARKERS_UP_TO = 30;

/** One series ready to draw: runs of drawable points (a left-out point ends a run) and what was left out. */
export interface PlotLine {
  name: string;
  mode: PlotMode;
  dash: boolean;
  runs: Pt[][];
  /** Points in the payload (pairs of x and y). */
  count: number;
  /** Points that are NaN or ±Infinity in x or y: gaps. */
  nonFinite: number;
  /** Finite points beyond ±1e300: gaps (an axis cannot span them). */
  outOfRange: number;
  /** Points left out because a log axis cannot show a value ≤ 0. */
  nonPositive: number;
}

/** The plot as both drawings read it. */
export interface PlotModel {
  title: string;
  xLabel: string;
  yLabel: string;
  lines: PlotLine[];
  x: CurveAxis;
  y: CurveAxis;
  /** The payload's notes, then what the figure left out (NaN gaps, values ≤ 0 on a log axis). */
  notes: string[];
}

/** The drawable runs of one series, counting what it leaves out. */
function plotLine(s: PlotPayload['series'][number] | undefined, k: number, logX: boolean, logY: boolean): PlotLine {
  const xr: unknown[] = s && Array.isArray(s.x) ? s.x : [];
  const yr: unknown[] = s && Array.isArray(s.y) ? s.y : [];
  const n = Math.min(xr.length, yr.length);
  const line: PlotLine = {
    name: asText(s?.name, `series ${k + 1}`),
    mode: s?.mode === 'markers' || s?.mode === 'lines+markers' || s?.mode === 'lines' ? s.mode : n <= MARKERS_UP_TO ? 'lines+markers' : 'lines',
    dash: s?.dash === true,
    runs: [],
    count: n,
    nonFinite: 0,
    outOfRange: 0,
    nonPositive: 0,
  };
  let run: Pt[] = [];
  for (let i = 0; i < n; i++) {
    const x = toNumber(xr[i]);
    const y = toNumber(yr[i]);
    let ok = false;
    if (!Number.isFinite(x) || !Number.isFinite(y)) line.nonFinite++;
    else if (!drawable(x) || !drawable(y)) line.outOfRange++;
    else if ((logX && x <= 0) || (logY && y <= 0)) line.nonPositive++;
    else ok = true;
    if (ok) run.push({ x, y });
    else if (run.length) {
      line.runs.push(run);
      run = [];
    }
  }
  if (run.length) line.runs.push(run);
  return line;
}

/** The range of the drawn points along `key`, or a default one when nothing is drawn. */
function extent(lines: PlotLine[], key: 'x' | 'y', log: boolean): CurveAxis {
  let lo = Infinity;
  let hi = -Infinity;
  for (const l of lines)
    for (const r of l.runs)
      for (const q of r) {
        lo = Math.min(lo, q[key]);
        hi = Math.max(hi, q[key]);
      }
  if (!(hi >= lo)) [lo, hi] = log ? [1, 10] : [0, 1];
  return curveAxis(lo, hi, key === 'x' ? 6 : 5, log);
}

/** `3 points ('forward' 2, 'central' 1)`: a count over the series, naming those it applies to. */
function perSeries(lines: PlotLine[], count: (l: PlotLine) => number): string | null {
  const total = lines.reduce((t, l) => t + count(l), 0);
  if (!total) return null;
  const named = lines.filter((l) => count(l) > 0).map((l) => `'${shorten(l.name, 40)}' ${formatCount(count(l))}`);
  return `${formatCount(total)} point${total === 1 ? '' : 's'} (${named.length > 4 ? `${named.slice(0, 4).join(', ')}, …` : named.join(', ')})`;
}

/** What the figure leaves out, in words. */
function leftOutNotes(lines: PlotLine[], logX: boolean, logY: boolean): string[] {
  const out: string[] = [];
  const nonFinite = perSeries(lines, (l) => l.nonFinite);
  if (nonFinite) out.push(`${nonFinite} NaN or ±Infinity: drawn as gaps`);
  const range = perSeries(lines, (l) => l.outOfRange);
  if (range) out.push(`${range} out of range (|value| > 1e300): drawn as gaps`);
  const axes = logX && logY ? 'the log axes' : logX ? 'the log x axis' : 'the log y axis';
  const nonPositive = perSeries(lines, (l) => l.nonPositive);
  if (nonPositive) out.push(`${nonPositive} with a value ≤ 0 left out: ${axes} cannot show them`);
  return out;
}

/** Reads a plot payload into what both drawings draw. Bounded by the payload (the contract caps it). */
export function plotModel(p: PlotPayload): PlotModel {
  const logX = p?.logX === true;
  const logY = p?.logY === true;
  const series = Array.isArray(p?.series) ? p.series : [];
  const lines = series.map((s, k) => plotLine(s, k, logX, logY));
  const given = Array.isArray(p?.notes) ? p.notes.filter((n): n is string => typeof n === 'string') : [];
  return {
    title: typeof p?.title === 'string' && p.title ? p.title : 'plot',
    xLabel: asText(p?.xLabel, 'x'),
    yLabel: asText(p?.yLabel, 'y'),
    lines,
    x: extent(lines, 'x', logX),
    y: extent(lines, 'y', logY),
    notes: [...given, ...leftOutNotes(lines, logX, logY)],
  };
}

// ---- static SVG ---------------------------------------------------------------

const W = 640;
const PLOT_H = 300;
const M = { l: 64, t: 34, b: 44 };
/** Legend to the right of the plot: its width, and characters of a name in it. */
const LEGEND_W = 150;
const LEGEND_CHARS = 22;
const NOTE_H = 14;

/** Where a value falls on an axis, as a fraction of its length. */
function frac(v: number, a: CurveAxis): number {
  return a.log ? (Math.log10(v) - Math.log10(a.lo)) / (Math.log10(a.hi) - Math.log10(a.lo)) : (v - a.lo) / (a.hi - a.lo);
}

/** A tick label: powers of ten on a log axis as `1e-8`. */
function tickLabel(t: number, a: CurveAxis): string {
  return a.log && (t >= 1e4 || t < 1e-3) ? t.toExponential(0).replace('e+', 'e') : formatNum(t);
}

/** The plot area's box and the data → SVG maps. */
interface Frame {
  l: number;
  t: number;
  w: number;
  h: number;
  X: (v: number) => number;
  Y: (v: number) => number;
}

/** Grid, frame, ticks and axis titles. */
function axesSvg(m: PlotModel, f: Frame): string[] {
  const o: string[] = [`<g stroke="#e5e7eb" stroke-width="1">`];
  for (const t of m.y.ticks) o.push(`<line x1="${f.l}" x2="${f.l + f.w}" y1="${round1(f.Y(t))}" y2="${round1(f.Y(t))}"/>`);
  for (const t of m.x.ticks) o.push(`<line x1="${round1(f.X(t))}" x2="${round1(f.X(t))}" y1="${f.t}" y2="${f.t + f.h}"/>`);
  o.push('</g>', `<rect x="${f.l}" y="${f.t}" width="${f.w}" height="${f.h}" fill="none" stroke="${INK.edge}"/>`, `<g fill="${INK.muted}">`);
  for (const t of m.x.ticks) o.push(`<text x="${round1(f.X(t))}" y="${f.t + f.h + 16}" text-anchor="middle">${escapeXml(tickLabel(t, m.x))}</text>`);
  for (const t of m.y.ticks) o.push(`<text x="${f.l - 6}" y="${round1(f.Y(t)) + 4}" text-anchor="end">${escapeXml(tickLabel(t, m.y))}</text>`);
  o.push('</g>');
  const xl = `${m.xLabel}${m.x.log ? ' (log scale)' : ''}`;
  const yl = `${m.yLabel}${m.y.log ? ' (log scale)' : ''}`;
  o.push(`<text x="${f.l + f.w / 2}" y="${f.t + f.h + 34}" text-anchor="middle" fill="${INK.text}">${escapeXml(xl)}</text>`);
  o.push(`<text transform="translate(16,${f.t + f.h / 2}) rotate(-90)" text-anchor="middle" fill="${INK.text}">${escapeXml(yl)}</text>`);
  return o;
}

/** Each series: its line and/or its dots, in its colour. */
function linesSvg(m: PlotModel, f: Frame): string[] {
  const o: string[] = [];
  m.lines.forEach((l, k) => {
    const c = CURVE_COLOURS[k % CURVE_COLOURS.length];
    const dash = l.dash ? ' stroke-dasharray="6 4"' : '';
    for (const r of l.runs) {
      const pts = r.map((q) => `${round1(f.X(q.x))},${round1(f.Y(q.y))}`);
      if (l.mode !== 'markers' && r.length > 1)
        o.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${c}" stroke-width="1.8" stroke-linejoin="round"${dash}/>`);
      if (l.mode !== 'lines' || r.length === 1) for (const q of pts) o.push(`<circle cx="${q.split(',')[0]}" cy="${q.split(',')[1]}" r="2.6" fill="${c}"/>`);
    }
  });
  return o;
}

/** The legend to the right of the plot: one row per series (colour, dash, name cut, full name as tooltip). */
function legendSvg(m: PlotModel, x0: number, y0: number): string[] {
  return m.lines.map((l, k) => {
    const c = CURVE_COLOURS[k % CURVE_COLOURS.length];
    const y = y0 + 8 + k * 16;
    const dash = l.dash ? ' stroke-dasharray="6 4"' : '';
    const mark =
      l.mode === 'markers'
        ? `<circle cx="${x0 + 9}" cy="${y}" r="2.6" fill="${c}"/>`
        : `<line x1="${x0}" y1="${y}" x2="${x0 + 18}" y2="${y}" stroke="${c}" stroke-width="2"${dash}/>`;
    return `<g><title>${escapeXml(shorten(l.name, 1000))}</title>${mark}<text x="${x0 + 24}" y="${y + 4}" fill="${INK.text}">${escapeXml(shorten(l.name, LEGEND_CHARS))}</text></g>`;
  });
}

/**
 * The plot as a self-contained SVG (image/svg+xml): title, axes with ticks
 * (decades on a log axis), every series, a legend on the right, and the notes
 * (what was left out) under the plot.
 */
export function plotSvg(p: PlotPayload): string {
  const m = plotModel(p);
  const notes = m.notes.slice(0, 6);
  const pw = W - M.l - LEGEND_W;
  const H = M.t + PLOT_H + M.b + notes.length * NOTE_H + (notes.length ? 6 : 0);
  const f: Frame = { l: M.l, t: M.t, w: pw, h: PLOT_H, X: (v) => M.l + frac(v, m.x) * pw, Y: (v) => M.t + PLOT_H - frac(v, m.y) * PLOT_H };
  const o = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${escapeXml(SANS)}" font-size="11">`];
  o.push(`<title>${escapeXml(m.title)}</title>`, `<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  o.push(`<text x="${M.l}" y="20" font-size="14" font-weight="600" fill="${INK.text}">${escapeXml(shorten(m.title, 80))}</text>`);
  o.push(...axesSvg(m, f), ...linesSvg(m, f), ...legendSvg(m, M.l + pw + 14, M.t));
  if (m.lines.every((l) => l.runs.length === 0))
    o.push(`<text x="${M.l + pw / 2}" y="${M.t + PLOT_H / 2}" text-anchor="middle" fill="${INK.muted}">no points to draw</text>`);
  notes.forEach((n, i) => {
    o.push(`<text x="${M.l}" y="${M.t + PLOT_H + M.b + 8 + i * NOTE_H}" font-size="10" fill="${INK.note}">${escapeXml(shorten(n, 110))}</text>`);
  });
  o.push('</svg>');
  return o.join('\n');
}

/** The plot as short plain text: per series its points, x range and y range; then the notes. */
export function plotText(p: PlotPayload): string {
  const m = plotModel(p);
  const scales = [m.x.log ? 'log x' : '', m.y.log ? 'log y' : ''].filter(Boolean).join(', ');
  const o = [`${m.title}: ${m.yLabel} against ${m.xLabel}${scales ? ` (${scales})` : ''}`];
  for (const l of m.lines) {
    const pts = l.runs.flat();
    if (!pts.length) {
      o.push(`  ${l.name}: ${formatCount(l.count)} points, none drawn`);
      continue;
    }
    let [ylo, yhi] = [Infinity, -Infinity];
    for (const q of pts) [ylo, yhi] = [Math.min(ylo, q.y), Math.max(yhi, q.y)];
    const xs = `${m.xLabel} ${formatNum(pts[0].x)} … ${formatNum(pts[pts.length - 1].x)}`;
    o.push(`  ${l.name}: ${formatCount(l.count)} points, ${xs}, ${m.yLabel} from ${formatNum(ylo)} to ${formatNum(yhi)}`);
  }
  for (const n of m.notes) o.push(`  note: ${n}`);
  return o.join('\n');
}
