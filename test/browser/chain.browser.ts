/**
 * The Jacobian-chain view in real JupyterLab + Chromium: a chain where
 * neither end order is cheapest shows its three orders (product, multiply-adds,
 * memory) with the dynamic program's order marked "✓ cheapest"; an MLP run
 * through `gl.jacobianChain` shows the FC panel, each parameter's full
 * Jacobian next to what backprop computes, with the numbers. Screenshots in
 * both themes (screenshots/chain-orders*.png, chain-fc*.png).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFixture, screenshotPath, tslabNotebook, type Browser, type Fixture } from './lab';

/** 10 → 1000 → 10 → 1000 → 10: the cheapest bracketing is (J₄·J₃)·(J₂·J₁). */
const HOURGLASS = `{
  gl.seed(0);
  const A = gl.randn([1000, 10]), B = gl.randn([10, 1000]), C = gl.randn([1000, 10]), D = gl.randn([10, 1000]);
  gl.show(gl.jacobianChain([(x: gl.Tensor) => A.matmul(x), (h: gl.Tensor) => B.matmul(h), (h: gl.Tensor) => C.matmul(h), (h: gl.Tensor) => D.matmul(h)],
    gl.randn([10]), { title: "hourglass", labels: ["up", "down", "up", "down"] }));
}`;

/** An MLP 784 → 256 → 10 and a loss, given as layers. */
const MLP = `{
  const net = gl.nn.mlp([784, 256, 10], { seed: 1 });
  gl.show(gl.jacobianChain([net, (s: gl.Tensor) => s.logsumexp()], gl.rand([784]), { title: "mlp", labels: [undefined, "loss"] }));
}`;

let fixture: Fixture;
let browser: Browser;

beforeAll(async () => {
  fixture = await openFixture(
    'chain.ipynb',
    tslabNotebook([
      ['hourglass', HOURGLASS],
      ['mlp', MLP],
    ]),
    { viewport: { width: 1400, height: 2200 } },
  );
  browser = fixture.browser;
}, 240_000);

afterAll(async () => {
  await fixture?.close();
});

/** The chain view whose title is `title`. */
function view(page: Page, title: string) {
  return page.locator('[data-gradlab-view="jacobian-chain"]').filter({ has: page.locator('.gradlab-title', { hasText: new RegExp(`^${title}$`) }) });
}

async function orderRows(page: Page, title: string): Promise<string[][]> {
  return view(page, title)
    .locator('.gradlab-jc-orders tbody tr')
    .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())));
}

describe('Jacobian-chain view in JupyterLab', () => {
  it('draws every chain with the extension, without page errors', async () => {
    const { page, errors } = browser;
    await expect(view(page, 'hourglass').count()).resolves.toBe(1);
    await expect(view(page, 'mlp').count()).resolves.toBe(1);
    expect(errors).toEqual([]);
  });

  it('shows the three orders with their numbers; the cheapest, neither end, is marked in words', async () => {
    const { page } = browser;
    expect(await orderRows(page, 'hourglass')).toEqual([
      ['forward order (input side first)', 'J₄·(J₃·(J₂·J₁))', '300,000', '11,100', ''],
      ['reverse order (output side first)', '((J₄·J₃)·J₂)·J₁', '300,000', '11,110', ''],
      ['cheapest order (dynamic programming over the chain)', '(J₄·J₃)·(J₂·J₁)', '201,000', '1,210', '✓ cheapest'],
    ]);
    await expect(view(page, 'hourglass').locator('.gradlab-jc-orders-verdict').textContent()).resolves.toMatch(/^Neither end is cheapest/);
    // the best row differs from the others by more than its colour: bold text
    const weights = await view(page, 'hourglass')
      .locator('.gradlab-jc-orders tbody tr td:nth-child(2)')
      .evaluateAll((tds) => tds.map((td) => getComputedStyle(td).fontWeight));
    expect(weights[2]).toBe('700');
    expect(weights[0]).not.toBe('700');
    await view(page, 'hourglass').screenshot({ path: screenshotPath('chain-orders') });
  });

  it('shows the FC panel: ∂y/∂W as numbers next to gW = xᵀ·gy', async () => {
    const { page } = browser;
    const v = view(page, 'mlp');
    expect((await orderRows(page, 'mlp')).map((r) => [r[2], r[4]])).toEqual([
      ['53,395,104', ''],
      ['268,800', '✓ cheapest'],
      ['268,800', '✓ cheapest'],
    ]);
    await expect(v.locator('.gradlab-jc-param').evaluateAll((ps) => ps.map((p) => p.getAttribute('data-param')))).resolves.toEqual([
      'fc1.weight',
      'fc1.bias',
      'fc2.weight',
      'fc2.bias',
    ]);
    const w1 = v.locator('.gradlab-jc-param').first();
    await expect(w1.locator('.gradlab-jc-full').innerText()).resolves.toContain('256 × 200,704 = 51,380,224 entries (51 million)');
    await expect(w1.locator('.gradlab-jc-full').innerText()).resolves.toContain('200,704 of them non-zero');
    await expect(w1.locator('.gradlab-jc-backprop').innerText()).resolves.toContain('gW = xᵀ · gy');
    await expect(w1.locator('.gradlab-jc-backprop').innerText()).resolves.toContain('784 × 256 = 200,704 entries');
    // side by side: the backprop box starts to the right of the full-Jacobian box, on the same line
    const [full, bp] = await Promise.all([w1.locator('.gradlab-jc-full').boundingBox(), w1.locator('.gradlab-jc-backprop').boundingBox()]);
    expect(bp!.x).toBeGreaterThan(full!.x + full!.width - 1);
    expect(Math.abs(bp!.y - full!.y)).toBeLessThan(2);
    await v.screenshot({ path: screenshotPath('chain-fc') });
  });

  it('follows the dark theme', async () => {
    const { page } = browser;
    const colour = () =>
      view(page, 'hourglass')
        .locator('.gradlab-jc-orders-verdict')
        .evaluate((el) => getComputedStyle(el).color);
    // JupyterLab keeps the theme in user settings shared by every test's lab: start from light explicitly
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Light' }));
    await page.waitForFunction(() => document.body.dataset.jpThemeLight === 'true', undefined, { timeout: 20_000 });
    await page.waitForTimeout(300);
    const light = await colour();
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Dark' }));
    await page.waitForFunction(() => document.body.dataset.jpThemeLight === 'false', undefined, { timeout: 20_000 });
    await page.waitForTimeout(500);
    expect(await colour()).not.toBe(light);
    await view(page, 'hourglass').screenshot({ path: screenshotPath('chain-orders-dark') });
    await view(page, 'mlp').screenshot({ path: screenshotPath('chain-fc-dark') });
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Light' }));
  });
});
