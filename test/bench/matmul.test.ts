/**
 * The packed matmul kernel: edge tiles, both dtypes, NaN propagation, and its
 * fixed summation order (per element: passes of 256 along k, each summed in
 * increasing k and added to the running total; every operation rounded to the
 * output dtype, so float32 sums in float32), so results are bit-exact against a
 * plain loop written in that order, whatever the blocking or the path
 * (JavaScript or WebAssembly; more in test/engine/wasm/matmul.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { matmul } from '../../engine/kernels';

function rng(seed: number) {
  return () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
}

/** The documented order, written plainly; `fr` rounds each operation (Math.fround for float32). */
function reference(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number, fr: (x: number) => number = (x) => x): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let total = 0;
      for (let k0 = 0; k0 < k; k0 += 256) {
        let s = 0;
        for (let p = k0; p < Math.min(k, k0 + 256); p++) s = fr(s + fr(a[i * k + p] * b[p * n + j]));
        total = fr(total + s);
      }
      c[i * n + j] = total;
    }
  }
  return c;
}

describe('matmul kernel', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [3, 5, 2],
    [4, 4, 4],
    [7, 300, 9],
    [33, 17, 65],
    [130, 260, 131],
    [256, 784, 10],
    [5, 1030, 1027],
  ];
  for (const [m, k, n] of shapes) {
    it(`${m}×${k} · ${k}×${n} equals the plain loop bit for bit (float64, and float32 in float32 arithmetic)`, () => {
      const r = rng(m * 1000 + k * 10 + n);
      const a = new Float64Array(m * k).map(r);
      const b = new Float64Array(k * n).map(r);
      const want = reference(a, b, m, k, n);
      const got = matmul(a, b, m, k, n, new Float64Array(m * n));
      expect(Array.from(got)).toEqual(Array.from(want));
      const a32 = Float32Array.from(a);
      const b32 = Float32Array.from(b);
      const got32 = matmul(a32, b32, m, k, n, new Float32Array(m * n));
      const want32 = Float32Array.from(reference(a32, b32, m, k, n, Math.fround));
      let diff = 0; // counted rather than deep-compared: a failing toEqual on 10^4 entries takes a minute to print
      for (let i = 0; i < m * n; i++) if (!Object.is(got32[i], want32[i])) diff++;
      expect(diff).toBe(0);
    });
  }

  it('propagates NaN and Infinity through zeros (no skipping)', () => {
    const a = new Float64Array([0, 0, 1, 2]);
    const b = new Float64Array([NaN, 1, Infinity, 1]);
    const c = matmul(a, b, 2, 2, 2, new Float64Array(4));
    expect(Number.isNaN(c[0])).toBe(true);
    expect(Number.isNaN(c[2])).toBe(true); // 1·NaN + 2·∞
    expect(c[1]).toBe(0);
  });

  it('overwrites the output', () => {
    const c = matmul(new Float64Array([1]), new Float64Array([2]), 1, 1, 1, new Float64Array([5]));
    expect(c[0]).toBe(2);
  });
});
