/**
 * Published values and closed forms: micrograd's README example, the CS231n
 * circuit, tanh' at 1, PyTorch's autograd tutorial (Q = 3a³ − b²), second
 * derivatives, Jacobians, and the documented subgradient choices.
 */
import { describe, expect, it } from 'vitest';
import * as gl from '../../engine';
import type { Tensor } from '../../engine';
import { expectClose, flat, randn } from './helpers';

describe('micrograd README example', () => {
  // a = -4, b = 2, c = a + b, d = a*b + b**3, c += c + 1, c += 1 + c + (-a),
  // d += d*2 + (b + a).relu(), d += 3*d + (b - a).relu(), e = c - d, f = e**2,
  // g = f / 2.0, g += 10.0 / f
  function run(make: (v: number) => Tensor) {
    const a = make(-4);
    const b = make(2);
    let c = a.add(b);
    let d = a.mul(b).add(b.pow(3));
    c = c.add(c.add(1));
    c = c.add(gl.add(1, c).add(a.neg()));
    d = d.add(d.mul(2).add(b.add(a).relu()));
    d = d.add(gl.mul(3, d).add(b.sub(a).relu()));
    const e = c.sub(d);
    const f = e.pow(2);
    let g = f.div(2.0);
    g = g.add(gl.div(10.0, f));
    return { a, b, g };
  }

  it('0-d tensors (the scalar path): g, a.grad, b.grad', () => {
    const { a, b, g } = run((v) => gl.scalar(v, { requiresGrad: true }));
    expect(g.shape).toEqual([]);
    g.backward();
    expectClose(g.item(), 24.70408163265306, 1e-14, 'g');
    expectClose(a.grad!.item(), 138.83381924198252, 1e-12, 'a.grad');
    expectClose(b.grad!.item(), 645.5772594752186, 1e-12, 'b.grad');
  });

  it('1-element tensors (the tensor path) give the same numbers', () => {
    const { a, b, g } = run((v) => gl.tensor([v], { requiresGrad: true }));
    g.sum().backward();
    expectClose(g.item(), 24.70408163265306, 1e-14, 'g');
    expectClose(a.grad!.item(), 138.83381924198252, 1e-12, 'a.grad');
    expectClose(b.grad!.item(), 645.5772594752186, 1e-12, 'b.grad');
  });
});

describe('CS231n circuit f = 2·(x·y + max(z, w))', () => {
  it('at x=3, y=-4, z=2, w=-1: f = -20, grads -8, 6, 2, 0', () => {
    const [x, y, z, w] = [3, -4, 2, -1].map((v) => gl.scalar(v, { requiresGrad: true }));
    const f = gl.mul(2, x.mul(y).add(gl.maximum(z, w)));
    f.backward();
    expect(f.item()).toBe(-20);
    expect([x, y, z, w].map((t) => t.grad!.item())).toEqual([-8, 6, 2, 0]);
  });

  it('the same through gl.grad with argnums', () => {
    const f = (x: Tensor, y: Tensor, z: Tensor, w: Tensor) => gl.mul(2, x.mul(y).add(gl.maximum(z, w)));
    const gs = gl.grad(f, [0, 1, 2, 3])(gl.scalar(3), gl.scalar(-4), gl.scalar(2), gl.scalar(-1));
    expect(gs.map((g) => g.item())).toEqual([-8, 6, 2, 0]);
  });
});

