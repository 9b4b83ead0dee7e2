import { describe, expect, it } from 'vitest';
import * as gl from '../../../../engine/index';
import type { JacobianChainPayload } from '../../../../engine/display/contract';
import { countWords, jacobianChainHtml, jacobianChainModel, jacobianChainText, subscripted } from '../../../../engine/display/figures/chain';
import { jacobianChainPayload } from '../../../../engine/display/payloads';
import { chainOrders } from '../../../../engine/ad/chain';
import { XSS_NAME } from '../../../fixtures/payloads';

/** A payload for sizes d = [d_0, …, d_k] with the three orders. */
function chainOf(d: number[]): JacobianChainPayload {
  const steps = d.slice(1).map((rows, i) => ({ op: 'matmul', label: `f${i + 1}`, inShape: [d[i]], outShape: [rows], rows, cols: d[i] }));
  return jacobianChainPayload(steps, [d[0]], { orders: chainOrders(d) });
}

/** FC 784→256 (W·x + b) then ReLU, as in the lecture. */
function fcChain(): JacobianChainPayload {
  gl.seed(0);
  const W = gl.randn([256, 784], { requiresGrad: true, name: 'W' });
  const b = gl.zeros([256], { requiresGrad: true, name: 'b' });
  return JSON.parse(JSON.stringify(gl.jacobianChain([(x) => W.matmul(x).add(b), (h) => h.relu()], gl.rand([784]), { labels: ['FC 784→256', 'ReLU'] }).payload));
}

describe('the orders in the figure model', () => {
  it('reads the three orders with subscripted brackets, costs, memory and the cheapest marked in words', () => {
    const m = jacobianChainModel(chainOf([10, 1000, 10, 1000, 10]));
    expect(m.orders.map((r) => [r.label, r.product, r.cost, r.memory, r.mark])).toEqual([
      ['forward order', 'J₄·(J₃·(J₂·J₁))', '300,000', '11,100', ''],
      ['reverse order', '((J₄·J₃)·J₂)·J₁', '300,000', '11,110', ''],
      ['cheapest order', '(J₄·J₃)·(J₂·J₁)', '201,000', '1,210', '✓ cheapest'],
    ]);
    expect(m.ordersVerdict).toBe('Neither end is cheapest: (J₄·J₃)·(J₂·J₁) costs 201,000 multiply-adds, 1.5× fewer than forward order (300,000).');
  });

  it('says when an end order is already the cheapest, and marks both rows that share the lowest cost', () => {
    const m = jacobianChainModel(chainOf([784, 64, 64, 10, 1]));
    expect(m.orders.filter((r) => r.best).map((r) => r.name)).toEqual(['reverse', 'optimal']);
    expect(m.ordersVerdict).toMatch(
      /^Reverse order is already the cheapest: no bracketing of the chain does better than \(\(J₄·J₃\)·J₂\)·J₁ \(54,912 multiply-adds, forward order 3,720,864\)/,
    );
    const tie = jacobianChainModel(chainOf([2, 3, 3, 2]));
    expect(tie.orders.every((r) => r.best)).toBe(true);
    expect(tie.ordersVerdict).toBe('Every order tried costs the same here (30 multiply-adds); forward order keeps 13 entries alive at most, reverse order 14.');
  });

  it('a v1 payload without orders has an empty table, and malformed orders do not throw', () => {
    const p = chainOf([3, 4, 5]);
    delete p.orders;
    expect(jacobianChainModel(p).orders).toEqual([]);
    expect(jacobianChainText(p)).not.toContain('cheapest order');
    const bad = { ...chainOf([3, 4, 5]), orders: [null, { name: 'sideways' }, { name: 'optimal', order: 7, cost: 'x' }] } as unknown as JacobianChainPayload;
    expect(jacobianChainModel(bad).orders.map((r) => [r.name, r.product, r.cost, r.best])).toEqual([['optimal', '7', 'NaN', false]]);
  });

  it('helpers: subscripts and counts in words', () => {
    expect(subscripted('J12·(J2·J1)')).toBe('J₁₂·(J₂·J₁)');
    expect([countWords(51_380_224), countWords(200_704), countWords(5_017_600), countWords(3.2e9), countWords(999)]).toEqual([
      '51 million',
      '201 thousand',
      '5 million',
      '3.2 billion',
      '999',
    ]);
  });
});

describe('the FC panel in the figure model and the fallbacks', () => {
  it('784→256: ∂y/∂W is 256 × 200,704 = 51 million entries (200,704 non-zero) vs gW 256 × 784 = 200,704', () => {
    const [w, b] = jacobianChainModel(fcChain()).params;
    expect(w).toMatchObject({
      step: 'J₁',
      stepLabel: 'FC 784→256',
      name: 'W',
      shape: '256 × 784',
      jacobianDims: '256 × 200,704',
      jacobianEntries: '51,380,224',
      jacobianWords: '51 million',
      nonzero: '200,704',
      formula: 'gW = gy · xᵀ',
      backpropShape: '256 × 784',
      backpropEntries: '200,704',
      backpropCost: '200,704',
      ratio: '256×',
    });
    expect(w.why).toBe(
      "Backprop never forms ∂y/∂W: of its 51 million entries only 200,704 can be non-zero, and they are copies of the layer's input x " +
        '(each output row holds one copy), so the product gy·∂y/∂W collapses to gW = gy · xᵀ: 200,704 entries, the shape of W itself.',
    );
    expect(b).toMatchObject({ name: 'b', jacobianDims: '256 × 256', nonzero: '256', formula: 'gb = gy', backpropEntries: '256' });
    expect(b.why).toContain('each of them is a 1');
  });

  it('the text and HTML fallbacks print the orders table and both sides of the FC panel, escaped', () => {
    const p = fcChain();
    const text = jacobianChainText(p);
    expect(text).toMatch(/forward order\s+J₂·J₁\s+51,380,224\s+201,744\s+✓ cheapest/);
    expect(text).toContain('There is only one way to multiply this chain: J₂·J₁, 51,380,224 multiply-adds.');
    expect(text).toContain('full Jacobian ∂y/∂W (never formed): 256 × 200,704 = 51,380,224 entries (51 million); 200,704 of them non-zero');
    expect(text).toContain('what backprop computes: gW = gy · xᵀ: 256 × 784 = 200,704 entries; 200,704 multiply-adds; 256× fewer entries');
    const html = jacobianChainHtml(p);
    expect(html).toContain('data-order="optimal"');
    expect(html).toContain('✓ cheapest');
    expect(html).toContain('gW = gy · xᵀ');
    const hostile = {
      ...p,
      steps: p.steps.map((s) => ({
        ...s,
        label: XSS_NAME,
        params: s.params?.map((q) => ({ ...q, name: XSS_NAME, backprop: { ...q.backprop, formula: XSS_NAME } })),
      })),
      orders: p.orders!.map((o) => ({ ...o, order: XSS_NAME })),
    };
    const out = jacobianChainHtml(hostile);
    expect(out).not.toContain('<img');
    expect(out).not.toContain('<script');
  });
});
