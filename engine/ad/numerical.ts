/**
 * Numerical differentiation as in the lecture: nudge one coordinate at a time
 * by h and look at how the (scalar) output moves.
 */
import { describeValue, fail, fmtShape } from '../errors';
import { Tensor, asTensor, type TensorLike } from '../tensor';
import { detach } from '../ops/shape';
import { noGrad } from '../context';

export interface NumericalGradOptions {
  /** Step (default 1e-4, as in the lecture). Must be finite and non-zero. */
  h?: number;
  /** `central`: (f(x+h) − f(x−h)) / 2h, error O(h²) (default). `forward`: (f(x+h) − f(x)) / h, error O(h). */
  method?: 'central' | 'forward';
}

/** @internal Check a finite-difference step. */
export function checkStep(what: string, h: unknown): number {
  if (typeof h !== 'number' || !Number.isFinite(h) || h === 0) {
    fail(`${what}: h must be a finite, non-zero number, got ${String(h)}`);
  }
  return h;
}

/**
 * @internal The inputs of numericalGrad/gradCheck as a list. An array of plain
 * numbers is read as one scalar input per parameter of f only when f declares
 * exactly that many parameters (f(x1, …, x6) at [1.5, −0.5, …]); otherwise it
 * could mean one vector or several scalars, and guessing wrong would give a
 * silently wrong gradient, so it is refused.
 */
export function inputList(what: string, x: unknown, f: (...a: never[]) => unknown): unknown[] {
  if (typeof f !== 'function') fail(`${what}: expected a function to check, like (x) => gl.sum(gl.mul(x, x)); got ${describeValue(f)}`);
  if (!Array.isArray(x)) return [x];
  if (x.length > 0 && x.every((v) => typeof v === 'number' || Array.isArray(v))) {
    if (x.length > 1 && f.length === x.length && x.every((v) => typeof v === 'number')) return x;
    fail(
      `${what}: got an array of ${x.length} numbers for a function of ${f.length} parameter${f.length === 1 ? '' : 's'}. ` +
        `For one vector input write gl.tensor([${x.slice(0, 3).join(', ')}${x.length > 3 ? ', …' : ''}]); ` +
        'for several inputs give one per parameter, e.g. [gl.scalar(1), gl.scalar(2)]',
    );
  }
  return x;
}

/** @internal f's output as a number (it must have one element). */
export function scalarValue(what: string, y: unknown): number {
  if (typeof y === 'number') return y;
  if (!(y instanceof Tensor)) fail(`${what}: f must return a Tensor or a number, got ${typeof y}`);
  if (y.size !== 1) fail(`${what}: f must return a scalar; it returned shape ${fmtShape(y.shape)}`);
  return y.item();
}

/** A float64 copy of x that can be nudged in place. */
function nudgeable(x: Tensor): Tensor {
  const d = detach(x);
  const t = new Tensor(d.shape, 'float64', d._data === null ? null : Float64Array.from(d._data), d._v);
  return t;
}

function getAt(t: Tensor, i: number): number {
  return t._data === null ? t._v : t._data[i];
}
function setAt(t: Tensor, i: number, v: number): void {
  if (t._data === null) t._v = v;
  else t._data[i] = v;
}

/**
 * @internal The numerical gradient of scalar f with respect to argument `k` of
 * `args` (all float64 copies), one coordinate at a time.
 */
export function numericalGradAt(f: (...a: Tensor[]) => unknown, args: Tensor[], k: number, h: number, method: 'central' | 'forward', what: string): Tensor {
  const x = args[k];
  const g = new Tensor(x.shape, 'float64', x._data === null ? null : new Float64Array(x.size), 0);
  const evalF = () => scalarValue(what, f(...args));
  const f0 = method === 'forward' ? evalF() : 0;
  for (let i = 0; i < x.size; i++) {
    const old = getAt(x, i);
    setAt(x, i, old + h);
    const fp = evalF();
    let v: number;
    if (method === 'central') {
      setAt(x, i, old - h);
      const fm = evalF();
      v = (fp - fm) / (2 * h);
    } else v = (fp - f0) / h;
    setAt(x, i, old);
    setAt(g, i, v);
  }
  return g;
}

/**
 * The gradient of a scalar function by finite differences:
 * `numericalGrad(f, x)` nudges each entry of x by ±h (central differences,
 * h = 1e-4 by default) and returns a tensor of x's shape. With an array of
 * inputs, f is called as f(...xs) and the result is an array.
 * It costs two evaluations of f per entry, and is only approximate: use it to
 * check analytic gradients, not to train.
 */
export function numericalGrad(f: (x: Tensor) => Tensor | number, x: TensorLike, opts?: NumericalGradOptions): Tensor;
export function numericalGrad(f: (...xs: Tensor[]) => Tensor | number, xs: TensorLike[], opts?: NumericalGradOptions): Tensor[];
export function numericalGrad(f: (...xs: Tensor[]) => Tensor | number, x: TensorLike | TensorLike[], opts: NumericalGradOptions = {}): Tensor | Tensor[] {
  const h = checkStep('numericalGrad', opts.h ?? 1e-4);
  const method = opts.method ?? 'central';
  if (method !== 'central' && method !== 'forward') fail(`numericalGrad: method must be 'central' or 'forward', got ${String(method)}`);
  const list = inputList('numericalGrad', x, f);
  const args = list.map((a) => nudgeable(asTensor(a, 'numericalGrad')));
  return noGrad(() => {
    const gs = args.map((_, k) => numericalGradAt(f, args, k, h, method, 'numericalGrad'));
    return Array.isArray(x) ? gs : gs[0];
  });
}
