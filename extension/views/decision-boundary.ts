/**
 * The decision-boundary view: the plane shaded by the predicted class (deeper
 * where the classifier is surer), the boundary as a line, and the data as
 * markers whose shape and colour say the true class, misclassified points
 * ringed. Hovering shows the place under the cursor and what is predicted
 * there, or the point's label and prediction. Same figure as the static SVG
 * (`decisionBoundaryModel`).
 */
import type { DecisionBoundaryPayload } from '../../engine/display/contract';
import { decisionBoundaryModel, fmt, markerPath, type DecisionBoundaryModel } from '../../engine/display/figures/pictures';
import { h, mount, s, safely, type View } from './dom';

/** CSS class of class `k`'s colour (ten, then they repeat; the marker shapes tell them apart). */
const colourClass = (k: number) => `gradlab-c${((k % 10) + 10) % 10}`;

/** Draws `p` into `host`, replacing whatever view was there. */
export function renderDecisionBoundary(host: HTMLElement, p: DecisionBoundaryPayload): View {
  return safely(host, 'decision boundary', () => {
    const doc = host.ownerDocument;
    const m = decisionBoundaryModel(p);
    const root = h(doc, 'div', { class: 'gradlab-figure gradlab-decision-boundary', 'data-gradlab-view': 'decision-boundary' });
    root.append(h(doc, 'div', { class: 'gradlab-title' }, m.title), h(doc, 'div', { class: 'gradlab-muted' }, m.subtitle));
    const svg = plotSvg(doc, m);
    const details = h(
      doc,
      'div',
      { class: 'gradlab-details gradlab-muted', 'aria-live': 'polite' },
      'Hover the plot: the prediction at each place, or a point’s label.',
    );
    const body = h(doc, 'div', { class: 'gradlab-db-body' }, svg, legend(doc, m));
    root.append(body, details);
    const onMove = (e: MouseEvent) => {
      const text = hoverText(m, svg, e);
      if (text !== null) details.textContent = text;
    };
    svg.addEventListener('mousemove', onMove);
    return mount(host, root, { dispose: () => svg.removeEventListener('mousemove', onMove) });
  });
}

/** The plot: regions, boundary, frame, points (misclassified ones ringed), axes. */
function plotSvg(doc: Document, m: DecisionBoundaryModel): SVGElement {
  const { plot } = m;
  const W = plot.x + plot.w + 8;
  const svg = s(doc, 'svg', { class: 'gradlab-db-svg', width: W, height: m.height, viewBox: `0 0 ${W} ${m.height}`, role: 'img' });
  svg.append(s(doc, 'title', {}, `${m.title}: ${m.subtitle}`));
  const regions = s(doc, 'g', { 'shape-rendering': 'crispEdges' });
  for (const r of m.runs) {
    regions.append(s(doc, 'rect', { class: `gradlab-db-region ${colourClass(r.cls)}`, x: r.x, y: r.y, width: r.w, height: r.h, 'fill-opacity': r.opacity }));
  }
  svg.append(regions);
  if (m.boundary) svg.append(s(doc, 'path', { class: 'gradlab-db-boundary', d: m.boundary }));
  svg.append(s(doc, 'rect', { class: 'gradlab-db-frame', x: plot.x, y: plot.y, width: plot.w, height: plot.h }));
  const points = s(doc, 'g', { class: 'gradlab-db-points' });
  for (const q of m.points) {
    points.append(
      s(doc, 'path', {
        class: `gradlab-db-point ${colourClass(q.label)}`,
        transform: `translate(${q.px},${q.py})`,
        d: markerPath(q.label),
        'data-index': q.index,
      }),
    );
    if (!q.ok) points.append(s(doc, 'circle', { class: 'gradlab-db-wrong', cx: q.px, cy: q.py, r: 8 }));
  }
  svg.append(points, axes(doc, m));
  // The model leaves room above the plot for the static SVG's title; the view has it in HTML.
  svg.setAttribute('viewBox', `0 ${plot.y - 8} ${W} ${m.height - plot.y + 8}`);
  svg.setAttribute('height', String(m.height - plot.y + 8));
  return svg;
}

