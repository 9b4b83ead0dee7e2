/**
 * The four-ways figure model (engine/display/figures/four-ways.ts), its static
 * HTML and text fallbacks, the `FourWays` object and its bundle through `gl.show`.
 */
import { describe, expect, it, vi } from 'vitest';
import * as gl from '../../../../engine';
import { FOUR_WAYS_MAX_INPUTS, FOUR_WAYS_MAX_TEXT, MIME, type FourWaysPayload } from '../../../../engine/display/contract';
import { bundleOf, payloadOf } from '../../../../engine/display/show';
import { FW_STATIC_CHARS, errorLevel, fourWaysHtml, fourWaysModel, fourWaysText, shortenExpression } from '../../../../engine/display/figures/four-ways';
import { MAX_STRING } from '../../../../extension/validate';
import { XSS_NAME, fourWaysPayload, fourWaysXss } from '../../../fixtures/payloads';

/** Tag names in markup: an injected element would show up here. */
function tags(markup: string): string[] {
  return [...new Set([...markup.matchAll(/<([a-zA-Z][\w-]*)/g)].map((m) => m[1].toLowerCase()))];
}

describe('fourWaysModel', () => {
  it('has a row per input and a column group per way, in the order given, with errors graded by size', () => {
    const m = fourWaysModel(fourWaysPayload());
    expect(m.ways.map((w) => w.id)).toEqual(['manual', 'symbolic', 'numerical', 'forward', 'reverse']);
    expect(m.rows.map((r) => r.name)).toEqual(['x1', 'x2', 'x3', 'x4', 'x5', 'x6']);
    expect(m.signature).toBe('f(x1, x2, x3, x4, x5, x6)');
    expect(m.at).toMatch(/^f = 0\.911\d+ at x1 = 2, x2 = -1, x3 = 3, x4 = 4, x5 = 0\.5, x6 = -0\.25$/);
    const levels = m.rows.map((r) => r.cells.map((c) => c.level));
    // symbolic is the reference; numerical is close (1e-10), the others agree to rounding
    for (const row of levels) expect([row[0], row[1], row[3], row[4]]).toEqual(['agree', 'agree', 'agree', 'agree']);
    expect(levels.map((r) => r[2])).toEqual(['close', 'agree', 'close', 'close', 'close', 'close']);
    expect(m.rows[0].cells[1].err).toBe('reference');
    expect(m.rows[0].cells[2].err).toBe('3.1e-10');
    expect(m.rows[0].cells[2].describe).toContain('numerical ∂f/∂x1 = ');
    expect(m.ways.map((w) => w.worst)).toEqual(['0', 'reference', '4.7e-10', '0', '8.6e-16']);
    expect(m.summary).toBe(
      'largest relative error against symbolic: manual (your function) 0 · numerical 4.7e-10 · AD forward mode 0 · AD reverse mode 8.6e-16',
    );
  });

  it('lists the costs per way: f evaluations (— where they do not apply), operations, time', () => {
    const m = fourWaysModel(fourWaysPayload('none'));
    expect(m.costs).toEqual([
      { label: 'f evaluations', cells: ['—', '12', '—', '—'] },
      { label: 'operations', cells: ['412', '96', '108', '17'] },
      { label: 'time', cells: ['0.31 ms', '0.05 ms', '0.09 ms', '0.04 ms'] },
    ]);
  });

  it('shows a failed way as dashes and its error, and flags large or NaN errors with ⚠', () => {
    const p = fourWaysPayload('failed');
    const m = fourWaysModel(p);
    expect(m.ways[0]).toMatchObject({ failed: 'dfdx3 is not implemented yet: replace todo() with your code', worst: '—', level: 'none' });
    expect(m.rows[0].cells[0]).toMatchObject({ value: '—', err: '—', level: 'none' });
    expect(m.summary).toContain('manual (your function) failed');
    const bad = structuredClone(p);
    bad.ways[2].relErrors = [2e-3, 'NaN', 0, 0, 0, 0];
    const b = fourWaysModel(bad);
    expect(b.rows[0].cells[2]).toMatchObject({ err: '⚠ 2.0e-3', level: 'far' });
    expect(b.rows[1].cells[2]).toMatchObject({ err: '⚠ NaN', level: 'far' });
    expect(b.ways[2].worst).toBe('⚠ NaN');
  });

  it('grades errors: ≤ 1e-12 agree, ≤ 1e-6 close, larger or NaN far, null none', () => {
    expect([0, 1e-12, 2e-12, 1e-6, 1.1e-6, 'NaN', 'Infinity', -1e-13, null].map(errorLevel)).toEqual([
      'agree',
      'agree',
      'close',
      'close',
      'far',
      'far',
      'far',
      'agree',
      'none',
    ]);
  });

  it('is bounded by the caps whatever a hand-made payload holds, and says what it left out', () => {
    const p = fourWaysPayload('none') as FourWaysPayload & Record<string, unknown>;
    const n = 100_000;
    const big = { ...p, inputs: Array.from({ length: n }, (_, i) => ({ name: `y${i}`, value: i })), notes: Array.from({ length: n }, () => 'n') };
    const t0 = performance.now();
    const m = fourWaysModel(big);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(m.rows).toHaveLength(FOUR_WAYS_MAX_INPUTS);
    expect(m.omitted.inputs).toBe(n - FOUR_WAYS_MAX_INPUTS);
    expect(m.omitted.notes).toBeGreaterThan(0);
    expect(fourWaysText(big)).toContain(`more inputs, not shown (at most ${FOUR_WAYS_MAX_INPUTS})`);
  });

  it('reads a malformed payload without throwing', () => {
    for (const junk of [null, {}, { inputs: 'x', ways: [null, 3], derivatives: {} }, { ways: [{ id: 'numerical', values: [1], relErrors: null }] }]) {
      expect(() => fourWaysText(junk as unknown as FourWaysPayload)).not.toThrow();
      expect(() => fourWaysHtml(junk as unknown as FourWaysPayload)).not.toThrow();
    }
  });
});

