/**
 * `gl.nn.train`: minibatch SGD as on the slides — shuffle the data each epoch,
 * take minibatches of `batchSize` rows, evaluate the loss and its gradient,
 * step — with a live loss curve, a history, and the stop button honoured.
 */
import { GradlabError, fail, fmtShape } from '../errors';
import { Tensor, valuesOf } from '../tensor';
import { Rng } from '../rng';
import { noGrad } from '../context';
import { add } from '../ops/elementwise';
import { take } from '../ops/indexing';
import { LossCurve, lossCurve, type LossCurveOptions } from '../display/show';
import { Module } from './module';
import { accuracy, l2, logisticLoss, mse, softmaxCrossEntropy, svmLoss, type Labels } from './losses';
import { Optimizer, SGD, Adam, NonFiniteGradientError, type Schedule } from './optim';
import { watchInterrupt, yieldToEventLoop, type InterruptWatch } from './interrupt';

/** A data loss by name, or your own `(scores, labels) → mean loss`. */
export type LossFn = 'softmax' | 'svm' | 'logistic' | 'mse' | ((scores: Tensor, y: Tensor) => Tensor);

/** What `train` learns from: rows of `X` and their labels `y` (a `gl.data` data set fits). */
export interface TrainData {
  X: Tensor;
  y: Tensor | number[] | Int32Array;
}

export interface TrainOptions {
  /** The data loss (default `'softmax'`: softmax cross-entropy over integer labels). */
  loss?: LossFn;
  /** λ of the L2 regularisation λΣW² on the weights (default 0). The objective is loss + λR(W). */
  reg?: number;
  /** An optimiser you made, or `'sgd'` (default; momentum 0.9) or `'adam'`. */
  optimizer?: Optimizer | 'sgd' | 'adam';
  /** Learning rate for a named optimiser, or a schedule (default 0.1 for sgd, 1e-3 for adam). */
  lr?: number | Schedule;
  /** Momentum for `'sgd'` (default 0.9). */
  momentum?: number;
  /** Examples per minibatch (default 64; the slides use 32/64/128/256). */
  batchSize?: number;
  /** Passes over the data (default 10 when `steps` is not given). */
  epochs?: number;
  /** Total number of minibatch steps (instead of `epochs`). */
  steps?: number;
  /** Seed of the shuffling (default 0). */
  seed?: number;
  /** Evaluate accuracy every this many steps (default: at the end of each epoch). */
  evalEvery?: number;
  /**
   * Held-out data: its loss and accuracy are recorded at each evaluation and drawn on the
   * live curve, `validation loss` on the left axis with the training loss, `validation accuracy`
   * on the right axis with the training `accuracy`.
   */
  validation?: TrainData;
  /**
   * Draw a live loss curve (default true), or its options (`{smoothing: 0.9, logY: true}` sets the
   * view's toggles at the start: the minibatch loss is noisy); `false` draws nothing.
   */
  curve?: boolean | LossCurveOptions;
  /** Stop when this signal aborts (the kernel's stop button works without it). */
  signal?: AbortSignal;
}

/** One evaluation during training. */
export interface EvalPoint {
  /** Steps done when it was taken. */
  step: number;
  /** Epochs done (fractional between epoch ends). */
  epoch: number;
  /** Data loss (without the regulariser) over the whole training set. */
  loss: number;
  /** Training accuracy (absent for `'mse'`). */
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
}

/** What `train` records. Also kept as `model.history` from the first step, so an interrupted run keeps it. */
export class TrainHistory {
  /** The minibatch objective (loss + λR(W)) after each step: `losses[k]` is step k+1's. */
  readonly losses: number[] = [];
  /** Evaluations over the full data, in order. */
  readonly evals: EvalPoint[] = [];
  /** Steps done. */
  steps = 0;
  /** Epochs done (fractional when stopped in the middle of one). */
  epochs = 0;
  /** Why training stopped early (`'interrupted at step 57'`), or null. */
  stopped: string | null = null;
  /** True once train() has finished (normally or stopped). */
  done = false;
  /** Wall time of the training call so far, in seconds. */
  seconds = 0;

