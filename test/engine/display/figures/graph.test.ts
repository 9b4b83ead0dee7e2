import { describe, expect, it } from 'vitest';
import type { GraphNode, GraphPayload, NodeCheck } from '../../../../engine/display/contract';
import {
  EXPAND_ALL_MAX,
  GRAPH_EDGE_LIMIT,
  GRAPH_NODE_LIMIT,
  MAX_SCOPE_DEPTH,
  SHARED_INPUTS_KEY,
  attrsText,
  graphFigure,
  groupKey,
} from '../../../../engine/display/figures/graph';
import { graphSvg, graphText } from '../../../../engine/display/figures/graph-svg';
import '../../../../engine'; // loads the ops before payloads.ts reads them
import { GRAPH_NODE_LIMIT as ENGINE_NODE_LIMIT } from '../../../../engine/display/payloads';
import { hugeGraph } from '../../../fixtures/huge-graph';
import { scalar, tensor } from '../../../fixtures/payloads';
import { wire } from '../../../fixtures/wire';
import { OP_TABLE } from '../../../../engine/display/op-table';

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

/**
 * Shared weights, as W5 traces them: leaves w0, w1, w2 at top level (their
 * consumers' longest common scope is empty), used in each of `points` groups
 * `point k` (a = w0·w1, b = a·w2, relu(b)); the group outputs are added at top
 * level. `names` renames the first groups.
 */
function sharedWeights(points: number, names: string[] = []): GraphPayload {
  const nodes: GraphNode[] = [];
  const add = (kind: GraphNode['kind'], op: string, inputs: number[], scope: string[], name: string | null = null) => {
    const id = nodes.length;
    nodes.push({ id, kind, op, name, inputs, shape: [], value: scalar(id), grad: scalar(1), requiresGrad: true, scope });
    return id;
  };
  const w = [0, 1, 2].map((i) => add('leaf', 'leaf', [], [], `w${i}`));
  const outs: number[] = [];
  for (let k = 0; k < points; k++) {
    const scope = [names[k] ?? `point ${k}`];
    const a = add('op', 'mul', [w[0], w[1]], scope);
    const b = add('op', 'mul', [a, w[2]], scope);
    outs.push(add('op', 'relu', [b], scope));
  }
  let loss = outs[0];
  for (const o of outs.slice(1)) loss = add('op', 'add', [loss, o], []);
  return { version: 1, kind: 'graph', output: loss, nodes };
}

