/**
 * Raw math on flat typed arrays in row-major order. No tensors, no graph:
 * every function here takes arrays and shapes and writes a result array.
 */
import type { Shape } from './shape';
import { sizeOf, stridesOf } from './shape';
import { wasmAvailable, wasmGemm } from './wasm/runtime';

export type DType = 'float64' | 'float32';
export type Arr = Float64Array | Float32Array;

export function alloc(dtype: DType, n: number): Arr {
  return dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
}

/** Strides of `shape` seen as broadcast to `outShape` (0 along broadcast dimensions). */
function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const st = stridesOf(shape);
  const out = new Array<number>(outShape.length).fill(0);
  const off = outShape.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[off + i] = shape[i] === 1 ? 0 : st[i];
  return out;
}

type F1 = (x: number) => number;
type F2 = (a: number, b: number) => number;
type Loop1 = (f: F1, x: Arr, out: Arr, n: number) => void;
type Loop2 = (f: F2, a: Arr, b: Arr, out: Arr, rows: number, len: number, sar: number, sac: number, sbr: number, sbc: number) => void;

const LOOP1 = `(function map1Loop(f, x, out, n) {
  for (let i = 0; i < n; i++) out[i] = f(x[i]);
})`;
/** out[r·len + j] = f(a[r·sar + j·sac], b[r·sbr + j·sbc]): every two-operand case with ≤ 2 merged dimensions. */
const LOOP2 = `(function map2Loop(f, a, b, out, rows, len, sar, sac, sbr, sbc) {
  let o = 0;
  for (let r = 0; r < rows; r++) {
    let ia = r * sar, ib = r * sbr;
    for (let j = 0; j < len; j++, ia += sac, ib += sbc) out[o++] = f(a[ia], b[ib]);
  }
})`;
/** The same loops, compiled once (used where code generation from strings is disabled). */
function sharedLoop1(f: F1, x: Arr, out: Arr, n: number): void {
  for (let i = 0; i < n; i++) out[i] = f(x[i]);
}
function sharedLoop2(f: F2, a: Arr, b: Arr, out: Arr, rows: number, len: number, sar: number, sac: number, sbr: number, sbc: number): void {
  let o = 0;
  for (let r = 0; r < rows; r++) {
    let ia = r * sar,
      ib = r * sbr;
    for (let j = 0; j < len; j++, ia += sac, ib += sbc) out[o++] = f(a[ia], b[ib]);
  }
}
const loops1 = new Map<F1, Loop1>();
const loops2 = new Map<F2, Loop2>();
let loopCount = 0;

/**
 * The loop for `f`: a copy of `src` of its own. V8 keeps call-site feedback per
 * function source, so one loop shared by every op sees dozens of `f`s and inlines
 * none; a copy per `f` (the engine's ops are a few dozen fixed functions) sees one
 * and inlines it (a 200K-element sub: 3.2 → 0.6 ms). Same calls in the same order,
 * so the same results. Where code generation from strings is disabled, the shared copy.
 */
function loopFor<F, L>(cache: Map<F, L>, f: F, src: string, shared: L): L {
  let l = cache.get(f);
  if (l === undefined) {
    try {
      // a distinct source each time: V8 caches compiled sources, and identical ones would share feedback again
      // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the loop's own source compiled again per `f` (above): a measured speed feature, not user input
      l = cache.size < 256 ? (new Function(`return ${src} // ${++loopCount}`) as () => L)() : shared;
    } catch {
      l = shared;
    }
    cache.set(f, l);
  }
  return l;
}

/** y[i] = f(x[i]) */
export function map1(f: F1, x: Arr, out: Arr): Arr {
  loopFor(loops1, f, LOOP1, sharedLoop1)(f, x, out, out.length);
  return out;
}

/**
 * out = f(a, b) elementwise with NumPy broadcasting. Dimensions along which both
 * operands are contiguous (or both broadcast) are merged; when at most two remain
 * (same shapes, a scalar, a row or column vector against a matrix, ...) one
 * strided loop specialised for `f` runs; anything else walks the output with an
 * odometer over broadcast strides (mapN). Elements are visited in row-major order.
 */
