/**
 * The Jacobian-chain view: each op's Jacobian as a block, height ∝ rows
 * (output size) and width ∝ columns (input size), on a sub-linear scale when
 * sizes differ by orders of magnitude, with the exact dimensions printed. The
 * blocks are drawn in the order the product is written, J = J_k ··· J_1, so
 * adjacent blocks share a side (J_i's columns = J_{i−1}'s rows) and "forward"
 * and "reverse" read as "start multiplying from the right" and "from the
 * left". Below: both multiply-add counts as bars, and the answer to "which is
 * faster here?". Then the table of forward, reverse and the cheapest order
 * (dynamic programming over the chain): the bracketed product, multiply-adds
 * and memory — the largest number of entries alive at once (partial products
 * plus the activations the forward pass keeps until their Jacobian is
 * applied) — with the cheapest marked "✓ cheapest" in words, not by colour
 * alone. Last, for each FC step's parameter (W, b): the full Jacobian ∂y/∂W
 * (never formed) next to what backprop computes instead (gW = gy·xᵀ), as
 * numbers. Same model as the static HTML fallback (`jacobianChainModel`).
 */
import type { JacobianChainPayload } from '../../engine/display/contract';
import { formatCount } from '../../engine/display/figures/format';
import { jacobianChainModel, jName, MEMORY_NOTE, ORDER_HEAD, paramColumns, type JacobianChainModel } from '../../engine/display/figures/chain';
import { h, mount, safely, type View } from './dom';
import { JC_MAX_STEPS } from '../validate';

/** Draws `p` into `host`, replacing whatever view was there. */
export function renderJacobianChain(host: HTMLElement, p: JacobianChainPayload): View {
  return safely(host, 'Jacobian chain', () => {
    const doc = host.ownerDocument;
    // One block per step: a longer chain is refused (part of a product is another product), not drawn in part.
    const steps = Array.isArray(p?.steps) ? p.steps.length : 0;
    if (steps > JC_MAX_STEPS) throw new Error(`${formatCount(steps)} steps is more than the view draws (at most ${formatCount(JC_MAX_STEPS)})`);
    const m = jacobianChainModel(p);
    const root = h(doc, 'div', { class: 'gradlab-figure gradlab-jacobian-chain', 'data-gradlab-view': 'jacobian-chain' });
    root.append(h(doc, 'div', { class: 'gradlab-title' }, m.title || 'Jacobian chain'));
    root.append(
      h(
        doc,
        'div',
        { class: 'gradlab-muted' },
        `${m.product}. Each block is one op's Jacobian: height = its output size (rows), width = its input size (columns)` +
          (m.scale === 'linear' ? '.' : `, on a ${m.scale} scale since sizes differ by orders of magnitude.`),
      ),
    );
    root.append(blocks(doc, m));
    // a payload without orders (v1): the two end orders as bars and the verdict; with orders the table has all three
    root.append(...(m.orders.length ? orders(doc, m) : endCosts(doc, m)));
    if (m.params.length) root.append(params(doc, m));
    return mount(host, root, { dispose() {} });
  });
}

/** The blocks, output on the left: J_k ··· J_1 as the product is written. */
function blocks(doc: Document, m: JacobianChainModel): HTMLElement {
  const row = h(doc, 'div', { class: 'gradlab-jc-blocks' });
  row.append(h(doc, 'div', { class: 'gradlab-jc-end gradlab-muted' }, `output [${m.outShape}]`, h(doc, 'br'), '← reverse starts here'));
  m.blocks.forEach((b, i) => {
    if (i > 0) row.append(h(doc, 'div', { class: 'gradlab-jc-dot', 'aria-hidden': 'true' }, '·'));
    const rect = h(doc, 'div', { class: 'gradlab-jc-block', title: `${b.label}: ${b.inShape} → ${b.outShape}` });
    rect.style.width = `${b.w}px`;
    rect.style.height = `${b.h}px`;
    row.append(
      h(
        doc,
        'div',
        { class: 'gradlab-jc-item', 'data-step': b.index },
        h(doc, 'div', { class: 'gradlab-jc-name' }, jName(b.index)),
        rect,
        h(doc, 'div', { class: 'gradlab-jc-dims' }, b.dims),
        h(doc, 'div', { class: 'gradlab-jc-label gradlab-muted' }, b.label),
      ),
    );
  });
  row.append(h(doc, 'div', { class: 'gradlab-jc-end gradlab-muted' }, `input [${m.inShape}]`, h(doc, 'br'), 'forward starts here →'));
  return row;
}

