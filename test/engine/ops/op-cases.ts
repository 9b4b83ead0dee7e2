/**
 * The op table: sample inputs and a function applying the public op, for every
 * differentiable primitive (CASES, keyed by primitive name) and composite op
 * (COMPOSITES). ops.test.ts checks each case in both modes; batched-jacobian.test.ts
 * checks batched jacfwd/jacrev on each.
 */
import * as gl from '../../../engine';
import type { Tensor } from '../../../engine';
import { PRIMITIVES, apply } from '../../../engine/ops/primitive';
import { awayFromZero, randn, uniform } from '../helpers';

export type Fn = (...xs: Tensor[]) => Tensor;

export interface Case {
  /** What the case exercises (shown in the test name). */
  label: string;
  /** The differentiable inputs, drawn from a fixed-seed generator. */
  inputs: (g: gl.Rng) => Tensor[];
  /** Applies the op; constants (masks, indices) are closed over. */
  f: Fn;
}

const t = (data: gl.NestedArray) => gl.tensor(data);

// Points for binary ops with a kink where a = b (maximum, minimum): every a − b is ≥ 0.25 away from 0.
const KA31 = () => t([[-1.2], [0.35], [1.9]]);
const KB4 = () => t([-0.8, 0.1, 0.9, 2.4]);
const KB23 = () =>
  t([
    [-1, 0.9, 0.2],
    [1.3, -0.4, 0.75],
  ]);

/** Cases for an elementwise binary op: broadcasting [3,1]·[4], scalar·[2,3], [2,3]·scalar, and same shapes. */
function binaryCases(f: Fn, a: (s: number[], g: gl.Rng) => Tensor, b: (s: number[], g: gl.Rng) => Tensor): Case[] {
  const shapes: [number[], number[]][] = [
    [[3, 1], [4]],
    [[], [2, 3]],
    [[2, 3], []],
    [
      [2, 3],
      [2, 3],
    ],
  ];
  return shapes.map(([sa, sb]) => ({
    label: `[${sa.join(',')}] with [${sb.join(',')}]`,
    inputs: (g) => [a(sa, g), b(sb, g)],
    f,
  }));
}

/** Cases for an elementwise unary op: [2,3] and 0-d. */
function unaryCases(f: Fn, x: (s: number[], g: gl.Rng) => Tensor): Case[] {
  return [[2, 3], []].map((s) => ({ label: `[${s.join(',')}]`, inputs: (g) => [x(s, g)], f }));
}

const normal = (s: number[], g: gl.Rng) => randn(s, g);
const positive = (s: number[], g: gl.Rng) => uniform(s, g, 0.5, 2);
const nonzero = (s: number[], g: gl.Rng) => awayFromZero(s, g, 0.5);

const prim = (name: string) => {
  const p = PRIMITIVES.find((q) => q.name === name);
  if (!p) throw new Error(`no primitive ${name}`);
  return p;
};

