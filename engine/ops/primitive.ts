/**
 * Primitives and how they are applied.
 *
 * A primitive is one definition: its numeric forward, its forward-mode rule
 * (jvp) and its reverse-mode rule (vjp), the rules written with engine ops so
 * they can be differentiated again. Everything else in the engine is composed
 * from primitives and needs no rule of its own.
 *
 * `apply` is the one place where an op meets the AD machinery: it unwraps
 * forward-mode duals, runs the forward, checks for NaN/Inf in anomaly mode and
 * records the node on the tape when an operand requires grad.
 */
import { fail, fmtShape, GradlabError } from '../errors';
import type { DType } from '../kernels';
import {
  state, currentTape, F_FAST, F_F32, F_REQ, F_SCALAR, OP_CONST, OP_REF, type NodeInfo, type Tape,
} from '../tape';
import { SCALAR_SHAPE, Tensor, scalarOf, valuesOf } from '../tensor';

/** What a rule sees of the node it differentiates. */
export interface RuleContext<A = any> {
  /** The operands (values; in createGraph mode they are recorded so rules differentiate again). */
  x: Tensor[];
  /** The output. */
  y: Tensor;
  attrs: A;
  /** Whatever the forward saved. */
  saved: any;
  /** needs[i]: whether operand i requires a gradient. */
  needs: boolean[];
}

/** A local partial derivative ∂y/∂x_i of an elementwise op, given the operands and the output. */
export type PartialDerivative = (...args: any[]) => Tensor | number;

export interface Primitive<A = any> {
  readonly name: string;
  readonly index: number;
  /** Elementwise ops: the scalar function and its partial derivatives (null: not differentiable in that operand). */
  readonly elementwise: { f: (...a: number[]) => number; d: (PartialDerivative | null)[] } | null;
  /** False for comparisons and masks: their outputs never require grad. */
  readonly differentiable: boolean;
  /** User-defined (gl.customOp): first-order only. */
  readonly custom: boolean;
  /** Numeric forward on plain (unrecorded) operands. */
  forward(x: Tensor[], attrs: A): { y: Tensor; saved?: unknown };
  /** Tangent of the output. Missing operand tangents are null for elementwise ops, zeros otherwise. */
  jvp(dx: (Tensor | null)[], c: RuleContext<A>): Tensor;
  /** Cotangents of the operands (null where not needed). */
  vjp(gy: Tensor, c: RuleContext<A>): (Tensor | null)[];
  /** Attributes worth showing in the graph view. */
  describe?(attrs: A): Record<string, string | number | boolean | number[]>;
}

/** Every primitive, by index. Filled by definePrimitive: there is no hand-kept list. */
export const PRIMITIVES: Primitive[] = [];

export function definePrimitive<A>(def: Omit<Primitive<A>, 'index' | 'elementwise' | 'differentiable' | 'custom'> &
  Partial<Pick<Primitive<A>, 'elementwise' | 'differentiable' | 'custom'>>): Primitive<A> {
  const p: Primitive<A> = {
    elementwise: null,
    differentiable: true,
    custom: false,
    ...def,
    index: PRIMITIVES.length,
  };
  PRIMITIVES.push(p);
  return p;
}

/** Name of primitive number `i`. */
export function primitiveName(i: number): string {
  return PRIMITIVES[i]?.name ?? `op#${i}`;
}

/** The dtype of a result: float64 unless every tensor operand is float32. */
export function resultDtype(xs: readonly Tensor[]): DType {
  for (const x of xs) if (x.dtype === 'float64') return 'float64';
  return xs.length ? 'float32' : 'float64';
}

// ---- recording ------------------------------------------------------------

/** Row of `x` on `tape`, adding a ref (leaf, older tape) or constant node when needed. */
export function idOf(tape: Tape, x: Tensor): number {
  if (x._tape === tape) return x._id;
  const scalar = x._data === null;
  const fl = (scalar ? F_SCALAR : 0) | (x.dtype === 'float32' ? F_F32 : 0);
  if (x._result) {
    // a result of an older tape: one ref node per tape stands for it
    const m = (tape.foreign ??= new Map());
    let id = m.get(x);
    if (id === undefined) {
      id = tape.push0(OP_REF, fl | (x._req ? F_REQ : 0), scalar ? x._v : 0, x);
      m.set(x, id);
    }
    return id;
  }
  let id: number;
  if (x._req) id = tape.push0(OP_REF, fl | F_REQ, scalar ? x._v : 0, x);
  else {
    const info: NodeInfo | undefined = scalar ? undefined : { shape: x.shape, data: x._data, attrs: null, saved: null };
    id = tape.push0(OP_CONST, fl, scalar ? x._v : 0, info);
  }
  x._tape = tape;
  x._id = id;
  return id;
}

