/**
 * Symbolic scalars: expressions built by calling an ordinary gradlab function
 * on them (`gl.symbolic(f, names)`).
 *
 * An expression is a node: a variable, a constant, or an elementwise
 * primitive applied to expressions. Nothing here knows any op's meaning: the
 * elementwise ops (ops/elementwise.ts) hand a call with a symbolic operand to
 * {@link build}, values come from each primitive's scalar function, and the
 * derivative (diff.ts) from each primitive's own jvp rule. Nodes are shared as
 * the user's code shares them (a value used twice is one object), so an
 * expression is a DAG; `size` counts it written out as a tree.
 */
import { fail, GradlabError } from '../errors';
import { PRIMITIVES, type Primitive } from '../ops/primitive';
import * as ops from '../ops/elementwise';
import { SCALAR_SHAPE, SYMBOLIC_BRAND, SYMBOLIC_OPS, Tensor } from '../tensor';
import '../tensor-methods';

/** The elementwise primitives by name (every one with a scalar meaning). */
const PRIM = new Map<string, Primitive>();

function primitive(op: string): Primitive {
  if (PRIM.size === 0) for (const p of PRIMITIVES) if (p.elementwise && !p.custom) PRIM.set(p.name, p);
  const p = PRIM.get(op);
  if (!p) fail(`gl.symbolic: '${op}' is not an elementwise op`);
  return p;
}

/** What a value-reading call says: the way to write a branch with ops instead. */
const BRANCH_HINT =
  'write branches on values with ops: gl.maximum(a, b), gl.minimum(a, b), gl.relu(x), gl.abs(x), ' + 'or gl.where(gl.gt(a, b), ifTrue, ifFalse)';

function noValue(what: string): never {
  throw new GradlabError(`gl.symbolic: ${what} needs the value of a symbolic scalar, and it has none while f is traced; ${BRANCH_HINT}`);
}

/** How an expression reads on its left-hand side when shown (`f`, `∂f/∂x1`). */
export interface ExprLabel {
  text: string;
  latex: string;
}

/**
 * A symbolic scalar expression. Made by {@link symbolic}; the ops and the
 * tensor methods (`a.mul(b)`, `gl.exp(a)`) build new ones.
 */
export class Expr {
  /** @internal */
  readonly [SYMBOLIC_BRAND] = true;
  /** `var`, `const`, or the primitive's name (`add`, `maximum`, …). */
  readonly op: string;
  readonly args: readonly Expr[];
  /** A constant's value (NaN otherwise). */
  readonly value: number;
  /** A variable's name ('' otherwise). */
  readonly symbol: string;
  /** Nodes of this expression written out as a tree, without sharing (may exceed 2⁵³ and lose precision). */
  readonly size: number;
  /** A name the user's code may give the node (as for tensors): shown nowhere, changes nothing. */
  name: string | null = null;
  /** @internal What `gl.show` writes on the left (`f = …`, `∂f/∂x1 = …`). */
  label: ExprLabel | null = null;
  /** @internal The names gl.symbolic was given (its variables, used or not), on the expression it returned. */
  inputs: readonly string[] | null = null;
  /** Symbolic scalars are 0-d: rules that compare shapes see []. */
  readonly shape: readonly number[] = SCALAR_SHAPE;

  /** @internal use gl.symbolic, or the ops */
  constructor(op: string, args: readonly Expr[], value = NaN, symbol = '') {
    this.op = op;
    this.args = args;
    this.value = value;
    this.symbol = symbol;
    let n = 1;
    for (const a of args) n += a.size;
    this.size = n;
  }

  get ndim(): number {
    return 0;
  }

  /** @internal the primitive of an op node */
  get prim(): Primitive {
    return primitive(this.op);
  }

  item(): number {
    return noValue('item()');
  }
  valueOf(): never {
    return noValue('a JavaScript operator (>, <, +, Number(x), …)');
  }
  [Symbol.toPrimitive](hint: string): string {
    if (hint === 'string') return this.toString();
    return noValue(hint === 'number' ? 'Number(x) or a comparison (x > y)' : 'a JavaScript operator (x + y, x == y, …)');
  }
  toArray(): never {
    return noValue('toArray()');
  }
}

/** @internal A node with no sharing of its own: a fresh variable. */
export function variable(name: string): Expr {
  return new Expr('var', [], NaN, name);
}

/** @internal A constant. */
export function constant(v: number): Expr {
  return new Expr('const', [], v);
}

/** Constants the rules produce all the time. */
const ZERO = constant(0);
export const ONE = constant(1);

// ---- building: what an op called with a symbolic operand does ------------------------------------

/**
 * Whether {@link build} writes out the trivial identities (x·1 = x, x + 0 = x, constants folded):
 * on while a derivative is built (diff.ts), off while the user's function is traced, so f is
 * recorded as written.
 */
export const BUILD = { tidy: false };

