/**
 * Graph semantics: gradients add at branches, the traced graph, deep chains,
 * a second backward, noGrad/detach/zeroGrad, custom ops, float32.
 */
import { describe, expect, it } from 'vitest';
import * as gl from '../../engine';
import type { Tensor } from '../../engine';
import { expectClose, randn } from './helpers';

describe('gradients add at branches', () => {
  it('x*x gives 2x, for a 0-d tensor (scalar path) and a vector (tensor path)', () => {
    const s = gl.scalar(3, { requiresGrad: true });
    s.mul(s).backward();
    expect(s.grad!.item()).toBe(6);
    const v = gl.tensor([1, -2, 3], { requiresGrad: true });
    v.mul(v).sum().backward();
    expect(v.grad!.toArray()).toEqual([2, -4, 6]);
  });

  it('trace(x.mul(x)) lists the x node twice in the inputs of mul', () => {
    const x = gl.tensor([1, 2], { requiresGrad: true, name: 'x' });
    const tr = gl.trace(x.mul(x));
    const xs = tr.nodes.filter((n) => n.kind === 'leaf');
    expect(xs.length).toBe(1);
    const mul = tr.nodes[tr.output];
    expect(mul.op).toBe('mul');
    expect(mul.inputs).toEqual([xs[0].id, xs[0].id]);
  });

  it('a value used by three ops gets the sum of three gradients', () => {
    const x = gl.scalar(2, { requiresGrad: true });
    // d/dx (x² + 3x + eˣ) = 2x + 3 + eˣ
    x.mul(x).add(x.mul(3)).add(x.exp()).backward();
    expectClose(x.grad!.item(), 4 + 3 + Math.exp(2), 1e-15);
  });
});

