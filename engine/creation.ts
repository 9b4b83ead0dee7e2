/** Making tensors: from data, filled, random (seeded), ranges. */
import { describeValue as describe, fail, fmtShape } from './errors';
import { alloc, type Arr, type DType } from './kernels';
import { allocShape, checkShape, sizeOf } from './shape';
import { defaultRng, type Rng } from './rng';
import { SCALAR_SHAPE, Tensor, fromNested, type NestedArray } from './tensor';
// the tensors made here have their op methods even when this module is imported alone
import './tensor-methods';

export interface TensorOptions {
  /** Compute gradients for this tensor (makes it a leaf of recorded graphs). */
  requiresGrad?: boolean;
  /** A name shown in the graph view. */
  name?: string;
  /** `float64` (default; gradient checks need it) or `float32`. */
  dtype?: DType;
}

export interface RandomOptions extends TensorOptions {
  /** Generator to draw from (default: the global one, see gl.seed). */
  rng?: Rng;
}

function dtypeOf(opts: TensorOptions | undefined, what: string): DType {
  const d = opts?.dtype ?? 'float64';
  if (d !== 'float64' && d !== 'float32') fail(`${what}: dtype must be 'float64' or 'float32', got ${String(d)}`);
  return d;
}

function finish(t: Tensor, opts: TensorOptions | undefined): Tensor {
  if (opts?.requiresGrad) t._req = true;
  if (opts?.name !== undefined) t._name = opts.name;
  return t;
}

function make(op: string, shape: readonly number[], dtype: DType, fill: (out: Arr) => void): Tensor {
  if (shape.length === 0) {
    const a = alloc(dtype, 1);
    fill(a);
    return new Tensor(SCALAR_SHAPE, dtype, null, a[0]);
  }
  const a = allocShape(op, shape, dtype);
  fill(a);
  return new Tensor(shape, dtype, a, 0);
}

/**
 * A tensor from a number, nested arrays (`[[1, 2], [3, 4]]`) or a typed array
 * (then `shape` may be given in opts; default 1-D). Data is copied.
 */
export function tensor(data: NestedArray | Float64Array | Float32Array | Int32Array | Tensor, opts: TensorOptions & { shape?: number[] } = {}): Tensor {
  const dtype = opts.dtype ?? (data instanceof Float32Array ? 'float32' : 'float64');
  dtypeOf({ dtype }, 'tensor');
  let t: Tensor;
  if (data instanceof Tensor) {
    t = make('tensor', data.shape, dtype, (out) => out.set(data._data ?? [data._v]));
  } else if (ArrayBuffer.isView(data)) {
    const arr = data;
    const shape = opts.shape ? checkShape('tensor', opts.shape, arr.length) : [arr.length];
    if (sizeOf(shape) !== arr.length) fail(`tensor: ${arr.length} values do not fill shape ${fmtShape(shape)}`);
    t = make('tensor', shape, dtype, (out) => out.set(arr));
  } else if (typeof data === 'number' || Array.isArray(data)) {
    t = fromNested(data, dtype);
    if (opts.shape) {
      const shape = checkShape('tensor', opts.shape, t.size);
      if (sizeOf(shape) !== t.size) fail(`tensor: ${t.size} values do not fill shape ${fmtShape(shape)}`);
      t = new Tensor(shape, dtype, t._data ?? Float64Array.of(t._v), 0);
    }
  } else {
    fail(`tensor: expected a number, nested arrays or a typed array, got ${data === null ? 'null' : typeof data}`);
  }
  return finish(t, opts);
}

/** A 0-d tensor. */
export function scalar(x: number, opts: TensorOptions = {}): Tensor {
  if (typeof x !== 'number') fail(`scalar: expected a number, got ${typeof x}`);
  const dtype = dtypeOf(opts, 'scalar');
  return finish(new Tensor(SCALAR_SHAPE, dtype, null, dtype === 'float32' ? Math.fround(x) : x), opts);
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: number[], value: number, opts: TensorOptions = {}): Tensor {
  return filled('full', shape, value, opts);
}

/** `full` under the name the user called (errors say `zeros: ...`, not `full: ...`). */
function filled(op: string, shape: number[], value: number, opts: TensorOptions): Tensor {
  const s = checkShape(op, shape);
  if (typeof value !== 'number') fail(`${op}: the fill value must be a number, got ${describe(value)}`);
  return finish(
    make(op, s, dtypeOf(opts, op), (a) => a.fill(value)),
    opts,
  );
}

