/**
 * plotly.js for the loss-curve view: one dynamic `import()` per page (its 4.6 MB
 * chunk stays out of JupyterLab's start-up), and a preload for when the page is
 * idle. A module of its own so the extension's wiring can preload without
 * importing the view.
 */
export type PlotlyModule = typeof import('plotly.js-dist-min').default;

let plotlyPromise: Promise<PlotlyModule> | null = null;

/** plotly.js, imported once per page. */
export function loadPlotly(): Promise<PlotlyModule> {
  if (!plotlyPromise) {
    plotlyPromise = import('plotly.js-dist-min').then((m) => (m as { default?: PlotlyModule }).default ?? (m as unknown as PlotlyModule));
    plotlyPromise.catch(() => (plotlyPromise = null)); // let a later view try again
  }
  return plotlyPromise;
}

let preloadScheduled = false;

/**
 * Fetches and parses plotly.js when the page is next idle (or after `timeoutMs`),
 * so the first live curve does not stall on it. Safe to call more than once.
 */
export function preloadPlotly(win: Window = window, timeoutMs = 10_000): void {
  if (plotlyPromise || preloadScheduled) return;
  preloadScheduled = true;
  const go = () => void loadPlotly().catch(() => undefined);
  // not every browser has requestIdleCallback: the lib's type says it is always there
  const idler = win as Window & { requestIdleCallback?: Window['requestIdleCallback'] };
  if (idler.requestIdleCallback) idler.requestIdleCallback(go, { timeout: timeoutMs });
  else win.setTimeout(go, Math.min(timeoutMs, 2000));
}
