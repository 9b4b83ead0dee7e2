/**
 * Formatting shared by every figure: numbers, shapes, tensor summaries, and the
 * print-safe colours and fonts of the static fallbacks.
 *
 * Pure functions: no DOM, no Node APIs. Imports only the contract and text.ts.
 */
import type { TensorSummary } from '../contract';
import { asText, escapeXml } from '../text';

export { asText, escapeXml };

// ---- text ------------------------------------------------------------------

/** A payload number as a short string: up to 4 significant digits, exact for small integers. */
export function formatNum(n: unknown): string {
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
export function formatNumLong(n: unknown, digits = 8): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) return formatNum(n);
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  const a = Math.abs(n);
  if (a >= 1e-4 && a < 1e7) return trimZeros(n.toPrecision(digits));
  return n.toExponential(digits - 4).replace(/\.?0+e/, 'e');
}

/** A relative error: always in scientific notation, which is how tolerances are read. */
export function formatErr(n: unknown): string {
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

export function trimZeros(s: string): string {
  return s.includes('.') && !s.includes('e') ? s.replace(/\.?0+$/, '') : s;
}

/** Shapes are written with at most this many dimensions (a hand-made payload may list a million). */
const MAX_DIMS = 16;

/** A shape as students write it: `3×4`, `scalar` for `[]`. */
export function formatShape(shape: unknown): string {
  if (!Array.isArray(shape)) return '?';
  if (shape.length === 0) return 'scalar';
  const dims = shape
    .slice(0, MAX_DIMS)
    .map((d) => (typeof d === 'number' ? String(d) : '?'))
    .join('×');
  return shape.length > MAX_DIMS ? `${dims}×… (${formatCount(shape.length)} dims)` : dims;
}

/** The number a payload `Num` stands for (NaN for anything unreadable). */
export function toNumber(n: unknown): number {
  if (typeof n === 'number') return n;
  if (n === 'Infinity') return Infinity;
  if (n === '-Infinity') return -Infinity;
  return NaN;
}

/**
 * `s` cut to at most `max` characters (code points), the last one `…` when cut.
 * Reads only the first `2 · max` UTF-16 units: a 100,000-character payload
 * string costs no more than a short one.
 */
export function shorten(s: string, max: number): string {
  if (s.length <= max) return s; // at most max UTF-16 units: at most max code points
  const head = [...s.slice(0, 2 * max)];
  return head.length <= max && s.length <= 2 * max ? s : head.slice(0, max - 1).join('') + '…';
}

export function isSummary(t: unknown): t is TensorSummary {
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

// ---- static style ------------------------------------------------------------

/** Colours of the static figures: print-safe on white, not theme-dependent. */
export const INK = {
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
export const FONT = `ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', 'Liberation Mono', monospace`;
export const SANS = `-apple-system, 'Segoe UI', Helvetica, Arial, 'DejaVu Sans', sans-serif`;

export const CELL = 'padding:2px 8px;border-bottom:1px solid #d0d7de;text-align:right;font-family:' + FONT;

export const CELL_L = 'padding:2px 8px;border-bottom:1px solid #d0d7de;text-align:left;font-family:' + FONT;

/** Pads cells into aligned plain-text columns (numbers right-aligned). */
export function textTable(head: string[], rows: string[][], right: boolean[]): string[] {
  const widths = head.map((h, k) => Math.max([...h].length, ...rows.map((r) => [...(r[k] ?? '')].length)));
  const pad = (s: string, k: number) => {
    const fill = ' '.repeat(Math.max(0, widths[k] - [...s].length));
    return right[k] ? fill + s : s + fill;
  };
  const line = (r: string[]) => r.map(pad).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

export interface Pt {
  x: number;
  y: number;
}

export function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
