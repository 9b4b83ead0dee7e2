/**
 * Everything the views say about an op, one entry per primitive: how the
 * graph writes it (its glyph), what its backward does in the lecture's words
 * (its pattern: add distributes, max routes, mul switches, ...; its rule with
 * symbols; the structure of its local Jacobians ∂y/∂xᵢ, which says why backprop
 * never forms them as matrices) and how the stepper words the gradient it
 * sends to each operand. The engine puts the rules in graph payloads; the
 * graph figure (figures/graph.ts), the details panel and the stepper
 * (extension/views/graph-details.ts, graph-steps.ts) read the rest from here.
 *
 * One entry per built-in primitive, keyed by name; a test walks `PRIMITIVES`
 * and fails when an op has no entry or an entry lacks a glyph, rule or
 * caption, so a new op cannot go unexplained. Custom ops (`gl.customOp`) all
 * share the `custom` entry, and so does any op name the table does not know.
 *
 * Imports only the contract: the extension bundles this file.
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

/** What a stepper caption is made of: one backward step of an op node, sending to one operand. */
export interface CaptionSubject {
  /** The op node as the caption names it (its name, else `#id`). */
  y: string;
  /** The upstream gradient written with that name: `∂L/∂c`. */
  gy: string;
  /** The op's name as recorded (a custom op's own name). */
  op: string;
  /** Position of the operand that receives (x·x sends to positions 0 and 1), and the number of operands. */
  pos: number;
  arity: number;
  /** Operand `i` as the caption names it. */
  operand: (i: number) => string;
  /** Operand `i` as a factor: an unnamed scalar constant by its value (`· 3`), else its name. */
  factor: (i: number) => string;
  /** The pattern of the node's rule as the payload gives it (the entry's own for payloads the engine made), or null. */
  pattern: string | null;
}

/** How the stepper words the contribution an op sends to one operand: `∂L/∂c · b`. */
type Caption = (c: CaptionSubject) => string;

/** What every op has, a custom one too: its backward and the stepper's words for it. */
export interface OpWords extends RuleSpec {
  /** The stepper's words for the contribution sent to operand `c.pos`: the op's own, or {@link byPattern}. */
  caption: Caption;
}

