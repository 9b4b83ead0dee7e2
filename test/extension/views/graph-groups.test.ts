// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import type { GraphNode, GraphPayload, NodeCheck } from '../../../engine/display/contract';
import { renderGraph } from '../../../extension/views/graph';
import { PATTERN_WORDS } from '../../../engine/display/op-table';
import * as gl from '../../../engine';
import { graphPayload } from '../../../engine/display/payloads';
import { GRAPH_NODE_LIMIT, SHARED_INPUTS_KEY } from '../../../engine/display/figures/graph';
import { DRAW_MAX } from '../../../extension/views/graph-draw';
import { LONG_NAME, hugeGraph } from '../../fixtures/huge-graph';
import { scalar } from '../../fixtures/payloads';
import { wire } from '../../fixtures/wire';

/**
 * `x` (top level) feeds `points` groups `<name> k`, each a sum, a mul and a
 * nested group `act` holding a relu; the groups' outputs are added at top level.
 */
function scoped(points: number, opts: { name?: string; check?: [number, NodeCheck] } = {}): GraphPayload {
  const nodes: GraphNode[] = [];
  const add = (op: string, inputs: number[], scope: string[]) => {
    const id = nodes.length;
    nodes.push({ id, kind: inputs.length ? 'op' : 'leaf', op, name: null, inputs, shape: [], value: scalar(id), grad: scalar(1), requiresGrad: true, scope });
    return id;
  };
  const x = add('leaf', [], []);
  nodes[x].name = 'x';
  const outs: number[] = [];
  for (let k = 0; k < points; k++) {
    const scope = [`${opts.name ?? 'point'} ${k}`];
    let v = add('sum', [x], scope);
    v = add('mul', [v, v], scope);
    outs.push(add('relu', [v], [...scope, 'act']));
  }
  let loss = outs[0];
  for (const o of outs.slice(1)) loss = add('add', [loss, o], []);
  if (opts.check) nodes[opts.check[0]].check = opts.check[1];
  return { version: 1, kind: 'graph', output: loss, nodes };
}

function host(): HTMLElement {
  const el = document.createElement('div');
  document.body.append(el);
  return el;
}

/** A click as the canvas sees it: pointerdown and pointerup on `target`, no movement. */
function click(target: Element) {
  for (const type of ['pointerdown', 'pointerup']) {
    target.dispatchEvent(new PointerEvent(type, { bubbles: true, button: 0, pointerId: 1, clientX: 5, clientY: 5 }));
  }
}

const translate = (el: Element) => {
  const m = el
    .querySelector('.gradlab-graph-world')!
    .getAttribute('transform')!
    .match(/translate\(([-\d.]+),([-\d.]+)\) scale\(([-\d.]+)\)/)!;
  return { x: Number(m[1]), y: Number(m[2]), k: Number(m[3]) };
};

afterEach(() => document.body.replaceChildren());

