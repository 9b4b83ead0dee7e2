/**
 * Layers: Linear (the fully connected layer), the activations, Sequential and
 * the mlp builder. Each layer runs its forward inside `gl.scope(name, ...)`,
 * so the graph view groups a network's nodes by layer.
 */
import { describeValue, fail, fmtShape } from '../errors';
import { Tensor, fromData, valuesOf } from '../tensor';
import { Rng, defaultRng } from '../rng';
import { scope } from '../context';
import { add, relu, sigmoid, tanh } from '../ops/elementwise';
import { matmul } from '../ops/linalg';
import '../tensor-methods'; // parameters are assigned in place (Tensor.assign)
import type { TrainHistory } from './train';

/** Parameter values by name (`'0.weight'` → nested arrays), as JSON. See {@link Module.stateDict}. */
export interface StateDict {
  [name: string]: { shape: number[]; values: number[] };
}

/**
 * The base of every layer and network: `forward(x)`, its parameters, and a
 * JSON state dict. A subclass implements `run(x)`; `forward` wraps it in a
 * scope named after the layer.
 */
export abstract class Module {
  /** The layer's name: the scope its nodes carry in the graph view, and the name in error messages. */
  name: string;
  /**
   * The history of the last `gl.nn.train(this, ...)` (set when training starts and filled
   * as it runs, so an interrupted run keeps its partial history here).
   */
  history: TrainHistory | null = null;

  constructor(name: string) {
    this.name = name;
  }

  /** @internal the computation, without the scope */
  protected abstract run(x: Tensor): Tensor;

  /** The layer's output for a batch `x` (rows are examples), recorded under the scope `this.name`. */
  forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor)) fail(`${this.kind} '${this.name}': the input must be a Tensor, got ${describeValue(x)}`);
    return scope(this.name, () => this.run(x));
  }

  /** The class name shown in messages (`Linear`, `ReLU`, ...). */
  get kind(): string {
    return this.constructor.name;
  }

  /** Direct sub-modules, by their key in parameter names (Sequential: `'0'`, `'1'`, ...). */
  children(): [string, Module][] {
    return [];
  }

  /** @internal this module's own parameters (not its children's) */
  protected ownParameters(): [string, Tensor][] {
    return [];
  }

  /** Every parameter with a dotted name: `['0.weight', W], ['0.bias', b], ['2.weight', ...]`. */
  namedParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [...this.ownParameters()];
    for (const [k, m] of this.children()) {
      for (const [n, p] of m.namedParameters()) out.push([`${k}.${n}`, p]);
    }
    return out;
  }

  /** Every parameter (tensors with `requiresGrad`), in a fixed order: what an optimiser updates. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /**
   * The weight matrices only (no biases): what {@link l2} regularises, as the
   * lecture's R(W) = Σ W².
   */
  weights(): Tensor[] {
    return this.namedParameters()
      .filter(([n]) => n === 'weight' || n.endsWith('.weight'))
      .map(([, p]) => p);
  }

  /** Number of scalar parameters. */
  numParameters(): number {
    return this.parameters().reduce((s, p) => s + p.size, 0);
  }

  /** Forget every parameter's accumulated gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /**
   * The parameter values as a JSON-ready object: `{'0.weight': {shape, values}, ...}`
   * (values flat, row-major). `JSON.stringify` it, or use `gl.nn.save`.
   */
  stateDict(): StateDict {
    const d: StateDict = {};
    for (const [n, p] of this.namedParameters()) d[n] = { shape: p.shape.slice(), values: Array.from(valuesOf(p)) };
    return d;
  }

  /**
   * Overwrite the parameters in place from a state dict (from {@link stateDict} or
   * `JSON.parse` of one). Every parameter must be present with its shape; extra
   * or missing names are an error naming them.
   */
  loadStateDict(d: StateDict): this {
    if (!d || typeof d !== 'object') fail(`loadStateDict: expected an object of {shape, values} by parameter name, got ${d === null ? 'null' : typeof d}`);
    const named = this.namedParameters();
    const want = new Set(named.map(([n]) => n));
    const extra = Object.keys(d).filter((k) => !want.has(k));
    const missing = named.map(([n]) => n).filter((n) => !(n in d));
    if (missing.length || extra.length) {
      fail(
        `loadStateDict: the state dict does not fit this ${this.kind}` +
          (missing.length ? `; missing: ${missing.join(', ')}` : '') +
          (extra.length ? `; unexpected: ${extra.join(', ')}` : ''),
      );
    }
    for (const [n, p] of named) {
      const e = d[n];
      const shape = e?.shape;
      if (!Array.isArray(shape) || shape.length !== p.shape.length || shape.some((s, i) => s !== p.shape[i])) {
        fail(
          `loadStateDict: '${n}' has shape ${Array.isArray(shape) ? fmtShape(shape) : String(shape)} in the state dict, the parameter has ${fmtShape(p.shape)}`,
        );
      }
      if (!Array.isArray(e.values) || e.values.length !== p.size || e.values.some((v) => typeof v !== 'number')) {
        fail(`loadStateDict: '${n}' needs ${p.size} numbers in 'values'`);
      }
    }
    for (const [n, p] of named) p.assign(fromData(p.shape, Float64Array.from(d[n].values)));
    return this;
  }

  /** A one-line-per-layer summary. */
  toString(): string {
    return `${this.kind}('${this.name}')`;
  }

  /** @internal */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** How {@link Linear} draws its initial weights. */
