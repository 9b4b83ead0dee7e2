/**
 * `gl.symbolic(f, names)`: the expression an ordinary gradlab function
 * computes, with its derivatives.
 *
 * ```ts
 * const e = gl.symbolic((x, y) => gl.maximum(x, y).mul(y).exp(), ["x", "y"]);
 * e.toString();             // "exp(max(x, y)*y)"
 * e.diff("x").toString();   // "exp(max(x, y)*y)*([x >= y]*y)"
 * e.diff("x").evaluate({x: 2, y: 1});
 * gl.show(e.diff("y"));     // typeset
 * ```
 *
 * This module declares the expression's methods (declaration merging, as
 * tensor-methods.ts does for Tensor) and installs them.
 */
import { fail, GradlabError } from '../errors';
import { Tensor, type TensorLike } from '../tensor';
import { Expr, constant, variable, type ExprLabel } from './expr';
import { derivative, evaluate, gradient, topological, variablesOf } from './diff';
import { latexName, print, PRINT_BUDGET } from './print';
import { sharedSize, simplify } from './simplify';

export { Expr } from './expr';

type Operand = Expr | TensorLike;

declare module './expr' {
  interface Expr {
    /** ∂(this)/∂name, from each op's own forward-mode rule (written out with x·1 = x, x + 0 = x; see `simplify`). */
    diff(name: string): Expr;
    /** Every partial derivative by reverse accumulation (each op's reverse-mode rule), by variable name. */
    gradient(): Record<string, Expr>;
    /** Like terms collected, constants folded, x·x = x², x/x = 1, … (a new expression). */
    simplify(): Expr;
    /** The value at a point: `e.evaluate({x1: 1.5, x2: -0.5})`. */
    evaluate(values: Readonly<Record<string, number>>): number;
    /** Written out as text, cut after `maxChars` characters (default 20,000) with a note. */
    toString(maxChars?: number): string;
    /** Written out as LaTeX (a note instead when longer than `maxChars`). */
    toLatex(maxChars?: number): string;
    /** Distinct nodes (equal sub-expressions once): the size with sharing, as a graph or tape keeps it. */
    readonly sharedSize: number;
    /** Names of the variables it contains, in the order first met. */
    readonly variables: string[];

