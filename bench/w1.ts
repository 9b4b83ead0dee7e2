/**
 * W1 benchmark: the micrograd demo network (see w1lib.ts).
 * Run: bash bench/run.sh w1 [steps=23] [repeats=7]   (or npx vite-node bench/w1.ts)
 * Prints the loss of the 23rd step (must be 0.24499313667364175, PyTorch float64),
 * the graph's node count, and ms per step: the median over runs of each run's
 * median step, and the fastest run's median (the machine is shared and noisy).
 */
import * as gl from '../engine';
import { loadW1, makeModel, step } from './w1lib';
import { median, now, fmt } from './util';

export const W1_REFERENCE_LOSS = 0.24499313667364175;

const steps = Number(process.argv[2] ?? 23);
const repeats = Number(process.argv[3] ?? 7);
const d = loadW1();

const perRun: number[] = [];
for (let r = 0; r < repeats; r++) {
  const m = makeModel(d);
  const times: number[] = [];
  let last = NaN;
  let nodes = 0;
  for (let s = 0; s < steps; s++) {
    const t0 = now();
    const l = step(m, d);
    times.push(now() - t0);
    last = l.item();
    if (s === 0 && r === 0) nodes = gl.trace(l).nodes.length;
  }
  if (r === 0) {
    const diff = Math.abs(last - W1_REFERENCE_LOSS);
    console.log(`W1 nodes per step: ${nodes}`);
    console.log(`W1 loss at step ${steps}: ${last} (reference ${W1_REFERENCE_LOSS}, diff ${diff.toExponential(2)})${diff < 1e-9 ? '' : '  MISMATCH'}`);
  }
  perRun.push(median(times.slice(3))); // the first steps warm the JIT up
}
console.log(`W1 ms/step: median ${fmt(median(perRun), 2)}, best run ${fmt(Math.min(...perRun), 2)} (runs: ${perRun.map((x) => fmt(x, 2)).join(' ')})`);