describe('tanh at 1.0', () => {
  it('d/dx tanh = 1 − tanh² = 0.41997434161402603', () => {
    const g = gl.grad((x: Tensor) => gl.tanh(x))(gl.scalar(1.0));
    expectClose(g.item(), 0.41997434161402603, 1e-15);
  });

  it('numericalGrad with h = 1e-4 (central) ≈ 0.41997434265', () => {
    const n = gl.numericalGrad((x) => gl.tanh(x), gl.scalar(1.0), { h: 1e-4 });
    expectClose(n.item(), 0.41997434265, 1e-11);
    // the central difference is (tanh(1+h) − tanh(1−h)) / 2h, computed as such
    expectClose(n.item(), (Math.tanh(1 + 1e-4) - Math.tanh(1 - 1e-4)) / 2e-4, 1e-15);
    // and its O(h²) error against the exact value is visible: ~1e-9
    const err = Math.abs(n.item() - 0.41997434161402603);
    expect(err).toBeGreaterThan(1e-10);
    expect(err).toBeLessThan(1e-8);
  });

  it('forward differences are O(h): worse than central at the same h', () => {
    const fwd = gl.numericalGrad((x) => gl.tanh(x), gl.scalar(1.0), { h: 1e-4, method: 'forward' });
    expectClose(fwd.item(), (Math.tanh(1 + 1e-4) - Math.tanh(1)) / 1e-4, 1e-12);
    expect(Math.abs(fwd.item() - 0.41997434161402603)).toBeGreaterThan(1e-5);
  });
});

describe('PyTorch autograd tutorial: Q = 3a³ − b²', () => {
  it('a = [2, 3], b = [6, 4], seed [1, 1] → a.grad = [36, 81], b.grad = [-12, -8]', () => {
    const a = gl.tensor([2, 3], { requiresGrad: true });
    const b = gl.tensor([6, 4], { requiresGrad: true });
    const Q = gl.mul(3, a.pow(3)).sub(b.pow(2));
    expect(Q.toArray()).toEqual([-12, 65]);
    Q.backward(gl.tensor([1, 1]));
    expect(a.grad!.toArray()).toEqual([36, 81]);
    expect(b.grad!.toArray()).toEqual([-12, -8]);
  });

  it('a nested-array seed works the same', () => {
    const a = gl.tensor([2, 3], { requiresGrad: true });
    const b = gl.tensor([6, 4], { requiresGrad: true });
    gl.mul(3, a.pow(3)).sub(b.pow(2)).backward([1, 1]);
    expect(a.grad!.toArray()).toEqual([36, 81]);
    expect(b.grad!.toArray()).toEqual([-12, -8]);
  });
});

describe('second derivatives', () => {
  const cube = (x: Tensor) => x.pow(3).sum();
  it("grad of the sum of grad: (x³)'' at [2, 3] = [12, 18]", () => {
    const d1 = gl.grad(cube);
    expectClose(d1(gl.tensor([2, 3])), [12, 27], 1e-15, "(x³)'");
    const d2 = gl.grad((x: Tensor) => d1(x).sum());
    expectClose(d2(gl.tensor([2, 3])), [12, 18], 1e-15, "(x³)''");
  });

  it("gl.grad(gl.grad(f)) on a scalar: (x³)'' at 2 = 12, and the third derivative is 6", () => {
    const f = (x: Tensor) => x.mul(x).mul(x);
    expectClose(gl.grad(gl.grad(f))(gl.scalar(2)), 12, 1e-15);
    expectClose(gl.grad(gl.grad(gl.grad(f)))(gl.scalar(2)), 6, 1e-15);
  });

  it('gl.hessian: diagonal [12, 18], zeros elsewhere, shape [2, 2]', () => {
    const H = gl.hessian(cube)(gl.tensor([2, 3]));
    expect(H.shape).toEqual([2, 2]);
    expect(H.toArray()).toEqual([
      [12, 0],
      [0, 18],
    ]);
  });

  it('gl.hessian of a quadratic form xᵀAx is A + Aᵀ', () => {
    const A = gl.tensor([
      [1, 2, 0],
      [-1, 3, 4],
      [0.5, 0, 2],
    ]);
    const H = gl.hessian((x: Tensor) => gl.matmul(x, gl.matmul(A, x)))(gl.tensor([0.3, -1, 2]));
    expectClose(H, A.add(A.T), 1e-15);
  });

  it('second derivatives through tanh, exp and division match their closed forms', () => {
    // (tanh)'' = −2 tanh (1 − tanh²)
    const x = 0.7;
    const th = Math.tanh(x);
    expectClose(gl.grad(gl.grad((v: Tensor) => gl.tanh(v)))(gl.scalar(x)), -2 * th * (1 - th * th), 1e-14);
    // (1/x)'' = 2/x³
    expectClose(gl.grad(gl.grad((v: Tensor) => gl.div(1, v)))(gl.scalar(x)), 2 / x ** 3, 1e-14);
  });
});