describe('graph view: scope groups', () => {
  it('opens a large grouped graph collapsed: one button per group, with its name, size and shapes', () => {
    const el = host();
    renderGraph(el, wire(scoped(40))); // 1 + 40·3 + 39 = 160 nodes
    expect(el.querySelectorAll('[data-node-id]')).toHaveLength(40); // x and the adds
    const groups = el.querySelectorAll('[data-group]');
    expect(groups).toHaveLength(40);
    const g = el.querySelector('[data-group="point 7"]')!;
    expect(g.classList.contains('gradlab-group-collapsed')).toBe(true);
    const button = g.querySelector('[data-group-toggle]')!;
    expect(button.getAttribute('role')).toBe('button');
    expect(button.getAttribute('tabindex')).toBe('0');
    expect(button.getAttribute('aria-label')).toBe('expand group point 7 (3 nodes)');
    expect([...g.querySelectorAll('text')].map((t) => t.textContent)).toEqual([
      '▸ point 7',
      'nodes',
      '3',
      'in',
      'scalar',
      'out',
      'scalar',
      'ops',
      '1 mul · 1 relu · 1 sum',
    ]);
    expect(el.querySelector('.gradlab-header')!.textContent).toContain('160 nodes · 40 drawn · 40 collapsed groups');
    expect(el.textContent).toContain('120 of 160 nodes are inside 40 collapsed scope groups');
  });

  it('clicking a collapsed group expands it in place; clicking its label collapses it', () => {
    const el = host();
    const view = renderGraph(el, wire(scoped(40)));
    const before = view.figure!.groups.find((g) => g.key === 'point 7')!.box;
    const t0 = translate(el);
    click(el.querySelector('[data-group="point 7"] [data-group-toggle]')!);
    // its members are drawn (the nested act stays collapsed), inside a frame whose label collapses it
    expect(el.querySelectorAll('[data-node-id]')).toHaveLength(42);
    expect(el.querySelector('[data-node-id="22"]')).not.toBeNull(); // point 7's sum: 1 + 7·3
    const frame = el.querySelector('[data-group="point 7"]')!;
    expect(frame.classList.contains('gradlab-group-expanded')).toBe(true);
    expect(el.querySelector('[data-group="point 7/act"]')!.classList.contains('gradlab-group-collapsed')).toBe(true);
    expect(frame.querySelector('[data-group-toggle]')!.getAttribute('aria-label')).toBe('collapse group point 7 (3 nodes)');
    // the group stays where it was on screen: its new frame's corner is at the old box's corner
    const after = view.figure!.groups.find((g) => g.key === 'point 7')!.box;
    const t1 = translate(el);
    expect(t1.k).toBe(t0.k);
    expect(t1.x + after.x * t1.k).toBeCloseTo(t0.x + before.x * t0.k, 0);
    expect(t1.y + after.y * t1.k).toBeCloseTo(t0.y + before.y * t0.k, 0);

    // the nested group opens too, then collapsing the outer one hides everything again
    click(el.querySelector('[data-group="point 7/act"] [data-group-toggle]')!);
    expect(el.querySelectorAll('[data-node-id]')).toHaveLength(43);
    click(el.querySelector('[data-group="point 7"] [data-group-toggle]')!);
    expect(el.querySelectorAll('[data-node-id]')).toHaveLength(40);
    expect(el.querySelector('[data-group="point 7"]')!.classList.contains('gradlab-group-collapsed')).toBe(true);
    // and reopening it shows act collapsed again (collapsing forgets what was open inside)
    click(el.querySelector('[data-group="point 7"] [data-group-toggle]')!);
    expect(el.querySelectorAll('[data-node-id]')).toHaveLength(42);
  });

  it('Enter on a focused group button toggles it', () => {
    const el = host();
    renderGraph(el, wire(scoped(40)));
    const button = el.querySelector('[data-group="point 3"] [data-group-toggle]')!;
    button.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
    expect(el.querySelectorAll('[data-node-id]')).toHaveLength(42);
  });

  it('a small grouped graph opens expanded, each group a labelled frame', () => {
    const el = host();
    renderGraph(el, wire(scoped(3)));
    expect(el.querySelectorAll('[data-node-id]')).toHaveLength(1 + 9 + 2);
    expect([...el.querySelectorAll('.gradlab-group-expanded')].map((g) => g.getAttribute('data-group')).sort()).toEqual([
      'point 0',
      'point 0/act',
      'point 1',
      'point 1/act',
      'point 2',
      'point 2/act',
    ]);
    expect(el.querySelector('.gradlab-group-collapsed')).toBeNull();
  });

  it('shows a hostile scope name as text', () => {
    const el = host();
    renderGraph(el, wire(scoped(40, { name: '<script>alert(1)</script><img src=x>' })));
    expect(el.querySelector('script, img')).toBeNull();
    const g = [...el.querySelectorAll('[data-group]')].find((e) => e.getAttribute('data-group') === '<script>alert(1)<%2Fscript><img src=x> 0')!; // a "/" in a name is escaped in keys
    expect(g.querySelector('.gradlab-node-title')!.textContent).toMatch(/^▸ <script>alert\(1\)<\/script><img/); // shortened to 32 characters
    expect(g.querySelector('[data-group-toggle]')!.getAttribute('aria-label')).toBe('expand group <script>alert(1)</script><img src=x> 0 (3 nodes)');
  });
});

describe('graph view: failed node checks', () => {
  const bad: NodeCheck = { ok: false, relError: 0.031, absError: 0.2, count: 3 };

  it('highlights the failing node with a text badge of its relative error', () => {
    const el = host();
    renderGraph(el, wire(scoped(3, { check: [5, bad] })));
    const n = el.querySelector('[data-node-id="5"]')!;
    expect(n.classList.contains('gradlab-check-fail')).toBe(true);
    expect([...n.querySelectorAll('text.gradlab-check')].map((t) => t.textContent)).toEqual(['✗ rel. error 3.1e-2']);
    expect(el.querySelectorAll('.gradlab-node.gradlab-check-fail')).toHaveLength(1);
    expect(el.querySelector('[data-group="point 1"]')!.classList.contains('gradlab-check-fail')).toBe(true);
    expect(el.querySelector('[data-group="point 0"]')!.classList.contains('gradlab-check-fail')).toBe(false);
  });

  it('highlights the collapsed group that hides it', () => {
    const el = host();
    renderGraph(el, wire(scoped(40, { check: [5, bad] })));
    const g = el.querySelector('[data-group="point 1"]')!;
    expect(g.classList.contains('gradlab-group-collapsed')).toBe(true);
    expect(g.classList.contains('gradlab-check-fail')).toBe(true);
    expect(g.textContent).toContain('✗ rel. error 3.1e-2 in #5');
    expect(el.querySelectorAll('.gradlab-check-fail')).toHaveLength(1);
  });
});

