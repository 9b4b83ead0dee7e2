/**
 * Pictures of a classifier, built in the kernel: `gl.decisionBoundary`,
 * `gl.confusionMatrix` and `gl.imageGrid`. Each returns an object that
 * `gl.show` draws (a JupyterLab view, with a static fallback) and that prints
 * as readable text.
 */
import { fail, fmtShape } from '../errors';
import { Tensor, fromData, valuesOf } from '../tensor';
import { noGrad } from '../context';
import type { ConfusionMatrixPayload, DecisionBoundaryPayload, ImageGridPayload } from './contract';
import { num } from './payloads';
import { CM_MAX_CLASSES, IG_MAX_IMAGES, IG_MAX_PIXELS, confusionMatrixText, decisionBoundaryText, imageGridText } from './figures/pictures';

/** Labels: a tensor [N], an array or an Int32Array of class indices. */
export type LabelsLike = Tensor | ArrayLike<number>;

/**
 * Anything that classifies the rows of a tensor [N, features]: a model with
 * `forward` (a `gl.nn` network), or a function. Its output may be
 * - scores [N, C] (C ≥ 2): the class is the largest score, its softmax probability the confidence;
 * - one score per row ([N] or [N, 1]): class 1 where the score is > 0, else class 0
 *   (logistic regression's sign(wᵀx + b); for probabilities p pass `x => f(x).sub(0.5)`);
 * - predicted labels (an array or Int32Array of length N, e.g. from `gl.nn.predict`).
 */
export type Classifier = { forward(x: Tensor): Tensor } | ((x: Tensor) => Tensor | ArrayLike<number>);

const inspect = Symbol.for('nodejs.util.inspect.custom');

/** 4 significant digits: enough to draw, and a small payload. */
const round4 = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(4)) : 0);

/** Reads labels; labels in {−1, +1} (logistic regression) become 0 and 1. */
function readLabels(what: string, labels: LabelsLike, n?: number): { values: Int32Array; signed: boolean } {
  const raw = labels instanceof Tensor ? valuesOf(labels) : labels;
  if (!raw || typeof raw !== 'object' || typeof raw.length !== 'number') fail(`${what}: labels must be a Tensor [N] or an array of class indices`);
  if (labels instanceof Tensor && labels.ndim > 1 && !(labels.ndim === 2 && labels.shape[1] === 1)) {
    fail(`${what}: labels must be 1-D (one class index per example); got shape ${fmtShape(labels.shape)}`);
  }
  if (n !== undefined && raw.length !== n) fail(`${what}: ${raw.length} labels for ${n} examples`);
  let signed = raw.length > 0;
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    if (!Number.isInteger(v) || v < -1) fail(`${what}: label ${i} is ${v}; labels must be class indices 0, 1, … (or −1/+1)`);
    if (v !== -1 && v !== 1) signed = false;
  }
  const hasMinus = Array.prototype.some.call(raw, (v: number) => v === -1);
  if (hasMinus && !signed) fail(`${what}: labels mix −1 with other classes; use 0, 1, … (or only −1 and +1)`);
  const values = Int32Array.from(raw, (v) => (signed ? (v > 0 ? 1 : 0) : v));
  return { values, signed };
}

