/**
 * Every op in both modes, table-driven.
 *
 * For each primitive (and each composite op) the table gives sample inputs and
 * a function applying the public op. Every case is checked three ways, with
 * no hand-derived oracle:
 *   (a) forward mode: gl.jvp against central differences along a random direction;
 *   (b) reverse mode: gl.vjp against gl.jvp by ⟨J dx, gy⟩ = ⟨dx, Jᵀ gy⟩;
 *   (c) gl.gradCheck passes (reverse mode entry by entry, and forward mode).
 * A meta-test fails when a registered primitive has no table entry, so adding
 * an op without adding its tests fails the suite.
 */
import { describe, expect, it } from 'vitest';
import * as gl from '../../../engine';
import type { Tensor } from '../../../engine';
import { PRIMITIVES } from '../../../engine/ops/primitive';
import { F_FAST } from '../../../engine/tape';
import { absDot, dot, expectClose, flat, randn, rel, shifted, uniform } from '../helpers';
import { CASES, COMPOSITES, type Case, type Fn } from './op-cases';

const EPS = 1e-6;

function checkJvpAgainstFiniteDifferences(c: Case, seed: number): void {
  const g = gl.rng(seed);
  const xs = c.inputs(g);
  const vs = xs.map((x) => randn(x.shape as number[], g));
  const { value, tangent } = gl.jvp(c.f, xs, vs);
  const y = c.f(...xs);
  expect(value.shape).toEqual(y.shape);
  expectClose(value, y, 0, 'jvp value');
  expect(tangent.shape).toEqual(y.shape);
  const yp = c.f(...xs.map((x, i) => shifted(x, vs[i], EPS)));
  const ym = c.f(...xs.map((x, i) => shifted(x, vs[i], -EPS)));
  const fp = flat(yp);
  const fm = flat(ym);
  const tv = flat(tangent);
  for (let i = 0; i < tv.length; i++) {
    const fd = (fp[i] - fm[i]) / (2 * EPS);
    const err = Math.abs(tv[i] - fd);
    if (!(err <= 1e-6 * Math.max(1, Math.abs(tv[i])))) {
      expect.fail(`tangent[${i}] = ${tv[i]} but the central difference is ${fd} (error ${err.toExponential(2)})`);
    }
  }
}

function checkVjpAgainstJvp(c: Case, seed: number): void {
  const g = gl.rng(seed + 1000);
  const xs = c.inputs(g);
  const dxs = xs.map((x) => randn(x.shape as number[], g));
  const { tangent } = gl.jvp(c.f, xs, dxs);
  const gy = randn(tangent.shape as number[], g);
  const { value, grads } = gl.vjp(c.f, xs, gy);
  expectClose(value, c.f(...xs), 0, 'vjp value');
  expect(grads.length).toBe(xs.length);
  grads.forEach((gx, i) => expect(gx.shape, `grad #${i} shape`).toEqual(xs[i].shape));
  const lhs = dot(tangent, gy); // ⟨J dx, gy⟩
  const rhs = grads.reduce((s, gx, i) => s + dot(dxs[i], gx), 0); // Σ ⟨dx_i, J_iᵀ gy⟩
  const scale = Math.max(absDot(tangent, gy), 1e-300);
  expect(Math.abs(lhs - rhs) / scale, `⟨J dx, gy⟩ = ${lhs} vs ⟨dx, Jᵀ gy⟩ = ${rhs}`).toBeLessThanOrEqual(1e-10);
}

function checkGradCheck(c: Case, seed: number): void {
  const xs = c.inputs(gl.rng(seed + 2000));
  const report = gl.gradCheck(c.f, xs);
  expect(report.ok, report.toString()).toBe(true);
  expect('skipped' in report.forward, 'forward mode was checked').toBe(false);
  expect(report.entries.length).toBe(xs.reduce((n, x) => n + x.size, 0));
}

/** L(x) = Σ r·f(x) with a fixed random r: a scalar whose gradient involves every output entry. */
function scalarized(c: Case, xs: Tensor[], g: gl.Rng): (...a: Tensor[]) => Tensor {
  const r = randn(c.f(...xs).shape as number[], g);
  return (...a: Tensor[]) => gl.sum(gl.mul(c.f(...a), r));
}

