/**
 * What a loss curve can draw, shared by the live view (plotly) and the static
 * SVG: finite values no larger than {@link CURVE_MAX_ABS}. A value of ±1e308 is
 * finite, but the span of an axis holding +1e308 and −1e308 is not (plotly
 * then logs an SVG path error, the static figure computes NaN coordinates).
 * Such points are left out (a gap in the line, as NaN is) and the figure says
 * how many.
 *
 * Pure functions: no DOM, no Node APIs.
 */
import type { LossCurvePayload } from '../contract';
import { formatCount, toNumber } from './format';

/** Largest |value| drawn (x or y): far beyond any loss, and twice it plus margins still fits a double. */
const CURVE_MAX_ABS = 1e300;

/** Whether a value can be placed on an axis. */
export function drawable(v: number): boolean {
  return Number.isFinite(v) && Math.abs(v) <= CURVE_MAX_ABS;
}

/** Points of a curve that are not drawn: too large, or NaN/±Infinity. */
export interface Undrawn {
  outOfRange: number;
  nonFinite: number;
}

/** Counts the points of `p` that cannot be drawn (over every point of every series). */
export function undrawnPoints(p: LossCurvePayload): Undrawn {
  const out: Undrawn = { outOfRange: 0, nonFinite: 0 };
  const series = Array.isArray(p?.series) ? p.series : [];
  for (const s of series) {
    const xr = Array.isArray(s?.x) ? s.x : [];
    const yr = Array.isArray(s?.y) ? s.y : [];
    const n = Math.min(xr.length, yr.length);
    for (let i = 0; i < n; i++) {
      const x = typeof xr[i] === 'number' ? xr[i] : NaN;
      const y = toNumber(yr[i]);
      if (!Number.isFinite(x) || !Number.isFinite(y)) out.nonFinite++;
      else if (!drawable(x) || !drawable(y)) out.outOfRange++;
    }
  }
  return out;
}

/** What the figure says about the points it left out, or null when it drew them all. */
export function undrawnNote(u: Undrawn): string | null {
  const parts: string[] = [];
  const pts = (n: number) => `${formatCount(n)} point${n === 1 ? '' : 's'}`;
  if (u.outOfRange) parts.push(`${pts(u.outOfRange)} out of range (|value| > 1e300)`);
  if (u.nonFinite) parts.push(`${pts(u.nonFinite)} NaN or ±Infinity`);
  return parts.length ? `not drawn: ${parts.join(', ')}` : null;
}
