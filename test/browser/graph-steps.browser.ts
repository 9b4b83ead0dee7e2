/**
 * Stepping through a graph in real JupyterLab + Chromium: with the graph
 * focused, pressing "next" visits every node in topological order (the
 * forward pass), then every node that has a gradient, from the output back
 * (the backward pass); a value used twice shows a partial gradient until its
 * last consumer has sent; "done" gives the full graph back; the view's own
 * keys (arrows pan) keep working; a grouped graph highlights the collapsed
 * group hiding the current node. Screenshots in both themes.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIME, type GraphPayload } from '../../engine/display/contract';
import { openFixture, screenshotPath, tslabNotebook, type Browser, type Fixture } from './lab';

/** a = 2, b = 3, c = a·b, d = c + a, e = d·c: a and c are each used twice. */
const BRANCH = `{
  const a = gl.scalar(2, { requiresGrad: true, name: "a" });
  const b = gl.scalar(3, { requiresGrad: true, name: "b" });
  const c = a.mul(b);
  c.name = "c";
  const d = c.add(a);
  d.name = "d";
  const e = d.mul(c);
  e.name = "e";
  e.backward();
  gl.show(e, { title: "branch" });
}`;

/** 30 scopes of 3 ops: more than the view shows expanded, so it opens with groups collapsed. */
const GROUPED = `{
  const w = gl.scalar(0.5, { requiresGrad: true, name: "w" });
  let loss: gl.Tensor = gl.scalar(0, { name: "zero" });
  for (let k = 0; k < 30; k++) loss = loss.add(gl.scope(\`point \${k}\`, () => w.mul(k + 1).tanh().mul(w)));
  loss.backward();
  gl.show(loss, { title: "grouped" });
}`;

let fixture: Fixture;
let browser: Browser;

beforeAll(async () => {
  fixture = await openFixture(
    'steps.ipynb',
    tslabNotebook([
      ['branch', BRANCH],
      ['grouped', GROUPED],
    ]),
  );
  browser = fixture.browser;
}, 240_000);

afterAll(async () => {
  await fixture?.close();
});

/** The graph payload a cell's output carries, read from JupyterLab's output model (what the view was given). */
async function payload(page: Page, title: string): Promise<GraphPayload> {
  return page.evaluate(
    ({ mime, title }) => {
      const nb = (window as any).jupyterapp.shell.currentWidget.content;
      for (const cell of nb.widgets) {
        const outputs = cell.model.outputs;
        for (let i = 0; outputs && i < outputs.length; i++) {
          const p = outputs.get(i).data[mime];
          if (p && p.title === title) return p;
        }
      }
      throw new Error(`no graph titled ${title}`);
    },
    { mime: MIME.graph, title },
  );
}

/** The graph view titled `title`. */
const viewOf = (title: string) =>
  browser.page.locator('[data-gradlab-view="graph"]').filter({ has: browser.page.locator('.gradlab-title', { hasText: new RegExp(`^${title}$`) }) });

/** What the view shows now: the stepper's position and current node, and the highlighted element. */
async function state(page: Page, title: string) {
  return viewOf(title).evaluate((view) => {
    const stepper = view.querySelector('.gradlab-stepper')!;
    const current = [...view.querySelectorAll('.gradlab-step-current')];
    return {
      step: Number(stepper.getAttribute('data-step')),
      node: stepper.getAttribute('data-step-node'),
      phase: stepper.getAttribute('data-step-phase'),
      caption: stepper.querySelector('.gradlab-step-caption')?.textContent ?? '',
      current: current.map((el) => el.getAttribute('data-node-id') ?? `group:${el.getAttribute('data-group')}`),
      pending: [...view.querySelectorAll('.gradlab-node.gradlab-step-pending')].map((el) => Number(el.getAttribute('data-node-id'))),
      withGrad: [...view.querySelectorAll('.gradlab-node:not(.gradlab-step-nograd)')].map((el) => Number(el.getAttribute('data-node-id'))),
      marked: view.querySelectorAll('.gradlab-graph-world [class*="gradlab-step-"]').length,
    };
  });
}

/** The order the issue asks for, from the payload alone: every node forward, then every node with a gradient from the output back. */
function expectedOrder(p: GraphPayload): { forward: number[]; backward: number[] } {
  p.nodes.forEach((n) => n.inputs.forEach((j) => expect(j, `node ${n.id}'s input ${j} comes first`).toBeLessThan(n.id)));
  const withGrad = p.nodes.filter((n) => n.grad !== null && n.id !== p.output).map((n) => n.id);
  return { forward: p.nodes.map((n) => n.id), backward: [p.output, ...withGrad.reverse()] };
}

