/**
 * Optimisers (SGD with momentum, Adam) and learning-rate schedules.
 *
 * ```ts
 * const opt = new gl.optim.SGD(model, {lr: 0.1, momentum: 0.9});
 * opt.zeroGrad(); loss.backward(); opt.step();
 * ```
 * A schedule is a plain function step → learning rate, given as `lr`:
 * `new gl.optim.Adam(model, {lr: gl.optim.cosine(1e-2, 1000)})`.
 */
import { GradlabError, fail, fmtShape } from '../errors';
import { Tensor, fromData, valuesOf } from '../tensor';
import { Module } from './module';
import '../tensor-methods'; // steps assign in place (Tensor.assign)

/** A learning rate as a function of the step number (0 for the first step). */
export type Schedule = (step: number) => number;

/** The error of a refused step: a gradient had NaN or ±Infinity (`parameter` names it). */
export class NonFiniteGradientError extends GradlabError {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
    this.name = 'NonFiniteGradientError';
  }
}

/** Options of {@link Optimizer.step}. */
export interface StepOptions {
  /**
   * Step even when a gradient holds NaN or ±Infinity (default false: such a step is refused
   * with an error and nothing changes). Set it on the optimiser to allow it for every step.
   */
  allowNonFinite?: boolean;
}

/** What an optimiser needs: the parameters to update and their gradients after backward(). */
export abstract class Optimizer {
  /** The tensors updated by step(), in order. */
  readonly params: Tensor[];
  /** What errors call each parameter: its name in `model.namedParameters()`, else the tensor's name, else `#i`. */
  readonly paramNames: string[];
  /** The learning rate: a number, or a schedule called with the step number. */
  lr: number | Schedule;
  /** Steps taken so far. */
  stepCount = 0;
  /** Let step() go on with NaN/Infinity in a gradient (default false: refused). */
  allowNonFinite: boolean;
  /** `SGD`, `Adam`: the name in messages. */
  private readonly what: string;

  constructor(params: Module | Tensor[], lr: number | Schedule, what: string, allowNonFinite = false) {
    const named: [string, Tensor][] | null = params instanceof Module ? params.namedParameters() : null;
    const ps = named ? named.map(([, p]) => p) : params;
    if (!Array.isArray(ps) || ps.length === 0) fail(`${what}: give a model or a non-empty array of parameter tensors`);
    ps.forEach((p, i) => {
      if (!(p instanceof Tensor)) fail(`${what}: parameter ${i} is not a Tensor`);
      if (!p.isLeaf)
        fail(`${what}: parameter ${i}${p.name ? ` '${p.name}'` : ''} is the result of '${p.opName}', not a leaf; optimise the leaves it comes from`);
    });
    this.params = ps;
    this.paramNames = ps.map((p, i) => named?.[i][0] ?? p.name ?? `#${i}`);
    this.lr = checkLr(what, lr);
    this.what = what;
    this.allowNonFinite = !!allowNonFinite;
  }

  /** The learning rate the next step uses. */
  currentLr(): number {
    const lr = typeof this.lr === 'function' ? this.lr(this.stepCount) : this.lr;
    if (typeof lr !== 'number' || !Number.isFinite(lr)) fail(`learning-rate schedule gave ${String(lr)} at step ${this.stepCount}`);
    return lr;
  }

  /** Forget every parameter's gradient: call before each backward(), since gradients add up. */
  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  /**
   * Update every parameter from its `.grad` (parameters without a gradient are left alone).
   *
   * A gradient with NaN or ±Infinity would turn the parameters into NaN for good, so such a
   * step is refused: it throws an error naming the parameter and the first bad entry, and
   * changes nothing (parameters, momentum/Adam state, step count). `{allowNonFinite: true}`
   * (here or on the optimiser) steps anyway.
   */
  step(opts: StepOptions = {}): void {
    if (!(opts.allowNonFinite ?? this.allowNonFinite)) this.checkFinite();
    const lr = this.currentLr();
    this.stepCount++;
    this.params.forEach((p, i) => {
      const g = p.grad;
      if (!g) return;
      const x = Float64Array.from(valuesOf(p));
      this.update(i, x, valuesOf(g), lr);
      p.assign(fromData(p.shape, x));
    });
  }

