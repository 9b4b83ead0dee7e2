// @vitest-environment happy-dom
/**
 * The contract round trip: payloads built by the engine from real computations,
 * sent through JSON as the kernel does, drawn by the extension's views.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as gl from '../../engine';
import { payloadOf } from '../../engine/display/show';
import type { GradCheckPayload, GraphPayload, JacobianChainPayload } from '../../engine/display/contract';
import { renderGraph } from '../../extension/views/graph';
import { renderGradCheck } from '../../extension/views/gradcheck';
import { renderJacobianChain } from '../../extension/views/jacobian-chain';
import { wire } from '../fixtures/wire';

function host(): HTMLElement {
  const el = document.createElement('div');
  document.body.append(el);
  return el;
}

afterEach(() => document.body.replaceChildren());

describe('engine payload → JSON → view', () => {
  it('draws the graph of a real computation with its values and gradients', () => {
    const a = gl.scalar(2, { requiresGrad: true, name: 'a' });
    const b = gl.scalar(-3, { requiresGrad: true, name: 'b' });
    const c = a.mul(b).add(a.tanh());
    c.name = 'c';
    c.backward();
    const el = host();
    renderGraph(el, wire(payloadOf(c) as GraphPayload));
    const text = [...el.querySelectorAll('text')].map((t) => t.textContent);
    expect(text).toContain('a');
    expect(text).toContain('c');
    // dc/da = b + (1 − tanh²a), dc/db = a
    const dcda = -3 + (1 - Math.tanh(2) ** 2);
    const grads = [...el.querySelectorAll('text.gradlab-grad')].map((t) => Number(t.textContent));
    expect(grads.some((g) => Math.abs(g - dcda) < 1e-3)).toBe(true); // drawn to 4 significant digits
    expect(grads).toContain(2);
    expect(el.querySelectorAll('.gradlab-node').length).toBeGreaterThanOrEqual(5);
  });

  it('draws a failing gradient check from a wrong custom backward with ✗ first', () => {
    const wrong = gl.customOp({ name: 'wrongExp', forward: (x) => x.exp(), backward: (gy) => [gy] });
    const r = gl.gradCheck((x: gl.Tensor) => wrong(x).sum(), gl.tensor([0.5, 1.5]));
    const el = host();
    renderGradCheck(el, wire(payloadOf(r) as GradCheckPayload));
    expect(el.textContent).toContain('✗');
    const firstRow = el.querySelector('tbody tr');
    expect(firstRow?.textContent).toContain('✗');
  });

  it('draws a Jacobian chain with both costs', () => {
    const W = gl.randn([8, 32]);
    const c = gl.jacobianChain([(x) => W.matmul(x), (h) => h.relu(), (h) => h.sum()], gl.randn([32]), { labels: ['FC', 'ReLU', 'sum'] });
    const el = host();
    renderJacobianChain(el, wire(payloadOf(c) as JacobianChainPayload));
    const t = el.textContent;
    expect(t).toContain(c.forwardCost.toLocaleString('en-US'));
    expect(t).toContain(c.reverseCost.toLocaleString('en-US'));
    expect(t).toMatch(/[Rr]everse/);
  });
});
