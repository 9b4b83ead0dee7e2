/**
 * Functions of scalars for the symbolic tests: one per elementwise primitive (OP_CASES, with inputs
 * drawn from its domain and away from its kinks), the lecture's function, and random expressions
 * (a seeded generator of trees over three variables, every op kept on its domain). Each function
 * takes tensors or symbolic scalars alike: it only calls the public ops.
 */
import * as gl from '../../../engine';
import type { Tensor } from '../../../engine';
import { topological } from '../../../engine/symbolic';

export type ScalarFn = (...xs: Tensor[]) => Tensor;

export interface OpCase {
  /** The primitive it exercises. */
  op: string;
  names: string[];
  f: ScalarFn;
  /** A point of its domain (drawn from `u`, uniform in [0, 1)). */
  point: (u: () => number) => number[];
}

const between = (u: () => number, lo: number, hi: number) => lo + (hi - lo) * u();
/** A number at least `gap` away from 0, in [−2, 2]. */
const awayFromZero = (u: () => number, gap = 0.2) => (u() < 0.5 ? -1 : 1) * between(u, gap, 2);
const any = (u: () => number) => between(u, -2, 2);
/** Two numbers at least 0.2 apart (the kink of max, min and the comparisons is at a = b). */
const apart = (u: () => number) => {
  const a = any(u);
  return [a, a + awayFromZero(u)];
};

const unary = (op: string, f: (x: Tensor) => Tensor, point: (u: () => number) => number = any): OpCase => ({
  op,
  names: ['x'],
  f: (x) => f(x),
  point: (u) => [point(u)],
});
const binary = (op: string, f: (a: Tensor, b: Tensor) => Tensor, point: (u: () => number) => number[] = (u) => [any(u), any(u)]): OpCase => ({
  op,
  names: ['a', 'b'],
  f: (a, b) => f(a, b),
  point,
});

/** One case per elementwise primitive (the test checks none is missing). */
export const OP_CASES: OpCase[] = [
  binary('add', gl.add),
  binary('sub', gl.sub),
  binary('mul', gl.mul),
  binary('div', gl.div, (u) => [any(u), awayFromZero(u, 0.3)]),
  binary('pow', gl.pow, (u) => [between(u, 0.3, 2), any(u)]),
  binary('maximum', gl.maximum, apart),
  binary('minimum', gl.minimum, apart),
  unary('neg', gl.neg),
  unary('exp', gl.exp),
  unary('log', gl.log, (u) => between(u, 0.2, 3)),
  unary('sqrt', gl.sqrt, (u) => between(u, 0.2, 3)),
  unary('abs', gl.abs, awayFromZero),
  unary('sigmoid', gl.sigmoid),
  unary('tanh', gl.tanh),
  unary('relu', gl.relu, awayFromZero),
  unary('sin', gl.sin),
  unary('cos', gl.cos),
  // no gradient: the derivative is 0 (and the engine's gradient too)
  unary('sign', (x) => gl.sign(x).mul(x), awayFromZero),
  ...(['gt', 'ge', 'lt', 'le', 'eq', 'ne'] as const).map((op) => binary(op, (a, b) => gl[op](a, b).mul(a).add(b), apart)),
  {
    op: 'where',
    names: ['c', 'a', 'b'],
    f: (c, a, b) => gl.where(gl.gt(c, 0), a.mul(c), b.sin()),
    point: (u) => [awayFromZero(u), any(u), any(u)],
  },
];

/** The lecture's function (notebook 1). */
export function lecture(x1: Tensor, x2: Tensor, x3: Tensor, x4: Tensor, x5: Tensor, x6: Tensor): Tensor {
  const c = gl.maximum(x1, x2).mul(x3).div(x4);
  return gl
    .mul(5, c.sub(x5.add(x6)))
    .log()
    .add(0.5)
    .sigmoid();
}
export const LECTURE_NAMES = ['x1', 'x2', 'x3', 'x4', 'x5', 'x6'];
/** The lecture's point, and one with x2 > x1; both keep log's argument positive. */
export const LECTURE_POINTS = [
  [1.5, -0.5, 2, 3, 0.4, 0.3],
  [-0.5, 1.5, 2, 3, 0.4, 0.3],
];

