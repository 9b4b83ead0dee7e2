/** Optimisers against hand-computed first steps; schedules. */
import { describe, expect, it } from 'vitest';
import * as gl from '../../engine';

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
    opt.zeroGrad(); backward(); opt.step();
    // v1 = g, x1 = x0 − 0.1 g
    expect(p.toArray()).toEqual([1 - 0.1 * 0.5, -2 - 0.1 * -4]);
    opt.zeroGrad(); backward(); opt.step();
    // v2 = 0.9 g + g = 1.9 g, x2 = x1 − 0.19 g
    const x2 = p.toArray() as number[];
    expect(x2[0]).toBeCloseTo(1 - 0.05 - 0.19 * 0.5, 15);
    expect(x2[1]).toBeCloseTo(-2 + 0.4 + 0.19 * 4, 15);
    expect(opt.stepCount).toBe(2);
  });

  it('gradients add up without zeroGrad (the reason to call it)', () => {
    const { p, backward } = withGrad([0], [1]);
    const opt = new gl.optim.SGD([p], { lr: 1 });
    backward(); backward();
    opt.step();
    expect(p.toArray()).toEqual([-2]);
  });
});

describe('Adam', () => {
  it('first step moves each entry by α·g/(|g| + ε) ≈ α·sign(g); second step by hand', () => {
    const g = [0.5, -4, 1e-3];
    const { p, backward } = withGrad([1, -2, 3], g);
    const opt = new gl.optim.Adam([p], { lr: 0.01 });
    backward(); opt.step();
    const x1 = p.toArray() as number[];
    [1, -2, 3].forEach((x0, i) => expect(x1[i]).toBeCloseTo(x0 - (0.01 * g[i]) / (Math.abs(g[i]) + 1e-8), 15));
    opt.zeroGrad(); backward(); opt.step();
    // m2 = 0.9·0.1g + 0.1g = 0.19g, m̂ = 0.19g/(1−0.81) = g; v2 = (0.999·0.001 + 0.001)g², v̂ = g² → same move again
    const x2 = p.toArray() as number[];
    x1.forEach((x, i) => expect(x2[i]).toBeCloseTo(x - (0.01 * g[i]) / (Math.abs(g[i]) + 1e-8), 14));
  });

  it('minimises a quadratic', () => {
    const p = gl.tensor([3, -4], { requiresGrad: true });
    const opt = new gl.optim.Adam([p], { lr: 0.1 });
    for (let i = 0; i < 500; i++) { opt.zeroGrad(); p.mul(p).sum().backward(); opt.step(); }
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
    for (let i = 0; i < 11; i++) { opt.zeroGrad(); backward(); opt.step(); }
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
