/**
 * The real thing: JupyterLab with the tslab kernel and the gradlab extension,
 * in headless Chromium. Runs test/browser/fixtures/views.ipynb and checks that
 * every view is drawn by the extension (not by a fallback renderer), that the
 * loss curve changes while its cell runs, and that a bad payload leaves a
 * readable message. Screenshots go to screenshots/ for a person to look at.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIME } from '../../engine/display/contract';
import { ROOT, cellLocator, openBrowser, openNotebook, runAllCells, screenshotPath, startLab, type Browser, type Lab } from './lab';

const FIXTURES = path.join(__dirname, 'fixtures');
const NOTEBOOK = 'views.ipynb';

/** Cell index by the tag in its metadata (JupyterLab's DOM does not show tags). */
const TAGS: Record<string, number> = (() => {
  const nb = JSON.parse(fs.readFileSync(path.join(FIXTURES, NOTEBOOK), 'utf8'));
  const tags: Record<string, number> = {};
  nb.cells.forEach((cell: { metadata?: { tags?: string[] } }, i: number) => {
    for (const tag of cell.metadata?.tags ?? []) tags[tag] = i;
  });
  return tags;
})();

const VIEWS = [
  { tag: 'graph', mime: MIME.graph },
  { tag: 'gradcheck', mime: MIME.gradcheck },
  { tag: 'jacobian-chain', mime: MIME.jacobianChain },
  { tag: 'loss-curve', mime: MIME.lossCurve },
] as const;

/** Classes of JupyterLab's built-in renderers that would draw a bundle's static fallback. */
const FALLBACK_RENDERERS = '.jp-RenderedSVG, .jp-RenderedImage, .jp-RenderedHTML, .jp-RenderedText';

interface CurveSample {
  running: boolean;
  signature: string | null;
}

let lab: Lab;
let browser: Browser;
const curveSamples: CurveSample[] = [];
/** Every URL the page fetched, and those fetched before any cell ran. */
const fetched: string[] = [];
let fetchedAtStart: string[] = [];

/** The extension's chunks over 1 MB (plotly.js should be the only one). */
function bigChunks(): string[] {
  const dir = path.join(ROOT, '.venv', 'share', 'jupyter', 'labextensions', 'gradlab', 'static');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.js') && fs.statSync(path.join(dir, f)).size > 1_000_000);
}

beforeAll(async () => {
  lab = await startLab(FIXTURES);
  browser = await openBrowser();
  const { page } = browser;
  page.on('request', (request) => fetched.push(request.url()));
  await openNotebook(page, lab, NOTEBOOK);
  fetchedAtStart = [...fetched];
  await runAllCells(page);

  // Watch the loss curve cell until every cell has run: its view must change while it runs.
  const curveCell = cellLocator(page, TAGS['loss-curve']);
  const lastCell = cellLocator(page, TAGS['after']);
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const sample = await curveCell.evaluate((cell) => {
      const prompt = cell.querySelector('.jp-InputPrompt')?.textContent ?? '';
      const view = cell.querySelector('.gradlab-view');
      return { running: prompt.includes('*'), signature: view ? view.innerHTML : null };
    });
    curveSamples.push(sample);
    if ((await lastCell.locator('.jp-OutputArea-output').count()) > 0) break;
    await page.waitForTimeout(150);
  }
  await page.waitForTimeout(500); // let the renderers settle before screenshots
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await lab?.stop();
});

