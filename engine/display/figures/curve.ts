/**
 * The loss curve: downsampled series, status, ticks, and its static SVG and text fallbacks.
 *
 * Pure functions: no DOM, no Node APIs; shared by the extension's views and the
 * engine's static fallbacks, so both draw the same figure.
 */
import type { LossCurvePayload, Num } from '../contract';
import { asText, escapeXml, formatNum, formatCount, toNumber, INK, SANS, type Pt, round1 } from './format';

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

