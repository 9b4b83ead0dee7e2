/**
 * One thread vs two (a helper worker taking half of C's row panels), alternating
 * run by run in one process: ms and GFLOP/s per shape, and whether the two results
 * are the same bits. Also the helper's start-up cost (first split call).
 * Run: bash bench/kernels/run.sh threads [repeats=15]
 */
import { matmul } from '../../engine/kernels';
import { setThreads } from '../../engine/wasm/runtime';
import { helperReady } from '../../engine/wasm/threads';
import { median, now } from '../util';

const repeats = Number(process.argv[2] ?? 15);
let seed = 3;
const rand = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;

async function main() {
  // start-up: the first split call starts the worker and runs on one thread; wait until it is ready
  setThreads(2);
  const t0 = now();
  matmul(new Float32Array(128 * 128), new Float32Array(128 * 128), 128, 128, 128, new Float32Array(128 * 128));
  const t1 = now();
  while (!helperReady()) await new Promise((r) => setTimeout(r, 1));
  console.log(`helper: first call ${(t1 - t0).toFixed(1)} ms, ready after ${(now() - t0).toFixed(1)} ms`);
  for (const [m, k, n] of [
    [256, 784, 256],
    [784, 256, 256],
    [256, 256, 256],
    [128, 128, 128],
    [256, 256, 10],
  ]) {
    for (const T of [Float32Array, Float64Array]) {
      const a = new T(m * k).map(rand),
        b = new T(k * n).map(rand);
      const outs = [new T(m * n), new T(m * n)];
      const ts: number[][] = [[], []];
      for (let r = 0; r <= repeats; r++) {
        for (const th of [1, 2]) {
          setThreads(th);
          const s = now();
          matmul(a, b, m, k, n, outs[th - 1]);
          if (r > 0) ts[th - 1].push(now() - s);
        }
      }
      let same = true;
      for (let i = 0; i < m * n; i++) if (!Object.is(outs[0][i], outs[1][i])) same = false;
      const gf = (ms: number) => ((2 * m * k * n) / ms / 1e6).toFixed(1);
      const [t1m, t2m] = ts.map(median);
      console.log(
        `${m}×${k}·${k}×${n} ${T === Float32Array ? 'f32' : 'f64'}: 1 thread ${t1m.toFixed(2)} ms ${gf(t1m)} GFLOP/s, 2 threads ${t2m.toFixed(2)} ms ${gf(t2m)} GFLOP/s (best ${gf(Math.min(...ts[1]))}); same bits: ${same}`,
      );
    }
  }
}
void main();
