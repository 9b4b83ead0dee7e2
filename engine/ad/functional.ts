/**
 * Function transformations: grad, valueAndGrad, vjp (reverse mode), jvp
 * (forward mode, by pushing tangents through each op's jvp rule together with
 * the values), Jacobians both ways and the Hessian.
 *
 * Everywhere `f` is called as `f(...primals)`, and `primals`, `tangents` and
 * gradients are arrays in argument order.
 */
import { describeValue, fail, fmtShape } from '../errors';
import { allocShape } from '../shape';
import { makeDual, markIdentityBatch } from '../ops/primitive';
import { concat } from '../ops/indexing';
import { reshape, transpose, detach } from '../ops/shape';
import { state } from '../tape';
import { Tensor, asTensor, fromNested, sameShapeAs, scalarOf, type NestedArray, type TensorLike } from '../tensor';
import { assertNotDual, gradients, seedFor } from './reverse';

/** A user's function of tensors; its parameters are typed as the user likes (a Tensor, or TensorLike, or more). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any parameter list: with Tensor[] or unknown[] a user's (x: Tensor, n: number) => ... would not be accepted
type Fn = (...args: any[]) => Tensor | number;

/** The value of f and the gradients. */
export interface ValueAndGrad<G> {
  value: Tensor;
  grad: G;
}

/** True when we are inside another differentiation (an argument already requires grad). */
function nested(args: unknown[]): boolean {
  return args.some((a) => a instanceof Tensor && a._req);
}

/** An argument to differentiate with respect to: itself if it already requires grad (nested), else a fresh leaf. */
function asInput(a: unknown, what: string): Tensor {
  const t = asTensor(a, what);
  assertNotDual(t, what);
  if (t._req) return t;
  const leaf = detach(t);
  leaf._req = true;
  return leaf;
}

function asOutput(y: Tensor | number, what: string): Tensor {
  if (typeof y === 'number') return scalarOf(y);
  if (!(y instanceof Tensor)) fail(`${what}: f must return a Tensor or a number, got ${describeValue(y)}`);
  return y;
}

/** The function to differentiate, checked when the transformation is made (`gl.grad(3)` fails there, naming the op). */
function checkFn<F>(f: F, what: string): F {
  if (typeof f !== 'function') fail(`${what}: expected a function to differentiate, like (x) => gl.sum(gl.mul(x, x)); got ${describeValue(f)}`);
  return f;
}

function argnumList(argnums: number | number[], n: number, what: string): number[] {
  const list = Array.isArray(argnums) ? argnums : [argnums];
  for (const i of list) {
    if (!Number.isInteger(i) || i < 0 || i >= n) fail(`${what}: argnums ${i} is out of range for ${n} argument${n === 1 ? '' : 's'}`);
  }
  return list;
}

/**
 * `valueAndGrad(f, argnums)(...args)` → `{value, grad}`: f(...args) and its
 * gradient with respect to argument `argnums` (default 0; with an array, the
 * grad is a Tensor[] in that order). f must return a scalar.
 */
export function valueAndGrad(f: Fn, argnums?: number): (...args: TensorLike[]) => ValueAndGrad<Tensor>;
export function valueAndGrad(f: Fn, argnums: number[]): (...args: TensorLike[]) => ValueAndGrad<Tensor[]>;
export function valueAndGrad(f: Fn, argnums: number | number[] = 0) {
  return valueAndGradAs(f, argnums, 'valueAndGrad');
}

/** valueAndGrad under the name the user called (grad, valueAndGrad, hessian). */
function valueAndGradAs(f: Fn, argnums: number | number[], what: string) {
  checkFn(f, what);
  return (...args: TensorLike[]) => {
    const nums = argnumList(argnums, args.length, what);
    const outer = nested(args);
    const inputs = args.map((a, i) => (nums.includes(i) ? asInput(a, what) : a));
    const y = asOutput(f(...inputs), what);
    if (y.size !== 1) {
      fail(`${what}: f must return a scalar, but it returned shape ${fmtShape(y.shape)}; use gl.vjp or gl.jacrev for non-scalar outputs`);
    }
    const gs = gradients(
      [y],
      nums.map((i) => inputs[i] as Tensor),
      [seedFor(y, y.ndim ? reshapeOnes(y) : undefined, what)],
      {
        createGraph: outer,
        retainGraph: outer,
      },
    );
    return { value: outer ? y : detach(y), grad: Array.isArray(argnums) ? gs : gs[0] };
  };
}

function reshapeOnes(y: Tensor): Tensor {
  return reshape(fromNested(1, y.dtype), y.shape);
}

/**
 * `grad(f, argnums)` is a function computing df/dx (argument `argnums`,
 * default 0; with an array, a Tensor[]). An argument f does not depend on
 * gets zeros. Compose it for higher derivatives: `grad(grad(f))`.
 */
export function grad(f: Fn, argnums?: number): (...args: TensorLike[]) => Tensor;
export function grad(f: Fn, argnums: number[]): (...args: TensorLike[]) => Tensor[];
export function grad(f: Fn, argnums: number | number[] = 0): (...args: TensorLike[]) => Tensor | Tensor[] {
  const vg = valueAndGradAs(f, argnums, 'grad');
  return (...args: TensorLike[]) => vg(...args).grad;
}