export function map2(f: F2, a: Arr, aShape: Shape, b: Arr, bShape: Shape, outShape: Shape, out: Arr): Arr {
  const n = out.length;
  if (n === 0) return out;
  const loop = loopFor(loops2, f, LOOP2, sharedLoop2);
  if (a.length === n && b.length === n) {
    loop(f, a, b, out, 1, n, 0, 1, 0, 1);
    return out;
  }
  if (b.length === 1 && a.length === n) {
    loop(f, a, b, out, 1, n, 0, 1, 0, 0);
    return out;
  }
  if (a.length === 1 && b.length === n) {
    loop(f, a, b, out, 1, n, 0, 0, 0, 1);
    return out;
  }
  // merge dimensions from the last one: [size, stride of a, stride of b] per merged dimension
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const dims: [number, number, number][] = [];
  for (let d = outShape.length - 1; d >= 0; d--) {
    const size = outShape[d];
    if (size === 1) continue;
    const cur = dims[dims.length - 1];
    if (cur && sa[d] === cur[1] * cur[0] && sb[d] === cur[2] * cur[0]) {
      // contiguous (or broadcast, stride 0) across the boundary: one dimension, strides of the inner one
      cur[0] *= size;
    } else {
      dims.push([size, sa[d], sb[d]]);
    }
  }
  if (dims.length <= 2) {
    const [len, sac, sbc] = dims[0] ?? [1, 0, 0];
    const [rows, sar, sbr] = dims[1] ?? [1, 0, 0];
    loop(f, a, b, out, rows, len, sar, sac, sbr, sbc);
    return out;
  }
  return mapN(f, [a, b], [aShape, bShape], outShape, out);
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
      // eslint-disable-next-line prefer-spread -- the innermost loop, kept as it was: apply takes the reused array as it is (a spread call goes through the iterator protocol per element)
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

const identity = (v: number) => v;

/** Copy `x` broadcast to `outShape`. */
export function broadcastTo(x: Arr, shape: Shape, outShape: Shape, out: Arr): Arr {
  return mapN(identity, [x], [shape], outShape, out);
}

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

/** Depth of one pass over k (part of the summation order, see `matmul`); also a KC×4 panel stays in L1. */
const KC = 256;
/** Rows of A packed at a time (MC×KC, 256 KB: L2). */
const MC = 128;
/** Columns of B packed at a time (KC×NC, 2 MB at most). */
const NC = 1024;
/** Below this many multiply-adds packing does not pay: a plain loop, same summation order. */
const SMALL = 32 * 32 * 32;
/**
 * From this many multiply-adds on, the WebAssembly SIMD kernel (./wasm/) runs: below it,
 * packing into its memory and copying back cost more than it saves. Measured with
 * bench/kernels/matmul.ts (n×n·n×n, µs, JS/WASM): f32 4: 1.8/3.5, 8: 8.6/3.2;
 * f64 4: 1.1/1.3, 8: 6.0/2.1; the crossing is near 6³.
 */
const WASM_MIN = 256;

let packA = new Float64Array(0);
let packB = new Float64Array(0);
let acc = new Float64Array(0);

/**
 * C[m×n] = A[m×k] · B[k×n], row-major, float64 or float32 arrays (mixed is fine:
 * `out` sets the dtype, and operands of the other dtype are converted to it first).
 *
 * NOTE: the summation order is fixed by the shapes alone, the same on every path
 * (JavaScript or WebAssembly, any blocking, any number of threads):
 *   C[i][j] = Σ over passes of KC = 256 along k, in order, of the pass sum;
 *   a pass sum starts at +0 and adds A[i][p]·B[p][j] in increasing p,
 *   and the running total starts at +0 and adds each pass sum in turn;
 * every product and every addition is rounded to the dtype of `out` (float32
 * arithmetic for float32, as a GPU or BLAS sgemm does; no fused multiply-add).
 * So results are reproducible bit for bit across calls, machines with IEEE
 * arithmetic, and the size thresholds that pick the path.
 *
 * Paths: m·k·n ≥ WASM_MIN runs the WebAssembly SIMD kernel (f32x4 / f64x2,
 * ./wasm/gemm.ts), packing both operands into its memory; smaller products,
 * or runtimes without WebAssembly SIMD, run the JavaScript kernels below.
 */
export function matmul(a: Arr, b: Arr, m: number, k: number, n: number, out: Arr): Arr {
  return gemm(a, k, 1, b, n, 1, m, k, n, out);
}

/** C[m×n] = Aᵀ·B where `a` holds A as k×m row-major (so Aᵀ is m×k), without materialising Aᵀ. Same order as `matmul`. */
export function matmulTN(a: Arr, b: Arr, m: number, k: number, n: number, out: Arr): Arr {
  return gemm(a, 1, m, b, n, 1, m, k, n, out);
}

/** C[m×n] = A·Bᵀ where `b` holds B as n×k row-major (so Bᵀ is k×n), without materialising Bᵀ. Same order as `matmul`. */
export function matmulNT(a: Arr, b: Arr, m: number, k: number, n: number, out: Arr): Arr {
  return gemm(a, k, 1, b, 1, k, m, k, n, out);
}

/** C[m×n] = Aᵀ·Bᵀ where `a` is k×m and `b` is n×k row-major. Same order as `matmul`. */
export function matmulTT(a: Arr, b: Arr, m: number, k: number, n: number, out: Arr): Arr {
  return gemm(a, 1, m, b, 1, k, m, k, n, out);
}

/**
 * out = op(A)·op(B), where op(A)[i][p] = a[i·ars + p·acs] and op(B)[p][j] = b[p·brs + j·bcs].
 */
function gemm(a: Arr, ars: number, acs: number, b: Arr, brs: number, bcs: number, m: number, k: number, n: number, out: Arr): Arr {
  const mnk = m * n * k;
  if (mnk >= WASM_MIN && wasmAvailable()) return wasmGemm(a, ars, acs, b, brs, bcs, m, k, n, out);
  // JavaScript: accumulate in a float64 array (`out` itself when it is float64)
  const f64 = out instanceof Float64Array;
  if (!f64 && acc.length < m * n) acc = new Float64Array(m * n);
  const c = f64 ? out : acc;
  c.fill(0, 0, m * n);
  if (mnk < SMALL || m < 4 || n < 4) {
    if (f64) matmulSmall(a, ars, acs, b, brs, bcs, m, k, n, c);
    else matmulSmall32(a, ars, acs, b, brs, bcs, m, k, n, c);
  } else {
    matmulPacked(a, ars, acs, b, brs, bcs, m, k, n, c, !f64);
  }
  if (!f64) for (let i = 0; i < m * n; i++) out[i] = c[i];
  return out;
}

/** c = op(a)·op(b) in float64, in the documented order (passes of KC along k). */
function matmulSmall(a: Arr, ars: number, acs: number, b: Arr, brs: number, bcs: number, m: number, k: number, n: number, c: Float64Array): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let total = 0;
      for (let k0 = 0; k0 < k; k0 += KC) {
        const k1 = Math.min(k, k0 + KC);
        let s = 0;
        for (let p = k0; p < k1; p++) s += a[i * ars + p * acs] * b[p * brs + j * bcs];
        total += s;
      }
      c[i * n + j] = total;
    }
  }
}

