/**
 * The line-plot view (`gl.plot`): plotly.js, loaded once per page through
 * plotly-loader.ts as the loss curve does, drawing the runs of the figure model
 * (engine/display/figures/plot.ts) — so the view and the static SVG leave out
 * the same points and say so in the same words. Linear or log axes, a legend,
 * values on hover, colours from the JupyterLab theme (redrawn when it
 * switches). Until plotly is ready the static figure stands in.
 *
 * A plot is static: no live updates, so `renderModel` again draws it anew.
 */
import type { PlotPayload } from '../../engine/display/contract';
import type { PlotlyTrace } from 'plotly.js-dist-min';
import { shorten } from '../../engine/display/figures/format';
import { CURVE_COLOURS } from '../../engine/display/figures/curve';
import { plotModel, plotSvg, type PlotModel } from '../../engine/display/figures/plot';
import { h, mount, safely, type View } from './dom';
import { cssVar, plain, plotlyTheme, watchLayout } from './plotly-theme';
import { loadPlotly, type PlotlyModule } from './plotly-loader';

/** The line-plot view: `ready` settles once plotly has drawn (or failed to load, or the view was disposed). */
export interface LinePlotView extends View {
  readonly ready: Promise<void>;
}

/** Plot height in pixels. */
const PLOT_H = 340;
/** Characters of a series name in the legend and on hover. */
const NAME_MAX = 40;
/** Theme variables for the first series' colours; the static figure's colours after them and as fallbacks. */
const SERIES_VARS = ['--jp-brand-color1', '--jp-warn-color1', '--jp-accent-color1', '--jp-error-color1'];

/** Draws `p` into `host`, replacing whatever view was there. */
export function renderLinePlot(host: HTMLElement, p: PlotPayload): LinePlotView {
  let view: LinePlotView | null = null;
  const base = safely(host, 'plot', () => {
    view = build(host, p);
    return view;
  });
  return view ?? { dispose: () => base.dispose(), ready: Promise.resolve() };
}

/** The view's elements: title, notes, the plot (the static figure until plotly.js is ready), a message. */
function skeleton(doc: Document, m: PlotModel) {
  const root = h(doc, 'div', { class: 'gradlab-figure gradlab-line-plot', 'data-gradlab-view': 'plot' });
  const title = h(doc, 'div', { class: 'gradlab-header' }, h(doc, 'span', { class: 'gradlab-title' }, m.title));
  const notes = h(doc, 'ul', { class: 'gradlab-note gradlab-plot-notes', hidden: !m.notes.length });
  for (const n of m.notes) notes.append(h(doc, 'li', {}, n));
  const plot = h(doc, 'div', { class: 'gradlab-plot-area' });
  plot.style.height = `${PLOT_H}px`;
  const message = h(doc, 'div', { class: 'gradlab-note', hidden: true });
  root.append(title, plot, notes, message);
  return { root, plot, message };
}

function build(host: HTMLElement, p: PlotPayload): LinePlotView {
  const doc = host.ownerDocument;
  const m = plotModel(p);
  const el = skeleton(doc, m);
  const stand = h(doc, 'img', { class: 'gradlab-plot-static', alt: `${m.title} (static; the interactive plot is loading)` }) as HTMLImageElement;
  stand.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(plotSvg(p))}`;
  el.plot.append(stand);
  let Plotly: PlotlyModule | null = null;
  let disposed = false;
  let done: () => void = () => {};
  const ready = new Promise<void>((resolve) => (done = resolve));
  const draw = async () => {
    if (disposed || !Plotly) return;
    stand.remove();
    el.root.dataset.drawn = String(m.lines.reduce((t, l) => t + l.runs.reduce((u, r) => u + r.length, 0), 0));
    await Plotly.react(el.plot, traces(m, el.root), layout(m, el.root), {
      responsive: true,
      displaylogo: false,
      modeBarButtonsToRemove: ['select2d', 'lasso2d'],
    });
  };
  const watchers = watchLayout(
    el.root,
    el.plot,
    () => (disposed ? null : Plotly),
    () => void draw(),
  );
  loadPlotly().then(
    (mod) => {
      Plotly = mod;
      void draw().finally(done);
    },
    (err: unknown) => {
      el.message.hidden = false;
      el.message.textContent = `⚠ plotly.js could not be loaded (${err instanceof Error ? err.message : String(err)}); the static figure is shown.`;
      done();
    },
  );
  const mounted = mount(host, el.root, {
    dispose() {
      disposed = true;
      done();
      watchers.dispose();
      if (Plotly) Plotly.purge(el.plot);
    },
  });
  return { ready, dispose: () => mounted.dispose() };
}

/** One plotly trace per series: its runs joined with gaps (a NaN x and a null y end a run). */
function traces(m: PlotModel, el: Element): PlotlyTrace[] {
  const xl = plain(m.xLabel);
  return m.lines.map((l, k) => {
    const colour = k < SERIES_VARS.length ? cssVar(el, SERIES_VARS[k], CURVE_COLOURS[k]) : CURVE_COLOURS[k % CURVE_COLOURS.length];
    const x: number[] = [];
    const y: (number | null)[] = [];
    l.runs.forEach((r, i) => {
      if (i > 0) {
        x.push(NaN);
        y.push(null);
      }
      for (const q of r) {
        x.push(q.x);
        y.push(q.y);
      }
    });
    const name = plain(shorten(l.name, NAME_MAX));
    return {
      type: 'scatter' as const,
      mode: l.mode,
      name,
      x,
      y,
      connectgaps: false,
      legendgroup: `s${k}`,
      line: { color: colour, width: 2, dash: l.dash ? 'dash' : 'solid' },
      marker: { color: colour, size: 5 },
      hovertemplate: `${name}: %{y:.6g}<br>${xl} = %{x:.6g}<extra></extra>`,
    };
  });
}

/** Axes (log or linear, with their titles), legend and hover, coloured from the theme's --jp-* variables. */
function layout(m: PlotModel, el: Element): Record<string, unknown> {
  const { fg, muted, grid, line, font, bg } = plotlyTheme(el);
  const axis = (title: string, log: boolean) => ({
    type: log ? 'log' : 'linear',
    title: { text: plain(title), font: { color: fg } },
    exponentformat: 'power',
    gridcolor: grid,
    zerolinecolor: line,
    linecolor: line,
    tickfont: { color: muted },
    automargin: true,
  });
  return {
    autosize: true,
    height: PLOT_H,
    margin: { l: 64, r: 16, t: 16, b: 48 },
    paper_bgcolor: 'rgba(0,0,0,0)',
    plot_bgcolor: 'rgba(0,0,0,0)',
    font: { family: font, color: fg, size: 12 },
    xaxis: axis(m.xLabel, m.x.log),
    yaxis: axis(m.yLabel, m.y.log),
    legend: { font: { color: fg }, bgcolor: 'rgba(0,0,0,0)' },
    showlegend: true,
    hovermode: 'closest',
    hoverlabel: { bgcolor: bg, bordercolor: line, font: { color: fg } },
  };
}