describe('numerical stability', () => {
  it('softmax and logsumexp of [1000, 1001, 1002] are finite and exact', () => {
    const x = gl.tensor([1000, 1001, 1002]);
    const z = 1 + Math.exp(1) + Math.exp(2);
    expectClose(gl.softmax(x), [1 / z, Math.exp(1) / z, Math.exp(2) / z], 1e-15);
    expectClose(gl.logsumexp(x), 1000 + Math.log(z), 1e-15);
    expectClose(
      gl.logSoftmax(x),
      [0, 1, 2].map((k) => k - Math.log(z)),
      1e-14,
    );
  });

  it('softmax of [-1000, 0] and large gradients stay finite', () => {
    const x = gl.tensor(
      [
        [-1000, 0],
        [1000, 1000],
      ],
      { requiresGrad: true },
    );
    const s = gl.softmax(x);
    expectClose(s, [0, 1, 0.5, 0.5], 1e-15);
    gl.logsumexp(x, 1).sum().backward();
    expectClose(x.grad!, [0, 1, 0.5, 0.5], 1e-15);
  });

  it('the gradient of logsumexp is softmax', () => {
    const x = randn([3, 5], gl.rng(3));
    const g = gl.grad((v: Tensor) => gl.logsumexp(v, 1).sum())(x);
    expectClose(g, gl.softmax(x, 1), 1e-14);
    const gAll = gl.grad((v: Tensor) => gl.logsumexp(v))(x);
    expectClose(gAll, gl.softmax(x.reshape([15])).reshape([3, 5]), 1e-14);
  });
});

describe('Jacobians', () => {
  const W = gl.tensor([
    [0.2, -0.5, 1.0],
    [0.7, 0.3, -0.4],
  ]);
  const f = (x: Tensor) => gl.tanh(gl.matmul(W, x));
  const x = gl.tensor([0.5, -1.2, 0.8]);

  it('jacfwd = jacrev = diag(1 − y²)·W for f(x) = tanh(W x), shape [out, in]', () => {
    const y = flat(f(x));
    const closed = [0, 1].flatMap((i) => [0, 1, 2].map((j) => (1 - y[i] ** 2) * flat(W)[i * 3 + j]));
    const Jf = gl.jacfwd(f)(x);
    const Jr = gl.jacrev(f)(x);
    expect(Jf.shape).toEqual([2, 3]);
    expect(Jr.shape).toEqual([2, 3]);
    expectClose(Jf, closed, 1e-15, 'jacfwd');
    expectClose(Jr, closed, 1e-15, 'jacrev');
    expectClose(gl.jacobian(f, x, { mode: 'fwd' }), closed, 1e-15);
    expectClose(gl.jacobian(f, x), closed, 1e-15);
  });

  it('shape is [...out.shape, ...x.shape] for matrix in, matrix out', () => {
    // f(X) = X·A with X [2,3], A [3,4]: ∂f[i,k]/∂X[j,l] = δ_ij A[l,k]
    const A = randn([3, 4], gl.rng(9));
    const X = randn([2, 3], gl.rng(10));
    const g = (v: Tensor) => gl.matmul(v, A);
    const Jf = gl.jacfwd(g)(X);
    const Jr = gl.jacrev(g)(X);
    expect(Jf.shape).toEqual([2, 4, 2, 3]);
    expect(Jr.shape).toEqual([2, 4, 2, 3]);
    const a = flat(A);
    const closed: number[] = [];
    for (let i = 0; i < 2; i++) for (let k = 0; k < 4; k++) for (let j = 0; j < 2; j++) for (let l = 0; l < 3; l++) closed.push(i === j ? a[l * 4 + k] : 0);
    expectClose(Jf, closed, 1e-15, 'jacfwd');
    expectClose(Jr, closed, 1e-15, 'jacrev');
  });

  it('the Jacobians of an FC layer y = xW + b, by both modes, match the closed forms', () => {
    const gen = gl.rng(11);
    const xb = randn([2, 3], gen);
    const Wb = randn([3, 4], gen);
    const bb = randn([4], gen);
    const xv = flat(xb);
    const wv = flat(Wb);
    // ∂y[i,k]/∂b[l] = δ_kl; ∂y[i,k]/∂W[j,l] = x[i,j]·δ_kl; ∂y[i,k]/∂x[j,l] = δ_ij·W[l,k]
    const dB: number[] = [];
    const dW: number[] = [];
    const dX: number[] = [];
    for (let i = 0; i < 2; i++) {
      for (let k = 0; k < 4; k++) {
        for (let l = 0; l < 4; l++) dB.push(k === l ? 1 : 0);
        for (let j = 0; j < 3; j++) for (let l = 0; l < 4; l++) dW.push(k === l ? xv[i * 3 + j] : 0);
        for (let j = 0; j < 2; j++) for (let l = 0; l < 3; l++) dX.push(i === j ? wv[l * 4 + k] : 0);
      }
    }
    const cases: [string, (v: Tensor) => Tensor, Tensor, number[], number[]][] = [
      ['b', (b) => gl.matmul(xb, Wb).add(b), bb, [2, 4, 4], dB],
      ['W', (W) => gl.matmul(xb, W).add(bb), Wb, [2, 4, 3, 4], dW],
      ['x', (x) => gl.matmul(x, Wb).add(bb), xb, [2, 4, 2, 3], dX],
    ];
    for (const [name, fn, at, shape, closed] of cases) {
      for (const mode of ['fwd', 'rev'] as const) {
        const J = gl.jacobian(fn, at, { mode });
        expect(J.shape, `${mode} dy/d${name}`).toEqual(shape);
        expectClose(J, closed, 1e-15, `${mode} dy/d${name}`);
      }
    }
  });

  it('a scalar function of a vector: the Jacobian is the gradient, shape [n]', () => {
    const h = (v: Tensor) => v.mul(v).sum();
    const v = gl.tensor([1, -2, 3]);
    expect(gl.jacrev(h)(v).toArray()).toEqual([2, -4, 6]);
    expect(gl.jacfwd(h)(v).toArray()).toEqual([2, -4, 6]);
  });
});