describe('graphFigure: shared inputs', () => {
  it('draws the top-level leaves that feed many collapsed groups as one collapsed group: one edge per consuming group', () => {
    const p = sharedWeights(40); // 3 + 40·3 + 39 = 162 drawn nodes
    const fig = graphFigure(p);
    const shared = fig.groups.filter((g) => g.key === SHARED_INPUTS_KEY);
    expect(shared).toHaveLength(1);
    const g = shared[0];
    expect(g.collapsed).toBe(true);
    expect(g.count).toBe(3);
    expect(g.lines.map((l) => `${l.label} ${l.text}`.trim())).toEqual([
      '▸ shared inputs (3)',
      'nodes 3',
      'out 3× scalar',
      'feeds 40 groups: point 0, point 1, point 2, …',
    ]);
    expect(g.tooltip).toContain('feeds 40 groups');
    expect(fig.groups.filter((q) => q.collapsed)).toHaveLength(41); // the 40 points and the shared inputs
    expect([0, 1, 2].map((id) => fig.hiddenIn.get(id))).toEqual([SHARED_INPUTS_KEY, SHARED_INPUTS_KEY, SHARED_INPUTS_KEY]);
    expect(fig.nodes.map((n) => n.id).filter((id) => id < 3)).toEqual([]);
    // shared inputs → each point (40), each point → its add (40), the add chain (38); was 3·40 + 40 + 38
    expect(fig.edges).toHaveLength(118);
    expect(fig.edges.filter((e) => e.fromGroup === SHARED_INPUTS_KEY)).toHaveLength(40);
    expect(new Set(fig.edges.filter((e) => e.fromGroup === SHARED_INPUTS_KEY).map((e) => e.toGroup)).size).toBe(40);
    // the static picture draws it collapsed too
    const svg = graphSvg(p);
    expect(svg).toContain('▸ shared inputs (3)');
    expect((svg.match(/class="e"/g) ?? []).length).toBe(118);
  });

  it('expands like any group, bringing back the per-leaf edges, and collapses again', () => {
    const p = sharedWeights(40);
    const fig = graphFigure(p);
    const open = graphFigure(p, { expanded: new Set([...fig.expanded, SHARED_INPUTS_KEY]) });
    expect(open.expanded).toContain(SHARED_INPUTS_KEY);
    const frame = open.groups.find((g) => g.key === SHARED_INPUTS_KEY)!;
    expect(frame.collapsed).toBe(false);
    expect(frame.lines[0].text).toBe('▾ shared inputs (3)');
    expect(open.nodes.filter((n) => n.id < 3).map((n) => n.id)).toEqual([0, 1, 2]);
    expect([0, 1, 2].some((id) => open.hiddenIn.has(id))).toBe(false);
    expect(open.edges).toHaveLength(3 * 40 + 40 + 38);
    expect(open.edges.filter((e) => e.from === 1).map((e) => e.toGroup)).toEqual(Array.from({ length: 40 }, (_, k) => `point ${k}`));
    // every leaf sits inside its frame
    for (const n of open.nodes.filter((m) => m.id < 3)) {
      expect(n.box.x).toBeGreaterThanOrEqual(frame.box.x);
      expect(n.box.y + n.box.h).toBeLessThanOrEqual(frame.box.y + frame.box.h);
    }
    const closed = graphFigure(p, { expanded: new Set(open.expanded.filter((k) => k !== SHARED_INPUTS_KEY)) });
    expect(closed.edges).toHaveLength(118);
    expect(closed.groups.find((g) => g.key === SHARED_INPUTS_KEY)!.collapsed).toBe(true);
  });

  it('leaves a small graph, opened fully expanded, as it was: no synthetic group, every leaf and edge drawn', () => {
    const p = sharedWeights(5); // 3 + 15 + 4 = 22 drawn nodes
    const fig = graphFigure(p);
    expect(fig.groups.map((g) => g.key)).toEqual(['point 0', 'point 1', 'point 2', 'point 3', 'point 4']);
    expect(fig.groups.every((g) => !g.collapsed)).toBe(true);
    expect(fig.nodes).toHaveLength(22);
    expect(fig.hiddenIn.size).toBe(0);
    expect(fig.edges).toHaveLength(3 * 5 + 5 + 5 + 2 * 4); // w → muls, a → b, b → relu, two operands of each add
  });

  it('needs two or more shared inputs: a single top-level input feeding every group stays a box of its own', () => {
    const fig = graphFigure(scopedGraph(40)); // x feeds 40 groups
    expect(fig.groups.some((g) => g.key === SHARED_INPUTS_KEY)).toBe(false);
    expect(fig.nodes.some((n) => n.id === 0)).toBe(true);
  });

  it('does not collide with a user scope named like it', () => {
    const p = sharedWeights(40, ['%shared inputs', 'shared inputs (3)']);
    const fig = graphFigure(p);
    expect(groupKey(['%shared inputs'])).not.toBe(SHARED_INPUTS_KEY);
    const keys = fig.groups.map((g) => g.key);
    expect(keys.filter((k) => k === SHARED_INPUTS_KEY)).toHaveLength(1);
    expect(keys).toContain('%25shared inputs');
    expect(keys).toContain('shared inputs (3)');
    expect(fig.hiddenIn.get(0)).toBe(SHARED_INPUTS_KEY);
    expect(fig.hiddenIn.get(3)).toBe('%25shared inputs'); // the first user group's mul
    expect(fig.groups.find((g) => g.key === '%25shared inputs')!.count).toBe(3);
    expect(fig.groups.find((g) => g.key === SHARED_INPUTS_KEY)!.count).toBe(3);
    // expanding the user's group leaves the shared inputs collapsed, and the reverse
    const a = graphFigure(p, { expanded: new Set(['%25shared inputs']) });
    expect(a.groups.find((g) => g.key === '%25shared inputs')!.collapsed).toBe(false);
    expect(a.groups.find((g) => g.key === SHARED_INPUTS_KEY)!.collapsed).toBe(true);
    const b = graphFigure(p, { expanded: new Set([SHARED_INPUTS_KEY]) });
    expect(b.groups.find((g) => g.key === '%25shared inputs')!.collapsed).toBe(true);
    expect(b.groups.find((g) => g.key === SHARED_INPUTS_KEY)!.collapsed).toBe(false);
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

describe('graphFigure: a payload over the budget (hand-made: the engine never sends one)', () => {
  it(`lays out only the ${GRAPH_NODE_LIMIT.toLocaleString('en-US')} nodes nearest the output of 200,000, and says what it left out`, () => {
    const p = wire(hugeGraph(200_000));
    const t0 = performance.now();
    const fig = graphFigure(p);
    const ms = performance.now() - t0;
    expect(fig.nodes).toHaveLength(GRAPH_NODE_LIMIT);
    expect(fig.cut).toEqual({ total: 200_000, kept: GRAPH_NODE_LIMIT, note: fig.notes.find((n) => n.startsWith('Drawn:')) });
    expect(fig.cut!.note).toBe(
      'Drawn: the 20,000 nodes nearest the output of 200,000; the other 180,000 nodes are left out ' +
        '(a figure lays out at most 20,000 nodes, as many as the engine sends of its own graphs).',
    );
    // nearest the output: breadth first along inputs, so the output and its chain of 19,999 predecessors... at most
    const ids = new Set(fig.nodes.map((n) => n.id));
    expect(ids.has(199_999)).toBe(true);
    expect(ids.has(199_998)).toBe(true);
    expect(fig.nodes.find((n) => n.id === 199_999)!.output).toBe(true);
    // every edge joins two nodes laid out; none leads to a node left out
    for (const e of fig.edges) expect(ids.has(e.from) && ids.has(e.to)).toBe(true);
    expect(fig.edges.length).toBeLessThanOrEqual(GRAPH_EDGE_LIMIT);
    // the 100,000-character name is cut where drawn (the details panel has it whole)
    const out = fig.nodes.find((n) => n.id === 199_999)!;
    expect(out.lines[0].text).toBe(`${'n'.repeat(31)}…`);
    expect(out.tooltip.length).toBeLessThan(300);
    console.log(
      `graphFigure of a 200,000-node payload: ${ms.toFixed(0)} ms (layout ${fig.layoutMs.toFixed(0)} ms), ${fig.nodes.length} nodes, ${fig.edges.length} edges`,
    );
  }, 60_000);

  it('is the same budget the engine sends its own graphs under', () => {
    expect(GRAPH_NODE_LIMIT).toBe(ENGINE_NODE_LIMIT);
  });

  it('leaves a payload within the budget whole (no cut, no note)', () => {
    const fig = graphFigure(wire(hugeGraph(2_000)));
    expect(fig.cut).toBeNull();
    expect(fig.nodes).toHaveLength(2_000);
    expect(fig.notes.some((n) => n.includes('left out'))).toBe(false);
  });

  it('keeps the nodes feeding the output before the ones that do not, and bounds the edges of one node', () => {
    // 30,000 unconnected leaves, then an output summing 100,000 references to the last 50 of them
    const nodes: GraphNode[] = [];
    for (let i = 0; i < 30_000; i++)
      nodes.push({ id: i, kind: 'leaf', op: 'leaf', name: null, inputs: [], shape: [], value: scalar(i), grad: null, requiresGrad: false, scope: [] });
    const inputs = Array.from({ length: 100_000 }, (_, k) => 29_950 + (k % 50));
    nodes.push({ id: 30_000, kind: 'op', op: 'sum', name: 'total', inputs, shape: [], value: scalar(1), grad: null, requiresGrad: false, scope: [] });
    const fig = graphFigure({ version: 1, kind: 'graph', output: 30_000, nodes });
    expect(fig.cut!.kept).toBe(GRAPH_NODE_LIMIT);
    const ids = new Set(fig.nodes.map((n) => n.id));
    for (let i = 29_950; i <= 30_000; i++) expect(ids.has(i)).toBe(true); // the output and every operand
    expect(fig.edges).toHaveLength(GRAPH_EDGE_LIMIT); // its first 80,000 operand references
    expect(fig.cut!.note).toBe(
      'Drawn: the 20,000 nodes nearest the output of 30,001; the other 10,001 nodes are left out; ' +
        '20,000 of the 100,000 inputs of node #30000 are left out (a figure draws at most 80,000 edges).',
    );
  });

  it('cuts long op names, attributes, shapes and deep scopes where drawn', () => {
    const long = 'x'.repeat(100_000);
    const deep = Array.from({ length: 5_000 }, (_, k) => `level ${k}`);
    const p: GraphPayload = {
      version: 1,
      kind: 'graph',
      output: 1,
      nodes: [
        {
          id: 0,
          kind: 'leaf',
          op: 'leaf',
          name: long,
          inputs: [],
          shape: Array(100_000).fill(1),
          value: scalar(1),
          grad: null,
          requiresGrad: true,
          scope: deep,
        },
        {
          id: 1,
          kind: 'op',
          op: long,
          name: 'y',
          inputs: [0],
          shape: [],
          value: scalar(2),
          grad: null,
          requiresGrad: true,
          scope: [],
          attrs: { [long]: long, axes: Array(100_000).fill(0) },
        },
      ],
    };
    const fig = graphFigure(p, { expanded: new Set() });
    const y = fig.nodes.find((n) => n.id === 1)!;
    expect([...y.op!.label].length).toBeLessThanOrEqual(24);
    expect(y.tooltip.length).toBeLessThan(200);
    expect(attrsText(p.nodes[1].attrs).length).toBeLessThan(300);
    expect(fig.groups).toHaveLength(1); // collapsed at the top level
    expect(fig.groups[0].tooltip.length).toBeLessThan(300);
    expect(fig.notes).toContain('1 node has a scope nested deeper than 32 levels: drawn in its level-32 group.');
    expect(graphFigure(p).groups.length).toBeLessThanOrEqual(MAX_SCOPE_DEPTH);
    // the text fallback cuts them too
    expect(graphText(p).length).toBeLessThan(1000);
  });
});

describe('graphFigure: op labels from the op table', () => {
  it('labels every op with its glyph, and an infix op with a constant operand by its side (commuting ops with the constant after)', () => {
    // custom ops are labelled by their name, one called like a property of every object too (it threw before)
    const custom = ['myOp', 'constructor', 'toString'].map((name) => [name, { glyph: name, infix: undefined }] as const);
    for (const [op, e] of [...Object.entries(OP_TABLE), ...custom]) {
      const leaf = (id: number, name: string): GraphNode => ({
        id,
        kind: 'leaf',
        op: 'leaf',
        name,
        inputs: [],
        shape: [],
        value: scalar(2),
        grad: null,
        requiresGrad: true,
        scope: [],
      });
      const five: GraphNode = {
        id: 1,
        kind: 'const',
        op: 'const',
        name: null,
        inputs: [],
        shape: [],
        value: scalar(5),
        grad: null,
        requiresGrad: false,
        scope: [],
      };
      const y = (inputs: number[]): GraphNode => ({
        id: 2,
        kind: 'op',
        op,
        name: 'y',
        inputs,
        shape: [],
        value: scalar(1),
        grad: null,
        requiresGrad: true,
        scope: [],
      });
      const label = (nodes: GraphNode[]) => graphFigure(wire({ version: 1, kind: 'graph', output: 2, nodes })).nodes.find((n) => n.id === 2)!.op!.label;
      expect(label([leaf(0, 'a'), leaf(1, 'b'), y([0, 1])]), op).toBe(e.glyph);
      const withConst = label([five, leaf(1, 'b'), { ...y([1, 0]) }]);
      const constFirst = label([five, leaf(1, 'b'), { ...y([0, 1]) }]);
      expect(withConst, op).toBe(e.infix ? `${e.glyph} 5` : `${e.glyph}(·, 5)`);
      expect(constFirst, op).toBe(e.infix === 'commutes' ? `${e.glyph} 5` : e.infix ? `5 ${e.glyph} ·` : `${e.glyph}(5, ·)`);
    }
  });
});
