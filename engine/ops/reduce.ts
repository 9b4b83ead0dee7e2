/** Reductions: sum, max, min — what is composed from them (mean, logsumexp, softmax) — and logSoftmax, a primitive of its own for exact second derivatives. */
import { describeValue, fail, fmtShape } from '../errors';
import { alloc, reduce } from '../kernels';
import { normAxes, reducedShape } from '../shape';
import { SCALAR_SHAPE, Tensor, asTensor, fromData, valuesOf } from '../tensor';
import { state } from '../tape';
import { apply, definePrimitive, type RuleContext } from './primitive';
import { add, div, exp, log, mul, sub } from './elementwise';
import { broadcastTo, reshape } from './shape';

interface ReduceAttrs {
  axes: number[];
  keepdims: boolean;
}

function reduced(kind: 'sum' | 'max' | 'min', x: Tensor, { axes, keepdims }: ReduceAttrs) {
  const shape = reducedShape(x.shape, axes, keepdims);
  const out = alloc(
    x.dtype,
    shape.reduce((a, b) => a * b, 1),
  );
  const arg = reduce(kind, valuesOf(x), x.shape, axes, out);
  const y = shape.length === 0 ? new Tensor(SCALAR_SHAPE, x.dtype, null, out[0]) : fromData(shape, out);
  return { y, arg };
}

/** gy reshaped with the reduced dimensions kept, then broadcast to the operand's shape. */
function spread(gy: Tensor, c: RuleContext<ReduceAttrs>): Tensor {
  const x = c.x[0];
  const kept = reducedShape(x.shape, c.attrs.axes, true);
  return broadcastTo(reshape(gy, kept), x.shape);
}

/** spread for a batch: gy [B, ...y.shape] → [B, ...x.shape]. */
function spreadBatch(gy: Tensor, c: RuleContext<ReduceAttrs>, B: number): Tensor {
  const x = c.x[0];
  const kept = reducedShape(x.shape, c.attrs.axes, true);
  return broadcastTo(reshape(gy, [B, ...kept]), [B, ...x.shape]);
}

/** The reduced axes of a batch (each moved past the leading batch dimension). */
function batchAxes(c: RuleContext<{ axes: number[] }>): number[] {
  return c.attrs.axes.map((a) => a + 1);
}

const sumP = definePrimitive<ReduceAttrs>({
  name: 'sum',
  forward: ([x], attrs) => ({ y: reduced('sum', x, attrs).y }),
  jvp: ([dx], c) => sum(dx!, c.attrs.axes, c.attrs.keepdims),
  // the sum distributes: every operand entry gets the gradient of its sum
  vjp: (gy, c) => [spread(gy, c)],
  jvpBatched: ([dx], c) => sum(dx!, batchAxes(c), c.attrs.keepdims),
  vjpBatched: (gy, c, B) => [spreadBatch(gy, c, B)],
  describe: ({ axes, keepdims }) => ({ axes, keepdims }),
});

function extremum(kind: 'max' | 'min') {
  return definePrimitive<ReduceAttrs>({
    name: kind,
    forward([x], attrs) {
      if (x.size === 0) fail(`${kind}: the tensor is empty`);
      const { y, arg } = reduced(kind, x, attrs);
      // NOTE: the gradient is routed to the first maximal (minimal) entry of each group;
      // the mask marking it is saved for the rules.
      const mask = alloc(x.dtype, x.size);
      for (let i = 0; i < arg!.length; i++) mask[arg![i]] = 1;
      return { y, saved: fromData(x.shape.length ? x.shape : [1], mask) };
    },
    jvp: ([dx], c) => sum(mul(dx!, maskOf(c)), c.attrs.axes, c.attrs.keepdims),
    vjp: (gy, c) => [mul(spread(gy, c), maskOf(c))],
    jvpBatched: ([dx], c) => sum(mul(dx!, maskOf(c)), batchAxes(c), c.attrs.keepdims),
    vjpBatched: (gy, c, B) => [mul(spreadBatch(gy, c, B), maskOf(c))],
    describe: ({ axes, keepdims }) => ({ axes, keepdims }),
  });
}
function maskOf(c: RuleContext<ReduceAttrs>): Tensor {
  const m = c.saved as Tensor;
  return c.x[0].ndim === 0 ? reshape(m, []) : m;
}
const maxP = extremum('max');
const minP = extremum('min');

/** Axes to reduce: one, several (an array; negative count from the end), or all (undefined, null). */
export type Axis = number | readonly number[] | null | undefined;

/** The options-object form of a reduction's arguments: `gl.sum(x, {axis: 1, keepdims: true})`. */
export interface ReduceOptions {
  /** The axis or axes to reduce (default: all). */
  axis?: number | readonly number[] | null;
  /** Keep the reduced dimensions as size 1 (default false), so the result broadcasts against x. */
  keepdims?: boolean;
}

/** The options-object form of softmax's and logSoftmax's axis: `gl.softmax(x, {axis: 0})`. */
export interface AxisOption {
  /** The axis the probabilities sum to 1 along (default: the last). */
  axis?: number;
}

