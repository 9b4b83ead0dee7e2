// @vitest-environment happy-dom
/**
 * The line-plot view (extension/views/line-plot.ts) with plotly.js replaced by
 * a recorder: the traces and layout it draws from the figure model (gaps,
 * log axes, dashes, hover), the notes, the theme, and dispose.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as F from '../../fixtures/payloads';

const plotly = vi.hoisted(() => ({
  react: vi.fn((el: HTMLElement, _data: unknown, _layout?: unknown, _config?: unknown) => Promise.resolve(el)),
  purge: vi.fn(),
  Plots: { resize: vi.fn() },
}));
vi.mock('plotly.js-dist-min', () => ({ default: plotly }));

import { renderLinePlot } from '../../../extension/views/line-plot';
import { wire } from '../../fixtures/wire';

type Trace = { name: string; mode: string; x: number[]; y: (number | null)[]; line: { dash: string; color: string }; hovertemplate: string };

function host(): HTMLElement {
  const el = document.createElement('div');
  document.body.append(el);
  return el;
}

beforeEach(() => {
  plotly.react.mockClear();
  plotly.purge.mockClear();
});
afterEach(() => document.body.replaceChildren());

describe('renderLinePlot', () => {
  it('draws each series on log axes, a left-out value as a gap, with a legend, hover values and the notes', async () => {
    const el = host();
    const view = renderLinePlot(el, wire(F.plotPayload()));
    await view.ready;
    expect(plotly.react).toHaveBeenCalledTimes(1);
    const [plotEl, traces, layout] = plotly.react.mock.calls[0] as unknown as [HTMLElement, Trace[], Record<string, any>];
    expect(plotEl.classList.contains('gradlab-plot-area')).toBe(true);
    expect(traces.map((t) => [t.name, t.mode, t.line.dash, t.x.length])).toEqual([
      ['forward', 'lines+markers', 'solid', 12],
      ['central', 'lines+markers', 'solid', 12], // 11 points and one gap where the error is 0
      ['slope 2', 'lines', 'dash', 2],
    ]);
    expect(traces[1].y[4]).toBeNull();
    expect(Number.isNaN(traces[1].x[4])).toBe(true);
    expect(traces[0].hovertemplate).toBe('forward: %{y:.6g}<br>h = %{x:.6g}<extra></extra>');
    expect(layout.xaxis).toMatchObject({ type: 'log', title: { text: 'h' } });
    expect(layout.yaxis).toMatchObject({ type: 'log', title: { text: 'error' } });
    expect(layout.showlegend).toBe(true);
    expect(el.querySelector('.gradlab-title')!.textContent).toBe('error of the numerical derivative of exp at 1');
    expect([...el.querySelectorAll('.gradlab-plot-notes li')].map((li) => li.textContent)).toEqual([
      "1 point ('central' 1) with a value ≤ 0 left out: the log axes cannot show them",
    ]);
    expect(el.querySelector('.gradlab-plot-static')).toBeNull(); // the stand-in is gone once plotly drew
    expect(el.querySelector('[data-gradlab-view="plot"]')!.getAttribute('data-drawn')).toBe('25');
  });

  it('linear axes by default; names as text, never markup', async () => {
    const el = host();
    const p = { ...F.plotPayload(), logX: false, logY: false, title: F.XSS_NAME };
    p.series = [{ ...p.series[0], name: F.XSS_NAME }];
    await renderLinePlot(el, wire(p)).ready;
    const [, traces, layout] = plotly.react.mock.calls[0] as unknown as [HTMLElement, Trace[], Record<string, any>];
    expect(layout.xaxis.type).toBe('linear');
    expect(traces[0].name).toBe('&lt;img src=x onerror=alert(1)&gt;');
    expect(el.querySelector('img[onerror]')).toBeNull();
    expect(el.querySelector('.gradlab-title')!.textContent).toBe(F.XSS_NAME);
    expect(el.querySelector<HTMLElement>('.gradlab-plot-notes')!.hidden).toBe(true);
  });

  it('redraws when the theme switches, and purges the plot on dispose', async () => {
    const el = host();
    const view = renderLinePlot(el, wire(F.plotPayload()));
    await view.ready;
    document.body.dataset.jpThemeLight = 'false';
    const plotEl = plotly.react.mock.calls[0][0];
    // views of the tests before are still watching the theme: count this one's redraws
    await vi.waitFor(() => expect(plotly.react.mock.calls.filter((c) => c[0] === plotEl)).toHaveLength(2));
    view.dispose();
    expect(plotly.purge).toHaveBeenCalledTimes(1);
    expect(el.childNodes).toHaveLength(0);
  });
});
