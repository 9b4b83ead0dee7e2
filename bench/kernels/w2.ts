/**
 * A W2-like step through the public API, as a notebook would write it: MLP
 * 784→256→10 with ReLU, softmax cross-entropy, batch 256, float32, SGD lr 0.1.
 * One step = forward, backward, SGD update. Prints ms per step (median, best)
 * and GFLOP/s counting 6·B·(784·256 + 256·10) FLOPs per step (issue 6's count),
 * plus the loss after the timed steps (the same on every path and machine).
 * Run: bash bench/kernels/run.sh w2 [steps=20] [threads=1]   (threads=2: the matmul helper thread)
 */
import * as gl from '../../engine';
import { setThreads } from '../../engine/wasm/runtime';
import { helperReady } from '../../engine/wasm/threads';
import { median, now } from '../util';

const steps = Number(process.argv[2] ?? 20);
const [B, D, H, C] = [256, 784, 256, 10];
let seed = 12345;
const rand = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
const f32 = (n: number, scale: number) => Float32Array.from({ length: n }, () => rand() * scale);
const opts = (shape: number[]) => ({ shape, dtype: 'float32' as const, requiresGrad: true });
const W1 = gl.tensor(f32(D * H, 2 / Math.sqrt(D)), opts([D, H]));
const b1 = gl.tensor(f32(H, 0), opts([H]));
const W2 = gl.tensor(f32(H * C, 2 / Math.sqrt(H)), opts([H, C]));
const b2 = gl.tensor(f32(C, 0), opts([C]));
const params = [W1, b1, W2, b2];
const x = gl.tensor(f32(B * D, 2), { shape: [B, D], dtype: 'float32' });
const labels = Array.from({ length: B }, (_, i) => (i * 7) % C);
const lr = 0.1;

function step(): number {
  for (const p of params) p.grad = null;
  const h = gl.relu(gl.add(gl.matmul(x, W1), b1));
  const logits = gl.add(gl.matmul(h, W2), b2);
  const loss = gl.neg(gl.mean(gl.pick(gl.logSoftmax(logits), labels)));
  loss.backward();
  gl.noGrad(() => {
    for (const p of params) p.assign(gl.sub(p, gl.mul(p.grad!, lr)));
  });
  return loss.item();
}

const threads = Number(process.argv[3] ?? 1);
setThreads(threads);

async function run() {
  const ts: number[] = [];
  let loss = 0;
  for (let s = 0; s < steps + 3; s++) {
    if (s === 3 && threads > 1) while (!helperReady()) await new Promise((r) => setTimeout(r, 1));
    const t0 = now();
    loss = step();
    if (s >= 3) ts.push(now() - t0); // 3 warm-up steps
  }
  const flop = 6 * B * (D * H + H * C);
  const med = median(ts);
  const best = Math.min(...ts);
  console.log(
    `W2-like step (${threads} thread${threads > 1 ? 's' : ''}): ${med.toFixed(1)} ms median (best ${best.toFixed(1)}), ${(flop / med / 1e6).toFixed(1)} GFLOP/s (best ${(flop / best / 1e6).toFixed(1)}); loss after ${steps + 3} steps ${loss}`,
  );
  if (process.env.W2_CHECKSUM) {
    const w = W1.toTypedArray();
    let s = 0;
    for (let i = 0; i < w.length; i++) s += w[i] * ((i % 7) - 3);
    console.log('W1 checksum', s);
  }
}
void run();