const REDUCE_KEYS = ['axis', 'keepdims'];

function isOptions(a: unknown): a is Record<string, unknown> {
  return typeof a === 'object' && a !== null && !Array.isArray(a) && !ArrayBuffer.isView(a);
}

/** Check an options object: only `keys` are allowed; an unknown key names the known ones. */
function checkKeys(op: string, o: Record<string, unknown>, keys: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!keys.includes(k)) fail(`${op}: unknown option '${k}' (the options are ${keys.map((n) => `'${n}'`).join(', ')})`);
  }
}

/**
 * A reduction's arguments, in either form: positional `(axis, keepdims)` or
 * `({axis, keepdims})`. Errors name the op.
 */
function reduceArgs(op: string, axis: Axis | ReduceOptions, keepdims: unknown): { axis: Axis; keepdims: boolean } {
  if (isOptions(axis)) {
    checkKeys(op, axis, REDUCE_KEYS);
    if (keepdims !== undefined) fail(`${op}: keepdims was given twice (in the options object and after it); use {axis, keepdims}`);
    ({ axis, keepdims } = axis as ReduceOptions);
  }
  if (keepdims !== undefined && typeof keepdims !== 'boolean') {
    fail(`${op}: keepdims must be true or false, got ${describeValue(keepdims)}`);
  }
  return { axis: axis as Axis, keepdims: keepdims === true };
}

/** softmax's axis, as a number or `{axis}` (default: the last). */
function axisArg(op: string, axis: number | AxisOption | undefined): number {
  if (isOptions(axis)) {
    checkKeys(op, axis, ['axis']);
    axis = (axis as AxisOption).axis;
  }
  if (axis === undefined) return -1;
  if (typeof axis !== 'number') {
    fail(`${op}: axis must be an integer, got ${describeValue(axis)}${Array.isArray(axis) ? ` (${op} takes one axis)` : ''}`);
  }
  return axis;
}

function reduceOp(p: typeof sumP, x: Tensor, axisOrOpts: Axis | ReduceOptions, keepdimsArg: unknown): Tensor {
  x = asTensor(x, p.name);
  const { axis, keepdims } = reduceArgs(p.name, axisOrOpts, keepdimsArg);
  const axes = normAxes(p.name, axis, x.ndim);
  if (axes.length === 0 && x.ndim > 0) return x;
  return apply(p, [x], { axes, keepdims });
}

/**
 * Sum of all elements, or along `axis` (a number or array; negative counts from the end).
 * `gl.sum(x, 1, true)` and `gl.sum(x, {axis: 1, keepdims: true})` are the same.
 */
export function sum(x: Tensor, opts: ReduceOptions): Tensor;
export function sum(x: Tensor, axis?: Axis, keepdims?: boolean): Tensor;
export function sum(x: Tensor, axis?: Axis | ReduceOptions, keepdims?: boolean): Tensor {
  return reduceOp(sumP, x, axis, keepdims);
}

/** Maximum of all elements or along `axis` (or `{axis, keepdims}`). NOTE: the gradient goes to the first maximal entry. */
export function max(x: Tensor, opts: ReduceOptions): Tensor;
export function max(x: Tensor, axis?: Axis, keepdims?: boolean): Tensor;
export function max(x: Tensor, axis?: Axis | ReduceOptions, keepdims?: boolean): Tensor {
  return reduceOp(maxP, x, axis, keepdims);
}

/** Minimum of all elements or along `axis` (or `{axis, keepdims}`). NOTE: the gradient goes to the first minimal entry. */
export function min(x: Tensor, opts: ReduceOptions): Tensor;
export function min(x: Tensor, axis?: Axis, keepdims?: boolean): Tensor;
export function min(x: Tensor, axis?: Axis | ReduceOptions, keepdims?: boolean): Tensor {
  return reduceOp(minP, x, axis, keepdims);
}

/** Mean of all elements or along `axis` (or `{axis, keepdims}`). */
export function mean(x: Tensor, opts: ReduceOptions): Tensor;
export function mean(x: Tensor, axis?: Axis, keepdims?: boolean): Tensor;
export function mean(x: Tensor, axisOrOpts?: Axis | ReduceOptions, keepdimsArg?: boolean): Tensor {
  x = asTensor(x, 'mean');
  const { axis, keepdims } = reduceArgs('mean', axisOrOpts, keepdimsArg);
  const axes = normAxes('mean', axis, x.ndim);
  let n = 1;
  for (const a of axes) n *= x.shape[a];
  if (n === 0) fail(`mean: no elements to average over in a tensor of shape ${fmtShape(x.shape)}`);
  return div(sum(x, axes, keepdims), n);
}

/**
 * log Σ exp(x) over `axis` (all elements by default; or `{axis, keepdims}`).
 * NOTE: computed as m + log Σ exp(x − m) with m the (constant) maximum, so
 * large inputs do not overflow; the result does not depend on m, so treating
 * it as a constant leaves the gradient exact.
 */
