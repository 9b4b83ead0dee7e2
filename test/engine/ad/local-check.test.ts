import { describe, expect, it } from 'vitest';
import * as gl from '../../../engine';
import { checkNodes } from '../../../engine/ad/local-check';

/** x² with a wrong backward: g·x instead of 2·g·x. */
const wrongSquare = gl.customOp({
  name: 'wrongSquare',
  forward: (x: gl.Tensor) => x.mul(x),
  backward: (g, { inputs: [x] }) => g.mul(x),
});
const rightSquare = gl.customOp({
  name: 'rightSquare',
  forward: (x: gl.Tensor) => x.mul(x),
  backward: (g, { inputs: [x] }) => g.mul(x).mul(2),
});

describe("gradCheck with {nodes: true}: every op node's local backward", () => {
  it('finds exactly the node of a wrong custom op, with its relative error', () => {
    const x = gl.tensor([0.5, -1.2, 2], { name: 'x' });
    const W = gl.tensor(
      [
        [0.3, -0.7, 1.1],
        [0.2, 0.5, -0.4],
      ],
      { name: 'W' },
    );
    const f = (x: gl.Tensor, W: gl.Tensor) => {
      const s = wrongSquare(W.matmul(x.tanh()));
      s.name = 's';
      return s.add(x.sum()).exp().sum();
    };
    const r = gl.gradCheck(f, [x, W], { nodes: true });
    expect(r.ok).toBe(false);
    const bad = r.failingNodes();
    expect(bad.map((n) => [n.op, n.name])).toEqual([['wrongSquare', 's']]);
    // analytic g·x vs numerical 2·g·x: |a − n| / (|a| + |n|) = 1/3 for every entry
    expect(bad[0].relError).toBeCloseTo(1 / 3, 6);
    expect(bad[0].count).toBe(2);
    expect(r.nodes![0]).toBe(bad[0]); // worst first
    const others = r.nodes!.filter((n) => n.op !== 'wrongSquare');
    expect(others.map((n) => n.op).sort()).toEqual(['add', 'exp', 'matmul', 'reshape', 'reshape', 'sum', 'sum', 'tanh']);
    for (const n of others) {
      expect(n.ok, n.op).toBe(true);
      expect(n.relError, n.op).toBeLessThan(1e-6);
      expect(n.count).toBeGreaterThan(0);
    }
    expect(r.graph!.nodes[bad[0].id].op).toBe('wrongSquare');
    expect(r.toString()).toMatch(/✗ node #\d+ wrongSquare 's': relative error 3\.33e-1 over 2 entries/);
  });

  it('the same graph with a right custom op passes everywhere', () => {
    const f = (x: gl.Tensor) => rightSquare(x.sin()).mul(x).sum();
    const r = gl.gradCheck(f, gl.tensor([0.3, -0.8, 1.7]), { nodes: true });
    expect(r.ok).toBe(true);
    expect(r.failingNodes()).toEqual([]);
    expect(r.nodes!.map((n) => n.op).sort()).toEqual(['mul', 'rightSquare', 'sin', 'sum']);
  });

  it('a graph using many built-in ops passes at every node', () => {
    const X = gl.tensor(
      [
        [0.5, -1.2, 2, 0.3],
        [1.5, 0.7, -0.4, -2],
      ],
      { name: 'X' },
    );
    const W = gl.tensor(
      [
        [0.3, -0.7, 1.1],
        [0.2, 0.5, -0.4],
        [-0.9, 0.1, 0.6],
        [0.8, -0.3, 0.25],
      ],
      { name: 'W' },
    );
    const b = gl.tensor([0.1, -0.2, 0.05], { name: 'b' });
    const f = (X: gl.Tensor, W: gl.Tensor, b: gl.Tensor) => {
      const hdn = X.matmul(W).add(b).relu();
      const z = gl.concat([hdn.sigmoid(), gl.slice(hdn.tanh(), 0, 2, 1)], 1); // [2, 5]
      const zz = gl.transpose(z).reshape([5, 2]).div(X.abs().add(1).sum(1)); // broadcast [2]
      const p = gl.pick(gl.logSoftmax(zz.mul(3), 1), [0, 1, 1, 0, 1]).mean();
      const q = gl.take(W, [0, 2, 2], 0).pow(2).sum().sqrt();
      const mx = gl.maximum(b, b.mul(-0.5)).sum().add(gl.minimum(b, 0.02).sum());
      const m = gl.max(X.exp().log().cos(), 1).sum().add(gl.min(X.neg(), 0).sum());
      return p
        .add(q)
        .add(mx)
        .add(m)
        .sub(gl.where(X.gt(0), X, X.mul(2)).sum().mul(0.1));
    };
    const r = gl.gradCheck(f, [X, W, b], { nodes: true });
    const ops = new Set(r.nodes!.map((n) => n.op));
    for (const op of [
      'matmul',
      'add',
      'relu',
      'concat',
      'sigmoid',
      'slice',
      'tanh',
      'transpose',
      'reshape',
      'div',
      'abs',
      'sum',
      'mul',
      'max',
      'exp',
      'take',
      'pow',
      'sqrt',
      'maximum',
      'minimum',
      'log',
      'cos',
      'min',
      'neg',
      'sub',
      'where',
    ]) {
      expect(ops.has(op), op).toBe(true);
    }
    expect(r.failingNodes()).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('relu at exactly 0 and max at a tie are kinks: left out, not false alarms', () => {
    const f = (x: gl.Tensor) =>
      x
        .relu()
        .sum()
        .add(gl.max(x.mul(0).add(x.abs()), 0));
    const r = gl.gradCheck(f, gl.tensor([0, 1.5, -2, 2]), { nodes: true, tol: 1e-6 });
    const relu = r.nodes!.find((n) => n.op === 'relu')!;
    expect(relu.ok).toBe(true);
    expect(relu.kinks).toBe(1);
    expect(relu.count).toBe(3);
    const max = r.nodes!.find((n) => n.op === 'max')!;
    expect(max.ok).toBe(true);
    expect(max.kinks).toBe(2); // |−2| and |2| tie: both entries sit on a kink
    expect(r.failingNodes()).toEqual([]);
    expect(r.toString()).toContain('entries at a kink left out');
  });

  it('samples large operands (bounded, seeded) and checks every entry of small ones', () => {
    const A = gl.randn([40, 30], { rng: gl.rng(1) });
    const f = (A: gl.Tensor) => A.matmul(gl.transpose(A)).tanh().sum();
    const r1 = gl.gradCheck(f, A, { nodes: true, nodeEntries: 20 });
    const mm = r1.nodes!.find((n) => n.op === 'matmul')!;
    expect(mm.count).toBe(40); // 20 per operand
    expect(r1.nodes!.find((n) => n.op === 'sum')!.count).toBe(20);
    const r2 = gl.gradCheck(f, A, { nodes: true, nodeEntries: 20 });
    expect(r2.nodes!.map((n) => n.relError)).toEqual(r1.nodes!.map((n) => n.relError));
    expect(r1.ok).toBe(true);
    // checkNodes directly on a small trace: every entry
    const x = gl.tensor([1, 2, 3], { requiresGrad: true });
    const all = checkNodes(gl.trace(x.mul(x).sum()));
    expect(all.map((n) => [n.op, n.count])).toEqual(
      expect.arrayContaining([
        ['mul', 6],
        ['sum', 3],
      ]),
    );
  });

  it('plain gradCheck is unchanged: no nodes, no graph', () => {
    const r = gl.gradCheck((x: gl.Tensor) => wrongSquare(x).sum(), gl.tensor([1, 2, 3]));
    expect(r.nodes).toBeUndefined();
    expect(r.graph).toBeUndefined();
    expect(r.toString()).not.toContain('local backward');
  });
});
