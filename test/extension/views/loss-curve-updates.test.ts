// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LossCurvePayload } from '../../../engine/display/contract';
import { emaSmooth } from '../../../engine/display/figures/curve';
import * as F from '../../fixtures/payloads';

/** plotly.js stand-in: records the calls the view makes (Plotly.react's arguments: element, traces, layout, config). */
const plotly = vi.hoisted(() => ({
  react: vi.fn((el: HTMLElement, _data: unknown, _layout?: unknown, _config?: unknown) => Promise.resolve(el)),
  purge: vi.fn(),
  Plots: { resize: vi.fn() },
}));
vi.mock('plotly.js-dist-min', () => ({ default: plotly }));

import { renderLossCurve, VIEW_MAX_POINTS } from '../../../extension/views/loss-curve';
import { wire } from '../../fixtures/wire';

type Trace = { name: string; x: number[]; y: (number | null)[]; yaxis: string; opacity?: number; showlegend?: boolean; legendgroup?: string };
type Layout = Record<string, any>;

function host(parent: HTMLElement = document.body): HTMLElement {
  const el = document.createElement('div');
  parent.append(el);
  return el;
}

const lastCall = () => plotly.react.mock.calls.at(-1) as unknown as [HTMLElement, Trace[], Layout];
const calls = () => plotly.react.mock.calls.length;

function setSmoothing(el: HTMLElement, w: number): void {
  const slider = el.querySelector('input.gradlab-loss-smoothing') as HTMLInputElement;
  slider.value = String(w);
  slider.dispatchEvent(new Event('input'));
}

function setLog(el: HTMLElement, on: boolean): void {
  const box = el.querySelector('input.gradlab-loss-log') as HTMLInputElement;
  box.checked = on;
  box.dispatchEvent(new Event('change'));
}

function longRun(n: number, done = false): LossCurvePayload {
  const x = Array.from({ length: n }, (_, i) => i);
  const y = x.map((i) => 2 / (1 + i / 500) + 0.1 * Math.sin(i));
  y[Math.floor(n * 0.37)] = 9; // a spike the downsample must keep
  return { version: 1, kind: 'loss-curve', xLabel: 'step', yLabel: 'loss', series: [{ name: 'loss', axis: 'y', x, y }], done };
}

beforeEach(() => plotly.react.mockClear());
afterEach(() => document.body.replaceChildren());

