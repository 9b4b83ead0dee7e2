/**
 * The loss curve in real JupyterLab + Chromium with the tslab kernel:
 *
 * - an interrupted training cell (the stop button, i.e. the kernel interrupt
 *   command) leaves its curve with the points it had and "stopped: interrupted
 *   at step N" in the view, and the saved notebook's output (payload and
 *   static SVG fallback) has the same N points and the status;
 * - the smoothing and log-scale toggles reach plotly and survive live updates;
 * - curves of 10,000 and 100,000 points are drawn (a downsample) with every point
 *   kept; the time from the update's arrival to the drawn plot is printed.
 *
 * Screenshots: screenshots/loss-curve-stopped.png, loss-curve-toggles.png and loss-curve-toggles-dark.png.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIME } from '../../engine/display/contract';
import { OUTPUT, cellLocator, openBrowser, openNotebook, screenshotPath, startLab, type Browser, type Lab } from './lab';

const NOTEBOOK = 'curve.ipynb';

const CELLS = [
  // 0: setup
  `import * as gl from "gradlab";
const net = gl.nn.mlp([64, 100, 10], {seed: 0});
const digits = gl.data.digits({scale: true});
console.log("ready");`,
  // 1: far more steps than the test waits for: only the interrupt ends it
  `await gl.nn.train(net, digits.train, {epochs: 100000, batchSize: 32, lr: 0.05, evalEvery: 10,
  validation: digits.test, curve: {minInterval: 50, title: "digits, interrupted"}});`,
  // 2: the kernel still answers, with the history the curve should show
  `console.log("@@HISTORY " + JSON.stringify({steps: net.history!.steps, stopped: net.history!.stopped}));`,
  // 3: a live curve for the toggles: 60 updates, ~8 s
  `{
  const c = gl.lossCurve({title: "toggles", minInterval: 100});
  for (let i = 0; i < 600; i++) {
    const until = performance.now() + 12;
    while (performance.now() < until) {}
    await c.push({step: i, loss: 2 * Math.exp(-i / 150) + 0.02 + 0.05 * Math.sin(i), accuracy: 1 - Math.exp(-i / 200)});
  }
  await c.close();
}`,
  // 4, 5: long curves, sent once when closed
  ...[10_000, 100_000].map(
    (n) => `{
  const c = gl.lossCurve({title: "${n} points", minInterval: 1e9});
  for (let i = 0; i < ${n}; i++) c.push(i, 1 / (1 + i / 1000) + 0.05 * Math.sin(i / 7));
  await c.close();
}`,
  ),
];

function notebook(): object {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' }, language_info: { name: 'typescript' } },
    cells: CELLS.map((source, i) => ({ cell_type: 'code', id: `c${i}`, metadata: {}, execution_count: null, outputs: [], source })),
  };
}

let lab: Lab;
let browser: Browser;
let fixtures: string;

type Page = Browser['page'];

async function runCell(page: Page, index: number): Promise<void> {
  await page.evaluate((i) => {
    const app = (window as any).jupyterapp;
    const nb = app.shell.currentWidget.content;
    nb.activeCellIndex = i;
    void app.commands.execute('notebook:run-cell');
  }, index);
}

/** Waits for a cell's reply and returns its stdout. */
async function reply(page: Page, index: number, timeout = 120_000): Promise<string> {
  await page.waitForFunction((i) => (window as any).jupyterapp.shell.currentWidget.content.widgets[i].model.executionCount !== null, index, {
    timeout,
    polling: 100,
  });
  return page.evaluate(
    (i) =>
      (window as any).jupyterapp.shell.currentWidget.content.widgets[i].model.outputs
        .toJSON()
        .filter((o: any) => o.output_type === 'stream')
        .map((o: any) => (Array.isArray(o.text) ? o.text.join('') : o.text))
        .join(''),
    index,
  );
}

/** What the loss-curve view in a cell shows. */
function curveState(page: Page, index: number) {
  return cellLocator(page, index).evaluate((cell) => {
    const root = cell.querySelector<HTMLElement>('[data-gradlab-view="loss-curve"]');
    const plot = cell.querySelector<any>('.js-plotly-plot');
    return {
      points: Number(root?.dataset.points ?? NaN),
      status: root?.querySelector('.gradlab-status')?.textContent ?? null,
      summary: root?.querySelector('.gradlab-loss-summary')?.textContent ?? null,
      traces: (plot?.data ?? []).map((t: any) => ({ name: t.name, n: t.x.length, lastX: t.x[t.x.length - 1], opacity: t.opacity })),
      yType: plot?._fullLayout?.yaxis?.type ?? null,
      y2: !!plot?._fullLayout?.yaxis2,
      note: root?.querySelector<HTMLElement>('.gradlab-loss-note')?.hidden === false,
    };
  });
}