/** Differentiable primitives, keyed by primitive name. */
export const CASES: Record<string, Case[]> = {
  add: [
    ...binaryCases((a, b) => gl.add(a, b), normal, normal),
    // only the broadcast operand has a tangent: the tangent must still have the output's shape
    { label: '[3,1] plus a constant [3,4]', inputs: (g) => [randn([3, 1], g)], f: (a) => gl.add(a, gl.ones([3, 4])) },
  ],
  sub: [
    ...binaryCases((a, b) => a.sub(b), normal, normal),
    { label: 'a constant [2,3] minus []', inputs: (g) => [randn([], g)], f: (b) => gl.sub(gl.ones([2, 3]), b) },
  ],
  mul: binaryCases((a, b) => gl.mul(a, b), normal, normal),
  div: binaryCases((a, b) => gl.div(a, b), normal, nonzero),
  pow: [
    ...binaryCases((a, b) => gl.pow(a, b), positive, normal),
    { label: 'negative base, constant integer exponent', inputs: (g) => [randn([2, 3], g)], f: (a) => gl.pow(a, 3) },
  ],
  maximum: [
    { label: '[3,1] with [4]', inputs: () => [KA31(), KB4()], f: (a, b) => gl.maximum(a, b) },
    { label: '[] with [2,3]', inputs: () => [gl.scalar(0.5), KB23()], f: (a, b) => gl.maximum(a, b) },
    { label: 'with a number', inputs: () => [KB23()], f: (a) => a.maximum(0.5) },
  ],
  minimum: [
    { label: '[3,1] with [4]', inputs: () => [KA31(), KB4()], f: (a, b) => gl.minimum(a, b) },
    { label: '[2,3] with []', inputs: () => [KB23(), gl.scalar(0.5)], f: (a, b) => gl.minimum(a, b) },
  ],
  neg: unaryCases((x) => gl.neg(x), normal),
  exp: unaryCases((x) => gl.exp(x), normal),
  log: unaryCases((x) => gl.log(x), positive),
  sqrt: unaryCases((x) => gl.sqrt(x), positive),
  abs: unaryCases(
    (x) => gl.abs(x),
    (s, g) => awayFromZero(s, g),
  ),
  sigmoid: [...unaryCases((x) => gl.sigmoid(x), normal), { label: 'large |x| (both branches)', inputs: () => [t([-30, -3, 3, 30])], f: (x) => gl.sigmoid(x) }],
  tanh: unaryCases((x) => gl.tanh(x), normal),
  relu: unaryCases(
    (x) => gl.relu(x),
    (s, g) => awayFromZero(s, g),
  ),
  sin: unaryCases((x) => gl.sin(x), normal),
  cos: unaryCases((x) => gl.cos(x), normal),
  where: [
    {
      label: 'mask [3,1], a [4], b [3,4]',
      inputs: (g) => [randn([4], g), randn([3, 4], g)],
      f: (a, b) => gl.where(t([[1], [0], [1]]), a, b),
    },
    {
      label: 'mask from a comparison, scalar b',
      inputs: (g) => [randn([2, 3], g), gl.scalar(0.3)],
      f: (a, b) =>
        gl.where(
          gl.gt(
            t([
              [1, -1, 2],
              [-2, 3, -3],
            ]),
            0,
          ),
          a,
          b,
        ),
    },
  ],
  sum: [
    { label: 'all elements', inputs: (g) => [randn([3, 4], g)], f: (x) => x.sum() },
    { label: 'axis 1, keepdims', inputs: (g) => [randn([3, 4], g)], f: (x) => x.sum(1, true) },
    { label: 'axes [0, 2] of [2,3,4]', inputs: (g) => [randn([2, 3, 4], g)], f: (x) => gl.sum(x, [0, 2]) },
    { label: 'axis -1', inputs: (g) => [randn([2, 3, 4], g)], f: (x) => gl.sum(x, -1) },
  ],
  max: [
    { label: 'all elements', inputs: (g) => [randn([3, 4], g)], f: (x) => x.max() },
    { label: 'axis 0', inputs: (g) => [randn([3, 4], g)], f: (x) => x.max(0) },
    { label: 'axis -1, keepdims', inputs: (g) => [randn([2, 3, 4], g)], f: (x) => gl.max(x, -1, true) },
  ],
  min: [
    { label: 'all elements', inputs: (g) => [randn([3, 4], g)], f: (x) => x.min() },
    { label: 'axis 1', inputs: (g) => [randn([3, 4], g)], f: (x) => x.min(1) },
  ],
  logSoftmax: [
    { label: 'last axis', inputs: (g) => [randn([2, 4], g)], f: (x) => gl.logSoftmax(x) },
    { label: 'axis 0 of [3,2,2]', inputs: (g) => [randn([3, 2, 2], g)], f: (x) => x.logSoftmax({ axis: 0 }) },
    { label: 'a length-1 axis', inputs: (g) => [randn([3, 1], g)], f: (x) => gl.logSoftmax(x, 1) },
    { label: '1-D, shifted by 100', inputs: (g) => [randn([5], g)], f: (x) => gl.logSoftmax(gl.add(x, 100)) },
  ],
  reshape: [
    { label: '[2,3] → [3,2]', inputs: (g) => [randn([2, 3], g)], f: (x) => x.reshape([3, 2]) },
    { label: '[6] → [2,-1]', inputs: (g) => [randn([6], g)], f: (x) => gl.reshape(x, [2, -1]) },
    { label: '[1] → []', inputs: (g) => [randn([1], g)], f: (x) => gl.reshape(x, []) },
  ],
  transpose: [
    { label: '2-D default', inputs: (g) => [randn([2, 3], g)], f: (x) => x.transpose() },
    { label: 'axes [2,0,1]', inputs: (g) => [randn([2, 3, 4], g)], f: (x) => gl.transpose(x, [2, 0, 1]) },
  ],
  broadcastTo: [
    { label: '[3,1] → [2,3,4]', inputs: (g) => [randn([3, 1], g)], f: (x) => gl.broadcastTo(x, [2, 3, 4]) },
    { label: '[] → [2,2]', inputs: (g) => [randn([], g)], f: (x) => gl.broadcastTo(x, [2, 2]) },
  ],
  matmul: [
    { label: '[2,3]·[3,4]', inputs: (g) => [randn([2, 3], g), randn([3, 4], g)], f: (a, b) => gl.matmul(a, b) },
    { label: '[3]·[3,4]', inputs: (g) => [randn([3], g), randn([3, 4], g)], f: (a, b) => a.matmul(b) },
    { label: '[2,3]·[3]', inputs: (g) => [randn([2, 3], g), randn([3], g)], f: (a, b) => gl.matmul(a, b) },
    { label: '[3]·[3]', inputs: (g) => [randn([3], g), randn([3], g)], f: (a, b) => gl.matmul(a, b) },
  ],
  take: [
    { label: 'rows [2,0,2] (repeated)', inputs: (g) => [randn([4, 3], g)], f: (x) => gl.take(x, [2, 0, 2]) },
    { label: 'axis 1, negative index', inputs: (g) => [randn([2, 4], g)], f: (x) => x.take([1, -1, 1], 1) },
  ],
  // indexAdd and pad are the adjoints of take and slice; no public function applies them alone.
  indexAdd: [
    {
      label: 'rows [2,0,2] into 4 rows',
      inputs: (g) => [randn([3, 2], g)],
      f: (x) => apply(prim('indexAdd'), [x], { indices: Int32Array.of(2, 0, 2), axis: 0, size: 4 }),
    },
  ],
  slice: [
    { label: '[1,3) along axis 1', inputs: (g) => [randn([2, 4], g)], f: (x) => gl.slice(x, 1, 3, 1) },
    { label: 'negative start, axis 0', inputs: (g) => [randn([5, 2], g)], f: (x) => gl.slice(x, -2) },
  ],
  pad: [
    {
      label: '1 before, 2 after along axis 1',
      inputs: (g) => [randn([2, 3], g)],
      f: (x) => apply(prim('pad'), [x], { axis: 1, start: 1, end: 4, size: 6 }),
    },
  ],
  concat: [
    { label: 'axis 1', inputs: (g) => [randn([2, 3], g), randn([2, 2], g)], f: (a, b) => gl.concat([a, b], 1) },
    { label: 'three along axis 0', inputs: (g) => [randn([1, 3], g), randn([2, 3], g), randn([1, 3], g)], f: (a, b, c) => gl.concat([a, b, c]) },
  ],
};

