import { describe, expect, it } from 'vitest';
import type { GraphNode, GraphPayload, NodeCheck } from '../../engine/display/contract';
import { EXPAND_ALL_MAX, graphFigure, graphSvg, groupKey } from '../../engine/display/figures/graph';
import { scalar, tensor } from '../fixtures/payloads';

/**
 * A scoped scalar graph: `x` (a leaf, [2]) feeds `points` groups; each group
 * `point k` holds `inner` ops chained on the group's input (the first a
 * `sum` to a scalar), and nested in it a group `act` of one relu. The group
 * outputs are added up into `loss` at top level.
 */
function scopedGraph(points: number, inner = 3, opts: { name?: string; check?: { node: number; c: NodeCheck } } = {}): GraphPayload {
  const nodes: GraphNode[] = [];
  const add = (n: Omit<GraphNode, 'id' | 'value' | 'grad' | 'requiresGrad' | 'shape'> & { shape?: number[] }) => {
    const id = nodes.length;
    const shape = n.shape ?? [];
    const value = shape.length ? tensor(shape, [1, 2]) : scalar(id);
    nodes.push({ id, value, grad: shape.length ? tensor(shape, [0.5, 0.5]) : scalar(1), requiresGrad: true, shape, ...n });
    return id;
  };
  const x = add({ kind: 'leaf', op: 'leaf', name: 'x', inputs: [], scope: [], shape: [2] });
  const outs: number[] = [];
  for (let k = 0; k < points; k++) {
    const scope = [opts.name ?? `point ${k}`];
    if (opts.name) scope[0] = `${opts.name} ${k}`;
    let v = add({ kind: 'op', op: 'sum', name: null, inputs: [x], scope });
    for (let i = 1; i < inner; i++) v = add({ kind: 'op', op: i % 2 ? 'mul' : 'tanh', name: null, inputs: i % 2 ? [v, v] : [v], scope });
    v = add({ kind: 'op', op: 'relu', name: null, inputs: [v], scope: [...scope, 'act'] });
    outs.push(v);
  }
  let loss = outs[0];
  for (const o of outs.slice(1)) loss = add({ kind: 'op', op: 'add', name: null, inputs: [loss, o], scope: [] });
  nodes[loss].name = 'loss';
  if (opts.check) nodes[opts.check.node].check = opts.check.c;
  return { version: 1, kind: 'graph', output: loss, nodes };
}

const bad: NodeCheck = { ok: false, relError: 0.25, absError: 1.5, count: 4 };