describe('JupyterLab with the gradlab extension', () => {
  for (const { tag, mime } of VIEWS) {
    it(`draws the ${tag} view with the extension, not the fallback`, async () => {
      const cell = cellLocator(browser.page, TAGS[tag]);
      const outputs = cell.locator('.jp-OutputArea-output');
      await expect.poll(() => outputs.count(), { timeout: 10_000 }).toBe(1);
      const view = outputs.first();
      expect(await view.getAttribute('class')).toContain('gradlab-view');
      expect(await view.getAttribute('data-mime-type')).toBe(mime);
      expect(await cell.locator(FALLBACK_RENDERERS).count()).toBe(0);
      expect(await cell.locator('.gradlab-error').count()).toBe(0);
      // One drawing, however many times renderModel ran.
      expect(await view.locator(':scope > .gradlab-host').count()).toBe(1);
      await cell.screenshot({ path: screenshotPath(tag) });
    });
  }

  it('draws the pictures (decision boundary, confusion matrix, image grid) with the extension', async () => {
    const cell = cellLocator(browser.page, TAGS['pictures']);
    const views = cell.locator('.jp-OutputArea-output.gradlab-view');
    await expect.poll(() => views.count(), { timeout: 10_000 }).toBe(3);
    expect(await views.evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.mimeType))).toEqual([
      MIME.decisionBoundary,
      MIME.confusionMatrix,
      MIME.imageGrid,
    ]);
    expect(await cell.locator(FALLBACK_RENDERERS).count()).toBe(0);
    expect(await cell.locator('.gradlab-error, .gradlab-view-error').count()).toBe(0);
    expect(await cell.locator('.gradlab-db-point').count()).toBeGreaterThanOrEqual(90);
    expect(await cell.locator('td.gradlab-cm-cell').count()).toBe(9);
    expect(await cell.locator('.gradlab-ig-tile').count()).toBe(10);
    expect(await cell.locator('.gradlab-view img').count()).toBe(0); // a hostile class name stays text
    await cell.screenshot({ path: screenshotPath('pictures') });
  });

  it('shows the loss curve changing while its cell runs', () => {
    const whileRunning = new Set(curveSamples.filter((s) => s.running && s.signature !== null).map((s) => s.signature));
    expect(whileRunning.size, `${curveSamples.length} samples`).toBeGreaterThanOrEqual(2);
    const last = curveSamples[curveSamples.length - 1];
    expect(last.running).toBe(false);
  });

  it('shows a readable message for a payload of an unknown version, and the notebook keeps working', async () => {
    const cell = cellLocator(browser.page, TAGS['bad-version']);
    const message = cell.locator('.gradlab-error-message');
    await expect.poll(() => message.count()).toBe(1);
    expect(await message.textContent()).toMatch(/version 1.*version 99/);
    // The bundle's text form is shown under the message.
    expect(await cell.locator('.gradlab-error pre').textContent()).toBe('a graph from the future');
    await cell.screenshot({ path: screenshotPath('bad-version') });
    expect(await cellLocator(browser.page, TAGS['after']).locator('.jp-OutputArea-output').textContent()).toContain('still working');
  });

  it('renders user strings as text, never as markup', async () => {
    const graph = cellLocator(browser.page, TAGS['graph']);
    expect(await graph.locator('.gradlab-view img').count()).toBe(0);
  });

  it('loads plotly.js only when a loss curve is drawn, not when JupyterLab starts', () => {
    const chunks = bigChunks();
    expect(chunks).toHaveLength(1);
    const [plotly] = chunks;
    expect(fetchedAtStart.filter((url) => url.includes(plotly))).toEqual([]);
    expect(fetched.filter((url) => url.includes(plotly))).toHaveLength(1);
  });

  it('follows the dark theme (styles through --jp-* variables)', async () => {
    const { page } = browser;
    const colours = () =>
      page.evaluate(() => [...document.querySelectorAll('.gradlab-view')].map((el) => getComputedStyle(el.querySelector('.gradlab-host *') ?? el).color));
    // plotly draws with colours read from --jp-* variables when it renders: it must redraw on a theme change
    const tickFill = () =>
      page.evaluate(() => {
        const t = document.querySelector<SVGTextElement>('.gradlab-view .xtick text');
        return t ? getComputedStyle(t).fill : null;
      });
    const light = await colours();
    const lightTicks = await tickFill();
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Dark' }));
    await page.waitForFunction(() => document.body.dataset.jpThemeLight === 'false', undefined, { timeout: 20_000 });
    await page.waitForTimeout(500);
    const dark = await colours();
    expect(dark).toHaveLength(light.length);
    expect(
      dark.every((c, i) => c !== light[i]),
      `light ${light.join(',')} dark ${dark.join(',')}`,
    ).toBe(true);
    expect(lightTicks).not.toBeNull();
    await expect.poll(tickFill, { timeout: 5_000 }).not.toBe(lightTicks);
    for (const { tag } of VIEWS) await cellLocator(page, TAGS[tag]).screenshot({ path: screenshotPath(`${tag}-dark`) });
    await cellLocator(page, TAGS['pictures']).screenshot({ path: screenshotPath('pictures-dark') });
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Light' }));
    await page.waitForFunction(() => document.body.dataset.jpThemeLight === 'true', undefined, { timeout: 20_000 });
  });

  it('raises no errors in the page', async () => {
    await browser.page.screenshot({ path: screenshotPath('notebook'), fullPage: true });
    expect(browser.errors).toEqual([]);
  });
});
