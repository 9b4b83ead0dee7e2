/** Ops that move values without arithmetic: reshape, transpose, broadcast. */
import { describeValue, fail, fmtShape } from '../errors';
import { alloc, broadcastTo as kBroadcastTo, transpose as kTranspose } from '../kernels';
import { allocShape, broadcastShapes, checkShape, normAxes, sameShape, sizeOf } from '../shape';
import { SCALAR_SHAPE, Tensor, asTensor, fromData, valuesOf } from '../tensor';
import { apply, definePrimitive } from './primitive';
import { sum } from './reduce';

const reshapeP = definePrimitive<{ shape: number[] }>({
  name: 'reshape',
  forward([x], { shape }) {
    if (shape.length === 0) return { y: new Tensor(SCALAR_SHAPE, x.dtype, null, x._data ? x._data[0] : x._v) };
    // NOTE: shares the operand's array (no copy); in-place updates of a leaf show through.
    return { y: fromData(shape, valuesOf(x)) };
  },
  jvp: ([dx], c) => reshape(dx!, c.attrs.shape),
  vjp: (gy, c) => [reshape(gy, c.x[0].shape)],
  jvpBatched: ([dx], c, B) => reshape(dx!, [B, ...c.attrs.shape]),
  vjpBatched: (gy, c, B) => [reshape(gy, [B, ...c.x[0].shape])],
  describe: ({ shape }) => ({ shape }),
});

const transposeP = definePrimitive<{ axes: number[] }>({
  name: 'transpose',
  forward([x], { axes }) {
    const shape = axes.map((a) => x.shape[a]);
    if (x._data === null) return { y: x };
    return { y: fromData(shape, kTranspose(x._data, x.shape, axes, alloc(x.dtype, x.size))) };
  },
  jvp: ([dx], c) => transpose(dx!, c.attrs.axes),
  vjp: (gy, c) => [transpose(gy, inversePermutation(c.attrs.axes))],
  jvpBatched: ([dx], c) => transpose(dx!, [0, ...c.attrs.axes.map((a) => a + 1)]),
  vjpBatched: (gy, c) => [transpose(gy, [0, ...inversePermutation(c.attrs.axes).map((a) => a + 1)])],
  describe: ({ axes }) => ({ axes }),
});

const broadcastP = definePrimitive<{ shape: number[] }>({
  name: 'broadcastTo',
  forward([x], { shape }) {
    const out = allocShape('broadcastTo', shape, x.dtype);
    return { y: fromData(shape, kBroadcastTo(valuesOf(x), x.shape, shape, out)) };
  },
  jvp: ([dx], c) => broadcastTo(dx!, c.attrs.shape),
  vjp: (gy, c) => [sumTo(gy, c.x[0].shape)],
  jvpBatched: ([dx], c, B) => {
    // [B, ...x.shape] → [B, 1, …, 1, ...x.shape] → [B, ...shape]
    const pad = c.attrs.shape.length - c.x[0].ndim;
    const lifted = pad > 0 ? reshape(dx!, [B, ...new Array<number>(pad).fill(1), ...c.x[0].shape]) : dx!;
    return broadcastTo(lifted, [B, ...c.attrs.shape]);
  },
  vjpBatched: (gy, c, B) => {
    const x = c.x[0];
    const pad = gy.ndim - 1 - x.ndim;
    const s = sumTo(gy, [B, ...new Array<number>(pad).fill(1), ...x.shape]);
    return [s.ndim === x.ndim + 1 ? s : reshape(s, [B, ...x.shape])];
  },
  describe: ({ shape }) => ({ shape }),
});

function inversePermutation(axes: readonly number[]): number[] {
  const inv = new Array<number>(axes.length);
  axes.forEach((a, i) => (inv[a] = i));
  return inv;
}

