/**
 * Elementwise ops. Each is its scalar function and its local partial
 * derivatives ∂y/∂xᵢ, written with engine ops: called with numbers they give
 * numbers (the scalar fast path of backward), called with tensors they give
 * tensors (broadcasting, forward mode, higher-order derivatives). The vjp is
 * gy·∂y/∂xᵢ reduced back to the operand's shape; the jvp is Σᵢ ∂y/∂xᵢ·dxᵢ.
 */
import { alloc, map1, map2, mapN } from '../kernels';
import { allocShape, broadcastShapes, sameShape } from '../shape';
import { SCALAR_SHAPE, SYMBOLIC_OPS, Tensor, asTensor, isSymbolic, valuesOf, type TensorLike } from '../tensor';
import { apply, applyScalar1, definePrimitive, scalarPaths, resultDtype, type PartialDerivative, type Primitive } from './primitive';
import { broadcastTo, reshape, sumTo } from './shape';
import { state } from '../tape';

interface ElementwiseDef {
  name: string;
  f: (...a: number[]) => number;
  /** Partials in operand order, or null for an op with no gradient (comparisons). */
  d: (PartialDerivative | null)[] | null;
}

/** One operand: numbers give numbers, 0-d tensors take the scalar fast path. */
interface Unary {
  (x: number): number;
  (x: Tensor): Tensor;
  (x: TensorLike): Tensor | number;
}
/** Two operands, numbers accepted on either side. */
interface Binary {
  (a: number, b: number): number;
  (a: TensorLike, b: TensorLike): Tensor;
}

function unary(p: Primitive): Unary {
  const f = p.elementwise!.f;
  return ((x: TensorLike) => {
    if (typeof x === 'number') return f(x);
    if (!(x instanceof Tensor)) {
      if (isSymbolic(x)) return symbolic(p, [x]);
      x = asTensor(x, p.name);
    }
    if (x._data === null && state.levels.length === 0) return applyScalar1(p, x);
    return apply(p, [x]);
  }) as Unary;
}

function binary(p: Primitive): Binary {
  const f = p.elementwise!.f;
  return ((a: TensorLike, b: TensorLike) => {
    const an = typeof a === 'number';
    const bn = typeof b === 'number';
    if (an && bn) return f(a as number, b as number);
    if ((!an && !(a instanceof Tensor)) || (!bn && !(b instanceof Tensor))) {
      if (isSymbolic(a) || isSymbolic(b)) return symbolic(p, [a, b]);
      if (!an && !(a instanceof Tensor)) a = asTensor(a, p.name);
      if (!bn && !(b instanceof Tensor)) b = asTensor(b, p.name);
    }
    if ((an || (a as Tensor)._data === null) && (bn || (b as Tensor)._data === null) && state.levels.length === 0) {
      // the op's scalar paths called here directly: this is the path of every op of a scalar graph
      const fp = p.fast ?? scalarPaths(p);
      return an ? fp.nt(a as number, b as Tensor) : bn ? fp.tn(a as Tensor, b as number) : fp.tt(a as Tensor, b as Tensor);
    }
    // a number takes the dtype of the tensor it meets (it does not promote float32 to float64)
    const A = an ? asTensor(a, p.name, (b as Tensor).dtype) : (a as Tensor);
    const B = bn ? asTensor(b, p.name, A.dtype) : (b as Tensor);
    return apply(p, [A, B]);
  }) as Binary;
}

/**
 * An op on a symbolic scalar (gl.symbolic) builds an expression node instead of computing: the same
 * call, so a user's function and every partial below work on expressions unchanged.
 */
function symbolic(p: Primitive, args: readonly unknown[]): Tensor {
  if (!SYMBOLIC_OPS.apply) throw new Error('gradlab: internal: a symbolic scalar without engine/symbolic loaded');
  return SYMBOLIC_OPS.apply(p.name, args) as Tensor;
}

// ---- the ops ------------------------------------------------------------------

/** The primitives (defined by `elementwisePrimitives` below: each op's scalar function and partials together). */
const P = elementwisePrimitives();

