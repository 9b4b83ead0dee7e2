/**
 * The WebAssembly SIMD matmul (engine/wasm/) and the JavaScript kernels it sits
 * beside: both dtypes, edge sizes, transposed entry points, against a float64
 * reference with tolerances, and bit for bit against the documented summation
 * order (passes of 256 along k, each from +0 in increasing k, every operation
 * rounded to the output dtype), so results do not depend on the path taken.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as gl from '../../../engine';
import { matmul, matmulNT, matmulTN } from '../../../engine/kernels';
import { gemmModuleBytes } from '../../../engine/wasm/gemm';
import { setThreads, setWasmEnabled, wasmAvailable, wasmMemoryBytes } from '../../../engine/wasm/runtime';
import { helperReady } from '../../../engine/wasm/threads';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';

function rng(seed: number) {
  return () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
}

/** The documented order, written plainly; `fr` rounds each operation (Math.fround for float32). */
function ordered(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number, fr: (x: number) => number) {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let total = 0;
      for (let k0 = 0; k0 < k; k0 += 256) {
        let s = 0;
        for (let p = k0; p < Math.min(k, k0 + 256); p++) s = fr(s + fr(fr(a[i * k + p]) * fr(b[p * n + j])));
        total = fr(total + s);
      }
      c[i * n + j] = total;
    }
  }
  return c;
}
const id = (x: number) => x;

/** Exact float64 naive product and Σ|a||b| per entry (the scale of rounding errors). */
function naive(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number) {
  const c = new Float64Array(m * n);
  const mag = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0,
        t = 0;
      for (let p = 0; p < k; p++) {
        s += a[i * k + p] * b[p * n + j];
        t += Math.abs(a[i * k + p] * b[p * n + j]);
      }
      c[i * n + j] = s;
      mag[i * n + j] = t;
    }
  }
  return { c, mag };
}