describe('functional API', () => {
  it('grad with an argnums array; an argument f does not use gets zeros of its shape', () => {
    const f = (x: Tensor, _unused: Tensor, y: Tensor) => x.mul(y).sum();
    const [gx, gu, gy] = gl.grad(f, [0, 1, 2])(gl.tensor([1, 2]), gl.tensor([[5, 6, 7]]), gl.tensor([3, 4]));
    expect(gx.toArray()).toEqual([3, 4]);
    expect(gu.shape).toEqual([1, 3]);
    expect(gu.toArray()).toEqual([[0, 0, 0]]);
    expect(gy.toArray()).toEqual([1, 2]);
  });

  it('grad with a number argnums selects one argument and returns a Tensor', () => {
    const f = (x: Tensor, y: Tensor) => x.mul(y).sum();
    const g = gl.grad(f, 1)(gl.tensor([1, 2]), gl.tensor([3, 4]));
    expect(g.toArray()).toEqual([1, 2]);
  });

  it('grad does not touch .grad of its inputs or mark them as requiring grad', () => {
    const x = gl.tensor([1, 2]);
    gl.grad((v: Tensor) => v.mul(v).sum())(x);
    expect(x.grad).toBeNull();
    expect(x.requiresGrad).toBe(false);
  });

  it('valueAndGrad returns f(x) and df/dx', () => {
    const { value, grad } = gl.valueAndGrad((x: Tensor) => x.mul(x).sum())(gl.tensor([1, 2, 3]));
    expect(value.item()).toBe(14);
    expect(grad.toArray()).toEqual([2, 4, 6]);
  });

  it('vjp returns {value, grads} with grads[i] = J_iᵀ · cotangent', () => {
    const { value, grads } = gl.vjp((a: Tensor, b: Tensor) => a.mul(b), [gl.tensor([1, 2]), gl.tensor([3, 4])], gl.tensor([10, 100]));
    expect(value.toArray()).toEqual([3, 8]);
    expect(grads.map((g) => g.toArray())).toEqual([
      [30, 400],
      [10, 200],
    ]);
  });

  it('jvp returns {value, tangent} = (f(x), J·v)', () => {
    const { value, tangent } = gl.jvp((a: Tensor, b: Tensor) => a.mul(b), [gl.tensor([1, 2]), gl.tensor([3, 4])], [gl.tensor([1, 0]), gl.tensor([0, 1])]);
    expect(value.toArray()).toEqual([3, 8]);
    expect(tangent.toArray()).toEqual([3, 2]);
  });

  it('jvp of a function that ignores its input has a zero tangent', () => {
    const { value, tangent } = gl.jvp(() => gl.tensor([1, 2]), [gl.tensor([5])], [gl.tensor([1])]);
    expect(value.toArray()).toEqual([1, 2]);
    expect(tangent.toArray()).toEqual([0, 0]);
  });
});