/** Zeros of `shape`. */
export function zeros(shape: number[], opts: TensorOptions = {}): Tensor {
  return filled('zeros', shape, 0, opts);
}

/** Ones of `shape`. */
export function ones(shape: number[], opts: TensorOptions = {}): Tensor {
  return filled('ones', shape, 1, opts);
}

/** Zeros with the shape and dtype of `t`. */
export function zerosLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  if (!(t instanceof Tensor)) fail(`zerosLike: expected a Tensor, got ${describe(t)}`);
  return filled('zerosLike', t.shape as number[], 0, { dtype: t.dtype, ...opts });
}

/** Ones with the shape and dtype of `t`. */
export function onesLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  if (!(t instanceof Tensor)) fail(`onesLike: expected a Tensor, got ${describe(t)}`);
  return filled('onesLike', t.shape as number[], 1, { dtype: t.dtype, ...opts });
}

/** Uniform random numbers in [0, 1), from the seeded generator. */
export function rand(shape: number[], opts: RandomOptions = {}): Tensor {
  const g = opts.rng ?? defaultRng();
  return finish(
    make('rand', checkShape('rand', shape), dtypeOf(opts, 'rand'), (a) => {
      for (let i = 0; i < a.length; i++) a[i] = g.uniform();
    }),
    opts,
  );
}

/** Standard normal random numbers, from the seeded generator. */
export function randn(shape: number[], opts: RandomOptions = {}): Tensor {
  const g = opts.rng ?? defaultRng();
  return finish(
    make('randn', checkShape('randn', shape), dtypeOf(opts, 'randn'), (a) => {
      for (let i = 0; i < a.length; i++) a[i] = g.normal();
    }),
    opts,
  );
}

/** Random integers in [low, high) (as float values), from the seeded generator. */
export function randint(low: number, high: number, shape: number[], opts: RandomOptions = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) fail(`randint: need integers low < high, got ${low}, ${high}`);
  const g = opts.rng ?? defaultRng();
  return finish(
    make('randint', checkShape('randint', shape), dtypeOf(opts, 'randint'), (a) => {
      for (let i = 0; i < a.length; i++) a[i] = g.int(low, high);
    }),
    opts,
  );
}

/**
 * Evenly spaced values in [start, stop) with `step`, as NumPy:
 * `arange(5)` is [0, 1, 2, 3, 4]; `arange(1, 2, 0.25)` is [1, 1.25, 1.5, 1.75].
 */
export function arange(start: number, stop?: number, step = 1, opts: TensorOptions = {}): Tensor {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  for (const [k, v] of [
    ['start', start],
    ['stop', stop],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(`arange: ${k} must be a finite number, got ${describe(v)}`);
  }
  if (typeof step !== 'number' || !Number.isFinite(step) || step === 0) fail(`arange: step must be a finite non-zero number, got ${describe(step)}`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  return finish(
    make('arange', [n], dtypeOf(opts, 'arange'), (a) => {
      for (let i = 0; i < n; i++) a[i] = start + i * step;
    }),
    opts,
  );
}

/** `num` evenly spaced values from start to stop, both included (as NumPy). */
export function linspace(start: number, stop: number, num: number, opts: TensorOptions = {}): Tensor {
  if (!Number.isInteger(num) || num < 0) fail(`linspace: num must be a non-negative integer, got ${describe(num)}`);
  for (const [k, v] of [
    ['start', start],
    ['stop', stop],
  ] as const) {
    if (typeof v !== 'number') fail(`linspace: ${k} must be a number, got ${describe(v)}`);
  }
  return finish(
    make('linspace', [num], dtypeOf(opts, 'linspace'), (a) => {
      const step = num > 1 ? (stop - start) / (num - 1) : 0;
      for (let i = 0; i < num; i++) a[i] = start + i * step;
      if (num > 1) a[num - 1] = stop;
    }),
    opts,
  );
}

/** The n×m identity matrix (m = n by default). */
export function eye(n: number, m: number = n, opts: TensorOptions = {}): Tensor {
  const s = checkShape('eye', [n, m]);
  return finish(
    make('eye', s, dtypeOf(opts, 'eye'), (a) => {
      for (let i = 0; i < Math.min(n, m); i++) a[i * m + i] = 1;
    }),
    opts,
  );
}