describe('graph view: stepping through groups', () => {
  it('puts the stepper under the header, gives it the keys first, and marks the group hiding the current node', () => {
    const el = host();
    renderGraph(el, wire(scoped(40)));
    const header = el.querySelector('.gradlab-header')!;
    expect(header.nextElementSibling!.classList.contains('gradlab-stepper')).toBe(true);
    const canvas = el.querySelector('.gradlab-graph-canvas')!;
    const key = (k: string) => canvas.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true }));
    key('.'); // forward step 1: x, drawn itself
    expect(el.querySelector('[data-node-id="0"]')!.classList.contains('gradlab-step-current')).toBe(true);
    key('.'); // forward step 2: point 0's sum, hidden in its group
    const g = el.querySelector('[data-group="point 0"]')!;
    expect(g.classList.contains('gradlab-step-current')).toBe(true);
    // expanding the group redraws; the step's mark moves onto the node itself
    click(g.querySelector('[data-group-toggle]')!);
    expect(el.querySelector('[data-node-id="1"]')!.classList.contains('gradlab-step-current')).toBe(true);
  });
});

describe('graph view: shared inputs', () => {
  /** Weights w0, w1 at top level used in every group `point k` (w0·w1, then relu); the outputs added at top level. */
  function shared(points: number): GraphPayload {
    const nodes: GraphNode[] = [];
    const add = (op: string, inputs: number[], scope: string[], name: string | null = null) => {
      const id = nodes.length;
      nodes.push({ id, kind: inputs.length ? 'op' : 'leaf', op, name, inputs, shape: [], value: scalar(id), grad: scalar(1), requiresGrad: true, scope });
      return id;
    };
    const w = [add('leaf', [], [], 'w0'), add('leaf', [], [], 'w1')];
    const outs: number[] = [];
    for (let k = 0; k < points; k++) outs.push(add('relu', [add('mul', w, [`point ${k}`])], [`point ${k}`]));
    let loss = outs[0];
    for (const o of outs.slice(1)) loss = add('add', [loss, o], []);
    return { version: 1, kind: 'graph', output: loss, nodes };
  }

  it('draws the shared weights as one collapsed group that expands and collapses by its key, and the stepper marks it', () => {
    const el = host();
    renderGraph(el, wire(shared(40))); // 2 + 80 + 39 = 121 nodes
    const sel = `[data-group="${SHARED_INPUTS_KEY}"]`;
    const g = el.querySelector(sel)!;
    expect(g.classList.contains('gradlab-group-collapsed')).toBe(true);
    expect(g.querySelector('[data-group-toggle]')!.getAttribute('aria-label')).toBe('expand group shared inputs (2) (2 nodes)');
    expect(el.querySelector('[data-node-id="0"]')).toBeNull();
    expect(el.querySelectorAll('.gradlab-edge')).toHaveLength(40 + 40 + 38);
    // the stepper's first node, w0, is hidden in it: the group is marked
    const canvas = el.querySelector('.gradlab-graph-canvas')!;
    canvas.dispatchEvent(new KeyboardEvent('keydown', { key: '.', bubbles: true, cancelable: true }));
    expect(el.querySelector(sel)!.classList.contains('gradlab-step-current')).toBe(true);
    click(el.querySelector(`${sel} [data-group-toggle]`)!);
    expect(el.querySelector(sel)!.classList.contains('gradlab-group-expanded')).toBe(true);
    expect(el.querySelector('[data-node-id="0"]')!.classList.contains('gradlab-step-current')).toBe(true);
    expect(el.querySelectorAll('.gradlab-edge')).toHaveLength(2 * 40 + 40 + 38);
    click(el.querySelector(`${sel} [data-group-toggle]`)!);
    expect(el.querySelector(sel)!.classList.contains('gradlab-group-collapsed')).toBe(true);
    expect(el.querySelector('[data-node-id="0"]')).toBeNull();
  });
});

