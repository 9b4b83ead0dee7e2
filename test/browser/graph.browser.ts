/**
 * The graph view in real JupyterLab + Chromium: the first view of mid-size
 * graphs (notebook 01's lecture graph, 17–31 nodes) shows every node without
 * pressing "fit", and scope groups expand and collapse.
 *
 * The notebook is notebook 01's first cells as they are (markdown included,
 * so the output area is laid out as a reader sees it), plus a grouped graph.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, openBrowser, openNotebook, runAllCells, screenshotPath, startLab, type Browser, type Lab } from './lab';

const GROUPED = `{
  const w = gl.scalar(0.5, { requiresGrad: true, name: "w" });
  let loss: gl.Tensor = gl.scalar(0, { name: "zero" });
  for (let k = 0; k < 60; k++) loss = loss.add(gl.scope(\`point \${k}\`, () => w.mul(k + 1).tanh().mul(w).relu()));
  loss.backward();
  gl.show(loss, { title: "grouped" });
}`;

/** Notebook 01's cells up to its backward-pass graph, then the grouped graph and a last marker cell. */
function notebook(): object {
  const nb = JSON.parse(fs.readFileSync(path.join(ROOT, 'notebooks', '01-computational-graphs.ipynb'), 'utf8'));
  const cells = nb.cells.slice(0, 11).map((c: any) => (c.cell_type === 'code' ? { ...c, outputs: [], execution_count: null } : c));
  const code = (id: string, source: string) => ({ cell_type: 'code', id, metadata: {}, execution_count: null, outputs: [], source });
  cells.push(code('grouped', GROUPED), code('last', 'console.log("@@done");'));
  return { ...nb, cells };
}

let lab: Lab;
let browser: Browser;
let fixtures: string;

beforeAll(async () => {
  fixtures = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-graph-browser-'));
  fs.writeFileSync(path.join(fixtures, 'graphs.ipynb'), JSON.stringify(notebook(), null, 1));
  lab = await startLab(fixtures);
  browser = await openBrowser();
  const { page } = browser;
  await openNotebook(page, lab, 'graphs.ipynb');
  await runAllCells(page);
  // every cell run (or one failed: run-all stops there)
  const state = () =>
    page.evaluate(() => {
      const cells = (window as any).jupyterapp.shell.currentWidget.content.widgets;
      const errors: string[] = cells.flatMap((c: any) =>
        c.model.type === 'code'
          ? c.model.outputs
              .toJSON()
              .filter((o: any) => o.output_type === 'error')
              .map((o: any) => `${o.ename}: ${o.evalue}`)
          : [],
      );
      return { done: cells[cells.length - 1].model.executionCount !== null, errors };
    });
  const deadline = Date.now() + 180_000;
  let st = await state();
  while (!st.done && st.errors.length === 0 && Date.now() < deadline) {
    await page.waitForTimeout(250);
    st = await state();
  }
  const errors = st.done ? st.errors : [...st.errors, 'not every cell ran within 180 s'];
  if (errors.length) throw new Error(`cells failed: ${errors.join('; ')}`);
  await page.waitForTimeout(800); // resize observers and their frames settle
}, 240_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await lab?.stop().catch(() => undefined);
  if (lab) fs.rmSync(lab.rootDir, { recursive: true, force: true });
  if (fixtures) fs.rmSync(fixtures, { recursive: true, force: true });
});

/** The graph views on the page, by title, with their node boxes' rectangles and the canvas's. */
async function layouts() {
  return browser.page.evaluate(() =>
    [...document.querySelectorAll('[data-gradlab-view="graph"]')].map((view) => {
      const canvas = view.querySelector('.gradlab-graph-canvas')!.getBoundingClientRect();
      const boxes = [...view.querySelectorAll('[data-node-id]')].map((g) => {
        const r = g.getBoundingClientRect();
        return { id: g.getAttribute('data-node-id'), x0: r.left, y0: r.top, x1: r.right, y1: r.bottom };
      });
      return {
        title: view.querySelector('.gradlab-title')?.textContent ?? '',
        canvas: { x0: canvas.left, y0: canvas.top, x1: canvas.right, y1: canvas.bottom },
        boxes,
      };
    }),
  );
}

