/**
 * The line plot (`gl.plot`) in real JupyterLab + tslab + Chromium: sin with
 * its derivative (by hand and by reverse-mode AD) over an interval, and the
 * error of forward and central differences against h on log-log axes, with
 * an h² guide (an error of exactly 0 would be left out, with a note); values on hover; light and dark
 * screenshots (screenshots/plot.png, plot-dark.png); and the notebook exported
 * with nbconvert, where the static SVG stands in for the view.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openExport, openFixture, screenshotPath, tslabNotebook, type Browser, type Fixture } from './lab';

const SIN = `gl.show(gl.plot(
  { "sin x": Math.sin, "cos x (by hand)": { y: Math.cos, dash: true }, "d sin/dx (reverse mode)": { y: (x) => gl.grad((t: gl.Tensor) => t.sin())(gl.scalar(x)), mode: "markers", x: { from: -3, to: 3, n: 25 } } },
  { x: { from: -Math.PI, to: Math.PI }, title: "sin and its derivative", xLabel: "x", yLabel: "value" },
));`;

const ERRORS = `{
  const hs = Array.from({ length: 14 }, (_, k) => 10 ** -(k + 1));
  const forward = hs.map((h) => Math.abs((Math.exp(1 + h) - Math.exp(1)) / h - Math.E));
  const central = hs.map((h) => Math.abs((Math.exp(1 + h) - Math.exp(1 - h)) / (2 * h) - Math.E));
  gl.show(gl.plot({ forward, central, "h²": { y: hs.map((h) => h * h), dash: true } }, { x: hs, logX: true, logY: true, title: "error against the step", xLabel: "step h", yLabel: "error" }));
}`;

const CELLS: [string, string][] = [
  ['sin', SIN],
  ['errors', ERRORS],
];

let fixture: Fixture;
let browser: Browser;

beforeAll(async () => {
  fixture = await openFixture('plot.ipynb', tslabNotebook(CELLS), { viewport: { width: 1200, height: 1400 } });
  browser = fixture.browser;
}, 240_000);

afterAll(async () => {
  await fixture?.close();
});

function view(page: Page, title: string) {
  return page.locator('[data-gradlab-view="plot"]').filter({ has: page.locator('.gradlab-title', { hasText: title }) });
}

/** What plotly drew in a view: traces, axis types, legend entries, the colour of the tick labels. */
function drawn(page: Page, title: string) {
  return view(page, title).evaluate((root) => {
    const plot = root.querySelector<any>('.js-plotly-plot');
    return {
      traces: (plot?.data ?? []).map((t: any) => ({ name: t.name, n: t.x.length, mode: t.mode, dash: t.line?.dash })),
      xType: plot?._fullLayout?.xaxis?.type ?? null,
      yType: plot?._fullLayout?.yaxis?.type ?? null,
      legend: [...root.querySelectorAll('.legend .traces .legendtext')].map((t) => t.textContent),
      tickColour: root.querySelector('.xtick text') ? getComputedStyle(root.querySelector('.xtick text')!).fill : null,
      notes: [...root.querySelectorAll('.gradlab-plot-notes li')].map((li) => li.textContent),
    };
  });
}

/** Both plots, in one picture. */
async function shoot(page: Page, name: string): Promise<void> {
  const boxes = await page.locator('[data-gradlab-view="plot"]').evaluateAll((els) =>
    els.map((e) => {
      const r = e.getBoundingClientRect();
      return { x: r.x, y: r.y, w: r.width, h: r.height };
    }),
  );
  const x = Math.min(...boxes.map((b) => b.x)) - 8;
  const y = Math.min(...boxes.map((b) => b.y)) - 8;
  const right = Math.max(...boxes.map((b) => b.x + b.w)) + 8;
  const bottom = Math.max(...boxes.map((b) => b.y + b.h)) + 8;
  await page.screenshot({ path: screenshotPath(name), clip: { x, y, width: right - x, height: bottom - y } });
}