describe('graph view: backward rules from the engine', () => {
  it("shows a real mul node's rule, read from the payload's rule table, in the details", () => {
    const a = gl.scalar(2, { requiresGrad: true });
    const b = gl.scalar(3, { requiresGrad: true });
    const y = a.mul(b).add(a);
    y.backward();
    const p = wire(graphPayload(gl.trace(y)));
    const mul = p.nodes.find((n) => n.op === 'mul')!;
    // the rule comes through the table, not inline on the node
    expect(mul.rule).toBeUndefined();
    expect(p.rules![mul.ruleRef!].pattern).toBe('switches');
    expect(p.rules![mul.ruleRef!].text.length).toBeGreaterThan(0);
    const el = host();
    renderGraph(el, p);
    const details = el.querySelector('.gradlab-graph-details')!;
    el.querySelector(`[data-node-id="${mul.id}"] .gradlab-box`)!.dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
    expect(details.textContent).toContain(`backward: mul switches — ${PATTERN_WORDS.switches}`);
    expect(details.textContent).toContain(p.rules![mul.ruleRef!].text);
    // the add after it distributes
    const sum = p.nodes.find((n) => n.op === 'add')!;
    el.querySelector(`[data-node-id="${sum.id}"] .gradlab-box`)!.dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
    expect(details.textContent).toContain('backward: add distributes');
  });
});

describe('graph view: a payload over the budget (hand-made)', () => {
  const frames = async (k: number) => {
    for (let i = 0; i < k; i++) await new Promise((r) => requestAnimationFrame(r));
  };

  it('draws part of a 200,000-node payload, says what it left out, keeps few boxes in the page and turns stepping off', async () => {
    const el = host();
    const view = renderGraph(el, wire(hugeGraph(200_000)));
    expect(view.figure!.nodes).toHaveLength(GRAPH_NODE_LIMIT);
    expect(el.querySelector('.gradlab-header')!.textContent).toContain('200,000 nodes · 20,000 drawn');
    const notes = el.querySelector('.gradlab-graph-notes')!.textContent;
    expect(notes).toContain('Drawn: the 20,000 nodes nearest the output of 200,000; the other 180,000 nodes are left out');
    expect(notes).toContain('This figure has 20,000 boxes: only the 1,500 nearest the part in view are in the page at a time');
    const drawn = () => [...el.querySelectorAll('[data-node-id]')].map((g) => Number(g.getAttribute('data-node-id')));
    for (let i = 0; i < 1000 && drawn().length < DRAW_MAX; i++) await frames(1);
    await frames(10);
    expect(drawn().length).toBe(DRAW_MAX);
    expect(drawn()).toContain(199_999); // the output first
    // stepping is off, and says why; the stepping keys do nothing
    const stepper = el.querySelector('.gradlab-stepper')!;
    expect(stepper.querySelector('.gradlab-step-caption')!.textContent).toContain(
      'Stepping is off for this graph: only the 20,000 nodes nearest the output of 200,000 are drawn',
    );
    expect([...stepper.querySelectorAll('button')].filter((b) => !b.hidden).every((b) => b.hasAttribute('disabled'))).toBe(true);
    el.querySelector('.gradlab-graph-canvas')!.dispatchEvent(new KeyboardEvent('keydown', { key: '.', bubbles: true }));
    expect(stepper.getAttribute('data-step')).toBe('0');
    // the output's 100,000-character name: cut in its box, whole (as text) in the details
    const out = el.querySelector('[data-node-id="199999"]')!;
    expect(out.querySelector('.gradlab-node-title')!.textContent).toBe(`${'n'.repeat(31)}…`);
    out.querySelector('rect')!.dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
    expect(el.querySelector('.gradlab-details-head strong')!.textContent).toBe(LONG_NAME);
    view.dispose();
  }, 120_000);

  it('redraws around the view when it moves: the boxes near the new view come in, the others go, never more than DRAW_MAX', async () => {
    const el = host();
    const view = renderGraph(el, wire(hugeGraph(60_000)));
    await frames(60);
    const canvas = el.querySelector('.gradlab-graph-canvas') as HTMLElement;
    Object.defineProperty(canvas, 'clientWidth', { value: 1000 });
    Object.defineProperty(canvas, 'clientHeight', { value: 500 });
    canvas.dispatchEvent(new KeyboardEvent('keydown', { key: '0', bubbles: true })); // fit: the middle of a very wide figure
    await frames(60);
    const { x, y, k } = translate(el);
    const r = { x0: -x / k, y0: -y / k, x1: (1000 - x) / k, y1: (500 - y) / k };
    const ids = [...el.querySelectorAll('[data-node-id]')].map((g) => Number(g.getAttribute('data-node-id')));
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.length).toBeLessThanOrEqual(DRAW_MAX);
    expect(ids).not.toContain(59_999); // the output is far right of the middle
    // every box drawn is within the view and half a view around it
    const mx = (r.x1 - r.x0) / 2;
    for (const id of ids) {
      const b = view.figure!.nodes.find((n) => n.id === id)!.box;
      expect(b.x + b.w).toBeGreaterThanOrEqual(r.x0 - mx - 200);
      expect(b.x).toBeLessThanOrEqual(r.x1 + mx);
    }
    view.dispose();
  }, 120_000);
});
