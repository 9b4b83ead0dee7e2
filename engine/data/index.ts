/**
 * Data sets for the homework: seeded 2-D generators (spiral, moons, XOR) and
 * the UCI handwritten digits shipped with the package. Nothing is downloaded.
 *
 * ```ts
 * const {X, y, numClasses} = gl.data.spiral({seed: 0});   // X [300, 2], y [300], 3 classes
 * const {train, test} = gl.data.digits({scale: true});     // 1438 + 359 images of 8×8
 * ```
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fail } from '../errors';
import { Tensor } from '../tensor';
// the data sets' tensors have their op methods even when this module is imported alone
import '../tensor-methods';
import { Rng } from '../rng';
import type { Dataset } from './dataset';

export type { Dataset } from './dataset';

function gen(seed: number | undefined): Rng {
  if (seed !== undefined && !Number.isFinite(seed)) fail(`data: seed must be a number, got ${String(seed)}`);
  return new Rng(seed ?? 0);
}

function posInt(what: string, n: number): number {
  if (!Number.isInteger(n) || n <= 0) fail(`${what} must be a positive integer, got ${String(n)}`);
  return n;
}

function nonNeg(what: string, x: number): number {
  if (typeof x !== 'number' || !(x >= 0)) fail(`${what} must be a non-negative number, got ${String(x)}`);
  return x;
}

function dataset(X: Float64Array, y: Float64Array, d: number, numClasses: number, name: string): Dataset {
  const n = y.length;
  return { X: new Tensor([n, d], 'float64', X, 0), y: new Tensor([n], 'float64', y, 0), numClasses, name };
}

export interface SpiralOptions {
  /** Number of arms (classes), default 3. */
  classes?: number;
  /** Points per arm, default 100. */
  pointsPerClass?: number;
  /** Standard deviation of the noise on the angle, default 0.2. */
  noise?: number;
  /** Seed of the noise (default 0). */
  seed?: number;
}

/**
 * CS231n's spiral: K arms of N points; point i of arm j has radius r = i/(N−1)
 * and angle t = 4j + 4·i/(N−1) + noise·𝒩(0, 1), at (r·sin t, r·cos t).
 * Not linearly separable: a linear classifier gets about 50% on 3 arms.
 * Rows are ordered by class.
 */
export function spiral(opts: SpiralOptions = {}): Dataset {
  const K = posInt('spiral: classes', opts.classes ?? 3);
  const N = posInt('spiral: pointsPerClass', opts.pointsPerClass ?? 100);
  const noise = nonNeg('spiral: noise', opts.noise ?? 0.2);
  const g = gen(opts.seed);
  const X = new Float64Array(K * N * 2);
  const y = new Float64Array(K * N);
  for (let j = 0; j < K; j++) {
    for (let i = 0; i < N; i++) {
      const f = N > 1 ? i / (N - 1) : 0; // np.linspace(0, 1, N)
      const r = f;
      const t = j * 4 + 4 * f + g.normal() * noise;
      const k = j * N + i;
      X[2 * k] = r * Math.sin(t);
      X[2 * k + 1] = r * Math.cos(t);
      y[k] = j;
    }
  }
  return dataset(X, y, 2, K, 'spiral');
}

export interface MoonsOptions {
  /** Number of points (default 200): ⌊n/2⌋ on the upper moon (class 0), the rest on the lower (class 1). */
  n?: number;
  /** Standard deviation of the Gaussian noise added to each coordinate (default 0.1). */
  noise?: number;
  /** Seed of the noise (default 0). */
  seed?: number;
}

/**
 * Two interleaving half circles, as scikit-learn's make_moons: the upper
 * (cos θ, sin θ) and the lower (1 − cos θ, 0.5 − sin θ) for θ in [0, π], plus
 * Gaussian noise. Rows are ordered by class.
 */
export function moons(opts: MoonsOptions = {}): Dataset {
  const n = posInt('moons: n', opts.n ?? 200);
  const noise = nonNeg('moons: noise', opts.noise ?? 0.1);
  const g = gen(opts.seed);
  const nOut = Math.floor(n / 2);
  const nIn = n - nOut;
  const X = new Float64Array(n * 2);
  const y = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const outer = k < nOut;
    const m = outer ? nOut : nIn;
    const i = outer ? k : k - nOut;
    const th = m > 1 ? (Math.PI * i) / (m - 1) : 0;
    X[2 * k] = (outer ? Math.cos(th) : 1 - Math.cos(th)) + noise * g.normal();
    X[2 * k + 1] = (outer ? Math.sin(th) : 0.5 - Math.sin(th)) + noise * g.normal();
    y[k] = outer ? 0 : 1;
  }
  return dataset(X, y, 2, 2, 'moons');
}

export interface XorOptions {
  /** Number of points (default 200). */
  n?: number;
  /** Standard deviation of the Gaussian noise added after labelling (default 0.1). */
  noise?: number;
  /** Seed (default 0). */
  seed?: number;
}

/**
 * XOR: points uniform in [−1, 1]², class 1 where the two coordinates have
 * different signs (x₁·x₂ < 0), class 0 where they agree; Gaussian noise is
 * added after labelling, so a few points cross the axes.
 */