/**
 * Reverse mode with a given cotangent: `{value: f(...primals), grads}` where
 * grads[i] = (∂f/∂primals[i])ᵀ · cotangent.
 */
export function vjp(f: Fn, primals: TensorLike[], cotangent: Tensor | number | NestedArray): { value: Tensor; grads: Tensor[] } {
  checkFn(f, 'vjp');
  if (!Array.isArray(primals)) fail('vjp: primals must be an array of tensors, in argument order');
  const outer = nested(primals);
  const inputs = primals.map((a) => asInput(a, 'vjp'));
  const y = asOutput(f(...inputs), 'vjp');
  const seed = seedFor(y, cotangent, 'vjp');
  const grads = gradients([y], inputs, [seed], { createGraph: outer, retainGraph: outer });
  return { value: outer ? y : detach(y), grads };
}

let levelCounter = 0;

/**
 * Forward mode: `{value: f(...primals), tangent}` with tangent = Σᵢ ∂f/∂primals[i] · tangents[i],
 * computed by pushing tangents forward through each op's jvp rule along with
 * the values (dual numbers), not by running reverse mode.
 */
export function jvp(f: Fn, primals: TensorLike[], tangents: (TensorLike | NestedArray)[]): { value: Tensor; tangent: Tensor } {
  checkFn(f, 'jvp');
  if (!Array.isArray(primals) || !Array.isArray(tangents)) fail('jvp: primals and tangents must be arrays, in argument order');
  if (primals.length !== tangents.length) fail(`jvp: ${primals.length} primals but ${tangents.length} tangents`);
  const ps = primals.map((p) => asTensor(p, 'jvp'));
  const ts = tangents.map((t, i) => {
    const tt = t instanceof Tensor ? t : typeof t === 'number' ? scalarOf(t, ps[i].dtype) : fromNested(t, ps[i].dtype);
    if (!sameShapeAs(tt, ps[i])) fail(`jvp: tangent #${i} has shape ${fmtShape(tt.shape)} but primal #${i} has shape ${fmtShape(ps[i].shape)}`);
    return tt;
  });
  return pushForward(f, ps, ts, 0, 'jvp');
}

/**
 * f(...ps) with tangents `ts` pushed through it at a new forward-mode level.
 * With `batch` B > 0 each tangent holds B tangents stacked along a leading
 * dimension ([B, ...primal.shape]) and so does the result's.
 */
function pushForward(f: Fn, ps: Tensor[], ts: Tensor[], batch: number, what: string): { value: Tensor; tangent: Tensor } {
  const level = ++levelCounter;
  state.levels.push(level);
  try {
    const y = asOutput(f(...ps.map((p, i) => makeDual(level, p, ts[i], batch))), what);
    let d = y._dual;
    while (d && d.level > level) d = d.primal._dual;
    const value = d && d.level === level ? d.primal : y;
    const tangent = d && d.level === level ? d.tangent : null;
    return { value, tangent: tangent ?? (batch > 0 ? zerosOfShape([batch, ...value.shape], value.dtype) : zerosLike(value)) };
  } finally {
    state.levels.splice(state.levels.indexOf(level), 1);
  }
}

function zerosOfShape(shape: number[], dtype: Tensor['dtype'], what = 'jacobian'): Tensor {
  return new Tensor(shape, dtype, allocShape(what, shape, dtype), 0);
}

/** The n×n identity as a batch of n basis tensors of `like`'s shape: [n, ...like.shape]. */
function basisBatch(like: Tensor, what: string): Tensor {
  const n = like.size;
  const e = zerosOfShape([n, ...like.shape], like.dtype, `${what} (the ${n} basis ${what === 'jacfwd' ? 'tangents' : 'cotangents'} stacked)`);
  for (let i = 0; i < n; i++) e._data![i * n + i] = 1;
  return e;
}

function zerosLike(x: Tensor): Tensor {
  if (x._data === null) return scalarOf(0, x.dtype);
  return new Tensor(x.shape, x.dtype, x.dtype === 'float32' ? new Float32Array(x.size) : new Float64Array(x.size), 0);
}

/** The i-th basis tensor of `like`'s shape. */
function basis(like: Tensor, i: number): Tensor {
  const z = zerosLike(like);
  if (z._data === null) z._v = 1;
  else z._data[i] = 1;
  return z;
}

/**
 * Jacobian by forward mode (best when the input is small and the output
 * large): all n basis tangents are pushed through f at once, as one tangent
 * of shape [n, ...x.shape], so each op runs its jvp once on a batch (as
 * torch.func.jacfwd does with vmap). `jacfwd(f)(x)` has shape [...out.shape, ...x.shape].
 */
