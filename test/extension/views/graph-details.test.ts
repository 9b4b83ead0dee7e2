// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import type { GraphNode, GraphPayload, TensorSummary } from '../../../engine/display/contract';
import { DETAILS_LIST_MAX, jacobianWhy, nodeDetails } from '../../../extension/views/graph-details';
import { patternName } from '../../../engine/display/op-table';
import { BRANCH_RULES, branchGraph, scalar, scalarNode, tensor, XSS_NAME } from '../../fixtures/payloads';
import { wire } from '../../fixtures/wire';

const rules = BRANCH_RULES;

/** A 0-d node (see scalarNode), an op with its rule inline when it is a mul or an add. */
function node(id: number, op: string, name: string | null, inputs: number[], value: number, grad: number | null, inputGrads?: (number | null)[]): GraphNode {
  return scalarNode(id, op, name, inputs, value, grad, inputGrads, op === 'mul' || op === 'add' ? rules[op] : undefined);
}

/** a = 2, b = 3, c = a·b, d = c + a, e = d·c (the fixture): a and c are used twice. */
const branch = branchGraph({ rules: true });

const F6 = (v: number) => scalar(Number(v.toPrecision(6)));

/** The panel of node `id` in a detached div, and its text by block. */
function details(p: GraphPayload, id: number) {
  const el = document.createElement('div');
  el.append(...nodeDetails(document, id, p.nodes, false));
  const text = (sel: string) => el.querySelector(sel)?.textContent ?? null;
  const rows = (sel: string) => [...el.querySelectorAll(`${sel} tr`)].map((tr) => [...tr.children].map((c) => c.textContent));
  return { el, text, rows };
}

describe('nodeDetails: backward rule', () => {
  it('names the pattern, gives the rule, each operand’s Jacobian and what was sent back', () => {
    const d = details(wire(branch), 2);
    expect(d.text('.gradlab-details-rule strong')).toBe('backward: mul switches');
    expect(d.text('.gradlab-details-rule')).toContain('each operand receives the upstream gradient times the other operand');
    expect(d.text('.gradlab-details-formula')).toBe('∂L/∂a = ∂L/∂y · b;  ∂L/∂b = ∂L/∂y · a');
    const rows = d.rows('.gradlab-details-jacobians');
    expect(rows[0]).toEqual(['operand', 'local Jacobian ∂y/∂x', 'sent back']);
    expect(rows[1][0]).toBe('a');
    expect(rows[1][1]).toMatch(/^\[1 × 1\] diagonal/);
    expect(rows.slice(1).map((r) => [r[0], r[2]])).toEqual([
      ['a', '42'],
      ['b', '28'],
    ]);
  });

  it("reads the rule from the payload's rule table (ruleRef), as the engine sends it, with the same text as inline", () => {
    const p = wire(branch);
    p.rules = [rules.add, rules.mul];
    for (const n of p.nodes) {
      if (n.rule) n.ruleRef = n.rule === p.nodes[3].rule ? 0 : 1;
      delete n.rule;
    }
    const el = document.createElement('div');
    el.append(...nodeDetails(document, 2, p.nodes, false, p.rules));
    expect(el.querySelector('.gradlab-details-rule strong')!.textContent).toBe('backward: mul switches');
    expect(el.querySelector('.gradlab-details-formula')!.textContent).toBe('∂L/∂a = ∂L/∂y · b;  ∂L/∂b = ∂L/∂y · a');
    const inline = details(wire(branch), 2);
    expect(el.querySelector('.gradlab-details-rule')!.textContent).toBe(inline.text('.gradlab-details-rule'));
    // a reference without its table (or past its end) shows no rule block rather than a wrong one
    const bare = document.createElement('div');
    bare.append(...nodeDetails(document, 3, p.nodes, false));
    expect(bare.querySelector('.gradlab-details-rule')).toBeNull();
    const past = document.createElement('div');
    past.append(...nodeDetails(document, 3, p.nodes, false, [rules.mul].slice(1)));
    expect(past.querySelector('.gradlab-details-rule')).toBeNull();
  });

  it('says why a diagonal or selection Jacobian is never formed, with what the matrix would hold', () => {
    expect(jacobianWhy('diagonal', 1000, 1000)).toBe(
      'only the diagonal can be non-zero: backward multiplies entry by entry (1,000 products), where a 1,000 × 1,000 matrix would hold 1,000,000 numbers',
    );
    expect(jacobianWhy('diagonal of 0/1 (selection)', 4, 4)).toMatch(/^one 1 per row or column: backward only moves entries/);
    expect(jacobianWhy('selection (one 1 per row: the winner)', 1, 12)).toContain('a 1 × 12 matrix would hold 12 numbers');
    expect(jacobianWhy('identity', 6, 6)).toMatch(/^backward copies or sums ∂L\/∂y/);
    expect(jacobianWhy('block diagonal (4 blocks of 2×3, each Bᵀ)', 8, 12)).toMatch(/^repeated blocks.*96 numbers, mostly zeros$/);
    expect(jacobianWhy('zero (not differentiable)', 3, 3)).toBe('all zeros: nothing flows back, nothing to compute');
    expect(jacobianWhy('dense', 3, 3)).toBe('');
    expect(jacobianWhy('diagonal', 1, 1)).toBe(''); // a number: nothing to avoid
    expect(patternName('max', 'routes')).toBe('max routes');
    expect(patternName('add', 'distributes')).toBe('add distributes');

    const p = wire(branch);
    p.nodes[2].rule!.jacobians = [
      { shape: [1000, 1000], structure: 'diagonal' },
      { shape: [1000, 1000], structure: 'diagonal' },
    ];
    const d = details(p, 2);
    expect(d.text('.gradlab-details-why')).toContain('1,000 products');
    expect(d.rows('.gradlab-details-jacobians')[1][1]).toMatch(/^\[1,000 × 1,000\] diagonal/);
  });

  it('shows no rule for a leaf', () => {
    expect(details(wire(branch), 0).el.querySelector('.gradlab-details-rule')).toBeNull();
  });
});

