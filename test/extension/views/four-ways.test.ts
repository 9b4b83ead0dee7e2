// @vitest-environment happy-dom
/**
 * The four-ways view (extension/views/four-ways.ts): the table from the
 * figure model after a JSON round trip, graded cells, the cost rows, a failed
 * way, long derivatives collapsed behind a button, hostile strings as text, and
 * the whole path through the renderer (validate → view).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { MIME } from '../../../engine/display/contract';
import { FW_COLLAPSED_CHARS, fourWaysModel } from '../../../engine/display/figures/four-ways';
import { renderFourWays } from '../../../extension/views/four-ways';
import { rendererFactory } from '../../../extension/index';
import { XSS_NAME, fourWaysPayload, fourWaysXss } from '../../fixtures/payloads';
import { wire } from '../../fixtures/wire';

function host(): HTMLElement {
  const el = document.createElement('div');
  document.body.append(el);
  return el;
}

/** Characters (code points) of an element's text. */
const chars = (e: Element) => [...(e.textContent ?? '')].length;
const texts = (root: ParentNode, sel: string) => [...root.querySelectorAll(sel)].map((e) => e.textContent);

afterEach(() => document.body.replaceChildren());

describe('four-ways view', () => {
  it('draws a column group per way and a row per input, each cell graded as the model grades it', () => {
    const p = wire(fourWaysPayload());
    const el = host();
    renderFourWays(el, p);
    const root = el.querySelector('[data-gradlab-view="four-ways"]')!;
    expect(root).not.toBeNull();
    expect(texts(root, '.gradlab-fw-way .gradlab-fw-label')).toEqual(['manual (your function)', 'symbolic', 'numerical', 'AD forward mode', 'AD reverse mode']);
    expect(texts(root, '.gradlab-fw-way .gradlab-fw-detail')).toContain('central differences, h = 1e-5');
    const rows = root.querySelectorAll('.gradlab-fw-table > tbody:not(.gradlab-fw-costs) > tr');
    expect(rows).toHaveLength(6);
    const m = fourWaysModel(p);
    const first = [...rows[0].querySelectorAll('td')].map((td) => td.textContent);
    // symbolic, the reference, has its value only
    expect(first).toEqual([m.rows[0].value, ...m.rows[0].cells.flatMap((c, k) => (m.ways[k].reference ? [c.value] : [c.value, c.err]))]);
    // numerical is close (~1e-10), the others agree to rounding
    expect(rows[0].querySelector('td[data-way="numerical"]')!.classList.contains('gradlab-fw-close')).toBe(true);
    expect(rows[0].querySelector('td[data-way="reverse"]')!.classList.contains('gradlab-fw-agree')).toBe(true);
    expect(rows[0].querySelector('td[data-way="numerical"]')!.getAttribute('title')).toContain('relative error 3.1e-10 against symbolic');
    expect(root.querySelector('[role="status"]')!.textContent).toBe(m.summary);
    expect(root.querySelector('.gradlab-fw-legend')!.textContent).toBe('relative error against symbolic: ≤ 1e-12 agrees to rounding ≤ 1e-6 close ⚠ larger');
  });

  it('lists the costs per way under the table', () => {
    const el = host();
    renderFourWays(el, wire(fourWaysPayload('none')));
    const costs = [...el.querySelectorAll('.gradlab-fw-costs tr')].map((tr) => [...tr.children].map((c) => c.textContent));
    expect(costs).toEqual([
      ['f evaluations', '—', '12', '—', '—'],
      ['operations', '412', '96', '108', '17'],
      ['time', '0.31 ms', '0.05 ms', '0.09 ms', '0.04 ms'],
    ]);
  });

  it('shows a failed way with ✗, dashes in its cells and its error', () => {
    const el = host();
    renderFourWays(el, wire(fourWaysPayload('failed')));
    expect(el.querySelector('.gradlab-fw-way-manual')!.textContent).toContain('✗ failed');
    expect(el.querySelector('.gradlab-fw-failed')!.textContent).toBe('✗ manual (your function): dfdx3 is not implemented yet: replace todo() with your code');
    expect(el.querySelector('td[data-way="manual"]')!.textContent).toBe('—');
    expect(el.querySelector('td[data-way="manual"]')!.classList.contains('gradlab-fw-none')).toBe(true);
  });

  it('flags a large error with ⚠ and the warning tint', () => {
    const p = fourWaysPayload('none');
    p.ways[1].relErrors![3] = 0.02;
    const el = host();
    renderFourWays(el, wire(p));
    const err = el.querySelectorAll('.gradlab-fw-table > tbody > tr')[3].querySelectorAll('.gradlab-fw-err')[0];
    expect(err.textContent).toBe('⚠ 2.0e-2');
    expect(err.classList.contains('gradlab-fw-far')).toBe(true);
  });

  it('collapses a long derivative behind a button that shows it all and cuts it again', () => {
    const p = fourWaysPayload('none');
    const long = 'σ(x1)·'.repeat(200);
    p.derivatives[2].text = long;
    const el = host();
    renderFourWays(el, wire(p));
    const exprs = el.querySelectorAll('.gradlab-fw-deriv code');
    expect(exprs[0].textContent).toBe(p.derivatives[0].text); // short ones whole
    const code = exprs[2];
    expect(chars(code)).toBe(FW_COLLAPSED_CHARS + 1);
    const button = el.querySelector<HTMLButtonElement>('.gradlab-fw-more')!;
    expect(button.textContent).toBe(`show all (${[...long].length - FW_COLLAPSED_CHARS} more characters)`);
    button.click();
    expect(code.textContent).toBe(long);
    expect(button.getAttribute('aria-expanded')).toBe('true');
    button.click();
    expect(chars(code)).toBe(FW_COLLAPSED_CHARS + 1);
  });

  it('shows every hostile string as text, never as markup', () => {
    const el = host();
    renderFourWays(el, wire(fourWaysXss));
    expect(el.querySelector('img, script, svg, b')).toBeNull();
    expect(el.textContent).toContain(XSS_NAME);
    expect(el.textContent).toContain('<svg onload=alert(1)>');
    expect(el.textContent).toContain('<script>alert(1)</script>');
  });

  it('draws again in place, and draws a malformed payload without throwing', () => {
    const el = host();
    renderFourWays(el, wire(fourWaysPayload()));
    renderFourWays(el, wire(fourWaysPayload('none')));
    expect(el.querySelectorAll('.gradlab-four-ways')).toHaveLength(1);
    expect(() => renderFourWays(el, { kind: 'four-ways', ways: [null] } as never)).not.toThrow();
  });
});

describe('four-ways through the renderer', () => {
  function model(data: Record<string, unknown>): IRenderMime.IMimeModel {
    return { trusted: false, data: data as IRenderMime.IMimeModel['data'], metadata: {}, setData: () => {} };
  }

  it('draws a valid payload, and refuses a bad one with a message naming the field, followed by the text form', async () => {
    const el = host();
    const r = rendererFactory.createRenderer({ mimeType: MIME.fourWays } as IRenderMime.IRendererOptions);
    el.append(r.node);
    await r.renderModel(model({ [MIME.fourWays]: wire(fourWaysPayload()) }));
    expect(r.node.querySelector('.gradlab-four-ways')).not.toBeNull();
    const bad = wire(fourWaysPayload());
    bad.ways[2].values = [1, 2];
    await r.renderModel(model({ [MIME.fourWays]: bad, 'text/plain': 'the text form' }));
    expect(r.node.querySelector('.gradlab-four-ways')).toBeNull();
    expect(r.node.querySelector('[role="alert"]')!.textContent).toContain('four-ways: `ways[2].values` holds 2 entries, but there are 6 inputs');
    expect(r.node.querySelector('pre')!.textContent).toBe('the text form');
  });
});
