/**
 * Second derivatives through logSoftmax (issue #10, defect 8, the hessian part): its rule
 * gx = gy − softmax·Σgy, written with its own output, differentiates again without cancelling
 * large terms. Every path: gl.hessian (jacrev∘grad), jacrev∘jacfwd, jacfwd∘jacfwd.
 */
import { describe, expect, it } from 'vitest';
import * as gl from '../../../engine';
import type { Tensor } from '../../../engine';
import { expectClose } from '../helpers';

type F = (x: Tensor) => Tensor;
/** The Hessian of f at x by each path the engine has. */
const paths = (f: F): [string, (x: Tensor) => Tensor][] => [
  ['hessian', gl.hessian(f)],
  ['jacrev(grad)', gl.jacrev(gl.grad(f))],
  ['jacrev(jacfwd)', gl.jacrev((x) => gl.reshape(gl.jacfwd(f)(x), x.shape))],
  ['jacfwd(jacfwd)', gl.jacfwd((x) => gl.reshape(gl.jacfwd(f)(x), x.shape))],
];

/** softmax(x) and its Jacobian diag(p) − ppᵀ, in plain numbers. */
function softmaxJacobian(x: number[]): number[][] {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const z = e.reduce((a, b) => a + b, 0);
  const p = e.map((v) => v / z);
  return p.map((pi, i) => p.map((pj, j) => (i === j ? pi : 0) - pi * pj));
}

describe('hessians through logSoftmax', () => {
  it("the issue's function, identically 0 (logSoftmax over a length-1 axis), has hessian 0 exactly as in PyTorch (was 0.00052)", () => {
    const f = (x: Tensor) => gl.sum(gl.mul(gl.logSoftmax(gl.square(gl.mul(x, 1000)), 0), gl.square(x)));
    const x = gl.tensor([-1.4]);
    expect(f(x).item()).toBe(0);
    for (const [name, h] of paths(f)) {
      const H = h(x);
      expect(H.shape, name).toEqual([1, 1]);
      expect(Math.abs(H.item()), name).toBeLessThanOrEqual(1e-12);
    }
    // and at other scales and points
    for (const s of [1, 10, 100, 1e4]) {
      for (const x0 of [-1.4, 0.3, 2.7]) {
        const g = (x: Tensor) => gl.sum(gl.mul(gl.logSoftmax(gl.square(gl.mul(x, s)), 0), gl.square(x)));
        expect(
          Math.abs(
            gl
              .hessian(g)(gl.tensor([x0]))
              .item(),
          ),
          `scale ${s} at ${x0}`,
        ).toBeLessThanOrEqual(1e-12);
      }
    }
  });

  it('−logSoftmax(x)[k] = logsumexp(x) − x_k has hessian diag(p) − ppᵀ, also for inputs shifted by 1000', () => {
    const x0 = [0.5, -1.25, 2, 0.75];
    const want = softmaxJacobian(x0);
    for (const shift of [0, 1000]) {
      const f = (x: Tensor) => gl.neg(gl.pick(gl.reshape(gl.logSoftmax(gl.add(x, shift)), [1, 4]), [2]));
      for (const [name, h] of paths(f)) expectClose(h(gl.tensor(x0)), want.flat(), 1e-14, `${name}, shift ${shift}`);
    }
  });

  it('a weighted sum Σ cᵢ·logSoftmax(x)ᵢ has hessian −(Σc)(diag(p) − ppᵀ)', () => {
    const x0 = [1, 2, 3];
    const c = [0.5, -2, 4];
    const C = c.reduce((a, b) => a + b, 0);
    const want = softmaxJacobian(x0)
      .flat()
      .map((v) => -C * v);
    const f = (x: Tensor) => gl.sum(gl.mul(gl.logSoftmax(x), gl.tensor(c)));
    for (const [name, h] of paths(f)) expectClose(h(gl.tensor(x0)), want, 1e-14, name);
  });

  it('cross-entropy of a batch: block diagonal, one (diag(pᵢ) − pᵢpᵢᵀ)/N block per row', () => {
    const S = [
      [1, 0, -1],
      [0.2, 0.4, 0.1],
    ];
    const f = (s: Tensor) => gl.nn.softmaxCrossEntropy(s, [0, 2]);
    const H = gl.hessian(f)(gl.tensor(S));
    expect(H.shape).toEqual([2, 3, 2, 3]);
    const blocks = S.map(softmaxJacobian);
    const want: number[] = [];
    for (let i = 0; i < 2; i++)
      for (let a = 0; a < 3; a++)
        for (let j = 0; j < 2; j++)
          for (let b = 0; b < 3; b++) {
            want.push(i === j ? blocks[i][a][b] / 2 : 0);
          }
    expectClose(H, want, 1e-14, 'hessian');
  });
});
