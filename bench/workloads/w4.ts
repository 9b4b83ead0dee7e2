/**
 * W4, Jacobians of f(x) = tanh(W₂ tanh(W₁ x)) (float64), hidden H, n → m:
 * jacfwd ms vs jacrev ms (alternated, after one warm-up call of each), and
 * both must agree. The fingerprint (sum and sum of squares of J) is compared
 * with PyTorch's, which starts from the same lcg weights (seeds 21–23).
 */
import * as gl from '../../engine';
import { check, lcg, median, now, type RunResult } from './common';

export interface W4Params {
  n: number;
  m: number;
  hidden: number;
  repeats: number;
}

function w4Data(p: W4Params) {
  return {
    W1: lcg(21, p.hidden * p.n, 2 / Math.sqrt(p.n)),
    W2: lcg(22, p.m * p.hidden, 2 / Math.sqrt(p.hidden)),
    x: lcg(23, p.n, 2),
  };
}

export function runW4Gradlab(p: W4Params): RunResult {
  const d = w4Data(p);
  const W1 = gl.tensor(d.W1, { shape: [p.hidden, p.n] });
  const W2 = gl.tensor(d.W2, { shape: [p.m, p.hidden] });
  const x = gl.tensor(d.x);
  const f = (v: gl.Tensor) => gl.tanh(gl.matmul(W2, gl.tanh(gl.matmul(W1, v))));
  const fwd = gl.jacfwd(f);
  const rev = gl.jacrev(f);
  let Jf = fwd(x);
  let Jr = rev(x);
  const tf: number[] = [];
  const tr: number[] = [];
  for (let r = 0; r < p.repeats; r++) {
    let t0 = now();
    Jf = fwd(x);
    tf.push(now() - t0);
    t0 = now();
    Jr = rev(x);
    tr.push(now() - t0);
  }
  const a = Jf.toTypedArray();
  const b = Jr.toTypedArray();
  let maxDiff = 0;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < a.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    sum += b[i];
    sumSq += b[i] * b[i];
  }
  const shapeOk = Jf.shape.join('x') === `${p.m}x${p.n}` && Jr.shape.join('x') === `${p.m}x${p.n}`;
  const fwdMs = median(tf);
  const revMs = median(tr);
  return {
    ok: true,
    metrics: { jacfwd_ms: fwdMs, jacrev_ms: revMs, fwd_over_rev: fwdMs / revMs },
    checks: [
      check(`J has shape [${p.m}, ${p.n}]`, shapeOk, `${Jf.shape.join(',')} / ${Jr.shape.join(',')}`),
      check('jacfwd = jacrev to 1e-10', maxDiff < 1e-10 && Number.isFinite(sum), `max |diff| ${maxDiff.toExponential(2)}`),
    ],
    fingerprint: { sum, sum_sq: sumSq },
  };
}
