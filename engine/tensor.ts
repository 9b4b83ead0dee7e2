/**
 * The Tensor handle.
 *
 * A Tensor is a small object: a shape, a dtype, its values (an inline number
 * for a 0-d tensor, a flat typed array otherwise) and, when it takes part in a
 * recorded graph, the tape and row of its node. This module knows no op and no
 * differentiation: the op methods (`a.mul(b)`, `y.backward()`, ...) are
 * installed on the class by tensor-methods.ts, which forwards them to ops/ and
 * ad/, so `a.mul(b)` and `gl.mul(a, b)` are the same code.
 */
import { alloc, type Arr, type DType } from './kernels';
import { describeValue, fail, fmtShape } from './errors';
import { sizeOf, type Shape } from './shape';
import { F_F32, F_SCALAR, OP_REF, opName, type Tape, type NodeInfo } from './tape';

export type { DType } from './kernels';

/** Nested arrays of numbers, as accepted by {@link tensor}. */
export type NestedArray = number | NestedArray[];

/** What ops accept as an operand: a tensor or a plain number (a constant). */
export type TensorLike = Tensor | number;

/** @internal Forward-mode dual: a primal and its tangent at one level. */
export interface Dual {
  level: number;
  primal: Tensor;
  tangent: Tensor | null;
  /** B > 0: the level carries B tangents at once, stacked along a leading dimension (batched jacfwd). */
  batch: number;
}

/** @internal The rarely set fields of a Tensor, kept out of the object most tensors are (0-d results of the scalar paths). */
export interface TensorExt {
  grad: Tensor | null;
  name: string | null;
  dual: Dual | null;
}

/** @internal */
export const SCALAR_SHAPE: readonly number[] = Object.freeze([]);

/** @internal Bit of Tensor._bits: the tensor is an op's result (its own node on its tape). */
export const BIT_RESULT = 1;
/** @internal Bit of Tensor._bits: the tensor requires grad. */
export const BIT_REQ = 2;

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * An n-dimensional array of float64 (default) or float32 numbers that records
 * the operations applied to it when it requires grad.
 *
 * Create tensors with `gl.tensor`, `gl.scalar`, `gl.zeros`, `gl.randn`, ...
 * The ops are methods too (`a.add(b)`, `x.sum()`, `y.backward()`): see tensor-methods.ts.
 */
export class Tensor {
  // NOTE: the fields are `declare`d and set in the constructor, all of them, in one order: with
  // ES2022 class fields each would first be defined as undefined (a second store per field, and
  // no single object shape until the constructor ends). Tensors are the engine's most allocated
  // object (≈66,000 per step of the micrograd demo).
  /** The size of each dimension; `[]` for a 0-d (scalar) tensor. */
  declare readonly shape: readonly number[];
  /** `float64` (default) or `float32`. */
  declare readonly dtype: DType;
  /** @internal values of a non-0-d tensor (row-major) */
  declare _data: Arr | null;
  /** @internal value of a 0-d tensor */
  declare _v: number;
  /** @internal tape of this tensor's node (its own for a result, a cached ref for a leaf or constant) */
  declare _tape: Tape | null;
  /** @internal row on `_tape` */
  declare _id: number;
  /** @internal BIT_RESULT | BIT_REQ (see _result, _req): one small integer instead of two fields */
  declare _bits: number;
  /** @internal What few tensors have (a leaf's gradient, a name, a forward-mode dual), or null. */
  declare _ext: TensorExt | null;

  /** @internal Use gl.tensor() and friends. */
  constructor(shape: readonly number[], dtype: DType, data: Arr | null, v: number) {
    this.shape = shape;
    this.dtype = dtype;
    this._data = data;
    this._v = v;
    this._tape = null;
    this._id = -1;
    this._bits = 0;
    this._ext = null;
  }

