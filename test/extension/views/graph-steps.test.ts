// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { GraphPayload, TensorSummary } from '../../../engine/display/contract';
import { createStepper, stepCounts, stepSequence, stepState, type StepHost } from '../../../extension/views/graph-steps';
import * as gl from '../../../engine';
import { payloadOf } from '../../../engine/display/show';
import { nodeDetails } from '../../../extension/views/graph-details';
import { branchGraph, scalarNode, syntheticMlpGraph, tensor } from '../../fixtures/payloads';
import { OP_TABLE, byPattern } from '../../../engine/display/op-table';
import { wire } from '../../fixtures/wire';

const node = scalarNode;
const branch = branchGraph();

describe('stepSequence', () => {
  it('walks forward in topological order, then backward from the output, with values in the captions', () => {
    const steps = stepSequence(wire(branch));
    expect(steps.map((s) => `${s.phase[0]}${s.node}`)).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'b4', 'b3', 'b2', 'b1', 'b0']);
    expect(steps.map((s) => s.caption)).toEqual([
      'forward 1/5: a = 2 (input, requires grad)',
      'forward 2/5: b = 3 (input, requires grad)',
      'forward 3/5: c = a × b = 6',
      'forward 4/5: d = c + a = 8',
      'forward 5/5: e = d × c = 48',
      'backward 1/5: start at the output e: ∂L/∂e = 1 (L is e) — through ×: d receives ∂L/∂e · c = 6; c receives ∂L/∂e · d = 8 (1 of 2 contributions, partial)',
      'backward 2/5: d’s gradient is complete: ∂L/∂d = 6 — through +: c receives ∂L/∂d = 6 (2 of 2 contributions); a receives ∂L/∂d = 6 (1 of 2 contributions, partial)',
      'backward 3/5: c’s gradient is complete: ∂L/∂c = 14 = 8 + 6, the sum of its 2 contributions — through ×: a receives ∂L/∂c · b = 42 (2 of 2 contributions); b receives ∂L/∂c · a = 28',
      'backward 4/5: b’s gradient is complete: ∂L/∂b = 28 — this is what b.grad holds',
      'backward 5/5: a’s gradient is complete: ∂L/∂a = 48 = 6 + 42, the sum of its 2 contributions — this is what a.grad holds',
    ]);
  });

  it('shows a value used by two ops as partial until its last consumer has sent, then its full gradient', () => {
    const p = wire(branch);
    const steps = stepSequence(p);
    const at = (k: number) => stepState(p, steps, k);
    // forward: values appear one by one, no gradient anywhere
    expect(at(2).computed).toEqual([true, true, true, false, false]);
    expect(at(4).grad).toEqual(['none', 'none', 'none', 'none', 'none']);
    // backward 1 (e): d full, c partial with 8 of its eventual 14
    expect(at(5).grad).toEqual(['none', 'none', 'partial', 'full', 'full']);
    expect(at(5).partial.get(2)).toEqual({ received: 1, of: 2, sum: [8] });
    expect([...at(5).targets]).toEqual([3, 2]);
    expect(at(5).computed.every(Boolean)).toBe(true);
    // backward 2 (d): c complete (8 + 6), a partial with 6 of its eventual 48
    expect(at(6).grad).toEqual(['partial', 'none', 'full', 'full', 'full']);
    expect(at(6).partial.get(0)).toEqual({ received: 1, of: 2, sum: [6] });
    expect(at(6).partial.has(2)).toBe(false);
    // backward 3 (c): a gets its second contribution, b its only one
    expect(at(7).grad).toEqual(['full', 'full', 'full', 'full', 'full']);
    const sends = steps[7].sends.map((s) => [s.to, s.position, s.nth, s.of, s.sum]);
    expect(sends).toEqual([
      [0, 0, 2, 2, [48]],
      [1, 1, 1, 1, [28]],
    ]);
    // the sums of the contributions are the payload's gradients
    expect(steps[7].sends[0].sum).toEqual([branch.nodes[0].grad!.values[0]]);
  });

  it('counts x·x as two contributions from one op', () => {
    const p: GraphPayload = {
      version: 1,
      kind: 'graph',
      output: 1,
      nodes: [node(0, 'leaf', 'x', [], 3, 6), node(1, 'mul', 'y', [0, 0], 9, 1, [3, 3])],
    };
    const steps = stepSequence(wire(p));
    expect(steps.map((s) => s.caption)).toEqual([
      'forward 1/2: x = 3 (input, requires grad)',
      'forward 2/2: y = x × x = 9',
      'backward 1/2: start at the output y: ∂L/∂y = 1 (L is y) — through ×: x receives ∂L/∂y · x = 3 (1 of 2 contributions, partial); x receives ∂L/∂y · x = 3 (2 of 2 contributions)',
      'backward 2/2: x’s gradient is complete: ∂L/∂x = 6 = 3 + 3, the sum of its 2 contributions — this is what x.grad holds',
    ]);
    expect(stepState(p, steps, 2).grad).toEqual(['full', 'full']);
  });

  it('words every op as the op table does: glyph between the operands, the caption of each contribution, custom ops by pattern', () => {
    // y = op(a, b) for every op of the table (and a custom op), its rule's pattern in the payload
    const custom = ['myOp', 'constructor'].map((name) => [name, { pattern: 'custom', infix: undefined, glyph: name, caption: byPattern }] as const);
    const ops = [...Object.entries(OP_TABLE), ...custom];
    for (const [op, e] of ops) {
      const p: GraphPayload = {
        version: 1,
        kind: 'graph',
        output: 2,
        nodes: [
          node(0, 'leaf', 'a', [], 2, 1),
          node(1, 'leaf', 'b', [], 3, 1),
          { ...node(2, op, 'y', [0, 1], 5, 1, [1, 1]), rule: { pattern: e.pattern, text: '', jacobians: [] } },
        ],
      };
      const steps = stepSequence(wire(p));
      const gate = e.infix ? e.glyph : op;
      expect(steps[2].caption, op).toBe(`forward 3/3: y = ${e.infix ? `a ${e.glyph} b` : `${op}(a, b)`} = 5`);
      const c = (pos: number) =>
        e.caption({ y: 'y', gy: '∂L/∂y', op, pos, arity: 2, operand: (i) => ['a', 'b'][i], factor: (i) => ['a', 'b'][i], pattern: e.pattern });
      expect(steps[3].caption, op).toBe(
        `backward 1/3: start at the output y: ∂L/∂y = 1 (L is y) — through ${gate}: a receives ${c(0)} = 1; b receives ${c(1)} = 1`,
      );
    }
  });

  it('lists up to 6 contributions of a complete gradient, only counts more', () => {
    const uses = (k: number): GraphPayload => ({
      version: 1,
      kind: 'graph',
      output: k,
      // w + w + w + ...: w is used k + 1 times, ∂L/∂w = k + 1
      nodes: [
        node(0, 'leaf', 'w', [], 1, k + 1),
        ...Array.from({ length: k }, (_, i) => node(i + 1, 'add', null, i === 0 ? [0, 0] : [i, 0], i + 2, 1, [1, 1])),
      ],
    });
    const last = (p: GraphPayload) => stepSequence(wire(p)).at(-1)!.caption;
    expect(last(uses(5))).toBe(
      'backward 6/6: w’s gradient is complete: ∂L/∂w = 6 = 1 + 1 + 1 + 1 + 1 + 1, the sum of its 6 contributions — this is what w.grad holds',
    );
    expect(last(uses(6))).toBe('backward 7/7: w’s gradient is complete: ∂L/∂w = 7, the sum of its 7 contributions — this is what w.grad holds');
  });

  it('skips nodes without a gradient going backward, and constants receive nothing', () => {
    // y = relu(w · 5) with w = -1: the constant 5 gets no gradient, relu routes 0
    const p: GraphPayload = {
      version: 1,
      kind: 'graph',
      output: 3,
      nodes: [
        node(0, 'leaf', 'w', [], -1, 0),
        node(1, 'const', null, [], 5, null),
        { ...node(2, 'mul', null, [0, 1], -5, 0, [0, null]) },
        {
          ...node(3, 'relu', 'y', [2], 0, 1, [0]),
          rule: { pattern: 'routes', text: 'gx = gy where x > 0', jacobians: [{ shape: [1, 1], structure: 'diagonal' }] },
        },
      ],
    };
    const steps = stepSequence(wire(p));
    expect(steps.map((s) => `${s.phase[0]}${s.node}`)).toEqual(['f0', 'f1', 'f2', 'f3', 'b3', 'b2', 'b0']);
    expect(steps[1].caption).toBe('forward 2/4: constant 5');
    expect(steps[2].caption).toBe('forward 3/4: #2 = w × 5 = -5');
    expect(steps[3].caption).toBe('forward 4/4: y = relu(#2) = 0');
    expect(steps[4].caption).toBe('backward 1/3: start at the output y: ∂L/∂y = 1 (L is y) — through relu: #2 receives ∂L/∂y where #2 > 0, 0 elsewhere = 0');
    expect(steps[5].caption).toBe('backward 2/3: #2’s gradient is complete: ∂L/∂#2 = 0 — through ×: w receives ∂L/∂#2 · 5 = 0');
  });

  it("gives the same captions when the rule comes from the payload's rule table (ruleRef)", () => {
    const inline: GraphPayload = {
      version: 1,
      kind: 'graph',
      output: 1,
      nodes: [
        node(0, 'leaf', 'x', [], -2, 0),
        {
          ...node(1, 'relu', 'y', [0], 0, 1, [0]),
          rule: { pattern: 'routes', text: 'gx = gy where x > 0', jacobians: [{ shape: [1, 1], structure: 'diagonal' }] },
        },
      ],
    };
    const table = wire(inline);
    table.rules = [table.nodes[1].rule!];
    delete table.nodes[1].rule;
    table.nodes[1].ruleRef = 0;
    const captions = (p: GraphPayload) => stepSequence(wire(p)).map((s) => s.caption);
    expect(captions(table)).toEqual(captions(inline));
    expect(captions(table)[2]).toContain('through relu: x receives ∂L/∂y where x > 0');
  });

  it('still steps through payloads without inputGrads (contributions unknown, counts kept)', () => {
    const p = wire(branch);
    for (const n of p.nodes) delete n.inputGrads;
    const steps = stepSequence(p);
    expect(steps).toHaveLength(10);
    expect(steps[5].caption).toBe(
      'backward 1/5: start at the output e: ∂L/∂e = 1 (L is e) — through ×: d receives ∂L/∂e · c; c receives ∂L/∂e · d (1 of 2 contributions, partial)',
    );
    expect(stepState(p, steps, 5).partial.get(2)).toEqual({ received: 1, of: 2, sum: null });
  });

  it('sums tensor contributions entry by entry, and gives up on truncated ones', () => {
    const t = (v: number[]): TensorSummary => tensor([v.length], v);
    const p: GraphPayload = {
      version: 1,
      kind: 'graph',
      output: 2,
      nodes: [
        { ...node(0, 'leaf', 'x', [], 0, null), shape: [2], value: t([1, 2]), grad: t([3, 5]), requiresGrad: true },
        { ...node(1, 'mul', 'y', [0, 0], 0, null), shape: [2], value: t([1, 4]), grad: t([1, 1]), inputGrads: [t([1, 2]), t([2, 3])] },
        { ...node(2, 'sum', 's', [1], 5, 1), inputGrads: [t([1, 1])] },
      ],
    };
    const steps = stepSequence(wire(p));
    expect(steps[4].sends.map((s) => s.sum)).toEqual([
      [1, 2],
      [3, 5],
    ]);
    expect(steps[4].caption).toContain('x receives ∂L/∂y · x = [1, 2] (1 of 2 contributions, partial)');
    const big = tensor(
      [20],
      Array.from({ length: 20 }, (_, i) => i),
    );
    expect(big.truncated).toBe(true);
    const q = wire(p);
    q.nodes[1].inputGrads = [big, big];
    expect(stepSequence(q)[4].sends.map((s) => s.sum)).toEqual([null, null]);
    expect(stepSequence(q)[4].caption).toContain('x receives ∂L/∂y · x = a 20 tensor (mean 9.5)');
  });

  it('reads the engine’s own payload the same way (inputGrads and rules as the engine sends them)', () => {
    const a = gl.scalar(2, { requiresGrad: true, name: 'a' });
    const b = gl.scalar(3, { requiresGrad: true, name: 'b' });
    const c = a.mul(b);
    c.name = 'c';
    const d = c.add(a);
    d.name = 'd';
    const e = d.mul(c);
    e.name = 'e';
    e.backward();
    const p = wire(payloadOf(e)) as GraphPayload;
    expect(stepSequence(p).map((s) => s.caption)).toEqual(stepSequence(wire(branch)).map((s) => s.caption));
    const el = document.createElement('div');
    el.append(...nodeDetails(document, 2, p.nodes, false, p.rules));
    expect(el.querySelector('.gradlab-details-rule strong')!.textContent).toBe('backward: mul switches');
    expect(el.querySelector('.gradlab-details-sum')!.textContent).toBe('sum14 = grad ✓');
  });

  it('counts its steps without building them (the stepper builds them on the first step)', () => {
    const big = wire(syntheticMlpGraph(1000));
    for (const p of [wire(branch), big]) {
      const steps = stepSequence(p);
      expect(stepCounts(p)).toEqual({
        forward: steps.filter((s) => s.phase === 'forward').length,
        backward: steps.filter((s) => s.phase === 'backward').length,
      });
    }
    expect(stepCounts(wire(branch))).toEqual({ forward: 5, backward: 5 });
  });

  it('has no steps for an empty graph and reads malformed nodes without throwing', () => {
    expect(stepSequence({ version: 1, kind: 'graph', output: 0, nodes: [] })).toEqual([]);
    const bad = { version: 1, kind: 'graph', output: 1, nodes: [null, { op: 'mul', inputs: [0, 7], grad: null }] } as unknown as GraphPayload;
    expect(stepSequence(bad).map((s) => s.caption)).toEqual(['forward 1/2: #0 = ?', 'forward 2/2: #1 = mul(#0) = ?']);
  });
});