describe('gl.trace', () => {
  function build() {
    const a = gl.tensor([1, 2], { requiresGrad: true, name: 'a' });
    const b = gl.tensor([3, 4], { requiresGrad: true, name: 'b' });
    const p = a.mul(b);
    p.name = 'p';
    const q = p.add(a).tanh();
    const L = q.sum();
    L.name = 'L';
    return { a, b, p, q, L };
  }

  it('lists nodes in topological order: every input id is smaller than the node id', () => {
    const { L } = build();
    const tr = gl.trace(L);
    expect(tr.nodes.map((n) => n.op)).toEqual(['leaf', 'leaf', 'mul', 'add', 'tanh', 'sum']);
    tr.nodes.forEach((n, i) => {
      expect(n.id).toBe(i);
      for (const j of n.inputs) expect(j).toBeLessThan(n.id);
    });
    expect(tr.output).toBe(tr.nodes.length - 1);
  });

  it('records inputs in argument order, shapes, values and names', () => {
    const { L } = build();
    const tr = gl.trace(L);
    const [a, b, mul, add, tanh, sum] = tr.nodes;
    expect([a.name, b.name, mul.name, sum.name]).toEqual(['a', 'b', 'p', 'L']);
    expect(add.name).toBeNull();
    expect(mul.inputs).toEqual([a.id, b.id]);
    expect(add.inputs).toEqual([mul.id, a.id]);
    expect(tanh.inputs).toEqual([add.id]);
    expect(sum.shape).toEqual([]);
    expect(mul.shape).toEqual([2]);
    expect(mul.value.toArray()).toEqual([3, 8]);
    expect(add.value.toArray()).toEqual([4, 10]);
    expectClose(sum.value, Math.tanh(4) + Math.tanh(10), 1e-15);
    expect(a.tensor).not.toBeNull();
    expect(a.requiresGrad).toBe(true);
  });

  it('grads are null before backward and readable for every node after it', () => {
    const { L, a, b, p } = build();
    expect(gl.trace(L).nodes.every((n) => n.grad === null)).toBe(true);
    L.backward();
    const tr = gl.trace(L);
    const [na, nb, mul, add, tanh, sum] = tr.nodes;
    const d = [1 - Math.tanh(4) ** 2, 1 - Math.tanh(10) ** 2]; // dL/d(add)
    expect(sum.grad!.item()).toBe(1);
    expect(tanh.grad!.toArray()).toEqual([1, 1]);
    expectClose(add.grad!, d, 1e-15, 'add');
    expectClose(mul.grad!, d, 1e-15, 'mul');
    expectClose(nb.grad!, [d[0] * 1, d[1] * 2], 1e-15, 'b');
    expectClose(na.grad!, [d[0] * 4, d[1] * 5], 1e-15, 'a');
    // the same numbers through the tensors
    expectClose(a.grad!, [d[0] * 4, d[1] * 5], 1e-15, 'a.grad');
    expectClose(b.grad!, [d[0], d[1] * 2], 1e-15, 'b.grad');
    expectClose(p.grad!, d, 1e-15, 'p.grad (intermediate)');
  });

  it('scalar graphs trace too, with constants as const nodes', () => {
    const x = gl.scalar(2, { requiresGrad: true, name: 'x' });
    const y = x.mul(3).add(1);
    y.backward();
    const tr = gl.trace(y);
    expect(tr.nodes.map((n) => n.kind)).toEqual(['leaf', 'const', 'op', 'const', 'op']);
    expect(tr.nodes.map((n) => n.value.item())).toEqual([2, 3, 6, 1, 7]);
    expect(tr.nodes[0].grad!.item()).toBe(3);
    expect(tr.nodes[2].grad!.item()).toBe(1);
  });

  it('gl.scope tags every node created inside with the (nested) scope path', () => {
    const x = gl.tensor([1, 2], { requiresGrad: true, name: 'x' });
    const y = gl.scope('net', () => {
      const h = gl.scope('layer1', () => x.mul(2).relu());
      return gl.scope('layer2', () => h.sum());
    });
    const z = y.mul(y);
    const tr = gl.trace(z);
    const scopeOf = (op: string) => tr.nodes.find((n) => n.op === op)!.scope;
    expect(scopeOf('relu')).toEqual(['net', 'layer1']);
    expect(scopeOf('sum')).toEqual(['net', 'layer2']);
    expect(tr.nodes[tr.output].scope).toEqual([]);
    // the scope is restored after fn returns and after it throws
    expect(() =>
      gl.scope('bad', () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(gl.trace(x.mul(3)).nodes.find((n) => n.op === 'mul')!.scope).toEqual([]);
  });

  it('a leaf or constant sits in the scope all its consumers share (not where it was first used)', () => {
    // w is created outside every scope and used in every "point k / layer 1"; u only in "point 1 / layer 1";
    // v in "point 0 / layer 1" and "point 0 / layer 2"
    const w = gl.scalar(0.5, { requiresGrad: true, name: 'w' });
    const u = gl.scalar(-2, { requiresGrad: true, name: 'u' });
    const v = gl.scalar(3, { requiresGrad: true, name: 'v' });
    const point = (k: number) =>
      gl.scope(`point ${k}`, () => {
        const h = gl.scope('layer 1', () => (k === 1 ? w.mul(2).mul(u).mul(u) : k === 0 ? w.mul(1).mul(v) : w.mul(3).mul(3)));
        return gl.scope('layer 2', () => (k === 0 ? h.add(v) : h.relu()));
      });
    const loss = point(0).add(point(1)).add(point(2));
    loss.backward();
    const tr = gl.trace(loss);
    const byName = (name: string) => tr.nodes.find((n) => n.name === name)!;
    expect(byName('w').scope).toEqual([]);
    expect(byName('u').scope).toEqual(['point 1', 'layer 1']);
    expect(byName('v').scope).toEqual(['point 0']);
    // the constants of point 2 are used once, inside its layer
    const consts = tr.nodes.filter((n) => n.kind === 'const');
    expect(consts.map((n) => [n.value.item(), n.scope.join(' / ')])).toContainEqual([3, 'point 2 / layer 1']);
    // op nodes keep their recorded scopes, and the values are unchanged:
    // loss = (0.5·1·3 + 3) + relu(0.5·2·(−2)·(−2)) + relu(0.5·3·3) = 4.5 + 4 + 4.5
    expect(tr.nodes[tr.output].value.item()).toBe(13);
    expect(tr.nodes.find((n) => n.op === 'relu')!.scope).toEqual(['point 1', 'layer 2']);
    // dloss/dw = 1·3 + 2·4 + 3·3 = 20
    expect(byName('w').grad!.item()).toBe(20);
    // a leaf traced on its own keeps its (top-level) scope
    expect(gl.trace(w).nodes[0].scope).toEqual([]);
  });

  it('gl.scope returns the value of fn', () => {
    expect(gl.scope('s', () => 42)).toBe(42);
  });
});

describe('deep graphs', () => {
  it('a 1,000,000-op chain y = y·1.0001 + 0.0001 backprops with no stack overflow', () => {
    const x = gl.scalar(0.5, { requiresGrad: true });
    let y: Tensor = x;
    const n = 1_000_000;
    for (let i = 0; i < n; i++) y = y.mul(1.0001).add(0.0001);
    y.backward();
    const k = Math.pow(1.0001, n);
    // y_n = kⁿ(x + 1) − 1
    expectClose(y.item(), k * 1.5 - 1, 1e-9, 'y');
    expectClose(x.grad!.item(), k, 1e-9, 'dy/dx');
  });

  it('a 10,000-op chain of vector ops backprops and traces iteratively', () => {
    const x = gl.tensor([1, 2], { requiresGrad: true });
    let y: Tensor = x;
    for (let i = 0; i < 10_000; i++) y = y.add(1);
    const L = y.sum();
    L.backward();
    expect(x.grad!.toArray()).toEqual([1, 1]);
    expect(gl.trace(L).nodes.length).toBe(1 + 2 * 10_000 + 1); // leaf, (const, add) × n, sum
  });
});

describe('a second backward through the same graph', () => {
  it('throws a message that says how to retain the graph, and changes no gradient', () => {
    const x = gl.tensor([1, 2], { requiresGrad: true });
    const L = x.mul(x).sum();
    L.backward();
    expect(() => L.backward()).toThrow(/retainGraph/);
    expect(x.grad!.toArray()).toEqual([2, 4]);
  });

  it('throws on the scalar path too', () => {
    const x = gl.scalar(3, { requiresGrad: true });
    const y = x.mul(x);
    y.backward();
    expect(() => y.backward()).toThrow(/retainGraph/);
    expect(x.grad!.item()).toBe(6);
  });

  it('with {retainGraph: true} the second pass accumulates exactly twice the gradient', () => {
    const x = gl.tensor([1, 2], { requiresGrad: true });
    const L = x.mul(x).sum();
    L.backward(undefined, { retainGraph: true });
    expect(x.grad!.toArray()).toEqual([2, 4]);
    L.backward();
    expect(x.grad!.toArray()).toEqual([4, 8]);
    // the second call did not retain: a third one is refused
    expect(() => L.backward()).toThrow(/retainGraph/);
  });

  it('separate graphs accumulate into .grad until zeroGrad()', () => {
    const x = gl.tensor([1, 2], { requiresGrad: true });
    x.mul(x).sum().backward();
    x.mul(3).sum().backward();
    expect(x.grad!.toArray()).toEqual([5, 7]);
    x.zeroGrad();
    expect(x.grad).toBeNull();
    x.sum().backward();
    expect(x.grad!.toArray()).toEqual([1, 1]);
  });
});

describe('noGrad and detach', () => {
  it('results computed in noGrad do not require grad; grad mode is restored, also after a throw', () => {
    const x = gl.tensor([1, 2], { requiresGrad: true });
    expect(gl.isGradEnabled()).toBe(true);
    const y = gl.noGrad(() => {
      expect(gl.isGradEnabled()).toBe(false);
      return x.mul(2).exp();
    });
    expect(y.requiresGrad).toBe(false);
    expect(y.isLeaf).toBe(true);
    expectClose(y, [Math.exp(2), Math.exp(4)], 1e-15);
    expect(gl.isGradEnabled()).toBe(true);
    expect(() =>
      gl.noGrad(() => {
        throw new Error('inner');
      }),
    ).toThrow('inner');
    expect(gl.isGradEnabled()).toBe(true);
    expect(x.mul(2).requiresGrad).toBe(true);
  });

  it('detach makes a leaf with the same values through which no gradient flows', () => {
    const x = gl.tensor([1, 2], { requiresGrad: true });
    const d = x.mul(3).detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.isLeaf).toBe(true);
    expect(d.toArray()).toEqual([3, 6]);
    // L = Σ x · stop(x): gradient x, not 2x
    x.mul(x.detach()).sum().backward();
    expect(x.grad!.toArray()).toEqual([1, 2]);
    expect(gl.detach(x).requiresGrad).toBe(false);
  });
});

describe('customOp', () => {
  // The lecture's homework: a sigmoid gate and an FC layer with hand-written backward passes.
  const sigmoidGate = gl.customOp<Tensor>({
    name: 'sigmoidGate',
    forward: (x) => {
      const out = gl.div(1, gl.add(1, gl.exp(gl.neg(x))));
      return { out, saved: out };
    },
    backward: (gy, s) => gy.mul(s.mul(gl.sub(1, s))),
    jvp: ([dx], s) => dx.mul(s.mul(gl.sub(1, s))),
  });
  const fc = gl.customOp({
    name: 'fc',
    forward: (x, W, b) => gl.matmul(x, W).add(b),
    backward: (gy, { inputs: [x, W] }) => [gl.matmul(gy, W.T), gl.matmul(x.T, gy), gy.sum(0)],
    jvp: ([dx, dW, db], { inputs: [x, W] }) => gl.matmul(dx, W).add(gl.matmul(x, dW)).add(db),
  });
  const g = gl.rng(7);
  const X = randn([4, 3], g);
  const W = randn([3, 2], g);
  const b = randn([2], g);

  it('takes part in graphs like the built-ins: same values and gradients', () => {
    const run = (layer: (x: Tensor, W: Tensor, b: Tensor) => Tensor, gate: (t: Tensor) => Tensor) => {
      const ps = [X, W, b].map((t) => gl.tensor(t, { requiresGrad: true }));
      const L = gate(layer(ps[0], ps[1], ps[2]))
        .mul(gl.tensor([1, -2]))
        .sum();
      L.backward();
      return { L, grads: ps.map((p) => p.grad!) };
    };
    const custom = run(fc, sigmoidGate);
    const builtin = run((x, w, c) => x.matmul(w).add(c), gl.sigmoid);
    expectClose(custom.L, builtin.L.item(), 1e-14, 'value');
    custom.grads.forEach((gr, i) => expectClose(gr, builtin.grads[i], 1e-13, `grad #${i}`));
    const ops = gl.trace(custom.L).nodes.map((n) => n.op);
    expect(ops).toContain('fc');
    expect(ops).toContain('sigmoidGate');
  });

  it('passes gradCheck, forward mode included', () => {
    const r1 = gl.gradCheck(sigmoidGate, [X]);
    expect(r1.ok, r1.toString()).toBe(true);
    expect('skipped' in r1.forward).toBe(false);
    const r2 = gl.gradCheck(fc, [X, W, b]);
    expect(r2.ok, r2.toString()).toBe(true);
    expect('skipped' in r2.forward).toBe(false);
    expect(r2.inputs.map((i) => i.count)).toEqual([12, 6, 2]);
  });

  it('a wrong backward fails gradCheck, naming the wrong entries worst first', () => {
    // the classic homework mistake: forgetting to sum the bias gradient over the batch
    const badFc = gl.customOp({
      name: 'badFc',
      forward: (x, W, b) => gl.matmul(x, W).add(b),
      backward: (gy, { inputs: [x, W] }) => [gl.matmul(gy, W.T), gl.matmul(x.T, gy), gl.slice(gy, 0, 1).reshape([2])],
    });
    const r = gl.gradCheck(badFc, [X, W, b]);
    expect(r.ok).toBe(false);
    expect(r.inputs.map((i) => i.ok)).toEqual([true, true, false]);
    expect(r.entries[0].input).toBe(2);
    expect(r.entries[0].ok).toBe(false);
    expect(r.entries[1].input).toBe(2);
    for (let i = 1; i < r.entries.length; i++) expect(r.entries[i].relError).toBeLessThanOrEqual(r.entries[i - 1].relError);
    expect(r.entries.filter((e) => !e.ok).map((e) => [e.input, e.index])).toEqual(
      expect.arrayContaining([
        [2, [0]],
        [2, [1]],
      ]),
    );
    expect(r.entries.filter((e) => !e.ok).length).toBe(2);
    expect(r.maxRelError).toBe(r.entries[0].relError);
    expect(r.worst(2)).toEqual(r.entries.slice(0, 2));
    expect(r.toString()).toContain('FAILED');
  });

  it('a backward with a sign error fails every entry of that input', () => {
    const badSig = gl.customOp<Tensor>({
      name: 'badSig',
      forward: (x) => ({ out: gl.sigmoid(x), saved: gl.sigmoid(x) }),
      backward: (gy, s) => gy.mul(s.mul(gl.sub(s, 1))),
    });
    const r = gl.gradCheck(badSig, [X]);
    expect(r.ok).toBe(false);
    expect(r.entries.every((e) => !e.ok)).toBe(true);
    expect(r.entries.every((e) => Math.abs(e.analytic + e.numerical) < 1e-8)).toBe(true);
  });

  it('without a jvp rule, gradCheck says forward mode was skipped (and still checks reverse mode)', () => {
    const noJvp = gl.customOp({
      name: 'noJvpSquare',
      forward: (x) => x.mul(x),
      backward: (gy, { inputs: [x] }) => gy.mul(x).mul(2),
    });
    const r = gl.gradCheck(noJvp, [X]);
    expect(r.ok).toBe(true);
    expect('skipped' in r.forward).toBe(true);
    expect((r.forward as { skipped: string }).skipped).toContain('noJvpSquare');
    expect(r.toString()).toContain('skipped');
    expect(() => gl.jvp(noJvp, [X], [X])).toThrow(/noJvpSquare.*jvp/);
  });

  it('forward returning only the output saves {inputs, out}', () => {
    let seen: unknown = null;
    const op = gl.customOp({
      name: 'double',
      forward: (x) => x.mul(2),
      backward: (gy, saved) => {
        seen = saved;
        return gy.mul(2);
      },
    });
    const x = gl.tensor([1, 2], { requiresGrad: true });
    op(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 2]);
    const s = seen as { inputs: Tensor[]; out: Tensor };
    expect(s.inputs[0].toArray()).toEqual([1, 2]);
    expect(s.out.toArray()).toEqual([2, 4]);
  });
});