  /** @internal (_tape, _id) is this tensor's own node, produced by an op */
  get _result(): boolean {
    return (this._bits & BIT_RESULT) !== 0;
  }
  set _result(r: boolean) {
    this._bits = r ? this._bits | BIT_RESULT : this._bits & ~BIT_RESULT;
  }

  /** @internal requires grad */
  get _req(): boolean {
    return (this._bits & BIT_REQ) !== 0;
  }
  set _req(r: boolean) {
    this._bits = r ? this._bits | BIT_REQ : this._bits & ~BIT_REQ;
  }

  /** @internal accumulated gradient of a leaf */
  get _grad(): Tensor | null {
    return this._ext === null ? null : this._ext.grad;
  }
  set _grad(g: Tensor | null) {
    if (this._ext !== null) this._ext.grad = g;
    else if (g !== null) this._ext = { grad: g, name: null, dual: null };
  }

  /** @internal */
  get _name(): string | null {
    return this._ext === null ? null : this._ext.name;
  }
  set _name(n: string | null) {
    if (this._ext !== null) this._ext.name = n;
    else if (n !== null) this._ext = { grad: null, name: n, dual: null };
  }

  /** @internal forward-mode dual */
  get _dual(): Dual | null {
    return this._ext === null ? null : this._ext.dual;
  }
  set _dual(d: Dual | null) {
    if (this._ext !== null) this._ext.dual = d;
    else if (d !== null) this._ext = { grad: null, name: null, dual: d };
  }