/** Predicted class and (when scores were given) its probability, per row of an output. */
function readPredictions(what: string, out: Tensor | ArrayLike<number>, n: number): { pred: Int32Array; conf: Float64Array | null } {
  if (!(out instanceof Tensor)) return { pred: readLabels(`${what}: the predicted labels`, out, n).values, conf: null };
  const v = valuesOf(out);
  if (out.shape[0] !== n || (out.ndim !== 1 && out.ndim !== 2)) {
    fail(`${what}: the classifier returned shape ${fmtShape(out.shape)} for ${n} rows; expected scores [${n}, classes], one score per row [${n}] or labels`);
  }
  const c = out.ndim === 2 ? out.shape[1] : 1;
  const pred = new Int32Array(n);
  const conf = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (c === 1) {
      const s = v[i];
      pred[i] = s > 0 ? 1 : 0;
      conf[i] = 1 / (1 + Math.exp(-Math.abs(s))); // σ(|s|): the probability of the side it falls on
      continue;
    }
    let best = 0;
    for (let j = 1; j < c; j++) if (v[i * c + j] > v[i * c + best]) best = j;
    // NOTE: softmax shifted by the row's maximum, so exp never overflows; p(best) = 1 / Σ exp(s_j − s_best).
    let z = 0;
    for (let j = 0; j < c; j++) z += Math.exp(v[i * c + j] - v[i * c + best]);
    pred[i] = best;
    conf[i] = 1 / z;
  }
  return { pred, conf };
}

function runClassifier(what: string, classifier: Classifier, x: Tensor): Tensor | ArrayLike<number> {
  return noGrad(() => {
    if (typeof classifier === 'function') return classifier(x);
    if (classifier && typeof (classifier as { forward?: unknown }).forward === 'function') return classifier.forward(x);
    return fail(`${what}: the classifier must be a model with forward(x) or a function of x`);
  });
}

function className(k: number, names: string[] | undefined, signed: boolean): string {
  if (names && k < names.length) return String(names[k]);
  return signed ? (k === 0 ? '−1' : '+1') : String(k);
}

// ---- decision boundary -----------------------------------------------------

/** Options of {@link decisionBoundary}. */
export interface DecisionBoundaryOptions {
  /** Grid cells along each axis (default 100, at most 300). */
  resolution?: number;
  /** Margin around the data, as a fraction of its extent (default 0.1). */
  padding?: number;
  /** Class names, by label (default the labels themselves). */
  classes?: string[];
  title?: string;
  /** Axis labels (default x₁, x₂). */
  xLabel?: string;
  yLabel?: string;
}

/**
 * A 2-D classifier's decisions over the plane and the labelled data on top:
 * the predicted class on a `resolution × resolution` grid around the data,
 * the decision boundary, and each point marked by its class (shape and
 * colour), with the misclassified ones ringed. `gl.show` draws it.
 *
 * ```ts
 * const {X, y} = gl.data.spiral({seed: 0});
 * gl.show(gl.decisionBoundary(net, X, y, {title: "2-layer net on the spiral"}));
 * ```
 */
export class DecisionBoundary {
  /** The payload gl.show sends. */
  readonly payload: DecisionBoundaryPayload;

  /** @internal use gl.decisionBoundary() */
  constructor(payload: DecisionBoundaryPayload) {
    this.payload = payload;
  }

  /** Fraction of the data points the classifier gets right. */
  get accuracy(): number {
    return this.payload.accuracy;
  }

  /** A text map of the predicted classes over the plane. */
  toString(): string {
    return decisionBoundaryText(this.payload);
  }

  /** @internal */
  [inspect](): string {
    return this.toString();
  }
}

/**
 * Evaluates `classifier` on a grid over the plane of `X` [N, 2] and returns
 * the picture of its decision boundary with the points `X` labelled `y`.
 * See {@link Classifier} for what the classifier may return.
 */
