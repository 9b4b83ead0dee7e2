/**
 * The four-ways view: one function at one point, its gradient computed by
 * each way (manual, symbolic, numerical, AD forward and reverse mode). Rows
 * are the inputs, column groups the ways; each cell holds the way's ∂f/∂input
 * and its relative error against the symbolic value, tinted by size (agrees
 * to rounding, close, far: the tint's colours are --jp-* variables, and far
 * errors carry ⚠ as well). Under the table, what each way cost; then the
 * symbolic derivatives as text (long ones collapsed behind a button) and the
 * engine's notes. The text comes from `fourWaysModel`, as in the static
 * HTML and text fallbacks.
 */
import type { FourWaysPayload } from '../../engine/display/contract';
import {
  FW_AGREE,
  FW_CLOSE,
  FW_COLLAPSED_CHARS,
  fourWaysModel,
  fourWaysOmitted,
  span,
  type FourWaysModel,
  type FourWaysExpr,
} from '../../engine/display/figures/four-ways';
import { formatCount } from '../../engine/display/figures/format';
import { h, mount, safely, type View } from './dom';

/** Draws `p` into `host`, replacing whatever view was there. */
export function renderFourWays(host: HTMLElement, p: FourWaysPayload): View {
  return safely(host, 'four-ways figure', () => {
    const doc = host.ownerDocument;
    const m = fourWaysModel(p);
    const root = h(doc, 'div', { class: 'gradlab-figure gradlab-four-ways', 'data-gradlab-view': 'four-ways' });
    root.append(
      h(doc, 'div', { class: 'gradlab-title' }, m.title),
      h(doc, 'div', { class: 'gradlab-fw-fn' }, h(doc, 'span', { class: 'gradlab-fw-sig' }, `${m.signature} = `), expression(doc, m.fn, 'f')),
      h(doc, 'div', { class: 'gradlab-muted gradlab-fw-at' }, m.at),
      h(doc, 'div', { class: 'gradlab-fw-summary', role: 'status' }, m.summary),
      h(doc, 'div', { class: 'gradlab-fw-scroll' }, table(doc, m)),
      legend(doc),
    );
    for (const w of m.ways.filter((x) => x.failed !== null)) {
      root.append(h(doc, 'div', { class: 'gradlab-note gradlab-fw-failed' }, h(doc, 'span', { class: 'gradlab-fail' }, '✗ '), `${w.label}: ${w.failed}`));
    }
    for (const line of fourWaysOmitted(m)) root.append(h(doc, 'div', { class: 'gradlab-muted' }, line));
    if (m.derivatives.length) root.append(derivatives(doc, m.derivatives));
    for (const n of m.notes) root.append(h(doc, 'div', { class: 'gradlab-note gradlab-fw-note' }, n));
    return mount(host, root, { dispose() {} });
  });
}

