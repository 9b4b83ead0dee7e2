/**
 * What every workload run returns, and the seeded generator shared with the
 * Python peers (bench/py/worker.py has the same one), so every peer starts
 * from identical data and weights.
 */

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface RunResult {
  ok: boolean;
  /** Why the run did not finish (an expected failure such as micrograd's recursion limit, or a crash). */
  error?: string;
  /** Timings (ms), rates and memory: medians are taken over rounds by the suite. */
  metrics: Record<string, number>;
  /** Result checks made inside the run (the suite fails when one fails). */
  checks: Check[];
  /** Values compared across peers by the suite (losses, Jacobian sums). */
  fingerprint?: Record<string, number>;
  /** Facts about the run (backend, flags, versions). */
  info?: Record<string, string | number | boolean>;
}

/** LCG (Numerical Recipes constants): values in [-0.5, 0.5), exactly representable, identical in Python. */
export function lcg(seed: number, n: number, scale = 1): Float64Array {
  const out = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 4294967296 - 0.5) * scale;
  }
  return out;
}

/** Labels 0..classes-1 from the same generator. */
export function lcgLabels(seed: number, n: number, classes: number): number[] {
  return Array.from(lcg(seed, n), (v) => Math.min(classes - 1, Math.floor((v + 0.5) * classes)));
}

export function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** Peak resident memory of this process so far, MB. */
export function peakRssMB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

export function check(name: string, ok: boolean, detail: string): Check {
  return { name, ok, detail };
}

export function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
}