describe('stepping through a graph in JupyterLab', () => {
  it('is off at first: the whole graph shows, with a stepper offering to start', async () => {
    const s = await state(browser.page, 'branch');
    expect(s.step).toBe(0);
    expect(s.marked).toBe(0);
    expect(s.caption).toContain('press ▶');
  });

  it('visits every node in topological order, then every gradient from the output back (keys . and ,)', async () => {
    const { page } = browser;
    const p = await payload(page, 'branch');
    const { forward, backward } = expectedOrder(p);
    expect(p.nodes.map((n) => n.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
    await viewOf('branch').locator('.gradlab-graph-canvas').focus();
    const seen: { phase: string | null; node: number; current: string[]; pending: number[] }[] = [];
    const cellsBefore = await page.locator('.jp-Notebook .jp-Cell').count();
    for (let k = 0; k < forward.length + backward.length + 2; k++) {
      await page.keyboard.press('.');
      const s = await state(page, 'branch');
      seen.push({ phase: s.phase, node: Number(s.node), current: s.current, pending: s.pending });
    }
    const steps = seen.slice(0, forward.length + backward.length);
    expect(steps.map((s) => `${s.phase} ${s.node}`)).toEqual([...forward.map((id) => `forward ${id}`), ...backward.map((id) => `backward ${id}`)]);
    // the highlighted element is the current node's own, and exactly one
    for (const s of steps) expect(s.current).toEqual([String(s.node)]);
    // forward: the nodes not computed yet are faded, exactly those after the current one
    forward.forEach((id, k) => expect(steps[k].pending).toEqual(forward.filter((j) => j > id)));
    // past the end it stays on the last step
    expect(seen.slice(-2).map((s) => s.node)).toEqual([backward.at(-1), backward.at(-1)]);
    // the keys went to the graph, not to JupyterLab's notebook shortcuts
    expect(await page.locator('.jp-Notebook .jp-Cell').count()).toBe(cellsBefore);

    // back with ","
    await page.keyboard.press(',');
    expect(Number((await state(page, 'branch')).node)).toBe(backward.at(-2));
  });

  it('shows c’s gradient as partial (8 of 14) after e, complete after d, with captions that say so', async () => {
    const { page } = browser;
    await viewOf('branch').locator('.gradlab-graph-canvas').focus();
    await page.keyboard.press('Home');
    for (let k = 0; k < 5; k++) await page.keyboard.press('.'); // backward 1: e
    const s = await state(page, 'branch');
    expect(s.caption).toBe(
      'backward 1/5: start at the output e: ∂L/∂e = 1 (L is e) — through ×: d receives ∂L/∂e · c = 6; c receives ∂L/∂e · d = 8 (1 of 2 contributions, partial)',
    );
    expect(s.withGrad.sort()).toEqual([2, 3, 4]);
    const c = viewOf('branch').locator('.gradlab-node[data-node-id="2"]');
    expect(await c.getAttribute('class')).toContain('gradlab-step-partial');
    expect(await c.locator('text.gradlab-grad').textContent()).toBe('8');
    expect(await c.locator('text.gradlab-grad-label').textContent()).toBe('so far');
    expect(await c.getAttribute('data-step-partial')).toBe('1/2');
    // the grad line of a node without a gradient yet is not shown
    const a = viewOf('branch').locator('.gradlab-node[data-node-id="0"] text.gradlab-grad');
    expect(await a.evaluate((el) => getComputedStyle(el).visibility)).toBe('hidden');
    await c.screenshot({ path: screenshotPath('graph-steps-partial-node') });
    await viewOf('branch').screenshot({ path: screenshotPath('graph-steps') });

    await page.keyboard.press('.'); // backward 2: d sends c its second contribution
    expect(await c.getAttribute('class')).not.toContain('gradlab-step-partial');
    expect(await c.locator('text.gradlab-grad').textContent()).toBe('14');
    expect((await state(page, 'branch')).caption).toContain('c receives ∂L/∂d = 6 (2 of 2 contributions)');

    // the view's own keys still work while stepping: arrows pan
    const world = viewOf('branch').locator('.gradlab-graph-world');
    const before = await world.getAttribute('transform');
    await page.keyboard.press('ArrowLeft');
    expect(await world.getAttribute('transform')).not.toBe(before);
    expect((await state(page, 'branch')).step).toBe(7);
  });

  it('steps with the buttons and the slider, and "done" restores the full graph', async () => {
    const { page } = browser;
    const view = viewOf('branch');
    await view.locator('button[aria-label^="first step"]').click();
    expect((await state(page, 'branch')).node).toBe('0');
    await view.locator('button[aria-label^="next step"]').click();
    expect((await state(page, 'branch')).node).toBe('1');
    await view.locator('button[aria-label^="last step"]').click();
    expect((await state(page, 'branch')).caption).toBe(
      'backward 5/5: a’s gradient is complete: ∂L/∂a = 48 = 6 + 42, the sum of its 2 contributions — this is what a.grad holds',
    );
    await view.locator('input.gradlab-step-slider').fill('3');
    await expect.poll(async () => (await state(page, 'branch')).caption).toBe('forward 3/5: c = a × b = 6');
    await view.locator('button[aria-label^="stop stepping"]').click();
    const s = await state(page, 'branch');
    expect(s.step).toBe(0);
    expect(s.marked).toBe(0);
    expect(await view.locator('.gradlab-node[data-node-id="2"] text.gradlab-grad').textContent()).toBe('14');
  });

  it('in a grouped graph, reaches every node too, highlighting the collapsed group that hides it', async () => {
    const { page } = browser;
    const p = await payload(page, 'grouped');
    const { forward, backward } = expectedOrder(p);
    expect(p.nodes.length).toBeGreaterThan(120);
    const view = viewOf('grouped');
    expect(await view.locator('.gradlab-group-collapsed').count()).toBeGreaterThan(0);
    await view.locator('.gradlab-graph-canvas').focus();
    // Press "n" for every step, reading the state after each in the page (hundreds of steps).
    const seen = await view.evaluate((el, total) => {
      const canvas = el.querySelector('.gradlab-graph-canvas')!;
      const stepper = el.querySelector('.gradlab-stepper')!;
      const out: { phase: string | null; node: string | null; current: string[] }[] = [];
      for (let k = 0; k < total; k++) {
        canvas.dispatchEvent(new KeyboardEvent('keydown', { key: 'n', bubbles: true, cancelable: true }));
        out.push({
          phase: stepper.getAttribute('data-step-phase'),
          node: stepper.getAttribute('data-step-node'),
          current: [...el.querySelectorAll('.gradlab-step-current')].map((c) => c.getAttribute('data-node-id') ?? `group:${c.getAttribute('data-group')}`),
        });
      }
      return out;
    }, forward.length + backward.length);
    expect(seen.map((s) => `${s.phase} ${s.node}`)).toEqual([...forward.map((id) => `forward ${id}`), ...backward.map((id) => `backward ${id}`)]);
    // each step highlights one element: the node's own, the collapsed group of its scope, or for a
    // constant drawn inline on its op's label, that op
    const groupOf = (id: number) => p.nodes[id].scope.join('/');
    const consumers = (id: number) => p.nodes.filter((n) => n.inputs.includes(id)).map((n) => String(n.id));
    let inGroups = 0;
    for (const s of seen) {
      expect(s.current, `step at node ${s.node}`).toHaveLength(1);
      const [c] = s.current;
      const id = Number(s.node);
      if (c.startsWith('group:')) {
        inGroups++;
        expect(groupOf(id).startsWith(c.slice('group:'.length)), `node ${id} in ${c}`).toBe(true);
      } else if (p.nodes[id].kind === 'const' && c !== s.node) expect(consumers(id)).toContain(c);
      else expect(c).toBe(s.node);
    }
    expect(inGroups).toBeGreaterThan(0);
    await view.screenshot({ path: screenshotPath('graph-steps-grouped') });
    await view.locator('button[aria-label^="stop stepping"]').click();
  });

  it('follows the dark theme (screenshot mid-backward)', async () => {
    const { page } = browser;
    const view = viewOf('branch');
    await view.locator('input.gradlab-step-slider').fill('7');
    await expect.poll(async () => (await state(page, 'branch')).step).toBe(7);
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Dark' }));
    await page.waitForFunction(() => document.body.dataset.jpThemeLight === 'false', undefined, { timeout: 20_000 });
    await page.waitForTimeout(500);
    await view.screenshot({ path: screenshotPath('graph-steps-dark') });
    const caption = await view.locator('.gradlab-step-caption').evaluate((el) => getComputedStyle(el).color);
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Light' }));
    await page.waitForFunction(() => document.body.dataset.jpThemeLight === 'true', undefined, { timeout: 20_000 });
    await page.waitForTimeout(300);
    expect(await view.locator('.gradlab-step-caption').evaluate((el) => getComputedStyle(el).color)).not.toBe(caption);
    await view.screenshot({ path: screenshotPath('graph-steps-light') });
  });

  it('raises no errors in the page', () => {
    expect(browser.errors).toEqual([]);
  });
});
