/**
 * Kernel-only speed of register-block shapes (no packing, no copies): the gemm
 * call on operands already packed in memory, 256×784·784×256 by default.
 * Run: bash bench/kernels/run.sh tune [m k n] [repeats]
 */
import { gemmModuleBytes, nrOf, F32_SHAPE, F64_SHAPE, type KernelShape } from '../../engine/wasm/gemm';
import { median } from '../util';
import { wasmApi } from '../../engine/wasm/api';

const WebAssembly = wasmApi!;

const [m, k, n] = process.argv.length > 4 ? process.argv.slice(2, 5).map(Number) : [256, 784, 256];
const repeats = Number(process.argv[5] ?? 15);
type G = (pa: number, pb: number, pc: number, i0: number, i1: number, np: number, kp: number, ldc: number) => void;

function run(s32: KernelShape, s64: KernelShape, f32: boolean): number[] {
  const sh = f32 ? s32 : s64;
  const mem = new WebAssembly.Memory({ initial: 1 });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(gemmModuleBytes(s32, s64)), { e: { m: mem } });
  const g = (f32 ? inst.exports.gemm32 : inst.exports.gemm64) as G;
  const nr = nrOf(sh);
  const mp = Math.ceil(m / sh.mr),
    np = Math.ceil(n / nr),
    kp = Math.ceil(k / sh.u) * sh.u;
  const aB = mp * sh.mr * kp * sh.es,
    bB = np * nr * kp * sh.es,
    cB = mp * sh.mr * np * nr * sh.es;
  mem.grow(Math.ceil((aB + bB + cB + 256) / 65536));
  const v = f32 ? new Float32Array(mem.buffer) : new Float64Array(mem.buffer);
  for (let i = 0; i < (aB + bB) / sh.es; i++) v[i] = Math.sin(i);
  const ob = Math.ceil(aB / 64) * 64,
    oc = Math.ceil((ob + bB) / 64) * 64;
  const ts: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    g(0, ob, oc, 0, mp, np, kp, np * nr * sh.es);
    ts.push(performance.now() - t0);
  }
  return ts;
}

const flop = 2 * m * k * n;
const variants: [string, Partial<KernelShape>][] = (process.env.VARIANTS ?? '4x2u4,4x2u2,4x2u1,3x3u1,3x2u1,2x4u1,3x4u1,5x2u1,6x2u1,4x3u1,2x3u1')
  .split(',')
  .map((v) => {
    const [, mr, nv, u, mb] = /^(\d+)x(\d+)u(\d+)(?:mb(\d+))?$/.exec(v)!.map(Number);
    return [v, { mr, nv, u, ...(mb ? { mb } : {}) }];
  });
for (const f32 of [true, false]) {
  for (const [name, d] of variants) {
    const s32 = { ...F32_SHAPE, ...(f32 ? d : {}) };
    const s64 = { ...F64_SHAPE, ...(f32 ? {} : d) };
    const ts = run(s32, s64, f32);
    const med = median(ts),
      best = Math.min(...ts);
    console.log(`${f32 ? 'f32' : 'f64'} ${name.padEnd(14)} ${(flop / med / 1e6).toFixed(1)} GFLOP/s median (best ${(flop / best / 1e6).toFixed(1)})`);
  }
}
