import { describe, expect, it } from 'vitest';
import * as gl from '../../../engine';
import { MAX_PAYLOAD_BYTES, type GraphPayload, type TensorSummary } from '../../../engine/display/contract';
import { GRAPH_NODE_LIMIT, GRAPH_PAYLOAD_BUDGET, gradCheckPayload, graphPayload, measuredBytes } from '../../../engine/display/payloads';
import { gradCheckHtml, gradCheckText } from '../../../engine/display/figures/gradcheck';
import { ruleOf } from '../../../engine/display/figures/node-rule';
import { branchGraph } from '../../fixtures/payloads';

const v = (s: TensorSummary | null) => s!.values.map(Number);

/** Σ over the uses of node k of the contribution sent to it, per entry (an entry sum of summaries with all values). */
function contributionsInto(p: GraphPayload, k: number): number[] | null {
  let total: number[] | null = null;
  for (const n of p.nodes) {
    n.inputs.forEach((i, j) => {
      if (i !== k || !n.inputGrads?.[j]) return;
      const g = v(n.inputGrads[j]);
      total = total ? total.map((t, e) => t + g[e]) : g;
    });
  }
  return total;
}

describe('graph payload: branch contributions (inputGrads)', () => {
  it('a=2, b=3; c=a·b; d=c+a; e=d·c: each contribution, and they sum to each grad', () => {
    const a = gl.scalar(2, { requiresGrad: true, name: 'a' });
    const b = gl.scalar(3, { requiresGrad: true, name: 'b' });
    const c = a.mul(b);
    c.name = 'c';
    const d = c.add(a);
    d.name = 'd';
    const e = d.mul(c);
    e.name = 'e';
    e.backward();
    const p = graphPayload(gl.trace(e));
    const id = (n: string) => p.nodes.findIndex((k) => k.name === n);
    const node = (n: string) => p.nodes[id(n)];
    // e = d·c: de/dd = c = 6, de/dc = d = 8
    expect(node('e').inputs).toEqual([id('d'), id('c')]);
    expect(node('e').inputGrads!.map(v)).toEqual([[6], [8]]);
    // d = c + a distributes de/dd = 6 to both
    expect(node('d').inputGrads!.map(v)).toEqual([[6], [6]]);
    // c = a·b switches: grad c = 8 + 6 = 14 → a gets 14·b = 42, b gets 14·a = 28
    expect(v(node('c').grad)).toEqual([14]);
    expect(node('c').inputGrads!.map(v)).toEqual([[42], [28]]);
    expect(v(node('a').grad)).toEqual([48]);
    expect(v(node('b').grad)).toEqual([28]);
    for (const n of p.nodes) {
      if (n.id === p.output) continue;
      const sum = contributionsInto(p, n.id)!;
      expect(sum[0]).toBeCloseTo(v(n.grad)[0], 12);
    }
    expect(node('a').inputGrads).toBeUndefined();
    // the hand-made fixture the views' tests step through is this graph: same ops, operands, values, gradients, contributions
    const read = (q: GraphPayload) =>
      q.nodes.map((n) => ({
        name: n.name,
        op: n.op,
        inputs: n.inputs.map((i) => q.nodes[i].name),
        value: v(n.value),
        grad: v(n.grad),
        sent: n.inputGrads?.map(v) ?? null,
      }));
    expect(read(p)).toEqual(read(branchGraph()));
  });

  it('x·x lists x twice and sends it two contributions', () => {
    const x = gl.scalar(3, { requiresGrad: true, name: 'x' });
    const y = x.mul(x);
    y.backward();
    const p = graphPayload(gl.trace(y));
    const out = p.nodes[p.output];
    expect(out.inputGrads!.map(v)).toEqual([[3], [3]]);
    expect(v(p.nodes[out.inputs[0]].grad)).toEqual([6]);
  });

  it('tensors with broadcasting: contributions have the operand shape and sum to the grads', () => {
    const X = gl.tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { requiresGrad: true, name: 'X' },
    );
    const bias = gl.tensor([0.5, -1, 2], { requiresGrad: true, name: 'bias' });
    const W = gl.tensor(
      [
        [1, 0],
        [0, 1],
        [1, -1],
      ],
      { requiresGrad: true, name: 'W' },
    );
    const H = X.add(bias).tanh();
    const y = H.matmul(W)
      .mul(gl.slice(H.sum(1, true), 0, 1, 1))
      .sum()
      .add(bias.mul(bias).sum());
    y.backward();
    const p = graphPayload(gl.trace(y));
    const add = p.nodes.find((n) => n.op === 'add' && n.shape.length === 2)!;
    expect(add.inputGrads!.map((g) => g!.shape)).toEqual([[2, 3], [3]]);
    // the bias contribution is the upstream gradient summed over the rows
    const up = v(add.grad);
    expect(v(add.inputGrads![1])).toEqual([0, 1, 2].map((j) => expect.closeTo(up[j] + up[3 + j], 12)));
    for (const n of p.nodes) {
      if (n.id === p.output || !n.grad) continue;
      const sum = contributionsInto(p, n.id)!;
      const g = v(n.grad);
      expect(sum.length).toBe(g.length);
      sum.forEach((s, e) => expect(s).toBeCloseTo(g[e], 12));
    }
    // bias feeds two ops: two contributions, each with its shape
    const bi = p.nodes.findIndex((n) => n.name === 'bias');
    const uses = p.nodes.filter((n) => n.inputs.includes(bi));
    expect(uses.map((n) => n.op).sort()).toEqual(['add', 'mul']);
  });

  it('no contributions before backward; constants and conditions get null', () => {
    const x = gl.tensor([1, -2, 3], { requiresGrad: true });
    const y = gl.where(x.gt(0), x, x.mul(2)).sum();
    expect(graphPayload(gl.trace(y)).nodes.every((n) => n.inputGrads === undefined)).toBe(true);
    y.backward();
    const p = graphPayload(gl.trace(y));
    const w = p.nodes.find((n) => n.op === 'where')!;
    expect(w.inputGrads![0]).toBeNull();
    expect(v(w.inputGrads![1])).toEqual([1, 0, 1]);
    expect(v(w.inputGrads![2])).toEqual([0, 1, 0]);
    const m = p.nodes.find((n) => n.op === 'mul')!;
    expect(m.inputGrads![1]).toBeNull(); // the constant 2
  });
});

