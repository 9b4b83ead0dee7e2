/**
 * What each primitive's backward does, in the lecture's words: its pattern
 * (add distributes, max routes, mul switches, ...), its rule with symbols, and
 * the structure of its local Jacobians ∂y/∂xᵢ, which says why backprop never
 * forms them as matrices. The graph view shows this in a node's details.
 *
 * One entry per built-in primitive, keyed by name; a test walks `PRIMITIVES`
 * and fails when an op has no entry, so a new op cannot go unexplained.
 * Custom ops (`gl.customOp`) all share the `custom` entry.
 */
import type { BackwardPattern, BackwardRule } from './contract';

/** What the rule of one op node is computed from. */
export interface RuleSubject {
  /** Output shape. */
  shape: readonly number[];
  /** Operand shapes, in argument order. */
  inputs: readonly (readonly number[])[];
  /** The primitive's attributes as recorded (ta/tb of matmul, axes of a reduction, ...), if any. */
  attrs?: unknown;
}

/** One op's backward, as the graph view explains it. */
export interface RuleSpec {
  pattern: BackwardPattern;
  /** The rule with symbols: y is the output, a, b (x for one operand) the operands, ∂L/∂y the upstream gradient. */
  text: string | ((s: RuleSubject) => string);
  /**
   * Structure of ∂y/∂xᵢ when xᵢ has as many entries as y (elementwise ops);
   * other ops give a function of the operand index and the node.
   */
  structure: string | ((i: number, s: RuleSubject) => string);
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Structure of an elementwise op's ∂y/∂xᵢ: `same` when xᵢ has y's shape; a
 * broadcast operand feeds several outputs (a 0-d one all of them).
 */
function elementwise(same: string): (i: number, s: RuleSubject) => string {
  return (i, s) => {
    const n = size(s.inputs[i]);
    const m = size(s.shape);
    if (n === m) return same;
    if (n === 1) return `column (one value broadcast to ${m} outputs)`;
    return `stacked ${same} blocks (broadcast: each entry feeds ${m / Math.max(1, n)} outputs)`;
  };
}

/** Built-in rules by primitive name. */
export const BACKWARD_RULES: Readonly<Record<string, RuleSpec>> = {
  add: { pattern: 'distributes', text: '∂L/∂a = ∂L/∂y;  ∂L/∂b = ∂L/∂y', structure: elementwise('identity') },
  sub: {
    pattern: 'distributes',
    text: '∂L/∂a = ∂L/∂y;  ∂L/∂b = −∂L/∂y (b gets it negated)',
    structure: (i, s) => elementwise(i === 0 ? 'identity' : '−identity')(i, s),
  },
  mul: { pattern: 'switches', text: '∂L/∂a = ∂L/∂y · b;  ∂L/∂b = ∂L/∂y · a', structure: elementwise('diagonal') },
  div: { pattern: 'scales', text: '∂L/∂a = ∂L/∂y / b;  ∂L/∂b = −∂L/∂y · y / b', structure: elementwise('diagonal') },
  pow: { pattern: 'scales', text: '∂L/∂a = ∂L/∂y · b·a^(b−1);  ∂L/∂b = ∂L/∂y · ln(a)·y', structure: elementwise('diagonal') },
  maximum: {
    pattern: 'routes',
    text: '∂L/∂a = ∂L/∂y where a ≥ b, else 0;  ∂L/∂b = ∂L/∂y where b > a, else 0 (a tie goes to a)',
    structure: elementwise('diagonal of 0/1 (selection)'),
  },
  minimum: {
    pattern: 'routes',
    text: '∂L/∂a = ∂L/∂y where a ≤ b, else 0;  ∂L/∂b = ∂L/∂y where b < a, else 0 (a tie goes to a)',
    structure: elementwise('diagonal of 0/1 (selection)'),
  },
  neg: { pattern: 'scales', text: '∂L/∂x = −∂L/∂y', structure: '−identity' },
  exp: { pattern: 'scales', text: '∂L/∂x = ∂L/∂y · y (y = eˣ)', structure: 'diagonal' },
  log: { pattern: 'scales', text: '∂L/∂x = ∂L/∂y / x', structure: 'diagonal' },
  sqrt: { pattern: 'scales', text: '∂L/∂x = ∂L/∂y · 0.5 / y (y = √x)', structure: 'diagonal' },
  abs: { pattern: 'scales', text: '∂L/∂x = ∂L/∂y · sign(x) (0 at x = 0)', structure: 'diagonal of ±1' },
  sigmoid: { pattern: 'scales', text: '∂L/∂x = ∂L/∂y · y·(1 − y) (y = σ(x))', structure: 'diagonal' },
  tanh: { pattern: 'scales', text: '∂L/∂x = ∂L/∂y · (1 − y²) (y = tanh x)', structure: 'diagonal' },
  relu: { pattern: 'routes', text: '∂L/∂x = ∂L/∂y where x > 0, else 0 (0 at x = 0)', structure: 'diagonal of 0/1 (selection)' },
  sin: { pattern: 'scales', text: '∂L/∂x = ∂L/∂y · cos x', structure: 'diagonal' },
  cos: { pattern: 'scales', text: '∂L/∂x = −∂L/∂y · sin x', structure: 'diagonal' },
  where: {
    pattern: 'routes',
    text: 'where(c, a, b): ∂L/∂a = ∂L/∂y where c ≠ 0;  ∂L/∂b = ∂L/∂y where c = 0;  the condition c gets none',
    structure: (i, s) => (i === 0 ? 'zero (not differentiable)' : elementwise('diagonal of 0/1 (selection)')(i, s)),
  },
  sign: { pattern: 'none', text: 'no gradient: sign is piecewise constant', structure: 'zero (not differentiable)' },
  gt: { pattern: 'none', text: 'no gradient: a comparison is piecewise constant', structure: 'zero (not differentiable)' },
  ge: { pattern: 'none', text: 'no gradient: a comparison is piecewise constant', structure: 'zero (not differentiable)' },
  lt: { pattern: 'none', text: 'no gradient: a comparison is piecewise constant', structure: 'zero (not differentiable)' },
  le: { pattern: 'none', text: 'no gradient: a comparison is piecewise constant', structure: 'zero (not differentiable)' },
  eq: { pattern: 'none', text: 'no gradient: a comparison is piecewise constant', structure: 'zero (not differentiable)' },
  ne: { pattern: 'none', text: 'no gradient: a comparison is piecewise constant', structure: 'zero (not differentiable)' },
  matmul: {
    pattern: 'matmul',
    text: (s) => {
      const a = s.attrs as { ta?: boolean; tb?: boolean } | undefined;
      // y = op(A)·op(B) with op(X) = Xᵀ where the node says so; the rules then multiply by transposes
      const A = a?.ta ? 'Aᵀ' : 'A';
      const B = a?.tb ? 'Bᵀ' : 'B';
      const gA = a?.ta ? `∂L/∂A = ${B}·(∂L/∂Y)ᵀ` : `∂L/∂A = ∂L/∂Y · ${a?.tb ? 'B' : 'Bᵀ'}`;
      const gB = a?.tb ? `∂L/∂B = (∂L/∂Y)ᵀ·${A}` : `∂L/∂B = ${a?.ta ? 'A' : 'Aᵀ'} · ∂L/∂Y`;
      return `Y = ${A}·${B}: ${gA};  ${gB}`;
    },
    structure: (i, s) => {
      const [m, n] = s.shape.length === 2 ? s.shape : [1, size(s.shape)];
      // ∂Y[i,j]/∂A[i',l] = δ(i,i')·B[l,j]: m copies of Bᵀ on the diagonal; ∂Y/∂B = A ⊗ I_n
      return i === 0 ? `block diagonal (${m} blocks of ${n}×${size(s.inputs[0]) / Math.max(1, m)}, each Bᵀ)` : `Kronecker A ⊗ I${n} (sparse: ${n} copies of A interleaved)`;
    },
  },
  sum: {
    pattern: 'sums',
    text: (s) => `∂L/∂x = ∂L/∂y copied back to every entry of its sum${axesText(s)}`,
    structure: (_i, s) => (size(s.shape) === 1 ? 'row of ones' : `ones, one row per group of ${size(s.inputs[0]) / Math.max(1, size(s.shape))}`),
  },
  max: {
    pattern: 'routes',
    text: (s) => `∂L/∂x = ∂L/∂y to the first maximal entry of each group${axesText(s)}, 0 elsewhere`,
    structure: 'selection (one 1 per row: the winner)',
  },
  min: {
    pattern: 'routes',
    text: (s) => `∂L/∂x = ∂L/∂y to the first minimal entry of each group${axesText(s)}, 0 elsewhere`,
    structure: 'selection (one 1 per row: the winner)',
  },
  logSoftmax: {
    pattern: 'scales',
    text: (s) => `∂L/∂x = ∂L/∂y − softmax(x) · Σ ∂L/∂y${axesText(s)} (softmax(x) = exp(y), read off the output)`,
    structure: (_i, s) => {
      const a = (s.attrs as { axes?: number[] } | undefined)?.axes?.[0] ?? s.inputs[0].length - 1;
      const n = s.inputs[0][a] ?? 1;
      return `block diagonal (${size(s.shape) / Math.max(1, n)} dense ${n}×${n} blocks I − 1·softmaxᵀ)`;
    },
  },
  reshape: { pattern: 'moves', text: '∂L/∂x = ∂L/∂y reshaped back to x\'s shape (same entries, same order)', structure: 'identity' },
  transpose: { pattern: 'moves', text: '∂L/∂x = ∂L/∂y transposed back (inverse permutation of the axes)', structure: 'permutation' },
  broadcastTo: {
    pattern: 'copies',
    text: '∂L/∂x = ∂L/∂y summed over the broadcast dimensions (each entry was copied to several outputs)',
    structure: 'stacked identities (each entry copied)',
  },
  take: {
    pattern: 'moves',
    text: '∂L/∂x = ∂L/∂y added back into the taken rows (zeros elsewhere; a row taken twice gets both)',
    structure: 'selection (one 1 per row)',
  },
  indexAdd: { pattern: 'moves', text: '∂L/∂g = the rows of ∂L/∂y at the indices (the adjoint of take)', structure: 'scatter-add (one 1 per column)' },
  slice: { pattern: 'moves', text: '∂L/∂x = ∂L/∂y padded with zeros around the slice', structure: 'selection (one 1 per row)' },
  pad: { pattern: 'moves', text: '∂L/∂x = ∂L/∂y sliced to the unpadded part (the adjoint of slice)', structure: 'selection transposed (one 1 per column)' },
  concat: {
    pattern: 'moves',
    text: '∂L/∂xᵢ = the slice of ∂L/∂y where xᵢ was placed',
    structure: (i) => `selection (identity on operand ${i}'s rows of the output)`,
  },
};

/** The entry every custom op shares. */
export const CUSTOM_RULE: RuleSpec = {
  pattern: 'custom',
  text: '∂L/∂xᵢ = backward(∂L/∂y, saved): the rule written with gl.customOp (check it with gl.gradCheck(f, x, {nodes: true}))',
  structure: 'user-defined',
};

function axesText(s: RuleSubject): string {
  const a = s.attrs as { axes?: number[] } | undefined;
  if (!a?.axes || a.axes.length === s.inputs[0]?.length) return '';
  return ` along axis ${a.axes.join(', ')}`;
}

/** The rule spec of op `name` (`custom` for a custom op), or undefined for an unknown name. */
export function ruleSpec(name: string, custom = false): RuleSpec | undefined {
  return custom ? CUSTOM_RULE : Object.prototype.hasOwnProperty.call(BACKWARD_RULES, name) ? BACKWARD_RULES[name] : undefined;
}

/** The backward rule of one op node: pattern, text and each operand's local Jacobian shape and structure. */
export function backwardRule(name: string, custom: boolean, s: RuleSubject): BackwardRule | undefined {
  const spec = ruleSpec(name, custom);
  if (!spec) return undefined;
  const ySize = size(s.shape);
  return {
    pattern: spec.pattern,
    text: typeof spec.text === 'string' ? spec.text : spec.text(s),
    jacobians: s.inputs.map((x, i) => ({
      shape: [ySize, size(x)] as [number, number],
      structure: typeof spec.structure === 'string' ? spec.structure : spec.structure(i, s),
    })),
  };
}