export function decisionBoundary(classifier: Classifier, X: Tensor, y: LabelsLike, opts: DecisionBoundaryOptions = {}): DecisionBoundary {
  const what = 'decisionBoundary';
  if (!(X instanceof Tensor) || X.ndim !== 2 || X.shape[1] !== 2) {
    fail(`${what}: X must be a Tensor [N, 2] of points in the plane${X instanceof Tensor ? `; got shape ${fmtShape(X.shape)}` : ''}`);
  }
  const n = X.shape[0];
  const res = opts.resolution ?? 100;
  if (!Number.isInteger(res) || res < 2 || res > 300) fail(`${what}: resolution must be an integer from 2 to 300, got ${res}`);
  const pad = opts.padding ?? 0.1;
  const { values: labels, signed } = readLabels(what, y, n);
  const xv = valuesOf(X);
  let [xlo, xhi, ylo, yhi] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    xlo = Math.min(xlo, xv[2 * i]);
    xhi = Math.max(xhi, xv[2 * i]);
    ylo = Math.min(ylo, xv[2 * i + 1]);
    yhi = Math.max(yhi, xv[2 * i + 1]);
  }
  if (!(xhi >= xlo) || !(yhi >= ylo)) [xlo, xhi, ylo, yhi] = [-1, 1, -1, 1];
  const xm = (xhi - xlo || 1) * pad;
  const ym = (yhi - ylo || 1) * pad;
  const xRange: [number, number] = [round4(xlo - xm), round4(xhi + xm)];
  const yRange: [number, number] = [round4(ylo - ym), round4(yhi + ym)];
  // Cell centres, row 0 at the top (largest y), as the payload is read.
  const grid = new Float64Array(res * res * 2);
  for (let r = 0; r < res; r++) {
    for (let c = 0; c < res; c++) {
      const i = r * res + c;
      grid[2 * i] = xRange[0] + ((c + 0.5) / res) * (xRange[1] - xRange[0]);
      grid[2 * i + 1] = yRange[1] - ((r + 0.5) / res) * (yRange[1] - yRange[0]);
    }
  }
  const g = readPredictions(what, runClassifier(what, classifier, fromData([res * res, 2], grid)), res * res);
  const atPoints = readPredictions(what, runClassifier(what, classifier, X), n);
  let classes = 0;
  for (const v of labels) classes = Math.max(classes, v + 1);
  for (const v of g.pred) classes = Math.max(classes, v + 1);
  for (const v of atPoints.pred) classes = Math.max(classes, v + 1);
  classes = Math.max(classes, opts.classes?.length ?? 0);
  let right = 0;
  for (let i = 0; i < n; i++) if (atPoints.pred[i] === labels[i]) right++;
  const payload: DecisionBoundaryPayload = {
    version: 1,
    kind: 'decision-boundary',
    classes: Array.from({ length: classes }, (_, k) => className(k, opts.classes, signed)),
    xRange,
    yRange,
    cols: res,
    rows: res,
    predicted: Array.from(g.pred),
    points: {
      x: Array.from({ length: n }, (_, i) => round4(xv[2 * i])),
      y: Array.from({ length: n }, (_, i) => round4(xv[2 * i + 1])),
      label: Array.from(labels),
      predicted: Array.from(atPoints.pred),
    },
    accuracy: n ? right / n : 0,
  };
  if (g.conf) payload.confidence = Array.from(g.conf, (p) => Math.round(p * 100) / 100);
  if (opts.title) payload.title = opts.title;
  if (opts.xLabel) payload.xLabel = opts.xLabel;
  if (opts.yLabel) payload.yLabel = opts.yLabel;
  return new DecisionBoundary(payload);
}

// ---- confusion matrix ------------------------------------------------------

/** Options of {@link confusionMatrix}. */
export interface ConfusionMatrixOptions {
  /** Class names, by label (default the labels themselves). */
  classes?: string[];
  title?: string;
}

/**
 * How often each true class was predicted as each class: `counts[t][p]`.
 * Prints as a text table; `gl.show` draws it with the mistakes shaded.
 */
export class ConfusionMatrix {
  /** The payload gl.show sends. */
  readonly payload: ConfusionMatrixPayload;

  /** @internal use gl.confusionMatrix() */
  constructor(payload: ConfusionMatrixPayload) {
    this.payload = payload;
  }

  /** `counts[t][p]`: examples of true class t predicted as p. */
  get counts(): number[][] {
    return this.payload.counts.map((r) => r.slice());
  }

