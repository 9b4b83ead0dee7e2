/**
 * The fast paths behind the benchmarks: scalar constants by exact value, the
 * per-op scalar paths against the generic tensor rules, and a failed backward
 * pass leaving the graph as it was (nodes are marked freed during the walk).
 */
import { describe, expect, it } from 'vitest';
import * as gl from '../../engine';
import { PRIMITIVES, scalarPaths } from '../../engine/ops/primitive';

describe('scalar constants', () => {
  it('keep -0 apart from +0 and NaN as a value', () => {
    const x = gl.scalar(2, { requiresGrad: true });
    const y = x.mul(-0).add(x.mul(0));
    y.backward();
    expect(Object.is(x.grad!.item(), 0)).toBe(true);
    const t = gl.trace(y);
    const consts = t.nodes.filter((n) => n.kind === 'const').map((n) => n.value.item());
    expect(consts.length).toBe(2);
    expect(consts.some((v) => Object.is(v, -0))).toBe(true);
  });

  it('are one node per distinct value, however many constants a tape holds', () => {
    const x = gl.scalar(1, { requiresGrad: true });
    let y = x;
    for (let i = 0; i < 300; i++) y = y.add(i % 150);
    const t = gl.trace(y);
    expect(t.nodes.filter((n) => n.kind === 'const').length).toBe(150);
    y.backward();
    expect(x.grad!.item()).toBe(1);
    expect(y.item()).toBe(1 + (2 * (149 * 150)) / 2);
  });
});

describe('per-op scalar paths', () => {
  const points: Record<number, number[]> = { 1: [0.7], 2: [0.7, 1.3] };
  for (const p of PRIMITIVES) {
    if (!p.elementwise || !p.differentiable || p.custom) continue;
    const arity = p.name === 'where' ? 3 : p.elementwise.d.length;
    if (arity > 2) continue;
    it(`${p.name}: value and gradients equal the tensor path`, () => {
      const fast = scalarPaths(p);
      const vals = points[arity];
      const s = vals.map((v) => gl.scalar(v, { requiresGrad: true }));
      const v = vals.map((v) => gl.tensor([v], { requiresGrad: true }));
      const ys = arity === 1 ? fast.t(s[0]) : fast.tt(s[0], s[1]);
      const op = (gl as unknown as Record<string, (...a: gl.Tensor[]) => gl.Tensor>)[p.name];
      const yv = op(...v);
      expect(ys.item()).toBe(yv.item());
      ys.backward();
      yv.sum().backward();
      for (let i = 0; i < arity; i++) expect(s[i].grad!.item()).toBeCloseTo(v[i].grad!.item(), 14);
    });
  }
});

describe('a failed backward pass', () => {
  it('leaves the graph usable (nothing was freed)', () => {
    let failOnce = true;
    const op = gl.customOp({
      name: 'flaky',
      forward: (x) => x.mul(3),
      backward: (g) => {
        if (failOnce) {
          failOnce = false;
          throw new Error('boom');
        }
        return g.mul(3);
      },
    });
    const x = gl.scalar(2, { requiresGrad: true });
    const y = op(x.mul(x)).add(x); // scalar nodes after the failing one are walked first
    expect(() => y.backward()).toThrow('boom');
    expect(x.grad).toBeNull();
    y.backward();
    expect(x.grad!.item()).toBe(3 * 2 * 2 + 1);
    expect(() => y.backward()).toThrow(/freed|retainGraph/);
  });
});