/** The table: a heading per way (label, how, ✗ when it failed), a row per input, then the cost rows. */
function table(doc: Document, m: FourWaysModel): HTMLElement {
  const t = h(doc, 'table', { class: 'gradlab-table gradlab-fw-table' });
  const top = h(doc, 'tr', {}, h(doc, 'th', { rowspan: 2, scope: 'col' }, 'input'), h(doc, 'th', { rowspan: 2, scope: 'col', class: 'gradlab-num' }, 'at'));
  const sub = h(doc, 'tr');
  for (const w of m.ways) {
    top.append(
      h(
        doc,
        'th',
        { colspan: span(w), scope: 'colgroup', class: `gradlab-fw-way gradlab-fw-way-${w.id}`, 'data-way': w.id },
        h(doc, 'div', { class: 'gradlab-fw-label' }, w.label),
        h(doc, 'div', { class: 'gradlab-fw-detail' }, w.detail),
        w.failed !== null && h(doc, 'div', { class: 'gradlab-fail' }, '✗ failed'),
      ),
    );
    sub.append(h(doc, 'th', { class: 'gradlab-num gradlab-fw-first' }, '∂f/∂·'));
    if (!w.reference) sub.append(h(doc, 'th', { class: 'gradlab-num' }, 'rel. error'));
  }
  t.append(h(doc, 'thead', {}, top, sub));
  const body = h(doc, 'tbody');
  for (const r of m.rows) {
    const tr = h(
      doc,
      'tr',
      {},
      h(doc, 'th', { scope: 'row', class: 'gradlab-fw-input' }, r.name),
      h(doc, 'td', { class: 'gradlab-num gradlab-muted' }, r.value),
    );
    r.cells.forEach((c, k) => {
      const cls = `gradlab-num gradlab-fw-${c.level}`;
      tr.append(h(doc, 'td', { class: `${cls} gradlab-fw-first`, title: c.describe, 'data-way': m.ways[k].id }, c.value));
      // the reference's own error is 0 by definition: its column group has the value only
      if (!m.ways[k].reference) tr.append(h(doc, 'td', { class: `${cls} gradlab-fw-err`, title: c.describe, 'data-way': m.ways[k].id }, c.err));
    });
    body.append(tr);
  }
  const costs = h(doc, 'tbody', { class: 'gradlab-fw-costs' });
  for (const c of m.costs) {
    const tr = h(doc, 'tr', {}, h(doc, 'th', { scope: 'row', colspan: 2 }, c.label));
    c.cells.forEach((v, k) =>
      tr.append(h(doc, 'td', { colspan: span(m.ways[k]), class: 'gradlab-num gradlab-fw-first gradlab-fw-cost', 'data-way': m.ways[k].id }, v)),
    );
    costs.append(tr);
  }
  t.append(body, costs);
  return t;
}

/** What the tints mean, in words. */
function legend(doc: Document): HTMLElement {
  return h(
    doc,
    'div',
    { class: 'gradlab-fw-legend gradlab-muted' },
    'relative error against symbolic: ',
    h(doc, 'span', { class: 'gradlab-fw-agree gradlab-fw-key' }, `≤ ${FW_AGREE.toExponential()} agrees to rounding`),
    ' ',
    h(doc, 'span', { class: 'gradlab-fw-close gradlab-fw-key' }, `≤ ${FW_CLOSE.toExponential()} close`),
    ' ',
    h(doc, 'span', { class: 'gradlab-fw-far gradlab-fw-key' }, '⚠ larger'),
  );
}

/** The symbolic derivatives, one line each, with their sizes. */
function derivatives(doc: Document, ds: FourWaysExpr[]): HTMLElement {
  const box = h(
    doc,
    'div',
    { class: 'gradlab-fw-derivs' },
    h(doc, 'div', { class: 'gradlab-fw-head' }, 'symbolic derivatives (size: nodes written out as a tree)'),
  );
  for (const d of ds) {
    box.append(
      h(
        doc,
        'div',
        { class: 'gradlab-fw-deriv' },
        h(doc, 'span', { class: 'gradlab-fw-dname' }, d.name),
        ' ',
        h(doc, 'span', { class: 'gradlab-muted' }, `(size ${d.size})`),
        ' = ',
        expression(doc, d.text, d.name),
      ),
    );
  }
  return box;
}

/** An expression in monospace; past {@link FW_COLLAPSED_CHARS} characters, cut with a button that shows it all (and cuts it again). */
function expression(doc: Document, text: string, name: string): HTMLElement {
  const chars = [...text];
  const code = h(doc, 'code', { class: 'gradlab-fw-expr' });
  if (chars.length <= FW_COLLAPSED_CHARS) {
    code.textContent = text;
    return code;
  }
  const short = chars.slice(0, FW_COLLAPSED_CHARS).join('') + '…';
  const rest = formatCount(chars.length - FW_COLLAPSED_CHARS);
  const button = h(doc, 'button', { type: 'button', class: 'gradlab-button gradlab-fw-more', 'aria-expanded': 'false', 'aria-label': `show all of ${name}` });
  let open = false;
  const show = () => {
    code.textContent = open ? text : short;
    button.textContent = open ? 'show less' : `show all (${rest} more characters)`;
    button.setAttribute('aria-expanded', String(open));
  };
  button.addEventListener('click', () => {
    open = !open;
    show();
  });
  show();
  return h(doc, 'span', { class: 'gradlab-fw-long' }, code, ' ', button);
}
