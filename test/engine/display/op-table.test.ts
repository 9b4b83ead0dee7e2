import { describe, expect, it } from 'vitest';
import * as gl from '../../../engine';
import { PRIMITIVES } from '../../../engine/ops/primitive';
import {
  CUSTOM_RULE,
  OP_TABLE,
  PATTERN_WORDS,
  backwardRule,
  byPattern,
  opCaption,
  opEntry,
  opGlyph,
  type CaptionSubject,
} from '../../../engine/display/op-table';
import { graphPayload } from '../../../engine/display/payloads';
import { ruleOf } from '../../../engine/display/figures/node-rule';

/** A caption subject for op `op` sending to operand `pos` of `arity`, named as the stepper names them. */
function subject(op: string, pos: number, arity: number, pattern: string | null): CaptionSubject {
  const names = ['a', 'b', 'c', 'd'];
  return { y: 'y', gy: '∂L/∂y', op, pos, arity, operand: (i) => names[i] ?? `#${i}`, factor: (i) => names[i] ?? `#${i}`, pattern };
}

describe('the op table', () => {
  const builtIn = PRIMITIVES.filter((p) => !p.custom).map((p) => p.name);

  it('every built-in primitive has an entry (no op silently missing)', () => {
    expect(builtIn.length).toBeGreaterThan(30);
    const missing = builtIn.filter((n) => opEntry(n) === undefined);
    expect(missing).toEqual([]);
    // and no entry for an op that does not exist
    expect(Object.keys(OP_TABLE).filter((n) => !builtIn.includes(n))).toEqual([]);
    // gl.BACKWARD_RULES is the same table
    expect(gl.BACKWARD_RULES).toBe(OP_TABLE);
  });

  it('every entry has a glyph, a rule and a stepper caption for each operand', () => {
    const lacking: string[] = [];
    for (const name of builtIn) {
      const e = OP_TABLE[name];
      const arity = e.infix ? 2 : 3;
      if (typeof e.glyph !== 'string' || e.glyph === '') lacking.push(`${name}: glyph`);
      if (e.infix && [...e.glyph].length !== 1) lacking.push(`${name}: an infix glyph is one symbol`);
      if (!(e.pattern in PATTERN_WORDS)) lacking.push(`${name}: pattern`);
      const shapes = Array.from({ length: arity }, () => [2, 3]);
      const rule = backwardRule(name, false, { shape: [2, 3], inputs: shapes, attrs: { axes: [1] } });
      if (!rule || !rule.text || rule.jacobians.some((j) => !j.structure)) lacking.push(`${name}: rule`);
      for (let pos = 0; pos < arity; pos++) {
        const caption = typeof e.caption === 'function' ? e.caption(subject(name, pos, arity, e.pattern)) : '';
        if (!caption.includes('∂L/∂y')) lacking.push(`${name}: caption for operand ${pos}`);
      }
    }
    expect(lacking).toEqual([]);
  });

  it("custom ops and names the table does not know share the custom entry: their name as glyph, their pattern's words", () => {
    expect(opGlyph('mySigmoid')).toBe('mySigmoid');
    expect(opGlyph('mul')).toBe('×');
    expect(opCaption(subject('mySigmoid', 0, 1, 'custom'))).toBe('the custom backward of mySigmoid');
    expect(CUSTOM_RULE.caption).toBe(byPattern);
    // names of Object.prototype are not entries (a custom op may be called `constructor`)
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(opEntry(name), name).toBeUndefined();
      expect(opGlyph(name)).toBe(name);
    }
  });

  it('words a contribution by the op where it has its own words, else by the pattern the payload gives', () => {
    expect(opCaption(subject('mul', 0, 2, 'switches'))).toBe('∂L/∂y · b');
    expect(opCaption(subject('mul', 1, 3, 'switches'))).toBe('∂L/∂y · (the other factors)');
    expect(opCaption(subject('div', 1, 2, 'scales'))).toBe('−∂L/∂y · a / b²');
    expect(opCaption(subject('matmul', 1, 2, 'matmul'))).toBe('aᵀ · ∂L/∂y');
    expect(opCaption(subject('sum', 0, 1, 'sums'))).toBe('∂L/∂y copied back along the reduced axes');
    expect(opCaption(subject('max', 0, 1, 'routes'))).toBe('∂L/∂y where a won, 0 elsewhere');
    // a payload without rules: the local derivative
    expect(opCaption(subject('sum', 0, 1, null))).toBe('∂L/∂y · ∂y/∂a');
  });
});