describe('float32', () => {
  it('ops keep float32, gradients are float32', () => {
    const x = gl.tensor([0.5, -1.5], { dtype: 'float32', requiresGrad: true });
    const y = x.mul(x).add(1).sum();
    expect(y.dtype).toBe('float32');
    y.backward();
    expect(x.grad!.dtype).toBe('float32');
    expect(x.grad!.toArray()).toEqual([1, -3]);
    expect(x.mul(2).dtype).toBe('float32');
    expect(x.mul(gl.tensor([1, 1])).dtype).toBe('float64');
  });

  it('0-d float32 values are rounded to float32', () => {
    const x = gl.scalar(0.1, { dtype: 'float32' });
    expect(x.item()).toBe(Math.fround(0.1));
    expect(x.mul(3).item()).toBe(Math.fround(Math.fround(0.1) * 3));
  });

  it('gradCheck checks float32 inputs in float64', () => {
    const x = gl.tensor([0.1, 0.7], { dtype: 'float32' });
    const r = gl.gradCheck((v: Tensor) => gl.tanh(v).sum(), [x]);
    expect(r.ok, r.toString()).toBe(true);
    expect(r.maxRelError).toBeLessThan(1e-8); // out of reach for float32 finite differences
    const v0 = Math.fround(0.1);
    const e = r.entries.find((en) => en.index[0] === 0)!;
    expect(e.analytic).toBe(1 - Math.tanh(v0) ** 2);
    expect(e.analytic).not.toBe(Math.fround(e.analytic));
  });
});