export function logsumexp(x: Tensor, opts: ReduceOptions): Tensor;
export function logsumexp(x: Tensor, axis?: Axis, keepdims?: boolean): Tensor;
export function logsumexp(x: Tensor, axisOrOpts?: Axis | ReduceOptions, keepdimsArg?: boolean): Tensor {
  x = asTensor(x, 'logsumexp');
  const { axis, keepdims } = reduceArgs('logsumexp', axisOrOpts, keepdimsArg);
  const axes = normAxes('logsumexp', axis, x.ndim);
  const m = shiftOf(x, axes);
  const s = add(log(sum(exp(sub(x, m)), axes, true)), m);
  return keepdims ? s : reshape(s, reducedShape(x.shape, axes, false));
}

/** The maximum along `axes` (kept), as a constant, with non-finite maxima replaced by 0. */
function shiftOf(x: Tensor, axes: number[]): Tensor {
  const was = state.gradEnabled;
  state.gradEnabled = false;
  const levels = state.levels;
  state.levels = [];
  try {
    let v = x;
    while (v._dual) v = v._dual.primal;
    const m = max(new Tensor(v.shape, v.dtype, v._data, v._v), axes, true);
    if (m._data === null) return Number.isFinite(m._v) ? m : new Tensor(m.shape, m.dtype, null, 0);
    const d = m._data;
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) d[i] = 0;
    return m;
  } finally {
    state.gradEnabled = was;
    state.levels = levels;
  }
}

/**
 * softmax(x) = exp(x − m) / Σ exp(x − m) along `axis` (default: the last; or `{axis}`).
 * NOTE: m is the (constant) maximum, as in logsumexp: nothing overflows, and
 * unlike exp(x − logsumexp(x)) no large number is subtracted from another, so
 * softmax([1000, 1000]) is exactly [0.5, 0.5].
 */
export function softmax(x: Tensor, axis?: number | AxisOption): Tensor {
  x = asTensor(x, 'softmax');
  if (x.ndim === 0) fail('softmax: needs at least one dimension');
  const axes = normAxes('softmax', axisArg('softmax', axis), x.ndim);
  const e = exp(sub(x, shiftOf(x, axes)));
  return div(e, sum(e, axes, true));
}

interface SoftmaxAttrs {
  axes: number[];
}

/**
 * log softmax as one primitive, so its derivative has the form that stays exact at second order.
 * With y = log softmax(x) and p = exp(y) = softmax(x) along the axis:
 *   vjp: gx = gy − p · Σ gy        jvp: dy = dx − Σ p · dx
 * NOTE: written with y (the recorded output) so they differentiate again through this same op.
 * Composed of exp, sum, log, the second derivative adds terms of the size of the first
 * derivative's factors that cancel only up to rounding: the hessian of
 * Σ logSoftmax((1000x)², 0) · x² at x = [−1.4] (identically 0: a length-1 axis) came out as
 * 0.00052 (terms ~1e13 cancelling). Here the cotangent t reaching y gives t − p·Σt, which for a
 * length-1 axis (p = 1) is t − t = 0 exactly.
 */
const logSoftmaxP = definePrimitive<SoftmaxAttrs>({
  name: 'logSoftmax',
  forward([x], { axes }) {
    // on plain values: nothing recorded, and detectAnomaly checks this op's output, not the steps
    const v = new Tensor(x.shape, x.dtype, x._data, x._v);
    const anomaly = state.anomaly;
    state.anomaly = false;
    try {
      // NOTE: (x − m) − log Σ exp(x − m) with m the (constant) maximum: nothing overflows and the
      // large m cancels exactly instead of leaving rounding error of its size.
      const z = sub(v, shiftOf(v, axes));
      return { y: sub(z, log(sum(exp(z), axes, true))) };
    } finally {
      state.anomaly = anomaly;
    }
  },
  jvp: ([dx], c) => sub(dx!, sum(mul(exp(c.y), dx!), c.attrs.axes, true)),
  vjp: (gy, c) => [sub(gy, mul(exp(c.y), sum(gy, c.attrs.axes, true)))],
  jvpBatched: ([dx], c) => sub(dx!, sum(mul(exp(c.y), dx!), batchAxes(c), true)),
  vjpBatched: (gy, c) => [sub(gy, mul(exp(c.y), sum(gy, batchAxes(c), true)))],
  describe: ({ axes }) => ({ axes }),
});

/**
 * log softmax(x) = x − logsumexp(x) along `axis` (default: the last; or `{axis}`).
 * NOTE: computed as (x − m) − log Σ exp(x − m) with m the (constant) maximum,
 * so the large m cancels exactly; one primitive whose derivative stays exact at
 * second order (see logSoftmaxP).
 */
export function logSoftmax(x: Tensor, axis?: number | AxisOption): Tensor {
  x = asTensor(x, 'logSoftmax');
  if (x.ndim === 0) fail('logSoftmax: needs at least one dimension');
  const axes = normAxes('logSoftmax', axisArg('logSoftmax', axis), x.ndim);
  return apply(logSoftmaxP, [x], { axes });
}
