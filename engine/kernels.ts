/**
 * Raw math on flat typed arrays in row-major order. No tensors, no graph:
 * every function here takes arrays and shapes and writes a result array.
 */
import type { Shape } from './shape';
import { sizeOf, stridesOf } from './shape';

export type DType = 'float64' | 'float32';
export type Arr = Float64Array | Float32Array;

export function alloc(dtype: DType, n: number): Arr {
  return dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
}

/** Strides of `shape` seen as broadcast to `outShape` (0 along broadcast dimensions). */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const st = stridesOf(shape);
  const out = new Array<number>(outShape.length).fill(0);
  const off = outShape.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[off + i] = shape[i] === 1 ? 0 : st[i];
  return out;
}

/** y[i] = f(x[i]) */
export function map1(f: (x: number) => number, x: Arr, out: Arr): Arr {
  for (let i = 0; i < out.length; i++) out[i] = f(x[i]);
  return out;
}

/**
 * out = f(a, b) elementwise with NumPy broadcasting. Contiguous same-shape and
 * scalar operands take a flat loop; everything else walks the output with an
 * odometer over broadcast strides.
 */
export function map2(
  f: (a: number, b: number) => number,
  a: Arr, aShape: Shape, b: Arr, bShape: Shape, outShape: Shape, out: Arr,
): Arr {
  const n = out.length;
  if (a.length === n && b.length === n) {
    for (let i = 0; i < n; i++) out[i] = f(a[i], b[i]);
    return out;
  }
  if (b.length === 1 && a.length === n) {
    const bv = b[0];
    for (let i = 0; i < n; i++) out[i] = f(a[i], bv);
    return out;
  }
  if (a.length === 1 && b.length === n) {
    const av = a[0];
    for (let i = 0; i < n; i++) out[i] = f(av, b[i]);
    return out;
  }
  return mapN(f as (...xs: number[]) => number, [a, b], [aShape, bShape], outShape, out);
}

/** out = f(x0, x1, ...) elementwise with broadcasting, for any number of operands. */
export function mapN(
  f: (...xs: number[]) => number, xs: Arr[], shapes: Shape[], outShape: Shape, out: Arr,
): Arr {
  const nd = outShape.length;
  const n = out.length;
  if (n === 0) return out;
  const k = xs.length;
  if (nd === 0) {
    out[0] = f(...xs.map((x) => x[0]));
    return out;
  }
  const st = shapes.map((s) => broadcastStrides(s, outShape));
  const off = new Array<number>(k).fill(0);
  const idx = new Array<number>(nd).fill(0);
  const args = new Array<number>(k);
  const last = nd - 1;
  const inner = outShape[last];
  const innerSt = st.map((s) => s[last]);
  let o = 0;
  while (o < n) {
    for (let j = 0; j < inner; j++) {
      for (let q = 0; q < k; q++) args[q] = xs[q][off[q] + j * innerSt[q]];
      out[o++] = f.apply(null, args);
    }
    // advance the odometer over the outer dimensions
    let d = last - 1;
    for (; d >= 0; d--) {
      idx[d]++;
      for (let q = 0; q < k; q++) off[q] += st[q][d];
      if (idx[d] < outShape[d]) break;
      for (let q = 0; q < k; q++) off[q] -= st[q][d] * outShape[d];
      idx[d] = 0;
    }
    if (d < 0) break;
  }
  return out;
}

/** Copy `x` broadcast to `outShape`. */
export function broadcastTo(x: Arr, shape: Shape, outShape: Shape, out: Arr): Arr {
  return mapN(identity, [x], [shape], outShape, out);
}
const identity = (v: number) => v;

export type ReduceKind = 'sum' | 'max' | 'min';

/**
 * Reduce `x` over `axes`. For max/min also returns, per output element, the
 * flat input index of the chosen element.
 * NOTE: on ties max/min pick the first occurrence in row-major order; a NaN
 * wins over any number (it propagates).
 */
export function reduce(
  kind: ReduceKind, x: Arr, shape: Shape, axes: readonly number[], out: Arr,
): Int32Array | null {
  const nd = shape.length;
  const n = x.length;
  // output strides per input dimension (0 on reduced axes)
  const keptShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const ost = broadcastStrides(keptShape, shape).map((s, i) => (axes.includes(i) ? 0 : s));
  // broadcastStrides gives 0 for size-1 kept dims too, which is right (single index).
  if (kind === 'sum') {
    out.fill(0);
  } else {
    out.fill(kind === 'max' ? -Infinity : Infinity);
  }
  const arg = kind === 'sum' ? null : new Int32Array(out.length).fill(-1);
  if (n === 0) return arg;
  if (nd === 0) {
    out[0] = x[0];
    if (arg) arg[0] = 0;
    return arg;
  }
  const idx = new Array<number>(nd).fill(0);
  let o = 0;
  const last = nd - 1;
  const inner = shape[last];
  const ist = ost[last];
  let i = 0;
  while (i < n) {
    if (kind === 'sum') {
      if (ist === 0) {
        let acc = out[o];
        for (let j = 0; j < inner; j++) acc += x[i + j];
        out[o] = acc;
      } else {
        for (let j = 0; j < inner; j++) out[o + j * ist] += x[i + j];
      }
    } else {
      const isMax = kind === 'max';
      for (let j = 0; j < inner; j++) {
        const q = o + j * ist;
        const v = x[i + j];
        const cur = out[q];
        if (arg![q] < 0 || (isMax ? v > cur : v < cur) || (v !== v && cur === cur)) {
          out[q] = v;
          arg![q] = i + j;
        }
      }
    }
    i += inner;
    let d = last - 1;
    for (; d >= 0; d--) {
      idx[d]++;
      o += ost[d];
      if (idx[d] < shape[d]) break;
      o -= ost[d] * shape[d];
      idx[d] = 0;
    }
    if (d < 0) break;
  }
  return arg;
}