// ---- the stepper UI on a stand-in graph view ----

afterEach(() => document.body.replaceChildren());

/** Draws one `<g data-node-id>` per node with value and grad lines, like the graph view. */
function fakeView(p: GraphPayload, hiddenIn: Map<number, number> = new Map()) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  const byId = new Map<number, Element>();
  for (const n of p.nodes) {
    if (hiddenIn.has(n.id)) continue;
    const g = document.createElementNS('http://www.w3.org/2000/svg', 'g');
    g.setAttribute('data-node-id', String(n.id));
    const t = (cls: string, text: string) => {
      const e = document.createElementNS('http://www.w3.org/2000/svg', 'text');
      e.setAttribute('class', cls);
      e.textContent = text;
      g.append(e);
    };
    t('gradlab-value', String(n.value.values[0]));
    if (n.grad) {
      t('gradlab-line-label gradlab-grad-label', 'grad');
      t('gradlab-grad', String(n.grad.values[0]));
    }
    svg.append(g);
    byId.set(n.id, g);
  }
  const group = document.createElementNS('http://www.w3.org/2000/svg', 'g');
  group.setAttribute('data-group', 'layer');
  svg.append(group);
  const revealed: number[] = [];
  const host: StepHost = {
    elementOf: (id) => byId.get(id) ?? (hiddenIn.has(id) ? group : null),
    reveal: (id) => revealed.push(id),
  };
  document.body.append(svg);
  return { svg, host, revealed, el: (id: number) => byId.get(id)!, group };
}

