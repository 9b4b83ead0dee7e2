/**
 * The live loss-curve view: plotly.js, loaded on first use with a dynamic
 * `import()` so its 4.6 MB stay out of JupyterLab's start-up. One line per
 * series, `y2` series on a right axis, values on hover, and a status line
 * (training… / done / stopped: why) with the last values as text, which shows
 * at once, before plotly has loaded.
 *
 * Live updates: the renderer calls `update(p)` for each `update_display_data`;
 * the plot is redrawn with `Plotly.react` (no flicker, the user's zoom kept
 * through `uirevision`), and updates arriving while plotly loads or draws are
 * coalesced into one redraw of the newest payload.
 */
import type { LossCurvePayload } from '../../engine/display/contract';
import type { PlotlyTrace } from 'plotly.js-dist-min';
import { asText, formatNum, toNumber } from '../../engine/display/figures/format';
import { CURVE_COLOURS, lossCurveSeries, lossCurveStatus } from '../../engine/display/figures/curve';
import { h, mount, safely, type View } from './dom';

type PlotlyModule = typeof import('plotly.js-dist-min').default;

let plotlyPromise: Promise<PlotlyModule> | null = null;

/** plotly.js, imported once per page. */
function loadPlotly(): Promise<PlotlyModule> {
  if (!plotlyPromise) {
    plotlyPromise = import('plotly.js-dist-min').then((m) => ((m as { default?: PlotlyModule }).default ?? (m as unknown as PlotlyModule)));
    plotlyPromise.catch(() => (plotlyPromise = null)); // let a later view try again
  }
  return plotlyPromise;
}

/** The loss-curve view: `update` redraws in place; `ready` settles once the first plot is drawn (or failed). */
export interface LossCurveView extends View {
  update(p: LossCurvePayload): void;
  readonly ready: Promise<void>;
}

/** Plot height in pixels. */
const PLOT_H = 320;
/** Theme variables for the series colours, in order; the static curve's colours are the fallbacks. */
const SERIES_VARS = ['--jp-brand-color1', '--jp-warn-color1', '--jp-accent-color1', '--jp-error-color1'];

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
  const root = h(doc, 'div', { class: 'gradlab-figure gradlab-loss-curve', 'data-gradlab-view': 'loss-curve' });
  const title = h(doc, 'span', { class: 'gradlab-title' });
  const status = h(doc, 'span', { class: 'gradlab-status', role: 'status' });
  const summary = h(doc, 'div', { class: 'gradlab-muted gradlab-loss-summary' });
  const plot = h(doc, 'div', { class: 'gradlab-loss-plot' });
  plot.style.height = `${PLOT_H}px`;
  const message = h(doc, 'div', { class: 'gradlab-note', hidden: true });
  root.append(h(doc, 'div', { class: 'gradlab-header' }, title, status), summary, plot, message);

  let latest = first;
  let disposed = false;
  let Plotly: PlotlyModule | null = null;
  let drawing = false;
  let again = false;
  let raf = 0;

  const text = (p: LossCurvePayload) => {
    title.textContent = typeof p.title === 'string' && p.title ? p.title : 'loss curve';
    const st = lossCurveStatus(p);
    status.textContent = st.text;
    status.className = `gradlab-status gradlab-status-${st.state}`;
    const xl = typeof p.xLabel === 'string' ? p.xLabel : 'step';
    const parts = lossCurveSeries(p, Infinity).map((s) =>
      s.last ? `${s.name} ${formatNum(s.last.y)} at ${xl} ${formatNum(s.last.x)}` + (s.min && s.axis === 'y' ? ` (lowest ${formatNum(s.min.y)} at ${formatNum(s.min.x)})` : '') : `${s.name}: no points yet`,
    );
    summary.textContent = parts.join(' · ');
  };

  const draw = async (): Promise<void> => {
    if (disposed || !Plotly) return;
    if (drawing) {
      again = true;
      return;
    }
    drawing = true;
    try {
      do {
        again = false;
        const p = latest;
        await Plotly.react(plot, traces(p, root), layout(p, root), { responsive: true, displaylogo: false, modeBarButtonsToRemove: ['select2d', 'lasso2d'] });
      } while (again && !disposed);
    } finally {
      drawing = false;
    }
  };

  text(first);
  const ready = loadPlotly().then(
    async (mod) => {
      if (disposed) return;
      Plotly = mod;
      await draw();
    },
    (err: unknown) => {
      message.hidden = false;
      message.textContent = `⚠ plotly.js could not be loaded (${err instanceof Error ? err.message : String(err)}); the values above are the latest.`;
    },
  );

  // Plotly's `responsive` follows the window only; an output area also changes width on its own.
  const ro =
    typeof ResizeObserver !== 'undefined'
      ? new ResizeObserver(() => {
          if (raf || !Plotly) return;
          raf = requestAnimationFrame(() => {
            raf = 0;
            if (!disposed && Plotly && plot.isConnected) void Plotly.Plots.resize(plot);
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
      if (raf) cancelAnimationFrame(raf);
      if (Plotly) Plotly.purge(plot);
    },
  });
  return {
    ready,
    update(p: LossCurvePayload) {
      if (disposed) return;
      latest = p;
      text(p);
      void draw();
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

function traces(p: LossCurvePayload, el: Element): PlotlyTrace[] {
  const series = Array.isArray(p.series) ? p.series : [];
  const xl = plain(typeof p.xLabel === 'string' ? p.xLabel : 'step');
  return series.map((s, k) => {
    const colour = cssVar(el, SERIES_VARS[k % SERIES_VARS.length], CURVE_COLOURS[k % CURVE_COLOURS.length]);
    const x = Array.isArray(s?.x) ? s.x.map((v) => (typeof v === 'number' ? v : NaN)) : [];
    const y = Array.isArray(s?.y) ? s.y.map((v) => {
      const n = toNumber(v);
      return Number.isFinite(n) ? n : null; // NaN and infinities leave a gap
    }) : [];
    const n = Math.min(x.length, y.length);
    const y2 = s?.axis === 'y2';
    return {
      type: 'scatter',
      mode: n <= 60 ? 'lines+markers' : 'lines',
      name: plain(s?.name ?? `series ${k + 1}`),
      x: x.slice(0, n),
      y: y.slice(0, n),
      yaxis: y2 ? 'y2' : 'y',
      line: { color: colour, width: 1.6, dash: y2 ? 'dash' : 'solid' },
      marker: { color: colour, size: 4 },
      connectgaps: false,
      hovertemplate: `%{fullData.name}: %{y:.5g}<br>${xl} %{x}<extra></extra>`,
    };
  });
}

function layout(p: LossCurvePayload, el: Element): Record<string, unknown> {
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
    automargin: true,
  });
  return {
    autosize: true,
    height: PLOT_H,
    margin: { l: 56, r: hasY2 ? 56 : 16, t: 28, b: 44 },
    paper_bgcolor: 'rgba(0,0,0,0)',
    plot_bgcolor: 'rgba(0,0,0,0)',
    font: { family: font, color: fg, size: 12 },
    xaxis: axis(p.xLabel ?? 'step'),
    yaxis: axis(p.yLabel ?? 'loss'),
    ...(hasY2 ? { yaxis2: { ...axis(p.y2Label ?? ''), overlaying: 'y', side: 'right', showgrid: false, tickmode: 'auto' } } : {}),
    legend: { orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom', font: { color: fg } },
    hovermode: 'x unified',
    hoverlabel: { bgcolor: bg, bordercolor: line, font: { color: fg } },
    showlegend: true,
    uirevision: 'gradlab', // keep the user's zoom and hidden series across live updates
  };
}