describe('line plot in JupyterLab', () => {
  it('draws both plots with plotly, without page errors, and no static fallback beside them', async () => {
    const { page, errors } = browser;
    await page.waitForFunction(() => document.querySelectorAll('[data-gradlab-view="plot"] .js-plotly-plot .main-svg').length >= 2, undefined, {
      timeout: 60_000,
      polling: 200,
    });
    await expect(page.locator('[data-gradlab-view="plot"]').count()).resolves.toBe(2);
    await expect(page.locator('.jp-RenderedSVG').count()).resolves.toBe(0);
    await expect(page.locator('.gradlab-plot-static').count()).resolves.toBe(0);
    expect(errors).toEqual([]);
  });

  it('sin and its derivative: three series on linear axes, the AD derivative as markers', async () => {
    const d = await drawn(browser.page, 'sin and its derivative');
    expect(d.traces).toEqual([
      { name: 'sin x', n: 200, mode: 'lines', dash: 'solid' },
      { name: 'cos x (by hand)', n: 200, mode: 'lines', dash: 'dash' },
      { name: 'd sin/dx (reverse mode)', n: 25, mode: 'markers', dash: 'solid' },
    ]);
    expect([d.xType, d.yType]).toEqual(['linear', 'linear']);
    expect(d.legend).toEqual(['sin x', 'cos x (by hand)', 'd sin/dx (reverse mode)']);
    expect(d.notes).toEqual([]);
    // the AD derivative (sampled inside gl.plot) is cos
    const ys = await view(browser.page, 'sin and its derivative').evaluate((root) =>
      (root.querySelector<any>('.js-plotly-plot').data[2].y as number[]).slice(0, 3),
    );
    expect(ys).toEqual([Math.cos(-3), Math.cos(-2.75), Math.cos(-2.5)].map((v) => expect.closeTo(v, 12)));
  });

  it('errors against h: log-log axes, the zero error left out and said', async () => {
    const d = await drawn(browser.page, 'error against the step');
    expect([d.xType, d.yType]).toEqual(['log', 'log']);
    expect(d.traces.map((t: { name: string }) => t.name)).toEqual(['forward', 'central', 'h²']);
    expect(d.legend).toHaveLength(3);
    // central differences of exp at 1 hit the exact value at some h: a log axis cannot show 0
    for (const n of d.notes) expect(n).toMatch(/with a value ≤ 0 left out: the log axes cannot show them$/);
  });

  it('shows values on hover', async () => {
    const { page } = browser;
    const box = await view(page, 'sin and its derivative').locator('.nsewdrag').first().boundingBox();
    expect(box).not.toBeNull();
    await page.mouse.move(box!.x + box!.width / 2, box!.y + box!.height / 2);
    await page.mouse.move(box!.x + box!.width / 2 + 3, box!.y + box!.height / 2 + 1);
    await page.waitForFunction(() => !!document.querySelector('[data-gradlab-view="plot"] .hoverlayer .hovertext'), undefined, { timeout: 10_000 });
    const text = await view(page, 'sin and its derivative').locator('.hoverlayer .hovertext').first().textContent();
    expect(text).toMatch(/: -?\d/);
    expect(text).toMatch(/x = /);
    await page.mouse.move(5, 5);
  });

  it('follows the light and the dark theme (screenshots)', async () => {
    const { page } = browser;
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Light' }));
    await page.waitForFunction(() => document.body.dataset.jpThemeLight === 'true', undefined, { timeout: 20_000 });
    await page.waitForTimeout(800);
    const light = (await drawn(page, 'sin and its derivative')).tickColour;
    await shoot(page, 'plot');
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Dark' }));
    await page.waitForFunction(() => document.body.dataset.jpThemeLight === 'false', undefined, { timeout: 20_000 });
    await page.waitForTimeout(1000);
    const dark = (await drawn(page, 'sin and its derivative')).tickColour;
    expect(dark).not.toBe(light);
    await shoot(page, 'plot-dark');
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Light' }));
    expect(browser.errors).toEqual([]);
  });
});

describe('line plot exported to HTML (no extension)', () => {
  it('shows each plot as its static SVG, decoded, with the legend and the note', async () => {
    const exported = await openExport('plot.ipynb', tslabNotebook(CELLS));
    try {
      const { page, dialogs } = exported;
      const images = page.locator('.jp-RenderedSVG img[src^="data:image/svg+xml"]');
      await expect(images.count()).resolves.toBe(2);
      const decoded = await images.evaluateAll((imgs) => imgs.map((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0));
      expect(decoded).toEqual([true, true]);
      const svgs = await images.evaluateAll((imgs) => imgs.map((img) => decodeURIComponent(escape(atob((img as HTMLImageElement).src.split(',')[1])))));
      expect(svgs[0]).toContain('sin and its derivative');
      expect(svgs[0]).toContain('d sin/dx (reverse mode)');
      expect(svgs[1]).toContain('step h (log scale)');
      await images.nth(1).screenshot({ path: screenshotPath('plot-export') });
      expect(dialogs).toEqual([]);
    } finally {
      await exported.close();
    }
  }, 240_000);
});
