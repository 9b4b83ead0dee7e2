/**
 * The graph as data: `trace(y)` lists the nodes that produced y, in
 * topological order, with values and (after backward) gradients.
 */
import { fail } from './errors';
import { PRIMITIVES } from './ops/primitive';
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
    inputKeys.set(r, r.tape.inputsOf(r.id).map((i) => visit(r.tape, i)));
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
      shape: o === OP_CONST && tape.flags[id] & F_SCALAR ? [] : info?.shape ?? [],
      value: nodeValue(tape, id),
      grad: last && id < last.reached.length && last.reached[id] ? gradAt(tape, id, null) : null,
      name: tape.names?.get(id) ?? null,
      requiresGrad: p !== null,
      scope: tape.scope ? scopePaths[tape.scope[id]] ?? [] : [],
      attrs: p?.describe && info ? p.describe(info.attrs) : null,
      tensor: null,
    };
  });
  return { nodes, output: idOf.get(rootKey)! };
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
    scope: tape && tape.scope && row !== undefined ? scopePaths[tape.scope[row]] ?? [] : [],
    attrs: null,
    tensor: t,
  };
}
