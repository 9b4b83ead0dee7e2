/**
 * The loss curve: downsampled series, status, ticks, and its static SVG and text fallbacks.
 *
 * Pure functions: no DOM, no Node APIs; shared by the extension's views and the
 * engine's static fallbacks, so both draw the same figure.
 */
import type { LossCurvePayload, Num } from '../contract';
import { asText, escapeXml, formatNum, formatCount, shorten, toNumber, trimZeros, INK, SANS, type Pt, round1 } from './format';
import { drawable, undrawnNote, undrawnPoints } from './curve-limits';

// ---- loss curve ------------------------------------------------------------

/** Points per series above which the static curve is downsampled for drawing. */
export const CURVE_MAX_POINTS = 4000;

/**
 * Points per series of the static curve sent with each live update while training
 * runs (the final one, when the curve is closed or stopped, has {@link CURVE_MAX_POINTS}):
 * drawing 4,000 points ~50 times a minute is most of what a live curve costs the training loop.
 */
export const CURVE_LIVE_POINTS = 1000;

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
  /** The EMA-smoothed line (see {@link emaSmooth}), downsampled like `runs`; absent without smoothing. */
  smooth?: Pt[][];
}

/** A smoothing weight from a payload or a control: a number in [0, 0.999], anything else 0. */
export function clampSmoothing(w: unknown): number {
  return typeof w === 'number' && Number.isFinite(w) ? Math.min(0.999, Math.max(0, w)) : 0;
}

/**
 * Exponential moving average with weight `w` (0: the values themselves), debiased
 * as in TensorBoard and Adam: s_k = w·s_{k-1} + (1−w)·y_k with s_0 = 0, shown as
 * s_k / (1 − w^k), so the first points are not pulled towards 0.
 * NOTE: a non-finite value stays a gap (NaN) and does not enter the average.
 */