/**
 * C[m×n] = A[m×k] · B[k×n]. Row-major, i-k-j loop order so the inner loop
 * streams rows of B and C; blocked over k so a panel of B stays in cache.
 */
export function matmul(a: Arr, b: Arr, m: number, k: number, n: number, out: Arr): Arr {
  out.fill(0);
  const KB = 256;
  for (let k0 = 0; k0 < k; k0 += KB) {
    const k1 = Math.min(k, k0 + KB);
    for (let i = 0; i < m; i++) {
      const ci = i * n;
      const ai = i * k;
      for (let p = k0; p < k1; p++) {
        const av = a[ai + p];
        if (av === 0) continue;
        const bp = p * n;
        for (let j = 0; j < n; j++) out[ci + j] += av * b[bp + j];
      }
    }
  }
  return out;
}

/** Permute dimensions: out has shape `shape[axes[i]]`. */
export function transpose(x: Arr, shape: Shape, axes: readonly number[], out: Arr): Arr {
  const nd = shape.length;
  if (nd === 2 && axes[0] === 1) {
    const r = shape[0];
    const c = shape[1];
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = x[i * c + j];
    return out;
  }
  const outShape = axes.map((a) => shape[a]);
  const st = stridesOf(shape);
  const pst = axes.map((a) => st[a]);
  return mapStrided(x, pst, outShape, out);
}

/** out[flat] = x[offset given by strides `st` over `outShape`]. */
function mapStrided(x: Arr, st: readonly number[], outShape: Shape, out: Arr): Arr {
  const nd = outShape.length;
  const n = out.length;
  if (n === 0) return out;
  if (nd === 0) {
    out[0] = x[0];
    return out;
  }
  const idx = new Array<number>(nd).fill(0);
  let off = 0;
  let o = 0;
  const last = nd - 1;
  while (o < n) {
    for (let j = 0; j < outShape[last]; j++) out[o++] = x[off + j * st[last]];
    let d = last - 1;
    for (; d >= 0; d--) {
      idx[d]++;
      off += st[d];
      if (idx[d] < outShape[d]) break;
      off -= st[d] * outShape[d];
      idx[d] = 0;
    }
    if (d < 0) break;
  }
  return out;
}

/** Split `shape` around `axis` into (outer, length, inner) block sizes. */
export function around(shape: Shape, axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis], sizeOf(shape.slice(axis + 1))];
}

/** Select entries `idx` along `axis`. */
export function take(x: Arr, shape: Shape, idx: Int32Array, axis: number, out: Arr): Arr {
  const [outer, len, inner] = around(shape, axis);
  const m = idx.length;
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < m; r++) {
      const src = (o * len + idx[r]) * inner;
      const dst = (o * m + r) * inner;
      for (let j = 0; j < inner; j++) out[dst + j] = x[src + j];
    }
  }
  return out;
}

/** The adjoint of take: add the rows of `g` into a zero tensor of `outShape` at `idx` (repeats add up). */
export function indexAdd(g: Arr, idx: Int32Array, axis: number, outShape: Shape, out: Arr): Arr {
  out.fill(0);
  const [outer, len, inner] = around(outShape, axis);
  const m = idx.length;
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < m; r++) {
      const dst = (o * len + idx[r]) * inner;
      const src = (o * m + r) * inner;
      for (let j = 0; j < inner; j++) out[dst + j] += g[src + j];
    }
  }
  return out;
}

/** Entries [start, end) along `axis`. */
export function slice(x: Arr, shape: Shape, axis: number, start: number, end: number, out: Arr): Arr {
  const [outer, len, inner] = around(shape, axis);
  const m = end - start;
  for (let o = 0; o < outer; o++) {
    const src = (o * len + start) * inner;
    out.set(x.subarray(src, src + m * inner), o * m * inner);
  }
  return out;
}

/** Zero-pad `before` and `after` entries along `axis` (the adjoint of slice). */
export function pad(x: Arr, shape: Shape, axis: number, before: number, after: number, out: Arr): Arr {
  const [outer, len, inner] = around(shape, axis);
  const m = len + before + after;
  out.fill(0);
  for (let o = 0; o < outer; o++) {
    out.set(x.subarray(o * len * inner, (o + 1) * len * inner), (o * m + before) * inner);
  }
  return out;
}

/** Concatenate along `axis`; all shapes agree elsewhere. */
export function concat(xs: Arr[], shapes: Shape[], axis: number, out: Arr): Arr {
  const outer = sizeOf(shapes[0].slice(0, axis));
  const inner = sizeOf(shapes[0].slice(axis + 1));
  const total = shapes.reduce((s, sh) => s + sh[axis], 0);
  let at = 0;
  for (let q = 0; q < xs.length; q++) {
    const len = shapes[q][axis];
    for (let o = 0; o < outer; o++) {
      out.set(xs[q].subarray(o * len * inner, (o + 1) * len * inner), (o * total + at) * inner);
    }
    at += len;
  }
  return out;
}
