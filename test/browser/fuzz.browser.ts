/**
 * The renderers against hostile payloads, in real JupyterLab and Chromium
 * (issue #10). One valid payload of each of the seven kinds is mutated with a
 * seeded RNG — wrong types, missing fields, huge sizes, NaN and infinities as
 * strings, deep nesting, 100,000-character strings, markup that would run
 * script, arrays blown up — and the mutants are written as saved
 * display_data outputs of a notebook (no kernel runs them: JupyterLab renders
 * saved outputs, and the renderer is marked safe, so an untrusted notebook
 * reaches it). For every output the test asserts that a view was drawn or
 * the error element (role=alert) says what is wrong; and, over the whole
 * page, no page error, no console error, no script run (`window.__pwned`, no
 * dialog), and the page answering a round trip within a generous hang limit
 * per batch — a frozen tab fails the test; speed is the benchmarks' business.
 *
 * GRADLAB_FUZZ_SEED=<n> replays another seed; a failure names the seed, the
 * cell and each mutation.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH, SEED, cases, notebook, type Case } from './fuzz-cases';
import { OUTPUT, openBrowser, screenshotPath, startLab, type Browser, type Lab } from './lab';

/** A batch whose outputs are not all drawn or refused by then, or a page that does not answer, is a hang. */
const HANG_MS = 60_000;
const NOTEBOOK = 'fuzz.ipynb';

/** `promise`, or a rejection saying what hung when it takes longer than HANG_MS. */
function withinHangLimit<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the page did not answer within ${HANG_MS / 1000} s: ${what}`)), HANG_MS);
  });
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer));
}

let lab: Lab;
let browser: Browser;
let fixtures: string;
const all = cases();
const batches: Case[][] = [];
for (let i = 0; i < all.length; i += BATCH) batches.push(all.slice(i, i + BATCH));
const dialogs: string[] = [];

beforeAll(async () => {
  fixtures = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-fuzz-'));
  fs.writeFileSync(path.join(fixtures, NOTEBOOK), JSON.stringify(notebook(batches)));
  fs.mkdirSync(OUTPUT, { recursive: true });
  fs.writeFileSync(
    path.join(OUTPUT, 'fuzz-cases.txt'),
    all.map((c, i) => `${i} cell ${Math.floor(i / BATCH)} output ${i % BATCH}: ${c.what}`).join('\n') + '\n',
  );
  lab = await startLab(fixtures);
  browser = await openBrowser();
  browser.page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  const { page } = browser;
  await page.goto(`${lab.url}/lab/tree/${encodeURIComponent(NOTEBOOK)}?token=${lab.token}`);
  // The notebook's cells are there (no kernel is needed: the outputs are saved ones).
  const t0 = Date.now();
  for (;;) {
    const cells = await withinHangLimit(
      page.evaluate(() => (window as any).jupyterapp?.shell?.currentWidget?.content?.widgets?.length ?? 0),
      'opening the notebook',
    );
    if (cells === batches.length) break;
    if (Date.now() - t0 > 120_000) throw new Error(`the notebook showed ${cells} of ${batches.length} cells after 120 s`);
    await page.waitForTimeout(250);
  }
}, 240_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await lab?.stop().catch(() => undefined);
  if (lab) fs.rmSync(lab.rootDir, { recursive: true, force: true });
  if (fixtures) fs.rmSync(fixtures, { recursive: true, force: true });
});

/** What each output of cell `index` shows: 'view', 'alert', or what it is instead; null while not all are there. */
function outputsOf(index: number): Promise<string[] | null> {
  return browser.page.evaluate(
    ({ index, expected }) => {
      // the cell widget, not the n-th cell in the DOM: JupyterLab attaches only the cells near the viewport
      const cell = (window as any).jupyterapp.shell.currentWidget.content.widgets[index]?.node as HTMLElement | undefined;
      if (!cell) return null;
      const outs = [...cell.querySelectorAll('.jp-OutputArea-output')];
      if (outs.length < expected) return null;
      return outs.map((o) => {
        if (!o.classList.contains('gradlab-view')) return `not the gradlab renderer: ${o.className}`;
        if (o.querySelector('[role="alert"]')) return 'alert';
        if (o.querySelector('[data-gradlab-view]')) return 'view';
        return `empty: ${o.textContent?.slice(0, 80) ?? ''}`;
      });
    },
    { index, expected: batches[index].length },
  );
}

describe(`renderer fuzz (seed ${SEED}, ${all.length} payloads in ${batches.length} cells)`, () => {
  it('draws every payload or says what is wrong, never hangs, runs no script, raises no error', async () => {
    const { page } = browser;
    const results: string[] = [];
    const slowest = { ms: 0, cell: -1 };
    const tally = { view: 0, alert: 0 };
    for (let i = 0; i < batches.length; i++) {
      const t0 = Date.now();
      await withinHangLimit(
        page.evaluate(async (index) => {
          const notebook = (window as any).jupyterapp.shell.currentWidget.content;
          await notebook.scrollToItem(index, 'start');
        }, i),
        `scrolling to cell ${i}`,
      );
      let shown: string[] | null = null;
      while (Date.now() - t0 < HANG_MS) {
        shown = await withinHangLimit(outputsOf(i), `reading cell ${i}`);
        if (shown && !shown.some((s) => s.startsWith('empty'))) break;
        await page.waitForTimeout(100);
      }
      // A round trip through the page's event loop: a view that froze the tab fails here, not on speed.
      await withinHangLimit(
        page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(true)))),
        `the frame after cell ${i}`,
      );
      const ms = Date.now() - t0;
      if (ms > slowest.ms) Object.assign(slowest, { ms, cell: i });
      batches[i].forEach((c, k) => {
        const s = shown?.[k] ?? 'missing';
        if (s === 'view' || s === 'alert') tally[s]++;
        else results.push(`cell ${i} output ${k} (${c.what}): ${s}`);
      });
    }
    const views = await page.evaluate(() => ({
      pwned: (window as any).__pwned,
      // the loss curve's stand-in is an <img> of its static SVG (a data: URL, where no script runs); nothing else is
      markup: document.querySelectorAll('.gradlab-view img:not(.gradlab-loss-static):not(.gradlab-plot-static), .gradlab-view script, .gradlab-view iframe')
        .length,
    }));
    fs.writeFileSync(
      path.join(OUTPUT, 'fuzz-summary.json'),
      JSON.stringify(
        {
          seed: SEED,
          payloads: all.length,
          slowestCellMs: slowest.ms,
          slowestCell: slowest.cell,
          ...tally,
          ...views,
          problems: results,
          errors: browser.errors,
          dialogs,
        },
        null,
        1,
      ),
    );
    await page.screenshot({ path: screenshotPath('fuzz') });
    expect(results, `seed ${SEED}; cases in test-output/browser/fuzz-cases.txt`).toEqual([]);
    expect(views.pwned).toBeUndefined();
    expect(dialogs).toEqual([]);
    expect(views.markup).toBe(0);
    expect(browser.errors).toEqual([]);
    // Both outcomes occur: the valid payloads are drawn and the broken ones refused.
    expect(tally.view).toBeGreaterThan(all.length / 10);
    expect(tally.alert).toBeGreaterThan(all.length / 4);
  }, 180_000);
});