describe('gradCheck', () => {
  it('accepts a one-element output of shape [1, 1] (a loss from matmul) as a scalar', () => {
    const w = gl.tensor([[0.5], [-1], [2]]);
    const x = gl.tensor([[1, 2, 3]]);
    const r = gl.gradCheck((v: Tensor) => gl.matmul(v, w).tanh(), [x]);
    expect(r.ok, r.toString()).toBe(true);
    const d = 1 - Math.tanh(0.5 - 2 + 6) ** 2;
    expectClose(r.entries.map((e) => e.analytic).sort(), [0.5 * d, -1 * d, 2 * d].sort(), 1e-14);
  });

  it('checks every entry of a non-scalar output through a random cotangent', () => {
    // a wrong rule that only affects output entry [1] must still be caught
    const partlyWrong = gl.customOp({
      name: 'partlyWrong',
      forward: (x) => x.mul(x),
      backward: (gy, { inputs: [x] }) => gy.mul(x).mul(gl.tensor([2, 2.001, 2])),
    });
    const r = gl.gradCheck(partlyWrong, [gl.tensor([1, 2, 3])]);
    expect(r.ok).toBe(false);
    expect(r.entries[0].index).toEqual([1]);
    expect(r.entries.filter((e) => !e.ok).length).toBe(1);
  });
});

