/**
 * A very small WebAssembly assembler: just enough to emit the matmul kernels in
 * ./gemm.ts as bytes at module load, so the package needs no WebAssembly
 * toolchain, no build step and no binary file (the kernels are a few hundred
 * bytes and compile in well under a millisecond).
 *
 * Code is written as a flat list of byte arrays from the helpers below, e.g.
 * `[get(0), get(1), I32.add, set(2)]`. Only the opcodes the kernels use are here.
 */

export const T = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
type ValType = (typeof T)[keyof typeof T];

export type Code = number | number[] | Code[];

/** Unsigned LEB128. */
function uleb(x: number): number[] {
  const out: number[] = [];
  do {
    let byte = x & 0x7f;
    x >>>= 7;
    if (x !== 0) byte |= 0x80;
    out.push(byte);
  } while (x !== 0);
  return out;
}

/** Signed LEB128 (32-bit values). */
function sleb(x: number): number[] {
  const out: number[] = [];
  x |= 0;
  for (;;) {
    const byte = x & 0x7f;
    x >>= 7;
    if ((x === 0 && (byte & 0x40) === 0) || (x === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function flat(code: Code, out: number[] = []): number[] {
  if (typeof code === 'number') out.push(code);
  else for (const c of code) flat(c, out);
  return out;
}

function str(s: string): number[] {
  const b = Array.from(s, (ch) => ch.charCodeAt(0) & 0x7f); // names are ASCII
  return [...uleb(b.length), ...b];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

// ---- instructions ----------------------------------------------------------------------
export const get = (i: number): number[] => [0x20, ...uleb(i)];
export const set = (i: number): number[] => [0x21, ...uleb(i)];
export const tee = (i: number): number[] => [0x22, ...uleb(i)];
export const i32 = (v: number): number[] => [0x41, ...sleb(v)];
export const call = (f: number): number[] => [0x10, ...uleb(f)];
export const brIf = (depth: number): number[] => [0x0d, ...uleb(depth)];
/** `loop` with no result. */
export const loop = (...body: Code[]): Code => [0x03, 0x40, body, 0x0b];

export const I32 = {
  eqz: 0x45,
  eq: 0x46,
  ne: 0x47,
  ltS: 0x48,
  ltU: 0x49,
  gtS: 0x4a,
  gtU: 0x4b,
  leU: 0x4d,
  geU: 0x4f,
  add: 0x6a,
  sub: 0x6b,
  mul: 0x6c,
  shl: 0x74,
} as const;
export const select = 0x1b;

const simd = (op: number): number[] => [0xfd, ...uleb(op)];
const memarg = (alignLog2: number, offset: number): number[] => [...uleb(alignLog2), ...uleb(offset)];
export const V128 = {
  /** v128.load with a constant byte offset (address on the stack). */
  load: (offset = 0): number[] => [...simd(0x00), ...memarg(4, offset)],
  store: (offset = 0): number[] => [...simd(0x0b), ...memarg(4, offset)],
  load32Splat: (offset = 0): number[] => [...simd(0x09), ...memarg(2, offset)],
  load64Splat: (offset = 0): number[] => [...simd(0x0a), ...memarg(3, offset)],
  zero: [...simd(0x0c), ...new Array<number>(16).fill(0)],
};
export const F32x4 = { add: simd(0xe4), mul: simd(0xe6) };
/** Scalar loads and stores with a constant byte offset. */
export const Mem = {
  f32Load: (offset = 0): number[] => [0x2a, ...memarg(2, offset)],
  f64Load: (offset = 0): number[] => [0x2b, ...memarg(3, offset)],
  f32Store: (offset = 0): number[] => [0x38, ...memarg(2, offset)],
  f64Store: (offset = 0): number[] => [0x39, ...memarg(3, offset)],
};
export const F64x2 = { add: simd(0xf0), mul: simd(0xf2) };

// ---- module ------------------------------------------------------------------------------
export interface Func {
  name?: string; // exported under this name when given
  params: ValType[];
  results: ValType[];
  /** Types of the locals after the parameters, in index order. */
  locals: ValType[];
  body: Code;
}

export interface MemoryImport {
  module: string;
  field: string;
  min: number;
  max?: number;
  shared?: boolean;
}

function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

/** A module that imports one memory and defines (and exports) `funcs`. */
export function assemble(memory: MemoryImport, funcs: Func[]): Uint8Array {
  const types = funcs.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]);
  const limits = memory.shared
    ? [0x03, ...uleb(memory.min), ...uleb(memory.max!)]
    : memory.max !== undefined
      ? [0x01, ...uleb(memory.min), ...uleb(memory.max)]
      : [0x00, ...uleb(memory.min)];
  const imports = vec([[...str(memory.module), ...str(memory.field), 0x02, ...limits]]);
  const fnSec = vec(funcs.map((_, i) => uleb(i)));
  const exports = vec(funcs.flatMap((f, i) => (f.name ? [[...str(f.name), 0x00, ...uleb(i)]] : [])));
  const bodies = funcs.map((f) => {
    // run-length groups of local types
    const groups: number[][] = [];
    for (let i = 0; i < f.locals.length;) {
      let j = i;
      while (j < f.locals.length && f.locals[j] === f.locals[i]) j++;
      groups.push([...uleb(j - i), f.locals[i]]);
      i = j;
    }
    const b = [...vec(groups), ...flat(f.body), 0x0b];
    return [...uleb(b.length), ...b];
  });
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, fnSec),
    ...section(7, exports),
    ...section(10, vec(bodies)),
  ]);
}
