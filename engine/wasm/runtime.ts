/**
 * Runs the WebAssembly matmul of ./gemm.ts: one module compiled at first use,
 * one WebAssembly.Memory grown as needed (never shrunk, so a large product
 * goes through in blocks of rows: see BLOCK_BYTES): operands copied in
 * (TypedArray.set), packed there by the module, the product copied back out.
 */
import { wasmApi, type WasmMemory } from './api';
import { F32_SHAPE, F64_SHAPE, gemmModuleBytes, nrOf, type KernelShape } from './gemm';
import { gemmSplit } from './threads';

type Arr = Float64Array | Float32Array;

interface Gemm {
  (pa: number, pb: number, pc: number, i0: number, i1: number, np: number, kp: number, ldc: number): void;
}

interface Pack {
  (src: number, dst: number, d: number, k: number, ls: number, ps: number, w: number): void;
}

interface State {
  module: object;
  memory: WasmMemory;
  gemm32: Gemm;
  gemm64: Gemm;
  pack32: Pack;
  pack64: Pack;
  f32: Float32Array;
  f64: Float64Array;
}

let state: State | null | undefined; // undefined: not tried yet; null: unavailable

/** Kernel shapes in use. */
const shapes = { f32: F32_SHAPE, f64: F64_SHAPE };

function init(): State | null {
  try {
    const W = wasmApi;
    if (!W) return null;
    // shared (so a helper thread can work on it too), up to 4 GB (address space only)
    const memory = new W.Memory({ initial: 1, maximum: 65536, shared: true });
    const module = new W.Module(gemmModuleBytes(shapes.f32, shapes.f64, true));
    const inst = new W.Instance(module, { e: { m: memory } });
    const ex = inst.exports as unknown as { gemm32: Gemm; gemm64: Gemm; pack32: Pack; pack64: Pack };
    return {
      module,
      memory,
      gemm32: ex.gemm32,
      gemm64: ex.gemm64,
      pack32: ex.pack32,
      pack64: ex.pack64,
      f32: new Float32Array(memory.buffer),
      f64: new Float64Array(memory.buffer),
    };
  } catch {
    return null; // no WebAssembly or no SIMD (e.g. node --jitless): callers use the JavaScript kernels
  }
}

let enabled = true;
/** Products of at least this many multiply-adds are split between two threads (when threads = 2). */
const SPLIT_MIN = 1 << 20;
let threads = defaultThreads();

/**
 * 2 (this thread and one helper worker) where at least two CPUs are available,
 * else 1; GRADLAB_THREADS=1 in the environment keeps everything on one thread.
 * Measured on 2 shared vCPUs (bench/kernels/threads.ts, w2.ts): W2-like step
 * 8-13% faster under load 4, 256×784·784×256 f32 up to 1.35×; same bits.
 */
function defaultThreads(): number {
  const proc = (
    globalThis as {
      process?: { env?: Record<string, string | undefined>; getBuiltinModule?: (id: string) => unknown };
    }
  ).process;
  if (proc?.env?.GRADLAB_THREADS === '1') return 1;
  const os = proc?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number } | undefined;
  return (os?.availableParallelism?.() ?? 1) >= 2 ? 2 : 1;
}

/**
 * Threads for large products: 1, or 2 (this one and a helper worker). Results
 * are the same bits either way. @internal
 */
export function setThreads(n: number): void {
  threads = n >= 2 ? 2 : 1;
}

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

/** @internal For tests: bytes of WebAssembly memory held now (0 before the first product). */
export function wasmMemoryBytes(): number {
  return state ? state.memory.buffer.byteLength : 0;
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
 * Bytes of op(A) as given, packed, and its rows of C, above which a product of
 * a row-major A goes through in blocks of rows. The memory never shrinks, so
 * without a bound it kept two copies of the largest A ever multiplied for the
 * life of the process: a tslab kernel held 10 MB after notebook 6's decision
 * regions (6400×100 · 100×3), a forward pass over a whole data set far more.
 * A block is a whole number of the driver's own row groups (KernelShape.mb
 * panels), so B is streamed as often as without blocks. A stored Aᵀ (the
 * weight gradient of a batch, repeated at every step) is not blocked.
 */