export type Init =
  /** He/Kaiming uniform: U(−√(6/in), √(6/in)), variance 2/in; keeps ReLU activations at a steady scale. The default. */
  | 'he'
  /** Glorot/Xavier uniform: U(−√(6/(in+out)), √(6/(in+out))); for tanh and sigmoid nets. */
  | 'xavier'
  /** 0.01 · N(0, 1), as in CS231n's first networks (too small for deep nets). */
  | 'small';

export interface LinearOptions {
  /** The layer's name (its scope in the graph view and errors). Default `'linear'`. */
  name?: string;
  /** Initialisation of the weight (default `'he'`); the bias starts at zero. */
  init?: Init;
  /** Generator for the initial weights (default: the global one, see `gl.seed`). */
  rng?: Rng;
  /** Shortcut for `rng: gl.rng(seed)`. */
  seed?: number;
  /** Whether the layer has a bias (default true). */
  bias?: boolean;
}

/**
 * The fully connected (FC) layer: y = xW + b, with W of shape [in, out] and b
 * of shape [out], so a batch x of shape [N, in] gives [N, out].
 * Parameters: `weight` and `bias`, named `<layer>.weight` in the graph view.
 */
export class Linear extends Module {
  /** W, shape [in, out]. */
  readonly weight: Tensor;
  /** b, shape [out] (null with `bias: false`). */
  readonly bias: Tensor | null;
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super(opts.name ?? 'linear');
    for (const [what, n] of [
      ['inFeatures', inFeatures],
      ['outFeatures', outFeatures],
    ] as const) {
      if (!Number.isInteger(n) || n <= 0) fail(`Linear '${this.name}': ${what} must be a positive integer, got ${String(n)}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const g = opts.rng ?? (opts.seed !== undefined ? new Rng(opts.seed) : defaultRng());
    const init = opts.init ?? 'he';
    const w = new Float64Array(inFeatures * outFeatures);
    if (init === 'small') {
      for (let i = 0; i < w.length; i++) w[i] = 0.01 * g.normal();
    } else if (init === 'he' || init === 'xavier') {
      const bound = Math.sqrt(6 / (init === 'he' ? inFeatures : inFeatures + outFeatures));
      for (let i = 0; i < w.length; i++) w[i] = (2 * g.uniform() - 1) * bound;
    } else {
      fail(`Linear '${this.name}': init must be 'he', 'xavier' or 'small', got ${String(init)}`);
    }
    this.weight = fromData([inFeatures, outFeatures], w);
    this.weight.requiresGrad = true;
    this.weight.name = `${this.name}.weight`;
    if (opts.bias === false) {
      this.bias = null;
    } else {
      this.bias = fromData([outFeatures], new Float64Array(outFeatures));
      this.bias.requiresGrad = true;
      this.bias.name = `${this.name}.bias`;
    }
  }

  protected override ownParameters(): [string, Tensor][] {
    return this.bias
      ? [
          ['weight', this.weight],
          ['bias', this.bias],
        ]
      : [['weight', this.weight]];
  }

  protected run(x: Tensor): Tensor {
    if (x.ndim === 0 || x.ndim > 2) {
      fail(
        `Linear '${this.name}' expects a batch [N, ${this.inFeatures}] or one example [${this.inFeatures}], got ${x.ndim === 0 ? 'a 0-d tensor' : `a ${x.ndim}-d tensor`} of shape ${fmtShape(x.shape)}`,
      );
    }
    const width = x.shape[x.ndim - 1];
    if (width !== this.inFeatures) {
      fail(`Linear '${this.name}' expects inputs of width ${this.inFeatures}, got ${x.ndim === 0 ? 'a 0-d tensor' : width} (input shape ${fmtShape(x.shape)})`);
    }
    const y = matmul(x, this.weight);
    return this.bias ? add(y, this.bias) : y;
  }

  override toString(): string {
    return `Linear('${this.name}', ${this.inFeatures} → ${this.outFeatures}${this.bias ? '' : ', no bias'})`;
  }
}

/** An elementwise activation layer (no parameters). */
abstract class Activation extends Module {
  constructor(
    name: string,
    private readonly f: (x: Tensor) => Tensor,
  ) {
    super(name);
  }
  protected run(x: Tensor): Tensor {
    return this.f(x);
  }
}

/** max(0, x) elementwise. NOTE: its gradient at 0 is taken as 0. */
export class ReLU extends Activation {
  constructor(opts: { name?: string } = {}) {
    super(opts.name ?? 'relu', relu);
  }
}

/** σ(x) = 1 / (1 + e⁻ˣ) elementwise. */
export class Sigmoid extends Activation {
  constructor(opts: { name?: string } = {}) {
    super(opts.name ?? 'sigmoid', sigmoid);
  }
}

/** tanh(x) elementwise. */
export class Tanh extends Activation {
  constructor(opts: { name?: string } = {}) {
    super(opts.name ?? 'tanh', tanh);
  }
}

/**
 * Layers applied in order. Parameters are named by position, as in PyTorch:
 * `0.weight`, `0.bias`, `2.weight`, ... A named Sequential adds its name as
 * an outer scope (`net/fc1`); unnamed (the default) it adds none.
 */
export class Sequential extends Module {
  readonly layers: Module[];
  private readonly scoped: boolean;

  constructor(layers: Module[], opts: { name?: string } = {}) {
    super(opts.name ?? 'sequential');
    if (!Array.isArray(layers)) fail('Sequential: expects an array of layers');
    layers.forEach((l, i) => {
      if (!(l instanceof Module)) fail(`Sequential: entry ${i} is not a layer (got ${l === null ? 'null' : typeof l})`);
    });
    this.layers = layers;
    this.scoped = opts.name !== undefined;
  }

  override children(): [string, Module][] {
    return this.layers.map((l, i) => [String(i), l]);
  }

  override forward(x: Tensor): Tensor {
    return this.scoped ? super.forward(x) : this.run(x);
  }

  protected run(x: Tensor): Tensor {
    let h = x;
    for (const l of this.layers) h = l.forward(h);
    return h;
  }

  override toString(): string {
    return `Sequential(\n${this.layers.map((l, i) => `  (${i}) ${l.toString()}`).join('\n')}\n)`;
  }
}

/** The activations {@link mlp} knows by name. */
export type ActivationName = 'relu' | 'sigmoid' | 'tanh';

export interface MlpOptions {
  /** Between the Linear layers (not after the last). Default `'relu'`. */
  activation?: ActivationName;
  /** Seed of the initial weights (default: the global generator, see `gl.seed`). */
  seed?: number;
  /** Weight initialisation (default: `'he'` for relu, `'xavier'` for sigmoid and tanh). */
  init?: Init;
  /** Name of the whole network as an outer scope (default: none). */
  name?: string;
}

/**
 * A multilayer perceptron: `mlp([2, 100, 3])` is Linear(2→100) 'fc1', ReLU
 * 'relu1', Linear(100→3) 'fc2' — the output is the class scores (no softmax).
 * Parameters are named `0.weight`, `0.bias`, `2.weight`, `2.bias`.
 */
export function mlp(sizes: number[], opts: MlpOptions = {}): Sequential {
  if (!Array.isArray(sizes) || sizes.length < 2) fail(`mlp: give at least [inputs, outputs], got ${describeValue(sizes)}`);
  sizes.forEach((n, i) => {
    if (!Number.isInteger(n) || n <= 0) fail(`mlp: every size must be a positive integer; sizes[${i}] is ${describeValue(n)} (in ${JSON.stringify(sizes)})`);
  });
  const act = opts.activation ?? 'relu';
  const make = { relu: ReLU, sigmoid: Sigmoid, tanh: Tanh }[act];
  if (!make) fail(`mlp: activation must be 'relu', 'sigmoid' or 'tanh', got ${String(act)}`);
  const rng = opts.seed !== undefined ? new Rng(opts.seed) : defaultRng();
  const init = opts.init ?? (act === 'relu' ? 'he' : 'xavier');
  const layers: Module[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new Linear(sizes[i], sizes[i + 1], { name: `fc${i + 1}`, rng, init }));
    if (i + 2 < sizes.length) layers.push(new make({ name: `${act}${i + 1}` }));
  }
  return new Sequential(layers, opts.name !== undefined ? { name: opts.name } : {});
}
