// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import type { GradCheckPayload } from '../../../engine/display/contract';
import { renderGradCheck } from '../../../extension/views/gradcheck';
import * as F from '../../fixtures/payloads';
import { wire } from '../../fixtures/wire';

function host(): HTMLElement {
  const el = document.createElement('div');
  document.body.append(el);
  return el;
}

/** Cell texts of the entries table, row by row. */
const entryRows = (el: Element) => [...el.querySelectorAll('.gradlab-gradcheck-entries tbody tr')].map((tr) => [...tr.children].map((c) => c.textContent));

afterEach(() => document.body.replaceChildren());

describe('renderGradCheck', () => {
  it('shows a failure with ✗ and the fail colour, worst entries first', () => {
    const el = host();
    renderGradCheck(el, wire(F.gradCheckFail));
    const head = el.querySelector('.gradlab-headline')!;
    expect(head.textContent).toBe('✗ gradient check FAILED (mySquare (custom op))');
    expect(head.classList.contains('gradlab-fail')).toBe(true);
    expect(el.textContent).toContain('max relative error NaN');
    expect(el.textContent).toContain('relative error ≤ 1.0e-6 or absolute error ≤ 1.0e-8');
    expect(el.textContent).toContain('finite-difference step h = 1.0e-6');
    expect(entryRows(el)).toEqual([
      ['x', '[2]', '-0.5', 'NaN', 'NaN', '✗'],
      ['x', '[0]', '1.5', '3', '3.3e-1', '✗'],
      ['x', '[1]', '2', '4', '3.3e-1', '✗'],
      ['scale', 'scalar', '4.2', '4.2', '2.0e-11', '✓'],
    ]);
    expect(el.querySelectorAll('.gradlab-row-fail')).toHaveLength(4); // 3 entries and input x
    const inputs = [...el.querySelectorAll('.gradlab-gradcheck-inputs tr')].slice(1).map((tr) => [...tr.children].map((c) => c.textContent));
    expect(inputs).toEqual([
      ['✗', 'x', '3', '3', 'NaN'],
      ['✓', 'scale', 'scalar', '1', '2.0e-11'],
    ]);
    const fwd = el.querySelector('.gradlab-forward')!;
    expect(fwd.textContent).toBe('✗ forward mode, along a random direction v: jvp 2.6 · finite difference 1.3 · ⟨grad, v⟩ 1.3 · relative error 3.3e-1');
    expect(fwd.classList.contains('gradlab-fail')).toBe(true);
  });

  it('shows a pass with ✓ and the pass colour', () => {
    const el = host();
    renderGradCheck(el, wire(F.gradCheckPass));
    const head = el.querySelector('.gradlab-headline')!;
    expect(head.textContent).toBe('✓ gradient check passed (tanh(x·W))');
    expect(head.classList.contains('gradlab-pass')).toBe(true);
    expect(entryRows(el)[0]).toEqual(['x', '[1]', '0.4199743416', '0.4199743419', '3.2e-10', '✓']);
    expect(el.querySelector('.gradlab-forward')!.textContent).toMatch(/^✓ forward mode/);
  });

  it('says when forward mode was skipped and that more entries were checked', () => {
    const el = host();
    renderGradCheck(el, wire(F.gradCheckSkipped));
    expect(el.querySelector('.gradlab-forward')!.textContent).toBe(
      'forward mode: skipped (the function is not differentiable in forward mode (custom op without a jvp))',
    );
    expect(el.textContent).toContain('34 more entries were checked');
  });

  it('lists 50 entries, and all of them on request', () => {
    const el = host();
    const entries = Array.from({ length: 120 }, (_, i) => ({ ...F.gradCheckPass.entries[0], index: [i], relError: 1e-10 * (i + 1) }));
    renderGradCheck(el, wire({ ...F.gradCheckPass, entries, totalEntries: 120 }));
    expect(entryRows(el)).toHaveLength(50);
    expect(entryRows(el)[0][1]).toBe('[119]'); // worst first
    (el.querySelector('.gradlab-gradcheck > button') as HTMLButtonElement).click();
    expect(entryRows(el)).toHaveLength(120);
  });

  it('shows hostile names as text', () => {
    const el = host();
    const p = wire({ ...F.gradCheckFail, title: '<img src=y onerror=alert(2)>', inputs: F.gradCheckFail.inputs.map((i) => ({ ...i, name: F.XSS_NAME })) });
    renderGradCheck(el, p);
    expect(el.querySelector('img')).toBeNull();
    expect(entryRows(el)[0][0]).toBe(F.XSS_NAME);
    expect(el.textContent).toContain('<img src=y onerror=alert(2)>');
  });

  it('survives a malformed payload and replaces itself when rendered again', () => {
    const el = host();
    expect(() => renderGradCheck(el, { version: 1, kind: 'gradcheck', entries: [null, 3], forward: null } as unknown as GradCheckPayload)).not.toThrow();
    expect(el.querySelector('.gradlab-headline')!.textContent).toBe('✗ gradient check FAILED');
    renderGradCheck(el, wire(F.gradCheckPass));
    expect(el.querySelectorAll('.gradlab-gradcheck')).toHaveLength(1);
    expect(el.querySelector('.gradlab-headline')!.textContent).toMatch(/^✓/);
  });
});

describe('renderGradCheck bounds its work (issue #10)', () => {
  it('lists the first 5,000 of 100,000 entries and says so', () => {
    const el = host();
    const entry = F.gradCheckPass.entries[0];
    const p = { ...F.gradCheckPass, entries: new Array(100_000).fill(entry), totalEntries: 100_000 };
    const t0 = performance.now();
    renderGradCheck(el, p);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(el.querySelectorAll('.gradlab-gradcheck-entries tbody tr')).toHaveLength(50);
    expect(el.textContent).toContain('show all 5,000 entries');
    expect(el.textContent).toContain('The payload holds 100,000 entries; the first 5,000 are listed.');
  });
});