  /** The last evaluation's training accuracy (undefined before any). */
  get accuracy(): number | undefined {
    return this.evals.at(-1)?.accuracy;
  }

  /** The last evaluation's validation accuracy. */
  get valAccuracy(): number | undefined {
    return this.evals.at(-1)?.valAccuracy;
  }

  toString(): string {
    const e = this.evals.at(-1);
    const parts = [`${this.steps} steps`, `${+this.epochs.toFixed(2)} epochs`, `${this.seconds.toFixed(2)} s`];
    if (this.losses.length) parts.push(`last loss ${this.losses.at(-1)!.toPrecision(4)}`);
    if (e?.accuracy !== undefined) parts.push(`accuracy ${(100 * e.accuracy).toFixed(1)}%`);
    if (e?.valAccuracy !== undefined) parts.push(`validation accuracy ${(100 * e.valAccuracy).toFixed(1)}%`);
    if (this.stopped) parts.push(`stopped: ${this.stopped}`);
    return `TrainHistory(${parts.join(', ')})`;
  }

  /** @internal */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

function lossOf(loss: LossFn): (s: Tensor, y: Tensor) => Tensor {
  if (typeof loss === 'function') return loss;
  switch (loss) {
    case 'softmax':
      return softmaxCrossEntropy;
    case 'svm':
      return (s, y) => svmLoss(s, y);
    case 'logistic':
      return logisticLoss;
    case 'mse':
      return mse;
  }
  fail(`train: loss must be 'softmax', 'svm', 'logistic', 'mse' or a function, got ${String(loss)}`);
}

function labelsTensor(what: string, y: Labels, n: number): Tensor {
  const t = y instanceof Tensor ? y : new Tensor([(y as ArrayLike<number>).length], 'float64', Float64Array.from(y as ArrayLike<number>), 0);
  if (t.shape[0] !== n) fail(`train: ${what} has ${t.shape[0]} labels for ${n} examples (X shape ${n} rows)`);
  return t;
}

function checkData(what: string, d: TrainData): { X: Tensor; y: Tensor; n: number } {
  if (!d || !(d.X instanceof Tensor)) fail(`train: ${what} must be {X, y} with X a Tensor [N, features]`);
  if (d.X.ndim !== 2) fail(`train: ${what}.X must be 2-D [N, features]; got shape ${fmtShape(d.X.shape)}`);
  const n = d.X.shape[0];
  if (d.y === undefined || d.y === null) fail(`train: ${what}.y (the labels) is missing`);
  return { X: d.X, y: labelsTensor(what, d.y, n), n };
}

/**
 * Train `model` with minibatch SGD and return the history.
 *
 * Each epoch shuffles the rows with a seeded generator and walks through them
 * in minibatches of `batchSize` (the last one may be smaller); each step is
 * zeroGrad → forward → loss (+ λR(W)) → backward → optimiser step. Runs
 * `epochs` passes or `steps` steps. Accuracy over the whole training set (and
 * the validation set) is recorded at each epoch end or every `evalEvery` steps.
 *
 * Await it: the live curve updates while it runs and is closed before it
 * returns. The stop button stops it within one step; the curve then shows
 * "interrupted at step N", the partial history stays in `model.history`, and
 * `train` throws (after closing the curve), so the rest of the cell does not
 * run, as the stop button means. An `opts.signal` abort just returns early.
 *
 * ```ts
 * const net = gl.nn.mlp([2, 100, 3], {seed: 0});
 * const h = await gl.nn.train(net, gl.data.spiral({seed: 0}), {lr: 0.5, epochs: 200, batchSize: 64, reg: 1e-3});
 * ```
 */
export async function train(model: Module, data: TrainData, opts: TrainOptions = {}): Promise<TrainHistory> {
  if (!(model instanceof Module)) fail('train: the first argument must be a model (gl.nn.mlp(...), a Sequential or a layer)');
  const t0 = performance.now();
  const { X, y, n } = checkData('data', data);
  const val = opts.validation ? checkData('validation', opts.validation) : null;
  const lossName = opts.loss ?? 'softmax';
  const dataLoss = lossOf(lossName);
  const classify = lossName !== 'mse';
  const reg = opts.reg ?? 0;
  if (typeof reg !== 'number' || !(reg >= 0)) fail(`train: reg (λ) must be a non-negative number, got ${String(reg)}`);
  const batchSize = opts.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize <= 0) fail(`train: batchSize must be a positive integer, got ${String(batchSize)}`);
  if (batchSize > n) fail(`train: batchSize ${batchSize} is larger than the data (${n} examples); use at most ${n}`);
  if (opts.steps !== undefined && opts.epochs !== undefined) fail('train: give either epochs or steps, not both');
  const perEpoch = Math.ceil(n / batchSize);
  const total = opts.steps ?? perEpoch * (opts.epochs ?? 10);
  if (!Number.isInteger(total) || total < 0) fail(`train: ${opts.steps !== undefined ? 'steps' : 'epochs'} must be a non-negative integer`);
  const evalEvery = opts.evalEvery ?? perEpoch;
  if (!Number.isInteger(evalEvery) || evalEvery <= 0) fail(`train: evalEvery must be a positive integer, got ${String(evalEvery)}`);
  const opt = makeOptimizer(model, opts);
  const rng = new Rng(opts.seed ?? 0);

