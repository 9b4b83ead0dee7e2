/**
 * Losses, each the mean over the N examples of a batch, so the full objective
 * of the lecture is one expression:
 *
 *   L(W) = (1/N) Σᵢ Lᵢ + λR(W)   →   softmaxCrossEntropy(model.forward(X), y).add(l2(model, λ))
 */
import { describeValue, fail, fmtShape } from '../errors';
import { broadcastShapes } from '../shape';
import { Tensor, fromData, valuesOf } from '../tensor';
import { add, mul, relu, sub } from '../ops/elementwise';
import { logSoftmax, logsumexp, mean, sum } from '../ops/reduce';
import { concat, pick } from '../ops/indexing';
import { reshape } from '../ops/shape';
import { Module } from './module';

/** Integer class labels: a tensor, an array or an Int32Array, one per row of the scores. */
export type Labels = Tensor | number[] | Int32Array;

/** Check labels against scores [N, C]; returns them as an Int32Array. */
function checkLabels(op: string, scores: Tensor, labels: Labels): Int32Array {
  if (!(scores instanceof Tensor)) fail(`${op}: scores must be a Tensor [N, classes], got ${scores === null ? 'null' : typeof scores}`);
  if (scores.ndim !== 2) fail(`${op}: scores must be 2-D [N, classes]; got shape ${fmtShape(scores.shape)}`);
  const [n, c] = scores.shape;
  const raw = labels instanceof Tensor ? valuesOf(labels) : labels;
  if (!raw || typeof raw.length !== 'number') fail(`${op}: labels must be a tensor or an array of integers`);
  if (labels instanceof Tensor && labels.ndim > 1) fail(`${op}: labels must be 1-D (one class index per row); got shape ${fmtShape(labels.shape)}`);
  if (raw.length !== n) fail(`${op}: ${raw.length} labels for ${n} rows of scores (shape ${fmtShape(scores.shape)})`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = raw[i];
    if (!Number.isInteger(k)) fail(`${op}: label ${k} at position ${i} is not an integer class index`);
    if (k < 0 || k >= c) {
      fail(
        `${op}: label ${k} at position ${i} does not match the number of classes: scores have ${c} columns (shape ${fmtShape(scores.shape)}), so labels must be in 0..${c - 1}`,
      );
    }
    out[i] = k;
  }
  return out;
}

/**
 * Softmax cross-entropy over integer labels, averaged over the batch:
 * Lᵢ = −log softmax(sᵢ)[yᵢ] = −sᵢ[yᵢ] + log Σⱼ exp sᵢⱼ.
 * `scores` [N, C] are the raw class scores (logits); labels in 0..C−1.
 * NOTE: computed through logSoftmax (shifted by the row maximum), so large
 * scores neither overflow nor lose precision.
 */
export function softmaxCrossEntropy(scores: Tensor, labels: Labels): Tensor {
  const y = checkLabels('softmaxCrossEntropy', scores, labels);
  return mul(mean(pick(logSoftmax(scores, -1), y)), -1);
}

/**
 * Multiclass SVM (hinge) loss, averaged over the batch:
 * Lᵢ = Σ_{j≠yᵢ} max(0, sᵢⱼ − sᵢ[yᵢ] + Δ), with Δ = `delta` (default 1).
 * NOTE: the j = yᵢ term is masked out; at a margin of exactly 0 the subgradient is 0 (relu's).
 */
export function svmLoss(scores: Tensor, labels: Labels, opts: { delta?: number } = {}): Tensor {
  const y = checkLabels('svmLoss', scores, labels);
  const delta = opts.delta ?? 1;
  if (typeof delta !== 'number' || !Number.isFinite(delta)) fail(`svmLoss: delta must be a finite number, got ${String(delta)}`);
  const [n, c] = scores.shape;
  const correct = reshape(pick(scores, y), [n, 1]);
  const others = new Float64Array(n * c).fill(1);
  for (let i = 0; i < n; i++) others[i * c + y[i]] = 0;
  const margins = mul(relu(add(sub(scores, correct), delta)), fromData([n, c], others));
  return mean(sum(margins, 1));
}

/**
 * Logistic loss for binary labels y ∈ {−1, +1} (the lecture's logistic
 * regression), averaged: Lᵢ = log(1 + exp(−yᵢ·sᵢ)). `scores` is [N] or [N, 1].
 * NOTE: evaluated as logsumexp([0, −y·s]), so it neither overflows for large
 * margins nor loses the gradient σ(−y·s) at s = 0.
 */
