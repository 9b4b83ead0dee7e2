/** W1, the micrograd demo (bench/w1lib.ts), 23 SGD steps: ms per step, the 23rd loss against PyTorch float64, nodes per step. */
import * as gl from '../../engine';
import { loadW1, makeModel, step } from '../w1lib';
import { check, median, now, relErr, type RunResult } from './common';

const W1_REFERENCE_LOSS = 0.24499313667364175;
const W1_MIN_NODES = 65_000;

export function runW1(params: { steps: number }): RunResult {
  const d = loadW1();
  const m = makeModel(d);
  const times: number[] = [];
  const fingerprint: Record<string, number> = {};
  let nodes = 0;
  let last = NaN;
  for (let s = 1; s <= params.steps; s++) {
    const t0 = now();
    const l = step(m, d);
    times.push(now() - t0);
    last = l.item();
    fingerprint[`loss_${s}`] = last;
    if (s === 1) nodes = gl.trace(l).nodes.length;
  }
  const checks = [check('nodes per step ≥ 65,000', nodes >= W1_MIN_NODES, `${nodes} nodes`)];
  if (params.steps >= 23) {
    const diff = Math.abs(fingerprint.loss_23 - W1_REFERENCE_LOSS);
    checks.push(check('loss at step 23 = PyTorch float64 to 1e-9', diff < 1e-9, `${fingerprint.loss_23} (diff ${diff.toExponential(2)})`));
  }
  checks.push(check('loss is finite', Number.isFinite(last) && relErr(last, last) === 0, String(last)));
  // the first steps warm the JIT up: time the rest
  const timed = times.length > 4 ? times.slice(3) : times;
  return { ok: true, metrics: { ms_per_step: median(timed), nodes }, checks, fingerprint };
}