  // Check the model against the data before anything is drawn: a wrong width throws here, and
  // every label must name one of the model's classes (not just those in the first minibatch).
  const s0 = noGrad(() => model.forward(take(X, [0])));
  if (lossName === 'softmax' || lossName === 'svm') {
    const c = s0.shape[s0.ndim - 1];
    for (const [what, labels] of [
      ['data', y],
      ['validation', val?.y],
    ] as const) {
      if (!labels) continue;
      const v = valuesOf(labels);
      for (let i = 0; i < v.length; i++) {
        if (!Number.isInteger(v[i]) || v[i] < 0 || v[i] >= c) {
          fail(
            `train: ${what} label ${v[i]} at position ${i} does not match the number of classes: the model gives ${c} scores per example, so labels must be integers in 0..${c - 1}`,
          );
        }
      }
    }
  }
  noGrad(() => dataLoss(s0, take(y, [0])));

  const history = new TrainHistory();
  model.history = history;
  const curve: LossCurve | null =
    opts.curve === false
      ? null
      : lossCurve({
          title: `training ${model.name}`,
          ...(typeof opts.curve === 'object' ? opts.curve : {}),
        });

  const evaluate = () =>
    noGrad(() => {
      const s = model.forward(X);
      const p: EvalPoint = { step: history.steps, epoch: history.steps / perEpoch, loss: dataLoss(s, y).item() };
      if (classify) p.accuracy = accuracy(s, y);
      if (val) {
        const sv = model.forward(val.X);
        p.valLoss = dataLoss(sv, val.y).item();
        if (classify) p.valAccuracy = accuracy(sv, val.y);
      }
      history.evals.push(p);
      return p;
    });