const key = (k: string) => new KeyboardEvent('keydown', { key: k, cancelable: true });
const classesOf = (el: Element) => [...el.classList].filter((c) => c.startsWith('gradlab-step-')).sort();

describe('createStepper', () => {
  it('is off until started, steps with keys and buttons, and "done" restores the full view', async () => {
    const p = wire(branch);
    const v = fakeView(p);
    const st = createStepper(document, p, v.host);
    document.body.append(st.element);
    const current = () => st.element.getAttribute('data-step-node');
    expect(st.element.getAttribute('data-step')).toBe('0');
    expect(v.svg.querySelectorAll('[class*="gradlab-step-"]')).toHaveLength(0);
    expect(st.element.querySelector('.gradlab-step-caption')!.textContent).toContain('press ▶');

    // keys: the view's own (arrows, +, -, 0, Escape) are left to it
    for (const k of ['ArrowLeft', '+', '-', '0', 'Escape']) expect(st.onKey(key(k))).toBe(false);
    const ev = key('.');
    expect(st.onKey(ev)).toBe(true);
    expect(ev.defaultPrevented).toBe(true);
    expect(current()).toBe('0');
    expect(st.element.querySelector('.gradlab-step-caption')!.textContent).toBe('forward 1/5: a = 2 (input, requires grad)');
    expect(classesOf(v.el(0))).toEqual(['gradlab-step-current', 'gradlab-step-nograd']);
    expect(classesOf(v.el(1))).toEqual(['gradlab-step-nograd', 'gradlab-step-pending']);

    const seen = [current()];
    const next = st.element.querySelector('button[aria-label^="next step"]') as HTMLButtonElement;
    for (let i = 0; i < 12; i++) {
      next.click();
      seen.push(current());
    }
    expect(seen).toEqual(['0', '1', '2', '3', '4', '4', '3', '2', '1', '0', '0', '0', '0']); // stays on the last step
    expect(v.revealed.slice(0, 10)).toEqual([0, 1, 2, 3, 4, 4, 3, 2, 1, 0]);

    // after backward step 1 (slider position 6): c's box shows the partial sum 8, marked 1/2
    const slider = st.element.querySelector('input[type="range"]') as HTMLInputElement;
    slider.value = '6';
    slider.dispatchEvent(new Event('input'));
    await new Promise((resolve) => requestAnimationFrame(resolve)); // slider moves are drawn once per frame
    expect(current()).toBe('4');
    expect(classesOf(v.el(2))).toEqual(['gradlab-step-partial', 'gradlab-step-target']);
    expect(v.el(2).querySelector('.gradlab-grad')!.textContent).toBe('8');
    expect(v.el(2).querySelector('.gradlab-grad-label')!.textContent).toBe('so far');
    expect(v.el(2).getAttribute('data-step-partial')).toBe('1/2');
    expect(classesOf(v.el(0))).toEqual(['gradlab-step-nograd']);
    expect(classesOf(v.el(4))).toEqual(['gradlab-step-current', 'gradlab-step-gradfull']);
    // one step on, c is complete: its own gradient is shown again
    expect(st.onKey(key('n'))).toBe(true);
    expect(v.el(2).querySelector('.gradlab-grad')!.textContent).toBe('14');
    expect(v.el(2).querySelector('.gradlab-grad-label')!.textContent).toBe('grad');
    expect(classesOf(v.el(2))).toEqual(['gradlab-step-gradfull', 'gradlab-step-target']);
    expect(st.onKey(key(','))).toBe(true);
    expect(current()).toBe('4');
    expect(st.onKey(key('End'))).toBe(true);
    expect(current()).toBe('0');
    expect(st.element.getAttribute('data-step-phase')).toBe('backward');
    expect(st.onKey(key('Home'))).toBe(true);
    expect(st.element.getAttribute('data-step')).toBe('1');

    // done: back to everything shown, no classes, original texts
    (st.element.querySelector('button[aria-label^="stop stepping"]') as HTMLButtonElement).click();
    expect(st.element.getAttribute('data-step')).toBe('0');
    expect(v.svg.querySelectorAll('[class*="gradlab-step-"]')).toHaveLength(0);
    expect([...v.svg.querySelectorAll('.gradlab-grad')].map((t) => t.textContent)).toEqual(['48', '28', '14', '6', '1']);
    st.dispose();
    expect(st.element.isConnected).toBe(false);
  });

  it('marks a collapsed group for the nodes it hides, and re-applies marks after a redraw', () => {
    const p = wire(branch);
    // c and d hidden in one collapsed group
    const v = fakeView(
      p,
      new Map([
        [2, 0],
        [3, 0],
      ]),
    );
    const st = createStepper(document, p, v.host);
    st.onKey(key('.'));
    st.onKey(key('.'));
    st.onKey(key('.')); // forward 3: c, inside the group
    expect(classesOf(v.group)).toEqual(['gradlab-step-current', 'gradlab-step-nograd']);
    st.onKey(key('.')); // forward 4: d, the group is still current; e pending
    expect(classesOf(v.el(4))).toEqual(['gradlab-step-nograd', 'gradlab-step-pending']);
    // the view redraws: new elements get the marks on refresh()
    const fresh = fakeView(p);
    v.host.elementOf = (id) => fresh.host.elementOf(id);
    st.refresh();
    expect(classesOf(fresh.el(3))).toEqual(['gradlab-step-current', 'gradlab-step-nograd']);
    expect(classesOf(fresh.el(2))).toEqual(['gradlab-step-nograd']);
    st.dispose();
  });

  it('plays one step every 0.9 s until the end or until paused', () => {
    vi.useFakeTimers();
    try {
      const p = wire(branch);
      const st = createStepper(document, p, fakeView(p).host);
      const play = st.element.querySelector('button[aria-label="play / pause"]') as HTMLButtonElement;
      play.click();
      expect(st.element.getAttribute('data-step')).toBe('1');
      expect(play.getAttribute('aria-pressed')).toBe('true');
      vi.advanceTimersByTime(900 * 3);
      expect(st.element.getAttribute('data-step')).toBe('4');
      play.click(); // pause
      expect(play.getAttribute('aria-pressed')).toBe('false');
      vi.advanceTimersByTime(900 * 3);
      expect(st.element.getAttribute('data-step')).toBe('4');
      play.click();
      vi.advanceTimersByTime(900 * 20);
      expect(st.element.getAttribute('data-step')).toBe('10'); // stops at the last step
      expect(play.getAttribute('aria-pressed')).toBe('false');
      st.onKey(key('n')); // a key stops playing too, and the view stays put
      expect(st.element.getAttribute('data-step')).toBe('10');
      st.dispose();
    } finally {
      vi.useRealTimers();
    }
  });

  it('highlights the op that shows a constant inline when the constant is the current node', () => {
    const p: GraphPayload = {
      version: 1,
      kind: 'graph',
      output: 2,
      nodes: [node(0, 'leaf', 'w', [], -1, 5), node(1, 'const', null, [], 5, null), node(2, 'mul', 'y', [0, 1], -5, 1, [5, null])],
    };
    const v = fakeView(p);
    v.el(1).remove(); // drawn inline on y's label: no element of its own
    const st = createStepper(document, p, { ...v.host, elementOf: (id) => (id === 1 ? null : v.host.elementOf(id)) });
    st.onKey(key('.'));
    st.onKey(key('.'));
    expect(st.element.getAttribute('data-step-node')).toBe('1');
    expect(classesOf(v.el(2))).toEqual(['gradlab-step-current', 'gradlab-step-nograd', 'gradlab-step-pending']);
    expect(classesOf(v.el(0))).toEqual(['gradlab-step-nograd']);
  });

  it('ignores keys with modifiers and leaves a graph without nodes alone', () => {
    const p = wire(branch);
    const st = createStepper(document, p, fakeView(p).host);
    expect(st.onKey(new KeyboardEvent('keydown', { key: 'n', ctrlKey: true }))).toBe(false);
    const empty = createStepper(document, { version: 1, kind: 'graph', output: 0, nodes: [] }, { elementOf: () => null, reveal: () => {} });
    expect(empty.onKey(key('.'))).toBe(false);
    expect(empty.element.querySelector('button[aria-label^="next step"]')!.hasAttribute('disabled')).toBe(true);
  });
});
