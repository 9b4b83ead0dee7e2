/**
 * The image-grid view: small images (digits, a layer's learned weights) in a
 * grid with their captions. Grey images are ink on the page (the theme's text
 * colour on its background); diverging ones show positive and negative values
 * in two colours with 0 blank. Hovering shows the caption and the pixel value
 * under the cursor. Same model as the static SVG (`imageGridModel`).
 */
import type { ImageGridPayload } from '../../engine/display/contract';
import { fmt, imageGridModel } from '../../engine/display/figures/pictures';
import { h, mount, s, safely, type View } from './dom';

/** Draws `p` into `host`, replacing whatever view was there. */
export function renderImageGrid(host: HTMLElement, p: ImageGridPayload): View {
  return safely(host, 'image grid', () => {
    const doc = host.ownerDocument;
    const m = imageGridModel(p);
    const root = h(doc, 'div', { class: 'gradlab-figure gradlab-image-grid', 'data-gradlab-view': 'image-grid' });
    root.append(h(doc, 'div', { class: 'gradlab-title' }, m.title), h(doc, 'div', { class: 'gradlab-muted' }, m.subtitle));
    const top = m.tiles.length ? m.tiles[0].y : 0;
    const height = Math.max(1, m.svgH - top);
    const svg = s(doc, 'svg', { class: 'gradlab-ig-svg', width: m.svgW, height, viewBox: `0 ${top} ${m.svgW} ${height}`, role: 'img' });
    svg.append(s(doc, 'title', {}, `${m.title}: ${m.subtitle}`));
    const iw = m.width * m.pixel;
    const ih = m.height * m.pixel;
    for (const t of m.tiles) {
      const g = s(doc, 'g', { class: 'gradlab-ig-tile', transform: `translate(${t.x + m.imageX},${t.y})`, 'data-index': t.index });
      g.append(s(doc, 'title', {}, t.caption || `image ${t.index}`), s(doc, 'rect', { class: 'gradlab-ig-bg', width: iw, height: ih }));
      const px = s(doc, 'g', { 'shape-rendering': 'crispEdges' });
      for (const q of t.pixels) {
        const cls = m.scale === 'grey' ? 'gradlab-ig-ink' : q.negative ? 'gradlab-ig-neg' : 'gradlab-ig-pos';
        px.append(s(doc, 'rect', { class: cls, x: q.x, y: q.y, width: m.pixel, height: m.pixel, 'fill-opacity': q.opacity }));
      }
      g.append(px);
      svg.append(g);
      if (m.captionH) {
        svg.append(s(doc, 'text', { class: 'gradlab-ig-caption', x: t.x + m.tileW / 2, y: t.y + ih + 12, 'text-anchor': 'middle' }, t.shortCaption));
      }
    }
    const details = h(
      doc,
      'div',
      { class: 'gradlab-details gradlab-muted', 'aria-live': 'polite' },
      'Hover an image: its caption and the value under the cursor.',
    );
    root.append(h(doc, 'div', { class: 'gradlab-ig-scroll' }, svg), details);

    const onMove = (e: MouseEvent) => {
      const box = svg.getBoundingClientRect();
      const k = box.width > 0 ? m.svgW / box.width : 1;
      const x = (e.clientX - box.left) * k;
      const y = (e.clientY - box.top) * k + top;
      const t = m.tiles.find((q) => x >= q.x && x < q.x + m.tileW && y >= q.y && y < q.y + m.tileH);
      if (!t) return;
      const v = m.valueAt(t, x, y);
      const name = t.caption || `image ${t.index}`;
      details.textContent = v ? `${name}: pixel (row ${v.row}, column ${v.col}) = ${fmt(v.value)}   (range ${fmt(t.range[0])} … ${fmt(t.range[1])})` : name;
    };
    svg.addEventListener('mousemove', onMove);
    return mount(host, root, { dispose: () => svg.removeEventListener('mousemove', onMove) });
  });
}