/** Central difference of a tensor-valued function of all inputs along directions vs. */
function centralDiff(fn: (...a: Tensor[]) => Tensor[], xs: Tensor[], vs: Tensor[]): number[][] {
  const p = fn(...xs.map((x, i) => shifted(x, vs[i], EPS)));
  const m = fn(...xs.map((x, i) => shifted(x, vs[i], -EPS)));
  return p.map((pi, k) => flat(pi).map((v, j) => (v - flat(m[k])[j]) / (2 * EPS)));
}

function expectNearFd(actual: Tensor, fd: number[], what: string): void {
  const a = flat(actual);
  expect(a.length).toBe(fd.length);
  const scale = Math.max(1, ...a.map(Math.abs));
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i] - fd[i]);
    if (!(err <= 1e-6 * scale)) expect.fail(`${what}[${i}] = ${a[i]} but the central difference is ${fd[i]} (error ${err.toExponential(2)})`);
  }
}

/** Reverse over reverse: the Hessian-vector product from grad(⟨grad L, v⟩) against central differences of grad L. */
function checkSecondOrderReverse(c: Case, seed: number): void {
  const g = gl.rng(seed + 3000);
  const xs = c.inputs(g);
  const L = scalarized(c, xs, g);
  const vs = xs.map((x) => randn(x.shape as number[], g));
  const all = xs.map((_, i) => i);
  const gradL = (...a: Tensor[]) => gl.grad(L, all)(...a);
  const hvp = gl.grad((...a: Tensor[]) => gradL(...a).reduce((s: Tensor, gi, i) => gl.add(s, gl.sum(gl.mul(gi, vs[i]))), gl.scalar(0)), all)(...xs);
  const fd = centralDiff(gradL, xs, vs);
  hvp.forEach((h, i) => {
    expect(h.shape).toEqual(xs[i].shape);
    expectNearFd(h, fd[i], `Hv #${i}`);
  });
}

/** Forward over forward: the second directional derivative vᵀ∇²f v from jvp(jvp) against central differences of jvp. */
function checkSecondOrderForward(c: Case, seed: number): void {
  const g = gl.rng(seed + 4000);
  const xs = c.inputs(g);
  const vs = xs.map((x) => randn(x.shape as number[], g));
  const dir = (...a: Tensor[]) => gl.jvp(c.f, a, vs).tangent;
  const { tangent } = gl.jvp(dir, xs, vs);
  const [fd] = centralDiff((...a) => [dir(...a)], xs, vs);
  expectNearFd(tangent, fd, 'd²f[v, v]');
}

function suite(table: Record<string, Case[]>): void {
  for (const [name, cases] of Object.entries(table)) {
    describe(name, () => {
      cases.forEach((c, k) => {
        const seed = 17 * (k + 1) + name.length;
        it(`${c.label}: jvp matches central differences`, () => checkJvpAgainstFiniteDifferences(c, seed));
        it(`${c.label}: vjp matches jvp (inner-product identity)`, () => checkVjpAgainstJvp(c, seed));
        it(`${c.label}: gradCheck passes`, () => checkGradCheck(c, seed));
        it(`${c.label}: second order, reverse over reverse (Hessian-vector product)`, () => checkSecondOrderReverse(c, seed));
        it(`${c.label}: second order, forward over forward`, () => checkSecondOrderForward(c, seed));
      });
    });
  }
}

describe('primitives', () => suite(CASES));
describe('composite ops', () => suite(COMPOSITES));

// ---- non-differentiable ops -------------------------------------------------------

/** Non-differentiable primitives and their scalar meaning. */
const NON_DIFFERENTIABLE: Record<string, { f: Fn; ref: (...v: number[]) => number; values: number[] }> = {
  gt: { f: (a, b) => gl.gt(a, b), ref: (a, b) => +(a > b), values: [0, 1] },
  ge: { f: (a, b) => a.ge(b), ref: (a, b) => +(a >= b), values: [0, 1] },
  lt: { f: (a, b) => gl.lt(a, b), ref: (a, b) => +(a < b), values: [0, 1] },
  le: { f: (a, b) => gl.le(a, b), ref: (a, b) => +(a <= b), values: [0, 1] },
  eq: { f: (a, b) => gl.eq(a, b), ref: (a, b) => +(a === b), values: [0, 1] },
  ne: { f: (a, b) => gl.ne(a, b), ref: (a, b) => +(a !== b), values: [0, 1] },
  sign: { f: (a) => gl.sign(a), ref: (a) => Math.sign(a), values: [-1, 0, 1] },
};