/** a + b (elementwise, broadcasting). Two numbers give a number. */
export const add: Binary = binary(P.add);
/** a − b */
export const sub: Binary = binary(P.sub);
/** a · b (elementwise) */
export const mul: Binary = binary(P.mul);
/** a / b */
export const div: Binary = binary(P.div);
/** a ** b. The gradient with respect to b uses ln(a), so it is NaN for a ≤ 0 unless b is a constant. */
export const pow: Binary = binary(P.pow);
/** Elementwise maximum; at a tie the gradient goes to `a`. */
export const maximum: Binary = binary(P.maximum);
/** Elementwise minimum; at a tie the gradient goes to `a`. */
export const minimum: Binary = binary(P.minimum);
/** −x */
export const neg: Unary = unary(P.neg);
/** eˣ */
export const exp: Unary = unary(P.exp);
/** Natural logarithm. */
export const log: Unary = unary(P.log);
/** √x */
export const sqrt: Unary = unary(P.sqrt);
/** |x|; its gradient at 0 is 0. */
export const abs: Unary = unary(P.abs);
/** σ(x) = 1 / (1 + e⁻ˣ) */
export const sigmoid: Unary = unary(P.sigmoid);
/** tanh(x) */
export const tanh: Unary = unary(P.tanh);
/** max(0, x); its gradient at 0 is 0. */
export const relu: Unary = unary(P.relu);
/** sin(x) */
export const sin: Unary = unary(P.sin);
/** cos(x) */
export const cos: Unary = unary(P.cos);
/** −1, 0 or 1 (no gradient). */
export const sign: Unary = unary(P.sign);
/** Mask: 1 where a > b, else 0 (no gradient). */
export const gt: Binary = binary(P.gt);
/** Mask: 1 where a ≥ b. */
export const ge: Binary = binary(P.ge);
/** Mask: 1 where a < b. */
export const lt: Binary = binary(P.lt);
/** Mask: 1 where a ≤ b. */
export const le: Binary = binary(P.le);
/** Mask: 1 where a = b. */
export const eq: Binary = binary(P.eq);
/** Mask: 1 where a ≠ b. */
export const ne: Binary = binary(P.ne);

/** x² (as x·x: the graph shows two edges from x). */
export function square(x: number): number;
export function square(x: TensorLike): Tensor;
export function square(x: TensorLike): Tensor | number {
  if (typeof x !== 'number' && !(x instanceof Tensor) && !isSymbolic(x)) x = asTensor(x, 'square');
  return mul(x, x);
}

/**
 * Elementwise choice: `cond ≠ 0 ? a : b`, broadcasting all three. The gradient
 * flows to `a` where the condition holds and to `b` elsewhere.
 */
export function where(cond: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  if (isSymbolic(cond) || isSymbolic(a) || isSymbolic(b)) return symbolic(P.where, [cond, a, b]);
  const ts = [cond, a, b].filter((x): x is Tensor => x instanceof Tensor);
  const dtype = ts.length ? resultDtype(ts) : 'float64';
  return apply(P.where, [asTensor(cond, 'where', dtype), asTensor(a, 'where', dtype), asTensor(b, 'where', dtype)]);
}

/**
 * The primitives, in the order they are registered. Their partials call the ops above; a partial
 * runs only when a gradient is taken, long after this module has been loaded.
 */