export function xor(opts: XorOptions = {}): Dataset {
  const n = posInt('xor: n', opts.n ?? 200);
  const noise = nonNeg('xor: noise', opts.noise ?? 0.1);
  const g = gen(opts.seed);
  const X = new Float64Array(n * 2);
  const y = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const a = 2 * g.uniform() - 1;
    const b = 2 * g.uniform() - 1;
    y[k] = a * b < 0 ? 1 : 0;
    X[2 * k] = a + noise * g.normal();
    X[2 * k + 1] = b + noise * g.normal();
  }
  return dataset(X, y, 2, 2, 'xor');
}

/**
 * A stratified split: from each class, a fraction `testFraction` of its rows
 * (rounded) goes to the test set, chosen with a seeded shuffle. Returns the
 * sorted test row indices. This is how `digits-split.json` was made.
 */
export function stratifiedSplit(labels: ArrayLike<number>, testFraction = 0.2, seed = 0): number[] {
  if (!(testFraction > 0 && testFraction < 1)) fail(`stratifiedSplit: testFraction must be in (0, 1), got ${testFraction}`);
  const g = new Rng(seed);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c)!.push(i);
  }
  const test: number[] = [];
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const rows = byClass.get(c)!;
    const p = g.permutation(rows.length);
    const k = Math.round(rows.length * testFraction);
    for (let i = 0; i < k; i++) test.push(rows[p[i]]);
  }
  return test.sort((a, b) => a - b);
}

/** Folder of the shipped data files (next to this module in the source and in dist/). */
export const FILES_DIR = path.join(__dirname, 'files');

export interface DigitsOptions {
  /** Divide the pixels by 16, into [0, 1] (default false: the file's integers 0..16). */
  scale?: boolean;
}

/** The digits: the fixed train/test split and the whole set. */
export interface Digits {
  /** 1,438 images (80% of each class, rounded). */
  train: Dataset;
  /** 359 images (20% of each class, rounded), never used for training. */
  test: Dataset;
  /** All 1,797 images in the file's order. */
  all: Dataset;
  /** The test rows' indices into `all` (from `digits-split.json`). */
  testIndices: number[];
}

let digitsCache: { X: Float64Array; y: Float64Array; test: number[] } | null = null;

function readDigits(): { X: Float64Array; y: Float64Array; test: number[] } {
  if (digitsCache) return digitsCache;
  const csvPath = path.join(FILES_DIR, 'digits.csv.gz');
  const splitPath = path.join(FILES_DIR, 'digits-split.json');
  let text: string;
  let split: { test?: unknown };
  try {
    text = gunzipSync(fs.readFileSync(csvPath)).toString('utf8');
    split = JSON.parse(fs.readFileSync(splitPath, 'utf8')) as typeof split;
  } catch (e) {
    fail(`digits: cannot read the shipped data in ${FILES_DIR}: ${(e as Error).message}`);
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const n = lines.length;
  const X = new Float64Array(n * 64);
  const y = new Float64Array(n);
  lines.forEach((line, i) => {
    const v = line.split(',');
    if (v.length !== 65) fail(`digits: line ${i + 1} of ${csvPath} has ${v.length} values, expected 65 (64 pixels and the label)`);
    for (let j = 0; j < 64; j++) X[i * 64 + j] = Number(v[j]);
    y[i] = Number(v[64]);
  });
  const test = split.test;
  if (!Array.isArray(test) || test.some((k) => !Number.isInteger(k) || k < 0 || k >= n)) fail(`digits: ${splitPath} has no valid 'test' index list`);
  digitsCache = { X, y, test: test as number[] };
  return digitsCache;
}

/**
 * The UCI optical handwritten digits (the copy in scikit-learn): 1,797 images
 * of 8×8 pixels, values 0..16, 10 classes, read from the gzipped CSV shipped
 * in the package, with a fixed stratified 80/20 train/test split (seed 0)
 * stored alongside. Rows of X are images flattened row by row ([N, 64]).
 * Data: E. Alpaydin, C. Kaynak, UCI Machine Learning Repository, CC BY 4.0;
 * file from scikit-learn, BSD-3-Clause (see `files/NOTICE`).
 */
export function digits(opts: DigitsOptions = {}): Digits {
  const { X, y, test } = readDigits();
  const s = opts.scale ? 1 / 16 : 1;
  const n = y.length;
  const isTest = new Uint8Array(n);
  for (const k of test) isTest[k] = 1;
  const pick = (rows: number[], name: string): Dataset => {
    const Xs = new Float64Array(rows.length * 64);
    const ys = new Float64Array(rows.length);
    rows.forEach((r, i) => {
      for (let j = 0; j < 64; j++) Xs[i * 64 + j] = X[r * 64 + j] * s;
      ys[i] = y[r];
    });
    return dataset(Xs, ys, 64, 10, name);
  };
  const all = Array.from({ length: n }, (_, i) => i);
  return {
    train: pick(
      all.filter((i) => !isTest[i]),
      'digits/train',
    ),
    test: pick(test, 'digits/test'),
    all: pick(all, 'digits'),
    testIndices: test.slice(),
  };
}
