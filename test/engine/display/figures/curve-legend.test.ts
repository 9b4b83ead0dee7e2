import { describe, expect, it } from 'vitest';
import type { LossCurvePayload, LossSeries } from '../../../../engine/display/contract';
import { lossCurveSvg } from '../../../../engine/display/figures/curve';

const curve = (series: LossSeries[], extra: Partial<LossCurvePayload> = {}): LossCurvePayload => ({
  version: 1,
  kind: 'loss-curve',
  xLabel: 'step',
  yLabel: 'loss',
  y2Label: 'accuracy',
  series,
  done: true,
  ...extra,
});
const line = (name: string, axis: 'y' | 'y2', y: LossSeries['y'] = [0.9, 0.5, 0.3]): LossSeries => ({ name, axis, x: y.map((_, i) => i), y });

/** The figure's width and its legend entries: each entry's text, left edge and (at 6.2 px per character, font-size 11) right edge. */
function legend(svg: string) {
  const W = Number(svg.match(/<svg[^>]* width="(\d+)"/)![1]);
  const H = Number(svg.match(/<svg[^>]* height="(\d+)"/)![1]);
  const entries = [
    ...svg.matchAll(
      /<line x1="([\d.]+)" y1="([\d.]+)" x2="[\d.]+" y2="[\d.]+" stroke="#[0-9a-f]+" stroke-width="2"[^>]*\/>\s*<text x="([\d.]+)" y="[\d.]+" fill="[^"]+">([^<]*)<\/text>/g,
    ),
  ].map((m) => ({
    x: Number(m[1]),
    y: Number(m[2]),
    text: m[4].replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>'),
    right: Number(m[3]) + [...m[4]].length * 6.2,
  }));
  return { W, H, entries };
}

describe('the static loss curve’s legend', () => {
  it('shows all four series of a training run inside the figure (the fourth was cut)', () => {
    const svg = lossCurveSvg(curve([line('loss', 'y'), line('accuracy', 'y2'), line('validation loss', 'y'), line('validation accuracy', 'y2')]));
    const { W, entries } = legend(svg);
    expect(entries.map((e) => e.text)).toEqual([
      'loss = 0.3',
      'accuracy (right axis) = 0.3',
      'validation loss = 0.3',
      'validation accuracy (right axis) = 0.3',
    ]);
    for (const e of entries) expect(e.right, e.text).toBeLessThanOrEqual(W);
    // wrapped to a second row, and the plot moved down to make room
    expect(new Set(entries.map((e) => e.y)).size).toBe(2);
    const plotTop = Number(svg.match(/<rect x="64" y="([\d.]+)" width="[\d.]+" height="[\d.]+" fill="none"/)![1]);
    expect(plotTop).toBeGreaterThan(Math.max(...entries.map((e) => e.y)) + 8);
  });

  it('cuts a 100,000-character name with an ellipsis inside the figure, the full name (bounded) in a tooltip', () => {
    const long = 'w'.repeat(100_000);
    const svg = lossCurveSvg(curve([line(long, 'y'), line('loss', 'y')]));
    const { W, entries } = legend(svg);
    expect(entries).toHaveLength(2);
    expect(entries[0].text).toBe(`${'w'.repeat(39)}… = 0.3`);
    for (const e of entries) expect(e.right).toBeLessThanOrEqual(W);
    expect(svg).toContain(`<title>${'w'.repeat(999)}…</title>`);
    expect(svg.length).toBeLessThan(10_000); // the name is not copied whole
  });

  it('twelve series: every one has an entry inside the figure', () => {
    const names = Array.from({ length: 12 }, (_, k) => `run ${k + 1} loss`);
    const { W, H, entries } = legend(lossCurveSvg(curve(names.map((n) => line(n, 'y')))));
    expect(entries.map((e) => e.text.replace(/ = .*/, ''))).toEqual(names);
    for (const e of entries) expect(e.right).toBeLessThanOrEqual(W);
    expect(Math.max(...entries.map((e) => e.y))).toBeLessThan(H - 100);
  });
});

describe('values the static loss curve cannot draw', () => {
  it('±1e308 and NaN/±Infinity: no NaN or Infinity coordinates, the other points drawn, and a note says how many were left out', () => {
    const svg = lossCurveSvg(curve([line('loss', 'y', [1, 1e308, -1e308, 0.5, 'NaN', 'Infinity', 0.25])]));
    for (const attr of svg.matchAll(/\b(?:points|x|y|x1|x2|y1|y2|cx|cy|width|height)="([^"]*)"/g)) {
      expect(attr[1], attr[0]).not.toMatch(/NaN|Infinity|e\+?\d{3}/);
    }
    expect(svg).toContain('not drawn: 2 points out of range (|value| &gt; 1e300), 2 points NaN or ±Infinity');
    // the drawable points 1, 0.5 and 0.25 are on the plot, the y axis spans them (ticks 0.2 … 1)
    expect(svg.match(/<circle /g)).toHaveLength(3);
    expect(svg).toMatch(/text-anchor="end">1<\/text>/);
  });
});
