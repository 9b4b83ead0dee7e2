/**
 * Runs the WebAssembly matmul of ./gemm.ts: one module compiled at first use,
 * one WebAssembly.Memory grown as needed (never shrunk), operands packed into
 * it from JavaScript and the product copied back out.
 */
import { wasmApi, type WasmMemory } from './api';
import { F32_SHAPE, F64_SHAPE, gemmModuleBytes, nrOf, type KernelShape } from './gemm';

type Arr = Float64Array | Float32Array;

interface Gemm {
  (pa: number, pb: number, pc: number, i0: number, i1: number, np: number, kp: number, ldc: number): void;
}

interface State {
  memory: WasmMemory;
  gemm32: Gemm;
  gemm64: Gemm;
  f32: Float32Array;
  f64: Float64Array;
}

let state: State | null | undefined; // undefined: not tried yet; null: unavailable

/** Kernel shapes in use (tests and benches may read them). */
export const shapes = { f32: F32_SHAPE, f64: F64_SHAPE };

function init(): State | null {
  try {
    const W = wasmApi;
    if (!W) return null;
    const memory = new W.Memory({ initial: 1 });
    const module = new W.Module(gemmModuleBytes(shapes.f32, shapes.f64));
    const inst = new W.Instance(module, { e: { m: memory } });
    const ex = inst.exports as unknown as { gemm32: Gemm; gemm64: Gemm };
    return {
      memory, gemm32: ex.gemm32, gemm64: ex.gemm64,
      f32: new Float32Array(memory.buffer), f64: new Float64Array(memory.buffer),
    };
  } catch {
    return null; // no WebAssembly or no SIMD (e.g. node --jitless): callers use the JavaScript kernels
  }
}

let enabled = true;

/** True when the WebAssembly kernels can run here (and are not switched off). */
export function wasmAvailable(): boolean {
  if (state === undefined) state = init();
  return enabled && state !== null;
}

/**
 * Switch the WebAssembly kernels off (the JavaScript ones then run at every size)
 * or back on. For tests and benchmarks: both paths give the same bits.
 * @internal
 */
export function setWasmEnabled(on: boolean): void {
  enabled = on;
}

function ensureBytes(s: State, bytes: number): void {
  const have = s.memory.buffer.byteLength;
  if (have >= bytes) return;
  s.memory.grow(Math.ceil((bytes - have) / 65536));
  s.f32 = new Float32Array(s.memory.buffer);
  s.f64 = new Float64Array(s.memory.buffer);
}

const roundUp = (x: number, q: number) => Math.ceil(x / q) * q;

/**
 * out[m×n] = op(A)·op(B) where element (i, p) of op(A) is a[i·ars + p·acs] and
 * element (p, j) of op(B) is b[p·brs + j·bcs] (so row-major A is ars = k, acs = 1,
 * and a row-major Aᵀ stored k×m is ars = 1, acs = m). `out` decides the dtype;
 * operands of the other dtype are converted while packing. m, k, n ≥ 1.
 */
export function wasmGemm(
  a: Arr, ars: number, acs: number, b: Arr, brs: number, bcs: number,
  m: number, k: number, n: number, out: Arr,
): Arr {
  const s = state === undefined ? (state = init()) : state;
  if (!s) throw new Error('WebAssembly kernels unavailable');
  const f32 = out instanceof Float32Array;
  const sh: KernelShape = f32 ? shapes.f32 : shapes.f64;
  const { es, mr, u } = sh;
  const nr = nrOf(sh);
  const mp = Math.ceil(m / mr);
  const np = Math.ceil(n / nr);
  const kp = roundUp(k, u);
  const ldcE = np * nr; // elements per row of C
  // element offsets, each 64-byte aligned
  const aLen = mp * mr * kp;
  const bLen = np * nr * kp;
  const cLen = mp * mr * ldcE;
  const per = 64 / es;
  const oa = 0;
  const ob = roundUp(oa + aLen, per);
  const oc = roundUp(ob + bLen, per);
  ensureBytes(s, (oc + cLen) * es);
  const v = f32 ? s.f32 : s.f64;
  if (m % mr !== 0 || k !== kp) v.fill(0, oa, oa + aLen);
  if (n % nr !== 0 || k !== kp) v.fill(0, ob, ob + bLen);
  v.fill(0, oc, oc + cLen);
  packA(a, ars, acs, m, k, kp, mr, v, oa);
  packB(b, brs, bcs, k, n, kp, nr, v, ob);
  (f32 ? s.gemm32 : s.gemm64)(oa * es, ob * es, oc * es, 0, mp, np, kp, ldcE * es);
  if (ldcE === n) {
    out.set(v.subarray(oc, oc + m * n));
  } else {
    for (let i = 0; i < m; i++) out.set(v.subarray(oc + i * ldcE, oc + i * ldcE + n), i * n);
  }
  return out;
}

/** Panels of mr rows of op(A), k-major inside a panel (see ./gemm.ts); padding left as is (zeroed by the caller). */
function packA(a: Arr, ars: number, acs: number, m: number, k: number, kp: number, mr: number, v: Arr, off: number): void {
  for (let i0 = 0; i0 < m; i0 += mr) {
    const h = Math.min(mr, m - i0);
    const base = off + i0 * kp; // = panel (i0/mr) · kp · mr
    if (acs === 1) {
      for (let r = 0; r < h; r++) {
        const src = (i0 + r) * ars;
        for (let p = 0, d = base + r; p < k; p++, d += mr) v[d] = a[src + p];
      }
    } else if (h === mr && mr === 4) {
      for (let p = 0, d = base, src = i0 * ars; p < k; p++, d += 4, src += acs) {
        v[d] = a[src];
        v[d + 1] = a[src + ars];
        v[d + 2] = a[src + 2 * ars];
        v[d + 3] = a[src + 3 * ars];
      }
    } else {
      for (let p = 0; p < k; p++) {
        const d = base + p * mr;
        const src = i0 * ars + p * acs;
        for (let r = 0; r < h; r++) v[d + r] = a[src + r * ars];
      }
    }
  }
}

/** Panels of nr columns of op(B), k-major inside a panel. */
function packB(b: Arr, brs: number, bcs: number, k: number, n: number, kp: number, nr: number, v: Arr, off: number): void {
  for (let j0 = 0; j0 < n; j0 += nr) {
    const w = Math.min(nr, n - j0);
    const base = off + j0 * kp;
    if (bcs === 1) {
      for (let p = 0; p < k; p++) {
        const d = base + p * nr;
        const src = p * brs + j0;
        for (let j = 0; j < w; j++) v[d + j] = b[src + j];
      }
    } else {
      for (let j = 0; j < w; j++) {
        const src = (j0 + j) * bcs;
        for (let p = 0, d = base + j; p < k; p++, d += nr) v[d] = b[src + p * brs];
      }
    }
  }
}
