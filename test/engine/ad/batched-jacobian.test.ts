/**
 * Batched Jacobians: jacfwd pushes all n basis tangents through f at once and
 * jacrev pulls all m basis cotangents back at once (a leading batch dimension,
 * each op's batched rule or the per-entry fallback). For every case of the op
 * table (op-cases.ts), with respect to each input in turn, both must equal the
 * one-pass-per-column/row Jacobians and central differences; the Hessian
 * (jacrev of grad, a batched pass through the recorded backward rules) must
 * equal the row-by-row one.
 */
import { describe, expect, it } from 'vitest';
import * as gl from '../../../engine';
import type { Tensor } from '../../../engine';
import { jacfwdColumns, jacrevRows } from '../../../engine/ad/functional';
import { PRIMITIVES, apply } from '../../../engine/ops/primitive';
import { linalgPrimitives } from '../../../engine/ops/linalg';
import { CASES, COMPOSITES, type Case } from '../ops/op-cases';
import { expectClose, flat, randn, shifted } from '../helpers';

const H = 1e-6;

/** f as a function of input i alone, the others fixed. */
function alone(c: Case, xs: Tensor[], i: number): (x: Tensor) => Tensor {
  return (x: Tensor) => c.f(...xs.map((v, j) => (j === i ? x : v)));
}

/** The Jacobian by central differences, flat [m·n] in row-major [...out, ...in] order. */
function numericalJacobian(f: (x: Tensor) => Tensor, x: Tensor): number[] {
  const n = x.size;
  const cols: number[][] = [];
  for (let j = 0; j < n; j++) {
    const e = new Float64Array(n);
    e[j] = 1;
    const ej = x.ndim === 0 ? gl.scalar(1) : gl.tensor(e, { shape: x.shape as number[] });
    const up = flat(f(shifted(x, ej, H)));
    const dn = flat(f(shifted(x, ej, -H)));
    cols.push(up.map((u, k) => (u - dn[k]) / (2 * H)));
  }
  const m = cols[0].length;
  const J: number[] = [];
  for (let r = 0; r < m; r++) for (let j = 0; j < n; j++) J.push(cols[j][r]);
  return J;
}

/** |a − b| ≤ tol·(1 + |b|) entry by entry (finite differences are only good to about 1e-7). */
function expectNear(actual: Tensor, expected: number[], tol: number, what: string): void {
  const a = flat(actual);
  expect(a.length, `${what} size`).toBe(expected.length);
  for (let k = 0; k < a.length; k++) {
    if (!(Math.abs(a[k] - expected[k]) <= tol * (1 + Math.abs(expected[k])))) {
      expect.fail(`${what}[${k}]: got ${a[k]}, expected ${expected[k]}`);
    }
  }
}

function checkCase(c: Case, seed: number): void {
  const xs = c.inputs(gl.rng(seed));
  xs.forEach((x, i) => {
    const f = alone(c, xs, i);
    const y = f(x);
    const shape = [...y.shape, ...x.shape];
    const Jf = gl.jacfwd(f)(x);
    const Jr = gl.jacrev(f)(x);
    expect(Jf.shape, `jacfwd shape, input #${i}`).toEqual(shape);
    expect(Jr.shape, `jacrev shape, input #${i}`).toEqual(shape);
    // the same products in the same order as one pass per column / row: equal to rounding
    expectClose(Jf, jacfwdColumns(f)(x), 1e-13, `jacfwd vs per column, input #${i}`);
    expectClose(Jr, jacrevRows(f)(x), 1e-13, `jacrev vs per row, input #${i}`);
    const num = numericalJacobian(f, x);
    expectNear(Jf, num, 1e-6, `jacfwd vs central differences, input #${i}`);
    expectNear(Jr, num, 1e-6, `jacrev vs central differences, input #${i}`);
  });
}

/** Hessian of ⟨f(x), r⟩ (r fixed) with respect to input 0: batched jacrev∘grad against row by row. */
function checkHessian(c: Case, seed: number): void {
  const g = gl.rng(seed);
  const xs = c.inputs(g);
  const f = alone(c, xs, 0);
  const r = randn(f(xs[0]).shape as number[], g);
  const s = (x: Tensor) => gl.sum(gl.mul(f(x), r));
  const Hb = gl.hessian(s)(xs[0]);
  expect(Hb.shape).toEqual([...xs[0].shape, ...xs[0].shape]);
  expectClose(Hb, jacrevRows(gl.grad(s))(xs[0]), 1e-12, 'hessian vs row by row');
}

