/**
 * map1 / map2 (engine/kernels.ts): the loops specialised per function and the
 * merged-dimension broadcasting give exactly what the general odometer (mapN)
 * gives, for random broadcast shapes, both dtypes, and many distinct functions.
 */
import { describe, expect, it } from 'vitest';
import { map1, map2, mapN } from '../../engine/kernels';
import { broadcastShapes } from '../../engine/shape';

function rng(seed: number) {
  return () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('map2 broadcasting', () => {
  it('equals mapN on random broadcast shapes (1-4 dimensions, both dtypes, operands in order)', () => {
    const r = rng(7);
    const f = (a: number, b: number) => a - 2 * b; // not symmetric: a swapped operand shows
    for (let t = 0; t < 400; t++) {
      const nd = 1 + Math.floor(r() * 4);
      const full = Array.from({ length: nd }, () => 1 + Math.floor(r() * 4));
      const pick = () => {
        const drop = Math.floor(r() * (nd + 1)); // leading dimensions left out
        return full.slice(drop).map((d) => (r() < 0.4 ? 1 : d));
      };
      const aShape = pick();
      const bShape = pick();
      const outShape = broadcastShapes('test', [aShape, bShape]);
      const T = t % 2 ? Float32Array : Float64Array;
      const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
      const a = new T(size(aShape)).map(() => r() - 0.5);
      const b = new T(size(bShape)).map(() => r() - 0.5);
      const n = size(outShape);
      const want = mapN(f, [a, b], [aShape, bShape], outShape, new T(n));
      const got = map2(f, a, aShape, b, bShape, outShape, new T(n));
      expect([aShape, bShape, Array.from(got)]).toEqual([aShape, bShape, Array.from(want)]);
    }
  });

  it('keeps working past the specialised-loop cache (hundreds of distinct functions)', () => {
    const a = Float64Array.of(1, 2, 3);
    const b = Float64Array.of(10);
    for (let q = 0; q < 300; q++) {
      const f = (x: number, y: number) => x * y + q;
      expect(Array.from(map2(f, a, [3], b, [], [3], new Float64Array(3)))).toEqual([10 + q, 20 + q, 30 + q]);
      const g = (x: number) => x - q;
      expect(Array.from(map1(g, a, new Float64Array(3)))).toEqual([1 - q, 2 - q, 3 - q]);
    }
  });
});