export function emaSmooth(ys: ArrayLike<number>, w: number): number[] {
  const weight = clampSmoothing(w);
  const out = new Array<number>(ys.length);
  let acc = 0;
  let k = 0;
  for (let i = 0; i < ys.length; i++) {
    const v = ys[i];
    if (!Number.isFinite(v)) {
      out[i] = NaN;
      continue;
    }
    acc = weight * acc + (1 - weight) * v;
    k++;
    out[i] = weight === 0 ? v : acc / (1 - weight ** k);
  }
  return out;
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

/** Splits the points `idx` of (xs, ys) into runs of drawable points (a non-finite or out-of-range value ends a run). */
function finiteRuns(xs: number[], ys: number[], idx: number[]): Pt[][] {
  const runs: Pt[][] = [];
  let run: Pt[] = [];
  for (const i of idx) {
    if (drawable(xs[i]) && drawable(ys[i]))
      run.push({ x: xs[i], y: ys[i] }); // ±1e308 would overflow an axis: see curve-limits.ts
    else if (run.length) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length) runs.push(run);
  return runs;
}

/**
 * Reads a loss-curve payload's series: finite runs, downsampled for drawing
 * (min/max per bucket, so every drawn point is a real one), with last and best
 * points of all the data; with `smoothing` > 0 also the EMA line, computed over
 * every point and then downsampled.
 */
export function lossCurveSeries(p: LossCurvePayload, maxPoints = CURVE_MAX_POINTS, smoothing = 0): CurveSeries[] {
  const w = clampSmoothing(smoothing);
  const series = Array.isArray(p?.series) ? p.series : [];
  return series.map((s, k) => {
    const xr = Array.isArray(s?.x) ? s.x : [];
    const yr = Array.isArray(s?.y) ? s.y : [];
    const n = Math.min(xr.length, yr.length);
    const xs = xr.slice(0, n).map((v) => (typeof v === 'number' ? v : NaN));
    const ys = yr.slice(0, n).map(toNumber);
    const idx = downsampleMinMax(xs, ys, maxPoints);
    const runs = finiteRuns(xs, ys, idx);
    let smooth: Pt[][] | undefined;
    if (w > 0) {
      const sy = emaSmooth(ys, w);
      smooth = finiteRuns(xs, sy, downsampleMinMax(xs, sy, maxPoints));
    }
    let min: { x: number; y: number } | null = null;
    for (let i = 0; i < n; i++) if (Number.isFinite(ys[i]) && (min === null || ys[i] < min.y)) min = { x: xs[i], y: ys[i] };
    return {
      name: asText(s?.name, `series ${k + 1}`),
      axis: s?.axis === 'y2' ? 'y2' : 'y',
      runs,
      count: n,
      downsampled: idx.length < n,
      last: n > 0 ? { x: xs[n - 1], y: yr[n - 1] } : null,
      min,
      ...(smooth ? { smooth } : {}),
    };
  });
}

/**
 * Why the left (loss) axis cannot be drawn on a log scale, or null when it can:
 * every finite value of its series must be positive.
 */
export function logScaleProblem(p: LossCurvePayload): string | null {
  const series = Array.isArray(p?.series) ? p.series : [];
  const bad: string[] = [];
  for (const [k, s] of series.entries()) {
    if (s?.axis === 'y2' || !Array.isArray(s?.y)) continue;
    let count = 0;
    let lowest = Infinity;
    for (const v of s.y) {
      const n = toNumber(v);
      if (Number.isFinite(n) && n <= 0) {
        count++;
        lowest = Math.min(lowest, n);
      }
    }
    if (count) bad.push(`'${asText(s.name, `series ${k + 1}`)}' has ${formatCount(count)} value${count === 1 ? '' : 's'} ≤ 0 (lowest ${formatNum(lowest)})`);
  }
  return bad.length ? `log scale needs positive values: ${bad.join(', ')}; drawn on a linear scale` : null;
}

/**
 * Tick values of a log axis covering [lo, hi] (both > 0): every power of ten,
 * plus 2× and 5× when the span is two decades or less, thinned to about 7 when it is wide.
 */
export function logTicks(lo: number, hi: number): number[] {
  if (!(lo > 0) || !(hi > 0) || !Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  const a = Math.floor(Math.log10(Math.min(lo, hi)) + 1e-9);
  let b = Math.ceil(Math.log10(Math.max(lo, hi)) - 1e-9);
  if (b <= a) b = a + 1;
  const decades = b - a;
  const mults = decades <= 2 ? [1, 2, 5] : [1];
  const every = Math.max(1, Math.ceil(decades / 7));
  const out: number[] = [];
  for (let e = a; e <= b; e += every) {
    for (const m of mults) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (v <= 10 ** b * (1 + 1e-9)) out.push(v);
    }
  }
  return out;
}

/** One axis of the static curve: its range in data units, its ticks, and whether it is logarithmic. */
export interface CurveAxis {
  lo: number;
  hi: number;
  ticks: number[];
  log: boolean;
}

/**
 * The axis for data spanning [lo0, hi0]: whole tick steps around the data (so
 * the line never touches the frame), or whole decades on a log axis.
 */
export function curveAxis(lo0: number, hi0: number, count = 5, log = false): CurveAxis {
  if (log && lo0 > 0 && Number.isFinite(lo0) && Number.isFinite(hi0)) {
    const ticks = logTicks(lo0, hi0);
    // NOTE: ticks every 2+ decades may stop below the top decade (1e-12…1e-1 ticks up to 1e-2): the axis still reaches it
    const top = 10 ** Math.ceil(Math.log10(hi0) - 1e-9);
    return { lo: ticks[0], hi: Math.max(ticks[ticks.length - 1], top), ticks, log: true };
  }
  const inner = niceTicks(lo0, hi0, count);
  if (!inner.length) return { lo: 0, hi: 1, ticks: [], log: false };
  const step = inner.length > 1 ? inner[1] - inner[0] : Math.abs(inner[0]) || 1;
  const lo = Math.floor(lo0 / step + 1e-9) * step;
  const hi = Math.max(lo + step, Math.ceil(hi0 / step - 1e-9) * step);
  // NOTE: ticks are counted from lo in whole steps (re-deriving a step from the rounded range can pick another one).
  const ticks = Array.from({ length: Math.round((hi - lo) / step) + 1 }, (_, i) => {
    const t = Number((lo + i * step).toPrecision(12));
    return Math.abs(t) < step * 1e-9 ? 0 : t;
  });
  return { lo, hi, ticks, log: false };
}

/** Position of `v` on `axis` as a fraction of its length (0 at `lo`, 1 at `hi`). */
function axisFraction(v: number, axis: CurveAxis): number {
  if (axis.log) return (Math.log10(v) - Math.log10(axis.lo)) / (Math.log10(axis.hi) - Math.log10(axis.lo));
  return (v - axis.lo) / (axis.hi - axis.lo);
}

/** The states of a curve's status line; `stale` is a live payload whose kernel has not updated it for longer than it said it might. */
type LossCurveState = 'running' | 'done' | 'stopped' | 'stale';

/** A curve's status: its state, the line a view shows, and (while running) when it turns stale. */
export interface LossCurveStatus {
  state: LossCurveState;
  text: string;
  /** While `running`: the time (ms, the payload's clock) past which the same payload is `stale`. */
  staleAt?: number;
}

/** The time a live payload turns stale (`updatedAt + staleAfter`), or null when it does not say. */
function staleDeadline(p: LossCurvePayload): number | null {
  const at = p?.updatedAt;
  const after = p?.staleAfter;
  if (typeof at !== 'number' || !Number.isFinite(at) || typeof after !== 'number' || !Number.isFinite(after) || after < 0) return null;
  return at + after;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * A time of day, `18:20:03`, in the local time zone (the reader's, in a view);
 * with the date in front (`2026-12-02 18:20:03`) when it is not the day of `now`.
 */
export function clockTime(ms: number, now?: number): string {
  const d = new Date(ms);
  const time = `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  const n = now === undefined ? null : new Date(now);
  const sameDay = n !== null && n.getFullYear() === d.getFullYear() && n.getMonth() === d.getMonth() && n.getDate() === d.getDate();
  return sameDay ? time : `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${time}`;
}

/** A duration in ms as people say it: `45 s`, `4 min`, `1.5 h`. */
export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 90 * 60) return `${trimZeros((s / 60).toFixed(1))} min`;
  return `${trimZeros((s / 3600).toFixed(1))} h`;
}

/**
 * The status line of a curve: `training…`, `done`, `stopped: why`, or — given
 * the clock `now` (ms since the epoch) — `not finished: no update since 18:20:03 …`
 * once a live payload is older than it promised (`now > updatedAt + staleAfter`):
 * its kernel stopped or restarted, or one step is taking longer than the gap the
 * kernel expected. A view calls it with `Date.now()` and again at `staleAt`.
 * Without `now` (or without `updatedAt`/`staleAfter`, older payloads) a live
 * curve reads `training…`.
 */
export function lossCurveStatus(p: LossCurvePayload, now?: number): LossCurveStatus {
  if (typeof p?.stopped === 'string') return { state: 'stopped', text: `stopped: ${p.stopped}` };
  if (p?.done === true) return { state: 'done', text: 'done' };
  const deadline = staleDeadline(p);
  if (deadline === null) return { state: 'running', text: 'training…' };
  if (now !== undefined && now > deadline) {
    return {
      state: 'stale',
      text: `not finished: no update since ${clockTime(p.updatedAt!, now)} (the kernel stopped or restarted, or a step is taking longer than ${formatDuration(p.staleAfter!)})`,
    };
  }
  return { state: 'running', text: 'training…', staleAt: deadline };
}

/**
 * The status written into a static fallback (SVG, text): a picture cannot tell
 * a live run from a dead one, so a payload that is not done and carries its
 * update time says `not finished — last update 2026-12-02 18:20:03 UTC, step 57`
 * rather than `training…` (what a saved notebook or an HTML export would
 * otherwise show forever after a kernel restart).
 */
export function lossCurveStaticStatus(p: LossCurvePayload): LossCurveStatus {
  const st = lossCurveStatus(p);
  if (st.state !== 'running' || typeof p?.updatedAt !== 'number' || !Number.isFinite(p.updatedAt)) return st;
  const iso = new Date(p.updatedAt).toISOString();
  const main = lossCurveSeries(p, 2)[0];
  const at = main?.last ? `${asText(p?.xLabel, 'step')} ${formatNum(main.last.x)}` : 'no points yet';
  return { state: 'running', text: `not finished — last update ${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC, ${at}` };
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

/** Width of the static curve, and its left margin (the y axis' ticks). */
const SVG_W = 640;
const SVG_MARGIN_L = 64;

/**
 * The loss curve as a self-contained SVG (image/svg+xml): axes with ticks, every
 * point (downsampled only past 4,000), a legend; `y2` series on a right axis; the
 * left axis on a log scale when the payload asks (`logY`) and its values allow;
 * with `smoothing`, the EMA line over the faint raw one.
 */
export function lossCurveSvg(p: LossCurvePayload, maxPoints = CURVE_MAX_POINTS): string {
  const smoothing = clampSmoothing(p?.smoothing);
  const series = lossCurveSeries(p, maxPoints, smoothing);
  const status = lossCurveStaticStatus(p);
  const logProblem = p?.logY === true ? logScaleProblem(p) : null;
  const logY = p?.logY === true && logProblem === null;
  const legend = curveLegend(series, undrawnNote(undrawnPoints(p)), SVG_MARGIN_L, SVG_W - SVG_MARGIN_L - 20);
  const plot = curvePlot(series, logY, legend.extra);
  const { W, H, m, pw, ph } = plot;
  const o: string[] = [];
  const title = typeof p?.title === 'string' && p.title ? p.title : 'loss curve';
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${escapeXml(SANS)}" font-size="11">`);
  o.push(`<title>${escapeXml(title)}</title>`);
  o.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  const stColour = status.state === 'stopped' ? INK.bad : status.state === 'done' ? INK.ok : INK.note;
  const modes = [logY ? 'log scale' : '', smoothing > 0 ? `smoothed (EMA ${formatNum(smoothing)})` : ''].filter(Boolean).join(', ');
  o.push(
    `<text x="${m.l}" y="18" font-size="14" font-weight="600" fill="${INK.text}">${escapeXml(title)} <tspan font-size="12" font-weight="400" fill="${stColour}">${escapeXml(status.text)}</tspan>${modes ? ` <tspan font-size="11" font-weight="400" fill="${INK.muted}">${escapeXml(modes)}</tspan>` : ''}</text>`,
  );
  if (logProblem) o.push(`<text x="${m.l + 4}" y="${m.t + 14}" font-size="10" fill="${INK.muted}">${escapeXml(logProblem)}</text>`);
  o.push(...legend.svg);
  o.push(...curveAxesSvg(p, plot));
  o.push(...curveLinesSvg(series, plot));
  if (series.every((s) => s.count === 0)) {
    o.push(`<text x="${m.l + pw / 2}" y="${m.t + ph / 2}" text-anchor="middle" fill="${INK.muted}">no points yet</text>`);
  }
  o.push('</svg>');
  return o.join('\n');
}

/** The static curve's size, margins, plot area and scales: `X` and `Y` map data to SVG coordinates. */
interface CurvePlot {
  W: number;
  H: number;
  m: { l: number; r: number; t: number; b: number };
  /** Plot area's width and height. */
  pw: number;
  ph: number;
  ax: CurveAxis;
  ay: CurveAxis;
  ay2: CurveAxis;
  hasY2: boolean;
  X: (v: number) => number;
  Y: (v: number, a: CurveAxis) => number;
}

/** The plot for `series`, a legend `legendExtra` px taller than one row above it; the left axis on a log scale with `logY`. */
function curvePlot(series: CurveSeries[], logY: boolean, legendExtra: number): CurvePlot {
  const W = SVG_W;
  const hasY2 = series.some((s) => s.axis === 'y2');
  const m = { l: SVG_MARGIN_L, r: hasY2 ? 64 : 20, t: 54 + legendExtra, b: 44 };
  const H = 340 + legendExtra;
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const ext = (axis: 'x' | 'y' | 'y2') => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of series) {
      if (axis !== 'x' && s.axis !== axis) continue;
      for (const r of [...s.runs, ...(s.smooth ?? [])])
        for (const q of r) {
          const v = axis === 'x' ? q.x : q.y;
          if (axis === 'y' && logY && !(v > 0)) continue;
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
    }
    return [lo, hi];
  };
  const axisOf = (axis: 'x' | 'y' | 'y2') => {
    const [lo0, hi0] = ext(axis);
    return curveAxis(lo0, hi0, axis === 'x' ? 6 : 5, axis === 'y' && logY);
  };
  const ax = axisOf('x');
  const X = (v: number) => m.l + axisFraction(v, ax) * pw;
  const Y = (v: number, a: CurveAxis) => m.t + ph - axisFraction(v, a) * ph;
  return { W, H, m, pw, ph, ax, ay: axisOf('y'), ay2: axisOf('y2'), hasY2, X, Y };
}

/** Grid, frame, ticks and axis titles of the static curve. */
function curveAxesSvg(p: LossCurvePayload, plot: CurvePlot): string[] {
  const { W, H, m, pw, ph, ax, ay, ay2, hasY2, X, Y } = plot;
  const o: string[] = [];
  o.push(`<g stroke="#e5e7eb" stroke-width="1">`);
  for (const t of ay.ticks) o.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${round1(Y(t, ay))}" y2="${round1(Y(t, ay))}"/>`);
  o.push('</g>');
  o.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="${INK.edge}"/>`);
  o.push(`<g fill="${INK.muted}">`);
  for (const t of ax.ticks) {
    const x = round1(X(t));
    o.push(
      `<line x1="${x}" x2="${x}" y1="${m.t + ph}" y2="${m.t + ph + 4}" stroke="${INK.edge}"/><text x="${x}" y="${m.t + ph + 16}" text-anchor="middle">${escapeXml(formatNum(t))}</text>`,
    );
  }
  for (const t of ay.ticks) {
    const y = round1(Y(t, ay));
    o.push(
      `<line x1="${m.l - 4}" x2="${m.l}" y1="${y}" y2="${y}" stroke="${INK.edge}"/><text x="${m.l - 6}" y="${y + 4}" text-anchor="end">${escapeXml(formatNum(t))}</text>`,
    );
  }
  if (hasY2) {
    for (const t of ay2.ticks) {
      const y = round1(Y(t, ay2));
      o.push(
        `<line x1="${m.l + pw}" x2="${m.l + pw + 4}" y1="${y}" y2="${y}" stroke="${INK.edge}"/><text x="${m.l + pw + 6}" y="${y + 4}">${escapeXml(formatNum(t))}</text>`,
      );
    }
  }
  o.push('</g>');
  o.push(`<text x="${m.l + pw / 2}" y="${H - 8}" text-anchor="middle" fill="${INK.text}">${escapeXml(asText(p?.xLabel, 'step'))}</text>`);
  o.push(`<text transform="translate(16,${m.t + ph / 2}) rotate(-90)" text-anchor="middle" fill="${INK.text}">${escapeXml(asText(p?.yLabel, 'loss'))}</text>`);
  if (hasY2)
    o.push(
      `<text transform="translate(${W - 12},${m.t + ph / 2}) rotate(90)" text-anchor="middle" fill="${INK.text}">${escapeXml(asText(p?.y2Label, ''))}</text>`,
    );
  return o;
}

/** Each series' line (dashed on the right axis, faint under its smoothed line), with dots when it has few points. */
function curveLinesSvg(series: CurveSeries[], plot: CurvePlot): string[] {
  const { ay, ay2, X, Y } = plot;
  const o: string[] = [];
  series.forEach((s, k) => {
    const c = CURVE_COLOURS[k % CURVE_COLOURS.length];
    const a = s.axis === 'y2' ? ay2 : ay;
    const dash = s.axis === 'y2' ? ' stroke-dasharray="5 3"' : '';
    const few = s.runs.reduce((n, r) => n + r.length, 0) <= 60;
    // With smoothing the raw line stays, faint, behind the smoothed one.
    const faint = s.smooth ? ' stroke-opacity="0.3"' : '';
    const onAxis = (q: Pt) => !(a.log && !(q.y > 0));
    for (const r0 of s.runs) {
      const r = r0.filter(onAxis);
      const pts = r.map((q) => `${round1(X(q.x))},${round1(Y(q.y, a))}`);
      if (r.length > 1) o.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${c}" stroke-width="1.5" stroke-linejoin="round"${dash}${faint}/>`);
      if (few || r.length === 1)
        for (const q of pts) {
          const [x, y] = q.split(',');
          o.push(`<circle cx="${x}" cy="${y}" r="2.2" fill="${c}"${faint}/>`);
        }
    }
    for (const r0 of s.smooth ?? []) {
      const r = r0.filter(onAxis);
      if (r.length > 1)
        o.push(
          `<polyline data-smoothed="" points="${r.map((q) => `${round1(X(q.x))},${round1(Y(q.y, a))}`).join(' ')}" fill="none" stroke="${c}" stroke-width="2" stroke-linejoin="round"${dash}/>`,
        );
    }
  });
  return o;
}