describe('loss-curve view toggles', () => {
  it('smoothing draws the EMA over a faint raw line, and stays on across live updates', async () => {
    const el = host();
    const view = renderLossCurve(el, wire(F.lossCurvePayload(100, false)));
    await view.ready;
    expect(lastCall()[1].map((t) => t.name)).toEqual(['loss', 'accuracy']);
    expect(el.querySelector('.gradlab-loss-smoothing-value')!.textContent).toBe('off');

    setSmoothing(el, 0.9);
    await vi.waitFor(() => expect(lastCall()[1]).toHaveLength(4));
    const [raw, smooth] = lastCall()[1];
    expect(raw).toMatchObject({ name: 'loss (raw)', opacity: 0.3, showlegend: false, legendgroup: 's0' });
    expect(smooth).toMatchObject({ name: 'loss', legendgroup: 's0' });
    expect(smooth.opacity).toBeUndefined();
    const p = F.lossCurvePayload(100, false);
    const expected = emaSmooth(p.series[0].y as number[], 0.9);
    expect(smooth.y[50]).toBeCloseTo(expected[50], 12);
    expect(el.querySelector('.gradlab-loss-smoothing-value')!.textContent).toBe('0.9');

    // a live update redraws the new points, still smoothed
    const before = calls();
    view.update(wire(F.lossCurvePayload(150, false)));
    await vi.waitFor(() => expect(calls()).toBeGreaterThan(before));
    await vi.waitFor(() => expect(lastCall()[1][1].x).toHaveLength(150));
    expect(lastCall()[1].map((t) => t.name)).toEqual(['loss (raw)', 'loss', 'accuracy (raw)', 'accuracy']);
    expect((el.querySelector('input.gradlab-loss-smoothing') as HTMLInputElement).value).toBe('0.9');
  });

  it('log scale puts the loss axis on a log scale, keeps it across updates, and refuses values ≤ 0 with a note', async () => {
    const el = host();
    const view = renderLossCurve(el, wire(F.lossCurvePayload(50, false)));
    await view.ready;
    expect(lastCall()[2].yaxis.type).toBe('linear');
    setLog(el, true);
    await vi.waitFor(() => expect(lastCall()[2].yaxis.type).toBe('log'));
    expect(lastCall()[2].yaxis2.type).toBeUndefined(); // accuracy stays linear

    view.update(wire(F.lossCurvePayload(60, false)));
    await vi.waitFor(() => expect(lastCall()[1][0].x).toHaveLength(60));
    expect(lastCall()[2].yaxis.type).toBe('log');
    expect((el.querySelector('.gradlab-loss-note') as HTMLElement).hidden).toBe(true);

    // a loss value ≤ 0 arrives: drawn linear, with a note, and the toggle keeps the user's choice
    const bad = F.lossCurvePayload(70, false);
    (bad.series[0].y as number[])[65] = -0.5;
    view.update(wire(bad));
    await vi.waitFor(() => expect(lastCall()[1][0].x).toHaveLength(70));
    expect(lastCall()[2].yaxis.type).toBe('linear');
    const note = el.querySelector('.gradlab-loss-note') as HTMLElement;
    expect(note.hidden).toBe(false);
    expect(note.textContent).toBe("log scale needs positive values: 'loss' has 1 value ≤ 0 (lowest -0.5); drawn on a linear scale");
    expect((el.querySelector('input.gradlab-loss-log') as HTMLInputElement).checked).toBe(true);
  });

  it('starts from the payload’s logY and smoothing', async () => {
    const el = host();
    const view = renderLossCurve(el, wire({ ...F.lossCurvePayload(40), logY: true, smoothing: 0.6 }));
    await view.ready;
    expect(lastCall()[2].yaxis.type).toBe('log');
    expect(lastCall()[1]).toHaveLength(4);
    expect((el.querySelector('input.gradlab-loss-log') as HTMLInputElement).checked).toBe(true);
    expect((el.querySelector('input.gradlab-loss-smoothing') as HTMLInputElement).value).toBe('0.6');
  });

  it('the choices belong to the output: a view drawn anew in the same output keeps them', async () => {
    const widget = document.createElement('div');
    widget.className = 'gradlab-view';
    document.body.append(widget);
    const v1 = renderLossCurve(host(widget), wire(F.lossCurvePayload(30)));
    await v1.ready;
    setLog(widget, true);
    setSmoothing(widget, 0.99);
    v1.dispose();
    widget.replaceChildren();
    const v2 = renderLossCurve(host(widget), wire(F.lossCurvePayload(30)));
    await v2.ready;
    expect(lastCall()[2].yaxis.type).toBe('log');
    expect((widget.querySelector('input.gradlab-loss-smoothing') as HTMLInputElement).value).toBe('0.99');
    // another output starts from its own payload
    const other = host();
    const v3 = renderLossCurve(other, wire(F.lossCurvePayload(30)));
    await v3.ready;
    expect(lastCall()[2].yaxis.type).toBe('linear');
  });
});

describe('loss-curve view with many points', () => {
  it('draws 100,000 points as a downsample of real points that keeps the spike, and says how many there are', async () => {
    const el = host();
    const p = longRun(100_000, true);
    const view = renderLossCurve(el, wire(p));
    await view.ready;
    const [t] = lastCall()[1];
    expect(t.x.length).toBeLessThanOrEqual(VIEW_MAX_POINTS);
    expect(t.x[0]).toBe(0);
    expect(t.x.at(-1)).toBe(99_999);
    expect(Math.max(...(t.y as number[]))).toBe(9);
    const y = p.series[0].y as number[];
    t.x.forEach((x, k) => expect(t.y[k]).toBe(y[x])); // hover shows true values
    const root = el.querySelector('[data-gradlab-view="loss-curve"]') as HTMLElement;
    expect(root.dataset.points).toBe('100000');
    expect(Number(root.dataset.drawn)).toBe(t.x.length);
    expect(el.querySelector('.gradlab-loss-summary')!.textContent).toContain('loss 0.');
  });

  it('coalesces a burst of live updates into a few redraws of the newest payload', async () => {
    const el = host();
    const view = renderLossCurve(el, wire(longRun(1000)));
    await view.ready;
    const before = calls();
    for (let n = 1001; n <= 1050; n++) view.update(wire(longRun(n)));
    expect(el.querySelector('[data-gradlab-view="loss-curve"]')!.getAttribute('data-points')).toBe('1050'); // the text follows at once
    await vi.waitFor(() => expect(lastCall()[1][0].x.at(-1)).toBe(1049));
    expect(calls() - before).toBeLessThanOrEqual(2);
  });

  it('draws the last payload of a run (stopped) at the next frame, without waiting for the redraw budget', async () => {
    const el = host();
    const view = renderLossCurve(el, wire(longRun(100)));
    await view.ready;
    view.update(wire(longRun(110)));
    await vi.waitFor(() => expect(lastCall()[1][0].x.at(-1)).toBe(109));
    const stopped = { ...longRun(111), stopped: 'interrupted at step 111' };
    const t0 = performance.now();
    view.update(wire(stopped));
    await vi.waitFor(() => expect(lastCall()[1][0].x.at(-1)).toBe(110), { timeout: 90, interval: 5 }); // live redraws wait ≥ 100 ms
    expect(performance.now() - t0).toBeLessThan(90);
  });

  it('shows the static figure until plotly.js is ready, then only the plot', async () => {
    const el = host();
    const view = renderLossCurve(el, wire(F.lossCurvePayload(20, false, 'interrupted at step 20')));
    const img = el.querySelector('img.gradlab-loss-static') as HTMLImageElement;
    expect(img).not.toBeNull();
    const svg = decodeURIComponent(img.src.replace(/^data:image\/svg\+xml;charset=utf-8,/, ''));
    expect(svg).toContain('stopped: interrupted at step 20');
    await view.ready;
    expect(el.querySelector('img')).toBeNull();
    expect(el.querySelector('.gradlab-status')!.textContent).toBe('stopped: interrupted at step 20');
  });
});

