// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LossCurvePayload } from '../../../engine/display/contract';
import * as F from '../../fixtures/payloads';

/** plotly.js stand-in: records the calls the view makes (Plotly.react's arguments: element, traces, layout, config). */
const plotly = vi.hoisted(() => ({
  react: vi.fn((el: HTMLElement, _data: unknown, _layout?: unknown, _config?: unknown) => Promise.resolve(el)),
  purge: vi.fn(),
  Plots: { resize: vi.fn() },
}));
vi.mock('plotly.js-dist-min', () => ({ default: plotly }));

import { renderLossCurve } from '../../../extension/views/loss-curve';
import { wire } from '../../fixtures/wire';

function host(): HTMLElement {
  const el = document.createElement('div');
  document.body.append(el);
  return el;
}

type Trace = { name: string; x: number[]; y: (number | null)[]; yaxis: string; mode: string };

beforeEach(() => {
  plotly.react.mockClear();
  plotly.purge.mockClear();
});
afterEach(() => document.body.replaceChildren());

describe('renderLossCurve', () => {
  it('plots each series, y2 on a right axis, with hover values', async () => {
    const el = host();
    const view = renderLossCurve(el, wire(F.lossCurvePayload(200)));
    await view.ready;
    expect(plotly.react).toHaveBeenCalledTimes(1);
    const [plotEl, traces, layout] = plotly.react.mock.calls[0] as unknown as [HTMLElement, Trace[], Record<string, any>];
    expect(plotEl.classList.contains('gradlab-loss-plot')).toBe(true);
    expect(traces.map((t) => [t.name, t.yaxis, t.x.length])).toEqual([
      ['loss', 'y', 200],
      ['accuracy', 'y2', 20],
    ]);
    expect(traces[0].y[199]).toBe(0.07005);
    expect(layout.yaxis2).toMatchObject({ overlaying: 'y', side: 'right' });
    // axis titles are HTML over the margins (plotly would measure its own at every redraw)
    expect(layout.xaxis.title).toBeUndefined();
    const label = (axis: string) => el.querySelector(`.gradlab-loss-${axis}label`)!.textContent;
    expect([label('x'), label('y'), label('y2')]).toEqual(['step', 'loss', 'accuracy']);
    expect(layout.hovermode).toBe('x unified');
    expect(layout.uirevision).toBe('gradlab');
    expect(el.querySelector('.gradlab-status')!.textContent).toBe('done');
    expect(el.querySelector('.gradlab-loss-summary')!.textContent).toBe('loss 0.07005 at step 199 (lowest 0.05977 at 198) · accuracy 0.9832 at step 199');
  });

  it('updates in place with Plotly.react while training, then shows done or stopped', async () => {
    const el = host();
    const view = renderLossCurve(el, wire(F.lossCurvePayload(10, false)));
    expect(el.querySelector('.gradlab-status')!.textContent).toBe('training…'); // before plotly has loaded
    await view.ready;
    const plotEl = plotly.react.mock.calls[0][0];
    view.update(wire(F.lossCurvePayload(20, false)));
    view.update(wire(F.lossCurvePayload(30, true)));
    await vi.waitFor(() => expect((plotly.react.mock.calls.at(-1)![1] as Trace[])[0].x).toHaveLength(30));
    expect(plotly.react.mock.calls.every((c) => c[0] === plotEl)).toBe(true); // same element: no flicker
    expect(plotly.purge).not.toHaveBeenCalled();
    expect(el.querySelectorAll('.gradlab-loss-curve')).toHaveLength(1);
    expect(el.querySelector('.gradlab-status')!.textContent).toBe('done');
    view.update(wire(F.lossCurvePayload(31, false, 'KeyboardInterrupt at step 31')));
    expect(el.querySelector('.gradlab-status')!.textContent).toBe('stopped: KeyboardInterrupt at step 31');
    expect(el.querySelector('.gradlab-status')!.classList.contains('gradlab-status-stopped')).toBe(true);
  });

  it('purges the plot on dispose', async () => {
    const el = host();
    const view = renderLossCurve(el, wire(F.lossCurvePayload(5)));
    await view.ready;
    view.dispose();
    expect(plotly.purge).toHaveBeenCalledTimes(1);
    expect(el.childNodes).toHaveLength(0);
  });

  it('leaves gaps at NaN and passes names as text', async () => {
    const el = host();
    const p: LossCurvePayload = {
      version: 1,
      kind: 'loss-curve',
      title: F.XSS_NAME,
      xLabel: 'epoch',
      yLabel: 'loss',
      series: [{ name: F.XSS_NAME, axis: 'y', x: [0, 1, 2], y: [1, 'NaN', 'Infinity'] }],
      done: false,
    };
    const view = renderLossCurve(el, wire(p));
    await view.ready;
    const traces = plotly.react.mock.calls[0][1] as Trace[];
    expect(traces[0].y).toEqual([1, null, null]);
    expect(traces[0].name).toBe('&lt;img src=x onerror=alert(1)&gt;'); // plotly shows entities as the characters
    expect(el.querySelector('img')).toBeNull();
    expect(el.querySelector('.gradlab-title')!.textContent).toBe(F.XSS_NAME);
  });

  it('survives a malformed payload', async () => {
    const el = host();
    const view = renderLossCurve(el, { version: 1, kind: 'loss-curve', series: [null, { x: 3 }] } as unknown as LossCurvePayload);
    await view.ready;
    expect(el.querySelector('.gradlab-status')!.textContent).toBe('training…');
  });
});
