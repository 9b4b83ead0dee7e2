/**
 * The live loss-curve view: plotly.js, loaded with a dynamic `import()` so its
 * 4.6 MB stay out of JupyterLab's start-up (and fetched ahead, when the page is
 * idle, by `preloadPlotly` in plotly-loader.ts). One line per series, `y2` series (accuracy)
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
import { asText, formatNum, shorten, toNumber } from '../../engine/display/figures/format';
import { drawable, undrawnNote, undrawnPoints } from '../../engine/display/figures/curve-limits';
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
import { h, mount, safely, SVG_NS, type View } from './dom';
import { pacedRedraw, type PacedRedraw } from './frames';
import { loadPlotly, type PlotlyModule } from './plotly-loader';
import { cssVar, plain, plotlyTheme, watchLayout } from './plotly-theme';
import { staleWatch, type StaleWatch } from './stale';

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
/** Characters of a series name shown in the legend (the full name is the entry's tooltip, up to TITLE_MAX). */
const LEGEND_NAME_MAX = 40;
const TITLE_MAX = 1000;
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

/** The view's elements: header (title, status, toggles), summary, notes, the plot. */
type Skeleton = ReturnType<typeof skeleton>;

/** Builds the view's elements (empty: {@link writeText} fills them in). */
function skeleton(doc: Document, state: CurveViewState) {
  const root = h(doc, 'div', { class: 'gradlab-figure gradlab-loss-curve', 'data-gradlab-view': 'loss-curve' });
  const title = h(doc, 'span', { class: 'gradlab-title' });
  const status = h(doc, 'span', { class: 'gradlab-status', role: 'status' });
  const slider = h(doc, 'input', {
    type: 'range',
    min: 0,
    max: 0.99,
    step: 0.01,
    value: state.smoothing,
    class: 'gradlab-loss-smoothing',
    'aria-label': 'smoothing (EMA weight)',
  }) as HTMLInputElement;
  const smoothOut = h(doc, 'output', { class: 'gradlab-num gradlab-loss-smoothing-value' });
  const logBox = h(doc, 'input', { type: 'checkbox', class: 'gradlab-loss-log' }) as HTMLInputElement;
  logBox.checked = state.logY;
  const controls = h(
    doc,
    'div',
    { class: 'gradlab-toolbar gradlab-loss-controls' },
    h(
      doc,
      'label',
      { class: 'gradlab-loss-control', title: 'exponential moving average of each line; the raw line stays faint behind it' },
      'smoothing ',
      slider,
      smoothOut,
    ),
    h(doc, 'label', { class: 'gradlab-loss-control', title: 'log scale on the loss (left) axis' }, logBox, ' log scale'),
  );
  const summary = h(doc, 'div', { class: 'gradlab-muted gradlab-loss-summary' });
  const note = h(doc, 'div', { class: 'gradlab-note gradlab-loss-note', hidden: true });
  const undrawn = h(doc, 'div', { class: 'gradlab-note gradlab-loss-undrawn', hidden: true });
  const plot = h(doc, 'div', { class: 'gradlab-loss-plot' });
  plot.style.height = `${PLOT_H}px`;
  // Axis titles are HTML over the plot's margins: plotly measures its own titles against the tick
  // labels at every redraw (a third of a live redraw's time in a profile of 20 live curves).
  const labels = {
    x: h(doc, 'span', { class: 'gradlab-loss-axis-label gradlab-loss-xlabel' }),
    y: h(doc, 'span', { class: 'gradlab-loss-axis-label gradlab-loss-ylabel' }),
    y2: h(doc, 'span', { class: 'gradlab-loss-axis-label gradlab-loss-y2label' }),
  };
  const area = h(doc, 'div', { class: 'gradlab-loss-plot-area' }, plot, labels.x, labels.y, labels.y2);
  const message = h(doc, 'div', { class: 'gradlab-note', hidden: true });
  root.append(h(doc, 'div', { class: 'gradlab-header' }, title, status, controls), summary, note, undrawn, area, message);
  return { root, title, status, slider, smoothOut, logBox, summary, note, undrawn, plot, labels, message };
}

/**
 * One loss-curve view: its elements, the newest payload, and plotly.js once it
 * has loaded. The text follows every payload at once; the plot is redrawn in
 * the page's frame queue (frames.ts), paced.
 */
class LiveCurve {
  readonly el: Skeleton;
  /** Settles once the first plot is drawn (or plotly failed to load, or the view was disposed). */
  readonly ready: Promise<void>;
  private readonly state: CurveViewState;
  private latest: LossCurvePayload;
  private disposed = false;
  private Plotly: PlotlyModule | null = null;
  /** The static figure in place of the plot until plotly.js is ready (an image: nothing in it can run). */
  private stand: HTMLImageElement | null = null;
  private firstPlot: () => void = () => {};
  private readonly stale: StaleWatch;
  private readonly redraw: PacedRedraw;
  private readonly watchers: View;

