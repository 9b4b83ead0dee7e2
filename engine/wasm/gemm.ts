/**
 * The WebAssembly SIMD matrix product, float32 (f32x4) and float64 (f64x2).
 *
 * Layout (all in one WebAssembly.Memory, byte offsets chosen by the caller):
 * - packed A: ceil(m/MR) panels of MR rows; panel q holds, for p = 0..kp-1, the
 *   MR values A[q·MR + r][p] contiguously (zero rows past m, zero columns past k);
 * - packed B: ceil(n/NR) panels of NR columns; panel q holds, for p = 0..kp-1,
 *   the NR values B[p][q·NR + j] contiguously (zero-padded likewise);
 * - C: ceil(m/MR)·MR rows of ldc bytes, zeroed by the caller, padded to whole panels.
 * kp is k rounded up to a multiple of the unroll factor U; the padding is
 * zeros, and adding +0 to a sum that started at +0 changes nothing.
 *
 * `gemm(pa, pb, pc, i0, i1, np, kp, ldc)` computes the row panels [i0, i1) of C
 * (so threads can split the rows) as passes of KC = 256 along k: for each
 * pass, every MR×NR block of C gets C += (Σ over the pass's p, in increasing
 * p, from +0, of A[i][p]·B[p][j]), one rounding per multiply and per add
 * (no FMA in SIMD128). Each C[i][j] therefore sees the same operations in the
 * same order whatever the blocking, the thread split or the lane it sits in:
 * the order documented on `matmul` in ../kernels.ts.
 */
import { F32x4, F64x2, I32, Mem, T, V128, assemble, brIf, call, get, i32, loop, select, set, tee, type Code, type Func } from './asm';

/** Pass length along k (fixed: it is part of the summation order). */
const KC = 256;

export interface KernelShape {
  /** Bytes per element: 4 (f32x4) or 8 (f64x2). */
  es: 4 | 8;
  /** Rows of the register block. */
  mr: number;
  /** v128 vectors per row of the register block (NR = nv · 16/es columns). */
  nv: number;
  /** Unroll factor of the k loop (kp is a multiple of it). */
  u: number;
  /** Row panels per cache block (A block of mb·mr rows × KC stays in L2). */
  mb: number;
}

/**
 * Measured (bench/kernels/tune.ts): 4 rows × 2 vectors, no unrolling. V8 keeps
 * the 8 accumulators, 2 B vectors and the A broadcasts in xmm registers (it has
 * 15); unrolling or bigger blocks make TurboFan hoist loads and spill
 * accumulators, and the store-to-load latency then sits in every sum's chain
 * (f32: 4x2 u1 ~33 GFLOP/s on a quiet core, u2 ~25, 2x4 ~31, 6x2 and 4x3 lower).
 */
export const F32_SHAPE: KernelShape = { es: 4, mr: 4, nv: 2, u: 1, mb: 32 };
export const F64_SHAPE: KernelShape = { es: 8, mr: 4, nv: 2, u: 1, mb: 32 };

export function nrOf(s: KernelShape): number {
  return s.nv * (16 / s.es);
}

/** micro(a, b, c, kc, ldc): C[mr×NR at c, row stride ldc bytes] += A panel · B panel over kc (a multiple of u). */
function microKernel(s: KernelShape): Func {
  const { es, mr, nv, u } = s;
  const nr = nrOf(s);
  const F = es === 4 ? F32x4 : F64x2;
  const splat = es === 4 ? V128.load32Splat : V128.load64Splat;
  const [A, B, C, KCn, LDC, END, ROW] = [0, 1, 2, 3, 4, 5, 6];
  const acc = (r: number, v: number) => 7 + r * nv + v;
  const bv = (v: number) => 7 + mr * nv + v;
  const av = 7 + mr * nv + nv;
  const step: Code[] = [];
  for (let q = 0; q < u; q++) {
    for (let v = 0; v < nv; v++) step.push(get(B), V128.load((q * nr + v * (16 / es)) * es), set(bv(v)));
    for (let r = 0; r < mr; r++) {
      step.push(get(A), splat((q * mr + r) * es), set(av));
      for (let v = 0; v < nv; v++) step.push(get(acc(r, v)), get(av), get(bv(v)), F.mul, F.add, set(acc(r, v)));
    }
  }
  const store: Code[] = [get(C), set(ROW)];
  for (let r = 0; r < mr; r++) {
    for (let v = 0; v < nv; v++) {
      store.push(get(ROW), get(ROW), V128.load(v * 16), get(acc(r, v)), F.add, V128.store(v * 16));
    }
    if (r < mr - 1) store.push(get(ROW), get(LDC), I32.add, set(ROW));
  }
  return {
    params: [T.i32, T.i32, T.i32, T.i32, T.i32],
    results: [],
    locals: [T.i32, T.i32, ...new Array<number>(mr * nv + nv + 1).fill(T.v128)] as Func['locals'],
    body: [
      get(A),
      get(KCn),
      i32(mr * es),
      I32.mul,
      I32.add,
      set(END),
      loop(step, get(A), i32(u * mr * es), I32.add, set(A), get(B), i32(u * nr * es), I32.add, set(B), get(A), get(END), I32.ltU, brIf(0)),
      store,
    ],
  };
}

