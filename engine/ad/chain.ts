/**
 * The Jacobian chain of a composition f = f_k ∘ … ∘ f_1: each step's
 * Jacobian shape (output size × input size) and what it costs to multiply
 * them out from the input side (forward mode) or the output side (reverse
 * mode).
 */
import type { JacobianChainPayload, JacobianChainStep } from '../display/contract';
import { jacobianChainPayload } from '../display/payloads';
import { fail, fmtShape } from '../errors';
import { detach } from '../ops/shape';
import { Tensor, asTensor, type TensorLike } from '../tensor';
import { trace } from '../trace';

type Step = (x: Tensor) => Tensor;

/** A Jacobian chain; `gl.show(chain)` draws it. */
export class JacobianChain {
  constructor(readonly payload: JacobianChainPayload) {}

  /** Steps from input to output. */
  get steps(): JacobianChainStep[] {
    return this.payload.steps;
  }
  /** Multiply-adds of forward-order accumulation. */
  get forwardCost(): number {
    return this.payload.forwardCost;
  }
  /** Multiply-adds of reverse-order accumulation. */
  get reverseCost(): number {
    return this.payload.reverseCost;
  }
  /** `forward`, `reverse` or `tie`. */
  get winner(): 'forward' | 'reverse' | 'tie' {
    return this.payload.winner;
  }

  toString(): string {
    const p = this.payload;
    const lines = [`Jacobian chain ${fmtShape(p.inShape)} → ${fmtShape(p.outShape)}:`];
    for (const s of p.steps) lines.push(`  ${s.label}: ${fmtShape(s.inShape)} → ${fmtShape(s.outShape)}, Jacobian ${s.rows} × ${s.cols}`);
    lines.push(`  forward order (input side first): ${p.forwardCost.toLocaleString('en-US')} multiply-adds`);
    lines.push(`  reverse order (output side first): ${p.reverseCost.toLocaleString('en-US')} multiply-adds`);
    lines.push(`  → ${p.winner === 'tie' ? 'both orders cost the same' : `${p.winner} mode is cheaper here`}`);
    return lines.join('\n');
  }

  /** @internal */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

function step(label: string, x: Tensor, y: Tensor): JacobianChainStep {
  return { op: label, label, inShape: x.shape.slice(), outShape: y.shape.slice(), rows: y.size, cols: x.size };
}

/**
 * The Jacobian chain of f at x. Give the steps as an array of functions
 * (`[fc1, relu, fc2, loss]`, labelled by `opts.labels` or the functions'
 * names), or one function whose recorded ops between x and the output form a
 * chain (reshapes are skipped: their Jacobian is the identity).
 */
export function jacobianChain(f: Step | Step[], x: TensorLike, opts: { labels?: string[]; title?: string } = {}): JacobianChain {
  const x0 = asTensor(x, 'jacobianChain');
  const steps: JacobianChainStep[] = [];
  if (Array.isArray(f)) {
    if (f.length === 0) fail('jacobianChain: give at least one step');
    let v = x0;
    f.forEach((fi, i) => {
      if (typeof fi !== 'function') fail(`jacobianChain: step #${i} is not a function`);
      const y = asTensor(fi(v), 'jacobianChain');
      steps.push(step(opts.labels?.[i] ?? (fi.name || `f${i + 1}`), v, y));
      v = y;
    });
    return new JacobianChain(jacobianChainPayload(steps, x0.shape.slice(), opts));
  }
  const xl = detach(x0);
  xl.requiresGrad = true;
  const y = asTensor(f(xl), 'jacobianChain');
  if (!y.requiresGrad) fail('jacobianChain: the output of f does not depend on x');
  const tr = trace(y);
  const xi = tr.nodes.findIndex((n) => n.tensor === xl);
  const depends = new Set<number>([xi]);
  let cur = xi;
  for (const n of tr.nodes) {
    const fromX = [...new Set(n.inputs.filter((i) => depends.has(i)))];
    if (fromX.length === 0) continue;
    if (fromX.length > 1 || fromX[0] !== cur) {
      fail(
        `jacobianChain: f is not a chain from x to its output ('${n.op}' combines values that both depend on x); ` +
          'give the steps as an array of functions instead: gl.jacobianChain([f1, f2, ...], x)',
      );
    }
    depends.add(n.id);
    if (n.op !== 'reshape') {
      const prev = tr.nodes[stepInput(tr.nodes, cur, depends)];
      steps.push({
        op: n.op,
        label: n.name ? `${n.op} (${n.name})` : n.op,
        inShape: prev.shape.slice(),
        outShape: n.shape.slice(),
        rows: n.value.size,
        cols: prev.value.size,
      });
    }
    cur = n.id;
  }
  return new JacobianChain(jacobianChainPayload(steps, x0.shape.slice(), opts));
}

/** The node whose shape a step's Jacobian columns follow: the last non-reshape node on the chain before it (or x). */
function stepInput(nodes: { op: string; inputs: number[] }[], cur: number, depends: Set<number>): number {
  let i = cur;
  while (nodes[i].op === 'reshape') {
    const prev = nodes[i].inputs.find((j) => depends.has(j));
    if (prev === undefined) break;
    i = prev;
  }
  return i;
}
