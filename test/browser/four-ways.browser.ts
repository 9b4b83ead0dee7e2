/**
 * The four-ways figure in real JupyterLab + tslab + Chromium: the lecture's
 * function through `gl.fourWays` with a hand-written gradient (every way
 * agrees to ~1e-10 but numerical, the costs differ), a hand-made payload with
 * markup in its strings and a failed manual way through `new gl.FourWays`,
 * light and dark screenshots (screenshots/four-ways.png, four-ways-dark.png),
 * and the notebook exported with nbconvert: the static HTML table, with the
 * hostile strings as text.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fourWaysXss } from '../fixtures/payloads';
import { openExport, openFixture, screenshotPath, tslabNotebook, type Browser, type Fixture } from './lab';

/** Notebook 1's function, written with engine ops, and its gradient by hand (the chain rule from the output back). */
const LECTURE = `{
  const lecture = (x1: gl.Tensor, x2: gl.Tensor, x3: gl.Tensor, x4: gl.Tensor, x5: gl.Tensor, x6: gl.Tensor) =>
    gl.mul(5, gl.maximum(x1, x2).mul(x3).div(x4).sub(x5.add(x6))).log().add(0.5).sigmoid();
  const manual = ([x1, x2, x3, x4, x5, x6]: number[]) => {
    const a = Math.max(x1, x2), e = (a * x3) / x4 - (x5 + x6), g = 5 * e;
    const f = 1 / (1 + Math.exp(-(Math.log(g) + 0.5)));
    const gbar = (f * (1 - f)) / g, ebar = 5 * gbar, abar = (ebar * x3) / x4;
    return [x1 >= x2 ? abar : 0, x2 > x1 ? abar : 0, (ebar * a) / x4, (-ebar * a * x3) / (x4 * x4), -ebar, -ebar];
  };
  gl.show(gl.fourWays(lecture, [1.5, -0.5, 2, 3, 0.4, 0.3], { names: ["x1", "x2", "x3", "x4", "x5", "x6"], manual, title: "lecture" }));
}`;

/** A hand-made payload: markup in every string, the manual way failed. */
const HOSTILE = `gl.show(new gl.FourWays(${JSON.stringify(fourWaysXss)}));`;

let fixture: Fixture;
let browser: Browser;

beforeAll(async () => {
  fixture = await openFixture(
    'four-ways.ipynb',
    tslabNotebook([
      ['lecture', LECTURE],
      ['hostile', HOSTILE],
    ]),
    { viewport: { width: 1500, height: 1800 } },
  );
  browser = fixture.browser;
  await lightTheme(browser.page);
}, 240_000);

/** JupyterLab keeps the theme in user settings shared by every test's lab: start from light explicitly. */
async function lightTheme(page: Page): Promise<void> {
  await page.evaluate(() => (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Light' }));
  await page.waitForFunction(() => document.body.dataset.jpThemeLight === 'true', undefined, { timeout: 20_000 });
  await page.waitForTimeout(300);
}

afterAll(async () => {
  await fixture?.close();
});

function view(page: Page, title: string) {
  return page.locator('[data-gradlab-view="four-ways"]').filter({ has: page.locator('.gradlab-title', { hasText: title }) });
}

/** Each row's cells as text: input, at, then value and error per way. */
async function rows(page: Page, title: string): Promise<string[][]> {
  return view(page, title)
    .locator('.gradlab-fw-table > tbody:not(.gradlab-fw-costs) > tr')
    .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => (c.textContent ?? '').trim())));
}