function suite(table: Record<string, Case[]>): void {
  for (const [name, cases] of Object.entries(table)) {
    describe(name, () => {
      cases.forEach((c, k) => {
        it(`${c.label}: batched jacfwd and jacrev = per column/row = central differences, each input`, () => checkCase(c, 300 + k));
        it(`${c.label}: batched Hessian (jacrev of grad) = row by row`, () => checkHessian(c, 400 + k));
      });
    });
  }
}

describe('batched Jacobians, primitives', () => suite(CASES));
describe('batched Jacobians, composite ops', () => suite(COMPOSITES));

describe('batched Jacobians, beyond the table', () => {
  it('every built-in differentiable primitive has batched rules; custom ops use the per-entry fallback', () => {
    const builtIn = PRIMITIVES.filter((p) => !p.custom && p.differentiable);
    expect(builtIn.length).toBeGreaterThan(20);
    for (const p of builtIn) expect(typeof p.jvpBatched === 'function' && typeof p.vjpBatched === 'function', p.name).toBe(true);
    const custom = gl.customOp({ name: 'plainB', forward: (x: Tensor) => x.mul(2), backward: (gy: Tensor) => gy.mul(2) });
    custom(gl.tensor([1]));
    const p = PRIMITIVES.find((q) => q.name === 'plainB')!;
    // the per-entry fallback is the custom op's own batched rules (ad/custom.ts): its jvp/vjp once per batch entry
    expect(typeof p.jvpBatched).toBe('function');
    expect(typeof p.vjpBatched).toBe('function');
  });

  it('W4 in small: f(x) = tanh(W₂ tanh(W₁ x)), both directions, equals per column/row and the closed form', () => {
    const g = gl.rng(7);
    for (const [n, m] of [
      [6, 2],
      [2, 6],
    ]) {
      const W1 = randn([5, n], g);
      const W2 = randn([m, 5], g);
      const x = randn([n], g);
      const f = (v: Tensor) => gl.tanh(gl.matmul(W2, gl.tanh(gl.matmul(W1, v))));
      // J = diag(1 − y²)·W₂·diag(1 − h²)·W₁
      const h = gl.tanh(gl.matmul(W1, x));
      const y = f(x);
      const inner = gl.mul(gl.reshape(gl.sub(1, gl.mul(h, h)), [5, 1]), W1);
      const closed = gl.mul(gl.reshape(gl.sub(1, gl.mul(y, y)), [m, 1]), gl.matmul(W2, inner));
      expectClose(gl.jacfwd(f)(x), closed, 1e-12, `jacfwd ${n}→${m}`);
      expectClose(gl.jacrev(f)(x), closed, 1e-12, `jacrev ${n}→${m}`);
      expectClose(gl.jacfwd(f)(x), jacfwdColumns(f)(x), 1e-13, `jacfwd vs per column ${n}→${m}`);
      expectClose(gl.jacrev(f)(x), jacrevRows(f)(x), 1e-13, `jacrev vs per row ${n}→${m}`);
    }
  });

  it('jacfwd of a product with the input vector, operands transposed or not (the seed read off, no product): the matrix itself', () => {
    const mm = (a: Tensor, b: Tensor, attrs: { ta?: boolean; tb?: boolean }) => apply(linalgPrimitives.matmul, [a, b], { ta: !!attrs.ta, tb: !!attrs.tb });
    const g = gl.rng(11);
    const A = randn([2, 3], g);
    const At = gl.transpose(A).detach();
    const v = randn([3], g);
    const cases: [string, (x: Tensor) => Tensor][] = [
      ['A·x', (x) => mm(A, gl.reshape(x, [3, 1]), {})],
      ['A·(xᵀ)ᵀ', (x) => mm(A, gl.reshape(x, [1, 3]), { tb: true })],
      ['(Aᵀ)ᵀ·x', (x) => mm(At, gl.reshape(x, [3, 1]), { ta: true })],
      ['xᵀ·Aᵀ', (x) => mm(gl.reshape(x, [1, 3]), A, { tb: true })],
      ['(x)ᵀ·Aᵀ with x a column', (x) => mm(gl.reshape(x, [3, 1]), At, { ta: true })],
    ];
    for (const [label, f] of cases) {
      const J = gl.jacfwd(f)(v);
      expect(J.shape.slice(-1), label).toEqual([3]);
      expect(flat(J), label).toEqual(flat(A));
      expectClose(J, jacfwdColumns(f)(v), 0, label);
      expectClose(gl.jacrev(f)(v), jacrevRows(f)(v), 1e-15, label);
    }
  });

  it('a matrix input and a matrix output ([2,3] → [3,2]) give J of shape [3, 2, 2, 3]', () => {
    const A = randn([3, 3], gl.rng(3));
    const f = (X: Tensor) => gl.transpose(gl.sin(gl.matmul(X, A)));
    const X = randn([2, 3], gl.rng(4));
    const Jf = gl.jacfwd(f)(X);
    expect(Jf.shape).toEqual([3, 2, 2, 3]);
    expectClose(Jf, jacfwdColumns(f)(X), 1e-13, 'jacfwd');
    expectClose(gl.jacrev(f)(X), jacrevRows(f)(X), 1e-13, 'jacrev');
    expectNear(Jf, numericalJacobian(f, X), 1e-6, 'jacfwd vs central differences');
  });

  it('a custom op (no batched rule: the per-entry fallback) gives the same Jacobian as its closed form', () => {
    const cube = gl.customOp({
      name: 'cubeB',
      forward: (x: Tensor) => x.mul(x).mul(x),
      backward: (gy: Tensor, { inputs: [x] }: { inputs: Tensor[]; out: Tensor }) => gy.mul(x).mul(x).mul(3),
      jvp: ([dx]: Tensor[], { inputs: [x] }: { inputs: Tensor[]; out: Tensor }) => dx.mul(x).mul(x).mul(3),
    });
    const x = gl.tensor([1, -2, 0.5]);
    const diag = [3, 0, 0, 0, 12, 0, 0, 0, 0.75];
    expect(flat(gl.jacrev((v) => cube(v))(x))).toEqual(diag);
    expect(flat(gl.jacfwd((v) => cube(v))(x))).toEqual(diag);
  });

  it('f independent of x, and f = identity: zeros and the identity', () => {
    const x = gl.tensor([1, 2]);
    const c = gl.tensor([5, 6, 7]);
    expect(
      gl
        .jacfwd(() => c)(x)
        .toArray(),
    ).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    expect(
      gl
        .jacrev(() => c)(x)
        .toArray(),
    ).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    expect(
      gl
        .jacfwd((v) => v)(x)
        .toArray(),
    ).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(
      gl
        .jacrev((v) => v)(x)
        .toArray(),
    ).toEqual([
      [1, 0],
      [0, 1],
    ]);
  });

  it('nested: jacfwd∘jacfwd and jacrev∘jacfwd of a scalar function are its Hessian', () => {
    const A = gl.tensor([
      [2, 1, 0],
      [1, 3, -1],
      [0, -1, 4],
    ]);
    const f = (x: Tensor) => gl.add(gl.matmul(x, gl.matmul(A, x)), gl.sum(gl.exp(x)));
    const x = gl.tensor([0.3, -0.5, 0.8]);
    const Href = jacrevRows(gl.grad(f))(x);
    // H = A + Aᵀ + diag(eˣ)
    const e = flat(x).map(Math.exp);
    const closed = [4 + e[0], 2, 0, 2, 6 + e[1], -2, 0, -2, 8 + e[2]];
    expectClose(Href, closed, 1e-14, 'reference');
    expectClose(gl.hessian(f)(x), closed, 1e-14, 'hessian');
    expectClose(gl.jacfwd(gl.jacfwd(f))(x), closed, 1e-14, 'jacfwd∘jacfwd');
    expectClose(gl.jacrev(gl.jacfwd(f))(x), closed, 1e-14, 'jacrev∘jacfwd');
  });
});
