/**
 * The confusion-matrix view: rows are the true classes, columns the
 * predicted ones; every count is printed, the diagonal (right) and the other
 * cells (mistakes) are tinted in two colours by their share of the row, so
 * the largest confusions stand out. Hovering a cell says what it counts.
 * Same model as the static HTML table (`confusionMatrixModel`).
 */
import type { ConfusionMatrixPayload } from '../../engine/display/contract';
import { confusionMatrixModel } from '../../engine/display/figures/pictures';
import { h, mount, safely, type View } from './dom';

/** Draws `p` into `host`, replacing whatever view was there. */
export function renderConfusionMatrix(host: HTMLElement, p: ConfusionMatrixPayload): View {
  return safely(host, 'confusion matrix', () => {
    const doc = host.ownerDocument;
    const m = confusionMatrixModel(p);
    const root = h(doc, 'div', { class: 'gradlab-figure gradlab-confusion-matrix', 'data-gradlab-view': 'confusion-matrix' });
    root.append(
      h(doc, 'div', { class: 'gradlab-title' }, m.title),
      h(doc, 'div', { class: 'gradlab-cm-headline' }, m.headline),
      h(doc, 'div', { class: 'gradlab-muted' }, 'Rows: the true class. Columns: the predicted class. The diagonal is right; every other count is a mistake.'),
    );
    const table = h(doc, 'table', { class: 'gradlab-cm-table' });
    const head = h(doc, 'tr', {}, h(doc, 'th', { class: 'gradlab-cm-corner' }, 'true ↓  predicted →'));
    for (const c of m.classes) head.append(h(doc, 'th', { class: 'gradlab-cm-col', scope: 'col' }, c));
    head.append(h(doc, 'th', { class: 'gradlab-cm-col gradlab-muted', scope: 'col' }, 'right'));
    table.append(h(doc, 'thead', {}, head));
    const body = h(doc, 'tbody');
    const details = h(doc, 'div', { class: 'gradlab-details gradlab-muted', 'aria-live': 'polite' }, 'Hover a count: which class was taken for which.');
    for (const r of m.rows) {
      const tr = h(doc, 'tr', {}, h(doc, 'th', { class: 'gradlab-cm-row', scope: 'row' }, r.name));
      for (const c of r.cells) {
        const td = h(
          doc,
          'td',
          {
            class: `gradlab-cm-cell ${c.diagonal ? 'gradlab-cm-diag' : 'gradlab-cm-off'}${c.count ? '' : ' gradlab-cm-zero'}`,
            title: c.describe,
            tabindex: c.count && !c.diagonal ? 0 : null,
            'data-true': c.truth,
            'data-predicted': c.predicted,
          },
          c.count || c.diagonal ? String(c.count) : '·',
        );
        // The tint's strength is data; its colour comes from --jp-* variables in style/base.css.
        td.style.setProperty('--gradlab-share', `${c.count ? Math.round(12 + 58 * c.share) : 0}%`);
        const show = () => (details.textContent = c.describe);
        td.addEventListener('mouseenter', show);
        td.addEventListener('focus', show);
        tr.append(td);
      }
      tr.append(h(doc, 'td', { class: 'gradlab-cm-recall gradlab-num gradlab-muted' }, r.recall));
      body.append(tr);
    }
    table.append(body);
    root.append(h(doc, 'div', { class: 'gradlab-cm-scroll' }, table), details);
    if (m.worst.length) {
      root.append(
        h(doc, 'div', {}, 'Most common mistakes: ' + m.worst.map((c) => `${m.classes[c.truth]} → ${m.classes[c.predicted]} (${c.count})`).join(', ')),
      );
    }
    return mount(host, root, { dispose() {} });
  });
}
