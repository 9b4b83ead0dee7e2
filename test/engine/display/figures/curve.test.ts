import { describe, expect, it } from 'vitest';
import type { LossCurvePayload } from '../../../../engine/display/contract';
import {
  CURVE_MAX_POINTS,
  clockTime,
  curveAxis,
  downsampleMinMax,
  emaSmooth,
  formatDuration,
  logScaleProblem,
  logTicks,
  lossCurveSeries,
  lossCurveStaticStatus,
  lossCurveStatus,
  lossCurveSvg,
  lossCurveText,
} from '../../../../engine/display/figures/curve';
import { LossCurve } from '../../../../engine/display/show';
import * as F from '../../../fixtures/payloads';

const curve = (series: LossCurvePayload['series'], extra: Partial<LossCurvePayload> = {}): LossCurvePayload => ({
  version: 1,
  kind: 'loss-curve',
  xLabel: 'step',
  yLabel: 'loss',
  y2Label: 'accuracy',
  series,
  done: true,
  ...extra,
});

/** The numbers of every `<polyline points>` of an SVG, as [x, y] pairs per line, with its attributes. */
function polylines(svg: string): { attrs: string; pts: [number, number][] }[] {
  return [...svg.matchAll(/<polyline([^>]*) points="([^"]*)"([^>]*)\/>/g)].map((m) => ({
    attrs: m[1] + m[3],
    pts: m[2].split(' ').map((q) => q.split(',').map(Number) as [number, number]),
  }));
}

describe('emaSmooth', () => {
  it('is the debiased exponential moving average', () => {
    // s1 = 0.5 → /0.5 = 1; s2 = 0.25 + 1 = 1.25 → /0.75; s3 = 0.625 + 1.5 = 2.125 → /0.875
    const s = emaSmooth([1, 2, 3], 0.5);
    expect(s[0]).toBeCloseTo(1, 12);
    expect(s[1]).toBeCloseTo(1.25 / 0.75, 12);
    expect(s[2]).toBeCloseTo(2.125 / 0.875, 12);
  });

  it('weight 0 gives the values back; a constant stays constant at any weight', () => {
    expect(emaSmooth([3, -1, 2], 0)).toEqual([3, -1, 2]);
    for (const v of emaSmooth(Array(50).fill(0.7), 0.99)) expect(v).toBeCloseTo(0.7, 12);
  });

  it('leaves a gap at a non-finite value and does not average it in', () => {
    const s = emaSmooth([1, NaN, 1, Infinity, 1], 0.9);
    expect(s.map((v) => (Number.isNaN(v) ? 'gap' : Number(v.toFixed(12))))).toEqual([1, 'gap', 1, 'gap', 1]);
  });

  it('damps noise: a ±1 alternation around 5 smoothed at 0.9 stays within 0.11 of 5 after 50 points', () => {
    const ys = Array.from({ length: 200 }, (_, i) => 5 + (i % 2 ? 1 : -1));
    const s = emaSmooth(ys, 0.9).slice(50);
    expect(Math.max(...s.map((v) => Math.abs(v - 5)))).toBeLessThan(0.11);
  });
});

