/**
 * The modular forward/backward API: an op written by hand, as in the
 * lecture's homework (a sigmoid gate, an FC layer), that takes part in graphs
 * like a built-in and is verified by gradCheck.
 */
import { fail, fmtShape } from '../errors';
import { apply, definePrimitive, zerosLikeT, type Primitive, type RuleContext } from '../ops/primitive';
import { detach, reshapePrimitive } from '../ops/shape';
import { indexingPrimitives } from '../ops/indexing';
import { Tensor, asTensor, type TensorLike } from '../tensor';
import { noGrad } from '../context';
import { TodoError } from '../exercise';

export interface CustomOpSpec<S = { inputs: Tensor[]; out: Tensor }> {
  /** Shown in the graph view and in error messages. */
  name: string;
  /**
   * Compute the output from the inputs (plain values, no graph is recorded).
   * Return the output, or `{out, saved}` to keep what backward needs; when
   * only the output is returned, `saved` is `{inputs, out}`.
   */
  forward: (...inputs: Tensor[]) => Tensor | { out: Tensor; saved?: S };
  /** Given dL/d(out) and what forward saved, return dL/d(input) for each input (one tensor for one input). */
  backward: (gradOut: Tensor, saved: S) => Tensor | (Tensor | null)[];
  /** Optional forward-mode rule: the output's tangent from the inputs' tangents. */
  jvp?: (tangents: Tensor[], saved: S) => Tensor;
}

/**
 * Runs a custom op's `part`; a `gl.todo()` left in it (nbgrader's stub, which
 * names its caller: "forward") names the op instead: "mySigmoid forward is not
 * implemented yet" — two custom ops in one notebook both have a forward.
 */
function todoNamed<T>(op: string, part: 'forward' | 'backward', f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof TodoError && (e.what === part || e.what === 'this exercise')) throw new TodoError(`${op} ${part}`);
    throw e;
  }
}

/**
 * Define an op by its forward and backward: `const sig = gl.customOp({name,
 * forward, backward})`, then `sig(x)` records a node whose backward is yours.
 * First-order gradients only (higher-order derivatives through it are refused
 * with a message); forward mode needs a `jvp`.
 */
export function customOp<S = { inputs: Tensor[]; out: Tensor }>(spec: CustomOpSpec<S>): (...inputs: TensorLike[]) => Tensor {
  if (!spec || typeof spec.name !== 'string' || !spec.name) fail('customOp: give the op a name');
  if (typeof spec.forward !== 'function') fail(`customOp '${spec.name}': forward must be a function`);
  if (typeof spec.backward !== 'function') fail(`customOp '${spec.name}': backward must be a function`);
  const name = spec.name;
  const p: Primitive<null> = definePrimitive<null>({
    name,
    custom: true,
    forward(xs) {
      const inputs = xs.map((x) => detach(x));
      const r = todoNamed(name, 'forward', () => noGrad(() => spec.forward(...inputs)));
      let out: unknown;
      let saved: unknown;
      if (r instanceof Tensor) {
        out = r;
        saved = { inputs, out: r };
      } else if (r && typeof r === 'object' && (r as { out?: unknown }).out instanceof Tensor) {
        out = (r as { out: Tensor }).out;
        saved = (r as { saved?: unknown }).saved;
      } else {
        fail(`customOp '${name}': forward must return a Tensor or {out: Tensor, saved}, got ${r === null ? 'null' : typeof r}`);
      }
      return { y: detach(out as Tensor), saved };
    },
    vjp(gy, c) {
      const r = todoNamed(name, 'backward', () => noGrad(() => spec.backward(gy, c.saved as S)));
      const gs = r instanceof Tensor ? [r] : r;
      if (!Array.isArray(gs) || gs.length !== c.x.length) {
        fail(
          `customOp '${name}': backward returned ${Array.isArray(gs) ? `${gs.length} gradients` : typeof gs} ` +
            `for ${c.x.length} input${c.x.length === 1 ? '' : 's'} (return one gradient per input, in order)`,
        );
      }
      return gs.map((g, i) => {
        if (g === null || g === undefined) return null;
        if (!(g instanceof Tensor)) fail(`customOp '${name}': backward's gradient #${i} is not a Tensor`);
        if (g.shape.length !== c.x[i].shape.length || g.shape.some((d, j) => d !== c.x[i].shape[j])) {
          fail(`customOp '${name}': backward's gradient for input #${i} has shape ${fmtShape(g.shape)}, but input #${i} has shape ${fmtShape(c.x[i].shape)}`);
        }
        return g;
      });
    },
    jvp(dx, c) {
      if (!spec.jvp) fail(`customOp '${name}' has no jvp rule, so forward mode (jvp, jacfwd) cannot go through it; add jvp to its definition`);
      const t = noGrad(() => spec.jvp!(dx as Tensor[], c.saved as S));
      if (!(t instanceof Tensor)) fail(`customOp '${name}': jvp must return a Tensor`);
      return t;
    },
    // a custom op has no batched rules: its own run once per batch entry
    jvpBatched: (dx, c, B) => jvpPerEntry(p, dx, c, B),
    vjpBatched: (gy, c, B) => vjpPerEntry(p, gy, c, B),
  });
  const op = (...inputs: TensorLike[]) => {
    const xs = inputs.map((x) => asTensor(x, name));
    return apply(p, xs, null);
  };
  Object.defineProperty(op, 'name', { value: name });
  return op;
}

/**
 * The jvp of B stacked tangents ([B, ...shape] each, null for zero) by the
 * op's jvp once per batch entry, stacked (batched jacfwd through a custom op).
 */
function jvpPerEntry(p: Primitive, dx: (Tensor | null)[], c: RuleContext, B: number): Tensor {
  const rows: Tensor[] = [];
  for (let b = 0; b < B; b++) {
    const dxb = dx.map((t, i) => (t ? batchEntry(t, b) : zerosLikeT(c.x[i])));
    rows.push(p.jvp(dxb, c));
  }
  return stackBatch(rows);
}

/**
 * The vjp of B stacked cotangents gy ([B, ...y.shape]) by the op's vjp once
 * per batch entry, stacked (a gradient that is null for every entry stays null).
 */
function vjpPerEntry(p: Primitive, gy: Tensor, c: RuleContext, B: number): (Tensor | null)[] {
  const per: (Tensor | null)[][] = [];
  for (let b = 0; b < B; b++) {
    const g = p.vjp(batchEntry(gy, b), c);
    if (!Array.isArray(g)) return g;
    per.push(g);
  }
  return c.x.map((x, i) => {
    if (per.every((g) => g[i] === null || g[i] === undefined)) return null;
    return stackBatch(per.map((g) => g[i] ?? zerosLikeT(x)));
  });
}

/** Entry b of a batch [B, ...s]: a tensor of shape s (recorded, so it differentiates again). */
function batchEntry(t: Tensor, b: number): Tensor {
  const row = apply(indexingPrimitives.slice, [t], { axis: 0, start: b, end: b + 1, size: t.shape[0] });
  return apply(reshapePrimitive, [row], { shape: t.shape.slice(1) });
}

/** Tensors of one shape s stacked into [B, ...s]. */
function stackBatch(rows: Tensor[]): Tensor {
  const lifted = rows.map((r) => apply(reshapePrimitive, [r], { shape: [1, ...r.shape] }));
  return lifted.length === 1 ? lifted[0] : apply(indexingPrimitives.concat, lifted, { axis: 0 });
}