    add(b: Operand): Expr;
    sub(b: Operand): Expr;
    mul(b: Operand): Expr;
    div(b: Operand): Expr;
    pow(b: Operand): Expr;
    maximum(b: Operand): Expr;
    minimum(b: Operand): Expr;
    gt(b: Operand): Expr;
    ge(b: Operand): Expr;
    lt(b: Operand): Expr;
    le(b: Operand): Expr;
    eq(b: Operand): Expr;
    ne(b: Operand): Expr;
    neg(): Expr;
    exp(): Expr;
    log(): Expr;
    sqrt(): Expr;
    abs(): Expr;
    sigmoid(): Expr;
    tanh(): Expr;
    relu(): Expr;
    sin(): Expr;
    cos(): Expr;
    sign(): Expr;
    square(): Expr;
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function isNameList(x: unknown): x is readonly string[] {
  return Array.isArray(x) && x.every((n) => typeof n === 'string' && NAME.test(n));
}

/**
 * The expression `f` computes, with `names` for its scalar inputs:
 * `f` is called once with symbolic scalars (one per name) in place of
 * tensors, and every elementwise op it calls records a node. Branches on
 * values cannot be traced — `item()`, `Number(x)`, `x > y` on a symbolic
 * scalar throw and name the op to use instead (`gl.maximum`, `gl.where(gl.gt(a, b), …)`).
 * (`if (gl.gt(a, b))` cannot be caught: any object is true in JavaScript.)
 */
export function symbolic(f: (...xs: Tensor[]) => Tensor | number, names: readonly string[]): Expr {
  if (typeof f !== 'function') fail('gl.symbolic: f must be a function of scalars, e.g. (x1, x2) => gl.maximum(x1, x2).mul(x2)');
  if (!isNameList(names)) {
    fail(`gl.symbolic: names must be an array of identifiers like ["x1", "x2"], got ${JSON.stringify(names)}`);
  }
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) fail(`gl.symbolic: the name '${dup}' is given twice`);
  if (f.length > 0 && f.length !== names.length) {
    fail(
      `gl.symbolic: ${f.name || 'f'} takes ${f.length} argument${f.length === 1 ? '' : 's'} and ${names.length} name${names.length === 1 ? ' was' : 's were'} given`,
    );
  }
  const y = f(...(names.map(variable) as unknown as Tensor[])) as unknown;
  let e: Expr;
  if (y instanceof Expr) e = y;
  else if (typeof y === 'number') e = constant(y);
  else if (y instanceof Tensor && y.ndim === 0)
    e = constant(y.item()); // f does not use its inputs: a constant
  else if (y instanceof Tensor) {
    throw new GradlabError(`gl.symbolic: ${f.name || 'f'} returned a tensor of shape [${y.shape.join(', ')}]; symbolic expressions are scalars`);
  } else fail(`gl.symbolic: ${f.name || 'f'} must return the result of ops on its inputs; it returned ${typeof y}`);
  const fname = f.name && NAME.test(f.name) ? f.name : 'f';
  if (e.inputs || e.label) e = new Expr(e.op, e.args, e.value, e.symbol); // f returned one of its inputs
  e.inputs = [...names];
  e.label = { text: `${fname}(${names.join(', ')})`, latex: `${latexName(fname)}\\left(${names.map(latexName).join(', ')}\\right)` };
  return e;
}

function partialLabel(of: ExprLabel | null, name: string): ExprLabel {
  const head = of ? of.text.replace(/\(.*$/, '') : 'f';
  const lhead = of ? of.latex.replace(/\\left\(.*$/, '') : 'f';
  return { text: `∂${head}/∂${name}`, latex: `\\frac{\\partial ${lhead}}{\\partial ${latexName(name)}}` };
}

function labelled(e: Expr, label: ExprLabel, inputs: readonly string[] | null): Expr {
  // its own top node: a derivative is often a node of the expression (∂(x·y)/∂x is y's node)
  const out = new Expr(e.op, e.args, e.value, e.symbol);
  out.label = label;
  out.inputs = inputs;
  return out;
}

function installMethods(): void {
  const proto = Expr.prototype;
  Object.assign(proto, {
    diff(this: Expr, name: string): Expr {
      if (typeof name !== 'string') fail(`diff: name must be a variable's name (a string), got ${typeof name}`);
      // ∂e/∂v = 0 for a declared input e does not use; any other name is likelier a typo
      const known = this.inputs ?? variablesOf(this);
      if (!known.includes(name)) fail(`diff: '${name}' is not a variable of this expression (it has ${known.join(', ') || 'none'})`);
      return labelled(derivative(this, name) ?? constant(0), partialLabel(this.label, name), this.inputs);
    },
    gradient(this: Expr): Record<string, Expr> {
      const out: Record<string, Expr> = {};
      const g = gradient(this);
      for (const k of this.inputs ?? g.keys()) out[k] = labelled(g.get(k) ?? constant(0), partialLabel(this.label, k), this.inputs);
      return out;
    },
    simplify(this: Expr): Expr {
      const s = simplify(this);
      if (s === this) return s;
      s.inputs = this.inputs;
      return s;
    },
    evaluate(this: Expr, values: Readonly<Record<string, number>>): number {
      return evaluate(this, values);
    },
    toString(this: Expr, maxChars = PRINT_BUDGET): string {
      return print(this, 'text', maxChars).text;
    },
    toLatex(this: Expr, maxChars = PRINT_BUDGET): string {
      return print(this, 'latex', maxChars).text;
    },
    toJSON(this: Expr): string {
      return this.toString();
    },
    [Symbol.for('nodejs.util.inspect.custom')](this: Expr): string {
      const s = this.size < 1e6 ? String(this.size) : this.size.toExponential(2);
      return `${this.label ? `${this.label.text} = ` : ''}${print(this, 'text', 2000).text}   (${s} nodes written out)`;
    },
  });
  Object.defineProperty(proto, 'sharedSize', {
    get(this: Expr) {
      return sharedSize(this);
    },
  });
  Object.defineProperty(proto, 'variables', {
    get(this: Expr) {
      return variablesOf(this);
    },
  });
}

installMethods();

/** @internal in SymPy's syntax, for the tests' oracle */
export function toSympy(e: Expr): string {
  return print(e, 'sympy', Infinity).text;
}

/** @internal every node once, operands first */
export { topological };
