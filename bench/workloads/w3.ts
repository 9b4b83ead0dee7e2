/** W3, the deep chain (bench/w3lib.ts): build ms, backward ms, peak RSS of this (fresh) process. */
import { buildChain } from '../w3lib';
import { check, now, peakRssMB, relErr, type RunResult } from './common';

export function runW3(params: { n: number }): RunResult {
  const n = params.n;
  const t0 = now();
  const { x, y } = buildChain(n);
  const t1 = now();
  y.backward();
  const t2 = now();
  const g = x.grad!.item();
  const want = Math.pow(1.0001, n);
  const err = relErr(g, want);
  return {
    ok: true,
    metrics: { build_ms: t1 - t0, backward_ms: t2 - t1, peak_rss_mb: peakRssMB() },
    checks: [check(`dy/dx = 1.0001^${n} to 1e-9`, err < 1e-9, `${g} (rel err ${err.toExponential(2)})`)],
    fingerprint: { dydx: g },
  };
}