  /** Number of elements. */
  get size(): number {
    return this._data === null ? 1 : this._data.length;
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** A name shown in the graph view and in error messages. */
  get name(): string | null {
    if (this._name === null && this._result && this._tape && this._tape.names) {
      return this._tape.names.get(this._id) ?? null;
    }
    return this._name;
  }
  set name(n: string | null) {
    this._name = n;
    if (this._result && this._tape && n !== null) {
      (this._tape.names ??= new Map()).set(this._id, n);
    }
  }

  /**
   * Whether gradients are computed for this tensor. Set it on leaves (inputs,
   * parameters); results of ops require grad when any operand does.
   */
  get requiresGrad(): boolean {
    return this._req;
  }
  set requiresGrad(r: boolean) {
    if (this._result) {
      fail(`requiresGrad can only be set on a leaf tensor; this one is the result of '${this.opName}'. Use .detach() to make a new leaf.`);
    }
    this._req = !!r;
    this._tape = null; // forget a cached constant/ref node: it was recorded with the old setting
  }

  /** True for tensors not produced by a recorded op (inputs, parameters, constants). */
  get isLeaf(): boolean {
    return !this._result;
  }

  /** Name of the op that produced this tensor (`leaf` for leaves). */
  get opName(): string {
    if (!this._result || !this._tape) return 'leaf';
    const op = this._tape.op[this._id];
    return op >= 0 ? opName(op) : 'leaf';
  }

  /**
   * The gradient. For a leaf: the sum over every backward() so far (reset with
   * zeroGrad()). For an intermediate result: its gradient in the last backward
   * pass that went through it (as gl.trace shows). `null` before any backward.
   */
  get grad(): Tensor | null {
    if (!this._result) return this._grad;
    const t = this._tape!;
    const g = t.last;
    if (!g || this._id >= g.reached.length || !g.reached[this._id]) return null;
    if (g.GT[this._id]) return g.GT[this._id] as Tensor;
    return scalarOf(g.G[this._id], this.dtype);
  }
  set grad(g: Tensor | null) {
    if (this._result) fail('grad can only be assigned on a leaf tensor');
    if (g !== null && !(g instanceof Tensor)) fail('grad must be a Tensor or null');
    if (g !== null && !sameShapeAs(g, this)) fail(`grad of shape ${fmtShape(g.shape)} does not match the tensor's shape ${fmtShape(this.shape)}`);
    this._grad = g;
  }

  /** Reset the accumulated gradient to null. */
  zeroGrad(): void {
    this._grad = null;
  }

  /** The values as nested arrays (a number for a 0-d tensor). */
  toArray(): NestedArray {
    if (this._data === null) return this._v;
    return nest(this._data, this.shape, 0, 0);
  }

  /** The single value of a tensor with one element. */
  item(): number {
    if (this._data === null) return this._v;
    if (this._data.length !== 1) fail(`item() needs a tensor with one element; this one has shape ${fmtShape(this.shape)}`);
    return this._data[0];
  }

  /** A copy of the values as a flat typed array (row-major). */
  toTypedArray(): Float64Array | Float32Array {
    if (this._data === null) {
      const a = alloc(this.dtype, 1);
      a[0] = this._v;
      return a;
    }
    return this._data.slice();
  }

  /** A short text form; tslab prints a cell's last value with it. */
  toString(): string {
    return formatTensor(this);
  }

  /** @internal */
  [INSPECT](): string {
    return formatTensor(this);
  }
}

// ---- helpers used across the engine --------------------------------------

/** @internal A 0-d tensor. */
export function scalarOf(v: number, dtype: DType = 'float64'): Tensor {
  return new Tensor(SCALAR_SHAPE, dtype, null, dtype === 'float32' ? Math.fround(v) : v);
}

/** @internal A tensor over existing data (not copied). A 0-d shape reads data[0]. */
export function fromData(shape: readonly number[], data: Arr): Tensor {
  const dtype: DType = data instanceof Float32Array ? 'float32' : 'float64';
  if (shape.length === 0) return new Tensor(SCALAR_SHAPE, dtype, null, data[0]);
  return new Tensor(shape, dtype, data, 0);
}

/** @internal The values of a tensor as a typed array (a fresh 1-element array for 0-d). */
export function valuesOf(t: Tensor): Arr {
  if (t._data !== null) return t._data;
  const a = alloc(t.dtype, 1);
  a[0] = t._v;
  return a;
}

/** @internal */
export function sameShapeAs(a: Tensor, b: Tensor): boolean {
  const x = a.shape;
  const y = b.shape;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** @internal Coerce an operand: numbers become 0-d constants of the other operand's dtype. */
export function asTensor(x: unknown, op: string, dtype: DType = 'float64'): Tensor {
  if (x instanceof Tensor) return x;
  if (isSymbolic(x)) {
    fail(
      `${op}: got a symbolic scalar (gl.symbolic); symbolic expressions go through the elementwise ops only ` +
        `(add, mul, exp, maximum, where, ...), and '${op}' is not one`,
    );
  }
  if (typeof x === 'number') return scalarOf(x, dtype);
  if (typeof x === 'boolean') return scalarOf(x ? 1 : 0, dtype);
  if (Array.isArray(x) || ArrayBuffer.isView(x)) {
    fail(`${op}: got an array; wrap it with gl.tensor(...) first`);
  }
  fail(`${op}: expected a Tensor or a number, got ${describeValue(x)}`);
}

/**
 * @internal The brand of a symbolic scalar (engine/symbolic/expr.ts). The elementwise ops
 * (ops/elementwise.ts) hand an operand that carries it to {@link SYMBOLIC_OPS}.
 */
export const SYMBOLIC_BRAND: unique symbol = Symbol.for('gradlab.symbolic');

/** @internal Whether x is a symbolic scalar. */
export function isSymbolic(x: unknown): boolean {
  return typeof x === 'object' && x !== null && (x as { [SYMBOLIC_BRAND]?: boolean })[SYMBOLIC_BRAND] === true;
}

/**
 * @internal How an elementwise op builds a symbolic expression: set by engine/symbolic/expr.ts when it
 * loads (the ops sit below it and cannot import it). `op` is the primitive's name.
 */
export const SYMBOLIC_OPS: { apply: ((op: string, args: readonly unknown[]) => unknown) | null } = { apply: null };

/** @internal Values of a node on a tape as an unrecorded tensor. */
export function nodeValue(tape: Tape, id: number): Tensor {
  const f = tape.flags[id];
  if (tape.op[id] === OP_REF) {
    const h = tape.obj[id] as Tensor;
    if (f & F_SCALAR) return scalarOf(tape.val[id], h.dtype);
    return new Tensor(h.shape, h.dtype, h._data, 0);
  }
  const info = tape.obj[id] as NodeInfo | undefined;
  const dtype: DType = f & F_F32 ? 'float32' : 'float64';
  if (f & F_SCALAR) return scalarOf(tape.val[id], dtype);
  return new Tensor(info!.shape, dtype, info!.data, 0);
}

/** @internal Build a tensor from nested arrays (checks they are rectangular). */
export function fromNested(data: NestedArray, dtype: DType): Tensor {
  if (typeof data === 'number') return scalarOf(data, dtype);
  const shape: number[] = [];
  let d: NestedArray = data;
  while (Array.isArray(d)) {
    shape.push(d.length);
    if (d.length === 0) break;
    d = d[0];
  }
  const out = alloc(dtype, sizeOf(shape));
  let k = 0;
  const walk = (x: NestedArray, depth: number, path: number[]) => {
    if (depth === shape.length) {
      if (typeof x !== 'number')
        fail(`tensor: expected a number at index [${path.join(', ')}], got ${Array.isArray(x) ? 'an array' : typeof x} (the data is not rectangular)`);
      out[k++] = x;
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[depth]) {
      fail(`tensor: ragged nested array: at index [${path.join(', ')}] expected ${shape[depth]} entries, got ${Array.isArray(x) ? x.length : 'a number'}`);
    }
    for (let i = 0; i < x.length; i++) walk(x[i], depth + 1, [...path, i]);
  };
  walk(data, 0, []);
  return new Tensor(shape, dtype, out, 0);
}

function nest(data: Arr, shape: Shape, dim: number, off: number): NestedArray {
  if (dim === shape.length) return data[off];
  const n = shape[dim];
  const stride = sizeOf(shape.slice(dim + 1));
  const out = new Array<NestedArray>(n);
  for (let i = 0; i < n; i++) out[i] = nest(data, shape, dim + 1, off + i * stride);
  return out;
}

function fmtNum(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const s = v.toPrecision(6);
  return s.includes('e') ? s : String(Number(s));
}

function fmtNested(data: Arr, shape: Shape, dim: number, off: number, indent: number): string {
  if (dim === shape.length) return fmtNum(data[off]);
  const n = shape[dim];
  const stride = sizeOf(shape.slice(dim + 1));
  const edge = 3;
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    if (n > 2 * edge + 1 && i === edge) {
      parts.push('...');
      i = n - edge - 1;
      continue;
    }
    parts.push(fmtNested(data, shape, dim + 1, off + i * stride, indent + 1));
  }
  const sep = dim === shape.length - 1 ? ', ' : ',\n' + ' '.repeat(indent + 1);
  return '[' + parts.join(sep) + ']';
}

/** @internal `tensor([[1, 2], [3, 4]], shape=[2, 2], op=mul, requiresGrad)` */
function formatTensor(t: Tensor): string {
  const body = t._data === null ? fmtNum(t._v) : fmtNested(t._data, t.shape, 0, 0, 7);
  const extra: string[] = [];
  if (t.shape.length > 1 || t.size > 7) extra.push(`shape=${fmtShape(t.shape)}`);
  if (t.dtype !== 'float64') extra.push(`dtype=${t.dtype}`);
  if (t._result) extra.push(`op=${t.opName}`);
  else if (t._req) extra.push('requiresGrad');
  const name = t.name;
  if (name) extra.push(`name=${JSON.stringify(name)}`);
  return `tensor(${body}${extra.length ? ', ' + extra.join(', ') : ''})`;
}