describe('backward with createGraph', () => {
  it('the gradient is itself differentiable: x³ at 2 gives 12, then 12 again (6x)', () => {
    const x = gl.scalar(2, { requiresGrad: true });
    x.mul(x).mul(x).backward(undefined, { createGraph: true });
    const g = x.grad!;
    expect(g.item()).toBe(12);
    expect(g.requiresGrad).toBe(true);
    x.zeroGrad();
    g.backward();
    expect(x.grad!.item()).toBe(12);
  });
});

describe('graphs that span a backward pass', () => {
  it('a result whose graph was freed cannot be backpropagated again through that graph', () => {
    const x = gl.tensor([1, 2], { requiresGrad: true });
    const y = x.mul(x);
    y.sum().backward();
    const z = y.mul(2).sum();
    // the new graph is traceable end to end...
    expect(gl.trace(z).nodes.map((n) => n.op)).toEqual(['leaf', 'mul', 'const', 'mul', 'sum']);
    // ...but going back through y's freed part is refused, not double-counted
    expect(() => z.backward()).toThrow(/retainGraph/);
    expect(x.grad!.toArray()).toEqual([2, 4]);
  });

  it('a graph built before an unrelated backward pass still backprops', () => {
    const x = gl.tensor([1, 2], { requiresGrad: true });
    const y = x.mul(x);
    gl.tensor([1], { requiresGrad: true }).sum().backward();
    y.mul(2).sum().backward();
    expect(x.grad!.toArray()).toEqual([4, 8]);
  });
});

describe('a tiny model really trains', () => {
  it('full-batch gradient descent on least squares recovers w = [3, -1], b = 0.5; the loss never rises', () => {
    const X = randn([32, 2], gl.rng(21));
    const wTrue = gl.tensor([[3], [-1]]);
    const Y = gl.matmul(X, wTrue).add(0.5);
    const w = gl.zeros([2, 1], { requiresGrad: true, name: 'w' });
    const b = gl.zeros([1], { requiresGrad: true, name: 'b' });
    const losses: number[] = [];
    for (let step = 0; step < 300; step++) {
      const loss = gl.matmul(X, w).add(b).sub(Y).square().mean();
      losses.push(loss.item());
      w.zeroGrad();
      b.zeroGrad();
      loss.backward();
      gl.noGrad(() => {
        w.assign(w.sub(w.grad!.mul(0.1)));
        b.assign(b.sub(b.grad!.mul(0.1)));
      });
    }
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThanOrEqual(losses[i - 1]);
    expect(losses[0]).toBeGreaterThan(1);
    expect(losses[losses.length - 1]).toBeLessThan(1e-12);
    expectClose(w, [3, -1], 1e-6, 'w');
    expectClose(b, [0.5], 1e-6, 'b');
  });
});