describe('backward rules', () => {
  it('non-differentiable primitives, and only they, have the pattern none', () => {
    for (const p of PRIMITIVES.filter((q) => !q.custom)) {
      expect(OP_TABLE[p.name].pattern === 'none', p.name).toBe(!p.differentiable);
    }
  });

  it('gives the lecture patterns and per-operand Jacobian shapes', () => {
    const r = backwardRule('mul', false, { shape: [2, 3], inputs: [[2, 3], [3]] })!;
    expect(r.pattern).toBe('switches');
    expect(r.text).toContain('∂L/∂a = ∂L/∂y · b');
    expect(r.jacobians).toEqual([
      { shape: [6, 6], structure: 'diagonal' },
      { shape: [6, 3], structure: expect.stringMatching(/^stacked diagonal blocks/) },
    ]);
    const sub = backwardRule('sub', false, { shape: [], inputs: [[], []] })!;
    expect(sub.pattern).toBe('distributes');
    expect(sub.text).toContain('−∂L/∂y');
    expect(sub.jacobians.map((j) => j.structure)).toEqual(['identity', '−identity']);
    expect(backwardRule('maximum', false, { shape: [], inputs: [[], []] })!.pattern).toBe('routes');
    expect(backwardRule('relu', false, { shape: [4], inputs: [[4]] })!.pattern).toBe('routes');
    expect(backwardRule('max', false, { shape: [], inputs: [[5]], attrs: { axes: [0], keepdims: false } })!.pattern).toBe('routes');
    const s = backwardRule('sum', false, { shape: [3], inputs: [[3, 4]], attrs: { axes: [1], keepdims: false } })!;
    expect(s.pattern).toBe('sums');
    expect(s.text).toContain('along axis 1');
    expect(s.jacobians).toEqual([{ shape: [3, 12], structure: 'ones, one row per group of 4' }]);
    const mm = backwardRule('matmul', false, {
      shape: [2, 5],
      inputs: [
        [2, 3],
        [3, 5],
      ],
      attrs: {},
    })!;
    expect(mm.pattern).toBe('matmul');
    expect(mm.text).toBe('Y = A·B: ∂L/∂A = ∂L/∂Y · Bᵀ;  ∂L/∂B = Aᵀ · ∂L/∂Y');
    expect(mm.jacobians.map((j) => j.shape)).toEqual([
      [10, 6],
      [10, 15],
    ]);
    expect(backwardRule('broadcastTo', false, { shape: [4, 3], inputs: [[3]] })!.pattern).toBe('copies');
    expect(backwardRule('myop', true, { shape: [], inputs: [[]] })!.pattern).toBe('custom');
    expect(backwardRule('no-such-op', false, { shape: [], inputs: [] })).toBeUndefined();
  });

  it('every op node of a graph carries its rule', () => {
    const x = gl.tensor(
      [
        [1, -2],
        [3, 4],
      ],
      { requiresGrad: true },
    );
    const w = gl.tensor([[0.5], [-1]], { requiresGrad: true });
    const y = x.matmul(w).relu().add(1).sum();
    const p = graphPayload(gl.trace(y));
    for (const n of p.nodes) {
      expect(n.rule, 'rules travel in the table, not inline').toBeUndefined();
      if (n.kind === 'op') {
        expect(ruleOf(p, n), n.op).not.toBeNull();
        expect(ruleOf(p, n)!.jacobians.length).toBe(n.inputs.length);
      } else expect(n.ruleRef).toBeUndefined();
    }
    const mm = p.nodes.find((n) => n.op === 'matmul')!;
    expect(ruleOf(p, mm)!.jacobians.map((j) => j.shape)).toEqual([
      [2, 4],
      [2, 2],
    ]);
    expect(ruleOf(p, mm)!.pattern).toBe('matmul');
    // matmul, relu, add, sum: four distinct rules, each listed once
    expect(p.rules!.map((r) => r.pattern)).toEqual(['matmul', 'routes', 'distributes', 'sums']);
  });

  it('lists a rule shared by many nodes once: 50 scalar adds and 50 muls make two table entries', () => {
    const w = gl.scalar(0.5, { requiresGrad: true });
    let y = gl.scalar(0, { requiresGrad: true });
    for (let i = 0; i < 50; i++) y = y.add(w.mul(i));
    y.backward();
    const p = graphPayload(gl.trace(y));
    expect(p.rules!.map((r) => r.pattern)).toEqual(['switches', 'distributes']);
    const adds = p.nodes.filter((n) => n.op === 'add');
    expect(adds.length).toBe(50);
    expect(adds.every((n) => n.ruleRef === 1)).toBe(true);
    expect(ruleOf(p, adds[0])!.text).toBe('∂L/∂a = ∂L/∂y;  ∂L/∂b = ∂L/∂y');
  });

  it('ruleOf reads the table, an inline rule (older payloads), and gives null for a reference that points nowhere', () => {
    const rule = { pattern: 'routes' as const, text: 't', jacobians: [] };
    expect(ruleOf({ rules: [rule] }, { ruleRef: 0 })).toBe(rule);
    expect(ruleOf({}, { rule })).toBe(rule);
    expect(ruleOf({ rules: [rule] }, { ruleRef: 1 })).toBeNull();
    expect(ruleOf({ rules: [rule] }, { ruleRef: -1 })).toBeNull();
    expect(ruleOf({ rules: [rule] }, { ruleRef: 0.5 })).toBeNull();
    expect(ruleOf({}, { ruleRef: 0 })).toBeNull();
    expect(ruleOf({ rules: 'x' as never }, { ruleRef: 0 })).toBeNull();
    expect(ruleOf({ rules: [null as never] }, { ruleRef: 0 })).toBeNull();
    expect(ruleOf({ rules: [rule] }, null)).toBeNull();
  });
});