export function jacfwd(f: (x: Tensor) => Tensor | number): (x: TensorLike) => Tensor {
  checkFn(f, 'jacfwd');
  return (x0: TensorLike) => {
    const x = asTensor(x0, 'jacfwd');
    const n = x.size;
    if (n === 0) fail('jacfwd: the input has no entries');
    if (n === 1) {
      // one column: an ordinary jvp (0-d graphs keep their scalar paths)
      const { tangent } = jvp(f, [x], [basis(x, 0)]);
      return reshape(tangent, [...tangent.shape, ...x.shape]);
    }
    // (marked: a rule meeting the seed itself may read its result off, see markIdentityBatch)
    const { tangent } = pushForward(f, [x], [markIdentityBatch(basisBatch(x, 'jacfwd'))], n, 'jacfwd');
    // tangent [n, ...out.shape] → J [...out.shape, ...x.shape]
    const m = tangent.size / n;
    const J = n === 1 || m === 1 ? tangent : transpose(reshape(tangent, [n, m]));
    return reshape(J, [...tangent.shape.slice(1), ...x.shape]);
  };
}

/** @internal jacfwd by one jvp per input entry (the unbatched reference the tests compare with). */
export function jacfwdColumns(f: (x: Tensor) => Tensor | number): (x: TensorLike) => Tensor {
  return (x0: TensorLike) => {
    const x = asTensor(x0, 'jacfwd');
    const n = x.size;
    const cols: Tensor[] = [];
    let outShape: readonly number[] = [];
    for (let j = 0; j < n; j++) {
      const { tangent } = jvp(f, [x], [basis(x, j)]);
      outShape = tangent.shape;
      cols.push(reshape(tangent, [1, tangent.size]));
    }
    if (n === 0) fail('jacfwd: the input has no entries');
    const J = transpose(concat(cols, 0)); // [m, n]
    return reshape(J, [...outShape, ...x.shape]);
  };
}

/**
 * Jacobian by reverse mode (best when the output is small and the input
 * large): all m basis cotangents are pulled back through f at once, as one
 * cotangent of shape [m, ...out.shape], so each op runs its vjp once on a
 * batch (as torch.func.jacrev does with vmap). `jacrev(f)(x)` has shape [...out.shape, ...x.shape].
 */
export function jacrev(f: (x: Tensor) => Tensor | number): (x: TensorLike) => Tensor {
  return jacrevAs(f, 'jacrev');
}

function jacrevAs(f: (x: Tensor) => Tensor | number, what: string): (x: TensorLike) => Tensor {
  checkFn(f, what);
  return (x0: TensorLike) => {
    const outer = nested([x0]);
    const x = asInput(x0, what);
    const y = asOutput(f(x), what);
    const m = y.size;
    if (m === 0) fail(`${what}: the output has no entries`);
    // one row: an ordinary backward pass (0-d graphs keep their scalar path)
    const [g] =
      m === 1
        ? gradients([y], [x], [basis(y, 0)], { createGraph: outer, retainGraph: outer })
        : gradients([y], [x], [basisBatch(y, what)], { createGraph: outer, retainGraph: outer, batch: m });
    // g [m, ...x.shape] is J already, row by row
    return reshape(g, [...y.shape, ...x.shape]);
  };
}

/** @internal jacrev by one backward pass per output entry (the unbatched reference the tests compare with). */
export function jacrevRows(f: (x: Tensor) => Tensor | number): (x: TensorLike) => Tensor {
  return (x0: TensorLike) => {
    const outer = nested([x0]);
    const x = asInput(x0, 'jacrev');
    const y = asOutput(f(x), 'jacrev');
    const m = y.size;
    const rows: Tensor[] = [];
    for (let i = 0; i < m; i++) {
      const [g] = gradients([y], [x], [basis(y, i)], { createGraph: outer, retainGraph: outer || i < m - 1 });
      rows.push(reshape(g, [1, x.size]));
    }
    if (m === 0) fail('jacrev: the output has no entries');
    return reshape(m === 1 ? rows[0] : concat(rows, 0), [...y.shape, ...x.shape]);
  };
}

/** The Jacobian of f at x, by `mode` 'rev' (default) or 'fwd'. Shape [...out.shape, ...x.shape]. */
export function jacobian(f: (x: Tensor) => Tensor | number, x: TensorLike, opts: { mode?: 'fwd' | 'rev' | 'forward' | 'reverse' } = {}): Tensor {
  checkFn(f, 'jacobian');
  const mode = opts?.mode ?? 'rev';
  if (mode === 'fwd' || mode === 'forward') return jacfwd(f)(x);
  if (mode === 'rev' || mode === 'reverse') return jacrev(f)(x);
  fail(`jacobian: mode must be 'fwd' or 'rev', got ${String(mode)}`);
}

/**
 * The Hessian of a scalar f: `hessian(f)(x)` has shape [...x.shape, ...x.shape].
 * Computed as jacrev(grad(f)) (reverse over reverse).
 */
export function hessian(f: (x: Tensor) => Tensor | number): (x: TensorLike) => Tensor {
  checkFn(f, 'hessian');
  const g = valueAndGradAs(f as Fn, 0, 'hessian');
  return jacrevAs((x: Tensor) => g(x).grad as Tensor, 'hessian');
}
