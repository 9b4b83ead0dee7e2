// The matmul kernel as it was before the WebAssembly one (engine/kernels.ts at 8885ef5), for before/after runs in one process.
/* eslint-disable prefer-spread, @typescript-eslint/no-use-before-define, @typescript-eslint/no-unnecessary-type-assertion -- a frozen copy: kept as it was, so that before/after runs compare the old code itself */
/**
 * Raw math on flat typed arrays in row-major order. No tensors, no graph:
 * every function here takes arrays and shapes and writes a result array.
 */
import type { Shape } from '../../engine/shape';
import { sizeOf, stridesOf } from '../../engine/shape';

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
export function map2(f: (a: number, b: number) => number, a: Arr, aShape: Shape, b: Arr, bShape: Shape, outShape: Shape, out: Arr): Arr {
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
export function mapN(f: (...xs: number[]) => number, xs: Arr[], shapes: Shape[], outShape: Shape, out: Arr): Arr {
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
export function reduce(kind: ReduceKind, x: Arr, shape: Shape, axes: readonly number[], out: Arr): Int32Array | null {
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

// ---- matrix product ------------------------------------------------------------------

/** Depth of one pass over k: a KC×4 panel of A and of B (8 KB each) stay in L1. */
const KC = 256;
/** Rows of A packed at a time (MC×KC, 256 KB: L2). */
const MC = 128;
/** Columns of B packed at a time (KC×NC, 2 MB at most). */
const NC = 1024;
/** Below this many multiply-adds packing does not pay: a plain loop, same summation order per pass. */
const SMALL = 32 * 32 * 32;

let packA = new Float64Array(0);
let packB = new Float64Array(0);
let acc = new Float64Array(0);

/**
 * C[m×n] = A[m×k] · B[k×n], row-major, float64 or float32 arrays (mixed is fine).
 *
 * Blocked and packed (the GotoBLAS scheme): B in KC×NC blocks and A in MC×KC
 * blocks are copied into panels of 4 columns / 4 rows, contiguous along k,
 * and a 4×4 block of C is computed in 16 local accumulators (registers).
 * Sums are in float64 and rounded once when C is float32.
 *
 * NOTE: the summation order is fixed by the shapes alone: each C[i][j] is
 * Σ over k in passes of KC, each pass summed in increasing k from 0 and added
 * to the running total. It does not depend on timing or on how many threads
 * (none yet) share the work, so results are reproducible bit for bit.
 */
export function matmul(a: Arr, b: Arr, m: number, k: number, n: number, out: Arr): Arr {
  // accumulate in float64: `out` itself when it is float64, a scratch array otherwise
  const f64 = out instanceof Float64Array;
  if (!f64 && acc.length < m * n) acc = new Float64Array(m * n);
  const c = f64 ? (out as Float64Array) : acc;
  c.fill(0, 0, m * n);
  if (m * n * k < SMALL || m < 4 || n < 4) matmulSmall(a, b, m, k, n, c);
  else matmulPacked(a, b, m, k, n, c);
  if (!f64) for (let i = 0; i < m * n; i++) out[i] = c[i];
  return out;
}

/** c += a·b with the same per-pass order as the packed path (passes of KC along k). */
function matmulSmall(a: Arr, b: Arr, m: number, k: number, n: number, c: Float64Array): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let total = 0;
      for (let k0 = 0; k0 < k; k0 += KC) {
        const k1 = Math.min(k, k0 + KC);
        let s = 0;
        for (let p = k0; p < k1; p++) s += a[i * k + p] * b[p * n + j];
        total += s;
      }
      c[i * n + j] = total;
    }
  }
}

function matmulPacked(a: Arr, b: Arr, m: number, k: number, n: number, c: Float64Array): void {
  const ncMax = Math.min(NC, roundUp4(n));
  const mcMax = Math.min(MC, roundUp4(m));
  if (packB.length < KC * ncMax) packB = new Float64Array(KC * ncMax);
  if (packA.length < KC * mcMax) packA = new Float64Array(KC * mcMax);
  const pb = packB;
  const pa = packA;
  for (let j0 = 0; j0 < n; j0 += NC) {
    const nc = Math.min(NC, n - j0);
    for (let k0 = 0; k0 < k; k0 += KC) {
      const kc = Math.min(KC, k - k0);
      packPanelsB(b, n, k0, kc, j0, nc, pb);
      for (let i0 = 0; i0 < m; i0 += MC) {
        const mc = Math.min(MC, m - i0);
        packPanelsA(a, k, i0, mc, k0, kc, pa);
        for (let ii = 0; ii < mc; ii += 4) {
          for (let jj = 0; jj < nc; jj += 4) {
            kernel4x4(pa, ii * kc, pb, jj * kc, kc, c, (i0 + ii) * n + j0 + jj, n, Math.min(4, mc - ii), Math.min(4, nc - jj));
          }
        }
      }
    }
  }
}