describe('non-differentiable ops', () => {
  // ties on purpose: a[1] equals b[1] and b[3]
  const A = [[-1], [2], [0]];
  const B = [0.5, 2, -1, 2];
  for (const [name, { f, ref, values }] of Object.entries(NON_DIFFERENTIABLE)) {
    it(`${name}: values of the scalar rule, broadcast, and no gradient even from inputs that require grad`, () => {
      const a = gl.tensor(A, { requiresGrad: true });
      const b = gl.tensor(B, { requiresGrad: true });
      const y = f.length === 1 ? f(a) : f(a, b);
      expect(y.requiresGrad).toBe(false);
      const expected: number[] = [];
      for (const [ai] of A) {
        if (f.length === 1) expected.push(ref(ai));
        else for (const bj of B) expected.push(ref(ai, bj));
      }
      expect(flat(y)).toEqual(expected);
      for (const v of flat(y)) expect(values).toContain(v);
      // 0-d operands (the scalar path) agree
      const s = f.length === 1 ? f(gl.scalar(2, { requiresGrad: true })) : f(gl.scalar(2, { requiresGrad: true }), gl.scalar(2));
      expect(s.requiresGrad).toBe(false);
      expect(s.item()).toBe(f.length === 1 ? ref(2) : ref(2, 2));
    });
  }

  it('a mask used as a factor passes the gradient through the other operand only', () => {
    const x = gl.tensor([-2, 3, 0.5, -0.1], { requiresGrad: true });
    x.mul(x.gt(0)).sum().backward();
    expect(flat(x.grad!)).toEqual([0, 1, 1, 0]);
  });
});

// ---- forward values of the elementwise ops (independent of the engine's kernels) ---------

/** Plain-JS meaning of each differentiable elementwise op. */
const SCALAR_MEANING: Record<string, (...v: number[]) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => a ** b,
  maximum: Math.max,
  minimum: Math.min,
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  abs: Math.abs,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: Math.tanh,
  relu: (x) => Math.max(0, x),
  sin: Math.sin,
  cos: Math.cos,
  where: (c, a, b) => (c !== 0 ? a : b),
};

/** Operand values for each elementwise op at one point, inside its domain and away from kinks. */
const POINT: Record<string, number[]> = {
  add: [0.7, -1.3],
  sub: [0.7, -1.3],
  mul: [0.7, -1.3],
  div: [0.7, -1.3],
  pow: [1.7, -1.3],
  maximum: [0.7, -1.3],
  minimum: [0.7, -1.3],
  neg: [0.7],
  exp: [0.7],
  log: [0.7],
  sqrt: [0.7],
  abs: [-0.7],
  sigmoid: [-0.7],
  tanh: [0.7],
  relu: [0.7],
  sin: [0.7],
  cos: [0.7],
  where: [1, 0.7, -1.3],
};

const elementwiseDifferentiable = PRIMITIVES.filter((p) => p.elementwise && p.differentiable && !p.custom).map((p) => p.name);

function applyByName(name: string, xs: (Tensor | number)[]): Tensor {
  const f = (gl as unknown as Record<string, (...a: unknown[]) => Tensor>)[name];
  return f(...xs);
}

describe('elementwise forward values with NumPy broadcasting', () => {
  for (const name of elementwiseDifferentiable) {
    it(`${name}`, () => {
      const ref = SCALAR_MEANING[name];
      expect(ref, `SCALAR_MEANING has no entry for ${name}`).toBeDefined();
      const g = gl.rng(5);
      const arity = POINT[name].length;
      // shapes [3,1], [4] and (for where) [1,4]
      const shapes = [[3, 1], [4], [1, 4]].slice(0, arity);
      const ins = shapes.map((s, i) => {
        if (name === 'where' && i === 0) return gl.tensor([[1], [0], [1]]);
        if (['log', 'sqrt'].includes(name) || (name === 'pow' && i === 0)) return uniform(s, g, 0.5, 2);
        return randn(s, g);
      });
      const y = applyByName(name, ins);
      expect(y.shape).toEqual(arity === 1 ? [3, 1] : [3, 4]);
      const v = ins.map((x) => flat(x));
      const expected: number[] = [];
      for (let i = 0; i < 3; i++) {
        if (arity === 1) expected.push(ref(v[0][i]));
        else for (let j = 0; j < 4; j++) expected.push(ref(...[v[0][i], v[1][j], ...(arity === 3 ? [v[2][j]] : [])]));
      }
      expectClose(y, expected, 1e-15, name);
    });
  }
});