describe('shortenExpression', () => {
  it('keeps short text and cuts long text to the cap with "… (N more characters)"', () => {
    expect(shortenExpression('x + 1', 10)).toBe('x + 1');
    const long = 'a·'.repeat(5000);
    const cut = shortenExpression(long);
    expect([...cut].length).toBeLessThanOrEqual(FOUR_WAYS_MAX_TEXT);
    const kept = Number(/… \(([\d,]+) more characters\)$/.exec(cut)![1].replace(/,/g, ''));
    expect(cut.length - cut.indexOf('…') + long.length - kept).toBeGreaterThan(0);
    expect(cut.slice(0, cut.indexOf('…')).length + kept).toBe(long.length);
    expect(FOUR_WAYS_MAX_TEXT).toBeLessThanOrEqual(MAX_STRING); // the engine's texts are drawn without a "cut" note
  });

  it('counts characters, not UTF-16 units (no half surrogate pairs)', () => {
    const cut = shortenExpression('𝑥'.repeat(100), 60);
    expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
    expect([...cut].length).toBeLessThanOrEqual(60);
  });
});

describe('static fallbacks', () => {
  it('HTML: a table with a header per way, a row per input, cost rows, derivatives and notes', () => {
    const html = fourWaysHtml(fourWaysPayload());
    expect(tags(html).sort()).toEqual(['div', 'span', 'table', 'tbody', 'td', 'th', 'thead', 'tr']);
    for (const s of ['AD reverse mode', 'central differences, h = 1e-5', 'f evaluations', 'operations', '∂f/∂x4', 'size 64', 'max routes']) {
      expect(html).toContain(s);
    }
    expect(html).toContain('background:#dafbe1'); // agreeing cells tinted
  });

  it('HTML and text escape or keep as text every payload string (names, texts, labels, errors, notes)', () => {
    const html = fourWaysHtml(fourWaysXss);
    expect(tags(html).sort()).toEqual(['div', 'span', 'table', 'tbody', 'td', 'th', 'thead', 'tr']);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;svg onload=alert(1)&gt;');
    expect(html).toContain('&lt;script&gt;');
    const text = fourWaysText(fourWaysXss);
    expect(text).toContain(XSS_NAME);
    expect(text).toContain('✗ failed: <svg onload=alert(1)>');
  });

  it('cuts long expressions in both, saying how much is left out', () => {
    const p = fourWaysPayload('none');
    p.derivatives[0].text = 'x1·'.repeat(600);
    for (const out of [fourWaysHtml(p), fourWaysText(p)]) {
      expect(out).toMatch(/… \(1,2\d\d more characters\)/);
      expect(out).not.toContain('x1·'.repeat(FW_STATIC_CHARS / 3));
    }
  });

  it('text: aligned columns, the ways with how they were computed, derivatives and notes', () => {
    const text = fourWaysText(fourWaysPayload());
    const lines = text.split('\n');
    expect(lines[0]).toBe("The lecture's function, four ways");
    expect(lines[1]).toBe('f(x1, x2, x3, x4, x5, x6) = σ(log(5·(max(x1, x2)·x3/x4 − (x5 + x6))) + 0.5)');
    expect(lines.find((l) => l.startsWith('input'))).toMatch(/manual \(your function\) +rel\. error +symbolic +numerical +rel\. error/);
    expect(lines.find((l) => l.startsWith('f evaluations'))).toMatch(/—\s+—\s+12\s+—\s+—$/);
    expect(text).not.toContain('reference'); // the reference's own error column is left out
    expect(text).toContain('AD forward mode: 6 forward passes, one per input');
    expect(text).toContain('∂f/∂x4 (size 64) = ');
    expect(text).toContain('note: x1 > x2: max routes');
  });
});