/** Row of a number constant: one node per distinct value per tape. */
function idOfNumber(tape: Tape, v: number): number {
  const m = (tape.consts ??= new Map());
  let id = m.get(v);
  if (id === undefined) {
    id = tape.push0(OP_CONST, F_SCALAR, v, undefined);
    m.set(v, id);
  }
  return id;
}

function record(p: Primitive, xs: Tensor[], y: Tensor, attrs: unknown, saved: unknown): void {
  const tape = currentTape();
  const ids = xs.map((x) => idOf(tape, x));
  const scalar = y._data === null;
  let fl = F_REQ | (scalar ? F_SCALAR : 0) | (y.dtype === 'float32' ? F_F32 : 0);
  if (scalar && p.elementwise && xs.every((x) => x._data === null)) fl |= F_FAST;
  const info: NodeInfo | undefined =
    fl & F_FAST ? undefined : { shape: y.shape, data: y._data, attrs, saved };
  const id = tape.pushN(p.index, fl, scalar ? y._v : 0, ids, info);
  y._tape = tape;
  y._id = id;
  y._result = true;
  y._req = true;
}

// ---- applying ----------------------------------------------------------------

/** Apply primitive `p` to tensor operands. */
export function apply(p: Primitive, xs: Tensor[], attrs?: unknown): Tensor {
  if (state.levels.length) {
    const lvl = topLevel(xs);
    if (lvl) return applyDual(p, xs, attrs, lvl);
  }
  const { y, saved } = p.forward(xs, attrs);
  if (state.anomaly) checkFinite(p, xs, y);
  if (state.gradEnabled && p.differentiable) {
    for (let i = 0; i < xs.length; i++) {
      if (xs[i]._req) {
        record(p, xs, y, attrs, saved);
        break;
      }
    }
  }
  return y;
}

/**
 * Fast path for an elementwise op on 0-d operands (tensors or numbers): no
 * arrays, no operand objects for numbers, a 40-byte row on the tape.
 */
export function applyScalar2(p: Primitive, a: Tensor | number, b: Tensor | number): Tensor {
  const an = typeof a === 'number';
  const bn = typeof b === 'number';
  const av = an ? a : a._v;
  const bv = bn ? b : b._v;
  const dtype: DType = (an || a.dtype === 'float32') && (bn || b.dtype === 'float32') && !(an && bn) ? 'float32' : 'float64';
  let v = p.elementwise!.f(av, bv);
  if (dtype === 'float32') v = Math.fround(v);
  const y = new Tensor(SCALAR_SHAPE, dtype, null, v);
  if (state.anomaly && !Number.isFinite(v)) {
    checkFinite(p, [an ? scalarOf(av) : a, bn ? scalarOf(bv) : b], y);
  }
  if (state.gradEnabled && ((!an && a._req) || (!bn && b._req)) && p.differentiable) {
    const tape = currentTape();
    const ia = an ? idOfNumber(tape, av) : idOf(tape, a);
    const ib = bn ? idOfNumber(tape, bv) : idOf(tape, b);
    y._id = tape.push2(p.index, F_REQ | F_SCALAR | F_FAST | (dtype === 'float32' ? F_F32 : 0), v, ia, ib);
    y._tape = tape;
    y._result = true;
    y._req = true;
  }
  return y;
}

/** Fast path for an elementwise op on one 0-d tensor. */
export function applyScalar1(p: Primitive, a: Tensor): Tensor {
  let v = p.elementwise!.f(a._v);
  if (a.dtype === 'float32') v = Math.fround(v);
  const y = new Tensor(SCALAR_SHAPE, a.dtype, null, v);
  if (state.anomaly && !Number.isFinite(v)) checkFinite(p, [a], y);
  if (state.gradEnabled && a._req && p.differentiable) {
    const tape = currentTape();
    const ia = idOf(tape, a);
    y._id = tape.push1(p.index, F_REQ | F_SCALAR | F_FAST | (a.dtype === 'float32' ? F_F32 : 0), v, ia);
    y._tape = tape;
    y._result = true;
    y._req = true;
  }
  return y;
}