function elementwisePrimitives() {
  return {
    add: elementwise({ name: 'add', f: (a, b) => a + b, d: [() => 1, () => 1] }),
    sub: elementwise({ name: 'sub', f: (a, b) => a - b, d: [() => 1, () => -1] }),
    mul: elementwise({ name: 'mul', f: (a, b) => a * b, d: [(_a, b) => b, (a) => a] }),
    // d(a/b) = da/b − a·db/b² = da/b − y·db/b
    div: elementwise({ name: 'div', f: (a, b) => a / b, d: [(_a, b) => div(1, b), (_a, b, y) => neg(div(y, b))] }),
    // d(aᵇ) = b·aᵇ⁻¹ da + ln(a)·aᵇ db
    pow: elementwise({
      name: 'pow',
      f: Math.pow,
      d: [(a, b) => mul(b, pow(a, sub(b, 1))), (a, _b, y) => mul(log(a), y)],
    }),
    // NOTE: at a tie the gradient goes to the first operand (a), so exactly one operand receives it.
    maximum: elementwise({ name: 'maximum', f: (a, b) => (a >= b || a !== a ? a : b), d: [(a, b) => ge(a, b), (a, b) => lt(a, b)] }),
    // NOTE: at a tie the gradient goes to the first operand (a).
    minimum: elementwise({ name: 'minimum', f: (a, b) => (a <= b || a !== a ? a : b), d: [(a, b) => le(a, b), (a, b) => gt(a, b)] }),
    neg: elementwise({ name: 'neg', f: (x) => -x, d: [() => -1] }),
    exp: elementwise({ name: 'exp', f: Math.exp, d: [(_x, y) => y] }),
    log: elementwise({ name: 'log', f: Math.log, d: [(x) => div(1, x)] }),
    sqrt: elementwise({ name: 'sqrt', f: Math.sqrt, d: [(_x, y) => div(0.5, y)] }),
    // NOTE: the subgradient of |x| at 0 is taken as 0 (sign(0) = 0).
    abs: elementwise({ name: 'abs', f: Math.abs, d: [(x) => sign(x)] }),
    // σ' = σ(1 − σ)
    sigmoid: elementwise({ name: 'sigmoid', f: sigmoidScalar, d: [(_x, y) => mul(y, sub(1, y))] }),
    // tanh' = 1 − tanh²
    tanh: elementwise({ name: 'tanh', f: Math.tanh, d: [(_x, y) => sub(1, mul(y, y))] }),
    // NOTE: the subgradient of relu at 0 is taken as 0 (as PyTorch and JAX do).
    relu: elementwise({ name: 'relu', f: (x) => (x > 0 ? x : x !== x ? x : 0), d: [(x) => gt(x, 0)] }),
    sin: elementwise({ name: 'sin', f: Math.sin, d: [(x) => cos(x)] }),
    cos: elementwise({ name: 'cos', f: Math.cos, d: [(x) => neg(sin(x))] }),
    // where(c, a, b) = c ≠ 0 ? a : b — no gradient to the condition.
    where: elementwise({ name: 'where', f: (c, a, b) => (c !== 0 ? a : b), d: [null, (c) => ne(c, 0), (c) => eq(c, 0)] }),
    sign: elementwise({ name: 'sign', f: (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN), d: null }),
    gt: elementwise({ name: 'gt', f: (a, b) => (a > b ? 1 : 0), d: null }),
    ge: elementwise({ name: 'ge', f: (a, b) => (a >= b ? 1 : 0), d: null }),
    lt: elementwise({ name: 'lt', f: (a, b) => (a < b ? 1 : 0), d: null }),
    le: elementwise({ name: 'le', f: (a, b) => (a <= b ? 1 : 0), d: null }),
    eq: elementwise({ name: 'eq', f: (a, b) => (a === b ? 1 : 0), d: null }),
    ne: elementwise({ name: 'ne', f: (a, b) => (a !== b ? 1 : 0), d: null }),
  };
}

