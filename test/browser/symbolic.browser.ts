/**
 * gl.show of a symbolic expression in real JupyterLab + Chromium with the tslab kernel: the
 * function and its derivative arrive as text/latex and JupyterLab typesets them (MathJax), with
 * no TeX error; a derivative too long to typeset shows its note instead; the saved outputs keep a
 * text/plain fallback.
 *
 * Screenshot: screenshots/symbolic.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellLocator, openFixture, screenshotPath, tslabNotebook, type Fixture } from './lab';

const CELLS: [string, string][] = [
  [
    'lecture',
    `function lecture(x1: gl.Tensor, x2: gl.Tensor, x3: gl.Tensor, x4: gl.Tensor, x5: gl.Tensor, x6: gl.Tensor): gl.Tensor {
  const c = gl.maximum(x1, x2).mul(x3).div(x4);
  return gl.mul(5, c.sub(x5.add(x6))).log().add(0.5).sigmoid();
}
const f = gl.symbolic(lecture, ["x1", "x2", "x3", "x4", "x5", "x6"]);
gl.show(f);
gl.show(f.diff("x1").simplify());`,
  ],
  [
    'swell',
    `const logistic = gl.symbolic((x: gl.Tensor) => {
  let l = x;
  for (let i = 0; i < 12; i++) l = gl.mul(4, l).mul(gl.sub(1, l));
  return l;
}, ["x"]);
gl.show(logistic.diff("x"));`,
  ],
];

let fx: Fixture;

beforeAll(async () => {
  fx = await openFixture('symbolic.ipynb', tslabNotebook(CELLS), { viewport: { width: 1280, height: 900 } });
});

afterAll(async () => {
  await fx?.close();
});

describe('gl.show(expr) in JupyterLab', () => {
  it('typesets the function and its derivative with MathJax, without TeX errors', async () => {
    const { page } = fx.browser;
    const cell = cellLocator(page, 1);
    await page.waitForFunction(() => document.querySelectorAll('.jp-Notebook .jp-Cell')[1]?.querySelectorAll('mjx-container').length === 2, undefined, {
      timeout: 30_000,
      polling: 200,
    });
    const state = await cell.evaluate((c) => ({
      typeset: c.querySelectorAll('.jp-RenderedLatex mjx-container').length,
      errors: c.querySelectorAll('mjx-merror').length,
      // MathJax's speech/assistive text holds what was typeset
      text: [...c.querySelectorAll('mjx-container')].map((m) => m.getAttribute('aria-label') ?? m.textContent ?? ''),
    }));
    expect(state.typeset).toBe(2);
    expect(state.errors).toBe(0);
    await cell.screenshot({ path: screenshotPath('symbolic') });
  });

  it('a derivative too long to typeset shows the note, not a broken formula', async () => {
    const { page } = fx.browser;
    const cell = cellLocator(page, 2);
    const text = await cell.locator('.jp-OutputArea-output').first().textContent();
    expect(text).toMatch(/written out: 288768 nodes, longer than 6000 characters of LaTeX; see toString\(\)/);
    expect(await cell.locator('mjx-merror').count()).toBe(0);
  });

  it('the notebook model keeps text/latex and the text/plain fallback', async () => {
    const { page } = fx.browser;
    const outputs = await page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.content.widgets[1].model.outputs.toJSON());
    const shown = outputs.filter((o: any) => o.output_type === 'display_data');
    expect(shown).toHaveLength(2);
    for (const o of shown) expect(Object.keys(o.data).sort()).toEqual(['text/latex', 'text/plain']);
    expect(shown[1].data['text/plain']).toMatch(/^∂lecture\/∂x1 = \[x1 >= x2\]\*x3\*σ\(log\(5\*/);
  });
});