/** gemm(pa, pb, pc, i0, i1, np, kp, ldc): row panels [i0, i1) of C, all np column panels. */
function driver(s: KernelShape, name: string, microIndex: number): Func {
  const { es, mr, mb } = s;
  const nr = nrOf(s);
  const [PA, PB, PC, I0, I1, NP, KP, LDC] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [P0, KCl, IB, IE, J, I] = [8, 9, 10, 11, 12, 13];
  // min(x, y) of two code fragments into local `dst`
  const min = (x: Code, y: Code, dst: number): Code => [x, y, x, y, I32.ltU, select, set(dst)];
  return {
    name,
    params: [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32],
    results: [],
    locals: [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32],
    body: [
      i32(0),
      set(P0),
      loop(
        min(i32(KC), [get(KP), get(P0), I32.sub], KCl),
        get(I0),
        set(IB),
        loop(
          min([get(IB), i32(mb), I32.add], get(I1), IE),
          i32(0),
          set(J),
          loop(
            get(IB),
            set(I),
            loop(
              // a = pa + (i·kp + p0)·mr·es
              get(PA),
              get(I),
              get(KP),
              I32.mul,
              get(P0),
              I32.add,
              i32(mr * es),
              I32.mul,
              I32.add,
              // b = pb + (j·kp + p0)·nr·es
              get(PB),
              get(J),
              get(KP),
              I32.mul,
              get(P0),
              I32.add,
              i32(nr * es),
              I32.mul,
              I32.add,
              // c = pc + i·mr·ldc + j·nr·es
              get(PC),
              get(I),
              i32(mr),
              I32.mul,
              get(LDC),
              I32.mul,
              I32.add,
              get(J),
              i32(nr * es),
              I32.mul,
              I32.add,
              get(KCl),
              get(LDC),
              call(microIndex),
              get(I),
              i32(1),
              I32.add,
              set(I),
              get(I),
              get(IE),
              I32.ltU,
              brIf(0),
            ),
            get(J),
            i32(1),
            I32.add,
            set(J),
            get(J),
            get(NP),
            I32.ltU,
            brIf(0),
          ),
          get(IE),
          set(IB),
          get(IB),
          get(I1),
          I32.ltU,
          brIf(0),
        ),
        get(P0),
        i32(KC),
        I32.add,
        set(P0),
        get(P0),
        get(KP),
        I32.ltU,
        brIf(0),
      ),
    ],
  };
}

/**
 * pack(src, dst, d, k, ls, ps, w): panels of w lanes of a strided d×k operand X,
 * X(l, p) at src + l·ls + p·ps (bytes): panel q at dst + q·k·w·es holds, for
 * p = 0..k-1, X(q·w + 0..w-1, p) contiguously. Lanes past d are not written
 * (the caller zeroes the region first when d % w ≠ 0). With A: lanes are rows
 * (ls, ps = row, column stride); with B: lanes are columns (ls = column stride).
 * Copying row-major operands in with TypedArray.set and packing here is ~10×
 * faster than packing element by element from JavaScript.
 */
function packer(es: 4 | 8, name: string): Func {
  const [SRC, DST, D, K, LS, PS, W] = [0, 1, 2, 3, 4, 5, 6];
  const [Q0, WL, P, S, Tt, L, ROW] = [7, 8, 9, 10, 11, 12, 13];
  const load = es === 4 ? Mem.f32Load : Mem.f64Load;
  const store = es === 4 ? Mem.f32Store : Mem.f64Store;
  const min = (x: Code, y: Code, dst: number): Code => [x, y, x, y, I32.ltU, select, set(dst)];
  return {
    name,
    params: [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32],
    results: [],
    locals: [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32],
    body: [
      i32(0),
      set(Q0),
      loop(
        min(get(W), [get(D), get(Q0), I32.sub], WL),
        get(SRC),
        get(Q0),
        get(LS),
        I32.mul,
        I32.add,
        set(ROW), // X(q0, 0)
        i32(0),
        set(P),
        loop(
          get(ROW),
          get(P),
          get(PS),
          I32.mul,
          I32.add,
          set(S),
          get(DST),
          get(P),
          get(W),
          I32.mul,
          i32(es),
          I32.mul,
          I32.add,
          set(Tt),
          i32(0),
          set(L),
          loop(
            get(Tt),
            get(S),
            load(),
            store(),
            get(S),
            get(LS),
            I32.add,
            set(S),
            get(Tt),
            i32(es),
            I32.add,
            set(Tt),
            get(L),
            i32(1),
            I32.add,
            tee(L),
            get(WL),
            I32.ltU,
            brIf(0),
          ),
          get(P),
          i32(1),
          I32.add,
          tee(P),
          get(K),
          I32.ltU,
          brIf(0),
        ),
        get(DST),
        get(K),
        get(W),
        I32.mul,
        i32(es),
        I32.mul,
        I32.add,
        set(DST),
        get(Q0),
        get(W),
        I32.add,
        tee(Q0),
        get(D),
        I32.ltU,
        brIf(0),
      ),
    ],
  };
}

/** The module: gemm32, gemm64, pack32, pack64 (and the two micro-kernels, not exported). */
export function gemmModuleBytes(f32: KernelShape = F32_SHAPE, f64: KernelShape = F64_SHAPE, shared = false): Uint8Array {
  return assemble({ module: 'e', field: 'm', min: 1, max: shared ? 65536 : undefined, shared }, [
    microKernel(f32),
    driver(f32, 'gemm32', 0),
    microKernel(f64),
    driver(f64, 'gemm64', 2),
    packer(4, 'pack32'),
    packer(8, 'pack64'),
  ]);
}