describe('four-ways figure in JupyterLab', () => {
  it('draws both figures with the extension, without page errors, and no fallback beside them', async () => {
    const { page, errors } = browser;
    await expect(view(page, 'lecture').count()).resolves.toBe(1);
    await expect(page.locator('[data-gradlab-view="four-ways"]').count()).resolves.toBe(2);
    await expect(page.locator('.jp-RenderedHTML table').count()).resolves.toBe(0);
    expect(errors).toEqual([]);
  });

  it("shows the lecture's gradient five ways: all agree to rounding but numerical (~1e-10), and what each cost", async () => {
    const { page } = browser;
    const v = view(page, 'lecture');
    await expect(v.locator('.gradlab-fw-way .gradlab-fw-label').allTextContents()).resolves.toEqual([
      'manual (your function)',
      'symbolic',
      'numerical',
      'AD forward mode',
      'AD reverse mode',
    ]);
    const table = await rows(page, 'lecture');
    expect(table.map((r) => r[0])).toEqual(['x1', 'x2', 'x3', 'x4', 'x5', 'x6']);
    const errs = (way: string) => v.locator(`td.gradlab-fw-err[data-way="${way}"]`).evaluateAll((tds) => tds.map((td) => Number(td.textContent)));
    for (const way of ['manual', 'forward', 'reverse']) for (const e of await errs(way)) expect(e).toBeLessThanOrEqual(1e-12);
    const numerical = await errs('numerical');
    expect(numerical).toHaveLength(6);
    for (const e of numerical) expect(e).toBeLessThan(1e-6);
    expect(Math.max(...numerical)).toBeGreaterThan(1e-13); // numerical differences do differ
    // symbolic is the reference: its column group has the values only
    await expect(v.locator('td.gradlab-fw-err[data-way="symbolic"]').count()).resolves.toBe(0);
    expect(table[0]).toHaveLength(11);
    const costs = await v.locator('.gradlab-fw-costs tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => (c.textContent ?? '').trim())));
    expect(costs[0][0]).toBe('f evaluations');
    expect(costs[0][3]).toBe('12'); // numerical: 2n evaluations of f (after the label: manual, symbolic, numerical)
    await expect(v.locator('.gradlab-fw-derivs .gradlab-fw-deriv').count()).resolves.toBe(6);
    // the tints are real colours from the theme, not transparent
    const agree = await v
      .locator('td[data-way="reverse"].gradlab-fw-agree')
      .first()
      .evaluate((td) => getComputedStyle(td).backgroundColor);
    expect(agree).not.toMatch(/rgba\(0, 0, 0, 0\)|transparent/);
    await v.screenshot({ path: screenshotPath('four-ways') });
  });

  it('shows a hand-made payload with markup in every string as text, and the failed way', async () => {
    const { page } = browser;
    const v = page.locator('[data-gradlab-view="four-ways"]').nth(1);
    await expect(v.locator('img, script, svg, b').count()).resolves.toBe(0);
    await expect(v.locator('.gradlab-title').textContent()).resolves.toBe('<img src=x onerror=alert(1)>');
    await expect(v.locator('.gradlab-fw-failed').textContent()).resolves.toContain('<svg onload=alert(1)>');
    await v.screenshot({ path: screenshotPath('four-ways-hostile') });
  });

  it('follows the dark theme', async () => {
    const { page } = browser;
    const v = view(page, 'lecture');
    const colour = () => v.locator('.gradlab-fw-summary').evaluate((el) => getComputedStyle(el).color);
    await lightTheme(page);
    const light = await colour();
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Dark' }));
    await page.waitForFunction(() => document.body.dataset.jpThemeLight === 'false', undefined, { timeout: 20_000 });
    await page.waitForTimeout(500);
    expect(await colour()).not.toBe(light);
    await v.screenshot({ path: screenshotPath('four-ways-dark') });
    await lightTheme(page);
  });
});

describe('four-ways figure exported to HTML (no extension)', () => {
  it('shows the static table, with the hostile strings as text and nothing run', async () => {
    const exported = await openExport(
      'four-ways.ipynb',
      tslabNotebook([
        ['lecture', LECTURE],
        ['hostile', HOSTILE],
      ]),
    );
    try {
      const { page, dialogs } = exported;
      const figures = page.locator('.gradlab-static.gradlab-four-ways');
      await expect(figures.count()).resolves.toBe(2);
      await expect(figures.first().locator('table tbody tr').count()).resolves.toBe(9); // 6 inputs + 3 cost rows
      await expect(figures.first().innerText()).resolves.toContain('AD reverse mode');
      await expect(figures.nth(1).locator('img, script, svg').count()).resolves.toBe(0);
      await expect(figures.nth(1).innerText()).resolves.toContain('<img src=x onerror=alert(1)>');
      await page.waitForTimeout(300);
      expect(dialogs).toEqual([]);
      await figures.first().screenshot({ path: screenshotPath('four-ways-export') });
    } finally {
      await exported.close();
    }
  }, 240_000);
});
