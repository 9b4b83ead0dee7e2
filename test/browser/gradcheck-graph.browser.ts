/**
 * Locating a wrong gradient in real JupyterLab + Chromium: a deliberately
 * wrong `gl.customOp` (its backward forgets the factor 2 of d(x²)/dx), checked
 * with `gl.gradCheck(f, xs, {nodes: true})`. The report names the failing node
 * and the graph below highlights exactly that node (`.gradlab-check-fail`);
 * its button selects it, also when it sits in a collapsed scope group.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIME, type GradCheckPayload } from '../../engine/display/contract';
import { openFixture, screenshotPath, tslabNotebook, type Browser, type Fixture } from './lab';

const BUGGY = `const buggySquare = gl.customOp({
  name: "buggySquare",
  forward: (x: gl.Tensor) => ({ out: x.mul(x), saved: x }),
  backward: (gy: gl.Tensor, x: gl.Tensor) => [gy.mul(x)], // BUG: d(x²)/dx = 2x
});`;

/** f(x) = sum(3 · buggySquare(tanh(x))): the graph has 4 op nodes, one of them wrong. */
const SMALL = `gl.seed(3);
gl.show(gl.gradCheck((x: gl.Tensor) => buggySquare(x.tanh()).mul(3).sum(), [gl.randn([4])], { names: ["x"], nodes: true }), { title: "small" });`;

/** 30 scopes of a few ops, the wrong one in scope "point 17": the graph opens with groups collapsed. */
const GROUPED = `gl.seed(4);
gl.show(gl.gradCheck((w: gl.Tensor) => {
  let loss: gl.Tensor = gl.scalar(0);
  for (let k = 0; k < 30; k++) loss = loss.add(gl.scope(\`point \${k}\`, () => (k === 17 ? buggySquare(w.mul(k + 1).tanh()) : w.mul(k + 1).tanh().mul(w)).sum()));
  return loss;
}, [gl.randn([2])], { names: ["w"], nodes: true }), { title: "grouped" });`;

let fixture: Fixture;
let browser: Browser;

beforeAll(async () => {
  fixture = await openFixture(
    'gradcheck.ipynb',
    tslabNotebook([
      ['buggy', BUGGY],
      ['small', SMALL],
      ['grouped', GROUPED],
    ]),
  );
  browser = fixture.browser;
}, 240_000);

afterAll(async () => {
  await fixture?.close();
});

/** The gradient-check payload a cell's output carries (what the view was given). */
async function payload(title: string): Promise<GradCheckPayload> {
  return browser.page.evaluate(
    ({ mime, title }) => {
      const nb = (window as any).jupyterapp.shell.currentWidget.content;
      for (const cell of nb.widgets) {
        const outputs = cell.model.outputs;
        for (let i = 0; outputs && i < outputs.length; i++) {
          const p = outputs.get(i).data[mime];
          if (p && p.title === title) return p;
        }
      }
      const outputs = nb.widgets.map((c: any, i: number) => `[${i}] ${c.node.querySelector('.jp-OutputArea')?.textContent ?? ''}`);
      throw new Error(`no gradient check titled ${title}; the cells' outputs:\n${outputs.join('\n').slice(0, 3000)}`);
    },
    { mime: MIME.gradcheck, title },
  );
}

/** The gradient-check view titled `title`. */
const viewOf = (title: string) =>
  browser.page.locator('[data-gradlab-view="gradcheck"]').filter({ has: browser.page.locator('.gradlab-headline', { hasText: `(${title})` }) });

/** The id of the one node whose local check failed, from the payload; every other checked node passed. */
function failingNode(p: GradCheckPayload): number {
  expect(p.ok).toBe(false);
  const g = p.graph!;
  expect(g, 'the report carries its graph').toBeDefined();
  const checked = g.nodes.filter((n) => n.check);
  expect(checked.length).toBeGreaterThan(1);
  const failing = checked.filter((n) => !n.check!.ok);
  expect(failing.map((n) => n.op)).toEqual(['buggySquare']);
  return failing[0].id;
}

describe('a wrong custom op located on the graph', () => {
  it('highlights exactly the buggy node, with its relative error, and names it in the report', async () => {
    const p = await payload('small');
    const id = failingNode(p);
    const view = viewOf('small');
    const marked = await view.locator('[data-gradlab-view="graph"] .gradlab-check-fail').evaluateAll((els) => els.map((el) => el.getAttribute('data-node-id')));
    expect(marked).toEqual([String(id)]);
    // the badge on the node carries its relative error, as the report line does
    const rel = p.graph!.nodes[id].check!.relError as number;
    expect(rel).toBeGreaterThan(1e-3);
    const line = await view.locator('.gradlab-gradcheck-failing li').allTextContents();
    expect(line).toHaveLength(1);
    expect(line[0]).toMatch(new RegExp(`^✗ buggySquare #${id} — relative error ${rel.toExponential(1).replace('+', '\\+')} show in graph$`));
    await view.locator('.gradlab-gradcheck-failing button').click();
    const selected = view.locator('[data-gradlab-view="graph"] .gradlab-selected');
    expect(await selected.getAttribute('data-node-id')).toBe(String(id));
    expect(await view.locator('.gradlab-graph-details').textContent()).toContain('✗ local backward disagrees with finite differences');
    await view.screenshot({ path: screenshotPath('gradcheck-graph') });
  });

  it('finds the buggy node inside a collapsed scope group: the group is marked, the button opens it and selects the node', async () => {
    const p = await payload('grouped');
    const id = failingNode(p);
    expect(p.graph!.nodes[id].scope).toEqual(['point 17']);
    const view = viewOf('grouped');
    const graph = view.locator('[data-gradlab-view="graph"]');
    expect(await graph.locator(`.gradlab-node[data-node-id="${id}"]`).count()).toBe(0);
    expect(await graph.locator('.gradlab-check-fail').evaluateAll((els) => els.map((el) => el.getAttribute('data-group')))).toEqual(['point 17']);
    await view.locator('.gradlab-gradcheck-failing button').click();
    const selected = graph.locator('.gradlab-selected');
    expect(await selected.getAttribute('data-node-id')).toBe(String(id));
    expect(await selected.getAttribute('class')).toContain('gradlab-check-fail');
    // and in view: the node's box lies inside the canvas
    const box = (await selected.locator('.gradlab-box').boundingBox())!;
    const canvas = (await graph.locator('.gradlab-graph-canvas').boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(canvas.x);
    expect(box.y).toBeGreaterThanOrEqual(canvas.y);
    expect(box.x + box.width).toBeLessThanOrEqual(canvas.x + canvas.width);
    expect(box.y + box.height).toBeLessThanOrEqual(canvas.y + canvas.height);
    // now expanded: exactly that node is marked failing
    expect(await graph.locator('.gradlab-node.gradlab-check-fail').evaluateAll((els) => els.map((el) => el.getAttribute('data-node-id')))).toEqual([
      String(id),
    ]);
    await view.screenshot({ path: screenshotPath('gradcheck-graph-grouped') });
  });

  it('raises no errors in the page', () => {
    expect(browser.errors).toEqual([]);
  });
});