describe('nodeDetails: a value used several times', () => {
  it('lists each use’s contribution and checks that they add up to the gradient', () => {
    const d = details(wire(branch), 2); // c feeds d (operand 1) and e (operand 2)
    expect(d.text('.gradlab-details-uses strong')).toBe('used 2 times');
    expect(d.rows('.gradlab-details-uses')).toEqual([
      ['from d (add, operand 1)', '6'],
      ['from e (mul, operand 2)', '8'],
      ['sum', '14 = grad ✓'],
    ]);
    expect(d.el.querySelector('.gradlab-details-sum td')!.classList.contains('gradlab-pass')).toBe(true);
    // a feeds c and d: 42 + 6
    expect(
      details(wire(branch), 0)
        .rows('.gradlab-details-uses')
        .map((r) => r[1]),
    ).toEqual(['42', '6', '48 = grad ✓']);
    // b and d are used once: no such block
    expect(details(wire(branch), 1).el.querySelector('.gradlab-details-uses')).toBeNull();
  });

  it('counts x·x as two uses by one op', () => {
    const p: GraphPayload = { version: 1, kind: 'graph', output: 1, nodes: [node(0, 'leaf', 'x', [], 3, 6), node(1, 'mul', 'y', [0, 0], 9, 1, [3, 3])] };
    expect(details(wire(p), 0).rows('.gradlab-details-uses')).toEqual([
      ['from y (mul, operand 1)', '3'],
      ['from y (mul, operand 2)', '3'],
      ['sum', '6 = grad ✓'],
    ]);
  });

  it('flags contributions that do not add up to the gradient, and unknown ones', () => {
    const p = wire(branch);
    p.nodes[3].inputGrads![0] = scalar(5); // d sent c 5 instead of 6
    const d = details(p, 2);
    expect(d.rows('.gradlab-details-uses').at(-1)).toEqual(['sum', '13 ≠ grad 14 ✗']);
    expect(d.el.querySelector('.gradlab-details-sum td')!.classList.contains('gradlab-fail')).toBe(true);
    delete p.nodes[4].inputGrads;
    expect(details(p, 2).rows('.gradlab-details-uses')).toEqual([
      ['from d (add, operand 1)', '5'],
      ['from e (mul, operand 2)', 'not known (backward did not run through it)'],
      ['sum', 'not known (a contribution is missing or truncated)'],
    ]);
  });

  it('accepts the rounding of 6-digit payloads (large graphs), not a real difference', () => {
    const p = wire(branch);
    p.nodes[3].inputGrads![0] = F6(6.00001);
    p.nodes[4].inputGrads![1] = F6(7.99999);
    expect(details(p, 2).rows('.gradlab-details-uses').at(-1)).toEqual(['sum', '14 = grad ✓']);
    p.nodes[4].inputGrads![1] = F6(7.999);
    expect(details(p, 2).rows('.gradlab-details-uses').at(-1)).toEqual(['sum', '13.99901 ≠ grad 14 ✗']);
  });

  it('sums tensor contributions entry by entry', () => {
    const t = (v: number[]): TensorSummary => tensor([v.length], v);
    const p: GraphPayload = {
      version: 1,
      kind: 'graph',
      output: 1,
      nodes: [
        { ...node(0, 'leaf', 'x', [], 0, null), shape: [2], value: t([1, 2]), grad: t([3, 5]), requiresGrad: true },
        { ...node(1, 'mul', 'y', [0, 0], 0, null), shape: [2], value: t([1, 4]), grad: t([1, 1]), inputGrads: [t([1, 2]), t([2, 3])] },
      ],
    };
    expect(details(wire(p), 0).rows('.gradlab-details-uses')).toEqual([
      ['from y (mul, operand 1)', '2 [1, 2]'],
      ['from y (mul, operand 2)', '2 [2, 3]'],
      ['sum', '2 [3, 5] = grad ✓'],
    ]);
  });
});