describe('downsampleMinMax', () => {
  it('keeps every point up to the limit', () => {
    expect(downsampleMinMax([0, 1, 2], [5, 6, 7], 10)).toEqual([0, 1, 2]);
  });

  it('keeps both endpoints and the global minimum and maximum, in order, within the limit', () => {
    const n = 100_000;
    const xs = Array.from({ length: n }, (_, i) => i);
    const ys = xs.map((i) => Math.sin(i / 300));
    ys[31_337] = -50; // a dip and a spike an every-k-th sample would miss
    ys[77_777] = 80;
    const idx = downsampleMinMax(xs, ys, CURVE_MAX_POINTS);
    expect(idx.length).toBeLessThanOrEqual(CURVE_MAX_POINTS);
    expect(idx.length).toBeGreaterThan(CURVE_MAX_POINTS / 2);
    expect(idx[0]).toBe(0);
    expect(idx[idx.length - 1]).toBe(n - 1);
    expect(idx).toContain(31_337);
    expect(idx).toContain(77_777);
    expect(idx.every((v, k) => k === 0 || v > idx[k - 1])).toBe(true);
  });

  it('lossCurveSeries draws real points only, and keeps the counts, last and lowest of all the data', () => {
    const n = 10_000;
    const x = Array.from({ length: n }, (_, i) => i);
    const y = x.map((i) => 1 + 0.5 * Math.cos(i));
    y[4321] = 0.001;
    const [s] = lossCurveSeries(curve([{ name: 'loss', axis: 'y', x, y }]));
    const drawn = s.runs.flat();
    expect(s.count).toBe(n);
    expect(s.downsampled).toBe(true);
    expect(drawn.length).toBeLessThanOrEqual(CURVE_MAX_POINTS);
    for (const q of drawn.slice(0, 500)) expect(q.y).toBe(y[q.x]); // every drawn point is a real one (hover shows true values)
    expect(s.min).toEqual({ x: 4321, y: 0.001 });
    expect(s.last).toEqual({ x: n - 1, y: y[n - 1] });
  });

  it('smoothing adds an EMA line computed over all the points, then downsampled', () => {
    const n = 9000;
    const x = Array.from({ length: n }, (_, i) => i);
    const y = x.map((i) => (i % 2 ? 2 : 0));
    const [s] = lossCurveSeries(curve([{ name: 'loss', axis: 'y', x, y }]), CURVE_MAX_POINTS, 0.99);
    const sm = s.smooth!.flat();
    expect(sm.length).toBeLessThanOrEqual(CURVE_MAX_POINTS);
    const full = emaSmooth(y, 0.99);
    for (const q of sm) expect(q.y).toBe(full[q.x]);
    expect(Math.abs(sm[sm.length - 1].y - 1)).toBeLessThan(0.02);
    expect(lossCurveSeries(curve([{ name: 'loss', axis: 'y', x, y }]))[0].smooth).toBeUndefined();
  });
});

describe('log scale', () => {
  it('logTicks: powers of ten over wide spans, with 2× and 5× over two decades or less', () => {
    expect(logTicks(0.05, 2.3)).toEqual([0.01, 0.1, 1, 10]);
    expect(logTicks(0.2, 3)).toEqual([0.1, 0.2, 0.5, 1, 2, 5, 10]);
    expect(logTicks(1, 1)).toEqual([1, 2, 5, 10]);
    expect(logTicks(1e-12, 1)).toEqual([1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2, 1]);
    expect(logTicks(0, 1)).toEqual([]);
  });

  it('curveAxis: a log axis spans whole decades; a linear one whole tick steps around the data', () => {
    expect(curveAxis(0.05, 2.3, 5, true)).toEqual({ lo: 0.01, hi: 10, ticks: [0.01, 0.1, 1, 10], log: true });
    expect(curveAxis(0.05, 2.3, 5, false)).toEqual({ lo: 0, hi: 2.5, ticks: [0, 0.5, 1, 1.5, 2, 2.5], log: false });
    expect(curveAxis(-1, 2, 5, true).log).toBe(false); // not positive: linear
  });

  it('logScaleProblem names the left-axis series with values ≤ 0 and ignores the right axis', () => {
    const ok = curve([
      { name: 'loss', axis: 'y', x: [0, 1], y: [2, 0.5] },
      { name: 'accuracy', axis: 'y2', x: [0, 1], y: [0, 0.5] },
    ]);
    expect(logScaleProblem(ok)).toBeNull();
    const bad = curve([
      { name: 'loss', axis: 'y', x: [0, 1, 2], y: [2, 0, -0.25] },
      { name: 'validation loss', axis: 'y', x: [0], y: ['NaN'] },
    ]);
    expect(logScaleProblem(bad)).toBe("log scale needs positive values: 'loss' has 2 values ≤ 0 (lowest -0.25); drawn on a linear scale");
  });

  it('lossCurveSvg draws the left axis by decades when logY is set: 1, 0.1 and 0.01 equally spaced', () => {
    const x = [0, 1, 2];
    const svg = lossCurveSvg(curve([{ name: 'loss', axis: 'y', x, y: [1, 0.1, 0.01] }], { logY: true }));
    const [line] = polylines(svg);
    const ys = line.pts.map((q) => q[1]);
    expect(ys[1] - ys[0]).toBeCloseTo(ys[2] - ys[1], 0);
    expect(svg).toContain('log scale');
    // the same data on a linear axis: the last two points almost coincide
    const lin = polylines(lossCurveSvg(curve([{ name: 'loss', axis: 'y', x, y: [1, 0.1, 0.01] }])))[0].pts.map((q) => q[1]);
    expect(Math.abs(lin[2] - lin[1])).toBeLessThan((lin[1] - lin[0]) / 5);
  });

  it('lossCurveSvg refuses log for values ≤ 0 and says so', () => {
    const svg = lossCurveSvg(curve([{ name: 'loss', axis: 'y', x: [0, 1], y: [1, -1] }], { logY: true }));
    expect(svg).toContain('log scale needs positive values');
    expect(svg).not.toContain('>log scale<');
    expect(polylines(svg)[0].pts).toHaveLength(2);
  });
});