/**
 * The same in float32 arithmetic: every product and sum rounded with Math.fround.
 * (A float64 operation on float32 values rounded to float32 equals the float32
 * operation: double rounding is harmless for +, ×, since 53 ≥ 2·24 + 2.)
 */
function matmulSmall32(a: Arr, ars: number, acs: number, b: Arr, brs: number, bcs: number, m: number, k: number, n: number, c: Float64Array): void {
  const fr = Math.fround;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let total = 0;
      for (let k0 = 0; k0 < k; k0 += KC) {
        const k1 = Math.min(k, k0 + KC);
        let s = 0;
        for (let p = k0; p < k1; p++) s = fr(s + fr(fr(a[i * ars + p * acs]) * fr(b[p * brs + j * bcs])));
        total = fr(total + s);
      }
      c[i * n + j] = total;
    }
  }
}

function matmulPacked(
  a: Arr,
  ars: number,
  acs: number,
  b: Arr,
  brs: number,
  bcs: number,
  m: number,
  k: number,
  n: number,
  c: Float64Array,
  f32: boolean,
): void {
  const ncMax = Math.min(NC, roundUp4(n));
  const mcMax = Math.min(MC, roundUp4(m));
  if (packB.length < KC * ncMax) packB = new Float64Array(KC * ncMax);
  if (packA.length < KC * mcMax) packA = new Float64Array(KC * mcMax);
  const pb = packB;
  const pa = packA;
  const kernel = f32 ? kernel4x4f32 : kernel4x4;
  for (let j0 = 0; j0 < n; j0 += NC) {
    const nc = Math.min(NC, n - j0);
    for (let k0 = 0; k0 < k; k0 += KC) {
      const kc = Math.min(KC, k - k0);
      packPanelsB(b, brs, bcs, k0, kc, j0, nc, pb, f32);
      for (let i0 = 0; i0 < m; i0 += MC) {
        const mc = Math.min(MC, m - i0);
        packPanelsA(a, ars, acs, i0, mc, k0, kc, pa, f32);
        for (let ii = 0; ii < mc; ii += 4) {
          for (let jj = 0; jj < nc; jj += 4) {
            kernel(pa, ii * kc, pb, jj * kc, kc, c, (i0 + ii) * n + j0 + jj, n, Math.min(4, mc - ii), Math.min(4, nc - jj));
          }
        }
      }
    }
  }
}

