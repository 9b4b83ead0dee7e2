/**
 * The gradlab JupyterLab mime-renderer extension: wiring only.
 *
 * One renderer factory handles every gradlab MIME type (the contract's
 * `MIME_KINDS`, derived from its one list `MIME`). Every gradlab bundle also
 * carries a static fallback (image/svg+xml, text/html, text/plain) for places
 * without this extension; rank 0 makes JupyterLab prefer our MIME types over
 * those (its built-in renderers rank 50 and up).
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { MIME_KINDS } from '../engine/display/contract';
import { GradlabRenderer } from './renderer';
import { preloadPlotly } from './views/plotly-loader';

/** Lower is preferred; JupyterLab's own renderers start at 50 (html), svg is 80. */
const RANK = 0;

/** Creates one {@link GradlabRenderer} per output. */
export const rendererFactory: IRenderMime.IRendererFactory = {
  // Payloads are plain data; the views build DOM with text nodes, never markup from the payload.
  safe: true,
  mimeTypes: MIME_KINDS.map(({ mime }) => mime),
  defaultRank: RANK,
  createRenderer: (options) => {
    // The first gradlab output of a page (of any kind) fetches plotly.js when the page is next idle,
    // so a live loss curve later does not stall on loading it; JupyterLab itself starts without it.
    preloadPlotly();
    return new GradlabRenderer(options);
  },
};

const extension: IRenderMime.IExtension = {
  id: 'gradlab:renderer',
  description: 'Draws gradlab computational graphs, gradient checks, Jacobian chains, loss curves, decision boundaries, confusion matrices and image grids.',
  rendererFactory,
  rank: RANK,
  dataType: 'json',
};

export default extension;
