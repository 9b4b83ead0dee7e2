/**
 * The live loss-curve view: plotly.js, loaded with a dynamic `import()` so its
 * 4.6 MB stay out of JupyterLab's start-up (and fetched ahead, when the page is
 * idle, by `preloadPlotly` in plotlyLoader.ts). One line per series, `y2` series (accuracy)
 * on a right axis, values on hover, a status line (training… / done /
 * stopped: why) with the last values as text, which shows at once; until plotly
 * is ready the static figure (the same one the saved notebook shows) stands in.
 *
 * Toggles: EMA smoothing (a slider; the raw line stays faint behind the
 * smoothed one) and a log scale for the loss axis (refused, with a note, while a
 * loss value is ≤ 0). Their state belongs to the output, not the payload: it is
 * kept across live updates and across a redraw of the same output.
 *
 * Live updates: the renderer calls `update(p)` for each `update_display_data`.
 * The text follows at once; the plot is redrawn with `Plotly.react` (no
 * flicker, the user's zoom kept through `uirevision`) from a min/max downsample
 * of at most {@link VIEW_MAX_POINTS} points per line (every drawn point a real
 * one, so hover shows true values; the payload keeps them all), at most once
 * per animation frame and never more than a third of the time: updates that
 * arrive meanwhile are dropped for the newest.
 */
import type { LossCurvePayload } from '../../engine/display/contract';
import type { PlotlyTrace } from 'plotly.js-dist-min';
import { asText, formatNum, toNumber } from '../../engine/display/figures/format';
import {
  CURVE_COLOURS,
  clampSmoothing,
  downsampleMinMax,
  emaSmooth,
  logScaleProblem,
  lossCurveSeries,
  lossCurveStatus,
  lossCurveSvg,
} from '../../engine/display/figures/curve';
import { h, mount, safely, type View } from './dom';
import { loadPlotly, type PlotlyModule } from './plotlyLoader';

/** The loss-curve view: `update` redraws in place; `ready` settles once the first plot is drawn (or failed). */
export interface LossCurveView extends View {
  update(p: LossCurvePayload): void;
  readonly ready: Promise<void>;
}

/** The user's choices on one output: EMA weight (0: raw) and log scale for the loss axis. */
export interface CurveViewState {
  smoothing: number;
  logY: boolean;
}

/** Points per line drawn by plotly; longer series are drawn as a min/max downsample. */
export const VIEW_MAX_POINTS = 2000;
/** Plot height in pixels. */
const PLOT_H = 320;
/** Least time between two plot redraws, ms; also at least twice the last redraw's cost, up to MAX_REDRAW_GAP_MS. */
const MIN_REDRAW_MS = 100;
const MAX_REDRAW_GAP_MS = 1000;
/** Theme variables for the series colours, in order; the static curve's colours are the fallbacks. */
const SERIES_VARS = ['--jp-brand-color1', '--jp-warn-color1', '--jp-accent-color1', '--jp-error-color1'];

/**
 * Toggle state per output. Keyed by the renderer widget's node when there is one
 * (so a view built anew on the same output, after an error for instance, keeps it),
 * else by the host.
 */
const states = new WeakMap<Element, CurveViewState>();

function stateFor(host: HTMLElement, p: LossCurvePayload): CurveViewState {
  const key = host.closest('.gradlab-view') ?? host;
  let st = states.get(key);
  if (!st) {
    st = { smoothing: clampSmoothing(p?.smoothing), logY: p?.logY === true };
    states.set(key, st);
  }
  return st;
}

/** Draws `p` into `host`, replacing whatever view was there. */
export function renderLossCurve(host: HTMLElement, p: LossCurvePayload): LossCurveView {
  let view: LossCurveView | null = null;
  const base = safely(host, 'loss curve', () => {
    view = build(host, p);
    return view;
  });
  return view ?? { dispose: () => base.dispose(), update: () => {}, ready: Promise.resolve() };
}