// ---- the scalar fast path ------------------------------------------------------------

describe('scalar fast path (0-d operands) agrees with the tensor path', () => {
  for (const name of elementwiseDifferentiable) {
    it(`${name}`, () => {
      const point = POINT[name];
      expect(point, `POINT has no entry for ${name}`).toBeDefined();
      const diff = name === 'where' ? [false, true, true] : point.map(() => true);

      // 0-d: recorded as a fast node, backpropagated by the numeric path
      const s = point.map((v, i) => gl.scalar(v, { requiresGrad: diff[i] }));
      const ys = applyByName(name, s);
      expect(ys._tape!.flags[ys._id] & F_FAST, '0-d result takes the fast path').toBeTruthy();
      // a second use of the result, so the fast path also chains
      const Ls = ys.mul(ys).add(ys);
      Ls.backward();

      // 1-element 1-D: the tensor path
      const v1 = point.map((v, i) => gl.tensor([v], { requiresGrad: diff[i] }));
      const y1 = applyByName(name, v1);
      expect(y1._tape!.flags[y1._id] & F_FAST).toBeFalsy();
      const L1 = y1.mul(y1).add(y1).sum();
      L1.backward();

      expectClose(Ls, L1.item(), 1e-15, `${name} value`);
      point.forEach((_, i) => {
        if (!diff[i]) return;
        expect(s[i].grad!.shape).toEqual([]);
        expect(v1[i].grad!.shape).toEqual([1]);
        expectClose(s[i].grad!.item(), v1[i].grad!.item(), 1e-14, `${name} grad #${i}`);
      });
      // and both equal the chain rule through a central difference of the op itself
      const h = 1e-6;
      point.forEach((_, i) => {
        if (!diff[i]) return;
        const at = (d: number) => {
          const y = applyByName(
            name,
            point.map((v, j) => gl.scalar(j === i ? v + d : v)),
          ).item();
          return y * y + y;
        };
        expect(rel(s[i].grad!.item(), (at(h) - at(-h)) / (2 * h))).toBeLessThan(1e-7);
      });
    });

    if (POINT[name]?.length === 2) {
      it(`${name} with a number operand`, () => {
        const [a, b] = POINT[name];
        const s = gl.scalar(a, { requiresGrad: true });
        const ys = applyByName(name, [s, b]);
        expect(ys._tape!.flags[ys._id] & F_FAST).toBeTruthy();
        ys.backward();
        const v = gl.tensor([a], { requiresGrad: true });
        applyByName(name, [v, b]).sum().backward();
        expectClose(s.grad!.item(), v.grad!.item(), 1e-15, name);

        const s2 = gl.scalar(b, { requiresGrad: true });
        applyByName(name, [a, s2]).backward();
        const v2 = gl.tensor([b], { requiresGrad: true });
        applyByName(name, [a, v2]).sum().backward();
        expectClose(s2.grad!.item(), v2.grad!.item(), 1e-15, name);
      });
    }
  }
});

// ---- no op is exempt -------------------------------------------------------------------

