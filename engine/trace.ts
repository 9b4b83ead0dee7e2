/**
 * The graph as data: `trace(y)` lists the nodes that produced y, in
 * topological order, with values and (after backward) gradients.
 */
import { noGrad } from './context';
import { fail } from './errors';
import { PRIMITIVES, type Primitive } from './ops/primitive';
import { F_SCALAR, OP_CONST, OP_REF, scopePaths, type NodeInfo, type Tape } from './tape';
import { Tensor, nodeValue, scalarOf } from './tensor';

/** One node of a traced graph. */
export interface TraceNode {
  /** Position in `Trace.nodes` (topological order). */
  id: number;
  /** Op name, or `leaf` (an input) / `const` (a constant operand). */
  op: string;
  kind: 'leaf' | 'const' | 'op';
  /** Ids of the operands in argument order; x*x lists x twice. */
  inputs: number[];
  shape: readonly number[];
  value: Tensor;
  /** Gradient of the traced output after the last backward pass through this node, or null. */
  grad: Tensor | null;
  name: string | null;
  requiresGrad: boolean;
  /** Scope path (gl.scope, nn layers), outermost first. */
  scope: string[];
  /** Op attributes (axis, shape, ...). */
  attrs: Record<string, string | number | boolean | number[]> | null;
  /** The tensor itself when it is a leaf. */
  tensor: Tensor | null;
  /** The primitive that computed an op node (null for leaves and constants): its forward and rules. */
  primitive: Primitive | null;
  /** The op's attributes as its primitive takes them (undefined for attribute-less and scalar elementwise nodes). */
  rawAttrs: unknown;
}

/** A traced graph. */
export interface Trace {
  nodes: TraceNode[];
  /** Id of the traced output. */
  output: number;
}

/** Walk the graph behind `y`: every node it depends on, in topological order. */
export function trace(y: Tensor): Trace {
  if (!(y instanceof Tensor)) fail('trace: expected a Tensor');
  while (y._dual) y = y._dual.primal;
  if (!y._result || !y._tape) {
    if (y._req) {
      const n = leafNode(y, 0, null);
      return { nodes: [n], output: 0 };
    }
    fail(
      'trace: no graph was recorded for this tensor: none of the tensors it was computed from requires grad. ' +
        'Create the inputs with {requiresGrad: true} to record the graph.',
    );
  }
  // Collect reachable rows (tape, id), iteratively; refs resolve to their target.
  const keyOf = (t: Tape, id: number) => t.serial * 4294967296 + id;
  type Row = { tape: Tape; id: number; key: number; leaf: Tensor | null };
  const rows = new Map<number | Tensor, Row>();
  const stack: Row[] = [];
  const visit = (tape: Tape, id: number): number | Tensor => {
    if (tape.op[id] === OP_REF) {
      const h = tape.obj[id] as Tensor;
      if (h._result) return visit(h._tape!, h._id);
      if (!rows.has(h)) {
        const r: Row = { tape, id, key: keyOf(tape, id), leaf: h };
        rows.set(h, r);
      } else {
        const r = rows.get(h)!;
        const k = keyOf(tape, id);
        if (k < r.key) Object.assign(r, { tape, id, key: k });
      }
      return h;
    }
    const key = keyOf(tape, id);
    if (!rows.has(key)) {
      const r: Row = { tape, id, key, leaf: null };
      rows.set(key, r);
      stack.push(r);
    }
    return key;
  };
  const rootKey = visit(y._tape, y._id);
  const inputKeys = new Map<Row, (number | Tensor)[]>();
  while (stack.length) {
    const r = stack.pop()!;
    inputKeys.set(
      r,
      r.tape.inputsOf(r.id).map((i) => visit(r.tape, i)),
    );
  }
  const ordered = [...rows.entries()].sort((a, b) => a[1].key - b[1].key);
  const idOf = new Map<number | Tensor, number>();
  ordered.forEach(([k], i) => idOf.set(k, i));
  const nodes: TraceNode[] = ordered.map(([, r], i) => {
    if (r.leaf) return leafNode(r.leaf, i, r.tape.last && r.tape.last.reached[r.id] ? gradAt(r.tape, r.id, r.leaf) : null, r.tape, r.id);
    const { tape, id } = r;
    const o = tape.op[id];
    const info = tape.obj[id] as NodeInfo | undefined;
    const p = o >= 0 ? PRIMITIVES[o] : null;
    const last = tape.last;
    return {
      id: i,
      op: p ? p.name : 'const',
      kind: p ? 'op' : 'const',
      inputs: (inputKeys.get(r) ?? []).map((k) => idOf.get(k)!),
      shape: o === OP_CONST && tape.flags[id] & F_SCALAR ? [] : (info?.shape ?? []),
      value: nodeValue(tape, id),
      grad: last && id < last.reached.length && last.reached[id] ? gradAt(tape, id, null) : null,
      name: tape.names?.get(id) ?? null,
      requiresGrad: p !== null,
      scope: tape.scope ? (scopePaths[tape.scope[id]] ?? []) : [],
      attrs: p?.describe && info ? p.describe(info.attrs) : null,
      tensor: null,
      primitive: p,
      rawAttrs: info?.attrs,
    };
  });
  leafScopes(nodes);
  return { nodes, output: idOf.get(rootKey)! };
}