describe('FourWays', () => {
  it('prints its text form, and gl.show sends the payload with the HTML and text fallbacks', () => {
    const fw = new gl.FourWays(fourWaysPayload());
    expect(String(fw)).toBe(fourWaysText(fw.payload));
    expect(fw.inputs).toEqual(['x1', 'x2', 'x3', 'x4', 'x5', 'x6']);
    expect(fw.gradient('numerical')![0]).toBeCloseTo(fw.gradient('symbolic')![0], 8);
    expect(fw.gradient('manual')).toHaveLength(6);
    const p = payloadOf(fw, { title: 'mine' });
    expect(p).toMatchObject({ kind: 'four-ways', title: 'mine' });
    const b = bundleOf(p);
    expect(Object.keys(b.data).sort()).toEqual([MIME.fourWays, 'text/html', 'text/plain'].sort());
    expect(b.data['text/plain']).toBe(fourWaysText(p as FourWaysPayload));
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      gl.show(fw);
      expect(log).toHaveBeenCalledWith(fourWaysText(fw.payload));
    } finally {
      log.mockRestore();
    }
  });

  it('refuses a hand-made payload whose lists do not line up, saying which', () => {
    const p = fourWaysPayload();
    expect(() => new gl.FourWays({ ...p, derivatives: p.derivatives.slice(1) })).toThrow('5 derivatives for 6 inputs');
    expect(() => new gl.FourWays({ ...p, ways: [...p.ways].reverse() })).toThrow('in the order manual, symbolic, numerical, forward, reverse');
    const short = structuredClone(p);
    short.ways[2].values = [1, 2];
    expect(() => new gl.FourWays(short)).toThrow("way 'numerical' has 2 values for 6 inputs");
    const many = { ...p, inputs: Array.from({ length: 65 }, (_, i) => ({ name: `y${i}`, value: 0 })) };
    expect(() => new gl.FourWays(many)).toThrow('65 inputs');
  });
});