describe('graphFigure: scope groups', () => {
  it('draws a small graph fully expanded, each group a labelled frame around its members', () => {
    const p = scopedGraph(3); // 1 + 3·4 + 2 = 15 nodes
    const fig = graphFigure(p);
    expect(fig.nodes).toHaveLength(15);
    expect(fig.groups.every((g) => !g.collapsed)).toBe(true);
    expect(fig.groups.map((g) => g.key).sort()).toEqual(['point 0', 'point 0/act', 'point 1', 'point 1/act', 'point 2', 'point 2/act']);
    expect(fig.hiddenIn.size).toBe(0);
    // every member lies inside its frame, and a nested frame inside its parent's
    for (const g of fig.groups) {
      const members = p.nodes.filter((n) => n.scope.length >= g.path.length && g.path.every((s, i) => n.scope[i] === s));
      expect(members.length).toBe(g.count);
      for (const m of members) {
        const b = fig.nodes.find((n) => n.id === m.id)!.box;
        expect(b.x).toBeGreaterThanOrEqual(g.box.x);
        expect(b.y).toBeGreaterThanOrEqual(g.box.y + 18); // below the frame's label
        expect(b.x + b.w).toBeLessThanOrEqual(g.box.x + g.box.w);
        expect(b.y + b.h).toBeLessThanOrEqual(g.box.y + g.box.h);
      }
      expect(g.lines[0].text).toBe(`▾ ${g.path[g.path.length - 1]}`);
    }
    const outer = fig.groups.find((g) => g.key === 'point 1')!;
    const inner = fig.groups.find((g) => g.key === 'point 1/act')!;
    expect(inner.box.x).toBeGreaterThan(outer.box.x);
    expect(inner.box.x + inner.box.w).toBeLessThan(outer.box.x + outer.box.w);
    // nothing is drawn left of or above the margin
    expect(Math.min(...fig.groups.map((g) => g.box.x))).toBeGreaterThanOrEqual(0);
    expect(Math.min(...fig.groups.map((g) => g.box.y))).toBeGreaterThanOrEqual(0);
    expect(fig.width).toBeGreaterThanOrEqual(Math.max(...fig.groups.map((g) => g.box.x + g.box.w)));
  });

  it(`collapses groups by default past ${EXPAND_ALL_MAX} drawn nodes, and a collapsed group replaces its members`, () => {
    const p = scopedGraph(40); // 1 + 40·4 + 39 = 200 nodes
    const fig = graphFigure(p);
    const collapsed = fig.groups.filter((g) => g.collapsed);
    expect(collapsed).toHaveLength(40);
    expect(fig.nodes).toHaveLength(1 + 39); // x and the adds
    expect(fig.hiddenIn.size).toBe(160);
    expect(fig.hiddenIn.get(2)).toBe('point 0');
    expect(fig.hiddenIn.get(4)).toBe('point 0'); // the nested relu is hidden in the outer box
    expect(fig.expanded).toEqual([]);
    expect(fig.notes.join(' ')).toContain('160 of 200 nodes are inside 40 collapsed scope groups');
    // the collapsed box: name, count, the shapes in and out, the op mix
    const g = collapsed[0];
    expect(g.lines.map((l) => [l.label, l.text])).toEqual([
      ['', '▸ point 0'],
      ['nodes', '4'],
      ['in', '2'],
      ['out', 'scalar'],
      ['ops', '1 mul · 1 relu · 1 sum · …'], // the three most frequent (ties by name), then more
    ]);
    expect(g.inShapes).toEqual(['2']);
    expect(g.count).toBe(4);
  });

  it('expands outermost groups first while the drawn boxes stay few', () => {
    // 12 groups of 9 drawn nodes: 1 + 12 + 11 = 24 boxes collapsed, each expansion adds 8 (+1 for act)
    const p = scopedGraph(12, 8);
    const fig = graphFigure(p);
    expect(p.nodes.length).toBeGreaterThan(EXPAND_ALL_MAX);
    const exp = fig.groups.filter((g) => !g.collapsed).map((g) => g.key);
    expect(exp.length).toBeGreaterThan(0);
    // outer groups in order of appearance: 24 boxes collapsed, +8 per expansion, so 7 fit in 80
    expect(exp.filter((k) => !k.includes('/'))).toEqual(['point 0', 'point 1', 'point 2', 'point 3', 'point 4', 'point 5', 'point 6']);
    // a nested group of one node costs no extra box, so it opens too, but only inside an open parent
    expect(exp.filter((k) => k.includes('/')).sort()).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `point ${i}/act`));
    const drawnBoxes = fig.nodes.length + fig.groups.filter((g) => g.collapsed).length;
    expect(drawnBoxes).toBe(EXPAND_ALL_MAX);
  });

  it('edges go to and from collapsed groups, merged per pair, none inside a group', () => {
    const p = scopedGraph(40);
    const fig = graphFigure(p);
    const intoGroups = fig.edges.filter((e) => e.toGroup !== null);
    expect(intoGroups).toHaveLength(40); // x → each group, once
    expect(intoGroups.every((e) => e.from === 0 && e.fromGroup === null)).toBe(true);
    const outOfGroups = fig.edges.filter((e) => e.fromGroup !== null);
    expect(outOfGroups).toHaveLength(40); // each group's relu → an add
    expect(outOfGroups.find((e) => e.fromGroup === 'point 3')!.from).toBe(1 + 3 * 4 + 3);
    expect(fig.edges.some((e) => e.fromGroup !== null && e.fromGroup === e.toGroup)).toBe(false);
    // the edge into a group is labelled with the shape of what enters it
    expect(intoGroups[0].label).toBe('2');
  });

  it('expanding one group draws its members and keeps the others collapsed', () => {
    const p = scopedGraph(40);
    const fig = graphFigure(p, { expanded: new Set(['point 5']) });
    expect(fig.nodes).toHaveLength(40 + 3);
    expect(fig.groups.filter((g) => g.collapsed)).toHaveLength(39 + 1); // 39 others + 'point 5/act'
    expect(fig.groups.find((g) => g.key === 'point 5')!.collapsed).toBe(false);
    expect(fig.groups.find((g) => g.key === 'point 5/act')!.collapsed).toBe(true);
    const both = graphFigure(p, { expanded: new Set(['point 5', 'point 5/act']) });
    expect(both.nodes).toHaveLength(40 + 4);
    // a nested group is not drawn while its parent is collapsed, even when named expanded
    const hidden = graphFigure(p, { expanded: new Set(['point 5/act']) });
    expect(hidden.nodes).toHaveLength(40);
    expect(hidden.groups.some((g) => g.key === 'point 5/act')).toBe(false);
    expect(hidden.hiddenIn.get(1 + 5 * 4 + 3)).toBe('point 5');
  });

  it('hidden members are not laid out: 10,000 grouped nodes take little time', () => {
    const p = scopedGraph(2000, 4); // 1 + 2000·5 + 1999 ≈ 12,000 nodes
    const t = performance.now();
    const fig = graphFigure(p);
    const ms = performance.now() - t;
    expect(fig.groups.filter((g) => g.collapsed)).toHaveLength(2000);
    expect(fig.nodes).toHaveLength(2000);
    console.log(`graphFigure: ${p.nodes.length} nodes in 2,000 groups: ${ms.toFixed(0)} ms, layout ${fig.layoutMs.toFixed(0)} ms`);
  });

  it('nodes without a scope are drawn as before', () => {
    const p = scopedGraph(40);
    const fig = graphFigure(p);
    const x = fig.nodes.find((n) => n.id === 0)!;
    expect(x.lines[0].text).toBe('x [2]');
  });
});

