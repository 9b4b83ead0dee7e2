/**
 * The matmul kernel on 256×784 · 784×256 (W2's first layer), float32 and float64:
 * ms and GFLOP/s, against the plain i-k-j loop the engine used before.
 * Run: bash bench/run.sh matmul [repeats=9]
 */
import { matmul } from '../engine/kernels';
import { median, now, fmt } from './util';

/** The previous kernel (i-k-j, blocked over k), for comparison. */
function ikj(a: Float64Array | Float32Array, b: Float64Array | Float32Array, m: number, k: number, n: number, out: Float64Array | Float32Array) {
  out.fill(0);
  for (let k0 = 0; k0 < k; k0 += 256) {
    const k1 = Math.min(k, k0 + 256);
    for (let i = 0; i < m; i++) {
      for (let p = k0; p < k1; p++) {
        const av = a[i * k + p];
        for (let j = 0; j < n; j++) out[i * n + j] += av * b[p * n + j];
      }
    }
  }
  return out;
}

const repeats = Number(process.argv[2] ?? 9);
const [m, k, n] = [256, 784, 256];
const flop = 2 * m * k * n;
let seed = 1;
const rand = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
for (const T of [Float32Array, Float64Array]) {
  const a = new T(m * k).map(rand);
  const b = new T(k * n).map(rand);
  const res: Record<string, number[]> = { ikj: [], packed: [] };
  const outs = { ikj: new T(m * n), packed: new T(m * n) };
  for (let r = 0; r < repeats; r++) {
    for (const name of ['ikj', 'packed'] as const) {
      const t0 = now();
      (name === 'ikj' ? ikj : matmul)(a, b, m, k, n, outs[name]);
      res[name].push(now() - t0);
    }
  }
  let maxDiff = 0;
  for (let i = 0; i < m * n; i++) maxDiff = Math.max(maxDiff, Math.abs(outs.ikj[i] - outs.packed[i]));
  for (const name of ['ikj', 'packed'] as const) {
    const ms = median(res[name]);
    const best = Math.min(...res[name]);
    console.log(
      `${T === Float32Array ? 'float32' : 'float64'} ${name.padEnd(6)} ${fmt(ms, 1)} ms (best ${fmt(best, 1)}), ${fmt(flop / ms / 1e6, 2)} GFLOP/s (best ${fmt(flop / best / 1e6, 2)})`,
    );
  }
  console.log(`  max |ikj - packed| = ${maxDiff.toExponential(2)}`);
}