describe('second axis', () => {
  it('y2 series get their own range and ticks on the right, independent of the loss', () => {
    const p = F.lossCurvePayload(200);
    const svg = lossCurveSvg(p);
    const [loss, acc] = polylines(svg);
    expect(acc.attrs).toContain('stroke-dasharray');
    // the accuracy line (0.18..0.98) spans most of the plot height though the loss goes to 2.3
    const ay = acc.pts.map((q) => q[1]);
    expect(Math.max(...ay) - Math.min(...ay)).toBeGreaterThan(150);
    const ly = loss.pts.map((q) => q[1]);
    expect(Math.max(...ly) - Math.min(...ly)).toBeGreaterThan(150);
    // right-axis tick labels sit right of the plot (x > 640 - 64) and cover the accuracy (0.2483..0.9832), not the loss (to 2.3)
    const right = [...svg.matchAll(/<text x="(\d+(?:\.\d+)?)" y="[^"]*">([^<]*)<\/text>/g)].filter((m) => Number(m[1]) > 576).map((m) => Number(m[2]));
    expect(right).toEqual([0.2, 0.4, 0.6, 0.8, 1]);
    expect(svg).toContain('rotate(90)'); // the right axis label
  });

  it('lossCurveSvg with smoothing: a faint raw line and a full smoothed one per series', () => {
    const svg = lossCurveSvg({ ...F.lossCurvePayload(200), smoothing: 0.9 });
    const lines = polylines(svg);
    expect(lines.filter((l) => l.attrs.includes('stroke-opacity="0.3"'))).toHaveLength(2);
    expect(lines.filter((l) => l.attrs.includes('data-smoothed'))).toHaveLength(2);
    expect(svg).toContain('smoothed (EMA 0.9)');
  });
});

describe('LossCurve (engine)', () => {
  it('push takes (step, loss, extra) or one object; acc-like names go right; options reach the payload', async () => {
    const c = new LossCurve({ logY: true, smoothing: 0.6 });
    await c.push(0, 2, { accuracy: 0.1 });
    await c.push({ step: 1, loss: 1.5, acc: 0.4, 'validation loss': 1.7 });
    const p = c.payload();
    expect(p.series.map((s) => [s.name, s.axis, s.x, s.y])).toEqual([
      ['loss', 'y', [0, 1], [2, 1.5]],
      ['accuracy', 'y2', [0], [0.1]],
      ['acc', 'y2', [1], [0.4]],
      ['validation loss', 'y', [1], [1.7]],
    ]);
    expect(p.logY).toBe(true);
    expect(p.smoothing).toBe(0.6);
    expect(p.y2Label).toBe('accuracy');
    expect(() => c.push({ step: 2 } as never)).toThrow("the point has no 'loss'");
    expect(() => new LossCurve({ smoothing: 1 })).toThrow('smoothing must be a number in [0, 1)');
  });
});

describe('status of a live curve, and of its static fallback', () => {
  // 2026-12-02 18:20:03 in the local time zone, whatever it is (the view shows the reader's time)
  const at = new Date(2026, 11, 2, 18, 20, 3).getTime();
  const live = curve([{ name: 'loss', axis: 'y', x: [0, 1, 57], y: [2, 1, 0.5] }], { done: false, updatedAt: at, staleAfter: 60_000 });

  it('running until updatedAt + staleAfter, then stale, naming the last update and both causes', () => {
    expect(lossCurveStatus(live, at + 60_000)).toEqual({ state: 'running', text: 'training…', staleAt: at + 60_000 });
    expect(lossCurveStatus(live, at + 60_001)).toEqual({
      state: 'stale',
      text: 'not finished: no update since 18:20:03 (the kernel stopped or restarted, or a step is taking longer than 60 s)',
    });
    // a notebook reopened another day says which day
    expect(lossCurveStatus({ ...live, staleAfter: 240_000 }, at + 86_400_000).text).toBe(
      'not finished: no update since 2026-12-02 18:20:03 (the kernel stopped or restarted, or a step is taking longer than 4 min)',
    );
  });

  it('without a clock, or without the stamp (older payloads), a live curve reads training…', () => {
    expect(lossCurveStatus(live).text).toBe('training…');
    expect(lossCurveStatus(curve([], { done: false }), at + 1e9)).toEqual({ state: 'running', text: 'training…' });
    expect(lossCurveStatus(curve([], { done: false, updatedAt: at, staleAfter: -1 }), at + 1e9).state).toBe('running');
  });

  it('done and stopped curves never go stale', () => {
    expect(lossCurveStatus({ ...live, done: true }, at + 1e9)).toEqual({ state: 'done', text: 'done' });
    expect(lossCurveStatus({ ...live, done: true, stopped: 'interrupted at step 57' }, at + 1e9)).toEqual({
      state: 'stopped',
      text: 'stopped: interrupted at step 57',
    });
  });

  it('the static fallback of a live payload says "not finished" with its last update (UTC) and step, not training…', () => {
    const utc = Date.parse('2026-12-02T18:20:03.400Z');
    const p = { ...live, updatedAt: utc, title: 'digits' };
    const want = 'not finished — last update 2026-12-02 18:20:03 UTC, step 57';
    expect(lossCurveStaticStatus(p)).toEqual({ state: 'running', text: want });
    const svg = lossCurveSvg(p);
    expect(svg).toContain(`>${want}</tspan>`);
    expect(svg).not.toContain('training…');
    expect(lossCurveText(p).split('\n')[0]).toBe(`digits (${want})`);
    expect(lossCurveStaticStatus({ ...p, series: [{ name: 'loss', axis: 'y', x: [], y: [] }] }).text).toBe(
      'not finished — last update 2026-12-02 18:20:03 UTC, no points yet',
    );
    // finished payloads keep their status
    expect(lossCurveStaticStatus({ ...p, done: true }).text).toBe('done');
  });

  it('formatDuration and clockTime', () => {
    expect([45_000, 60_000, 240_000, 5_400_000, 9_000_000].map(formatDuration)).toEqual(['45 s', '60 s', '4 min', '1.5 h', '2.5 h']);
    expect(clockTime(at, at + 1000)).toBe('18:20:03');
    expect(clockTime(at)).toBe('2026-12-02 18:20:03');
  });
});
