/** Selecting and joining: take (rows of a minibatch), pick (one entry per row), slice, concat. */
import { describeValue, fail, fmtShape } from '../errors';
import { alloc, concat as kConcat, indexAdd as kIndexAdd, pad as kPad, slice as kSlice, take as kTake } from '../kernels';
import { allocShape, normAxes, sizeOf } from '../shape';
import { Tensor, asTensor, fromData, valuesOf } from '../tensor';
import { apply, definePrimitive, resultDtype, type Primitive } from './primitive';
import { reshape } from './shape';

interface TakeAttrs {
  indices: Int32Array;
  axis: number;
  /** length of the axis of the operand of take (the result of indexAdd) */
  size: number;
}

const takeP: Primitive<TakeAttrs> = definePrimitive<TakeAttrs>({
  name: 'take',
  forward([x], { indices, axis }) {
    const shape = x.shape.slice();
    shape[axis] = indices.length;
    return { y: fromData(shape, kTake(valuesOf(x), x.shape, indices, axis, allocShape('take', shape, x.dtype))) };
  },
  jvp: ([dx], c) => apply(takeP, [dx!], c.attrs),
  // rows taken twice get both gradients
  vjp: (gy, c) => [applyIndexAdd(gy, c.attrs)],
  // batched: the same along the next axis (past the leading batch dimension)
  jvpBatched: ([dx], c) => apply(takeP, [dx!], shifted(c.attrs)),
  vjpBatched: (gy, c) => [applyIndexAdd(gy, shifted(c.attrs))],
  describe: ({ axis, indices }) => ({ axis, count: indices.length }),
});

/** The adjoint of take: rows of the operand added into zeros at `indices`. */
const indexAddP: Primitive<TakeAttrs> = definePrimitive<TakeAttrs>({
  name: 'indexAdd',
  forward([g], { indices, axis, size }) {
    const shape = g.shape.slice();
    shape[axis] = size;
    return { y: fromData(shape, kIndexAdd(valuesOf(g), indices, axis, shape, alloc(g.dtype, sizeOf(shape)))) };
  },
  jvp: ([dg], c) => apply(indexAddP, [dg!], c.attrs),
  vjp: (gy, c) => [apply(takeP, [gy], c.attrs)],
  jvpBatched: ([dg], c) => apply(indexAddP, [dg!], shifted(c.attrs)),
  vjpBatched: (gy, c) => [apply(takeP, [gy], shifted(c.attrs))],
  describe: ({ axis, size }) => ({ axis, size }),
});

/** indexAdd on `g`: take's vjp (a function declaration, so take's rules above may name it). */
function applyIndexAdd(g: Tensor, attrs: TakeAttrs): Tensor {
  return apply(indexAddP, [g], attrs);
}

interface SliceAttrs {
  axis: number;
  start: number;
  end: number;
  /** length of the axis of the operand of slice */
  size: number;
}

const sliceP: Primitive<SliceAttrs> = definePrimitive<SliceAttrs>({
  name: 'slice',
  forward([x], { axis, start, end }) {
    const shape = x.shape.slice();
    shape[axis] = end - start;
    return { y: fromData(shape, kSlice(valuesOf(x), x.shape, axis, start, end, alloc(x.dtype, sizeOf(shape)))) };
  },
  jvp: ([dx], c) => apply(sliceP, [dx!], c.attrs),
  vjp: (gy, c) => [applyPad(gy, c.attrs)],
  jvpBatched: ([dx], c) => apply(sliceP, [dx!], shifted(c.attrs)),
  vjpBatched: (gy, c) => [applyPad(gy, shifted(c.attrs))],
  describe: ({ axis, start, end }) => ({ axis, start, end }),
});

/** The adjoint of slice: zeros around the operand along `axis`. */
const padP: Primitive<SliceAttrs> = definePrimitive<SliceAttrs>({
  name: 'pad',
  forward([g], { axis, start, end, size }) {
    const shape = g.shape.slice();
    shape[axis] = size;
    return { y: fromData(shape, kPad(valuesOf(g), g.shape, axis, start, size - end, alloc(g.dtype, sizeOf(shape)))) };
  },
  jvp: ([dg], c) => apply(padP, [dg!], c.attrs),
  vjp: (gy, c) => [apply(sliceP, [gy], c.attrs)],
  jvpBatched: ([dg], c) => apply(padP, [dg!], shifted(c.attrs)),
  vjpBatched: (gy, c) => [apply(sliceP, [gy], shifted(c.attrs))],
  describe: ({ axis, start, end, size }) => ({ axis, before: start, after: size - end }),
});

/** pad on `g`: slice's vjp (a function declaration, so slice's rules above may name it). */
function applyPad(g: Tensor, attrs: SliceAttrs): Tensor {
  return apply(padP, [g], attrs);
}

const concatP: Primitive<{ axis: number }> = definePrimitive<{ axis: number }>({
  name: 'concat',
  forward(xs, { axis }) {
    const dtype = resultDtype(xs);
    const shape = xs[0].shape.slice();
    shape[axis] = xs.reduce((s, x) => s + x.shape[axis], 0);
    const vals = xs.map((x) => (x.dtype === dtype ? valuesOf(x) : Float64Array.from(valuesOf(x))));
    return {
      y: fromData(
        shape,
        kConcat(
          vals,
          xs.map((x) => x.shape),
          axis,
          alloc(dtype, sizeOf(shape)),
        ),
      ),
    };
  },
  jvp: (dxs, c) => apply(concatP, dxs as Tensor[], c.attrs),
  vjp: (gy, c) => concatVjp(gy, c.x, c.needs, c.attrs.axis, 0),
  jvpBatched: (dxs, c, B) => {
    const ts = dxs.map((t, i) => t ?? fromData([B, ...c.x[i].shape], alloc(c.x[i].dtype, B * c.x[i].size)));
    return apply(concatP, ts, { axis: c.attrs.axis + 1 });
  },
  vjpBatched: (gy, c) => concatVjp(gy, c.x, c.needs, c.attrs.axis, 1),
  describe: ({ axis }) => ({ axis }),
});