/** A random expression as data: an op and its operands, or a variable or constant. */
export type Spec = { v: number } | { c: number } | { op: string; args: Spec[] };

/** A seeded uniform generator in [0, 1) (mulberry32). */
export function uniformRng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const UNARY_OPS = ['neg', 'exp', 'log', 'sqrt', 'abs', 'sigmoid', 'tanh', 'relu', 'sin', 'cos'];
const BINARY_OPS = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'where'];

/** A random expression of `depth` levels over `nvars` variables. */
export function randomSpec(u: () => number, depth: number, nvars = 3): Spec {
  if (depth === 0 || u() < 0.15) return u() < 0.8 ? { v: Math.floor(u() * nvars) } : { c: Math.round(between(u, -3, 3) * 4) / 4 || 0.5 };
  const all = [...UNARY_OPS, ...BINARY_OPS];
  const op = all[Math.floor(u() * all.length)];
  const n = UNARY_OPS.includes(op) ? 1 : op === 'where' ? 3 : 2;
  return { op, args: Array.from({ length: n }, () => randomSpec(u, depth - 1, nvars)) };
}

/**
 * The function a spec computes, every op kept on its domain: log and sqrt of u² + ½, exp of tanh(u),
 * a divisor u² + 1, a power of the positive σ(u) + ½, where's condition u > v.
 */
export function specFn(spec: Spec): ScalarFn {
  const build = (s: Spec, xs: Tensor[]): Tensor | number => {
    if ('v' in s) return xs[s.v];
    if ('c' in s) return s.c;
    const a = s.args.map((x) => build(x, xs));
    const t = (x: Tensor | number) => (typeof x === 'number' ? gl.scalar(x) : x);
    const pos = (x: Tensor | number) => gl.add(gl.mul(x, x), 0.5);
    switch (s.op) {
      case 'log':
      case 'sqrt':
        return gl[s.op](pos(a[0]));
      case 'exp':
        return gl.exp(gl.tanh(t(a[0])));
      case 'div':
        return gl.div(a[0], gl.add(gl.mul(a[1], a[1]), 1));
      case 'pow':
        return gl.pow(gl.add(gl.sigmoid(t(a[0])), 0.5), a[1]);
      case 'where':
        return gl.where(gl.gt(a[0], a[1]), a[1], a[2]);
      default:
        return a.length === 1
          ? (gl as unknown as Record<string, (x: Tensor) => Tensor>)[s.op](t(a[0]))
          : (gl as unknown as Record<string, (x: unknown, y: unknown) => Tensor>)[s.op](a[0], a[1]);
    }
  };
  return (...xs) => {
    const y = build(spec, xs);
    return typeof y === 'number' ? gl.add(xs[0], y) : y;
  };
}

/** Whether the point is within `gap` of a kink of e (max, min, relu, abs, a comparison) or where a value is not finite. */
export function nearKink(e: gl.Expr, at: Record<string, number>, gap = 1e-3): boolean {
  const val = new Map<gl.Expr, number>();
  for (const n of topological(e)) {
    const v = n.op === 'const' ? n.value : n.op === 'var' ? at[n.symbol] : n.prim.elementwise!.f(...n.args.map((a) => val.get(a)!));
    if (!Number.isFinite(v)) return true;
    val.set(n, v);
    const a = n.args.map((x) => val.get(x)!);
    if (['maximum', 'minimum', 'gt', 'ge', 'lt', 'le', 'eq', 'ne'].includes(n.op) && Math.abs(a[0] - a[1]) < gap) return true;
    if (['relu', 'abs', 'sign'].includes(n.op) && Math.abs(a[0]) < gap) return true;
  }
  return false;
}
