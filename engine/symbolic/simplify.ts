/**
 * Simplification and the shared size of an expression.
 *
 * Equal sub-expressions are made one node first (hash-consing), so "equal"
 * is cheap. Sums are collected into a constant and like terms with numeric
 * coefficients (x + x = 2·x, x − x = 0); products into a coefficient and
 * powers of their factors with numeric exponents (x·x = x², x/x = 1);
 * constants are folded, and a few identities hold (log(exp(x)) = x,
 * max(a, a) = a, where with a constant condition, a comparison of a node with
 * itself). Everything runs once per distinct node, so an expression that is
 * exponentially large written out but small as a DAG simplifies quickly.
 */
import { Expr } from './expr';
import { topological } from './diff';

/** One node per distinct structure. */
class Interner {
  private readonly table = new Map<string, Expr>();
  private readonly ids = new Map<Expr, number>();

  get count(): number {
    return this.table.size;
  }

  node(op: string, args: readonly Expr[], value = NaN, symbol = ''): Expr {
    const key = op === 'const' ? `c${String(value)}` : op === 'var' ? `v${symbol}` : `${op}(${args.map((a) => this.ids.get(a)).join(',')})`;
    let e = this.table.get(key);
    if (!e) {
      e = new Expr(op, args, value, symbol);
      this.table.set(key, e);
      this.ids.set(e, this.ids.size);
    }
    return e;
  }

  /** The order nodes were first made in: sums and products list their terms in it, so x + y and y + x are one node. */
  id(e: Expr): number {
    return this.ids.get(e) ?? -1;
  }

  const(v: number): Expr {
    return this.node('const', [], Object.is(v, -0) ? 0 : v);
  }
}

/** Distinct nodes of e (equal sub-expressions counted once): its size with sharing. */
export function sharedSize(e: Expr): number {
  const t = new Interner();
  const memo = new Map<Expr, Expr>();
  for (const n of topological(e)) {
    memo.set(
      n,
      t.node(
        n.op,
        n.args.map((a) => memo.get(a)!),
        n.value,
        n.symbol,
      ),
    );
  }
  return t.count;
}

/** The comparison that holds exactly where another does not. */
const NEGATED: Record<string, string> = { gt: 'le', le: 'gt', ge: 'lt', lt: 'ge', eq: 'ne', ne: 'eq' };

/** Whether e is a comparison (a mask: its value is 0 or 1). */
function isMask(e: Expr): boolean {
  return e.op in NEGATED;
}

/** A sum: a constant and coefficients of terms. */
interface Linear {
  c: number;
  terms: Map<Expr, number>;
}

/** A product: a coefficient and numeric exponents of factors. */
interface Product {
  k: number;
  factors: Map<Expr, number>;
}

class Simplifier {
  private readonly t = new Interner();
  private readonly linears = new Map<Expr, Linear>();
  private readonly products = new Map<Expr, Product>();

  rewrite(n: Expr, a: Expr[]): Expr {
    const t = this.t;
    if (n.op === 'const') return t.const(n.value);
    if (n.op === 'var') return t.node('var', [], NaN, n.symbol);
    const p = n.prim;
    if (a.every((x) => x.op === 'const')) {
      const v = p.elementwise!.f(...a.map((x) => x.value));
      if (Number.isFinite(v)) return t.const(v);
    }
    switch (n.op) {
      case 'add':
      case 'sub':
      case 'neg':
        return this.fromLinear(this.linear(n.op, a));
      case 'mul':
      case 'div':
        return this.fromProduct(this.product(n.op, a));
      case 'pow':
        return a[1].op === 'const' ? this.fromProduct(this.product('pow', a)) : t.node('pow', a);
      case 'log':
        return a[0].op === 'exp' ? a[0].args[0] : t.node('log', a);
      case 'maximum':
      case 'minimum':
        return a[0] === a[1] ? a[0] : t.node(n.op, a);
      case 'where':
        if (a[0].op === 'const') return a[0].value !== 0 ? a[1] : a[2];
        return a[1] === a[2] ? a[1] : t.node('where', a);
      case 'gt':
      case 'lt':
      case 'ne':
        if (n.op === 'ne' && isMask(a[0]) && a[1].op === 'const' && a[1].value === 0) return a[0];
        return a[0] === a[1] ? t.const(0) : t.node(n.op, a);
      case 'ge':
      case 'le':
      case 'eq':
        if (n.op === 'eq' && isMask(a[0]) && a[1].op === 'const' && a[1].value === 0) return t.node(NEGATED[a[0].op], a[0].args);
        return a[0] === a[1] ? t.const(1) : t.node(n.op, a);
      default:
        return t.node(n.op, a);
    }
  }

  /** The sum form of an add, sub or neg of simplified operands. */
  private linear(op: string, a: Expr[]): Linear {
    const out: Linear = { c: 0, terms: new Map() };
    const addIn = (x: Expr, sign: number) => {
      const l = this.linearOf(x);
      out.c += sign * l.c;
      for (const [term, k] of l.terms) out.terms.set(term, (out.terms.get(term) ?? 0) + sign * k);
    };
    if (op === 'neg') addIn(a[0], -1);
    else {
      addIn(a[0], 1);
      addIn(a[1], op === 'sub' ? -1 : 1);
    }
    return out;
  }

