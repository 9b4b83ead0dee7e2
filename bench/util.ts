/** Small helpers for the bench scripts. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

export function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function rssMB(): number {
  return process.memoryUsage().rss / 2 ** 20;
}

export function fmt(x: number, digits = 1): string {
  return x.toFixed(digits);
}
