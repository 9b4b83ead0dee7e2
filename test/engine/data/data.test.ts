/** Data: seeded generators with fixed first values, the shipped digits and their stratified split. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import * as gl from '../../../engine';

const flat = (t: gl.Tensor) => Array.from(t.toTypedArray());
const counts = (y: gl.Tensor, k: number) => {
  const c = new Array(k).fill(0);
  for (const v of flat(y)) c[v]++;
  return c;
};

describe('generators', () => {
  it('spiral: K·N points, r = i/(N−1), ordered by class; seeded and deterministic', () => {
    const d = gl.data.spiral({ seed: 0 });
    expect(d.X.shape).toEqual([300, 2]);
    expect(d.numClasses).toBe(3);
    expect(counts(d.y, 3)).toEqual([100, 100, 100]);
    const x = flat(d.X);
    // the first point of each arm is the origin (r = 0); the last is at radius 1
    expect([Math.abs(x[0]), Math.abs(x[1])]).toEqual([0, 0]);
    expect(Math.hypot(x[198], x[199])).toBeCloseTo(1, 14);
    // fixed first values with seed 0 (the generator is xoshiro128** + Box–Muller: same on every machine)
    expect(x.slice(2, 6)).toEqual([0.0010169093520232119, 0.010049691558972137, 0.0016102228824999023, 0.020137745715732586]);
    expect(flat(gl.data.spiral({ seed: 0 }).X)).toEqual(x);
    expect(flat(gl.data.spiral({ seed: 1 }).X)).not.toEqual(x);
    const small = gl.data.spiral({ classes: 5, pointsPerClass: 10, noise: 0 });
    expect(small.X.shape).toEqual([50, 2]);
    expect(small.numClasses).toBe(5);
  });

  it('moons and xor: shapes, balanced labels, deterministic', () => {
    const m = gl.data.moons({ n: 101, noise: 0, seed: 3 });
    expect(m.X.shape).toEqual([101, 2]);
    expect(counts(m.y, 2)).toEqual([50, 51]);
    const mx = flat(m.X);
    expect([mx[0], mx[1]]).toEqual([1, 0]); // θ = 0 on the upper moon
    expect(flat(gl.data.moons({ seed: 3 }).X)).toEqual(flat(gl.data.moons({ seed: 3 }).X));
    const x = gl.data.xor({ n: 400, noise: 0, seed: 2 });
    const xv = flat(x.X);
    flat(x.y).forEach((c, i) => expect(c).toBe(xv[2 * i] * xv[2 * i + 1] < 0 ? 1 : 0));
    expect(flat(gl.data.xor({ seed: 2 }).X).slice(0, 4)).toEqual([0.8822948186382495, -0.8372023711225807, -0.7143988261594232, 0.277302725392558]);
    expect(flat(gl.data.moons({ seed: 0 }).X).slice(0, 4)).toEqual([0.8480147280269065, 0.03022041266975277, 0.9989878374632458, -0.022356130262037213]);
  });
});

describe('digits', () => {
  it('1,797 images of 8×8, 10 classes, pixel values 0..16 (or scaled to [0, 1])', () => {
    const d = gl.data.digits();
    expect(d.all.X.shape).toEqual([1797, 64]);
    expect(d.all.numClasses).toBe(10);
    expect(counts(d.all.y, 10)).toEqual([178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    const px = flat(d.all.X);
    expect(Math.min(...px)).toBe(0);
    expect(Math.max(...px)).toBe(16);
    expect(px.every(Number.isInteger)).toBe(true);
    // the first image is a 0, as in scikit-learn's load_digits
    expect(px.slice(0, 16)).toEqual([0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0]);
    expect(flat(d.all.y).slice(0, 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const s = gl.data.digits({ scale: true });
    expect(flat(s.all.X).slice(0, 4)).toEqual([0, 0, 5 / 16, 13 / 16]);
  });

  it('the split is stratified (each class 80/20 ±1), disjoint, and the same on every load', () => {
    const d = gl.data.digits();
    expect(d.train.X.shape[0] + d.test.X.shape[0]).toBe(1797);
    const all = counts(d.all.y, 10);
    const test = counts(d.test.y, 10);
    all.forEach((n, c) => expect(Math.abs(test[c] - 0.2 * n)).toBeLessThanOrEqual(1));
    expect(new Set(d.testIndices).size).toBe(d.testIndices.length);
    expect(d.testIndices).toEqual(gl.data.digits().testIndices);
    expect(flat(d.test.X)).toEqual(flat(gl.data.digits().test.X));
    // the stored split is what stratifiedSplit(labels, 0.2, seed 0) computes
    expect(gl.data.stratifiedSplit(flat(d.all.y), 0.2, 0)).toEqual(d.testIndices);
    // and row k of test is row testIndices[k] of all
    const k = 17;
    expect(flat(d.test.X).slice(k * 64, k * 64 + 64)).toEqual(flat(d.all.X).slice(d.testIndices[k] * 64, d.testIndices[k] * 64 + 64));
  });

  it('reads the shipped gzipped CSV from the package folder (no network)', () => {
    const file = path.join(gl.data.FILES_DIR, 'digits.csv.gz');
    const lines = gunzipSync(fs.readFileSync(file)).toString().trim().split('\n');
    expect(lines).toHaveLength(1797);
    for (const f of ['NOTICE', 'SCIKIT-LEARN-COPYING', 'digits.rst', 'digits-split.json']) {
      expect(fs.existsSync(path.join(gl.data.FILES_DIR, f))).toBe(true);
    }
  });
});