/** Composite ops (built from primitives, no rule of their own): same checks. */
export const COMPOSITES: Record<string, Case[]> = {
  mean: [
    { label: 'all', inputs: (g) => [randn([3, 4], g)], f: (x) => x.mean() },
    { label: 'axis 0, keepdims', inputs: (g) => [randn([3, 4], g)], f: (x) => gl.mean(x, 0, true) },
  ],
  softmax: [
    { label: 'last axis', inputs: (g) => [randn([2, 4], g)], f: (x) => x.softmax() },
    { label: 'axis 0', inputs: (g) => [randn([3, 2], g)], f: (x) => gl.softmax(x, 0) },
  ],
  logsumexp: [
    { label: 'all', inputs: (g) => [randn([2, 3], g)], f: (x) => gl.logsumexp(x) },
    { label: 'axis 1, keepdims', inputs: (g) => [randn([2, 3], g)], f: (x) => x.logsumexp(1, true) },
  ],
  pick: [{ label: 'labels [1,3,1]', inputs: (g) => [randn([3, 4], g)], f: (x) => gl.pick(x, [1, 3, 1]) }],
  square: unaryCases((x) => gl.square(x), normal),
  slice: [{ label: 'rows 1..2 of [4,2]', inputs: (g) => [randn([4, 2], g)], f: (x) => gl.slice(x, 1, 3) }],
  squeeze: [{ label: '[2,1,3] → [2,3]', inputs: (g) => [randn([2, 1, 3], g)], f: (x) => gl.squeeze(x) }],
  expandDims: [{ label: '[2,3] → [2,1,3]', inputs: (g) => [randn([2, 3], g)], f: (x) => gl.expandDims(x, 1) }],
  'cross-entropy': [
    {
      label: 'mean of −pick(logSoftmax)',
      inputs: (g) => [randn([3, 4], g)],
      f: (x) => gl.neg(gl.mean(gl.pick(gl.logSoftmax(x), [0, 2, 3]))),
    },
  ],
};
