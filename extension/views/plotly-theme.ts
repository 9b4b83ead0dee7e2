/**
 * What every plotly view needs from the page (the loss curve, the line plot): its colours from the
 * JupyterLab theme's --jp-* variables, payload text made plain for plotly, and a redraw when the
 * output's width or the theme changes.
 */
import { asText } from '../../engine/display/figures/format';
import type { View } from './dom';
import type { PlotlyModule } from './plotly-loader';

/** Plotly renders a few tags in names and titles; payload text must show as typed. */
export function plain(s: unknown): string {
  return asText(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function cssVar(el: Element, name: string, fallback: string): string {
  const view = el.ownerDocument.defaultView;
  const v = view ? view.getComputedStyle(el).getPropertyValue(name).trim() : '';
  return v || fallback;
}

/** The theme's colours and font for a plot's text, grid, lines and hover labels, read at draw time. */
export function plotlyTheme(el: Element): { fg: string; muted: string; grid: string; line: string; font: string; bg: string } {
  return {
    fg: cssVar(el, '--jp-ui-font-color1', '#1f2328'),
    muted: cssVar(el, '--jp-ui-font-color2', '#57606a'),
    grid: cssVar(el, '--jp-border-color2', '#e0e0e0'),
    line: cssVar(el, '--jp-border-color1', '#bdbdbd'),
    font: cssVar(el, '--jp-ui-font-family', 'sans-serif'),
    bg: cssVar(el, '--jp-layout-color1', '#ffffff'),
  };
}

/**
 * Width changes of the output (plotly's `responsive` follows the window only) resize the plot;
 * a theme switch redraws it (colours come from --jp-* variables read at draw time, and JupyterLab
 * switches themes by changing attributes on <body> without rendering the outputs again).
 */
export function watchLayout(root: HTMLElement, plot: HTMLElement, plotly: () => PlotlyModule | null, redraw: () => void): View {
  const doc = root.ownerDocument;
  let width = -1;
  let frame = 0;
  const ro =
    typeof ResizeObserver !== 'undefined'
      ? new ResizeObserver((entries) => {
          const w = Math.round(entries[entries.length - 1]?.contentRect.width ?? 0);
          if (w === width) return; // the summary or a note changed height: nothing to redraw
          width = w;
          if (frame || !plotly()) return;
          frame = requestAnimationFrame(() => {
            frame = 0;
            const P = plotly();
            if (P && plot.isConnected) void P.Plots.resize(plot);
          });
        })
      : null;
  ro?.observe(root);
  const body = doc.body;
  let timer = 0;
  const themes =
    typeof MutationObserver !== 'undefined' && body
      ? new MutationObserver(() => {
          clearTimeout(timer);
          timer = window.setTimeout(redraw, 50);
        })
      : null;
  themes?.observe(body, { attributes: true, attributeFilter: ['data-jp-theme-light', 'data-jp-theme-name'] });
  return {
    dispose() {
      ro?.disconnect();
      themes?.disconnect();
      if (frame) cancelAnimationFrame(frame);
      clearTimeout(timer);
    },
  };
}