// ---- forward mode ---------------------------------------------------------------

function isActive(level: number): boolean {
  return state.levels.includes(level);
}

/** Highest active forward-mode level among the operands (0: none). */
function topLevel(xs: Tensor[]): number {
  let lvl = 0;
  for (const x of xs) {
    let d = x._dual;
    while (d && !isActive(d.level)) d = d.primal._dual;
    if (d && d.level > lvl) lvl = d.level;
  }
  return lvl;
}

/** Strip dual wrappers of levels at or above `level` (inactive ones anywhere). */
function primalAt(x: Tensor, level: number): Tensor {
  while (x._dual && (x._dual.level >= level || !isActive(x._dual.level))) x = x._dual.primal;
  return x;
}

function applyDual(p: Primitive, xs: Tensor[], attrs: unknown, lvl: number): Tensor {
  const primals: Tensor[] = [];
  const tangents: (Tensor | null)[] = [];
  let any = false;
  for (const x of xs) {
    let d = x._dual;
    while (d && d.level > lvl) d = d.primal._dual;
    if (d && d.level === lvl) {
      primals.push(primalAt(d.primal, lvl));
      tangents.push(d.tangent);
      if (d.tangent) any = true;
    } else {
      primals.push(primalAt(x, lvl));
      tangents.push(null);
    }
  }
  // The primal computation (recorded on the tape if needed; lower levels handled by the recursion).
  const { y, saved } = applyWithSaved(p, primals, attrs);
  if (!any || !p.differentiable) return y;
  const dx = p.elementwise ? tangents : tangents.map((t, i) => t ?? zerosLikeT(primals[i]));
  const ty = p.jvp(dx, { x: primals, y, attrs, saved, needs: tangents.map((t) => t !== null) });
  return makeDual(lvl, y, ty);
}

/** apply() that also returns what the forward saved (for jvp rules). */
function applyWithSaved(p: Primitive, xs: Tensor[], attrs: unknown): { y: Tensor; saved: unknown } {
  if (state.levels.length && topLevel(xs)) {
    return { y: apply(p, xs, attrs), saved: p.forward(xs.map((x) => primalAt(x, 0)), attrs).saved };
  }
  const r = p.forward(xs, attrs);
  if (state.anomaly) checkFinite(p, xs, r.y);
  if (state.gradEnabled && p.differentiable && xs.some((x) => x._req)) record(p, xs, r.y, attrs, r.saved);
  return { y: r.y, saved: r.saved };
}

/** @internal A tensor that carries a tangent at forward-mode level `level`. */
export function makeDual(level: number, primal: Tensor, tangent: Tensor | null): Tensor {
  const t = new Tensor(primal.shape, primal.dtype, primal._data, primal._v);
  t._dual = { level, primal, tangent };
  // The dual reads as its primal: same values, and requiresGrad mirrors it.
  t._req = primal._req;
  return t;
}

function zerosLikeT(x: Tensor): Tensor {
  if (x._data === null) return scalarOf(0, x.dtype);
  const d = x._data.constructor === Float32Array ? new Float32Array(x._data.length) : new Float64Array(x._data.length);
  return new Tensor(x.shape, x.dtype, d, 0);
}

// ---- anomaly mode ------------------------------------------------------------------

function range(t: Tensor): string {
  const v = valuesOf(t);
  let lo = Infinity;
  let hi = -Infinity;
  let bad = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!Number.isFinite(x)) bad++;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return `shape ${fmtShape(t.shape)}, range [${lo}, ${hi}]${bad ? `, ${bad} non-finite` : ''}`;
}

/** @internal Throw if `y` has NaN/Inf, naming the op and its operands. */
export function checkFinite(p: Primitive, xs: Tensor[], y: Tensor): void {
  const v = valuesOf(y);
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) {
      throw new GradlabError(
        `detectAnomaly: '${p.name}' produced ${v[i]} (output ${range(y)}); ` +
          `its inputs: ${xs.map((x, j) => `#${j} ${x.name ? `'${x.name}' ` : ''}${range(x)}`).join('; ')}`,
      );
    }
  }
}

/** Throw a shape error for op `op`. */
export function shapeError(op: string, msg: string, ...shapes: (readonly number[])[]): never {
  fail(`${op}: ${msg} (got ${shapes.map(fmtShape).join(' and ')})`);
}