/** A built-in op's entry. */
export interface OpEntry extends OpWords {
  /** How the graph writes the op in its ellipse: a symbol (`×`) or the op's name. */
  glyph: string;
  /**
   * Written between its two operands (`a × b`, and in the stepper's captions);
   * `commutes` when the operands may swap, so `x·5` is labelled `× 5` (else `5 − ·`).
   */
  infix?: 'commutes' | 'ordered';
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

function axesText(s: RuleSubject): string {
  const a = s.attrs as { axes?: number[] } | undefined;
  if (!a?.axes || a.axes.length === s.inputs[0]?.length) return '';
  return ` along axis ${a.axes.join(', ')}`;
}

// ---- the stepper's words, by pattern -------------------------------------

/** `∂L/∂y · ∂y/∂x`: the upstream gradient times the local derivative. */
function timesLocal({ gy, y, pos, operand }: CaptionSubject): string {
  return `${gy} · ∂${y}/∂${operand(pos)}`;
}

/**
 * Each pattern's words for a contribution, for ops without words of their own.
 * `switches`, `matmul` (mul and matmul have their own) and `none` say the local derivative.
 */
const PATTERN_CAPTIONS: Record<BackwardPattern, Caption> = {
  distributes: ({ gy }) => gy,
  routes: ({ gy, pos, operand }) => `${gy} where ${operand(pos)} won, 0 elsewhere`,
  switches: timesLocal,
  scales: timesLocal,
  matmul: timesLocal,
  sums: ({ gy }) => `${gy} copied back along the reduced axes`,
  copies: ({ gy }) => `${gy} summed over the broadcast axes`,
  moves: ({ gy }) => `${gy} moved back into place`,
  custom: ({ op }) => `the custom backward of ${op}`,
  none: timesLocal,
};

/**
 * The caption of an op worded by its pattern: the pattern of the node's rule
 * as the payload gives it (a payload without rules gets `∂L/∂y · ∂y/∂x`).
 */
export function byPattern(c: CaptionSubject): string {
  const words =
    c.pattern !== null && Object.prototype.hasOwnProperty.call(PATTERN_CAPTIONS, c.pattern) ? PATTERN_CAPTIONS[c.pattern as BackwardPattern] : timesLocal;
  return words(c);
}

// ---- the table -------------------------------------------------------------

/** The built-in ops by primitive name (`gl.BACKWARD_RULES` in the public API). */
export const OP_TABLE: Readonly<Record<string, OpEntry>> = {
  add: {
    glyph: '+',
    infix: 'commutes',
    pattern: 'distributes',
    text: '∂L/∂a = ∂L/∂y;  ∂L/∂b = ∂L/∂y',
    structure: elementwise('identity'),
    caption: ({ gy }) => gy,
  },
  sub: {
    glyph: '−',
    infix: 'ordered',
    pattern: 'distributes',
    text: '∂L/∂a = ∂L/∂y;  ∂L/∂b = −∂L/∂y (b gets it negated)',
    structure: (i, s) => elementwise(i === 0 ? 'identity' : '−identity')(i, s),
    caption: ({ gy, pos }) => (pos === 0 ? gy : `−${gy}`),
  },
  mul: {
    glyph: '×',
    infix: 'commutes',
    pattern: 'switches',
    text: '∂L/∂a = ∂L/∂y · b;  ∂L/∂b = ∂L/∂y · a',
    structure: elementwise('diagonal'),
    caption: ({ gy, pos, arity, factor }) => (arity === 2 ? `${gy} · ${factor(pos === 0 ? 1 : 0)}` : `${gy} · (the other factors)`),
  },
  div: {
    glyph: '÷',
    infix: 'ordered',
    pattern: 'scales',
    text: '∂L/∂a = ∂L/∂y / b;  ∂L/∂b = −∂L/∂y · y / b',
    structure: elementwise('diagonal'),
    caption: ({ gy, pos, factor }) => (pos === 0 ? `${gy} / ${factor(1)}` : `−${gy} · ${factor(0)} / ${factor(1)}²`),
  },
  pow: {
    glyph: '^',
    infix: 'ordered',
    pattern: 'scales',
    text: '∂L/∂a = ∂L/∂y · b·a^(b−1);  ∂L/∂b = ∂L/∂y · ln(a)·y',
    structure: elementwise('diagonal'),
    caption: byPattern,
  },
  maximum: {
    glyph: 'maximum',
    pattern: 'routes',
    text: '∂L/∂a = ∂L/∂y where a ≥ b, else 0;  ∂L/∂b = ∂L/∂y where b > a, else 0 (a tie goes to a)',
    structure: elementwise('diagonal of 0/1 (selection)'),
    caption: byPattern,
  },
  minimum: {
    glyph: 'minimum',
    pattern: 'routes',
    text: '∂L/∂a = ∂L/∂y where a ≤ b, else 0;  ∂L/∂b = ∂L/∂y where b < a, else 0 (a tie goes to a)',
    structure: elementwise('diagonal of 0/1 (selection)'),
    caption: byPattern,
  },
  neg: {
    glyph: '−',
    pattern: 'scales',
    text: '∂L/∂x = −∂L/∂y',
    structure: '−identity',
    caption: ({ gy }) => `−${gy}`,
  },
  exp: { glyph: 'exp', pattern: 'scales', text: '∂L/∂x = ∂L/∂y · y (y = eˣ)', structure: 'diagonal', caption: byPattern },
  log: { glyph: 'log', pattern: 'scales', text: '∂L/∂x = ∂L/∂y / x', structure: 'diagonal', caption: byPattern },
  sqrt: { glyph: 'sqrt', pattern: 'scales', text: '∂L/∂x = ∂L/∂y · 0.5 / y (y = √x)', structure: 'diagonal', caption: byPattern },
  abs: { glyph: 'abs', pattern: 'scales', text: '∂L/∂x = ∂L/∂y · sign(x) (0 at x = 0)', structure: 'diagonal of ±1', caption: byPattern },
  sigmoid: { glyph: 'sigmoid', pattern: 'scales', text: '∂L/∂x = ∂L/∂y · y·(1 − y) (y = σ(x))', structure: 'diagonal', caption: byPattern },
  tanh: { glyph: 'tanh', pattern: 'scales', text: '∂L/∂x = ∂L/∂y · (1 − y²) (y = tanh x)', structure: 'diagonal', caption: byPattern },
  relu: {
    glyph: 'relu',
    pattern: 'routes',
    text: '∂L/∂x = ∂L/∂y where x > 0, else 0 (0 at x = 0)',
    structure: 'diagonal of 0/1 (selection)',
    caption: ({ gy, pos, operand }) => `${gy} where ${operand(pos)} > 0, 0 elsewhere`,
  },
  sin: { glyph: 'sin', pattern: 'scales', text: '∂L/∂x = ∂L/∂y · cos x', structure: 'diagonal', caption: byPattern },
  cos: { glyph: 'cos', pattern: 'scales', text: '∂L/∂x = −∂L/∂y · sin x', structure: 'diagonal', caption: byPattern },
  where: {
    glyph: 'where',
    pattern: 'routes',
    text: 'where(c, a, b): ∂L/∂a = ∂L/∂y where c ≠ 0;  ∂L/∂b = ∂L/∂y where c = 0;  the condition c gets none',
    structure: (i, s) => (i === 0 ? 'zero (not differentiable)' : elementwise('diagonal of 0/1 (selection)')(i, s)),
    caption: byPattern,
  },
  sign: { glyph: 'sign', pattern: 'none', text: 'no gradient: sign is piecewise constant', structure: 'zero (not differentiable)', caption: byPattern },
  gt: { glyph: 'gt', pattern: 'none', text: 'no gradient: a comparison is piecewise constant', structure: 'zero (not differentiable)', caption: byPattern },
  ge: { glyph: 'ge', pattern: 'none', text: 'no gradient: a comparison is piecewise constant', structure: 'zero (not differentiable)', caption: byPattern },
  lt: { glyph: 'lt', pattern: 'none', text: 'no gradient: a comparison is piecewise constant', structure: 'zero (not differentiable)', caption: byPattern },
  le: { glyph: 'le', pattern: 'none', text: 'no gradient: a comparison is piecewise constant', structure: 'zero (not differentiable)', caption: byPattern },
  eq: { glyph: 'eq', pattern: 'none', text: 'no gradient: a comparison is piecewise constant', structure: 'zero (not differentiable)', caption: byPattern },
  ne: { glyph: 'ne', pattern: 'none', text: 'no gradient: a comparison is piecewise constant', structure: 'zero (not differentiable)', caption: byPattern },
  matmul: {
    glyph: 'matmul',
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
      return i === 0
        ? `block diagonal (${m} blocks of ${n}×${size(s.inputs[0]) / Math.max(1, m)}, each Bᵀ)`
        : `Kronecker A ⊗ I${n} (sparse: ${n} copies of A interleaved)`;
    },
    caption: ({ gy, pos, factor }) => (pos === 0 ? `${gy} · ${factor(1)}ᵀ` : `${factor(0)}ᵀ · ${gy}`),
  },
  sum: {
    glyph: 'sum',
    pattern: 'sums',
    text: (s) => `∂L/∂x = ∂L/∂y copied back to every entry of its sum${axesText(s)}`,
    structure: (_i, s) => (size(s.shape) === 1 ? 'row of ones' : `ones, one row per group of ${size(s.inputs[0]) / Math.max(1, size(s.shape))}`),
    caption: byPattern,
  },
  max: {
    glyph: 'max',
    pattern: 'routes',
    text: (s) => `∂L/∂x = ∂L/∂y to the first maximal entry of each group${axesText(s)}, 0 elsewhere`,
    structure: 'selection (one 1 per row: the winner)',
    caption: byPattern,
  },
  min: {
    glyph: 'min',
    pattern: 'routes',
    text: (s) => `∂L/∂x = ∂L/∂y to the first minimal entry of each group${axesText(s)}, 0 elsewhere`,
    structure: 'selection (one 1 per row: the winner)',
    caption: byPattern,
  },
  logSoftmax: {
    glyph: 'logSoftmax',
    pattern: 'scales',
    text: (s) => `∂L/∂x = ∂L/∂y − softmax(x) · Σ ∂L/∂y${axesText(s)} (softmax(x) = exp(y), read off the output)`,
    structure: (_i, s) => {
      const a = (s.attrs as { axes?: number[] } | undefined)?.axes?.[0] ?? s.inputs[0].length - 1;
      const n = s.inputs[0][a] ?? 1;
      return `block diagonal (${size(s.shape) / Math.max(1, n)} dense ${n}×${n} blocks I − 1·softmaxᵀ)`;
    },
    caption: byPattern,
  },
  reshape: {
    glyph: 'reshape',
    pattern: 'moves',
    text: "∂L/∂x = ∂L/∂y reshaped back to x's shape (same entries, same order)",
    structure: 'identity',
    caption: byPattern,
  },
  transpose: {
    glyph: 'transpose',
    pattern: 'moves',
    text: '∂L/∂x = ∂L/∂y transposed back (inverse permutation of the axes)',
    structure: 'permutation',
    caption: byPattern,
  },
  broadcastTo: {
    glyph: 'broadcastTo',
    pattern: 'copies',
    text: '∂L/∂x = ∂L/∂y summed over the broadcast dimensions (each entry was copied to several outputs)',
    structure: 'stacked identities (each entry copied)',
    caption: byPattern,
  },
  take: {
    glyph: 'take',
    pattern: 'moves',
    text: '∂L/∂x = ∂L/∂y added back into the taken rows (zeros elsewhere; a row taken twice gets both)',
    structure: 'selection (one 1 per row)',
    caption: byPattern,
  },
  indexAdd: {
    glyph: 'indexAdd',
    pattern: 'moves',
    text: '∂L/∂g = the rows of ∂L/∂y at the indices (the adjoint of take)',
    structure: 'scatter-add (one 1 per column)',
    caption: byPattern,
  },
  slice: {
    glyph: 'slice',
    pattern: 'moves',
    text: '∂L/∂x = ∂L/∂y padded with zeros around the slice',
    structure: 'selection (one 1 per row)',
    caption: byPattern,
  },
  pad: {
    glyph: 'pad',
    pattern: 'moves',
    text: '∂L/∂x = ∂L/∂y sliced to the unpadded part (the adjoint of slice)',
    structure: 'selection transposed (one 1 per column)',
    caption: byPattern,
  },
  concat: {
    glyph: 'concat',
    pattern: 'moves',
    text: '∂L/∂xᵢ = the slice of ∂L/∂y where xᵢ was placed',
    structure: (i) => `selection (identity on operand ${i}'s rows of the output)`,
    caption: byPattern,
  },
};