  /** A simplified node as a sum (a term with coefficient 1 unless it is a constant, a sum or a scaled term). */
  private linearOf(x: Expr): Linear {
    const known = this.linears.get(x);
    if (known) return known;
    if (x.op === 'const') return { c: x.value, terms: new Map() };
    if (x.op === 'mul' && x.args[0].op === 'const') return { c: 0, terms: new Map([[x.args[1], x.args[0].value]]) };
    if (x.op === 'neg') return { c: 0, terms: new Map([[x.args[0], -1]]) };
    return { c: 0, terms: new Map([[x, 1]]) };
  }

  private fromLinear(l: Linear): Expr {
    const t = this.t;
    const terms = [...l.terms].filter(([, k]) => k !== 0).sort(([a], [b]) => t.id(a) - t.id(b));
    // a positive term first (1 − x rather than −x + 1)
    const first = terms.findIndex(([, k]) => k > 0);
    if (first > 0) terms.unshift(...terms.splice(first, 1));
    let acc: Expr | null = first < 0 && l.c > 0 ? t.const(l.c) : null;
    const rest = acc ? 0 : l.c;
    for (const [term, k] of terms) {
      const mag = Math.abs(k);
      const piece = mag === 1 ? term : this.scaled(mag, term);
      if (!acc) acc = k < 0 ? t.node('neg', [piece]) : piece;
      else acc = t.node(k < 0 ? 'sub' : 'add', [acc, piece]);
    }
    if (rest !== 0 || !acc) acc = !acc ? t.const(rest) : t.node(rest < 0 ? 'sub' : 'add', [acc, t.const(Math.abs(rest))]);
    if (acc.op === 'add' || acc.op === 'sub' || acc.op === 'neg') this.linears.set(acc, { c: l.c, terms: new Map(terms) });
    return acc;
  }

  /** k·term, a canonical product node. */
  private scaled(k: number, term: Expr): Expr {
    const p = this.productOf(term);
    return this.fromProduct({ k: k * p.k, factors: p.factors });
  }

  /** The product form of a mul, div or pow (constant exponent) of simplified operands. */
  private product(op: string, a: Expr[]): Product {
    const out: Product = { k: 1, factors: new Map() };
    const mulIn = (x: Expr, power: number) => {
      const p = this.productOf(x);
      out.k *= power === 1 ? p.k : Math.pow(p.k, power);
      for (const [base, e] of p.factors) out.factors.set(base, (out.factors.get(base) ?? 0) + power * e);
    };
    if (op === 'pow') {
      // (x·y)ⁿ = xⁿ·yⁿ only for an integer n (a negative x under a fractional power is not real)
      if (Number.isInteger(a[1].value)) mulIn(a[0], a[1].value);
      else out.factors.set(this.t.node('pow', a), 1);
      return out;
    }
    mulIn(a[0], 1);
    mulIn(a[1], op === 'div' ? -1 : 1);
    return out;
  }

  private productOf(x: Expr): Product {
    const known = this.products.get(x);
    if (known) return known;
    if (x.op === 'const') return { k: x.value, factors: new Map() };
    if (x.op === 'neg' || (x.op === 'mul' && x.args[0].op === 'const')) {
      // −x and k·x as fromProduct writes them
      const p = this.productOf(x.args[x.args.length - 1]);
      return { k: (x.op === 'neg' ? -1 : x.args[0].value) * p.k, factors: p.factors };
    }
    if (x.op === 'pow' && x.args[1].op === 'const' && Number.isInteger(x.args[1].value)) return { k: 1, factors: new Map([[x.args[0], x.args[1].value]]) };
    return { k: 1, factors: new Map([[x, 1]]) };
  }

  private fromProduct(p: Product): Expr {
    const t = this.t;
    const k = p.k;
    if (k === 0) return t.const(0);
    // a mask is 0 or 1, so a power of it is itself
    const factors = [...p.factors]
      .filter(([, e]) => e !== 0)
      .sort(([a], [b]) => t.id(a) - t.id(b))
      .map(([b, e]): [Expr, number] => [b, isMask(b) && e > 0 ? 1 : e]);
    const power = (base: Expr, e: number) => (e === 1 ? base : t.node('pow', [base, t.const(e)]));
    let num: Expr | null = null;
    let den: Expr | null = null;
    for (const [base, e] of factors) {
      if (e > 0) num = num ? t.node('mul', [num, power(base, e)]) : power(base, e);
      else den = den ? t.node('mul', [den, power(base, -e)]) : power(base, -e);
    }
    if (!num && den) {
      // k/den rather than k·(1/den)
      const q = t.node('div', [t.const(Math.abs(k)), den]);
      this.products.set(q, { k: Math.abs(k), factors: new Map(factors) });
      return k < 0 ? t.node('neg', [q]) : q;
    }
    let body: Expr | null = den ? t.node('div', [num!, den]) : num;
    if (body) this.products.set(body, { k: 1, factors: new Map(factors) });
    if (!body) return t.const(k);
    if (k === -1) body = t.node('neg', [body]);
    else if (k !== 1) body = t.node('mul', [t.const(k), body]);
    return body;
  }
}

/** Simplified e (a new expression; e is unchanged). */
export function simplify(e: Expr): Expr {
  const s = new Simplifier();
  const memo = new Map<Expr, Expr>();
  for (const n of topological(e))
    memo.set(
      n,
      s.rewrite(
        n,
        n.args.map((a) => memo.get(a)!),
      ),
    );
  const out = memo.get(e)!;
  out.label = e.label;
  return out;
}
