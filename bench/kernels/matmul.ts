/**
 * Matmul before/after, in one process, alternating run by run:
 * - `js`: the packed JavaScript kernel as it was (bench/kernels/baseline.ts;
 *   float32 summed in float64 there);
 * - `new`: engine/kernels.ts `matmul` (WebAssembly SIMD above its threshold).
 * Shapes: W2's 256×784·784×256 and 256×256·256×10, float32 and float64; then a
 * sweep of small cubes, JavaScript path vs WebAssembly path, to place WASM_MIN.
 * Run: bash bench/kernels/run.sh matmul [repeats=11]
 */
import { matmul as before } from './baseline';
import { matmul, matmulTN } from '../../engine/kernels';
import { setWasmEnabled, wasmGemm } from '../../engine/wasm/runtime';
import { median, now } from '../util';

const repeats = Number(process.argv[2] ?? 11);
let seed = 1;
const rand = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;

function timeAlternating(fns: Record<string, () => void>, reps: number, inner = 1): Record<string, number[]> {
  const res: Record<string, number[]> = {};
  for (const name in fns) res[name] = [];
  for (let r = 0; r < reps + 1; r++) {
    for (const name in fns) {
      const t0 = now();
      for (let q = 0; q < inner; q++) fns[name]();
      const t = (now() - t0) / inner;
      if (r > 0) res[name].push(t); // first round: warm-up
    }
  }
  return res;
}

const gf = (flop: number, ms: number) => (flop / ms / 1e6).toFixed(1);
for (const [m, k, n] of [
  [256, 784, 256],
  [256, 256, 10],
  [784, 256, 256],
]) {
  for (const T of [Float32Array, Float64Array]) {
    const a = new T(m * k).map(rand),
      b = new T(k * n).map(rand);
    const at = new T(k * m);
    for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) at[p * m + i] = a[i * k + p];
    const o1 = new T(m * n),
      o2 = new T(m * n),
      o3 = new T(m * n);
    const flop = 2 * m * k * n;
    const res = timeAlternating(
      {
        js: () => before(a, b, m, k, n, o1),
        new: () => matmul(a, b, m, k, n, o2),
        newTN: () => matmulTN(at, b, m, k, n, o3),
      },
      repeats,
      flop < 1e7 ? 20 : 1,
    );
    let maxDiff = 0;
    for (let i = 0; i < m * n; i++) maxDiff = Math.max(maxDiff, Math.abs(o1[i] - o2[i]));
    const line = Object.entries(res)
      .map(([name, ts]) => `${name} ${median(ts).toFixed(2)} ms ${gf(flop, median(ts))} GFLOP/s (best ${gf(flop, Math.min(...ts))})`)
      .join(' | ');
    console.log(`${m}×${k}·${k}×${n} ${T === Float32Array ? 'f32' : 'f64'}: ${line}; max |js - new| ${maxDiff.toExponential(1)}`);
  }
}

console.log('threshold sweep (n×n·n×n, µs per product): JS path vs WebAssembly path');
for (const T of [Float32Array, Float64Array]) {
  const cells: string[] = [];
  for (const s of [4, 8, 12, 16, 20, 24, 28, 32, 48, 64]) {
    const a = new T(s * s).map(rand),
      b = new T(s * s).map(rand),
      o = new T(s * s);
    const inner = Math.max(5, Math.floor(2e6 / (s * s * s)));
    const fns = {
      js: () => {
        setWasmEnabled(false);
        matmul(a, b, s, s, s, o);
        setWasmEnabled(true);
      },
      wasm: () => wasmGemm(a, s, 1, b, s, 1, s, s, s, o),
    };
    const res = timeAlternating(fns, 7, inner);
    cells.push(`${s}: ${(median(res.js) * 1000).toFixed(1)}/${(median(res.wasm) * 1000).toFixed(1)}`);
  }
  console.log(`${T === Float32Array ? 'f32' : 'f64'} ${cells.join('  ')}`);
}
