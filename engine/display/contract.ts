/**
 * The display contract between the gradlab engine (which builds payloads in the
 * tslab kernel) and the JupyterLab extension (which draws them).
 *
 * This file has no imports on purpose: it is compiled into both the engine
 * (CommonJS, Node) and the extension (ES modules, browser). A breaking change
 * is a new MIME version (`.v2+json`) with a new payload type, never a silent
 * edit of a v1 type.
 */

/** MIME types of the views. */
export const MIME = {
  graph: 'application/vnd.gradlab.graph.v1+json',
  gradcheck: 'application/vnd.gradlab.gradcheck.v1+json',
  jacobianChain: 'application/vnd.gradlab.jacobian-chain.v1+json',
  lossCurve: 'application/vnd.gradlab.loss-curve.v1+json',
  decisionBoundary: 'application/vnd.gradlab.decision-boundary.v1+json',
  confusionMatrix: 'application/vnd.gradlab.confusion-matrix.v1+json',
  imageGrid: 'application/vnd.gradlab.image-grid.v1+json',
  plot: 'application/vnd.gradlab.plot.v1+json',
  fourWays: 'application/vnd.gradlab.four-ways.v1+json',
} as const;

/** One of the MIME types in {@link MIME}. */
export type GradlabMime = (typeof MIME)[keyof typeof MIME];

/** The payload `kind` a gradlab MIME type carries: its name between `vnd.gradlab.` and the version (`graph`, `loss-curve`, ...). */
export type MimeKind = GradlabMime extends infer M ? (M extends `application/vnd.gradlab.${infer K}.v${number}+json` ? K : never) : never;

/** Every gradlab MIME type with the payload kind it carries: derived from {@link MIME}, the one list of the kinds. */
export const MIME_KINDS: readonly { mime: GradlabMime; kind: MimeKind }[] = Object.values(MIME).map((mime) => ({
  mime,
  kind: mime.replace(/^application\/vnd\.gradlab\.|\.v\d+\+json$/g, '') as MimeKind,
}));

/** Payloads larger than this (JSON bytes) are refused by the engine with a message. */
export const MAX_PAYLOAD_BYTES = 8 * 1024 * 1024;

/**
 * Most nodes in a graph payload: the engine cuts larger graphs to the nodes
 * nearest the output (payloads.ts), and a view lays out at most this many of
 * a hand-made payload (figures/graph.ts), saying what it left out.
 */
export const GRAPH_NODE_LIMIT = 20000;

/** Tensors with more entries than this are summarised: only the first entries are sent. */
export const SUMMARY_ENTRIES = 16;

/**
 * A number as JSON can carry it. JSON has no NaN or infinities, so they travel
 * as these strings; views print them as they are.
 */
export type Num = number | 'NaN' | 'Infinity' | '-Infinity';

/** A tensor as a view sees it: its shape, some entries and statistics. */
export interface TensorSummary {
  shape: number[];
  dtype: 'float64' | 'float32';
  size: number;
  /** Entries in row-major order: all of them when `truncated` is false, else the first few (at most {@link SUMMARY_ENTRIES}; fewer in graphs of thousands of nodes). */
  values: Num[];
  truncated: boolean;
  min: Num;
  max: Num;
  mean: Num;
}