  constructor(host: HTMLElement, first: LossCurvePayload) {
    const doc = host.ownerDocument;
    this.state = stateFor(host, first);
    this.el = skeleton(doc, this.state);
    this.latest = first;
    this.ready = new Promise<void>((resolve) => (this.firstPlot = resolve));
    this.stale = staleWatch(() => this.text(this.latest));
    this.redraw = pacedRedraw(doc.defaultView ?? window, () => this.draw(), this.el.root);
    this.el.slider.addEventListener('input', () => {
      this.state.smoothing = clampSmoothing(Number(this.el.slider.value));
      this.toggled();
    });
    this.el.logBox.addEventListener('change', () => {
      this.state.logY = this.el.logBox.checked;
      this.toggled();
    });
    this.stale.track(first, false); // rendered, not received live: a reopened notebook's run is judged by its updatedAt
    this.text(first);
    this.drawStandIn(); // at once: a reopened notebook shows its figure before plotly.js has loaded
    this.load();
    this.watchers = watchLayout(
      this.el.root,
      this.el.plot,
      () => (this.disposed ? null : this.Plotly),
      () => this.redraw.request(true),
    );
  }

  /** Takes the next payload of a live run. */
  update(p: LossCurvePayload): void {
    if (this.disposed) return;
    this.latest = p;
    this.stale.track(p, true);
    this.text(p);
    // the last payload of a run (done or stopped) is drawn without waiting for the pace of live redraws
    this.redraw.request(p.done === true || typeof p.stopped === 'string');
  }

  dispose(): void {
    this.disposed = true;
    this.firstPlot();
    this.redraw.dispose();
    this.stale.dispose();
    this.watchers.dispose();
    if (this.Plotly) this.Plotly.purge(this.el.plot);
  }

  /** Title, status, last values, the notes: cheap, so done for every payload (and when the run goes stale). */
  private text(p: LossCurvePayload): void {
    writeText(this.el, p, this.state, this.stale.now());
  }

  /** A toggle changed: the text (the smoothing value, the log-scale note) at once, the plot at the next turn. */
  private toggled(): void {
    this.text(this.latest);
    this.redraw.request(true);
  }

  /** Fetches plotly.js (once per page, see plotly-loader.ts), then draws with it. */
  private load(): void {
    loadPlotly().then(
      (mod) => {
        if (this.disposed) return this.firstPlot();
        this.Plotly = mod;
        this.redraw.request(true);
      },
      (err: unknown) => {
        this.el.message.hidden = false;
        this.el.message.textContent = `⚠ plotly.js could not be loaded (${err instanceof Error ? err.message : String(err)}); the static figure shows the latest values.`;
        this.firstPlot();
      },
    );
  }