function roundUp4(x: number): number {
  return (x + 3) & ~3;
}

/** op(B)[k0:k0+kc, j0:j0+nc] as panels of 4 columns: panel q, row p at out[(q·kc + p)·4 ..], zero-padded. */
function packPanelsB(b: Arr, brs: number, bcs: number, k0: number, kc: number, j0: number, nc: number, out: Float64Array, f32: boolean): void {
  const fr = Math.fround;
  for (let jj = 0; jj < nc; jj += 4) {
    const w = Math.min(4, nc - jj);
    let o = jj * kc;
    let src = k0 * brs + (j0 + jj) * bcs;
    if (w === 4 && !f32) {
      for (let p = 0; p < kc; p++, o += 4, src += brs) {
        out[o] = b[src];
        out[o + 1] = b[src + bcs];
        out[o + 2] = b[src + 2 * bcs];
        out[o + 3] = b[src + 3 * bcs];
      }
    } else {
      for (let p = 0; p < kc; p++, o += 4, src += brs) {
        for (let q = 0; q < 4; q++) out[o + q] = q < w ? (f32 ? fr(b[src + q * bcs]) : b[src + q * bcs]) : 0;
      }
    }
  }
}

/** op(A)[i0:i0+mc, k0:k0+kc] as panels of 4 rows: panel r, column p at out[(r·kc + p)·4 ..], zero-padded. */
function packPanelsA(a: Arr, ars: number, acs: number, i0: number, mc: number, k0: number, kc: number, out: Float64Array, f32: boolean): void {
  const fr = Math.fround;
  for (let ii = 0; ii < mc; ii += 4) {
    const h = Math.min(4, mc - ii);
    const base = ii * kc;
    for (let r = 0; r < 4; r++) {
      if (r < h) {
        let src = (i0 + ii + r) * ars + k0 * acs;
        if (f32) for (let p = 0; p < kc; p++, src += acs) out[base + p * 4 + r] = fr(a[src]);
        else for (let p = 0; p < kc; p++, src += acs) out[base + p * 4 + r] = a[src];
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
  store4x4(c, o, n, rows, cols, false, c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33);
}

/** kernel4x4 in float32 arithmetic (the fallback when WebAssembly is unavailable). */
function kernel4x4f32(
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
  const fr = Math.fround;
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
    c00 = fr(c00 + fr(a0 * b0));
    c01 = fr(c01 + fr(a0 * b1));
    c02 = fr(c02 + fr(a0 * b2));
    c03 = fr(c03 + fr(a0 * b3));
    c10 = fr(c10 + fr(a1 * b0));
    c11 = fr(c11 + fr(a1 * b1));
    c12 = fr(c12 + fr(a1 * b2));
    c13 = fr(c13 + fr(a1 * b3));
    c20 = fr(c20 + fr(a2 * b0));
    c21 = fr(c21 + fr(a2 * b1));
    c22 = fr(c22 + fr(a2 * b2));
    c23 = fr(c23 + fr(a2 * b3));
    c30 = fr(c30 + fr(a3 * b0));
    c31 = fr(c31 + fr(a3 * b1));
    c32 = fr(c32 + fr(a3 * b2));
    c33 = fr(c33 + fr(a3 * b3));
  }
  store4x4(c, o, n, rows, cols, true, c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33);
}

/** c[rows×cols block at o] += the pass sums (rounded to float32 when `f32`). */
function store4x4(
  c: Float64Array,
  o: number,
  n: number,
  rows: number,
  cols: number,
  f32: boolean,
  c00: number,
  c01: number,
  c02: number,
  c03: number,
  c10: number,
  c11: number,
  c12: number,
  c13: number,
  c20: number,
  c21: number,
  c22: number,
  c23: number,
  c30: number,
  c31: number,
  c32: number,
  c33: number,
): void {
  if (rows === 4 && cols === 4 && !f32) {
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
  const rs = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
  for (let r = 0; r < rows; r++, o += n) {
    for (let q = 0; q < cols; q++) c[o + q] = f32 ? Math.fround(c[o + q] + rs[r * 4 + q]) : c[o + q] + rs[r * 4 + q];
  }
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
function around(shape: Shape, axis: number): [number, number, number] {
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