/** One node of a computational graph. Nodes are listed in topological order. */
export interface GraphNode {
  /** Index of this node in `GraphPayload.nodes`. */
  id: number;
  /** `leaf`: an input tensor; `const`: a constant operand; `op`: the result of an operation. */
  kind: 'leaf' | 'const' | 'op';
  /** Operation name (`mul`, `matmul`, a custom op's name), or `leaf` / `const`. */
  op: string;
  /** The user's name for the tensor, if any. Always drawn as text, never as markup. */
  name: string | null;
  /** Ids of the operands, in argument order; a value used twice appears twice (x·x → [x, x]). */
  inputs: number[];
  shape: number[];
  value: TensorSummary;
  /** The gradient of the output with respect to this node after the last backward pass, or null. */
  grad: TensorSummary | null;
  requiresGrad: boolean;
  /** Scope path from `gl.scope` and nn layers, outermost first; empty at top level. */
  scope: string[];
  /** Operation attributes worth showing (axis, keepdims, ...). */
  attrs?: Record<string, string | number | boolean | number[]>;
  /**
   * How this op's backward treats the gradient (op nodes only), inline. The
   * engine sends `ruleRef` instead; a reader takes `ruleRef` when present,
   * else this field (payloads from before the rule table).
   */
  rule?: BackwardRule;
  /** Index into `GraphPayload.rules` of this op's backward rule (op nodes only). */
  ruleRef?: number;
  /**
   * The gradient this node sent back to each of its operands in the last
   * backward pass, in the order of `inputs` (null where none was sent). A
   * value used by several ops receives one such contribution per use; its
   * `grad` is their sum. Present when backward has run through this node.
   */
  inputGrads?: (TensorSummary | null)[];
  /** This node's local backward checked against finite differences (`gl.gradCheck(..., {nodes: true})`). */
  check?: NodeCheck;
}

/**
 * The lecture's backprop patterns: `distributes` (add: every operand gets the
 * upstream gradient), `routes` (max, relu: the gradient goes to the winner
 * only), `switches` (mul: each operand gets the upstream gradient times the
 * other operand), `scales` (other elementwise ops: times the local derivative),
 * `matmul`, `sums` (a reduction: the gradient is copied back along the reduced
 * axes), `copies` (broadcast: the gradient is summed back), `moves` (reshape,
 * transpose, slice, take, concat, pad: entries are moved, not changed),
 * `custom` (a user-defined backward), `none` (not differentiable).
 */
export type BackwardPattern = 'distributes' | 'routes' | 'switches' | 'scales' | 'matmul' | 'sums' | 'copies' | 'moves' | 'custom' | 'none';

/** An op's backward rule as the graph view explains it. */
export interface BackwardRule {
  pattern: BackwardPattern;
  /** The rule in words and symbols, e.g. "∂L/∂a = ∂L/∂y · b; ∂L/∂b = ∂L/∂y · a". */
  text: string;
  /**
   * The local Jacobian ∂y/∂xᵢ for each operand, in the order of `inputs`:
   * `[y.size, xᵢ.size]`, and its structure (e.g. `diagonal`, `identity`,
   * `dense`, `selection`), which says why it is never formed as a matrix.
   */
  jacobians: { shape: [number, number]; structure: string }[];
}

/** A node's local backward (its vjp) against central differences of its forward. */
export interface NodeCheck {
  ok: boolean;
  /** Largest |analytic − numerical| / max(1e-8, |analytic| + |numerical|) over the checked entries. */
  relError: Num;
  absError: Num;
  /** Entries compared (all of them for small operands, a sample for large ones). */
  count: number;
}

/** `application/vnd.gradlab.graph.v1+json` */
export interface GraphPayload {
  version: 1;
  kind: 'graph';
  title?: string;
  /** Id of the node the graph was traced from. */
  output: number;
  nodes: GraphNode[];
  /**
   * The distinct backward rules of the graph's op nodes, each listed once;
   * a node points into it with `ruleRef` (every `add` of two scalars shares
   * one entry, so a 10,000-node graph does not repeat the same text per node).
   */
  rules?: BackwardRule[];
  /** Present when the graph was larger than the engine's limit: what was left out and why. */
  omitted?: { nodes: number; reason: string };
}

/** One checked gradient entry. */
export interface GradCheckEntry {
  /** Index into `GradCheckPayload.inputs`. */
  input: number;
  /** Multi-index of the entry within that input. */
  index: number[];
  analytic: Num;
  numerical: Num;
  /** |a − n| / max(1e-8, |a| + |n|) */
  relError: Num;
  absError: Num;
  ok: boolean;
}