describe('many live loss curves in one page', () => {
  it('20 curves updated together draw a few per animation frame (one budget for the page), each its newest payload', async () => {
    // plotly's redraw costs 5 ms here; frames run when the test says so
    let frames: FrameRequestCallback[] = [];
    const raf = vi.spyOn(window, 'requestAnimationFrame').mockImplementation((cb) => frames.push(cb));
    const frame = () => {
      const run = frames;
      frames = [];
      const before = calls();
      for (const cb of run) cb(performance.now());
      return calls() - before;
    };
    plotly.react.mockImplementation((el: HTMLElement) => {
      const until = performance.now() + 5;
      while (performance.now() < until) {
        // busy: the redraw's cost
      }
      return Promise.resolve(el);
    });
    try {
      const views = Array.from({ length: 20 }, () => renderLossCurve(host(), wire(longRun(100))));
      const first: number[] = [];
      for (let i = 0; i < 1000 && calls() < 20; i++) {
        first.push(frame());
        await new Promise((r) => setTimeout(r, 5)); // the queue rests after a frame that overran its budget
      }
      await Promise.all(views.map((v) => v.ready));
      expect(calls()).toBe(20);
      expect(Math.max(...first)).toBeLessThanOrEqual(4); // 12 ms of 5 ms redraws (+ one); it was 20 in one frame

      // every curve gets its last payload at once: drawn over the next frames, never all in one
      plotly.react.mockClear();
      for (const v of views) v.update(wire(longRun(300, true)));
      const perFrame: number[] = [];
      for (let i = 0; i < 1000 && calls() < 20; i++) {
        perFrame.push(frame());
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(calls()).toBe(20);
      expect(Math.max(...perFrame)).toBeLessThanOrEqual(4);
      expect(perFrame.filter((n) => n > 0).length).toBeGreaterThanOrEqual(5);
      for (const c of plotly.react.mock.calls as unknown as [HTMLElement, Trace[]][]) expect(c[1][0].x).toHaveLength(300);
    } finally {
      raf.mockRestore();
      plotly.react.mockImplementation((el: HTMLElement) => Promise.resolve(el));
      for (let i = 0; i < 100 && frames.length; i++) frame(); // leave the page's queue empty
    }
  });
});

describe('a live curve whose kernel went away', () => {
  const MIN = 60_000;
  const T0 = Date.UTC(2026, 11, 2, 18, 20, 3);
  const live = (n: number, updatedAt: number, staleAfter = 30_000): LossCurvePayload => ({ ...longRun(n), updatedAt, staleAfter });
  const status = (el: HTMLElement) => el.querySelector('.gradlab-status') as HTMLElement;
  const root = (el: HTMLElement) => el.querySelector('[data-gradlab-view="loss-curve"]') as HTMLElement;

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.setSystemTime(T0);
  });
  afterEach(() => vi.useRealTimers());

  it('turns to "not finished" by itself once no update came for longer than staleAfter, and back to training on the next update', () => {
    const el = host();
    const view = renderLossCurve(el, wire(live(10, T0)));
    expect(status(el).textContent).toBe('training…');
    vi.advanceTimersByTime(10_000);
    view.update(wire(live(20, T0 + 10_000)));
    vi.advanceTimersByTime(29_000);
    expect(status(el).textContent).toBe('training…');
    vi.advanceTimersByTime(2_000); // 31 s since the last update: no payload arrives, the timer alone turns it
    expect(status(el).textContent).toMatch(/^not finished: no update since 18:20:13\b/);
    expect(status(el).classList.contains('gradlab-status-stale')).toBe(true);
    expect(root(el).classList.contains('gradlab-loss-stale')).toBe(true);
    view.update(wire(live(30, T0 + 41_000)));
    expect(status(el).textContent).toBe('training…');
    expect(root(el).classList.contains('gradlab-loss-stale')).toBe(false);
    view.dispose();
  });

  it('a reopened notebook whose run never finished shows "not finished" at once', () => {
    const el = host();
    vi.setSystemTime(T0 + 2 * 24 * 60 * MIN); // two days later
    renderLossCurve(el, wire(live(10, T0)));
    expect(status(el).textContent).toMatch(/^not finished: no update since 2026-12-02 18:20:03\b/);
    expect(status(el).classList.contains('gradlab-status-stale')).toBe(true);
  });

  it('a page that keeps receiving updates stays live whatever the kernel’s clock says', () => {
    for (const skew of [-60 * MIN, 60 * MIN]) {
      const el = host();
      const kernel = () => Date.now() + skew; // the kernel machine's clock, an hour off
      const view = renderLossCurve(el, wire(live(10, kernel())));
      for (let i = 1; i <= 5; i++) {
        vi.advanceTimersByTime(20_000);
        view.update(wire(live(10 + i, kernel())));
        expect(status(el).textContent, `skew ${skew}`).toBe('training…');
      }
      vi.advanceTimersByTime(30_001); // and goes stale 30 s after the last update, by the page's clock
      expect(status(el).textContent, `skew ${skew}`).toMatch(/^not finished/);
      view.dispose();
    }
  });

  it('done and stopped runs never go stale; dispose clears the timer', () => {
    const el = host();
    const view = renderLossCurve(el, wire(live(10, T0)));
    view.update(wire({ ...live(11, T0), done: true }));
    vi.advanceTimersByTime(10 * MIN);
    expect(status(el).textContent).toBe('done');
    const other = host();
    const v2 = renderLossCurve(other, wire(live(10, T0)));
    v2.dispose();
    expect(() => vi.advanceTimersByTime(10 * MIN)).not.toThrow();
    view.dispose();
  });
});