function operand(op: string, x: unknown, i: number): Expr {
  if (x instanceof Expr) return x;
  if (typeof x === 'number') return constant(x);
  if (typeof x === 'boolean') return constant(x ? 1 : 0);
  if (x instanceof Tensor) {
    if (x.ndim === 0) return constant(x._data === null ? x._v : x._data[0]);
    fail(`gl.symbolic: '${op}' operand #${i} is a tensor of shape [${x.shape.join(', ')}]; symbolic expressions are scalars`);
  }
  return fail(`gl.symbolic: '${op}' operand #${i} is not a number, a 0-d tensor or a symbolic scalar`);
}

/** @internal An elementwise op applied to operands of which at least one is symbolic. */
export function build(op: string, raw: readonly unknown[]): Expr {
  const p = primitive(op);
  const args = raw.map((x, i) => operand(op, x, i));
  if (BUILD.tidy) {
    const t = tidy(p, args);
    if (t) return t;
  }
  return new Expr(op, args);
}

/** The comparison that holds exactly where another does not. */
const NEGATED: Record<string, string> = { gt: 'le', le: 'gt', ge: 'lt', lt: 'ge', eq: 'ne', ne: 'eq' };

const isConst = (e: Expr, v?: number) => e.op === 'const' && (v === undefined || e.value === v);

/** The identities a person writes out without thinking; null: none applies. */
function tidy(p: Primitive, a: readonly Expr[]): Expr | null {
  if (a.every((x) => isConst(x))) {
    const v = p.elementwise!.f(...a.map((x) => x.value));
    if (Number.isFinite(v)) return constant(v);
  }
  switch (p.name) {
    case 'mul':
      if (isConst(a[0], 0) || isConst(a[1], 0)) return ZERO;
      if (isConst(a[0], 1)) return a[1];
      if (isConst(a[1], 1)) return a[0];
      if (isConst(a[0], -1)) return build('neg', [a[1]]);
      if (isConst(a[1], -1)) return build('neg', [a[0]]);
      return null;
    case 'add':
      if (isConst(a[0], 0)) return a[1];
      if (isConst(a[1], 0)) return a[0];
      if (a[1].op === 'neg') return build('sub', [a[0], a[1].args[0]]);
      return null;
    case 'sub':
      if (isConst(a[1], 0)) return a[0];
      if (isConst(a[0], 0)) return build('neg', [a[1]]);
      return null;
    case 'div':
      if (isConst(a[1], 1)) return a[0];
      if (isConst(a[0], 0)) return ZERO;
      return null;
    case 'neg':
      return a[0].op === 'neg' ? a[0].args[0] : null;
    case 'pow':
      if (isConst(a[1], 1)) return a[0];
      if (isConst(a[1], 0)) return ONE;
      return null;
    case 'where':
      return isConst(a[0]) ? (a[0].value !== 0 ? a[1] : a[2]) : null;
    // where's partials ask whether its condition is ≠ 0: of a comparison, that is the comparison (or its negation)
    case 'ne':
      return a[0].op in NEGATED && isConst(a[1], 0) ? a[0] : null;
    case 'eq':
      return a[0].op in NEGATED && isConst(a[1], 0) ? new Expr(NEGATED[a[0].op], a[0].args) : null;
    default:
      return null;
  }
}

// ---- methods: the tensor methods that have a scalar meaning ---------------------------------------

type Op = (...args: unknown[]) => unknown;

/**
 * The methods an expression has: one per elementwise primitive (`a.add(b)`, `x.exp()`; `where` takes its
 * condition first, so it is a function only) and `square`, each forwarding to the op itself, as
 * tensor-methods.ts does. Read from PRIMITIVES: a new elementwise op is a method here too.
 */
const METHODS: ReadonlyMap<string, Op> = new Map(
  [...PRIMITIVES.filter((p) => p.elementwise && !p.custom && p.name !== 'where').map((p) => p.name), 'square']
    .filter((k) => typeof (ops as unknown as Record<string, unknown>)[k] === 'function')
    .map((k) => [k, (ops as unknown as Record<string, Op>)[k]]),
);

function installMethods(): void {
  const proto = Expr.prototype as unknown as Record<string, unknown>;
  for (const [k, f] of METHODS) {
    proto[k] = function (this: Expr, ...args: unknown[]) {
      return f(this, ...args);
    };
  }
  // Every other tensor method says why it is not there (instead of "x.sum is not a function").
  for (const k of Object.getOwnPropertyNames(Tensor.prototype)) {
    if (k === 'constructor' || k in proto) continue;
    const d = Object.getOwnPropertyDescriptor(Tensor.prototype, k)!;
    const thrower = () =>
      fail(
        `gl.symbolic: '${k}' is not defined on a symbolic scalar; an expression has the elementwise methods (${[...METHODS.keys()].join(', ')}) and diff, simplify, evaluate`,
      );
    Object.defineProperty(proto, k, typeof d.value === 'function' ? { value: thrower } : { get: thrower, configurable: true });
  }
}

installMethods();
SYMBOLIC_OPS.apply = build;
