/**
 * Symbolic derivatives, from the ops' own rules.
 *
 * `derivative(e, x)` runs every node's forward-mode rule — the primitive's
 * `jvp`, the one ops/ defines and forward mode uses — with symbolic operands:
 * the rule calls engine ops (`mul(t, ∂y/∂a)`, the partials such as
 * `div(1, b)` or `ge(a, b)`), and those build expression nodes. There is no
 * second table of derivative rules. `gradient(e)` does the same with each
 * node's reverse-mode rule (`vjp`), adjoints summed at branches, as
 * backward does. Nodes are memoised, so the result shares sub-expressions as
 * AD would; `size` counts it written out.
 */
import { fail } from '../errors';
import type { RuleContext } from '../ops/primitive';
import type { Tensor } from '../tensor';
import { BUILD, ONE, build, type Expr } from './expr';

/** Runs `f` with the trivial identities written out (x·1 = x, x + 0 = x): see BUILD. */
function tidily<T>(f: () => T): T {
  const was = BUILD.tidy;
  BUILD.tidy = true;
  try {
    return f();
  } finally {
    BUILD.tidy = was;
  }
}

/** The rule's context for node `e`: its operands and its output, as the rule expects them. */
function context(e: Expr, needs: boolean[]): RuleContext {
  return { x: e.args as unknown as Tensor[], y: e as unknown as Tensor, attrs: undefined, saved: undefined, needs };
}

/** ∂e/∂x (x a variable's name): each node's jvp rule with symbolic tangents; null for zero. */
export function derivative(e: Expr, x: string): Expr | null {
  const memo = new Map<Expr, Expr | null>();
  const visit = (n: Expr): Expr | null => {
    if (memo.has(n)) return memo.get(n)!;
    let d: Expr | null;
    if (n.op === 'var') d = n.symbol === x ? ONE : null;
    else if (n.op === 'const') d = null;
    else {
      const tangents = n.args.map(visit);
      const p = n.prim;
      d =
        !p.differentiable || tangents.every((t) => t === null)
          ? null
          : (p.jvp(
              tangents as unknown as Tensor[],
              context(
                n,
                tangents.map((t) => t !== null),
              ),
            ) as unknown as Expr);
      if (d && d.op === 'const' && d.value === 0) d = null;
    }
    memo.set(n, d);
    return d;
  };
  return tidily(() => iterative(e, visit));
}

/**
 * The children of a deep expression first, so `visit` recurses one level at a time (an iterated map
 * of a few thousand steps would overflow the stack otherwise).
 */
function iterative<T>(e: Expr, visit: (n: Expr) => T): T {
  for (const n of topological(e)) visit(n);
  return visit(e);
}

/** Every node of e once, operands before the nodes that use them. */
export function topological(e: Expr): Expr[] {
  const order: Expr[] = [];
  const seen = new Set<Expr>();
  const stack: [Expr, number][] = [[e, 0]];
  seen.add(e);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [n, i] = top;
    if (i < n.args.length) {
      top[1]++;
      const c = n.args[i];
      if (!seen.has(c)) {
        seen.add(c);
        stack.push([c, 0]);
      }
    } else {
      stack.pop();
      order.push(n);
    }
  }
  return order;
}

/**
 * ∂e/∂v for every variable v of e by reverse accumulation: each node's vjp rule applied to its
 * adjoint, adjoints added where a node is used twice (the gradient adds at branches).
 */
export function gradient(e: Expr): Map<string, Expr | null> {
  return tidily(() => {
    const order = topological(e);
    const depends = new Set<Expr>();
    for (const n of order) if (n.op === 'var' || n.args.some((a) => depends.has(a))) depends.add(n);
    const adj = new Map<Expr, Expr>([[e, ONE]]);
    for (let i = order.length - 1; i >= 0; i--) {
      const n = order[i];
      const g = adj.get(n);
      if (!g || n.args.length === 0 || !n.prim.differentiable) continue;
      const needs = n.args.map((a) => depends.has(a));
      const gs = n.prim.vjp(g as unknown as Tensor, context(n, needs)) as unknown as (Expr | null)[];
      n.args.forEach((a, j) => {
        const ga = gs[j];
        if (!needs[j] || !ga) return;
        const old = adj.get(a);
        adj.set(a, old ? build('add', [old, ga]) : ga);
      });
    }
    const out = new Map<string, Expr | null>();
    for (const n of order) if (n.op === 'var') out.set(n.symbol, adj.get(n) ?? null);
    return out;
  });
}

/** The variables of e by name, in the order they are first met. */
export function variablesOf(e: Expr): string[] {
  const names: string[] = [];
  for (const n of topological(e)) if (n.op === 'var' && !names.includes(n.symbol)) names.push(n.symbol);
  return names;
}

/** The value of e at a point, from each primitive's scalar function (DAG memoised). */
export function evaluate(e: Expr, values: Readonly<Record<string, number>>): number {
  if (typeof values !== 'object' || values === null) fail('evaluate: values must be a record of numbers by variable name, e.g. {x1: 1.5, x2: -0.5}');
  const memo = new Map<Expr, number>();
  for (const n of topological(e)) {
    let v: number;
    if (n.op === 'const') v = n.value;
    else if (n.op === 'var') {
      const x = values[n.symbol];
      if (typeof x !== 'number') {
        fail(`evaluate: no number for the variable '${n.symbol}' (the values give ${Object.keys(values).join(', ') || 'none'})`);
      }
      v = x;
    } else v = n.prim.elementwise!.f(...n.args.map((a) => memo.get(a)!));
    memo.set(n, v);
  }
  return memo.get(e)!;
}