/** `application/vnd.gradlab.gradcheck.v1+json` */
export interface GradCheckPayload {
  version: 1;
  kind: 'gradcheck';
  title?: string;
  ok: boolean;
  maxRelError: Num;
  /** An entry passes when relError ≤ tol or absError ≤ atol. */
  tol: number;
  atol: number;
  /** Finite-difference step. */
  h: number;
  inputs: { name: string; shape: number[]; ok: boolean; maxRelError: Num; count: number }[];
  /** Checked entries, worst first; at most a few hundred (see `totalEntries`). */
  entries: GradCheckEntry[];
  totalEntries: number;
  /** Forward mode checked along one random direction v: jvp vs finite difference vs ⟨grad, v⟩. */
  forward: { ok: boolean; jvp: Num; numerical: Num; vjpDot: Num; relError: Num } | { skipped: string };
  /**
   * With `{nodes: true}`: the traced graph of f, every op node carrying its
   * local `check`, so the view can point at the node whose backward is wrong.
   */
  graph?: GraphPayload;
}

/** One op of a Jacobian chain: its Jacobian is (output size) × (input size). */
export interface JacobianChainStep {
  op: string;
  label: string;
  inShape: number[];
  outShape: number[];
  /** Output size: rows of the Jacobian. */
  rows: number;
  /** Input size: columns of the Jacobian. */
  cols: number;
  /**
   * The step's parameters (an FC layer's W and b): the full Jacobian ∂y/∂W
   * that is never formed, next to what backprop computes instead.
   */
  params?: ParamJacobian[];
}

/** A parameter's Jacobian, as formed and as backprop avoids forming it. */
export interface ParamJacobian {
  name: string;
  shape: number[];
  /** ∂y/∂param as a matrix: [y.size, param.size]. */
  jacobian: [number, number];
  /** How many of its entries can be non-zero (W of y = Wx + b: one x per row block). */
  nonzero: number;
  /** What backprop computes instead, e.g. "gW = gy · xᵀ", its shape and multiply-adds. */
  backprop: { formula: string; shape: number[]; cost: number };
}

/** One way of multiplying the chain's Jacobians. */
export interface ChainOrder {
  name: 'forward' | 'reverse' | 'optimal';
  /** The product with its brackets, e.g. "J3·(J2·J1)". */
  order: string;
  /** Multiply-adds. */
  cost: number;
  /** Largest number of entries alive at once (partial products, plus the activations reverse mode keeps). */
  memory: number;
}

/** `application/vnd.gradlab.jacobian-chain.v1+json` */
export interface JacobianChainPayload {
  version: 1;
  kind: 'jacobian-chain';
  title?: string;
  inShape: number[];
  outShape: number[];
  /** Steps from input to output: J = J_k ··· J_2 · J_1. */
  steps: JacobianChainStep[];
  /** Multiply-adds of accumulating the chain from the input side (J_2·J_1 first): forward mode. */
  forwardCost: number;
  /** Multiply-adds of accumulating the chain from the output side (J_k·J_{k−1} first): reverse mode. */
  reverseCost: number;
  winner: 'forward' | 'reverse' | 'tie';
  /** Forward, reverse and the cheapest order (dynamic programming over the chain), with costs and memory. */
  orders?: ChainOrder[];
}

/** One line of a loss curve. */
export interface LossSeries {
  name: string;
  /** `y`: left axis (the loss); `y2`: right axis (accuracy and the like). */
  axis: 'y' | 'y2';
  x: number[];
  y: Num[];
}

/** `application/vnd.gradlab.loss-curve.v1+json` */
export interface LossCurvePayload {
  version: 1;
  kind: 'loss-curve';
  title?: string;
  xLabel: string;
  yLabel: string;
  y2Label?: string;
  series: LossSeries[];
  /** False while training is running; true after the final flush. */
  done: boolean;
  /** Set when the run stopped early (an interrupt or an error): why. */
  stopped?: string;
  /**
   * While `done` is false: the kernel's clock (`Date.now()`, ms since the epoch)
   * when this payload was sent. With {@link LossCurvePayload.staleAfter} it lets a
   * view tell a live run from one whose kernel went away (restarted, crashed) —
   * without the kernel's help, in the page and in a reopened notebook.
   */
  updatedAt?: number;
  /**
   * While `done` is false: the longest gap (ms) the kernel expects before its
   * next update. Past `updatedAt + staleAfter` a view shows the run as not
   * finished ("no update since …") instead of "training…".
   */
  staleAfter?: number;
  /**
   * Initial state of the view's log-scale toggle for the left (loss) axis, and
   * the static fallback's scale. Ignored (with a note) while a left-axis value is ≤ 0.
   */
  logY?: boolean;
  /**
   * Initial EMA smoothing weight in [0, 1) (0 or absent: none): the smoothed
   * line is drawn over the faint raw one, in the view and the static fallback.
   */
  smoothing?: number;
}