function transposed(x: ArrayLike<number>, r: number, c: number, T: typeof Float32Array | typeof Float64Array) {
  const out = new T(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = x[i * c + j];
  return out;
}

const edge = [1, 3, 5, 17, 257];
const shapes: [number, number, number][] = [
  ...edge.flatMap((m) => edge.map((k): [number, number, number] => [m, k, edge[(edge.indexOf(m) + edge.indexOf(k)) % 5]])),
  [256, 784, 10],
  [64, 513, 33],
  [33, 600, 9],
  [100, 1, 100],
  [8, 256, 8],
  [4, 257, 8],
];

afterEach(() => setWasmEnabled(true));

describe('WebAssembly matmul', () => {
  it('assembles a valid module and runs here (Node ≥ 20 has SIMD)', () => {
    expect(WebAssembly.validate(gemmModuleBytes())).toBe(true);
    expect(wasmAvailable()).toBe(true);
  });

  for (const [m, k, n] of shapes) {
    it(`${m}×${k} · ${k}×${n}: documented order bit for bit on both paths, close to float64, both dtypes`, () => {
      const r = rng(m * 7919 + k * 31 + n);
      const a = new Float64Array(m * k).map(r);
      const b = new Float64Array(k * n).map(r);
      const a32 = Float32Array.from(a);
      const b32 = Float32Array.from(b);
      const want64 = ordered(a, b, m, k, n, id);
      const want32 = Float32Array.from(ordered(a32, b32, m, k, n, Math.fround));
      const { c: exact, mag } = naive(a32, b32, m, k, n);
      for (const wasm of [true, false]) {
        setWasmEnabled(wasm);
        const got64 = matmul(a, b, m, k, n, new Float64Array(m * n));
        expect(Array.from(got64)).toEqual(Array.from(want64));
        const got32 = matmul(a32, b32, m, k, n, new Float32Array(m * n));
        expect(Array.from(got32)).toEqual(Array.from(want32));
        // accuracy against the exact product of the float32 inputs: a few ulps of Σ|a||b| per term
        let worst = 0;
        for (let i = 0; i < m * n; i++) worst = Math.max(worst, Math.abs(got32[i] - exact[i]) / (2 ** -23 * (k + 2) * mag[i] + 1e-30));
        expect(worst).toBeLessThanOrEqual(1);
      }
    });
  }

  it('Aᵀ·B and A·Bᵀ entry points equal matmul of the materialised transpose, bit for bit', () => {
    for (const [m, k, n] of [
      [257, 17, 5],
      [64, 300, 40],
      [5, 3, 1],
      [130, 257, 66],
    ] as const) {
      for (const T of [Float32Array, Float64Array]) {
        const r = rng(m + k + n);
        const a = new T(m * k).map(r);
        const b = new T(k * n).map(r);
        for (const wasm of [true, false]) {
          setWasmEnabled(wasm);
          const want = Array.from(matmul(a, b, m, k, n, new T(m * n)));
          const at = transposed(a, m, k, T); // k×m
          const bt = transposed(b, k, n, T); // n×k
          expect(Array.from(matmulTN(at, b, m, k, n, new T(m * n)))).toEqual(want);
          expect(Array.from(matmulNT(a, bt, m, k, n, new T(m * n)))).toEqual(want);
        }
      }
    }
  });

  it('is deterministic across calls, in between other sizes (memory reused and grown)', () => {
    const r = rng(5);
    const [m, k, n] = [96, 520, 72];
    const a = new Float32Array(m * k).map(r);
    const b = new Float32Array(k * n).map(r);
    const first = Array.from(matmul(a, b, m, k, n, new Float32Array(m * n)));
    const big = 700;
    matmul(new Float32Array(big * big).fill(1), new Float32Array(big * big).fill(1), big, big, big, new Float32Array(big * big));
    matmul(new Float64Array(30 * 30).fill(2), new Float64Array(30 * 30).fill(3), 30, 30, 30, new Float64Array(900));
    expect(Array.from(matmul(a, b, m, k, n, new Float32Array(m * n)))).toEqual(first);
  });

  it('a product larger than the memory bound goes through in blocks of rows: same bits, memory bounded', () => {
    // 6400×100 · 100×3 is notebook 6's decision regions (80×80 points through the last layer): 10 MB unblocked
    const held = wasmMemoryBytes(); // what earlier products grew the memory to
    const cases = (
      [
        [6400, 100, 3],
        [1283, 300, 17],
        [403, 1000, 9],
      ] as const
    ).flatMap(([m, k, n]) =>
      [Float32Array, Float64Array].map((T) => {
        const r = rng(m + 3 * k + n);
        const a = new T(m * k).map(r);
        const b = new T(k * n).map(r);
        setWasmEnabled(false);
        const want = Array.from(matmul(a, b, m, k, n, new T(m * n)));
        setWasmEnabled(true);
        return { m, k, n, T, a, b, want };
      }),
    );
    for (const t of [1, 2]) {
      setThreads(t);
      for (const { m, k, n, T, a, b, want } of cases) expect(Array.from(matmul(a, b, m, k, n, new T(m * n)))).toEqual(want);
    }
    // each product above needs B and 2 MB for A's part, not two copies of A
    expect(wasmMemoryBytes()).toBeLessThanOrEqual(Math.max(held, 4 << 20));
    // a stored Aᵀ is not blocked: same bits too
    for (const { m, k, n, T, a, b, want } of cases) expect(Array.from(matmulTN(transposed(a, m, k, T), b, m, k, n, new T(m * n)))).toEqual(want);
  });

  it('float32 output of float64 operands rounds the operands first', () => {
    const r = rng(11);
    const [m, k, n] = [40, 50, 60];
    const a = new Float64Array(m * k).map(r);
    const b = new Float64Array(k * n).map(r);
    const want = Array.from(matmul(Float32Array.from(a), Float32Array.from(b), m, k, n, new Float32Array(m * n)));
    for (const wasm of [true, false]) {
      setWasmEnabled(wasm);
      expect(Array.from(matmul(a, b, m, k, n, new Float32Array(m * n)))).toEqual(want);
    }
  });

  it('propagates NaN and Infinity on the SIMD path, and leaves other entries alone', () => {
    const [m, k, n] = [32, 40, 36];
    for (const T of [Float32Array, Float64Array]) {
      const a = new T(m * k).fill(0);
      const b = new T(k * n).fill(1);
      a[5 * k + 3] = Infinity; // row 5 meets B[3][*]
      b[7 * n + 2] = NaN; // column 2 meets A[*][7] = 0: 0·NaN is NaN
      const c = matmul(a, b, m, k, n, new T(m * n));
      expect(c[5 * n + 0]).toBe(Infinity);
      expect(Number.isNaN(c[0 * n + 2])).toBe(true);
      expect(c[1 * n + 1]).toBe(0);
      expect(Object.is(c[1 * n + 1], 0)).toBe(true); // +0, never -0
    }
  });

  it('writes no further than m×n of the output and overwrites it', () => {
    const [m, k, n] = [33, 33, 33];
    const out = new Float32Array(m * n + 3).fill(7);
    matmul(new Float32Array(m * k).fill(1), new Float32Array(k * n).fill(1), m, k, n, out);
    expect(out[0]).toBe(33);
    expect(out[m * n - 1]).toBe(33);
    expect(Array.from(out.subarray(m * n))).toEqual([7, 7, 7]);
  });

  it('second derivatives through matmul (its rules multiply by transposes in place) match differences of the gradient', () => {
    // f(x) = Σ tanh(X·W)·(Xᵀ·V) with X = reshape(x, [3, 4]): the Hessian takes the vjp of the vjp
    // (all four transpose combinations occur); forward mode over the first derivative is checked too
    const r = rng(3);
    const W = gl.tensor(Float64Array.from({ length: 20 }, r), { shape: [4, 5] });
    const V = gl.tensor(Float64Array.from({ length: 12 }, r), { shape: [3, 4] });
    const f = (x: gl.Tensor) => {
      const X = gl.reshape(x, [3, 4]);
      return gl.sum(gl.mul(gl.tanh(gl.matmul(X, W)), gl.matmul(X, gl.matmul(gl.transpose(gl.matmul(gl.transpose(X), V)), W))));
    };
    const x0 = Float64Array.from({ length: 12 }, r);
    const g = gl.grad(f);
    const Hrev = gl.jacrev(g)(gl.tensor(x0)).toTypedArray();
    const Jfwd = gl.jacfwd(f)(gl.tensor(x0)).toTypedArray();
    const grad0 = g(gl.tensor(x0)).toTypedArray();
    for (let i = 0; i < 12; i++) expect(Math.abs(Jfwd[i] - grad0[i])).toBeLessThan(1e-12);
    const h = 1e-6;
    for (let j = 0; j < 12; j++) {
      const up = Float64Array.from(x0);
      const dn = Float64Array.from(x0);
      up[j] += h;
      dn[j] -= h;
      const gu = g(gl.tensor(up)).toTypedArray();
      const gd = g(gl.tensor(dn)).toTypedArray();
      for (let i = 0; i < 12; i++) {
        const fd = (gu[i] - gd[i]) / (2 * h);
        expect(Math.abs(Hrev[i * 12 + j] - fd)).toBeLessThan(1e-6);
      }
    }
  });

  it('two threads (a helper worker takes half the row panels) give the same bits as one', async () => {
    setThreads(2);
    const deadline = Date.now() + 20_000;
    const r = rng(21);
    const shapes2: [number, number, number][] = [
      [256, 784, 256],
      [257, 300, 33],
      [130, 1030, 17],
    ];
    const data = shapes2.map(([m, k, n]) => [Float64Array.from({ length: m * k }, r), Float64Array.from({ length: k * n }, r)]);
    // the first split call starts the worker; wait until it takes work
    matmul(data[0][0], data[0][1], 256, 784, 256, new Float64Array(256 * 256));
    while (!helperReady() && Date.now() < deadline) await new Promise((res) => setTimeout(res, 5));
    expect(helperReady()).toBe(true);
    for (let q = 0; q < shapes2.length; q++) {
      const [m, k, n] = shapes2[q];
      for (const T of [Float32Array, Float64Array]) {
        const a = T.from(data[q][0]);
        const b = T.from(data[q][1]);
        setThreads(2);
        const two = matmul(a, b, m, k, n, new T(m * n));
        setThreads(1);
        const one = matmul(a, b, m, k, n, new T(m * n));
        let diff = 0;
        for (let i = 0; i < m * n; i++) if (!Object.is(one[i], two[i])) diff++;
        expect(diff).toBe(0);
      }
    }
    setThreads(1);
  });

  it("a process that used the helper thread exits by itself (the worker is unref'd)", () => {
    // compile engine/wasm/*.ts to CommonJS in a temp folder and run a script that starts the helper
    const dir = mkdtempSync(join(tmpdir(), 'gl-wasm-'));
    const src = join(__dirname, '../../../engine/wasm');
    for (const f of readdirSync(src).filter((x) => x.endsWith('.ts'))) {
      const out = ts.transpileModule(readFileSync(join(src, f), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
      });
      writeFileSync(join(dir, f.replace(/\.ts$/, '.js')), out.outputText);
    }
    writeFileSync(
      join(dir, 'main.js'),
      `
      const { wasmGemm, setThreads } = require('./runtime.js');
      const { helperReady } = require('./threads.js');
      setThreads(2);
      const n = 200, a = new Float32Array(n * n).fill(1), o = new Float32Array(n * n);
      wasmGemm(a, n, 1, a, n, 1, n, n, n, o);
      const t0 = Date.now();
      (function poll() {
        if (helperReady()) { wasmGemm(a, n, 1, a, n, 1, n, n, n, o); console.log('ran', o[0]); }
        else if (Date.now() - t0 < 10000) setTimeout(poll, 5);
      })();
    `,
    );
    const t0 = Date.now();
    const stdout = execFileSync(process.execPath, [join(dir, 'main.js')], { timeout: 20_000, encoding: 'utf8' });
    expect(stdout.trim()).toBe('ran 200');
    expect(Date.now() - t0).toBeLessThan(15_000);
  });
});
