// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import * as gl from '../../../engine/index';
import type { JacobianChainPayload } from '../../../engine/display/contract';
import { renderJacobianChain } from '../../../extension/views/jacobian-chain';
import { XSS_NAME } from '../../fixtures/payloads';
import { wire } from '../../fixtures/wire';

function host(): HTMLElement {
  const el = document.createElement('div');
  document.body.append(el);
  return el;
}

afterEach(() => document.body.replaceChildren());

/** 10 → 1000 → 10 → 1000 → 10: the cheapest order is neither end. */
function hourglass(): JacobianChainPayload {
  gl.seed(0);
  const A = gl.randn([1000, 10]).mul(0.1),
    B = gl.randn([10, 1000]).mul(0.1),
    C = gl.randn([1000, 10]).mul(0.1),
    D = gl.randn([10, 1000]).mul(0.1);
  return wire(gl.jacobianChain([(x) => A.matmul(x), (h) => B.matmul(h), (h) => C.matmul(h), (h) => D.matmul(h)], gl.randn([10])).payload);
}

/** An MLP 784 → 256 → 10 and a loss: two FC layers with W and b. */
function mlp(): JacobianChainPayload {
  const net = gl.nn.mlp([784, 256, 10], { seed: 1 });
  return wire(gl.jacobianChain([net, (s: gl.Tensor) => s.logsumexp()], gl.rand([784])).payload);
}

const rows = (el: HTMLElement) =>
  [...el.querySelectorAll('.gradlab-jc-orders tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim()));

describe('the orders table', () => {
  it('shows forward, reverse and the cheapest order with brackets, multiply-adds and memory; the best marked in words', () => {
    const el = host();
    renderJacobianChain(el, hourglass());
    expect(rows(el)).toEqual([
      ['forward order (input side first)', 'J₄·(J₃·(J₂·J₁))', '300,000', '11,100', ''],
      ['reverse order (output side first)', '((J₄·J₃)·J₂)·J₁', '300,000', '11,110', ''],
      ['cheapest order (dynamic programming over the chain)', '(J₄·J₃)·(J₂·J₁)', '201,000', '1,210', '✓ cheapest'],
    ]);
    expect([...el.querySelectorAll('.gradlab-jc-best')].map((r) => r.getAttribute('data-order'))).toEqual(['optimal']);
    expect(el.querySelector('.gradlab-jc-orders-verdict')!.textContent).toBe(
      'Neither end is cheapest: (J₄·J₃)·(J₂·J₁) costs 201,000 multiply-adds, 1.5× fewer than forward order (300,000).',
    );
    expect(el.querySelector('.gradlab-jc-note')!.textContent).toMatch(/^memory = the largest number of entries alive at once/);
    // the table replaces the v1 bars of the two end orders; the v1 verdict stays
    expect(el.querySelector('.gradlab-jc-costs')).toBeNull();
    expect(el.querySelector('.gradlab-jc-verdict')!.textContent).toBe('Both orders cost the same here: 300,000 multiply-adds each.');
  });

  it('for a scalar loss reverse order is the cheapest and the DP agrees; both rows carry the mark', () => {
    const el = host();
    renderJacobianChain(el, mlp());
    const r = rows(el);
    expect(r.map((x) => [x[1], x[2], x[4]])).toEqual([
      ['J₄·(J₃·(J₂·J₁))', '53,395,104', ''],
      ['((J₄·J₃)·J₂)·J₁', '268,800', '✓ cheapest'],
      ['((J₄·J₃)·J₂)·J₁', '268,800', '✓ cheapest'],
    ]);
    expect(el.querySelector('.gradlab-jc-orders-verdict')!.textContent).toMatch(/^Reverse order is already the cheapest/);
  });
});

describe('the FC panel', () => {
  it('puts each FC parameter’s full Jacobian next to what backprop computes, as numbers', () => {
    const el = host();
    renderJacobianChain(el, mlp());
    const params = [...el.querySelectorAll('.gradlab-jc-param')];
    expect(params.map((p) => p.getAttribute('data-param'))).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    const w1 = params[0];
    expect(w1.querySelector('.gradlab-jc-param-name')!.textContent).toBe('J₁ fc1: FC 784→256: parameter fc1.weight (784 × 256)');
    expect([...w1.querySelectorAll('.gradlab-jc-full .gradlab-jc-side-line')].map((l) => l.textContent)).toEqual([
      '256 × 200,704 = 51,380,224 entries (51 million)',
      '200,704 of them non-zero',
    ]);
    expect(w1.querySelector('.gradlab-jc-backprop .gradlab-jc-side-head')!.textContent).toBe('what backprop computes: gW = xᵀ · gy');
    expect([...w1.querySelectorAll('.gradlab-jc-backprop .gradlab-jc-side-line')].map((l) => l.textContent)).toEqual([
      '784 × 256 = 200,704 entries',
      '200,704 multiply-adds',
      '256× fewer entries',
    ]);
    // small counts are not repeated in words
    expect(params[3].querySelector('.gradlab-jc-full .gradlab-jc-side-line')!.textContent).toBe('10 × 10 = 100 entries');
    expect(w1.querySelector('.gradlab-jc-why')!.textContent).toMatch(
      /^Backprop never forms ∂y\/∂fc1\.weight: of its 51 million entries only 200,704 can be non-zero/,
    );
  });

  it('has no FC panel for a chain without parameters', () => {
    const el = host();
    renderJacobianChain(el, hourglass());
    expect(el.querySelector('.gradlab-jc-params')).toBeNull();
  });

  it('shows hostile strings from the payload as text, and survives malformed orders and params', () => {
    const el = host();
    const p = mlp();
    p.orders = p.orders!.map((o) => ({ ...o, order: XSS_NAME }));
    p.steps[0].params = p.steps[0].params!.map((q) => ({ ...q, name: XSS_NAME, backprop: { ...q.backprop, formula: XSS_NAME } }));
    renderJacobianChain(el, p);
    expect(el.querySelector('img')).toBeNull();
    expect(el.querySelector('.gradlab-jc-product')!.textContent).toBe(XSS_NAME);
    expect(el.querySelector('.gradlab-jc-param')!.getAttribute('data-param')).toBe(XSS_NAME);
    const bad = {
      ...mlp(),
      orders: [null, 3, { name: 'optimal' }],
      steps: [{ rows: 2, cols: 2, params: [null, { name: 'W', jacobian: 'x' }] }],
    } as unknown as JacobianChainPayload;
    expect(() => renderJacobianChain(el, bad)).not.toThrow();
    expect(el.querySelectorAll('.gradlab-jacobian-chain')).toHaveLength(1);
    expect(rows(el)).toHaveLength(1);
    expect(el.querySelectorAll('.gradlab-jc-param')).toHaveLength(1);
  });
});