/**
 * `application/vnd.gradlab.decision-boundary.v1+json`: a 2-D classifier's
 * predicted class over a grid of the plane, and the labelled data on top.
 */
export interface DecisionBoundaryPayload {
  version: 1;
  kind: 'decision-boundary';
  title?: string;
  /** Class names; a label or a prediction `k` is `classes[k]`. */
  classes: string[];
  /** The plane drawn: x from `xRange[0]` to `xRange[1]`, y likewise. */
  xRange: [number, number];
  yRange: [number, number];
  /** Grid size: `cols` cells along x, `rows` along y. */
  cols: number;
  rows: number;
  /**
   * Predicted class of each cell (evaluated at its centre), `rows × cols` in
   * row-major order; row 0 is the top (largest y), as in an image.
   */
  predicted: number[];
  /** The predicted class's probability in each cell (0..1, 2 decimals), when the classifier gave scores. */
  confidence?: number[];
  /** The data: coordinates, true labels and the classifier's predictions, one entry per point. */
  points: { x: number[]; y: number[]; label: number[]; predicted: number[] };
  /** Fraction of the points predicted correctly. */
  accuracy: number;
  xLabel?: string;
  yLabel?: string;
}

/** `application/vnd.gradlab.confusion-matrix.v1+json` */
export interface ConfusionMatrixPayload {
  version: 1;
  kind: 'confusion-matrix';
  title?: string;
  /** Class names, in the order of the rows and the columns. */
  classes: string[];
  /** `counts[t][p]`: how many examples of true class t were predicted as class p. */
  counts: number[][];
  total: number;
  /** Fraction on the diagonal: correct / total (NaN as 'NaN' when there are no examples). */
  accuracy: Num;
}

/** `application/vnd.gradlab.image-grid.v1+json`: small images (digits, learned weights) in a grid. */
export interface ImageGridPayload {
  version: 1;
  kind: 'image-grid';
  title?: string;
  /** Every image has `height × width` pixels. */
  height: number;
  width: number;
  /** Pixel values, one array of `height × width` per image, row by row (4 significant digits). */
  images: number[][];
  /** One caption per image (may be empty strings). */
  captions: string[];
  /** Images per row of the grid. */
  columns: number;
  /**
   * `grey`: low values light, high values dark (ink on paper), over `ranges[i]`;
   * `diverging`: negative and positive in two colours, white at 0, over ±`ranges[i][1]`.
   */
  scale: 'grey' | 'diverging';
  /** The value range each image is drawn with: [low, high]. */
  ranges: [number, number][];
  /** True when all images share one range (they can be compared pixel for pixel). */
  sharedRange: boolean;
}

/** Most series (lines) of one plot payload: the engine refuses more, the view refuses a payload with more. */
export const PLOT_MAX_SERIES = 20;

/** Most points of one series of a plot payload: the engine refuses more (sample fewer points), the view refuses a payload with more. */
export const PLOT_MAX_POINTS = 10000;

/** Most points of all the series of a plot payload together: about 2 MB of JSON (the output model deep-copies it in the page). */
export const PLOT_MAX_TOTAL_POINTS = 50000;

/** One line (or set of markers) of a plot: `x[i]`, `y[i]` is a point; NaN or ±Infinity in either makes a gap. */
export interface PlotSeries {
  name: string;
  x: Num[];
  y: Num[];
  /** How the points are drawn (default `lines`, or `lines+markers` for a few points). */
  mode?: 'lines' | 'markers' | 'lines+markers';
  /** A dashed line (a reference line, an asymptote, a slope guide). */
  dash?: boolean;
}

/**
 * `application/vnd.gradlab.plot.v1+json`: a static line plot of a few series,
 * each on its own x values (a function and its derivatives over an interval,
 * errors against a step on log-log axes). On a log axis values ≤ 0 are left
 * out, and the figure says how many.
 */
