// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import type { JacobianChainPayload } from '../../../engine/display/contract';
import { renderJacobianChain } from '../../../extension/views/jacobian-chain';
import * as F from '../../fixtures/payloads';
import { wire } from '../../fixtures/wire';

function host(): HTMLElement {
  const el = document.createElement('div');
  document.body.append(el);
  return el;
}

afterEach(() => document.body.replaceChildren());

describe('renderJacobianChain', () => {
  it('draws each Jacobian as a block with its exact dims, in product order', () => {
    const el = host();
    renderJacobianChain(el, wire(F.mlpChain));
    const items = [...el.querySelectorAll('.gradlab-jc-item')];
    expect(items.map((i) => i.querySelector('.gradlab-jc-name')!.textContent)).toEqual(['J₄', 'J₃', 'J₂', 'J₁']);
    expect(items.map((i) => i.querySelector('.gradlab-jc-dims')!.textContent)).toEqual(['1 × 10', '10 × 100', '100 × 100', '100 × 784']);
    expect(items.map((i) => i.querySelector('.gradlab-jc-label')!.textContent)).toEqual(['loss', 'fc2 (W₂h + b₂)', 'relu', 'fc1 (W₁x + b₁)']);
    const size = (i: Element) => {
      const b = i.querySelector('.gradlab-jc-block') as HTMLElement;
      return [parseFloat(b.style.width), parseFloat(b.style.height)];
    };
    const [j4, j3, j2, j1] = items.map(size);
    expect(j1[0]).toBeGreaterThan(j2[0]); // 784 columns are wider than 100
    expect(j2[0]).toBe(j2[1]); // 100 × 100 is square
    expect(j3[0]).toBe(j2[1]); // J₃'s columns meet J₂'s rows
    expect(j4[1]).toBeLessThan(j3[1]);
    expect(el.textContent).toContain('square root scale');
  });

  it('prints both multiply-add counts and answers which order is faster', () => {
    const el = host();
    renderJacobianChain(el, wire(F.mlpChain));
    expect(el.querySelector('.gradlab-jc-costs')!.textContent).toContain('8,631,840 multiply-adds');
    expect(el.querySelector('.gradlab-jc-costs')!.textContent).toContain('89,400 multiply-adds ✓');
    expect(el.querySelector('.gradlab-jc-verdict')!.textContent).toMatch(/^Reverse mode is faster here: 89,400 multiply-adds instead of 8,631,840/);
    expect(el.querySelectorAll('.gradlab-jc-bar-win')).toHaveLength(1);

    renderJacobianChain(el, wire(F.wideOutputChain));
    expect(el.querySelectorAll('.gradlab-jacobian-chain')).toHaveLength(1); // replaced, not appended
    expect(el.querySelector('.gradlab-jc-verdict')!.textContent).toMatch(/^Forward mode is faster here: 12,500 multiply-adds instead of 510,000/);
  });

  it('shows hostile labels as text and survives malformed steps', () => {
    const el = host();
    renderJacobianChain(el, wire({ ...F.mlpChain, steps: F.mlpChain.steps.map((s) => ({ ...s, label: F.XSS_NAME })) }));
    expect(el.querySelector('img')).toBeNull();
    expect(el.querySelector('.gradlab-jc-label')!.textContent).toBe(F.XSS_NAME);
    const bad = { version: 1, kind: 'jacobian-chain', steps: [null, { rows: -3, cols: 'x' }], forwardCost: 'NaN' } as unknown as JacobianChainPayload;
    expect(() => renderJacobianChain(el, bad)).not.toThrow();
    expect(el.querySelectorAll('.gradlab-jc-item')).toHaveLength(2);
  });
});

describe('renderJacobianChain bounds its work (issue #10)', () => {
  it('refuses a chain of 50,000 steps with a message instead of drawing 50,000 blocks', () => {
    const el = host();
    const p = { ...wire(F.mlpChain), steps: new Array(50_000).fill(F.mlpChain.steps[1]) };
    renderJacobianChain(el, p);
    expect(el.querySelector('.gradlab-view-error[role="alert"]')!.textContent).toBe(
      'gradlab could not draw this Jacobian chain: 50,000 steps is more than the view draws (at most 1,000)',
    );
    expect(el.querySelectorAll('.gradlab-jc-item')).toHaveLength(0);
  });
});
