/** Optimisers against hand-computed first steps; schedules. */
import { describe, expect, it } from 'vitest';
import * as gl from '../../../engine';

/** A parameter x with the gradient of f(x) = Σ gᵢxᵢ (so ∇f = g whatever x is). */
function withGrad(x: number[], g: number[]) {
  const p = gl.tensor(x, { requiresGrad: true });
  const gt = gl.tensor(g);
  return { p, backward: () => gl.mul(p, gt).sum().backward() };
}

describe('SGD', () => {
  it('plain: x − α·g', () => {
    const { p, backward } = withGrad([1, -2], [0.5, -4]);
    const opt = new gl.optim.SGD([p], { lr: 0.1 });
    backward();
    opt.step();
    expect(p.toArray()).toEqual([1 - 0.05, -2 + 0.4]);
  });

  it('momentum: v ← ρv + g, x ← x − αv, two steps by hand', () => {
    const { p, backward } = withGrad([1, -2], [0.5, -4]);
    const opt = new gl.optim.SGD([p], { lr: 0.1, momentum: 0.9 });
    opt.zeroGrad();
    backward();
    opt.step();
    // v1 = g, x1 = x0 − 0.1 g
    expect(p.toArray()).toEqual([1 - 0.1 * 0.5, -2 - 0.1 * -4]);
    opt.zeroGrad();
    backward();
    opt.step();
    // v2 = 0.9 g + g = 1.9 g, x2 = x1 − 0.19 g
    const x2 = p.toArray() as number[];
    expect(x2[0]).toBeCloseTo(1 - 0.05 - 0.19 * 0.5, 15);
    expect(x2[1]).toBeCloseTo(-2 + 0.4 + 0.19 * 4, 15);
    expect(opt.stepCount).toBe(2);
  });

  it('gradients add up without zeroGrad (the reason to call it)', () => {
    const { p, backward } = withGrad([0], [1]);
    const opt = new gl.optim.SGD([p], { lr: 1 });
    backward();
    backward();
    opt.step();
    expect(p.toArray()).toEqual([-2]);
  });
});

describe('Adam', () => {
  it('first step moves each entry by α·g/(|g| + ε) ≈ α·sign(g); second step by hand', () => {
    const g = [0.5, -4, 1e-3];
    const { p, backward } = withGrad([1, -2, 3], g);
    const opt = new gl.optim.Adam([p], { lr: 0.01 });
    backward();
    opt.step();
    const x1 = p.toArray() as number[];
    [1, -2, 3].forEach((x0, i) => expect(x1[i]).toBeCloseTo(x0 - (0.01 * g[i]) / (Math.abs(g[i]) + 1e-8), 15));
    opt.zeroGrad();
    backward();
    opt.step();
    // m2 = 0.9·0.1g + 0.1g = 0.19g, m̂ = 0.19g/(1−0.81) = g; v2 = (0.999·0.001 + 0.001)g², v̂ = g² → same move again
    const x2 = p.toArray() as number[];
    x1.forEach((x, i) => expect(x2[i]).toBeCloseTo(x - (0.01 * g[i]) / (Math.abs(g[i]) + 1e-8), 14));
  });

  it('minimises a quadratic', () => {
    const p = gl.tensor([3, -4], { requiresGrad: true });
    const opt = new gl.optim.Adam([p], { lr: 0.1 });
    for (let i = 0; i < 500; i++) {
      opt.zeroGrad();
      p.mul(p).sum().backward();
      opt.step();
    }
    for (const v of p.toArray() as number[]) expect(Math.abs(v)).toBeLessThan(1e-2);
  });
});

describe('schedules', () => {
  it('are plain functions step → lr, used by the optimiser at each step', () => {
    const s = gl.optim.stepDecay(1, 10, 0.5);
    expect([0, 9, 10, 25].map(s)).toEqual([1, 1, 0.5, 0.25]);
    const c = gl.optim.cosine(1, 100, 0.1);
    expect(c(0)).toBe(1);
    expect(c(50)).toBeCloseTo(0.55, 15);
    expect(c(100)).toBe(0.1);
    expect(gl.optim.exponentialDecay(2, 0.5)(3)).toBe(0.25);
    expect([0, 1, 4, 9].map(gl.optim.warmup(4, 1))).toEqual([0.25, 0.5, 1, 1]);
    const { p, backward } = withGrad([0], [1]);
    const opt = new gl.optim.SGD([p], { lr: s });
    for (let i = 0; i < 11; i++) {
      opt.zeroGrad();
      backward();
      opt.step();
    }
    expect((p.toArray() as number[])[0]).toBeCloseTo(-(10 * 1 + 0.5), 14);
  });

  it('bad settings are errors', () => {
    const p = gl.tensor([1], { requiresGrad: true });
    expect(() => new gl.optim.SGD([p], { lr: -1 })).toThrow(/lr must be a non-negative number/);
    expect(() => new gl.optim.SGD([p], { lr: 0.1, momentum: 1 })).toThrow(/momentum must be in \[0, 1\)/);
    expect(() => new gl.optim.SGD([p.mul(2)], { lr: 0.1 })).toThrow(/not a leaf/);
    expect(() => new gl.optim.Adam([])).toThrow(/non-empty array/);
  });
});

