/**
 * The line plot's figure model (engine/display/figures/plot.ts): runs split
 * at gaps, log axes that leave out values ≤ 0 and say how many, decades as
 * ticks, and the static SVG and text drawn from the same model.
 */
import { describe, expect, it } from 'vitest';
import type { PlotPayload } from '../../../../engine/display/contract';
import { plotModel, plotSvg, plotText } from '../../../../engine/display/figures/plot';

const base = (series: PlotPayload['series'], extra: Partial<PlotPayload> = {}): PlotPayload => ({
  version: 1,
  kind: 'plot',
  xLabel: 'h',
  yLabel: 'error',
  logX: false,
  logY: false,
  series,
  ...extra,
});

const hs = Array.from({ length: 12 }, (_, k) => 10 ** -(k + 1));

describe('plotModel', () => {
  it('splits a series into runs at NaN and ±Infinity, and says how many points are gaps', () => {
    const m = plotModel(base([{ name: 'f', x: [0, 1, 2, 3, 4, 5], y: [0, 1, 'NaN', 3, 'Infinity', 5] }]));
    expect(m.lines[0].runs).toEqual([
      [
        { x: 0, y: 0 },
        { x: 1, y: 1 },
      ],
      [{ x: 3, y: 3 }],
      [{ x: 5, y: 5 }],
    ]);
    expect(m.lines[0]).toMatchObject({ count: 6, nonFinite: 2, nonPositive: 0, mode: 'lines+markers', dash: false });
    expect(m.notes).toEqual(["2 points ('f' 2) NaN or ±Infinity: drawn as gaps"]);
    expect(m.x).toMatchObject({ lo: 0, hi: 5, log: false });
  });

  it('on log axes leaves out values ≤ 0, counting them per series, and spans whole decades', () => {
    const fwd = hs.map((h) => h / 2);
    const ctr = hs.map((h, k) => (k === 5 ? 0 : h * h));
    const m = plotModel(
      base(
        [
          { name: 'forward', x: hs, y: fwd },
          { name: 'central', x: hs, y: ctr },
        ],
        { logX: true, logY: true, notes: ['from the engine'] },
      ),
    );
    expect(m.lines.map((l) => l.nonPositive)).toEqual([0, 1]);
    expect(m.lines[1].runs.map((r) => r.length)).toEqual([5, 6]);
    expect(m.notes).toEqual(['from the engine', "1 point ('central' 1) with a value ≤ 0 left out: the log axes cannot show them"]);
    expect(m.x).toMatchObject({ lo: 1e-12, hi: 0.1, log: true });
    expect(m.x.ticks[0]).toBe(1e-12);
    expect(m.y.log).toBe(true);
    expect(m.y.lo).toBeLessThanOrEqual(1e-24);
    expect(m.y.hi).toBeGreaterThanOrEqual(0.05);
  });

  it('a log x axis alone names itself; a negative x is left out there', () => {
    const m = plotModel(base([{ name: 'g', x: [-1, 1, 10], y: [-1, 1, 2] }], { logX: true }));
    expect(m.notes).toEqual(["1 point ('g' 1) with a value ≤ 0 left out: the log x axis cannot show them"]);
    expect(m.lines[0].runs).toEqual([
      [
        { x: 1, y: 1 },
        { x: 10, y: 2 },
      ],
    ]);
  });

  it('reads hand-made payloads without throwing: missing fields get defaults, unequal lengths are cut', () => {
    const m = plotModel({ series: [{ x: [1, 2, 3], y: [1, 2] }, null] } as never);
    expect(m.title).toBe('plot');
    expect(m.lines.map((l) => [l.name, l.count])).toEqual([
      ['series 1', 2],
      ['series 2', 0],
    ]);
    expect(() => plotSvg({} as never)).not.toThrow();
    expect(plotSvg({} as never)).toContain('no points to draw');
  });
});

describe('plotSvg and plotText', () => {
  const p = base(
    [
      { name: 'forward', x: hs, y: hs.map((h) => h / 2) },
      { name: 'central', x: hs, y: hs.map((h, k) => (k === 5 ? 0 : h * h)), dash: true },
    ],
    { logX: true, logY: true, title: 'error of the <numerical> gradient' },
  );

  it('draws every series with its legend entry, decade ticks and the notes, escaping text', () => {
    const svg = plotSvg(p);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('error of the &lt;numerical&gt; gradient');
    expect(svg).not.toContain('<numerical>');
    expect([...svg.matchAll(/<polyline /g)]).toHaveLength(3); // forward, and central in two runs
    expect(svg).toContain('stroke-dasharray="6 4"');
    expect(svg).toContain('>1e-12<');
    expect(svg).toContain('h (log scale)');
    expect(svg).toContain('value ≤ 0 left out');
    for (const name of ['forward', 'central']) expect(svg).toContain(`<title>${name}</title>`);
  });

  it.skipIf(!process.env.PLOT_SVG_DIR)('writes the SVGs to look at (PLOT_SVG_DIR)', async () => {
    const { writeFileSync } = await import('node:fs');
    const sin = { x: Array.from({ length: 200 }, (_, i) => -Math.PI + (2 * Math.PI * i) / 199) };
    const q = base(
      [
        { name: 'sin', x: sin.x, y: sin.x.map(Math.sin) },
        { name: 'sin′ = cos', x: sin.x, y: sin.x.map(Math.cos), dash: true },
      ],
      { title: 'sin and its derivative', xLabel: 'x', yLabel: 'y' },
    );
    writeFileSync(`${process.env.PLOT_SVG_DIR}/plot-loglog.svg`, plotSvg(p));
    writeFileSync(`${process.env.PLOT_SVG_DIR}/plot-sin.svg`, plotSvg(q));
  });

  it('text: per series its points and ranges, then the notes', () => {
    expect(plotText(p).split('\n')).toEqual([
      'error of the <numerical> gradient: error against h (log x, log y)',
      '  forward: 12 points, h 0.1 … 1e-12, error from 5e-13 to 0.05',
      '  central: 12 points, h 0.1 … 1e-12, error from 1e-24 to 0.01',
      "  note: 1 point ('central' 1) with a value ≤ 0 left out: the log axes cannot show them",
    ]);
  });
});