describe('legend names and values that cannot be drawn', () => {
  it('cuts long series names with an ellipsis in the legend and keeps every series', async () => {
    const el = host();
    const long = 'x'.repeat(100_000);
    const p: LossCurvePayload = {
      version: 1,
      kind: 'loss-curve',
      xLabel: 'step',
      yLabel: 'loss',
      y2Label: 'accuracy',
      done: true,
      series: ['loss', 'accuracy', 'validation loss', long].map((name, k) => ({ name, axis: k % 2 ? 'y2' : 'y', x: [0, 1, 2], y: [1, 0.5, 0.25] })),
    };
    const view = renderLossCurve(el, wire(p));
    await view.ready;
    const names = lastCall()[1].map((t) => t.name);
    expect(names).toEqual(['loss', 'accuracy', 'validation loss', `${'x'.repeat(39)}…`]);
  });

  it('leaves ±1e308, NaN and ±Infinity out of the plot and says how many points it did not draw', async () => {
    const el = host();
    const p: LossCurvePayload = {
      version: 1,
      kind: 'loss-curve',
      xLabel: 'step',
      yLabel: 'loss',
      done: true,
      series: [{ name: 'loss', axis: 'y', x: [0, 1, 2, 3, 4, 5], y: [1, 1e308, -1e308, 0.5, 'NaN', '-Infinity'] }],
    };
    const view = renderLossCurve(el, wire(p));
    await view.ready;
    expect(lastCall()[1][0].y).toEqual([1, null, null, 0.5, null, null]);
    const note = el.querySelector('.gradlab-loss-undrawn') as HTMLElement;
    expect(note.hidden).toBe(false);
    expect(note.textContent).toBe('not drawn: 2 points out of range (|value| > 1e300), 2 points NaN or ±Infinity');
    // smoothing never lets a huge value into the average
    setSmoothing(el, 0.5);
    await vi.waitFor(() => expect(lastCall()[1]).toHaveLength(2));
    expect(lastCall()[1][1].y).toEqual([1, null, null, expect.closeTo(2 / 3, 12), null, null]);
  });
});