/**
 * A leaf or constant belongs to the scope its consumers share: the longest
 * common prefix of their scope paths. The tape records a leaf where it is
 * first used, so a weight created outside every `gl.scope` and used by every
 * "point k / layer j" would otherwise sit in "point 0" and draw an edge from
 * there into every group; with the shared prefix it sits at top level, and a
 * leaf used only inside one scope stays there. Nodes nobody consumes (the
 * traced output itself) keep their recorded scope.
 */
function leafScopes(nodes: TraceNode[]): void {
  const shared = new Map<number, string[]>();
  for (const n of nodes) {
    if (n.kind !== 'op') continue;
    for (const i of n.inputs) {
      if (nodes[i].kind === 'op') continue;
      const s = shared.get(i);
      if (s === undefined) shared.set(i, n.scope.slice());
      else {
        let k = 0;
        while (k < s.length && k < n.scope.length && s[k] === n.scope[k]) k++;
        s.length = k;
      }
    }
  }
  for (const [i, s] of shared) nodes[i].scope = s;
}

function gradAt(tape: Tape, id: number, leaf: Tensor | null): Tensor {
  const last = tape.last!;
  const g = last.GT[id] as Tensor | undefined;
  if (g) return g;
  return scalarOf(last.G[id], leaf?.dtype ?? 'float64');
}

function leafNode(t: Tensor, id: number, grad: Tensor | null, tape?: Tape, row?: number): TraceNode {
  const value = tape && row !== undefined ? nodeValue(tape, row) : new Tensor(t.shape, t.dtype, t._data, t._v);
  return {
    id,
    op: 'leaf',
    kind: 'leaf',
    inputs: [],
    shape: t.shape,
    value,
    grad: grad ?? null,
    name: t.name,
    requiresGrad: t._req,
    scope: tape && tape.scope && row !== undefined ? (scopePaths[tape.scope[row]] ?? []) : [],
    attrs: null,
    tensor: t,
    primitive: null,
    rawAttrs: undefined,
  };
}

/**
 * The gradient op node `n` sent back to each of its operands in the last
 * backward pass, in the order of `n.inputs` (null where none was sent: a
 * constant, a condition, a non-differentiable operand); null when backward has
 * not reached `n`. A value used by several ops receives one such contribution
 * per use (x·x: two), and its `grad` is their sum.
 *
 * Recomputed from the trace, not remembered by backward: the primitive's
 * forward is re-run on the stored operand values (for what its rule needs)
 * and its vjp applied to the node's gradient, without recording. A 0-d
 * elementwise node uses its partial derivatives on numbers, as backward's
 * scalar path did, so the contributions match backward's bit for bit.
 */
export function inputGrads(tr: Trace, n: TraceNode): (Tensor | null)[] | null {
  const p = n.primitive;
  const gy = n.grad;
  if (!p || !gy || !p.differentiable) return null;
  const xs = n.inputs.map((i) => tr.nodes[i].value);
  const needs = n.inputs.map((i) => tr.nodes[i].requiresGrad);
  const ew = p.elementwise;
  if (ew && n.value._data === null && gy._data === null && xs.every((x) => x._data === null)) {
    const args = xs.map((x) => x._v);
    args.push(n.value._v);
    const g = gy._v;
    return xs.map((x, j) => {
      const d = ew.d[j];
      return needs[j] && d ? scalarOf(g * (d(...args) as number), x.dtype) : null;
    });
  }
  try {
    return noGrad(() => {
      const { saved } = p.forward(xs, n.rawAttrs);
      const gxs = p.vjp(gy, { x: xs, y: n.value, attrs: n.rawAttrs, saved, needs });
      return xs.map((_, j) => (needs[j] && gxs[j] instanceof Tensor ? gxs[j] : null));
    });
  } catch {
    // a display never fails because a (custom) rule cannot be replayed: the contributions are left out
    return null;
  }
}
