/**
 * The Jacobian-chain view: each op's Jacobian as a block, height ∝ rows
 * (output size) and width ∝ columns (input size), on a sub-linear scale when
 * sizes differ by orders of magnitude, with the exact dimensions printed. The
 * blocks are drawn in the order the product is written, J = J_k ··· J_1, so
 * adjacent blocks share a side (J_i's columns = J_{i−1}'s rows) and "forward"
 * and "reverse" read as "start multiplying from the right" and "from the
 * left". Below: both multiply-add counts as bars, and the answer to "which is
 * faster here?". Same model as the static HTML table (`jacobianChainModel`).
 */
import type { JacobianChainPayload } from '../../engine/display/contract';
import { jacobianChainModel, jName } from '../../engine/display/figures/chain';
import { h, mount, safely, type View } from './dom';

/** Draws `p` into `host`, replacing whatever view was there. */
export function renderJacobianChain(host: HTMLElement, p: JacobianChainPayload): View {
  return safely(host, 'Jacobian chain', () => {
    const doc = host.ownerDocument;
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

    const blocks = h(doc, 'div', { class: 'gradlab-jc-blocks' });
    blocks.append(h(doc, 'div', { class: 'gradlab-jc-end gradlab-muted' }, `output [${m.outShape}]`, h(doc, 'br'), '← reverse starts here'));
    m.blocks.forEach((b, i) => {
      if (i > 0) blocks.append(h(doc, 'div', { class: 'gradlab-jc-dot', 'aria-hidden': 'true' }, '·'));
      const rect = h(doc, 'div', { class: 'gradlab-jc-block', title: `${b.label}: ${b.inShape} → ${b.outShape}` });
      rect.style.width = `${b.w}px`;
      rect.style.height = `${b.h}px`;
      blocks.append(
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
    blocks.append(h(doc, 'div', { class: 'gradlab-jc-end gradlab-muted' }, `input [${m.inShape}]`, h(doc, 'br'), 'forward starts here →'));
    root.append(blocks);

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
    root.append(costs);
    root.append(h(doc, 'div', { class: 'gradlab-jc-verdict', role: 'status' }, m.verdict));
    return mount(host, root, { dispose() {} });
  });
}