export function logisticLoss(scores: Tensor, y: Labels): Tensor {
  if (!(scores instanceof Tensor)) fail(`logisticLoss: scores must be a Tensor [N] or [N, 1], got ${scores === null ? 'null' : typeof scores}`);
  if (!(scores.ndim === 1 || (scores.ndim === 2 && scores.shape[1] === 1))) {
    fail(`logisticLoss: scores must be [N] or [N, 1] (one score per example); got shape ${fmtShape(scores.shape)}`);
  }
  const n = scores.shape[0];
  const raw = y instanceof Tensor ? valuesOf(y) : y;
  if (!raw || raw.length !== n) fail(`logisticLoss: ${raw ? raw.length : 0} labels for ${n} scores (shape ${fmtShape(scores.shape)})`);
  const yy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = raw[i];
    if (v !== 1 && v !== -1) {
      fail(`logisticLoss: labels must be −1 or +1; got ${v} at position ${i}` + (v === 0 ? ' (for 0/1 labels use 2·y − 1)' : ''));
    }
    yy[i] = v;
  }
  const z = mul(reshape(scores, [n, 1]), fromData([n, 1], yy).neg()); // −y·s
  return mean(logsumexp(concat([fromData([n, 1], new Float64Array(n)), z], 1), 1));
}

/** Mean squared error: (1/M) Σ (pred − target)² over all M entries (shapes must broadcast). */
export function mse(pred: Tensor, target: Tensor | number): Tensor {
  if (!(pred instanceof Tensor)) fail(`mse: pred must be a Tensor, got ${describeValue(pred)}`);
  if (!(target instanceof Tensor) && typeof target !== 'number') fail(`mse: target must be a Tensor or a number, got ${describeValue(target)}`);
  if (target instanceof Tensor) broadcastShapes('mse (pred and target)', [pred.shape, target.shape]);
  const d = sub(pred, target);
  return mean(mul(d, d));
}

/**
 * L2 regularisation λR(W) = λ Σ W² (no ½).
 * Given a model, it sums over the weight matrices only, not the biases (the
 * lecture's R(W)); given an array of tensors, over all of them.
 */
export function l2(params: Module | Tensor[], lambda: number): Tensor {
  if (typeof lambda !== 'number' || !Number.isFinite(lambda) || lambda < 0) fail(`l2: λ must be a non-negative number, got ${String(lambda)}`);
  const ts = params instanceof Module ? params.weights() : params;
  if (!Array.isArray(ts)) fail('l2: give a model or an array of tensors');
  let r: Tensor | null = null;
  for (const w of ts) {
    const s = sum(mul(w, w));
    r = r ? add(r, s) : s;
  }
  return r ? mul(r, lambda) : fromData([], Float64Array.of(0));
}

/** Predicted class per row of scores [N, C] (the argmax; the first on a tie). */
export function predict(scores: Tensor): Int32Array {
  if (!(scores instanceof Tensor) || scores.ndim !== 2)
    fail(`predict: scores must be a 2-D Tensor [N, classes]${scores instanceof Tensor ? `; got shape ${fmtShape(scores.shape)}` : ''}`);
  const [n, c] = scores.shape;
  const v = valuesOf(scores);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (v[i * c + j] > v[i * c + best]) best = j;
    out[i] = best;
  }
  return out;
}

/**
 * Fraction of rows whose predicted class matches the label. With scores of
 * one column ([N] or [N, 1]) and labels in {−1, +1}, the prediction is sign(s).
 */
export function accuracy(scores: Tensor, labels: Labels): number {
  const raw = labels instanceof Tensor ? valuesOf(labels) : labels;
  if (scores.ndim === 1 || (scores.ndim === 2 && scores.shape[1] === 1)) {
    const s = valuesOf(scores);
    if (raw.length !== s.length) fail(`accuracy: ${raw.length} labels for ${s.length} scores`);
    let ok = 0;
    for (let i = 0; i < s.length; i++) if ((s[i] > 0 ? 1 : -1) === raw[i]) ok++;
    return s.length ? ok / s.length : 0;
  }
  const y = checkLabels('accuracy', scores, labels);
  const p = predict(scores);
  let ok = 0;
  for (let i = 0; i < y.length; i++) if (p[i] === y[i]) ok++;
  return y.length ? ok / y.length : 0;
}
