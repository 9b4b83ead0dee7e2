/**
 * Static fallbacks of the views, and the figure models the views share.
 *
 * A notebook saved with gradlab outputs is also read where the JupyterLab
 * extension is absent (GitHub, VS Code, `nbconvert --to html`, a printed PDF).
 * Each bundle therefore carries a static form of the same figure: SVG for the
 * graph and the loss curve, HTML and plain-text tables for the gradient check
 * and the Jacobian chain.
 *
 * "The same figure" is kept true by construction: the geometry and the text of
 * each figure are computed once in `figures/` and both the static strings and
 * the extension's DOM views (extension/views/) draw from them: graph.ts (with
 * its layout in graph-layout.ts and its fallbacks in graph-svg.ts),
 * gradcheck.ts, chain.ts, curve.ts (with curve-limits.ts) and pictures.ts
 * (decision boundary, confusion matrix, image grid). This file only gathers
 * them for the engine's `show`; show.ts imports pictures.ts on its own.
 */
export * from './format';
export * from './graph';
export * from './graph-svg';
export * from './gradcheck';
export * from './chain';
export * from './curve';