/** Same values in a new shape; one dimension may be −1 (inferred). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  x = asTensor(x, 'reshape');
  const s = checkShape('reshape', shape, x.size);
  if (sizeOf(s) !== x.size)
    fail(`reshape: cannot reshape a tensor of shape ${fmtShape(x.shape)} (${x.size} elements) into ${fmtShape(s)} (${sizeOf(s)} elements)`);
  if (sameShape(s, x.shape)) return x;
  return apply(reshapeP, [x], { shape: s });
}

/** Permute dimensions by `axes`; by default reverse them (the matrix transpose for 2-D). */
export function transpose(x: Tensor, axes?: readonly number[]): Tensor {
  x = asTensor(x, 'transpose');
  const nd = x.ndim;
  if (axes !== undefined && (!Array.isArray(axes) || axes.some((a) => !Number.isInteger(a)))) {
    fail(`transpose: axes must be an array of integers (a permutation of 0..${nd - 1}), got ${Array.isArray(axes) ? fmtShape(axes) : describeValue(axes)}`);
  }
  const ax = axes === undefined ? Array.from({ length: nd }, (_, i) => nd - 1 - i) : axes.map((a: number) => (a < 0 ? a + nd : a));
  if (ax.length !== nd || [...ax].sort((a, b) => a - b).some((a, i) => a !== i)) {
    fail(`transpose: axes ${fmtShape(axes ?? [])} are not a permutation of the ${nd} dimensions of a tensor of shape ${fmtShape(x.shape)}`);
  }
  if (ax.every((a, i) => a === i)) return x;
  return apply(transposeP, [x], { axes: ax });
}

/** Repeat `x` along broadcast dimensions to `shape` (NumPy rules). */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  x = asTensor(x, 'broadcastTo');
  const s = checkShape('broadcastTo', shape);
  const b = broadcastShapes('broadcastTo', [x.shape, s]);
  if (!sameShape(b, s)) fail(`broadcastTo: a tensor of shape ${fmtShape(x.shape)} cannot be broadcast to ${fmtShape(s)}`);
  if (sameShape(x.shape, s)) return x;
  return apply(broadcastP, [x], { shape: s });
}

/**
 * Sum `g` down to `shape`: the adjoint of broadcasting. Every op that
 * broadcasts undoes it in its vjp with this one helper.
 */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const s = sum(g, axes, true);
  return sameShape(s.shape, shape) ? s : reshape(s, shape);
}

/** Dimensions of size 1 removed (all of them, or the given axes). */
export function squeeze(x: Tensor, axis?: number | number[]): Tensor {
  x = asTensor(x, 'squeeze');
  const axes = axis === undefined ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normAxes('squeeze', axis, x.ndim);
  for (const a of axes) if (x.shape[a] !== 1) fail(`squeeze: dimension ${a} of shape ${fmtShape(x.shape)} is not 1`);
  return reshape(
    x,
    x.shape.filter((_, i) => !axes.includes(i)),
  );
}

/** A new dimension of size 1 at `axis`. */
export function expandDims(x: Tensor, axis: number): Tensor {
  x = asTensor(x, 'expandDims');
  if (!Number.isInteger(axis)) fail(`expandDims: axis must be an integer, got ${describeValue(axis)}`);
  const nd = x.ndim + 1;
  const a = axis < 0 ? axis + nd : axis;
  if (a < 0 || a >= nd) fail(`expandDims: axis ${axis} is out of range for a result with ${nd} dimensions`);
  const s = x.shape.slice();
  s.splice(a, 0, 1);
  return reshape(x, s);
}

/** A new leaf with the same values, no history and no gradient. */
export function detach(x: Tensor): Tensor {
  let t = asTensor(x, 'detach');
  while (t._dual) t = t._dual.primal;
  return new Tensor(t.shape, t.dtype, t._data, t._v);
}

/** @internal The reshape primitive itself (ad/custom.ts applies it without reshape()'s checks). */
export const reshapePrimitive = reshapeP;