function build(host: HTMLElement, first: LossCurvePayload): LossCurveView {
  const doc = host.ownerDocument;
  const win = doc.defaultView;
  const state = stateFor(host, first);
  const root = h(doc, 'div', { class: 'gradlab-figure gradlab-loss-curve', 'data-gradlab-view': 'loss-curve' });
  const title = h(doc, 'span', { class: 'gradlab-title' });
  const status = h(doc, 'span', { class: 'gradlab-status', role: 'status' });

  // toggles
  const slider = h(doc, 'input', {
    type: 'range', min: 0, max: 0.99, step: 0.01, value: state.smoothing,
    class: 'gradlab-loss-smoothing', 'aria-label': 'smoothing (EMA weight)',
  }) as HTMLInputElement;
  const smoothOut = h(doc, 'output', { class: 'gradlab-num gradlab-loss-smoothing-value' });
  const logBox = h(doc, 'input', { type: 'checkbox', class: 'gradlab-loss-log' }) as HTMLInputElement;
  logBox.checked = state.logY;
  const controls = h(doc, 'div', { class: 'gradlab-toolbar gradlab-loss-controls' },
    h(doc, 'label', { class: 'gradlab-loss-control', title: 'exponential moving average of each line; the raw line stays faint behind it' }, 'smoothing ', slider, smoothOut),
    h(doc, 'label', { class: 'gradlab-loss-control', title: 'log scale on the loss (left) axis' }, logBox, ' log scale'),
  );

  const summary = h(doc, 'div', { class: 'gradlab-muted gradlab-loss-summary' });
  const note = h(doc, 'div', { class: 'gradlab-note gradlab-loss-note', hidden: true });
  const plot = h(doc, 'div', { class: 'gradlab-loss-plot' });
  plot.style.height = `${PLOT_H}px`;
  const message = h(doc, 'div', { class: 'gradlab-note', hidden: true });
  root.append(h(doc, 'div', { class: 'gradlab-header' }, title, status, controls), summary, note, plot, message);

  let latest = first;
  let disposed = false;
  let Plotly: PlotlyModule | null = null;
  let stand: HTMLImageElement | null = null;
  let drawing = false;
  let again = false;
  let frame = 0;
  let timer = 0;
  let resizeFrame = 0;
  let lastDrawEnd = -Infinity;
  let drawCost = 0;

  const now = () => (win?.performance ?? performance).now();

  /** Title, status, last values, the log note: cheap, so done for every payload. */
  const text = (p: LossCurvePayload) => {
    title.textContent = typeof p.title === 'string' && p.title ? p.title : 'loss curve';
    const st = lossCurveStatus(p);
    status.textContent = st.text;
    status.className = `gradlab-status gradlab-status-${st.state}`;
    const xl = typeof p.xLabel === 'string' ? p.xLabel : 'step';
    const series = lossCurveSeries(p, 2); // only last, lowest and counts are read here
    summary.textContent = summary.title = series
      .map((s) =>
        s.last ? `${s.name} ${formatNum(s.last.y)} at ${xl} ${formatNum(s.last.x)}` + (s.min && s.axis === 'y' ? ` (lowest ${formatNum(s.min.y)} at ${formatNum(s.min.x)})` : '') : `${s.name}: no points yet`,
      )
      .join(' · ');
    root.dataset.points = String(series[0]?.count ?? 0);
    smoothOut.textContent = state.smoothing > 0 ? formatNum(state.smoothing) : 'off';
    const problem = state.logY ? logScaleProblem(p) : null;
    note.hidden = problem === null;
    note.textContent = problem ?? '';
  };

  /** The static figure in place of the plot until plotly.js is ready (an image: nothing in it can run). */
  const drawStandIn = () => {
    if (Plotly || disposed) return;
    if (!stand) {
      stand = h(doc, 'img', { class: 'gradlab-loss-static', alt: 'loss curve (static; the interactive plot is loading)' }) as HTMLImageElement;
      plot.replaceChildren(stand);
    }
    stand.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(lossCurveSvg({ ...latest, logY: state.logY, smoothing: state.smoothing }))}`;
  };

  const draw = async (): Promise<void> => {
    if (disposed || !Plotly) return;
    if (drawing) {
      again = true;
      return;
    }
    drawing = true;
    try {
      if (stand) {
        stand.remove();
        stand = null;
      }
      const t0 = now();
      const figure = traces(latest, root, state);
      root.dataset.drawn = String(figure.drawn);
      await Plotly.react(plot, figure.traces, layout(latest, root, figure.logY), {
        responsive: true,
        displaylogo: false,
        modeBarButtonsToRemove: ['select2d', 'lasso2d'],
      });
      // NOTE: the first draw's cost includes plotly's one-time set-up: it does not set the pace of live redraws
      if (lastDrawEnd > -Infinity) drawCost = now() - t0;
      lastDrawEnd = now();
    } finally {
      drawing = false;
    }
    if (again) {
      again = false;
      schedule();
    }
  };

  /** One redraw of the newest payload at the next animation frame, no sooner than the redraw budget allows. */
  const schedule = () => {
    if (disposed || frame || timer) return;
    if (drawing) {
      again = true;
      return;
    }
    if (!Plotly) {
      frame = requestAnimationFrame(() => {
        frame = 0;
        drawStandIn();
      });
      return;
    }
    // the last payload of a run (done or stopped) is drawn at the next frame
    const final = latest.done === true || typeof latest.stopped === 'string';
    const wait = final ? 0 : lastDrawEnd + Math.min(MAX_REDRAW_GAP_MS, Math.max(MIN_REDRAW_MS, 2 * drawCost)) - now();
    if (wait > 0) {
      timer = window.setTimeout(() => {
        timer = 0;
        schedule();
      }, wait);
      return;
    }
    frame = requestAnimationFrame(() => {
      frame = 0;
      void draw();
    });
  };

  slider.addEventListener('input', () => {
    state.smoothing = clampSmoothing(Number(slider.value));
    text(latest);
    if (Plotly && !drawing) void draw();
    else schedule();
  });
  logBox.addEventListener('change', () => {
    state.logY = logBox.checked;
    text(latest);
    if (Plotly && !drawing) void draw();
    else schedule();
  });

  text(first);
  drawStandIn();
  const ready = loadPlotly().then(
    async (mod) => {
      if (disposed) return;
      Plotly = mod;
      await draw();
    },
    (err: unknown) => {
      message.hidden = false;
      message.textContent = `⚠ plotly.js could not be loaded (${err instanceof Error ? err.message : String(err)}); the static figure shows the latest values.`;
    },
  );

  // Plotly's `responsive` follows the window only; an output area also changes width on its own.
  let width = -1;
  const ro =
    typeof ResizeObserver !== 'undefined'
      ? new ResizeObserver((entries) => {
          const w = Math.round(entries[entries.length - 1]?.contentRect.width ?? 0);
          if (w === width) return; // the summary or the note changed height: nothing to redraw
          width = w;
          if (resizeFrame || !Plotly) return;
          resizeFrame = requestAnimationFrame(() => {
            resizeFrame = 0;
            if (!disposed && Plotly && plot.isConnected && !drawing) void Plotly.Plots.resize(plot);
          });
        })
      : null;
  ro?.observe(root);

  // Colours come from --jp-* variables read at draw time; JupyterLab switches themes by changing
  // attributes on <body> without re-rendering outputs, so redraw when they change.
  const body = doc.body;
  const themeObserver =
    typeof MutationObserver !== 'undefined' && body
      ? new MutationObserver(() => void setTimeout(() => void draw(), 50))
      : null;
  themeObserver?.observe(body, { attributes: true, attributeFilter: ['data-jp-theme-light', 'data-jp-theme-name'] });

  const mounted = mount(host, root, {
    dispose() {
      disposed = true;
      ro?.disconnect();
      themeObserver?.disconnect();
      if (frame) cancelAnimationFrame(frame);
      if (resizeFrame) cancelAnimationFrame(resizeFrame);
      if (timer) clearTimeout(timer);
      if (Plotly) Plotly.purge(plot);
    },
  });
  return {
    ready,
    update(p: LossCurvePayload) {
      if (disposed) return;
      latest = p;
      text(p);
      schedule();
    },
    dispose: () => mounted.dispose(),
  };
}

/** Plotly renders a few tags in names and titles; payload text must show as typed. */
function plain(s: unknown): string {
  return asText(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function cssVar(el: Element, name: string, fallback: string): string {
  const view = el.ownerDocument.defaultView;
  const v = view ? view.getComputedStyle(el).getPropertyValue(name).trim() : '';
  return v || fallback;
}

/** The points `idx` of a line as plotly arrays; a non-finite value becomes null (a gap). */
function pick(xs: number[], ys: number[], idx: number[]): { x: number[]; y: (number | null)[] } {
  const x = new Array<number>(idx.length);
  const y = new Array<number | null>(idx.length);
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    x[k] = xs[i];
    y[k] = Number.isFinite(ys[i]) ? ys[i] : null;
  }
  return { x, y };
}

/**
 * Plotly traces for `p` as the user set the toggles: per series its raw line (faint
 * behind the smoothed one when smoothing is on), downsampled to {@link VIEW_MAX_POINTS}.
 * Also whether the loss axis is drawn on a log scale and how many points were drawn.
 */
export function traces(p: LossCurvePayload, el: Element, state: CurveViewState): { traces: PlotlyTrace[]; logY: boolean; drawn: number } {
  const series = Array.isArray(p.series) ? p.series : [];
  const xl = plain(typeof p.xLabel === 'string' ? p.xLabel : 'step');
  const w = clampSmoothing(state.smoothing);
  const out: PlotlyTrace[] = [];
  let drawn = 0;
  series.forEach((s, k) => {
    const colour = cssVar(el, SERIES_VARS[k % SERIES_VARS.length], CURVE_COLOURS[k % CURVE_COLOURS.length]);
    const xr = Array.isArray(s?.x) ? s.x : [];
    const yr = Array.isArray(s?.y) ? s.y : [];
    const n = Math.min(xr.length, yr.length);
    const xs = new Array<number>(n);
    const ys = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      xs[i] = typeof xr[i] === 'number' ? (xr[i] as number) : NaN;
      ys[i] = toNumber(yr[i]);
    }
    const y2 = s?.axis === 'y2';
    const name = plain(s?.name ?? `series ${k + 1}`);
    const raw = pick(xs, ys, downsampleMinMax(xs, ys, VIEW_MAX_POINTS));
    drawn += raw.x.length;
    const line = { color: colour, width: 1.6, dash: y2 ? 'dash' : 'solid' };
    const base = {
      type: 'scatter' as const,
      yaxis: y2 ? ('y2' as const) : ('y' as const),
      legendgroup: `s${k}`,
      connectgaps: false,
    };
    out.push({
      ...base,
      mode: n <= 60 ? 'lines+markers' : 'lines',
      name: w > 0 ? `${name} (raw)` : name,
      x: raw.x,
      y: raw.y,
      line,
      marker: { color: colour, size: 4 },
      ...(w > 0 ? { opacity: 0.3, showlegend: false } : {}),
      hovertemplate: `%{fullData.name}: %{y:.5g}<br>${xl} %{x}<extra></extra>`,
    });
    if (w > 0) {
      const sy = emaSmooth(ys, w);
      const sm = pick(xs, sy, downsampleMinMax(xs, sy, VIEW_MAX_POINTS));
      drawn += sm.x.length;
      out.push({
        ...base,
        mode: 'lines',
        name,
        x: sm.x,
        y: sm.y,
        line: { ...line, width: 2 },
        hovertemplate: `%{fullData.name} (smoothed): %{y:.5g}<br>${xl} %{x}<extra></extra>`,
      });
    }
  });
  return { traces: out, logY: state.logY && logScaleProblem(p) === null, drawn };
}

function layout(p: LossCurvePayload, el: Element, logY: boolean): Record<string, unknown> {
  const fg = cssVar(el, '--jp-ui-font-color1', '#1f2328');
  const muted = cssVar(el, '--jp-ui-font-color2', '#57606a');
  const grid = cssVar(el, '--jp-border-color2', '#e0e0e0');
  const line = cssVar(el, '--jp-border-color1', '#bdbdbd');
  const font = cssVar(el, '--jp-ui-font-family', 'sans-serif');
  const bg = cssVar(el, '--jp-layout-color1', '#ffffff');
  const hasY2 = Array.isArray(p.series) && p.series.some((s) => s?.axis === 'y2');
  const axis = (t: unknown) => ({
    title: { text: plain(t ?? ''), font: { color: muted } },
    gridcolor: grid,
    zerolinecolor: line,
    linecolor: line,
    tickfont: { color: muted },
    // NOTE: no automargin: with it every live redraw measures the tick labels and lays the plot out
    // again (most of a redraw's time in a profile); the fixed margins fit labels up to ~7 characters.
    automargin: false,
  });
  return {
    autosize: true,
    height: PLOT_H,
    margin: { l: 64, r: hasY2 ? 64 : 16, t: 28, b: 44 },
    paper_bgcolor: 'rgba(0,0,0,0)',
    plot_bgcolor: 'rgba(0,0,0,0)',
    font: { family: font, color: fg, size: 12 },
    xaxis: axis(p.xLabel ?? 'step'),
    // a zoom in one scale means nothing in the other: the y view resets when the scale changes
    yaxis: { ...axis(p.yLabel ?? 'loss'), type: logY ? 'log' : 'linear', uirevision: logY ? 'log' : 'linear' },
    ...(hasY2 ? { yaxis2: { ...axis(p.y2Label ?? ''), overlaying: 'y', side: 'right', showgrid: false, tickmode: 'auto' } } : {}),
    legend: { orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom', font: { color: fg } },
    hovermode: 'x unified',
    hoverlabel: { bgcolor: bg, bordercolor: line, font: { color: fg } },
    showlegend: true,
    uirevision: 'gradlab', // keep the user's zoom and hidden series across live updates
  };
}