  /** Throw, before anything changes, if a gradient has a NaN or infinite entry (one pass over each gradient). */
  private checkFinite(): void {
    this.params.forEach((p, i) => {
      const g = p.grad;
      if (!g || (g._data === null && g._v - g._v === 0)) return; // (a finite 0-d gradient: no array to make)
      const v = valuesOf(g);
      for (let k = 0; k < v.length; k++) {
        // NOTE: v[k] − v[k] is 0 for finite numbers and NaN for NaN and ±Infinity: one test for both.
        if (v[k] - v[k] === 0) continue;
        let bad = 0;
        for (let j = k; j < v.length; j++) if (!Number.isFinite(v[j])) bad++;
        const name = this.paramNames[i];
        const alias = p.name && p.name !== name ? ` ('${p.name}')` : '';
        const entry = p.ndim === 0 ? `is ${String(v[k])}` : `has ${String(v[k])} at ${fmtShape(unravel(k, p.shape))}`;
        throw new NonFiniteGradientError(
          name,
          `${this.what}.step: gradient of '${name}'${alias} ${entry}` +
            `${bad > 1 ? ` (${bad} of its ${v.length} entries are NaN or infinite)` : ''}; ` +
            'no parameter was changed (pass {allowNonFinite: true} to step anyway)',
        );
      }
    });
  }

  /** @internal update parameter `i`'s values `x` in place from its gradient `g` */
  protected abstract update(i: number, x: Float64Array, g: ArrayLike<number>, lr: number): void;
}

/** The index [i, j, ...] of flat (row-major) position k in `shape`. */
function unravel(k: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = k % shape[d];
    k = Math.floor(k / shape[d]);
  }
  return idx;
}

function checkLr(what: string, lr: unknown): number | Schedule {
  if (typeof lr === 'function') return lr as Schedule;
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) fail(`${what}: lr must be a non-negative number or a schedule (step → lr), got ${String(lr)}`);
  return lr;
}

export interface SGDOptions {
  /** Learning rate α (a number or a schedule). */
  lr: number | Schedule;
  /** Momentum ρ (default 0: plain SGD). Typical: 0.9. */
  momentum?: number;
  /** Adds wd·x to each gradient (L2 on every parameter, biases included; prefer `l2` in the loss to follow the lecture). Default 0. */
  weightDecay?: number;
  /** Step even when a gradient has NaN/Infinity (default false: the step is refused with an error). */
  allowNonFinite?: boolean;
}

/**
 * Stochastic gradient descent, with momentum as on the slides:
 * v ← ρ·v + ∇L;  x ← x − α·v  (v starts at 0, so the first step is x − α·∇L).
 */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly weightDecay: number;
  private readonly v: (Float64Array | null)[];

  constructor(params: Module | Tensor[], opts: SGDOptions) {
    super(params, opts?.lr, 'SGD', opts?.allowNonFinite);
    this.momentum = opts.momentum ?? 0;
    this.weightDecay = opts.weightDecay ?? 0;
    if (!(this.momentum >= 0 && this.momentum < 1)) fail(`SGD: momentum must be in [0, 1), got ${this.momentum}`);
    if (typeof this.weightDecay !== 'number' || !(this.weightDecay >= 0) || !Number.isFinite(this.weightDecay)) {
      fail(`SGD: weightDecay must be a non-negative number, got ${String(this.weightDecay)}`);
    }
    this.v = this.params.map(() => null);
  }

  protected update(i: number, x: Float64Array, g: ArrayLike<number>, lr: number): void {
    const mu = this.momentum;
    const wd = this.weightDecay;
    if (mu === 0) {
      for (let k = 0; k < x.length; k++) x[k] -= lr * (g[k] + wd * x[k]);
      return;
    }
    const v = (this.v[i] ??= new Float64Array(x.length));
    for (let k = 0; k < x.length; k++) {
      v[k] = mu * v[k] + g[k] + wd * x[k];
      x[k] -= lr * v[k];
    }
  }
}