describe('coverage', () => {
  it('every registered primitive has a table entry (adding an op adds its tests)', () => {
    const missing: string[] = [];
    for (const p of PRIMITIVES) {
      if (p.custom) continue;
      if (p.differentiable && !(CASES[p.name]?.length > 0)) missing.push(p.name);
      if (!p.differentiable && !NON_DIFFERENTIABLE[p.name]) missing.push(`${p.name} (non-differentiable)`);
      if (p.elementwise && p.differentiable && (!SCALAR_MEANING[p.name] || !POINT[p.name])) missing.push(`${p.name} (scalar path)`);
    }
    expect(missing).toEqual([]);
  });

  it('the table names only registered primitives', () => {
    const names = new Set(PRIMITIVES.map((p) => p.name));
    expect(Object.keys(CASES).filter((n) => !names.has(n))).toEqual([]);
    expect(Object.keys(NON_DIFFERENTIABLE).filter((n) => !names.has(n))).toEqual([]);
  });

  it('the registry is not empty and covers the ops the issue lists', () => {
    const names = PRIMITIVES.map((p) => p.name);
    for (const n of ['add', 'mul', 'exp', 'sum', 'max', 'matmul', 'take', 'concat', 'where', 'gt']) expect(names).toContain(n);
  });
});

// ---- forward values of the structural ops --------------------------------------------------

describe('forward values', () => {
  const X = () =>
    gl.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  it('sum with axis and keepdims', () => {
    expect(X().sum().item()).toBe(21);
    expect(X().sum(0).toArray()).toEqual([5, 7, 9]);
    expect(X().sum(1, true).toArray()).toEqual([[6], [15]]);
    expect(X().sum(-1).shape).toEqual([2]);
    expect(X().sum([0, 1]).shape).toEqual([]);
  });
  it('max/min along an axis and mean', () => {
    expect(X().max(0).toArray()).toEqual([4, 5, 6]);
    expect(X().min(1, true).toArray()).toEqual([[1], [4]]);
    expect(X().mean().item()).toBe(3.5);
    expect(X().mean(0).toArray()).toEqual([2.5, 3.5, 4.5]);
  });
  it('matmul 2-D and 1-D', () => {
    const A = X();
    const B = gl.tensor([
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
    expect(gl.matmul(A, B).toArray()).toEqual([
      [4, 5],
      [10, 11],
    ]);
    expect(gl.matmul(gl.tensor([1, 1]), A).toArray()).toEqual([5, 7, 9]);
    expect(gl.matmul(A, gl.tensor([1, 0, -1])).toArray()).toEqual([-2, -2]);
    const d = gl.matmul(gl.tensor([1, 2, 3]), gl.tensor([4, 5, 6]));
    expect(d.shape).toEqual([]);
    expect(d.item()).toBe(32);
  });
  it('transpose, reshape, take, slice, concat, pick, where', () => {
    expect(X().T.toArray()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    expect(gl.transpose(gl.arange(24).reshape([2, 3, 4]), [2, 0, 1]).shape).toEqual([4, 2, 3]);
    expect(gl.transpose(gl.arange(24).reshape([2, 3, 4]), [2, 0, 1]).toArray()).toEqual(
      [0, 1, 2, 3].map((k) => [0, 1].map((i) => [0, 1, 2].map((j) => i * 12 + j * 4 + k))),
    );
    expect(X().reshape([3, -1]).toArray()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(gl.take(X(), [1, 0, 1]).toArray()).toEqual([
      [4, 5, 6],
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(X().take([2, -3], 1).toArray()).toEqual([
      [3, 1],
      [6, 4],
    ]);
    expect(gl.slice(X(), 1, 3, 1).toArray()).toEqual([
      [2, 3],
      [5, 6],
    ]);
    expect(gl.concat([X(), gl.tensor([[7], [8]])], 1).toArray()).toEqual([
      [1, 2, 3, 7],
      [4, 5, 6, 8],
    ]);
    expect(gl.pick(X(), [2, 0]).toArray()).toEqual([3, 4]);
    expect(gl.where(gl.tensor([1, 0, 1]), X(), 0).toArray()).toEqual([
      [1, 0, 3],
      [4, 0, 6],
    ]);
  });
  it('softmax and logsumexp values', () => {
    const s = gl.softmax(gl.tensor([1, 2, 3]));
    const e = [1, 2, 3].map(Math.exp);
    const z = e[0] + e[1] + e[2];
    expectClose(
      s,
      e.map((v) => v / z),
      1e-15,
    );
    expectClose(gl.logsumexp(gl.tensor([1, 2, 3])), Math.log(z), 1e-15);
    expectClose(
      gl.logSoftmax(gl.tensor([1, 2, 3])),
      e.map((v) => Math.log(v / z)),
      1e-14,
    );
  });
});