beforeAll(async () => {
  fs.mkdirSync(OUTPUT, { recursive: true }); // a fresh clone has no test-output/ yet
  fixtures = fs.mkdtempSync(path.join(OUTPUT, 'curve-fixtures-'));
  fs.writeFileSync(path.join(fixtures, NOTEBOOK), JSON.stringify(notebook(), null, 1));
  lab = await startLab(fixtures);
  browser = await openBrowser();
  await openNotebook(browser.page, lab, NOTEBOOK);
  await runCell(browser.page, 0);
  expect(await reply(browser.page, 0)).toContain('ready');
});

afterAll(async () => {
  await browser?.close();
  await lab?.stop();
  if (fixtures) fs.rmSync(fixtures, { recursive: true, force: true });
});

describe('loss curve in JupyterLab', () => {
  let steps = 0;

  it('an interrupted training cell keeps its curve, with its points, marked stopped', async () => {
    const { page } = browser;
    await runCell(page, 1);
    // the curve is live: wait for some points, then press stop (the kernel interrupt command, as the toolbar button does)
    await page.waitForFunction(
      () => {
        const root = document.querySelectorAll('.jp-Notebook .jp-Cell')[1]?.querySelector<HTMLElement>('[data-gradlab-view="loss-curve"]');
        return Number(root?.dataset.points ?? 0) >= 30 && !!document.querySelectorAll('.jp-Notebook .jp-Cell')[1].querySelector('.js-plotly-plot .main-svg');
      },
      undefined,
      { timeout: 90_000, polling: 100 },
    );
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('notebook:interrupt-kernel'));
    await reply(page, 1);
    await page.waitForFunction(
      () => /stopped/.test(document.querySelectorAll('.jp-Notebook .jp-Cell')[1]?.querySelector('.gradlab-status')?.textContent ?? ''),
      undefined,
      { timeout: 30_000, polling: 100 },
    );
    // the last payload (stopped) is drawn at the next frame
    await page.waitForFunction(
      () => {
        const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[1];
        const root = cell?.querySelector<HTMLElement>('[data-gradlab-view="loss-curve"]');
        const plot = cell?.querySelector<any>('.js-plotly-plot');
        return plot?.data?.[0]?.x?.length === Number(root?.dataset.points);
      },
      undefined,
      { timeout: 5_000, polling: 100 },
    );
    const view = await curveState(page, 1);
    const m = view.status?.match(/^stopped: interrupted at step (\d+)$/);
    expect(m, `status: ${view.status}`).not.toBeNull();
    steps = Number(m![1]);
    expect(steps).toBeGreaterThanOrEqual(30);
    expect(view.points).toBe(steps); // one loss point per step, none lost
    const names = view.traces.map((t: { name: string }) => t.name);
    expect(names).toEqual(['loss', 'accuracy', 'validation loss', 'validation accuracy']);
    expect(view.traces[0].n).toBe(steps);
    expect(view.traces[0].lastX).toBe(steps);
    expect(view.y2).toBe(true);
    await cellLocator(page, 1).screenshot({ path: screenshotPath('loss-curve-stopped') });

    // the kernel still runs cells, and the model's history agrees with the curve
    await runCell(page, 2);
    const history = JSON.parse((await reply(page, 2)).split('@@HISTORY ')[1]);
    expect(history).toEqual({ steps, stopped: `interrupted at step ${steps}` });
  });

  it('the saved notebook keeps those points: in the payload and in the static SVG fallback', async () => {
    const { page } = browser;
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('docmanager:save'));
    const file = path.join(lab.rootDir, NOTEBOOK);
    let outputs: any[] = [];
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      outputs = JSON.parse(fs.readFileSync(file, 'utf8')).cells[1].outputs;
      if (outputs.some((o) => o.data?.[MIME.lossCurve]?.stopped)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const out = outputs.find((o) => o.data?.[MIME.lossCurve]);
    expect(out, 'a loss-curve output in the saved cell').toBeDefined();
    const payload = out.data[MIME.lossCurve];
    expect(payload.stopped).toBe(`interrupted at step ${steps}`);
    expect(payload.series[0].x).toHaveLength(steps);
    const svg: string = Array.isArray(out.data['image/svg+xml']) ? out.data['image/svg+xml'].join('') : out.data['image/svg+xml'];
    expect(svg).toContain(`stopped: interrupted at step ${steps}`);
    const first = svg.match(/<polyline points="([^"]*)"/)![1].split(' ');
    expect(first).toHaveLength(steps); // the loss line: every point (fewer than 4,000)
    const text: string = Array.isArray(out.data['text/plain']) ? out.data['text/plain'].join('') : out.data['text/plain'];
    expect(text).toContain(`loss: ${steps.toLocaleString('en-US')} points`); // counts are written 1,240
  });

  it('smoothing and log scale reach the plot and stay set while the curve updates', async () => {
    const { page } = browser;
    await runCell(page, 3);
    const cell = cellLocator(page, 3);
    await page.waitForFunction(() => !!document.querySelectorAll('.jp-Notebook .jp-Cell')[3]?.querySelector('.js-plotly-plot .main-svg'), undefined, {
      timeout: 60_000,
      polling: 100,
    });
    await cell.locator('input.gradlab-loss-log').check();
    await cell.locator('input.gradlab-loss-smoothing').fill('0.9');
    const early = await curveState(page, 3);
    await reply(page, 3);
    await page.waitForFunction(
      () => /done/.test(document.querySelectorAll('.jp-Notebook .jp-Cell')[3]?.querySelector('.gradlab-status')?.textContent ?? ''),
      undefined,
      { timeout: 30_000, polling: 100 },
    );
    await page.waitForTimeout(400); // the last redraw (throttled) lands
    const late = await curveState(page, 3);
    expect(early.points).toBeLessThan(600); // toggled while it was still training
    expect(late.points).toBe(600);
    expect(late.yType).toBe('log');
    expect(late.traces.map((t: { name: string }) => t.name)).toEqual(['loss (raw)', 'loss', 'accuracy (raw)', 'accuracy']);
    expect(late.traces[0].opacity).toBe(0.3);
    expect(late.traces[1].lastX).toBe(599);
    expect(late.note).toBe(false);
    expect(await cell.locator('input.gradlab-loss-smoothing').inputValue()).toBe('0.9');
    await cell.screenshot({ path: screenshotPath('loss-curve-toggles') });

    // a theme change redraws the plot in the new colours, with the toggles as they were
    const tickFill = () =>
      cell.evaluate((c) => {
        const t = c.querySelector<SVGTextElement>('.ytick text');
        return t ? getComputedStyle(t).fill : null;
      });
    const lightTicks = await tickFill();
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Dark' }));
    await page.waitForFunction(() => document.body.dataset.jpThemeLight === 'false', undefined, { timeout: 20_000 });
    await expect.poll(tickFill, { timeout: 5_000 }).not.toBe(lightTicks);
    const dark = await curveState(page, 3);
    expect(dark.yType).toBe('log');
    expect(dark.traces).toHaveLength(4);
    await cell.screenshot({ path: screenshotPath('loss-curve-toggles-dark') });
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Light' }));
    await page.waitForFunction(() => document.body.dataset.jpThemeLight === 'true', undefined, { timeout: 20_000 });
  });

  for (const [index, n] of [
    [4, 10_000],
    [5, 100_000],
  ] as const) {
    it(`draws ${n.toLocaleString('en')} points: all kept, a downsample drawn`, async () => {
      const { page } = browser;
      // time in the page: from the output's view showing n points (the update has arrived) to the plot drawn with them
      const timing = page.evaluate(
        ({ i, n }) =>
          new Promise<number>((resolve, reject) => {
            let t0 = NaN;
            const deadline = performance.now() + 120_000;
            const tick = () => {
              const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[i];
              const root = cell?.querySelector<HTMLElement>('[data-gradlab-view="loss-curve"]');
              if (Number.isNaN(t0) && Number(root?.dataset.points) === n) t0 = performance.now();
              const plot = cell?.querySelector<any>('.js-plotly-plot');
              if (!Number.isNaN(t0) && plot?.data?.[0]?.x?.[plot.data[0].x.length - 1] === n - 1) {
                requestAnimationFrame(() => resolve(performance.now() - t0));
                return;
              }
              if (performance.now() > deadline) reject(new Error('not drawn in 120 s'));
              else requestAnimationFrame(tick);
            };
            tick();
          }),
        { i: index, n },
      );
      await runCell(page, index);
      const ms = await timing;
      await reply(page, index);
      const view = await curveState(page, index);
      expect(view.points).toBe(n);
      expect(view.traces[0].n).toBeLessThanOrEqual(2000);
      expect(view.traces[0].lastX).toBe(n - 1);
      console.log(`[curve.browser] ${n} points: update arrived → plot drawn ${ms.toFixed(0)} ms`);
      expect(browser.errors.filter((e) => !/favicon|404/.test(e))).toEqual([]);
    });
  }
});