/** The entry every custom op shares; the views also read it for an op name the table does not know. */
export const CUSTOM_RULE: OpWords = {
  pattern: 'custom',
  text: '∂L/∂xᵢ = backward(∂L/∂y, saved): the rule written with gl.customOp (check it with gl.gradCheck(f, x, {nodes: true}))',
  structure: 'user-defined',
  caption: byPattern,
};

/** The built-in entry of op `name`, or undefined (a custom op, or a name from a payload the table does not know). */
export function opEntry(name: string): OpEntry | undefined {
  return Object.prototype.hasOwnProperty.call(OP_TABLE, name) ? OP_TABLE[name] : undefined;
}

/** The rule spec of op `name` (`custom` for a custom op), or undefined for an unknown name. */
function ruleSpec(name: string, custom = false): RuleSpec | undefined {
  return custom ? CUSTOM_RULE : opEntry(name);
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

// ---- what the views read -------------------------------------------------

/** The glyph the graph draws for op `name`: the table's, else the name itself (custom ops). */
export function opGlyph(name: string): string {
  return opEntry(name)?.glyph ?? name;
}

/** The stepper's caption of the contribution op `c.op` sends to operand `c.pos`: the op's own words, else its pattern's. */
export function opCaption(c: CaptionSubject): string {
  return (opEntry(c.op) ?? CUSTOM_RULE).caption(c);
}

/** The lecture's name of each pattern, and what it does to the upstream gradient (the details panel's words). */
export const PATTERN_WORDS: Record<BackwardPattern, string> = {
  distributes: 'every operand receives the upstream gradient ∂L/∂y unchanged',
  routes: 'the upstream gradient goes to the winning entry only; the others receive 0',
  switches: 'each operand receives the upstream gradient times the other operand',
  scales: 'the upstream gradient is multiplied entry by entry by the local derivative',
  matmul: 'each operand receives a matrix product of the upstream gradient with the other operand, transposed',
  sums: 'the upstream gradient is copied back to every entry that was summed',
  copies: 'the upstream gradient is summed back over the copies',
  moves: 'entries of the upstream gradient are moved back where they came from, not changed',
  custom: 'the op’s own backward, written by the user',
  none: 'no gradient flows back (the op is piecewise constant)',
};

/** "mul switches", "max routes", "add distributes": the op's name and its pattern. */
export function patternName(op: string, pattern: string): string {
  if (pattern === 'matmul') return 'matmul multiplies by the other operand, transposed';
  if (pattern === 'none') return `${op}: no gradient`;
  if (pattern === 'custom') return `${op}: custom backward`;
  return `${op} ${pattern}`;
}