describe('subgradients (document-by-test)', () => {
  it("relu'(0) = 0", () => {
    expect(
      gl
        .grad((x: Tensor) => gl.relu(x))(gl.scalar(0))
        .item(),
    ).toBe(0);
    expect(
      gl
        .grad((x: Tensor) => gl.relu(x).sum())(gl.tensor([0, -1, 1]))
        .toArray(),
    ).toEqual([0, 0, 1]);
  });

  it("abs'(0) = 0", () => {
    expect(
      gl
        .grad((x: Tensor) => gl.abs(x))(gl.scalar(0))
        .item(),
    ).toBe(0);
    expect(
      gl
        .grad((x: Tensor) => gl.abs(x).sum())(gl.tensor([0, -2, 2]))
        .toArray(),
    ).toEqual([0, -1, 1]);
  });

  it('maximum(a, a) sends the whole gradient to the first operand; so does minimum', () => {
    for (const op of [gl.maximum, gl.minimum]) {
      const [ga, gb] = gl.grad((a: Tensor, b: Tensor) => op(a, b), [0, 1])(gl.scalar(1.5), gl.scalar(1.5));
      expect([ga.item(), gb.item()]).toEqual([1, 0]);
      const [ta, tb] = gl.grad((a: Tensor, b: Tensor) => op(a, b).sum(), [0, 1])(gl.tensor([1, 2]), gl.tensor([1, 2]));
      expect([ta.toArray(), tb.toArray()]).toEqual([
        [1, 1],
        [0, 0],
      ]);
    }
  });

  it('the same tensor on both sides: maximum(x, x) has gradient 1', () => {
    expect(
      gl
        .grad((x: Tensor) => gl.maximum(x, x))(gl.scalar(2))
        .item(),
    ).toBe(1);
  });

  it('max reduction: a tie sends the gradient to the first occurrence', () => {
    expect(
      gl
        .grad((x: Tensor) => x.max())(gl.tensor([1, 3, 3, 0]))
        .toArray(),
    ).toEqual([0, 1, 0, 0]);
    expect(
      gl
        .grad((x: Tensor) => x.max(1).sum())(
          gl.tensor([
            [2, 2],
            [5, 1],
          ]),
        )
        .toArray(),
    ).toEqual([
      [1, 0],
      [1, 0],
    ]);
    expect(
      gl
        .grad((x: Tensor) => x.min(0).sum())(
          gl.tensor([
            [2, 2],
            [2, 1],
          ]),
        )
        .toArray(),
    ).toEqual([
      [1, 0],
      [0, 1],
    ]);
  });

  it('forward mode makes the same choices', () => {
    expect(gl.jvp((x: Tensor) => gl.relu(x), [gl.scalar(0)], [gl.scalar(1)]).tangent.item()).toBe(0);
    expect(gl.jvp((x: Tensor) => x.max(), [gl.tensor([1, 3, 3])], [gl.tensor([10, 20, 30])]).tangent.item()).toBe(20);
    const t = gl.jvp((a: Tensor, b: Tensor) => gl.maximum(a, b), [gl.scalar(1), gl.scalar(1)], [gl.scalar(10), gl.scalar(20)]).tangent;
    expect(t.item()).toBe(10);
  });
});