describe('graph view in JupyterLab', () => {
  it("opens notebook 01's lecture graphs with every node inside the canvas (no 'fit' needed)", async () => {
    const views = (await layouts()).filter((v) => v.title !== 'grouped');
    expect(views.map((v) => v.title)).toEqual(['forward pass: values', 'backward pass: values and gradients']);
    for (const v of views) {
      expect(v.boxes.length).toBeGreaterThanOrEqual(10);
      const outside = v.boxes.filter((b) => b.x0 < v.canvas.x0 - 1 || b.y0 < v.canvas.y0 - 1 || b.x1 > v.canvas.x1 + 1 || b.y1 > v.canvas.y1 + 1);
      expect(outside, `${v.title}: canvas ${JSON.stringify(v.canvas)}`).toEqual([]);
    }
    await browser.page
      .locator('[data-gradlab-view="graph"]')
      .nth(1)
      .screenshot({ path: screenshotPath('graph-first-view') });
  });

  it('the first view follows the output width until the user moves the graph', async () => {
    const { page } = browser;
    // narrow the notebook, then widen it again: the view refits each time (no pan or zoom happened)
    await page.setViewportSize({ width: 700, height: 1000 });
    await page.waitForTimeout(600);
    await page.setViewportSize({ width: 1400, height: 1000 });
    await page.waitForTimeout(600);
    for (const v of (await layouts()).filter((q) => q.title !== 'grouped')) {
      const outside = v.boxes.filter((b) => b.x0 < v.canvas.x0 - 1 || b.x1 > v.canvas.x1 + 1 || b.y0 < v.canvas.y0 - 1 || b.y1 > v.canvas.y1 + 1);
      expect(outside).toEqual([]);
      // and it uses the width: the graph spans most of the canvas
      const span = Math.max(...v.boxes.map((b) => b.x1)) - Math.min(...v.boxes.map((b) => b.x0));
      expect(span).toBeGreaterThan(0.5 * (v.canvas.x1 - v.canvas.x0));
    }
  });

  it('a grouped graph opens collapsed; expanding a group shows its nodes, collapsing hides them', async () => {
    const { page } = browser;
    const view = page.locator('[data-gradlab-view="graph"]').filter({ hasText: 'grouped' });
    const count = () => view.locator('[data-node-id]').count();
    // 60 groups and 61 other boxes: more than the 80 boxes drawn at first, so every group starts collapsed
    expect(await view.locator('.gradlab-group-collapsed').count()).toBe(60);
    const before = await count();
    // the 60 adds and the leaf w (the zero and the constants are drawn inline); w is used in every
    // group, so it takes their common scope, the top level
    expect(before).toBe(61);
    expect(await view.locator('[data-group="point 3"]').getAttribute('class')).toContain('gradlab-group-collapsed');
    expect(await view.textContent()).toContain('240 of 301 nodes are inside 60 collapsed scope groups');

    // expand with the keyboard: the collapsed box is a focusable button
    const button = view.locator('[data-group="point 3"] [data-group-toggle]');
    expect(await button.getAttribute('aria-label')).toBe('expand group point 3 (4 nodes)');
    await button.focus();
    await page.keyboard.press('Enter');
    await page.waitForTimeout(100);
    expect(await count()).toBe(before + 4);
    expect(await view.locator('[data-group="point 3"]').getAttribute('class')).toContain('gradlab-group-expanded');
    await view.screenshot({ path: screenshotPath('graph-group-expanded') });

    // collapse by clicking the frame's label (pointer events as the canvas sees them)
    const label = view.locator('[data-group="point 3"] [data-group-toggle]');
    expect(await label.getAttribute('aria-label')).toBe('collapse group point 3 (4 nodes)');
    await label.dispatchEvent('pointerdown', { button: 0, pointerId: 1, clientX: 10, clientY: 10 });
    await label.dispatchEvent('pointerup', { button: 0, pointerId: 1, clientX: 10, clientY: 10 });
    await page.waitForTimeout(100);
    expect(await count()).toBe(before);
    expect(await view.locator('[data-group="point 3"]').getAttribute('class')).toContain('gradlab-group-collapsed');
    expect(browser.errors.filter((e) => !/favicon|404/.test(e))).toEqual([]);
  });

  it('draws groups in the light and the dark theme (styles through --jp-* variables)', async () => {
    const { page } = browser;
    const view = page.locator('[data-gradlab-view="graph"]').filter({ hasText: 'grouped' });
    // a group near the output (in the first view): expanded, so a frame and collapsed boxes both show
    await view.locator('[data-group="point 58"] [data-group-toggle]').focus();
    await page.keyboard.press('Enter');
    await page.waitForTimeout(200);
    const fills = () =>
      view.evaluate((el) => {
        const box = el.querySelector('.gradlab-group-collapsed .gradlab-group-box');
        const frame = el.querySelector('.gradlab-group-expanded .gradlab-group-frame');
        return [box && getComputedStyle(box).fill, frame && getComputedStyle(frame).fill];
      });
    const light = await fills();
    await view.screenshot({ path: screenshotPath('graph-groups') });
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Dark' }));
    await page.waitForFunction(() => document.body.dataset.jpThemeLight === 'false', undefined, { timeout: 20_000 });
    await page.waitForTimeout(500);
    const dark = await fills();
    await view.screenshot({ path: screenshotPath('graph-groups-dark') });
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Light' }));
    await page.waitForFunction(() => document.body.dataset.jpThemeLight === 'true', undefined, { timeout: 20_000 });
    expect(light.every((c) => c !== null)).toBe(true);
    expect(dark[0]).not.toBe(light[0]);
    expect(dark[1]).not.toBe(light[1]);
  });
});