describe('nodeDetails: gradient check and text safety', () => {
  it('shows the node’s check with ✓/✗ and its relative error', () => {
    const p = wire(branch);
    p.nodes[2].check = { ok: false, relError: 0.3333, absError: 14, count: 2 };
    p.nodes[3].check = { ok: true, relError: 1.2e-10, absError: 1e-9, count: 2 };
    const bad = details(p, 2).el.querySelector('.gradlab-details-check')!;
    expect(bad.textContent).toBe('✗ local backward disagrees with finite differences: relative error 3.3e-1 (absolute 1.4e+1) over 2 entries');
    expect(bad.classList.contains('gradlab-fail')).toBe(true);
    const good = details(p, 3).el.querySelector('.gradlab-details-check')!;
    expect(good.textContent).toBe('✓ local backward agrees with finite differences: relative error 1.2e-10 over 2 entries');
    expect(details(p, 4).el.querySelector('.gradlab-details-check')).toBeNull();
  });

  it('draws payload strings as text, never markup', () => {
    const p = wire(branch);
    p.nodes[3].name = XSS_NAME;
    p.nodes[2].rule!.text = XSS_NAME;
    p.nodes[2].rule!.jacobians[0].structure = XSS_NAME;
    const d = details(p, 2);
    expect(d.el.querySelector('img')).toBeNull();
    expect(d.text('.gradlab-details-formula')).toBe(XSS_NAME);
    expect(d.rows('.gradlab-details-uses')[0][0]).toBe(`from ${XSS_NAME} (add, operand 1)`);
  });

  it('reads malformed rules without throwing', () => {
    const p = wire(branch) as unknown as { nodes: Record<string, unknown>[] };
    p.nodes[2].rule = { pattern: 'switches', text: 5, jacobians: [null, { shape: 'x' }] };
    p.nodes[3].rule = 'nonsense';
    p.nodes[4].inputGrads = [null, 'x'];
    const nodes = p.nodes as unknown[];
    expect(() => nodeDetails(document, 2, nodes, false)).not.toThrow();
    expect(() => nodeDetails(document, 3, nodes, false)).not.toThrow();
    const el = document.createElement('div');
    el.append(...nodeDetails(document, 2, nodes, false));
    expect(el.querySelector('.gradlab-details-jacobians')!.textContent).toContain('? ?');
  });
});

describe('nodeDetails: bounded by the data present', () => {
  it('lists at most DETAILS_LIST_MAX inputs, uses and entries, and says how many more; the node’s own long name whole', () => {
    const long = 'y'.repeat(100_000);
    const nodes: GraphNode[] = [];
    for (let i = 0; i < 1000; i++) nodes.push(node(i, 'leaf', `leaf${i}`, [], i, 1));
    const values = Array.from({ length: 100_000 }, (_, k) => k);
    nodes.push({
      ...node(
        1000,
        'sum',
        long,
        Array.from({ length: 1000 }, (_, k) => k),
        1,
        1,
      ),
      value: { shape: [100_000], dtype: 'float64', size: 100_000, values, truncated: false, min: 0, max: 99_999, mean: 49_999.5 },
    });
    // leaf 0 used by 500 more ops
    for (let i = 0; i < 500; i++) nodes.push(node(1001 + i, 'neg', null, [0], -1, 1, [-1]));
    const head = (id: number) => nodeDetails(document, id, nodes, false);
    const div = document.createElement('div');
    div.append(...head(1000));
    expect(div.querySelector('.gradlab-details-head strong')!.textContent).toBe(long);
    const inputs = [...div.querySelectorAll('tr')].find((r) => r.querySelector('th')?.textContent === 'inputs')!.querySelector('td')!.textContent;
    expect(inputs?.split(', ')).toHaveLength(DETAILS_LIST_MAX + 1);
    expect(inputs?.endsWith('… 968 more inputs')).toBe(true);
    expect(div.querySelector('.gradlab-value .gradlab-entries')!.textContent).toMatch(/^\[0, 1, 2, .*, 255 … \(first 256 of 100000\)\]$/);
    const uses = document.createElement('div');
    uses.append(...head(0));
    const rows = uses.querySelectorAll('.gradlab-details-uses tr');
    expect(rows).toHaveLength(DETAILS_LIST_MAX + 2); // the first uses, "… more uses", the sum
    expect(uses.querySelector('.gradlab-details-uses')!.textContent).toContain('used 501 times');
    expect(uses.querySelector('.gradlab-details-uses')!.textContent).toContain('… 469 more uses (in the sum below)');
  });
});