export interface PlotPayload {
  version: 1;
  kind: 'plot';
  title?: string;
  xLabel: string;
  yLabel: string;
  logX: boolean;
  logY: boolean;
  /** At most {@link PLOT_MAX_SERIES}, each with at most {@link PLOT_MAX_POINTS} points, {@link PLOT_MAX_TOTAL_POINTS} in all. */
  series: PlotSeries[];
  /** Lines of text shown under the plot (the engine's own notes, e.g. what it left out). */
  notes?: string[];
}

/** Most inputs of a four-ways payload: the engine refuses more, the view refuses a payload with more. */
export const FOUR_WAYS_MAX_INPUTS = 64;

/**
 * Longest function or derivative text in a four-ways payload (characters): the
 * engine shortens longer ones to this, ending them with "… (N more characters)"
 * (`shortenExpression` in figures/four-ways.ts). Not above the extension's
 * MAX_STRING (2,000), so a payload from the engine is drawn without a note.
 */
export const FOUR_WAYS_MAX_TEXT = 2000;

/** Most notes of a four-ways payload the view shows (the rest are counted). */
export const FOUR_WAYS_MAX_NOTES = 20;

/** The ways of computing a gradient a four-ways figure compares, in the order it lists them. */
export type FourWaysId = 'manual' | 'symbolic' | 'numerical' | 'forward' | 'reverse';

/** One way of computing the gradient, with its answers, their errors and its cost. */
export interface FourWaysWay {
  id: FourWaysId;
  /** "manual (your function)", "symbolic", "numerical", "AD forward mode", "AD reverse mode". */
  label: string;
  /** How: "central differences, h = 1e-4", "6 forward passes, one per input", "1 forward + 1 backward pass", ... */
  detail: string;
  /** ∂f/∂input per input (same order as `inputs`), or null when this way failed (see `error`). */
  values: Num[] | null;
  /** |value − symbolic| / max(|symbolic|, |value|) per input (0 when both are 0, so a zero derivative reads 0 or 1, never 1e+300); symbolic's own are 0; null when `values` is null. */
  relErrors: Num[] | null;
  /** Costs: evaluations of f (null when it does not apply), scalar operations counted on the expression graph (null when unknown: a person's own function), wall time in ms. */
  cost: { fEvals: number | null; ops: number | null; ms: Num };
  /** Why this way has no values (e.g. the manual function threw "… is not implemented yet"). */
  error?: string;
}

/**
 * `application/vnd.gradlab.four-ways.v1+json`: one function at one point, its
 * gradient computed four ways (manual, symbolic, numerical, AD in forward and
 * in reverse mode), each with its relative error against the symbolic value
 * and its cost.
 */
export interface FourWaysPayload {
  version: 1;
  kind: 'four-ways';
  title?: string;
  /** The function as text, e.g. "σ(log(5·(max(x1, x2)·x3/x4 − (x5 + x6))) + 0.5)" (shortened past {@link FOUR_WAYS_MAX_TEXT}). */
  fn: string;
  /** The inputs in order, with their values at the point (at most {@link FOUR_WAYS_MAX_INPUTS}). */
  inputs: { name: string; value: Num }[];
  /** f at the point. */
  value: Num;
  /**
   * The symbolic derivative ∂f/∂input, one per input: its text (shortened past
   * {@link FOUR_WAYS_MAX_TEXT}) and its size (nodes written out as a tree, without sharing).
   */
  derivatives: { text: string; size: number }[];
  /** The ways, in this order: 'manual' (only when the user gave a function), 'symbolic', 'numerical', 'forward', 'reverse'. */
  ways: FourWaysWay[];
  /** Remarks the engine wants shown (e.g. "x1 = x2: the point is at max's kink; the gradient goes to x1"). */
  notes: string[];
}

/** Any payload of this contract. */
export type GradlabPayload =
  | GraphPayload
  | GradCheckPayload
  | JacobianChainPayload
  | LossCurvePayload
  | DecisionBoundaryPayload
  | ConfusionMatrixPayload
  | ImageGridPayload
  | PlotPayload
  | FourWaysPayload;