const BLOCK_BYTES = 2 << 20;

/**
 * out[m×n] = op(A)·op(B) where element (i, p) of op(A) is a[i·ars + p·acs] and
 * element (p, j) of op(B) is b[p·brs + j·bcs] (so row-major A is ars = k, acs = 1,
 * and a row-major Aᵀ stored k×m is ars = 1, acs = m). `out` decides the dtype;
 * operands of the other dtype are converted while packing. m, k, n ≥ 1.
 * B is packed once; a row-major A goes through in blocks of row panels when its
 * part would take more than BLOCK_BYTES (each C entry is computed the same way: same bits).
 */
export function wasmGemm(a: Arr, ars: number, acs: number, b: Arr, brs: number, bcs: number, m: number, k: number, n: number, out: Arr): Arr {
  const s = state === undefined ? (state = init()) : state;
  if (!s) throw new Error('WebAssembly kernels unavailable');
  const f32 = out instanceof Float32Array;
  const sh: KernelShape = f32 ? shapes.f32 : shapes.f64;
  const { es, mr, u, mb } = sh;
  const nr = nrOf(sh);
  const mp = Math.ceil(m / mr);
  const np = Math.ceil(n / nr);
  const kp = roundUp(k, u);
  const ldcE = np * nr; // elements per row of C
  // row panels per block: all, or a multiple of mb that fits BLOCK_BYTES (at least mb)
  const fit = Math.floor(BLOCK_BYTES / (es * mr * (k + kp + ldcE)));
  const bp = ars === k && acs === 1 ? Math.min(mp, Math.max(mb, fit - (fit % mb))) : mp;
  // regions (element offsets, each 64-byte aligned): B as given, packed B, a block of A as given, packed, its C
  const per = 64 / es;
  const ob = 0;
  const opb = roundUp(ob + k * n, per);
  const oa = roundUp(opb + np * nr * kp, per);
  const opa = roundUp(oa + bp * mr * k, per);
  const oc = roundUp(opa + bp * mr * kp, per);
  ensureBytes(s, (oc + bp * mr * ldcE) * es);
  const v = f32 ? s.f32 : s.f64;
  // copy B in (converting a dtype that differs from out's), zero what packing leaves as padding
  v.set(b.length === k * n ? b : b.subarray(0, k * n), ob);
  if (n % nr !== 0 || k !== kp) v.fill(0, opb + (np - 1) * nr * kp, opb + np * nr * kp);
  const pack = f32 ? s.pack32 : s.pack64;
  pack(ob * es, opb * es, n, k, bcs * es, brs * es, nr);
  const split = threads > 1 && m * k * n >= SPLIT_MIN;
  for (let p0 = 0; p0 < mp; p0 += bp) {
    const i0 = p0 * mr;
    const rows = Math.min(m, i0 + bp * mr) - i0;
    const mpb = Math.ceil(rows / mr);
    // rows [i0, i0 + rows) of A (a block is row-major, so the strides hold for it too)
    v.set(bp === mp ? (a.length === m * k ? a : a.subarray(0, m * k)) : a.subarray(i0 * k, (i0 + rows) * k), oa);
    if (rows % mr !== 0 || k !== kp) v.fill(0, opa + (mpb - 1) * mr * kp, opa + mpb * mr * kp);
    v.fill(0, oc, oc + mpb * mr * ldcE);
    pack(oa * es, opa * es, rows, k, ars * es, acs * es, mr);
    gemmSplit(f32 ? s.gemm32 : s.gemm64, !f32, s.module, s.memory, split, opa * es, opb * es, oc * es, mpb, np, kp, ldcE * es);
    if (ldcE === n) {
      out.set(v.subarray(oc, oc + rows * n), i0 * n);
    } else {
      for (let i = 0; i < rows; i++) out.set(v.subarray(oc + i * ldcE, oc + i * ldcE + n), (i0 + i) * n);
    }
  }
  return out;
}