describe('graphFigure: failed node checks', () => {
  it('badges a failing node with its relative error, and a collapsed group containing it', () => {
    const small = graphFigure(scopedGraph(3, 3, { check: { node: 6, c: bad } }));
    const n = small.nodes.find((m) => m.id === 6)!;
    expect(n.check?.text).toBe('rel. error 2.5e-1');
    expect(n.lines.find((l) => l.role === 'check')?.text).toBe('✗ rel. error 2.5e-1');
    expect(small.notes.join(' ')).toMatch(/1 node failed the local gradient check.*#6 \(mul\), rel\. error 2\.5e-1/);
    expect(small.nodes.filter((m) => m.check !== null)).toHaveLength(1);
    expect(small.groups.find((g) => g.key === 'point 1')!.check?.id).toBe(6);
    expect(small.groups.find((g) => g.key === 'point 0')!.check).toBeNull();

    const big = graphFigure(scopedGraph(40, 3, { check: { node: 6, c: bad } }));
    const g = big.groups.find((q) => q.key === 'point 1')!;
    expect(g.collapsed).toBe(true);
    expect(g.check?.id).toBe(6);
    expect(g.lines[g.lines.length - 1]).toMatchObject({ role: 'check', text: '✗ rel. error 2.5e-1 in #6' });
    expect(big.groups.filter((q) => q.check !== null)).toHaveLength(1);
    expect(graphSvg(scopedGraph(40, 3, { check: { node: 6, c: bad } }))).toContain('✗ rel. error 2.5e-1 in #6');
  });

  it('a passing check is not highlighted', () => {
    const fig = graphFigure(scopedGraph(3, 3, { check: { node: 6, c: { ...bad, ok: true, relError: 1e-9 } } }));
    expect(fig.nodes.every((n) => n.check === null)).toBe(true);
  });
});

describe('graphSvg with groups', () => {
  it('draws the default (collapsed) state and says the groups are collapsed', () => {
    const svg = graphSvg(scopedGraph(40));
    expect(svg).toContain('160 of 200 nodes are inside 40 collapsed scope groups');
    expect(svg).toContain('This static picture shows the groups collapsed');
    expect(svg).toContain('▸ point 39');
    expect((svg.match(/▸ point/g) ?? []).length).toBe(40);
  });

  it('escapes scope names: a name is text, never markup', () => {
    const p = scopedGraph(40, 3, { name: '<script>alert(1)</script>&' });
    const fig = graphFigure(p);
    expect(fig.groups[0].path).toEqual(['<script>alert(1)</script>& 0']);
    const svg = graphSvg(p);
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&amp; 0');
  });

  it('group keys escape the separator, so a "/" inside a name is not a nesting level', () => {
    expect(groupKey(['a/b', 'c'])).toBe('a%2Fb/c');
    expect(groupKey(['50%'])).toBe('50%25');
    expect(groupKey(['a', 'b/c'])).not.toBe(groupKey(['a/b', 'c']));
  });
});

describe('graphFigure: what the engine left out', () => {
  it('says how many nodes were left out and why, or only why when no node was', () => {
    const p = scopedGraph(3);
    expect(graphFigure({ ...p, omitted: { nodes: 1200, reason: 'the 3000 nearest the output are drawn' } }).notes[0]).toBe(
      '1,200 nodes left out: the 3000 nearest the output are drawn.',
    );
    expect(graphFigure({ ...p, omitted: { nodes: 0, reason: 'the branch contributions of 5561 nodes are left out' } }).notes[0]).toBe(
      'Left out: the branch contributions of 5561 nodes are left out.',
    );
  });
});