/** A payload without orders (v1): forward and reverse multiply-adds as bars, and the verdict. */
function endCosts(doc: Document, m: JacobianChainModel): HTMLElement[] {
  const n = m.blocks.length;
  const costs = h(doc, 'div', { class: 'gradlab-jc-costs' });
  const cost = (name: string, how: string, value: string, bar: number, win: boolean) => {
    const b = h(doc, 'span', { class: `gradlab-jc-bar${win ? ' gradlab-jc-bar-win' : ''}` });
    b.style.width = `${Math.max(0.5, bar * 100)}%`;
    costs.append(
      h(doc, 'div', { class: 'gradlab-jc-cost-name' }, h(doc, 'strong', {}, name), ' ', h(doc, 'span', { class: 'gradlab-muted' }, how)),
      h(doc, 'div', { class: 'gradlab-jc-bar-track' }, b),
      h(doc, 'div', { class: `gradlab-num${win ? ' gradlab-pass' : ''}` }, `${value} multiply-adds${win ? ' ✓' : ''}`),
    );
  };
  cost('forward order', n > 1 ? `(${jName(2)}·${jName(1)} first)` : '', m.forwardCost, m.forwardBar, m.winner === 'forward');
  cost('reverse order', n > 1 ? `(${jName(n)}·${jName(n - 1)} first)` : '', m.reverseCost, m.reverseBar, m.winner === 'reverse');
  return [costs, h(doc, 'div', { class: 'gradlab-jc-verdict', role: 'status' }, m.verdict)];
}

/** The table of forward, reverse and the cheapest order (product, multiply-adds, memory), the verdicts and the memory note. */
function orders(doc: Document, m: JacobianChainModel): HTMLElement[] {
  const table = h(doc, 'table', { class: 'gradlab-jc-orders' });
  table.append(h(doc, 'thead', {}, h(doc, 'tr', {}, ...ORDER_HEAD.map((t) => h(doc, 'th', {}, t)))));
  const body = h(doc, 'tbody');
  for (const r of m.orders) {
    const bar = h(doc, 'span', { class: `gradlab-jc-bar${r.best ? ' gradlab-jc-bar-win' : ''}` });
    bar.style.width = `${Math.max(0.5, r.bar * 100)}%`;
    body.append(
      h(
        doc,
        'tr',
        { class: r.best ? 'gradlab-jc-best' : '', 'data-order': r.name },
        h(doc, 'td', {}, h(doc, 'strong', {}, r.label), ' ', h(doc, 'span', { class: 'gradlab-muted' }, `(${r.how})`)),
        h(doc, 'td', { class: 'gradlab-jc-product' }, r.product),
        h(doc, 'td', { class: 'gradlab-num gradlab-jc-cost' }, r.cost, h(doc, 'span', { class: 'gradlab-jc-bar-track' }, bar)),
        h(doc, 'td', { class: 'gradlab-num gradlab-jc-memory' }, r.memory),
        h(doc, 'td', { class: `gradlab-jc-mark${r.best ? ' gradlab-pass' : ''}` }, r.mark),
      ),
    );
  }
  table.append(body);
  return [
    table,
    h(doc, 'div', { class: 'gradlab-jc-verdict', role: 'status' }, m.verdict),
    h(doc, 'div', { class: 'gradlab-jc-orders-verdict' }, m.ordersVerdict),
    h(doc, 'div', { class: 'gradlab-muted gradlab-jc-note' }, MEMORY_NOTE),
  ];
}

/** For each FC step's parameter: the full Jacobian ∂y/∂W (never formed) next to what backprop computes instead. */
function params(doc: Document, m: JacobianChainModel): HTMLElement {
  const panel = h(doc, 'div', { class: 'gradlab-jc-params' });
  panel.append(h(doc, 'div', { class: 'gradlab-jc-params-title' }, 'FC layers: the parameter Jacobian vs what backprop computes'));
  for (const q of m.params) {
    const sides = h(doc, 'div', { class: 'gradlab-jc-sides' });
    paramColumns(q).forEach(([head, lines], i) =>
      sides.append(
        h(
          doc,
          'div',
          { class: `gradlab-jc-side ${i === 0 ? 'gradlab-jc-full' : 'gradlab-jc-backprop'}` },
          h(doc, 'div', { class: 'gradlab-jc-side-head' }, head),
          ...lines.map((l) => h(doc, 'div', { class: 'gradlab-jc-side-line' }, l)),
        ),
      ),
    );
    panel.append(
      h(
        doc,
        'div',
        { class: 'gradlab-jc-param', 'data-param': q.name },
        h(doc, 'div', { class: 'gradlab-jc-param-name' }, `${q.step} ${q.stepLabel}: parameter ${q.name} (${q.shape})`),
        sides,
        h(doc, 'div', { class: 'gradlab-jc-why' }, q.why),
      ),
    );
  }
  return panel;
}
