/** Shared helpers for the engine tests: seeded inputs and tolerance checks with useful failure messages. */
import { expect } from 'vitest';
import * as gl from '../../engine';
import type { Tensor } from '../../engine';

/** Standard normal tensor from a fixed-seed generator (float64). */
export function randn(shape: number[], g: gl.Rng, opts: { requiresGrad?: boolean } = {}): Tensor {
  return gl.randn(shape, { rng: g, ...opts });
}

/** Normal tensor with every entry at least `gap` away from 0 (for ops with a kink at 0). */
export function awayFromZero(shape: number[], g: gl.Rng, gap = 0.2): Tensor {
  const t = gl.randn(shape, { rng: g });
  const a = t.toTypedArray().map((v) => (v >= 0 ? v + gap : v - gap));
  return shape.length === 0 ? gl.scalar(a[0]) : gl.tensor(a, { shape });
}

/** Uniform tensor in [lo, hi). */
export function uniform(shape: number[], g: gl.Rng, lo: number, hi: number): Tensor {
  const t = gl.rand(shape, { rng: g });
  const a = t.toTypedArray().map((v) => lo + (hi - lo) * v);
  return shape.length === 0 ? gl.scalar(a[0]) : gl.tensor(a, { shape });
}

/** Flat values of a tensor, number or plain array. */
export function flat(t: Tensor | number | number[]): number[] {
  if (typeof t === 'number') return [t];
  return Array.isArray(t) ? t : Array.from(t.toTypedArray());
}

/** |a − b| / max(|a|, |b|), 0 when both are 0. */
export function rel(a: number, b: number): number {
  const d = Math.abs(a - b);
  return d === 0 ? 0 : d / Math.max(Math.abs(a), Math.abs(b));
}

/** Every entry of `actual` equals `expected` to relative tolerance `tol` (exact for zeros), with the same shape. */
export function expectClose(actual: Tensor | number | number[], expected: number | number[] | Tensor, tol = 1e-12, what = ''): void {
  const a = flat(actual);
  const e = typeof expected === 'number' ? [expected] : Array.isArray(expected) ? expected : flat(expected);
  if (typeof actual !== 'number' && !Array.isArray(actual) && !Array.isArray(expected) && typeof expected !== 'number') {
    expect(actual.shape, `${what} shape`).toEqual(expected.shape);
  }
  expect(a.length, `${what} size`).toBe(e.length);
  for (let i = 0; i < a.length; i++) {
    const r = rel(a[i], e[i]);
    if (!(r <= tol)) {
      expect.fail(`${what}[${i}]: got ${a[i]}, expected ${e[i]} (relative error ${r.toExponential(2)} > ${tol})`);
    }
  }
}

/** A float64 copy of `x` moved by `s·v`. */
export function shifted(x: Tensor, v: Tensor, s: number): Tensor {
  const a = x.toTypedArray();
  const d = v.toTypedArray();
  const out = Float64Array.from(a, (val, i) => val + s * d[i]);
  return x.ndim === 0 ? gl.scalar(out[0]) : gl.tensor(out, { shape: x.shape as number[] });
}

/** Σ a·b over all entries. */
export function dot(a: Tensor, b: Tensor): number {
  const x = a.toTypedArray();
  const y = b.toTypedArray();
  expect(x.length).toBe(y.length);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

/** Σ |a·b| over all entries (the scale against which a sum of products is compared). */
export function absDot(a: Tensor, b: Tensor): number {
  const x = a.toTypedArray();
  const y = b.toTypedArray();
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.abs(x[i] * y[i]);
  return s;
}