/** Each operand's part of gy (its slice along `axis`, moved by `lead` leading batch dimensions). */
function concatVjp(gy: Tensor, xs: Tensor[], needs: boolean[], axis: number, lead: number): (Tensor | null)[] {
  let at = 0;
  return xs.map((x, i) => {
    const len = x.shape[axis];
    const start = at;
    at += len;
    return needs[i] ? apply(sliceP, [gy], { axis: axis + lead, start, end: start + len, size: gy.shape[axis + lead] }) : null;
  });
}

/** Attributes of an axis op for a batch: the axis one further (past the leading batch dimension). */
function shifted<T extends { axis: number }>(attrs: T): T {
  return { ...attrs, axis: attrs.axis + 1 };
}

/** The values of an index list (an array, a typed array or a tensor), or an error naming `op` and `what`. */
function indexList(op: string, what: string, indices: unknown): ArrayLike<number> {
  if (indices instanceof Tensor) return valuesOf(indices);
  if (Array.isArray(indices) || (ArrayBuffer.isView(indices) && !(indices instanceof DataView))) return indices as ArrayLike<number>;
  fail(`${op}: ${what} must be an array of integers or a Tensor, got ${describeValue(indices)}`);
}

function toIndices(op: string, indices: number[] | Int32Array | Tensor, n: number): Int32Array {
  const raw = indexList(op, 'indices', indices);
  const out = new Int32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    let k = raw[i];
    if (!Number.isInteger(k)) fail(`${op}: index ${k} at position ${i} is not an integer`);
    if (k < -n || k >= n) fail(`${op}: index ${k} at position ${i} is out of range for an axis of length ${n}`);
    if (k < 0) k += n;
    out[i] = k;
  }
  return out;
}

/**
 * Entries `indices` along `axis` (default 0: rows), in the given order;
 * repeats allowed. `gl.take(X, batch)` selects the rows of a minibatch.
 */
export function take(x: Tensor, indices: number[] | Int32Array | Tensor, axis = 0): Tensor {
  x = asTensor(x, 'take');
  if (x.ndim === 0) fail('take: cannot index a 0-d tensor');
  const [a] = normAxes('take', axis, x.ndim);
  const idx = toIndices('take', indices, x.shape[a]);
  return apply(takeP, [x], { indices: idx, axis: a, size: x.shape[a] });
}

/**
 * One entry per row: `pick(scores, labels)[i] = scores[i, labels[i]]`, shape
 * [N]. The building block of cross-entropy: `pick(logSoftmax(s), y)`.
 */
export function pick(scores: Tensor, labels: number[] | Int32Array | Tensor): Tensor {
  scores = asTensor(scores, 'pick');
  if (scores.ndim !== 2) fail(`pick: scores must be 2-D [N, classes]; got shape ${fmtShape(scores.shape)}`);
  const [n, c] = scores.shape;
  const lab = indexList('pick', 'labels', labels);
  if (lab.length !== n) fail(`pick: ${lab.length} labels for ${n} rows of scores (shape ${fmtShape(scores.shape)})`);
  const flat = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = lab[i];
    if (!Number.isInteger(k) || k < 0 || k >= c) {
      fail(`pick: label ${k} at row ${i} is out of range for ${c} classes (labels must be integers 0…${c - 1})`);
    }
    flat[i] = i * c + k;
  }
  return apply(takeP, [reshape(scores, [n * c])], { indices: flat, axis: 0, size: n * c });
}

/** Entries [start, end) along `axis` (negative positions count from the end). */
export function slice(x: Tensor, start: number, end?: number, axis = 0): Tensor {
  x = asTensor(x, 'slice');
  if (x.ndim === 0) fail('slice: cannot slice a 0-d tensor');
  for (const [k, v] of [
    ['start', start],
    ['end', end],
  ] as const) {
    if (v !== undefined && !Number.isInteger(v)) fail(`slice: ${k} must be an integer, got ${describeValue(v)}`);
  }
  const [a] = normAxes('slice', axis, x.ndim);
  const n = x.shape[a];
  const s = Math.min(n, Math.max(0, start < 0 ? start + n : start));
  const e = Math.min(n, Math.max(s, end === undefined ? n : end < 0 ? end + n : end));
  return apply(sliceP, [x], { axis: a, start: s, end: e, size: n });
}

/** Join tensors along an existing `axis` (default 0); shapes must agree elsewhere. */
export function concat(xs: Tensor[], axis = 0): Tensor {
  if (!Array.isArray(xs) || xs.length === 0) fail('concat: needs a non-empty array of tensors');
  const ts = xs.map((x) => asTensor(x, 'concat'));
  const nd = ts[0].ndim;
  if (nd === 0) fail('concat: cannot join 0-d tensors; reshape them to [1] first');
  const [a] = normAxes('concat', axis, nd);
  for (const t of ts) {
    if (t.ndim !== nd || t.shape.some((d, i) => i !== a && d !== ts[0].shape[i])) {
      fail(`concat: shapes ${ts.map((u) => fmtShape(u.shape)).join(', ')} differ outside axis ${a}`);
    }
  }
  if (ts.length === 1) return ts[0];
  return apply(concatP, ts, { axis: a });
}

/** Indexing primitives (ad/custom.ts applies slice and concat directly). */
export const indexingPrimitives = { take: takeP, indexAdd: indexAddP, slice: sliceP, pad: padP, concat: concatP };