  /** Fraction of examples on the diagonal (NaN with no examples). */
  get accuracy(): number {
    const a = this.payload.accuracy;
    return typeof a === 'number' ? a : NaN;
  }

  /** The matrix as a text table, rows = true class, columns = predicted class. */
  toString(): string {
    return confusionMatrixText(this.payload);
  }

  /** @internal */
  [inspect](): string {
    return this.toString();
  }
}

/**
 * The confusion matrix of `predicted` against the true `labels`.
 * `predicted` may be labels (a tensor [N] or an array) or scores [N, C], whose
 * largest entry per row is the prediction:
 *
 * ```ts
 * gl.show(gl.confusionMatrix(gl.nn.scores(net, test.X), test.y));
 * ```
 */
export function confusionMatrix(predicted: Tensor | ArrayLike<number>, labels: LabelsLike, opts: ConfusionMatrixOptions = {}): ConfusionMatrix {
  const what = 'confusionMatrix';
  const truth = readLabels(what, labels);
  const n = truth.values.length;
  const pred =
    predicted instanceof Tensor && predicted.ndim === 2 && predicted.shape[1] > 1
      ? readPredictions(what, predicted, n).pred
      : readLabels(`${what}: the predictions`, predicted, n).values;
  let C = opts.classes?.length ?? 0;
  for (let i = 0; i < n; i++) C = Math.max(C, truth.values[i] + 1, pred[i] + 1);
  if (C > CM_MAX_CLASSES) fail(`${what}: ${C} classes is more than a matrix can show (at most ${CM_MAX_CLASSES})`);
  const counts = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  let right = 0;
  for (let i = 0; i < n; i++) {
    counts[truth.values[i]][pred[i]]++;
    if (truth.values[i] === pred[i]) right++;
  }
  const payload: ConfusionMatrixPayload = {
    version: 1,
    kind: 'confusion-matrix',
    classes: Array.from({ length: C }, (_, k) => className(k, opts.classes, truth.signed)),
    counts,
    total: n,
    accuracy: num(n ? right / n : NaN),
  };
  if (opts.title) payload.title = opts.title;
  return new ConfusionMatrix(payload);
}

// ---- image grid ------------------------------------------------------------

/** Options of {@link imageGrid}. */
export interface ImageGridOptions {
  /** `[height, width]` of each image when rows are flattened ([N, H·W]); square images need not say it. */
  shape?: [number, number];
  /** One caption per image (e.g. its label), or a function of the index. */
  captions?: ArrayLike<string | number> | ((i: number) => string);
  /** Images per row (default up to 10). */
  columns?: number;
  /**
   * `grey`: dark = high (digits); `diverging`: red positive, blue negative,
   * white 0 (weights). Default: diverging when any value is negative.
   */
  scale?: 'grey' | 'diverging';
  /** One value range for all images (default: yes for grey, no for diverging: each weight image over its own ±max). */
  sharedRange?: boolean;
  title?: string;
}

/** Most images one grid shows (the view's cap, so whatever the engine sends is drawn whole). */
const IMAGE_GRID_MAX_IMAGES = IG_MAX_IMAGES;
/** Most pixels (all images together) one grid shows. */
const IMAGE_GRID_MAX_PIXELS = IG_MAX_PIXELS;

/** A grid of small images with captions. `gl.show` draws it; it prints as its captions and ranges. */
export class ImageGrid {
  /** The payload gl.show sends. */
  readonly payload: ImageGridPayload;

  /** @internal use gl.imageGrid() */
  constructor(payload: ImageGridPayload) {
    this.payload = payload;
  }

  /** Number of images. */
  get length(): number {
    return this.payload.images.length;
  }

  toString(): string {
    return imageGridText(this.payload);
  }

  /** @internal */
  [inspect](): string {
    return this.toString();
  }
}