/** Characters of a series name in the static legend; the entry's tooltip (`<title>`) has up to {@link LEGEND_TITLE_MAX}. */
const LEGEND_NAME_MAX = 40;
const LEGEND_TITLE_MAX = 1000;
/** Rows of legend entries at most; a last row counts the series left out. */
const LEGEND_MAX_ROWS = 8;
const LEGEND_ROW_H = 16;

/**
 * The static curve's legend, laid out in rows of `width` px from `x0` (the first
 * row's line at `y0`): every series' entry — colour, dash, name cut with an
 * ellipsis, axis, last value — wrapped to the next row when it does not fit,
 * and `note` (points not drawn) in a row of its own. `extra` is the height it
 * takes beyond one row: the figure grows by that much.
 */
function curveLegend(series: CurveSeries[], note: string | null, x0: number, width: number, y0 = 34): { svg: string[]; extra: number } {
  const charW = 6.2; // at font-size 11
  const maxChars = Math.max(8, Math.floor((width - 22) / charW));
  const svg: string[] = [];
  let row = 0;
  let lx = x0;
  for (let k = 0; k < series.length; k++) {
    const s = series[k];
    const last = s.last ? ` = ${formatNum(s.last.y)}` : '';
    const full = `${shorten(s.name, LEGEND_NAME_MAX)}${s.axis === 'y2' ? ' (right axis)' : ''}${last}${s.downsampled ? ` (${formatCount(s.count)} points, drawn downsampled)` : ''}`;
    const label = shorten(full, maxChars);
    const w = 22 + [...label].length * charW;
    const fits = lx === x0 || lx + w <= x0 + width;
    // on the last row an entry is drawn only with room left for "… and N more series" after it
    if (row === LEGEND_MAX_ROWS - 1 && k < series.length - 1 && (!fits || lx + w + 16 + 130 > x0 + width)) {
      svg.push(`<text x="${round1(lx)}" y="${y0 + row * LEGEND_ROW_H + 4}" fill="${INK.muted}">… and ${formatCount(series.length - k)} more series</text>`);
      break;
    }
    if (!fits) {
      row++;
      lx = x0;
    }
    const y = y0 + row * LEGEND_ROW_H;
    const c = CURVE_COLOURS[k % CURVE_COLOURS.length];
    const dash = s.axis === 'y2' ? ' stroke-dasharray="5 3"' : '';
    svg.push(
      `<g><title>${escapeXml(shorten(s.name, LEGEND_TITLE_MAX))}</title><line x1="${round1(lx)}" y1="${y}" x2="${round1(lx + 18)}" y2="${y}" stroke="${c}" stroke-width="2"${dash}/>` +
        `<text x="${round1(lx + 22)}" y="${y + 4}" fill="${INK.text}">${escapeXml(label)}</text></g>`,
    );
    lx += w + 16;
  }
  if (note) {
    row += series.length ? 1 : 0;
    svg.push(`<text x="${x0}" y="${y0 + row * LEGEND_ROW_H + 4}" font-size="10" fill="${INK.muted}">${escapeXml(shorten(note, maxChars + 10))}</text>`);
  }
  return { svg, extra: row * LEGEND_ROW_H };
}

/** The loss curve as short plain text: status, and per series its last and lowest value. */
export function lossCurveText(p: LossCurvePayload): string {
  const series = lossCurveSeries(p, 2); // counts, last and lowest are of all the points; nothing is drawn

  const title = typeof p?.title === 'string' && p.title ? p.title : 'loss curve';
  const o = [`${title} (${lossCurveStaticStatus(p).text})`];
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
