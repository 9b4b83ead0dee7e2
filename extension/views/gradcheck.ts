/**
 * The gradient-check view: pass or fail as ✓/✗ and colour (reports are often
 * printed in grey), the largest relative error and the settings, a line per
 * input, the entries worst first, and the forward-mode check. The rows come
 * from `gradCheckModel`, the same ones the static HTML and text tables show.
 */
import type { GradCheckPayload } from '../../engine/display/contract';
import { gradCheckModel, STATIC_ROWS } from '../../engine/display/figures/gradcheck';
import { h, mount, safely, type View } from './dom';

/** Draws `p` into `host`, replacing whatever view was there. */
export function renderGradCheck(host: HTMLElement, p: GradCheckPayload): View {
  return safely(host, 'gradient check', () => {
    const doc = host.ownerDocument;
    const m = gradCheckModel(p);
    const okClass = (ok: boolean | null) => (ok === null ? 'gradlab-muted' : ok ? 'gradlab-pass' : 'gradlab-fail');
    const root = h(doc, 'div', { class: 'gradlab-figure gradlab-gradcheck', 'data-gradlab-view': 'gradcheck' });
    root.append(
      h(doc, 'div', { class: `gradlab-headline ${okClass(m.ok)}`, role: 'status' }, m.headline),
      h(doc, 'div', { class: 'gradlab-muted' }, m.settings),
    );

    const inputs = h(doc, 'table', { class: 'gradlab-table gradlab-gradcheck-inputs' });
    inputs.append(row(doc, 'th', ['', 'input', 'shape', 'entries', 'max rel. error'], [3, 4]));
    for (const i of m.inputs) {
      const tr = row(doc, 'td', [i.mark, i.name, i.shape, i.count, i.maxRelError], [3, 4]);
      tr.className = i.ok ? 'gradlab-row-pass' : 'gradlab-row-fail';
      tr.firstElementChild!.classList.add('gradlab-mark', okClass(i.ok));
      inputs.append(tr);
    }
    root.append(inputs);

    const scroll = h(doc, 'div', { class: 'gradlab-table-scroll' });
    const table = h(doc, 'table', { class: 'gradlab-table gradlab-gradcheck-entries' });
    table.append(row(doc, 'th', m.columns, NUMERIC));
    const body = h(doc, 'tbody');
    const addRows = (from: number, to: number) => {
      for (const r of m.rows.slice(from, to)) {
        const tr = row(doc, 'td', r.cells, NUMERIC);
        tr.className = r.ok ? 'gradlab-row-pass' : 'gradlab-row-fail';
        tr.lastElementChild!.classList.add('gradlab-mark', okClass(r.ok));
        body.append(tr);
      }
    };
    addRows(0, STATIC_ROWS);
    table.append(body);
    scroll.append(table);
    root.append(scroll);

    if (m.rows.length > STATIC_ROWS) {
      const more = h(doc, 'button', { type: 'button', class: 'gradlab-button' }, `show all ${m.rows.length} entries`);
      more.addEventListener('click', () => {
        addRows(STATIC_ROWS, m.rows.length);
        more.remove();
      });
      root.append(more);
    }
    if (m.notShown > 0) {
      root.append(h(doc, 'div', { class: 'gradlab-muted' }, `… ${m.notShown} more entries were checked; the payload keeps the worst ones.`));
    }
    root.append(h(doc, 'div', { class: `gradlab-forward ${okClass(m.forward.ok)}` }, m.forward.text));
    return mount(host, root, { dispose() {} });
  });
}

/** Columns of the entries table holding numbers (right-aligned). */
const NUMERIC = [2, 3, 4];

function row(doc: Document, cell: 'td' | 'th', cells: string[], numeric: number[]): HTMLElement {
  const tr = h(doc, 'tr');
  cells.forEach((c, k) => tr.append(h(doc, cell, { class: numeric.includes(k) ? 'gradlab-num' : null }, c)));
  return tr;
}