/** Ticks and axis labels. */
function axes(doc: Document, m: DecisionBoundaryModel): SVGElement {
  const { plot } = m;
  const g = s(doc, 'g', { class: 'gradlab-db-axes' });
  for (const t of m.xTicks) {
    g.append(
      s(doc, 'line', { x1: t.px, x2: t.px, y1: plot.y + plot.h, y2: plot.y + plot.h + 4 }),
      s(doc, 'text', { x: t.px, y: plot.y + plot.h + 15, 'text-anchor': 'middle' }, t.text),
    );
  }
  for (const t of m.yTicks) {
    g.append(s(doc, 'line', { x1: plot.x - 4, x2: plot.x, y1: t.px, y2: t.px }), s(doc, 'text', { x: plot.x - 6, y: t.px + 4, 'text-anchor': 'end' }, t.text));
  }
  g.append(
    s(doc, 'text', { class: 'gradlab-db-label', x: plot.x + plot.w / 2, y: plot.y + plot.h + 32, 'text-anchor': 'middle' }, m.xLabel),
    s(doc, 'text', { class: 'gradlab-db-label', transform: `translate(14,${plot.y + plot.h / 2}) rotate(-90)`, 'text-anchor': 'middle' }, m.yLabel),
  );
  return g;
}

/** The classes' markers with names and counts, and the ring of the misclassified. */
function legend(doc: Document, m: DecisionBoundaryModel): HTMLElement {
  const el = h(doc, 'div', { class: 'gradlab-db-legend' });
  for (const l of m.legend) {
    const mark = s(
      doc,
      'svg',
      { width: 14, height: 14, viewBox: '-7 -7 14 14', 'aria-hidden': 'true' },
      s(doc, 'path', { class: `gradlab-db-point ${colourClass(l.cls)}`, d: l.marker }),
    );
    el.append(h(doc, 'span', { class: 'gradlab-legend-item', 'data-class': l.cls }, mark, `${l.name} (${l.count}, ${l.shape})`));
  }
  if (m.misclassified) {
    const ring = s(doc, 'svg', { width: 16, height: 16, viewBox: '-8 -8 16 16', 'aria-hidden': 'true' }, s(doc, 'circle', { class: 'gradlab-db-wrong', r: 6 }));
    el.append(h(doc, 'span', { class: 'gradlab-legend-item' }, ring, `misclassified (${m.misclassified})`));
  }
  return el;
}

/** What the details say for the pointer at `e` over `svg`: the point within 6 px, or the prediction there; null outside the plot. */
function hoverText(m: DecisionBoundaryModel, svg: SVGElement, e: MouseEvent): string | null {
  const name = (k: number) => m.classes[k] ?? String(k);
  const box = svg.getBoundingClientRect();
  const vb = svg.getAttribute('viewBox')!.split(' ').map(Number);
  const k = box.width > 0 ? vb[2] / box.width : 1;
  const x = (e.clientX - box.left) * k + vb[0];
  const y = (e.clientY - box.top) * k + vb[1];
  let near: (typeof m.points)[number] | null = null;
  let best = 36; // within 6 px
  for (const q of m.points) {
    const d = (q.px - x) ** 2 + (q.py - y) ** 2;
    if (d < best) [best, near] = [d, q];
  }
  if (near) {
    return (
      `point ${near.index} at (${fmt(near.x)}, ${fmt(near.y)}): class ${name(near.label)}, predicted ${name(near.predicted)} ` + (near.ok ? '✓' : '✗ wrong')
    );
  }
  const cell = m.cellAt(x, y);
  if (!cell) return null;
  return (
    `at (${fmt(cell.x)}, ${fmt(cell.y)}) the classifier predicts ${name(cell.predicted)}` +
    (cell.confidence !== null && Number.isFinite(cell.confidence) ? ` with probability ${cell.confidence.toFixed(2)}` : '')
  );
}