function roundUp4(x: number): number {
  return (x + 3) & ~3;
}

/** B[k0:k0+kc, j0:j0+nc] as panels of 4 columns: panel q, row p at out[(q·kc + p)·4 ..], zero-padded. */
function packPanelsB(b: Arr, n: number, k0: number, kc: number, j0: number, nc: number, out: Float64Array): void {
  for (let jj = 0; jj < nc; jj += 4) {
    const w = Math.min(4, nc - jj);
    let o = jj * kc;
    let src = k0 * n + j0 + jj;
    if (w === 4) {
      for (let p = 0; p < kc; p++, o += 4, src += n) {
        out[o] = b[src];
        out[o + 1] = b[src + 1];
        out[o + 2] = b[src + 2];
        out[o + 3] = b[src + 3];
      }
    } else {
      for (let p = 0; p < kc; p++, o += 4, src += n) {
        for (let q = 0; q < 4; q++) out[o + q] = q < w ? b[src + q] : 0;
      }
    }
  }
}

/** A[i0:i0+mc, k0:k0+kc] as panels of 4 rows: panel r, column p at out[(r·kc + p)·4 ..], zero-padded. */
function packPanelsA(a: Arr, k: number, i0: number, mc: number, k0: number, kc: number, out: Float64Array): void {
  for (let ii = 0; ii < mc; ii += 4) {
    const h = Math.min(4, mc - ii);
    const base = ii * kc;
    for (let r = 0; r < 4; r++) {
      if (r < h) {
        const src = (i0 + ii + r) * k + k0;
        for (let p = 0; p < kc; p++) out[base + p * 4 + r] = a[src + p];
      } else {
        for (let p = 0; p < kc; p++) out[base + p * 4 + r] = 0;
      }
    }
  }
}

/** c[4×4 at o, row stride n] += (panel of A at pa) · (panel of B at pb) over kc; only rows×cols are stored. */
function kernel4x4(
  A: Float64Array,
  pa: number,
  B: Float64Array,
  pb: number,
  kc: number,
  c: Float64Array,
  o: number,
  n: number,
  rows: number,
  cols: number,
): void {
  let c00 = 0,
    c01 = 0,
    c02 = 0,
    c03 = 0,
    c10 = 0,
    c11 = 0,
    c12 = 0,
    c13 = 0;
  let c20 = 0,
    c21 = 0,
    c22 = 0,
    c23 = 0,
    c30 = 0,
    c31 = 0,
    c32 = 0,
    c33 = 0;
  for (let p = 0; p < kc; p++, pa += 4, pb += 4) {
    const a0 = A[pa],
      a1 = A[pa + 1],
      a2 = A[pa + 2],
      a3 = A[pa + 3];
    const b0 = B[pb],
      b1 = B[pb + 1],
      b2 = B[pb + 2],
      b3 = B[pb + 3];
    c00 += a0 * b0;
    c01 += a0 * b1;
    c02 += a0 * b2;
    c03 += a0 * b3;
    c10 += a1 * b0;
    c11 += a1 * b1;
    c12 += a1 * b2;
    c13 += a1 * b3;
    c20 += a2 * b0;
    c21 += a2 * b1;
    c22 += a2 * b2;
    c23 += a2 * b3;
    c30 += a3 * b0;
    c31 += a3 * b1;
    c32 += a3 * b2;
    c33 += a3 * b3;
  }
  if (rows === 4 && cols === 4) {
    c[o] += c00;
    c[o + 1] += c01;
    c[o + 2] += c02;
    c[o + 3] += c03;
    o += n;
    c[o] += c10;
    c[o + 1] += c11;
    c[o + 2] += c12;
    c[o + 3] += c13;
    o += n;
    c[o] += c20;
    c[o + 1] += c21;
    c[o + 2] += c22;
    c[o + 3] += c23;
    o += n;
    c[o] += c30;
    c[o + 1] += c31;
    c[o + 2] += c32;
    c[o + 3] += c33;
    return;
  }
  const r0 = [c00, c01, c02, c03];
  const r1 = [c10, c11, c12, c13];
  const r2 = [c20, c21, c22, c23];
  const r3 = [c30, c31, c32, c33];
  const rs = [r0, r1, r2, r3];
  for (let r = 0; r < rows; r++, o += n) for (let q = 0; q < cols; q++) c[o + q] += rs[r][q];
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