  let watch: InterruptWatch | null = null;
  let order = rng.permutation(n);
  let at = 0;
  try {
    // NOTE: yield once before listening and before the first step. A tslab cell's synchronous
    // start runs under vm's breakOnSigint, which detaches every SIGINT listener and, on exit,
    // restores the signal's previous disposition: a listener added in there leaves SIGINT
    // unhandled, and the next interrupt kills the kernel (seen in test_interrupt.py).
    await yieldToEventLoop();
    watch = watchInterrupt(opts.signal);
    while (history.steps < total) {
      if (watch.reason) {
        history.stopped = `${watch.reason} at step ${history.steps}`;
        break;
      }
      if (at >= n) {
        order = rng.permutation(n);
        at = 0;
      }
      const idx = order.subarray(at, Math.min(n, at + batchSize));
      at += idx.length;
      opt.zeroGrad();
      const Xb = take(X, idx);
      const yb = take(y, idx);
      let L = dataLoss(model.forward(Xb), yb);
      if (reg > 0) L = add(L, l2(model, reg));
      const lv = L.item();
      L.backward();
      stepOrExplain(opt, history.steps + 1, lv);
      history.steps++;
      history.epochs = history.steps / perEpoch;
      history.losses.push(lv);
      history.seconds = (performance.now() - t0) / 1000;
      const extra: Record<string, number> = {};
      if (history.steps % evalEvery === 0 || history.steps === total) {
        const e = evaluate();
        if (e.accuracy !== undefined) extra.accuracy = e.accuracy;
        if (e.valLoss !== undefined) extra['validation loss'] = e.valLoss;
        if (e.valAccuracy !== undefined) extra['validation accuracy'] = e.valAccuracy;
      }
      if (curve) await curve.push(history.steps, lv, extra);
      // NOTE: one turn of the event loop per step: a SIGINT (the stop button) is delivered there.
      await yieldToEventLoop();
    }
    if (!Number.isFinite(history.losses.at(-1) ?? 0) && !history.stopped) history.stopped = `the loss became ${history.losses.at(-1)} at step ${history.steps}`;
  } catch (e) {
    history.stopped = `error at step ${history.steps}: ${(e as Error)?.message ?? String(e)}`;
    throw e;
  } finally {
    watch?.dispose();
    history.seconds = (performance.now() - t0) / 1000;
    history.done = true;
    if (curve) await curve.close(history.stopped ?? undefined);
  }
  // NOTE: tslab has already rejected the cell's promise; throwing here stops the code after
  // `await train(...)` in the same cell, which would otherwise go on running in the background.
  if (watch?.reason === 'interrupted') {
    fail(`train: ${history.stopped} by the stop button; model.history keeps the ${history.steps} steps run`);
  }
  return history;
}

/** opt.step(), its refusal (a NaN/Infinity gradient) said as a training error: which step, what loss. */
function stepOrExplain(opt: Optimizer, step: number, loss: number): void {
  try {
    opt.step();
  } catch (e) {
    if (!(e instanceof NonFiniteGradientError)) throw e;
    const why = Number.isFinite(loss) ? `minibatch loss ${loss.toPrecision(6)}` : `the minibatch loss is already ${loss}`;
    fail(`train: step ${step} stopped (${why}): ${e.message}. A smaller lr often helps; the model keeps the parameters of step ${step - 1}`);
  }
}

function makeOptimizer(model: Module, opts: TrainOptions): Optimizer {
  const o = opts.optimizer ?? 'sgd';
  if (o instanceof Optimizer) return o;
  try {
    if (o === 'sgd') return new SGD(model, { lr: opts.lr ?? 0.1, momentum: opts.momentum ?? 0.9 });
    if (o === 'adam') return new Adam(model, { lr: opts.lr ?? 1e-3 });
  } catch (e) {
    // the optimiser's message (`SGD: lr must be ...`), said as train's: the user called train
    if (e instanceof GradlabError) fail(`train: ${e.message}`);
    throw e;
  }
  fail(`train: optimizer must be 'sgd', 'adam' or an optimiser object, got ${String(o)}`);
}

/** Class scores of `model` for `X` without recording a graph (evaluation). */
export function scores(model: Module, X: Tensor): Tensor {
  return noGrad(() => model.forward(X));
}

/** Accuracy of `model` on `data` (argmax of the scores against the labels). */
export function evaluate(model: Module, data: TrainData): number {
  const { X, y } = checkData('data', data);
  return accuracy(scores(model, X), y);
}
