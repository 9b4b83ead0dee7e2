/** Shapes, broadcasting and axes: plain arrays of numbers, no tensors. */
import { totalmem } from 'node:os';
import { describeValue, fail, fmtShape } from './errors';
import type { Arr, DType } from './kernels';

export type Shape = readonly number[];

/** Number of elements of a shape (1 for a 0-d shape). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Row-major strides. */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** NumPy broadcasting of several shapes; the error names the op and every shape. */
export function broadcastShapes(op: string, shapes: Shape[]): number[] {
  let nd = 0;
  for (const s of shapes) nd = Math.max(nd, s.length);
  const out = new Array<number>(nd).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = nd - s.length + i;
      const d = s[i];
      if (d === out[o] || d === 1) continue;
      if (out[o] === 1) out[o] = d;
      else
        fail(
          `${op}: shapes ${shapes.map(fmtShape).join(' and ')} cannot be broadcast together ` +
            `(dimension ${o} from the right-aligned shapes: ${out[o]} vs ${d})`,
        );
    }
  }
  return out;
}

/**
 * Normalise an `axis` argument (a number, an array, or undefined for all axes)
 * to sorted, distinct, non-negative axes. Negative axes count from the end.
 */
export function normAxes(op: string, axis: number | readonly number[] | null | undefined, ndim: number): number[] {
  if (axis === undefined || axis === null) return Array.from({ length: ndim }, (_, i) => i);
  const list: readonly number[] =
    typeof axis === 'number' ? [axis] : Array.isArray(axis) ? axis : fail(`${op}: axis must be an integer or an array of integers, got ${describeValue(axis)}`);
  const out: number[] = [];
  for (const a of list) {
    if (!Number.isInteger(a)) fail(`${op}: an axis must be an integer, got ${describeValue(a)}`);
    if (a < -ndim || a >= ndim) {
      fail(`${op}: axis ${a} is out of range for a tensor with ${ndim} dimension${ndim === 1 ? '' : 's'}`);
    }
    const p = a < 0 ? a + ndim : a;
    if (out.includes(p)) fail(`${op}: axis ${a} is repeated`);
    out.push(p);
  }
  return out.sort((x, y) => x - y);
}

/** The shape after reducing `axes`, with or without the reduced dimensions kept as 1. */
export function reducedShape(shape: Shape, axes: readonly number[], keepdims: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (axes.includes(i)) {
      if (keepdims) out.push(1);
    } else out.push(shape[i]);
  }
  return out;
}

/** Check a user-provided shape: non-negative integers. Resolves one -1 against `size` if given. */
export function checkShape(op: string, shape: readonly number[], size?: number): number[] {
  if (!Array.isArray(shape)) {
    fail(`${op}: a shape must be an array of integers like [2, 3], got ${describeValue(shape)}`);
  }
  // (Array.isArray above narrows `shape` to any[])
  const out = shape.slice() as number[];
  let infer = -1;
  for (let i = 0; i < out.length; i++) {
    const d = out[i];
    if (d === -1 && size !== undefined && infer < 0) {
      infer = i;
      continue;
    }
    if (!Number.isInteger(d) || d < 0) fail(`${op}: invalid dimension ${d} in shape ${fmtShape(shape)}`);
  }
  if (infer >= 0) {
    let rest = 1;
    for (let i = 0; i < out.length; i++) if (i !== infer) rest *= out[i];
    if (rest === 0 || size! % rest !== 0) fail(`${op}: cannot infer -1 in shape ${fmtShape(shape)} for ${size} elements`);
    out[infer] = size! / rest;
  }
  return out;
}

/**
 * The most entries one tensor may have: 2³¹ − 1. V8 itself stops at 2³² − 1 entries
 * ("Invalid typed array length"), and 2³¹ float64 entries are already 16 GB.
 */
const MAX_ENTRIES = 2 ** 31 - 1;

/** The machine's memory in bytes, read once (os.totalmem() is a system call: not once per op). */
const MACHINE_MEMORY = totalmem();

/** `1,234` below a million, `1.5e12` above. */
function fmtCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n < 1e6) return n.toLocaleString('en-US');
  const [m, e] = n.toExponential(2).split('e');
  return `${String(Number(m))}e${Number(e)}`;
}

/** 8 bytes → `8 B`, 8e12 → `8 TB` (powers of 1000, three significant digits). */
function fmtBytes(b: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let u = 0;
  while (b >= 1000 && u < units.length - 1) {
    b /= 1000;
    u++;
  }
  return `${String(Number(b.toPrecision(3)))} ${units[u]}`;
}

/**
 * A zeroed array for a tensor of `shape` made by `op`, or an error naming the op, the shape
 * and the memory it would take when it is too large for this engine or this machine
 * (instead of V8's "Invalid typed array length: 1000000000000").
 */
export function allocShape(op: string, shape: readonly number[], dtype: DType): Arr {
  const n = sizeOf(shape);
  const bytes = n * (dtype === 'float32' ? 4 : 8);
  const what = () => `${op}: shape ${fmtShape(shape)} has ${fmtCount(n)} entries, ${fmtBytes(bytes)} as ${dtype}`;
  if (n > MAX_ENTRIES) {
    fail(`${what()}: more than this engine can allocate (at most 2^31 − 1 = ${fmtCount(MAX_ENTRIES)} entries in one tensor)`);
  }
  if (bytes > MACHINE_MEMORY) fail(`${what()}: more than this machine's memory (${fmtBytes(MACHINE_MEMORY)})`);
  try {
    return dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  } catch (e) {
    if (e instanceof RangeError) fail(`${what()}: the allocation failed (${e.message}; not enough free memory?)`);
    throw e;
  }
}