  /** The static figure in place of the plot (the same one the saved notebook shows). */
  private drawStandIn(): void {
    if (!this.stand) {
      this.stand = h(this.el.root.ownerDocument, 'img', {
        class: 'gradlab-loss-static',
        alt: 'loss curve (static; the interactive plot is loading)',
      }) as HTMLImageElement;
      this.el.plot.replaceChildren(this.stand);
    }
    const { state } = this;
    this.stand.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(lossCurveSvg({ ...this.latest, logY: state.logY, smoothing: state.smoothing }))}`;
  }

  /** Draws the newest payload: with plotly once it is loaded, else the stand-in. Runs in the page's frame queue. */
  private async draw(): Promise<void> {
    if (this.disposed) return;
    const { Plotly, latest, el } = this;
    if (!Plotly) return this.drawStandIn();
    if (this.stand) {
      this.stand.remove();
      this.stand = null;
    }
    const figure = traces(latest, el.root, this.state);
    el.root.dataset.drawn = String(figure.drawn);
    await Plotly.react(el.plot, figure.traces, layout(latest, el.root, figure.logY), {
      responsive: true,
      displaylogo: false,
      modeBarButtonsToRemove: ['select2d', 'lasso2d'],
    });
    titleLegend(el.plot, this.latest); // the newest: an update may have come during the await
    this.firstPlot();
  }
}

function build(host: HTMLElement, first: LossCurvePayload): LossCurveView {
  const curve = new LiveCurve(host, first);
  const mounted = mount(host, curve.el.root, { dispose: () => curve.dispose() });
  return {
    ready: curve.ready,
    update: (p: LossCurvePayload) => curve.update(p),
    dispose: () => mounted.dispose(),
  };
}

/**
 * The view's text for `p`: title, axis titles, status (judged at `now`, see stale.ts), last values,
 * the notes. Cheap, so done for every payload, and again when the run goes stale.
 */
function writeText(el: Skeleton, p: LossCurvePayload, state: CurveViewState, now: number): void {
  el.title.textContent = typeof p.title === 'string' && p.title ? p.title : 'loss curve';
  el.labels.x.textContent = asText(p.xLabel, 'step');
  el.labels.y.textContent = asText(p.yLabel, 'loss');
  const hasY2 = Array.isArray(p.series) && p.series.some((s) => s?.axis === 'y2');
  el.labels.y2.textContent = hasY2 ? asText(p.y2Label, '') : '';
  const st = lossCurveStatus(p, now);
  el.status.textContent = st.text;
  el.status.className = `gradlab-status gradlab-status-${st.state}`;
  el.root.classList.toggle('gradlab-loss-stale', st.state === 'stale');
  const xl = typeof p.xLabel === 'string' ? p.xLabel : 'step';
  const series = lossCurveSeries(p, 2); // only last, lowest and counts are read here
  el.summary.textContent = el.summary.title = series
    .map((s) =>
      s.last
        ? `${s.name} ${formatNum(s.last.y)} at ${xl} ${formatNum(s.last.x)}` +
          (s.min && s.axis === 'y' ? ` (lowest ${formatNum(s.min.y)} at ${formatNum(s.min.x)})` : '')
        : `${s.name}: no points yet`,
    )
    .join(' · ');
  el.root.dataset.points = String(series[0]?.count ?? 0);
  el.smoothOut.textContent = state.smoothing > 0 ? formatNum(state.smoothing) : 'off';
  showNote(el.note, state.logY ? logScaleProblem(p) : null);
  showNote(el.undrawn, undrawnNote(undrawnPoints(p)));
}

function showNote(note: HTMLElement, text: string | null): void {
  note.hidden = text === null;
  note.textContent = text ?? '';
}

/**
 * Plotly's legend shows names cut to {@link LEGEND_NAME_MAX} characters; each entry gets the
 * full name (up to {@link TITLE_MAX}) as its tooltip. Entries are matched to series by their
 * legend group (`s<k>`), which plotly keeps on the entry's data.
 */
function titleLegend(plot: HTMLElement, p: LossCurvePayload): void {
  const series = Array.isArray(p.series) ? p.series : [];
  const doc = plot.ownerDocument;
  for (const entry of plot.querySelectorAll('.legend .traces')) {
    const trace = (entry as unknown as { __data__?: { trace?: { legendgroup?: string } }[] }).__data__?.[0]?.trace;
    const k = Number(/^s(\d+)$/.exec(trace?.legendgroup ?? '')?.[1] ?? NaN);
    if (!(k >= 0 && k < series.length)) continue;
    let tip = entry.querySelector(':scope > title');
    if (!tip) {
      tip = doc.createElementNS(SVG_NS, 'title');
      entry.prepend(tip);
    }
    tip.textContent = shorten(asText(series[k]?.name, `series ${k + 1}`), TITLE_MAX);
  }
}

/** The points `idx` of a line as plotly arrays; a value that cannot be drawn (see curve-limits.ts) becomes null (a gap). */
function pick(xs: number[], ys: number[], idx: number[]): { x: number[]; y: (number | null)[] } {
  const x = new Array<number>(idx.length);
  const y = new Array<number | null>(idx.length);
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    const ok = drawable(xs[i]);
    x[k] = ok ? xs[i] : NaN; // NaN: plotly leaves it out of the x axis's range too
    y[k] = ok && drawable(ys[i]) ? ys[i] : null;
  }
  return { x, y };
}

/**
 * Plotly traces for `p` as the user set the toggles: per series its raw line (faint
 * behind the smoothed one when smoothing is on), downsampled to {@link VIEW_MAX_POINTS}.
 * Also whether the loss axis is drawn on a log scale and how many points were drawn.
 */
function traces(p: LossCurvePayload, el: Element, state: CurveViewState): { traces: PlotlyTrace[]; logY: boolean; drawn: number } {
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
      xs[i] = typeof xr[i] === 'number' ? xr[i] : NaN;
      const y = toNumber(yr[i]);
      ys[i] = drawable(y) ? y : NaN; // out of range: a gap, and kept out of the EMA
    }
    const y2 = s?.axis === 'y2';
    const name = plain(shorten(asText(s?.name, `series ${k + 1}`), LEGEND_NAME_MAX));
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
  const { fg, muted, grid, line, font, bg } = plotlyTheme(el);
  const hasY2 = Array.isArray(p.series) && p.series.some((s) => s?.axis === 'y2');
  const axis = () => ({
    gridcolor: grid,
    zerolinecolor: line,
    linecolor: line,
    tickfont: { color: muted },
    // NOTE: 'allow' skips measuring every tick label against the figure's edges at each redraw
    // (a third of a live redraw's time in a profile of 20 live curves)
    ticklabeloverflow: 'allow',
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
    xaxis: axis(),
    // a zoom in one scale means nothing in the other: the y view resets when the scale changes
    yaxis: { ...axis(), type: logY ? 'log' : 'linear', uirevision: logY ? 'log' : 'linear' },
    ...(hasY2 ? { yaxis2: { ...axis(), overlaying: 'y', side: 'right', showgrid: false, tickmode: 'auto' } } : {}),
    legend: { orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom', font: { color: fg } },
    hovermode: 'x unified',
    hoverlabel: { bgcolor: bg, bordercolor: line, font: { color: fg } },
    showlegend: true,
    uirevision: 'gradlab', // keep the user's zoom and hidden series across live updates
  };
}