export interface AdamOptions {
  /** Learning rate α (default 1e-3; a number or a schedule). */
  lr?: number | Schedule;
  /** β₁, decay of the first moment (default 0.9). */
  beta1?: number;
  /** β₂, decay of the second moment (default 0.999). */
  beta2?: number;
  /** ε added to √v̂ (default 1e-8). */
  eps?: number;
  /** Step even when a gradient has NaN/Infinity (default false: the step is refused with an error). */
  allowNonFinite?: boolean;
}

/**
 * Adam (Kingma & Ba), with bias correction:
 * m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  m̂ = m/(1−β₁ᵗ);  v̂ = v/(1−β₂ᵗ);  x ← x − α·m̂/(√v̂ + ε).
 * Its first step moves each entry by about α·sign(g).
 */
export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  private readonly m: (Float64Array | null)[];
  private readonly v: (Float64Array | null)[];

  constructor(params: Module | Tensor[], opts: AdamOptions = {}) {
    super(params, opts.lr ?? 1e-3, 'Adam', opts.allowNonFinite);
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    for (const [k, b] of [
      ['beta1', this.beta1],
      ['beta2', this.beta2],
    ] as const) {
      if (!(b >= 0 && b < 1)) fail(`Adam: ${k} must be in [0, 1), got ${b}`);
    }
    if (typeof this.eps !== 'number' || !(this.eps > 0) || !Number.isFinite(this.eps)) fail(`Adam: eps must be a positive number, got ${String(this.eps)}`);
    this.m = this.params.map(() => null);
    this.v = this.params.map(() => null);
  }

  protected update(i: number, x: Float64Array, g: ArrayLike<number>, lr: number): void {
    const { beta1: b1, beta2: b2, eps } = this;
    const m = (this.m[i] ??= new Float64Array(x.length));
    const v = (this.v[i] ??= new Float64Array(x.length));
    const t = this.stepCount; // already counts this step
    const c1 = 1 - Math.pow(b1, t);
    const c2 = 1 - Math.pow(b2, t);
    for (let k = 0; k < x.length; k++) {
      m[k] = b1 * m[k] + (1 - b1) * g[k];
      v[k] = b2 * v[k] + (1 - b2) * g[k] * g[k];
      x[k] -= (lr * (m[k] / c1)) / (Math.sqrt(v[k] / c2) + eps);
    }
  }
}

/** Constant α, then multiplied by `factor` (default 0.1) every `every` steps: α·factor^⌊step/every⌋. */
export function stepDecay(lr: number, every: number, factor = 0.1): Schedule {
  if (!Number.isInteger(every) || every <= 0) fail(`stepDecay: every must be a positive integer, got ${String(every)}`);
  return (step) => lr * Math.pow(factor, Math.floor(step / every));
}

/** α·γ^step. */
export function exponentialDecay(lr: number, gamma: number): Schedule {
  return (step) => lr * Math.pow(gamma, step);
}

/** Cosine from α down to `min` (default 0) over `totalSteps`, then `min`: min + ½(α − min)(1 + cos(π·step/T)). */
export function cosine(lr: number, totalSteps: number, min = 0): Schedule {
  if (!Number.isInteger(totalSteps) || totalSteps <= 0) fail(`cosine: totalSteps must be a positive integer, got ${String(totalSteps)}`);
  return (step) => (step >= totalSteps ? min : min + 0.5 * (lr - min) * (1 + Math.cos((Math.PI * step) / totalSteps)));
}

/** Linear warm-up from 0 over `steps`, then `after` (a number or a schedule, called with the step number). */
export function warmup(steps: number, after: number | Schedule): Schedule {
  const f = typeof after === 'function' ? after : () => after;
  return (step) => (step < steps ? (f(step) * (step + 1)) / steps : f(step));
}