/** A micrograd-style MLP of 0-d values (as bench/browser/w5.ts builds it), at least `target` nodes, after backward. */
export function mlpGraph(target: number): gl.Tensor {
  const val = (i: number) => 0.5 * Math.sin(i * 12.9898 + 1);
  let seed = 0;
  const layer = (nin: number, nout: number) =>
    Array.from({ length: nout }, () => ({
      w: Array.from({ length: nin }, () => gl.scalar(val(seed++), { requiresGrad: true })),
      b: gl.scalar(0, { requiresGrad: true }),
    }));
  const layers = [layer(2, 4), layer(4, 4), layer(4, 1)];
  const forward = (x: number[]): gl.Tensor => {
    let h: (number | gl.Tensor)[] = x;
    layers.forEach((L, li) => {
      h = L.map((n) => {
        let a: gl.Tensor = n.b;
        n.w.forEach((w, i) => {
          a = a.add(w.mul(h[i]));
        });
        return li < layers.length - 1 ? a.relu() : a;
      });
    });
    return h[0] as gl.Tensor;
  };
  let loss: gl.Tensor | null = null;
  // about 90 nodes per example
  for (let k = 0; ; k++) {
    const li = forward([Math.cos(k), Math.sin(0.7 * k)])
      .mul(k % 2 ? 1 : -1)
      .add(1)
      .relu();
    loss = loss ? loss.add(li) : li;
    if ((target <= 2000 || k % 20 === 19) && gl.trace(loss).nodes.length >= target) break;
  }
  loss.backward();
  return loss;
}