function sigmoidScalar(x: number): number {
  // NOTE: two branches so neither exp overflows for large |x|.
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

function elementwise(def: ElementwiseDef): Primitive {
  const { f, d } = def;
  return definePrimitive({
    name: def.name,
    elementwise: { f, d: d ?? [] },
    differentiable: d !== null,
    forward(xs) {
      const dtype = resultDtype(xs);
      if (xs.every((x) => x._data === null)) {
        const v = f(...xs.map((x) => x._v));
        return { y: new Tensor(SCALAR_SHAPE, dtype, null, dtype === 'float32' ? Math.fround(v) : v) };
      }
      const shape =
        xs.length === 1
          ? xs[0].shape
          : broadcastShapes(
              def.name,
              xs.map((x) => x.shape),
            );
      const out = allocShape(def.name, shape, dtype);
      const vals = xs.map(valuesOf);
      if (xs.length === 1) map1(f, vals[0], out);
      else if (xs.length === 2) map2(f, vals[0], xs[0].shape, vals[1], xs[1].shape, shape, out);
      else
        mapN(
          f,
          vals,
          xs.map((x) => x.shape),
          shape,
          out,
        );
      return { y: new Tensor(shape, dtype, out, 0) };
    },
    jvp(dx, c) {
      let ty: Tensor | null = null;
      for (let i = 0; i < dx.length; i++) {
        const t = dx[i];
        const di = d?.[i];
        if (!t || !di) continue;
        const term = mul(t, di(...c.x, c.y));
        ty = ty ? add(ty, term) : term;
      }
      if (!ty) return mul(c.y, 0);
      // A constant partial (add, sub, neg) does not broadcast: when the operand that was broadcast
      // is the only one with a tangent, the tangent still has the output's shape.
      return sameShape(ty.shape, c.y.shape) ? ty : broadcastTo(ty, c.y.shape);
    },
    // batched (leading dimension B on tangents and cotangents): the partials broadcast over it
    jvpBatched(dx, c, B) {
      const nd = c.y.ndim;
      let ty: Tensor | null = null;
      for (let i = 0; i < dx.length; i++) {
        const t = dx[i];
        const di = d?.[i];
        if (!t || !di) continue;
        const term = mulPartial(liftBatch(t, nd), di(...c.x, c.y));
        ty = ty ? add(ty, term) : term;
      }
      const shape = [B, ...c.y.shape];
      if (!ty) return new Tensor(shape, c.y.dtype, alloc(c.y.dtype, B * c.y.size), 0);
      return sameShape(ty.shape, shape) ? ty : broadcastTo(ty, shape);
    },
    vjpBatched(gy, c, B) {
      const was = state.anomaly;
      state.anomaly = false;
      try {
        return c.x.map((x, i) => {
          const di = d?.[i];
          if (!c.needs[i] || !di) return null;
          return sumToBatch(mulPartial(gy, di(...c.x, c.y)), B, x.shape);
        });
      } finally {
        state.anomaly = was;
      }
    },
    vjp(gy, c) {
      // NOTE: the ops inside a rule are not checked by detectAnomaly (sqrt'(0) = 0.5/0 would be
      // reported as a 'div' the user never wrote); backward checks the gradient the rule returns
      // and names this op.
      const was = state.anomaly;
      state.anomaly = false;
      try {
        return c.x.map((x, i) => {
          const di = d?.[i];
          if (!c.needs[i] || !di) return null;
          return sumTo(mul(gy, di(...c.x, c.y)), x.shape);
        });
      } finally {
        state.anomaly = was;
      }
    },
  });
}

/** t · ∂ (a constant partial 1 is skipped: add, sub's first operand). */
function mulPartial(t: Tensor, partial: Tensor | number): Tensor {
  return partial === 1 ? t : mul(t, partial);
}

/**
 * A batch [B, ...s] lifted to [B, 1, …, 1, ...s] with `nd` dimensions after B,
 * so it broadcasts against tensors of nd dimensions without B meeting their first.
 */
function liftBatch(t: Tensor, nd: number): Tensor {
  const s = t.shape;
  if (s.length - 1 >= nd) return t;
  return reshape(t, [s[0], ...new Array<number>(nd - (s.length - 1)).fill(1), ...s.slice(1)]);
}

/** sumTo for a batch: g [B, ...s] summed down to [B, ...shape] (the adjoint of broadcasting, entry by entry). */
function sumToBatch(g: Tensor, B: number, shape: readonly number[]): Tensor {
  const target = [B, ...shape];
  if (sameShape(g.shape, target)) return g;
  const pad = g.ndim - 1 - shape.length;
  const s = sumTo(g, [B, ...new Array<number>(pad).fill(1), ...shape]);
  return sameShape(s.shape, target) ? s : reshape(s, target);
}