describe('a gradient with NaN or Infinity (issue #10, defect 5)', () => {
  /** Bits of every parameter, to prove a refused step changed nothing. */
  const bits = (ps: gl.Tensor[]) => ps.map((p) => Array.from(new Uint8Array(p.toTypedArray().buffer)));
  /** Gradients of `model` set by hand: 0.1 everywhere, and `bad` at one entry of one parameter. */
  function setGrads(model: gl.nn.Module, which: string, at: number, bad: number) {
    for (const [n, p] of model.namedParameters()) {
      const g = new Float64Array(p.size).fill(0.1);
      if (n === which) g[at] = bad;
      p.grad = gl.tensor(g, { shape: p.shape.slice() });
    }
  }

  it('SGD with momentum refuses the step, names the parameter and the first bad entry, and changes nothing', () => {
    const net = gl.nn.mlp([2, 3, 4], { seed: 0 });
    const opt = new gl.optim.SGD(net, { lr: 0.1, momentum: 0.9 });
    setGrads(net, '0.weight', 0, 0.5);
    opt.step(); // one good step, so the momentum buffers hold something
    const before = bits(net.parameters());
    // '2.weight' is [3, 4]: flat entry 9 is [2, 1]; a second bad entry (Infinity) is counted
    setGrads(net, '2.weight', 9, NaN);
    const g = net.namedParameters()[2][1].grad!;
    const gv = g.toTypedArray();
    gv[11] = Infinity;
    net.namedParameters()[2][1].grad = gl.tensor(gv, { shape: [3, 4] });
    expect(() => opt.step()).toThrow(
      "SGD.step: gradient of '2.weight' ('fc2.weight') has NaN at [2, 1] (2 of its 12 entries are NaN or infinite); " +
        'no parameter was changed (pass {allowNonFinite: true} to step anyway)',
    );
    expect(bits(net.parameters())).toEqual(before);
    expect(opt.stepCount).toBe(1);
    // the momentum state did not move either: the next good step is the one a twin optimiser takes
    const twin = gl.nn.mlp([2, 3, 4], { seed: 0 });
    const topt = new gl.optim.SGD(twin, { lr: 0.1, momentum: 0.9 });
    setGrads(twin, '0.weight', 0, 0.5);
    topt.step();
    setGrads(twin, '0.weight', 0, 0.5);
    topt.step();
    setGrads(net, '0.weight', 0, 0.5);
    opt.step();
    expect(bits(net.parameters())).toEqual(bits(twin.parameters()));
  });

  it('Adam refuses too, its moments and step counter untouched; the error is a NonFiniteGradientError', () => {
    const net = gl.nn.mlp([2, 3, 4], { seed: 0 });
    const opt = new gl.optim.Adam(net, { lr: 0.01 });
    setGrads(net, '0.bias', 0, 1);
    opt.step();
    const before = bits(net.parameters());
    setGrads(net, '0.bias', 2, -Infinity);
    let err: unknown;
    try {
      opt.step();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(gl.optim.NonFiniteGradientError);
    expect(err).toBeInstanceOf(gl.GradlabError);
    expect((err as gl.optim.NonFiniteGradientError).parameter).toBe('0.bias');
    expect((err as Error).message).toBe(
      "Adam.step: gradient of '0.bias' ('fc1.bias') has -Infinity at [2]; no parameter was changed (pass {allowNonFinite: true} to step anyway)",
    );
    expect(bits(net.parameters())).toEqual(before);
    expect(opt.stepCount).toBe(1);
    const twin = gl.nn.mlp([2, 3, 4], { seed: 0 });
    const topt = new gl.optim.Adam(twin, { lr: 0.01 });
    setGrads(twin, '0.bias', 0, 1);
    topt.step();
    setGrads(twin, '0.bias', 0, 1);
    topt.step();
    setGrads(net, '0.bias', 0, 1);
    opt.step();
    expect(bits(net.parameters())).toEqual(bits(twin.parameters()));
  });

  it('a NaN from a real backward, on tensors given as an array: named by the tensor name or position', () => {
    const w = gl.tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { requiresGrad: true, name: 'w' },
    );
    const b = gl.scalar(0.5, { requiresGrad: true });
    const opt = new gl.optim.SGD([w, b], { lr: 0.1 });
    // d/dw Σ w·[[1, 0], [log(−1), 0]] has NaN at [1, 0]
    gl.sum(
      gl.mul(
        w,
        gl.tensor([
          [1, 0],
          [Math.log(-1), 0],
        ]),
      ),
    ).backward();
    expect(() => opt.step()).toThrow("SGD.step: gradient of 'w' has NaN at [1, 0]; no parameter was changed");
    expect(w.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    w.zeroGrad();
    gl.mul(b, Infinity).backward();
    expect(() => opt.step()).toThrow("SGD.step: gradient of '#1' is Infinity; no parameter was changed");
    expect(b.item()).toBe(0.5);
  });

  it('{allowNonFinite: true} on step or on the optimiser steps anyway (the old behaviour)', () => {
    const p = gl.tensor([1, 2], { requiresGrad: true });
    const opt = new gl.optim.SGD([p], { lr: 0.1 });
    p.grad = gl.tensor([NaN, 1]);
    opt.step({ allowNonFinite: true });
    expect(p.toArray()).toEqual([NaN, 2 - 0.1]);
    const q = gl.tensor([1, 2], { requiresGrad: true });
    const adam = new gl.optim.Adam([q], { lr: 0.1, allowNonFinite: true });
    q.grad = gl.tensor([Infinity, 1]);
    adam.step();
    expect(Number.isNaN((q.toArray() as number[])[0])).toBe(true);
    expect(adam.stepCount).toBe(1);
  });
});