/**
 * A grid of small images: `images` is a Tensor [N, H, W], or [N, H·W] with
 * rows flattened (square images are recognised; say `shape` otherwise).
 *
 * ```ts
 * const {test} = gl.data.digits();
 * gl.show(gl.imageGrid(gl.slice(test.X, 0, 20), {captions: (i) => `label ${test.y.toArray()[i]}`}));
 * // a first layer's weights, one image per hidden unit (W is [64, hidden]):
 * gl.show(gl.imageGrid(net.weights()[0].T, {shape: [8, 8], scale: "diverging"}));
 * ```
 */
export function imageGrid(images: Tensor, opts: ImageGridOptions = {}): ImageGrid {
  const what = 'imageGrid';
  if (!(images instanceof Tensor)) fail(`${what}: images must be a Tensor [N, H, W] or [N, H·W]`);
  let h: number;
  let w: number;
  const n = images.shape[0];
  if (images.ndim === 3) {
    [, h, w] = images.shape;
    if (opts.shape && (opts.shape[0] !== h || opts.shape[1] !== w)) fail(`${what}: shape [${opts.shape.join(',')}] does not match the images' ${h}×${w}`);
  } else if (images.ndim === 2) {
    const d = images.shape[1];
    if (opts.shape) [h, w] = opts.shape;
    else {
      h = w = Math.round(Math.sqrt(d));
      if (h * w !== d) fail(`${what}: rows of ${d} values are not square images; give {shape: [height, width]}`);
    }
    if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1 || h * w !== d)
      fail(`${what}: shape [${opts.shape?.join(',')}] does not hold rows of ${d} values`);
  } else {
    fail(`${what}: images must be [N, H, W] or [N, H·W]; got shape ${fmtShape(images.shape)}`);
  }
  if (n > IMAGE_GRID_MAX_IMAGES || n * h * w > IMAGE_GRID_MAX_PIXELS) {
    fail(
      `${what}: ${n} images of ${h}×${w} are too many to draw (at most ${IMAGE_GRID_MAX_IMAGES} images, ${IMAGE_GRID_MAX_PIXELS.toLocaleString('en')} pixels); show a slice`,
    );
  }
  const v = valuesOf(images);
  const d = h * w;
  let negative = false;
  for (let i = 0; i < v.length; i++) if (v[i] < 0) negative = true;
  const scale = opts.scale ?? (negative ? 'diverging' : 'grey');
  if (scale !== 'grey' && scale !== 'diverging') fail(`${what}: scale must be 'grey' or 'diverging', got ${String(scale)}`);
  const shared = opts.sharedRange ?? scale === 'grey';
  const data = Array.from({ length: n }, (_, i) => Array.from(v.subarray(i * d, (i + 1) * d), round4));
  const rangeOf = (vals: ArrayLike<number>): [number, number] => {
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 0; k < vals.length; k++) if (Number.isFinite(vals[k])) [lo, hi] = [Math.min(lo, vals[k]), Math.max(hi, vals[k])];
    if (!(hi >= lo)) return [0, 1];
    if (scale === 'diverging') {
      const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
      return [round4(-m), round4(m)];
    }
    return [round4(Math.min(lo, 0)), round4(hi > Math.min(lo, 0) ? hi : Math.min(lo, 0) + 1)];
  };
  const all = rangeOf(v);
  const captions: string[] = Array.from({ length: n }, (_, i) => {
    const c = typeof opts.captions === 'function' ? opts.captions(i) : opts.captions?.[i];
    return c === undefined || c === null ? '' : String(c);
  });
  const payload: ImageGridPayload = {
    version: 1,
    kind: 'image-grid',
    height: h,
    width: w,
    images: data,
    captions,
    columns: Math.max(1, Math.floor(opts.columns ?? Math.min(10, Math.max(1, n)))),
    scale,
    ranges: data.map((im) => (shared ? all : rangeOf(im))),
    sharedRange: shared,
  };
  if (opts.title) payload.title = opts.title;
  return new ImageGrid(payload);
}