describe('graph payload: large graphs', () => {
  it('sends a 1,000-node graph whole with every rule and contribution', () => {
    const tr = gl.trace(mlpGraph(1000));
    const p = graphPayload(tr);
    expect(p.omitted).toBeUndefined();
    expect(p.nodes.length).toBe(tr.nodes.length);
    expect(p.nodes.filter((n) => n.kind === 'op').every((n) => ruleOf(p, n) && n.inputGrads)).toBe(true);
    // exact numbers below 2,000 nodes: contributions into each parameter sum to its gradient
    for (const n of p.nodes.filter((k) => k.kind === 'leaf')) {
      expect(contributionsInto(p, n.id)![0]).toBeCloseTo(v(n.grad)[0], 12);
    }
  });

  it("sends a 10,000-node graph whole, under the budget, with every rule (in a table of three) and every op node's contributions", () => {
    expect(GRAPH_NODE_LIMIT).toBeGreaterThanOrEqual(10000);
    const tr = gl.trace(mlpGraph(10000));
    expect(tr.nodes.length).toBeGreaterThanOrEqual(10000);
    const p = graphPayload(tr);
    expect(p.nodes.length).toBe(tr.nodes.length);
    expect(Buffer.byteLength(JSON.stringify(p))).toBeLessThanOrEqual(GRAPH_PAYLOAD_BUDGET);
    // the size gl.show reuses instead of serializing the graph a second time is the exact UTF-8 size
    expect(measuredBytes(p)).toBe(Buffer.byteLength(JSON.stringify(p)));
    expect(GRAPH_PAYLOAD_BUDGET).toBeLessThan(MAX_PAYLOAD_BYTES);
    const ops = p.nodes.filter((n) => n.kind === 'op');
    expect(ops.every((n) => ruleOf(p, n))).toBe(true);
    // add, mul, relu of scalars: three rules in the table, not one per node
    expect(p.rules!.map((r) => r.pattern).sort()).toEqual(['distributes', 'routes', 'switches']);
    // with the rules in a table every op node's contributions fit: nothing is left out
    expect(ops.every((n) => n.inputGrads)).toBe(true);
    expect(p.omitted).toBeUndefined();
    // 6 significant digits past 2,000 nodes: sums agree to that
    const out = p.nodes[p.output];
    expect(Number(out.inputGrads![0]!.values[0])).toBe(1);
  });

  it('cuts nodes past the byte budget even below the node limit', () => {
    const tr = gl.trace(mlpGraph(20000));
    const p = graphPayload(tr);
    expect(measuredBytes(p)).toBeUndefined();
    expect(p.nodes.length).toBeLessThan(tr.nodes.length);
    expect(Buffer.byteLength(JSON.stringify(p))).toBeLessThanOrEqual(GRAPH_PAYLOAD_BUDGET);
    expect(p.omitted!.nodes).toBe(tr.nodes.length - p.nodes.length);
    expect(p.omitted!.reason).toMatch(/nearest the output are drawn .* \(to keep the payload under 6 MB\)/);
    for (const n of p.nodes) {
      for (const i of n.inputs) expect(i).toBeGreaterThanOrEqual(0);
      if (ruleOf(p, n)) expect(ruleOf(p, n)!.jacobians.length).toBe(n.inputs.length);
    }
  });

  it('summarises fewer entries per tensor past some thousands of nodes (statistics stay exact)', () => {
    const x = gl.tensor(
      Array.from({ length: 100 }, (_, i) => i),
      { requiresGrad: true },
    );
    let y = x;
    for (let i = 0; i < 6000; i++) y = y.mul(1);
    const p = graphPayload(gl.trace(y.sum()));
    const big = p.nodes.find((n) => n.kind === 'leaf')!;
    expect(big.value.values.length).toBe(4);
    expect(big.value.truncated).toBe(true);
    expect([big.value.min, big.value.max, big.value.mean]).toEqual([0, 99, 49.5]);
    const small = graphPayload(gl.trace(x.mul(2).sum())).nodes.find((n) => n.kind === 'leaf')!;
    expect(small.value.values.length).toBe(16);
  });
});

