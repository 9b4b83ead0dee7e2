/**
 * Without the extension: the notebook executed headless and exported with
 * `jupyter nbconvert --to html`, opened in Chromium, must still show every
 * figure through its static fallback (SVG for the graph and the curve, HTML
 * tables for the check and the chain), with user strings as text; and it
 * prints to PDF (how grading often happens).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openExport, screenshotPath, type Browser, type Exported } from './lab';

const FIXTURE = path.join(__dirname, 'fixtures', 'views.ipynb');

let exported: Exported;
let browser: Browser;
let dialogs: string[] = [];

/** What the exported page shows in one cell's outputs. */
interface CellFigures {
  /** SVG images (nbconvert embeds image/svg+xml as a data: URL) that decoded, so are valid SVG. */
  svgs: number;
  brokenSvgs: number;
  tables: number;
  text: string;
}
/** By cell tag (nbconvert writes a `celltag_<tag>` class on each cell). */
let cells: Record<string, CellFigures>;

beforeAll(async () => {
  exported = await openExport('views.ipynb', FIXTURE);
  const { page } = exported;
  browser = exported.browser;
  dialogs = exported.dialogs;
  cells = await page.evaluate(() => {
    const found: Record<string, CellFigures> = {};
    for (const cell of document.querySelectorAll('.jp-Cell.jp-CodeCell')) {
      const tag = [...cell.classList].find((c) => c.startsWith('celltag_'))?.slice('celltag_'.length) ?? '?';
      const images = [...cell.querySelectorAll<HTMLImageElement>('.jp-RenderedSVG img[src^="data:image/svg+xml"]')];
      found[tag] = {
        svgs: images.filter((img) => img.complete && img.naturalWidth > 0).length,
        brokenSvgs: images.filter((img) => !(img.complete && img.naturalWidth > 0)).length,
        tables: cell.querySelectorAll('.jp-RenderedHTMLCommon table').length,
        text: cell.querySelector('.jp-Cell-outputWrapper')?.textContent ?? '',
      };
    }
    return found;
  });
}, 240_000);

afterAll(async () => {
  await exported?.close();
});

describe('the HTML export, without the extension', () => {
  it('draws the graph, the loss curve and the pictures as valid SVG, the check, the chain and the matrix as tables', () => {
    expect(cells['graph']).toMatchObject({ svgs: 1, brokenSvgs: 0 });
    expect(cells['loss-curve']).toMatchObject({ svgs: 1, brokenSvgs: 0 });
    expect(cells['gradcheck'].tables).toBeGreaterThanOrEqual(1);
    expect(cells['jacobian-chain'].tables).toBeGreaterThanOrEqual(1);
    // decision boundary and image grid as SVG, the confusion matrix as a table
    expect(cells['pictures']).toMatchObject({ svgs: 2, brokenSvgs: 0 });
    expect(cells['pictures'].tables).toBeGreaterThanOrEqual(1);
    expect(Object.values(cells).reduce((n, c) => n + c.svgs, 0)).toBe(4);
  });

  it('keeps the graph figure whole with a user-chosen name that looks like markup, and runs nothing', async () => {
    // Inside an SVG image nothing runs; an unescaped name would have made the SVG invalid (broken image).
    expect(cells['graph'].brokenSvgs).toBe(0);
    expect(await browser.page.locator('img[src="x"]').count()).toBe(0);
    expect(dialogs).toEqual([]);
  });

  it('prints to PDF', async () => {
    await browser.page.screenshot({ path: screenshotPath('export-html'), fullPage: true });
    const pdf = path.join(path.dirname(screenshotPath('export')), 'export.pdf');
    await browser.page.pdf({ path: pdf, format: 'A4', printBackground: true });
    expect(fs.statSync(pdf).size).toBeGreaterThan(20_000);
  });
});