describe('gradient-check payload with {nodes: true}', () => {
  const wrongSquare = gl.customOp({
    name: 'wrongSquare',
    forward: (x: gl.Tensor) => x.mul(x),
    backward: (g, { inputs: [x] }) => g.mul(x),
  });
  const f = (x: gl.Tensor) => {
    const s = wrongSquare(x.tanh());
    s.name = 'sq';
    return s.mul(3).sum();
  };

  it('carries the graph, each op node with its check; only the wrong node fails', () => {
    const p = gradCheckPayload(gl.gradCheck(f, gl.tensor([0.5, -1, 2]), { nodes: true }));
    expect(p.ok).toBe(false);
    const g = p.graph!;
    expect(g.kind).toBe('graph');
    const ops = g.nodes.filter((n) => n.kind === 'op');
    expect(ops.every((n) => n.check && n.check.count > 0)).toBe(true);
    expect(g.nodes.filter((n) => n.kind !== 'op').every((n) => n.check === undefined)).toBe(true);
    const bad = ops.filter((n) => !n.check!.ok);
    expect(bad.map((n) => [n.op, n.name])).toEqual([['wrongSquare', 'sq']]);
    expect(Number(bad[0].check!.relError)).toBeCloseTo(1 / 3, 6);
    // the graph carries gradients (backward with the check's cotangent) and the wrong node's rule is custom
    expect(ruleOf(g, bad[0])!.pattern).toBe('custom');
    expect(bad[0].grad).not.toBeNull();
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
  });

  it('the static fallbacks list the failing node first (op, name, relative error), as text', () => {
    const p = gradCheckPayload(gl.gradCheck(f, gl.tensor([0.5, -1, 2]), { nodes: true }));
    const id = p.graph!.nodes.find((n) => n.op === 'wrongSquare')!.id;
    const text = gradCheckText(p);
    const lines = text.split('\n');
    expect(lines[3]).toBe('✗ 1 of 4 op nodes: local backward disagrees with finite differences');
    expect(lines[6]).toMatch(new RegExp(`^✗ +#${id} +wrongSquare +sq +3\\.3e-1 +3$`));
    const html = gradCheckHtml(p);
    expect(html.indexOf('wrongSquare')).toBeLessThan(html.indexOf('max rel. error'));
    // a node name is text, never markup
    const evil = gl.customOp({ name: '<b>op</b>', forward: (x: gl.Tensor) => x.mul(x), backward: (g, { inputs: [x] }) => g.mul(x) });
    const q = gradCheckPayload(gl.gradCheck((x: gl.Tensor) => evil(x).sum(), gl.tensor([1, 2]), { nodes: true }));
    expect(gradCheckHtml(q)).toContain('&lt;b&gt;op&lt;/b&gt;');
    expect(gradCheckHtml(q)).not.toContain('<b>op</b>');
  });

  it('a passing check says every node agrees; without {nodes: true} there is no graph and the fallback is as before', () => {
    const ok = gradCheckPayload(gl.gradCheck((x: gl.Tensor) => x.tanh().mul(x).sum(), gl.tensor([0.5, -1, 2]), { nodes: true }));
    expect(ok.ok).toBe(true);
    expect(gradCheckText(ok)).toContain("✓ every op node's local backward agrees with finite differences (3 checked)");
    const plain = gradCheckPayload(gl.gradCheck((x: gl.Tensor) => x.tanh().mul(x).sum(), gl.tensor([0.5, -1, 2])));
    expect(plain.graph).toBeUndefined();
    expect(gradCheckText(plain)).not.toContain('op node');
    expect(gradCheckHtml(plain)).not.toContain('op node');
  });
});
