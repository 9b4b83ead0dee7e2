/**
 * `gl.show(x)` and the live loss curve: payload + static fallback in one
 * bundle, sent to the running tslab kernel (found by kernel.ts, never passed
 * in by the user). Outside a kernel the same calls print a text form.
 */
import { fail } from '../errors';
import { GradCheckReport } from '../ad/gradcheck';
import { JacobianChain } from '../ad/chain';
import { Tensor } from '../tensor';
import { trace, type Trace } from '../trace';
import {
  MAX_PAYLOAD_BYTES, MIME, type GradlabPayload, type LossCurvePayload, type LossSeries,
} from './contract';
import { kernelDisplay, newDisplayId, type DisplayBundle } from './kernel';
import { gradCheckPayload, graphPayload, measuredBytes, num } from './payloads';
import { ConfusionMatrix, DecisionBoundary, ImageGrid } from './pictures';
import {
  confusionMatrixHtml, confusionMatrixText, decisionBoundarySvg, decisionBoundaryText, imageGridSvg, imageGridText,
} from './pictures-svg';
import {
  graphSvg, graphText, gradCheckHtml, gradCheckText, jacobianChainHtml, jacobianChainText, lossCurveSvg, lossCurveText,
  CURVE_LIVE_POINTS, CURVE_MAX_POINTS,
} from './svg';

/**
 * The MIME bundle of a payload: the payload itself plus a static fallback that
 * draws the same figure. `bytes` is the payload's JSON size when the caller
 * has just measured it (see `measuredBytes`); otherwise it is measured here.
 */
export function bundleOf(p: GradlabPayload, bytes?: number): DisplayBundle {
  const size = bytes ?? Buffer.byteLength(JSON.stringify(p));
  if (size > MAX_PAYLOAD_BYTES) {
    fail(
      `show: the ${p.kind} payload would be ${(size / 1e6).toFixed(1)} MB, over the ${(MAX_PAYLOAD_BYTES / 1e6).toFixed(0)} MB limit; ` +
        'nothing was sent. Show a smaller part (e.g. one layer, or a smaller batch).',
    );
  }
  switch (p.kind) {
    case 'graph':
      return { data: { [MIME.graph]: p, 'image/svg+xml': graphSvg(p), 'text/plain': graphText(p) } };
    case 'gradcheck':
      return { data: { [MIME.gradcheck]: p, 'text/html': gradCheckHtml(p), 'text/plain': gradCheckText(p) } };
    case 'jacobian-chain':
      return { data: { [MIME.jacobianChain]: p, 'text/html': jacobianChainHtml(p), 'text/plain': jacobianChainText(p) } };
    case 'loss-curve':
      // a curve still training gets a lighter static figure with each update; the final one has every point up to 4,000
      return { data: { [MIME.lossCurve]: p, 'image/svg+xml': lossCurveSvg(p, p.done || p.stopped ? CURVE_MAX_POINTS : CURVE_LIVE_POINTS), 'text/plain': lossCurveText(p) } };
    case 'decision-boundary':
      return { data: { [MIME.decisionBoundary]: p, 'image/svg+xml': decisionBoundarySvg(p), 'text/plain': decisionBoundaryText(p) } };
    case 'confusion-matrix':
      return { data: { [MIME.confusionMatrix]: p, 'text/html': confusionMatrixHtml(p), 'text/plain': confusionMatrixText(p) } };
    case 'image-grid':
      return { data: { [MIME.imageGrid]: p, 'image/svg+xml': imageGridSvg(p), 'text/plain': imageGridText(p) } };
  }
}

/** What gl.show accepts. */
export type Showable = Tensor | Trace | GradCheckReport | JacobianChain | LossCurve | DecisionBoundary | ConfusionMatrix | ImageGrid;

/** The payload gl.show would send for `x`. */
export function payloadOf(x: Showable, opts: { title?: string } = {}): GradlabPayload {
  if (x instanceof Tensor) return graphPayload(trace(x), opts);
  if (x instanceof GradCheckReport) return gradCheckPayload(x, opts);
  if (x instanceof JacobianChain) return opts.title ? { ...x.payload, title: opts.title } : x.payload;
  if (x instanceof LossCurve) return x.payload();
  if (x instanceof DecisionBoundary || x instanceof ConfusionMatrix || x instanceof ImageGrid) {
    return opts.title ? { ...x.payload, title: opts.title } : x.payload;
  }
  if (x && typeof x === 'object' && Array.isArray((x as Trace).nodes)) return graphPayload(x as Trace, opts);
  fail(`show: cannot draw ${x === null ? 'null' : typeof x === 'object' ? (x as object).constructor?.name ?? 'this object' : typeof x}; ` +
    'give a Tensor (its graph), a gl.trace(...), a gl.gradCheck(...) report, a gl.jacobianChain(...), a gl.lossCurve(), ' +
    'a gl.decisionBoundary(...), a gl.confusionMatrix(...) or a gl.imageGrid(...)');
}

/**
 * Draw `x` in the notebook: a tensor's computational graph (values, and
 * gradients after backward), a gradient-check report, a Jacobian chain, a
 * loss curve, a decision boundary, a confusion matrix or an image grid.
 * Outside a notebook, prints a text form.
 */
export function show(x: Showable, opts: { title?: string } = {}): void {
  const p = payloadOf(x, opts);
  const bundle = bundleOf(p, measuredBytes(p));
  const k = kernelDisplay();
  if (k) k.send(bundle, newDisplayId());
  else console.log(bundle.data['text/plain']);
}

export interface LossCurveOptions {
  title?: string;
  /** Name of the main series, the one `push(step, value)` feeds (default 'loss'). */
  name?: string;
  /** Label of the x axis (default 'step'). */
  xLabel?: string;
  /** Label of the left axis (default 'loss'). */
  yLabel?: string;
  /** Label of the right axis, for extra series such as accuracy (default 'accuracy'). */
  y2Label?: string;
  /** Axis of each extra series by name; by default names containing "acc" go right, others left. */
  axes?: Record<string, 'y' | 'y2'>;
  /** Least time between two live updates in ms (default 250). */
  minInterval?: number;
  /** Start with the left (loss) axis on a log scale (default false; the view has a toggle). */
  logY?: boolean;
  /** Start with this EMA smoothing weight in [0, 1) (default 0: none; the view has a slider). */
  smoothing?: number;
}

/** One point in the object form of {@link LossCurve.push}: `step`, `loss`, and any extra series by name. */
export type LossPoint = { step: number; loss: number | Tensor } & Record<string, number | Tensor>;

/**
 * A loss curve that updates in place while a network trains. Feed it with
 * `await curve.push(step, loss, {accuracy})` or `await curve.push({step, loss, accuracy})`
 * (awaiting lets the update reach the notebook while the loop runs) and finish
 * with `await curve.close()`, which sends the final points before the cell ends.
 *
 * Extra series go on the right axis when their name contains "acc" (accuracy,
 * `validation accuracy`), on the left one otherwise (`validation loss`); the
 * `axes` option overrides that. Every point is kept in the payload; the view
 * draws a min/max downsample of long series, and has smoothing and log-scale
 * toggles (initial state: the `smoothing` and `logY` options).
 */
export class LossCurve {
  private readonly id = newDisplayId();
  private readonly opts: LossCurveOptions;
  private readonly series = new Map<string, LossSeries & { x: number[]; yv: number[] }>();
  private readonly main: string;
  private lastSend = 0;
  private sendCost = 0;
  private dirty = false;
  private shown = false;
  private done = false;
  private stopped: string | undefined;

  /** @internal use gl.lossCurve() */
  constructor(opts: LossCurveOptions = {}) {
    const w = opts.smoothing;
    if (w !== undefined && !(typeof w === 'number' && w >= 0 && w < 1)) fail(`lossCurve: smoothing must be a number in [0, 1) (an EMA weight, 0.9 is typical), got ${String(w)}`);
    this.opts = opts;
    this.main = opts.name ?? 'loss';
    this.line(this.main, 'y');
  }

  private line(name: string, axis: 'y' | 'y2') {
    let s = this.series.get(name);
    if (!s) {
      s = { name, axis, x: [], y: [], yv: [] };
      this.series.set(name, s);
    }
    return s;
  }

  /** Number of points of the main series. */
  get length(): number {
    return this.series.get(this.main)!.x.length;
  }

  /** The recorded points of a series (default: the main one, 'loss'). */
  data(name = this.main): { x: number[]; y: number[] } {
    const s = this.series.get(name);
    if (!s) fail(`lossCurve: no series named '${name}'`);
    return { x: s.x.slice(), y: s.yv.slice() };
  }

  /**
   * Add a point: the loss at `step`, and optional extra series (accuracy,
   * validation loss), either as `push(step, loss, {accuracy: 0.9})` or as one
   * object `push({step, loss, accuracy: 0.9})` (`loss` feeds the main series).
   * A series may skip steps (accuracy every epoch, loss every step). Returns a
   * promise: await it in the training loop so updates reach the notebook while
   * the loop runs.
   */
  push(point: LossPoint): Promise<void>;
  push(step: number, loss: number | Tensor, extra?: Record<string, number | Tensor>): Promise<void>;
  push(stepOrPoint: number | LossPoint, lossArg?: number | Tensor, extraArg: Record<string, number | Tensor> = {}): Promise<void> {
    if (this.done) fail('lossCurve: push() after close()');
    let step: unknown = stepOrPoint;
    let loss: unknown = lossArg;
    let extra = extraArg;
    if (typeof stepOrPoint === 'object' && stepOrPoint !== null && !(stepOrPoint instanceof Tensor)) {
      const { step: s, loss: l, ...rest } = stepOrPoint as LossPoint;
      if (l === undefined) fail("lossCurve.push({step, loss, ...}): the point has no 'loss'");
      step = s;
      loss = l;
      extra = rest as Record<string, number | Tensor>;
    }
    const v = (x: number | Tensor, what: string) => {
      const n = x instanceof Tensor ? x.item() : x;
      if (typeof n !== 'number') fail(`lossCurve.push: ${what} must be a number or a one-element tensor`);
      return n;
    };
    if (typeof step !== 'number' || !Number.isFinite(step)) fail(`lossCurve.push: step must be a finite number, got ${String(step)}`);
    const at = step;
    const add = (name: string, y: number) => {
      const axis = name === this.main ? 'y' : this.opts.axes?.[name] ?? (/acc/i.test(name) ? 'y2' : 'y');
      const s = this.line(name, axis);
      s.x.push(at);
      s.yv.push(y);
    };
    add(this.main, v(loss as number | Tensor, this.main));
    for (const [k, x] of Object.entries(extra)) add(k, v(x, k));
    this.dirty = true;
    const now = Date.now();
    // Throttle: at most one update per minInterval, and never more than ~5% of the time spent sending
    // (the page drawing the update competes for the same CPU on a small machine).
    const interval = Math.max(this.opts.minInterval ?? 250, 20 * this.sendCost);
    if (now - this.lastSend >= interval) {
      this.send(true);
      return new Promise((r) => setImmediate(r));
    }
    return Promise.resolve();
  }

  /** The curve's payload now. */
  payload(): LossCurvePayload {
    const p: LossCurvePayload = {
      version: 1,
      kind: 'loss-curve',
      xLabel: this.opts.xLabel ?? 'step',
      yLabel: this.opts.yLabel ?? 'loss',
      series: [...this.series.values()].map((s) => ({ name: s.name, axis: s.axis, x: s.x, y: s.yv.map(num) })),
      done: this.done,
    };
    if ([...this.series.values()].some((s) => s.axis === 'y2')) p.y2Label = this.opts.y2Label ?? 'accuracy';
    if (this.opts.title) p.title = this.opts.title;
    if (this.stopped) p.stopped = this.stopped;
    if (this.opts.logY) p.logY = true;
    if (this.opts.smoothing) p.smoothing = this.opts.smoothing;
    return p;
  }

  /** @internal Draw (first time) or update the display. */
  send(update: boolean): void {
    const k = kernelDisplay();
    this.dirty = false;
    this.lastSend = Date.now();
    if (!k) return;
    const t0 = performance.now();
    k.send(bundleOf(this.payload()), this.id, update && this.shown);
    this.shown = true;
    this.sendCost = performance.now() - t0;
  }

  /**
   * Send the final points and mark the curve done (or stopped, with a reason).
   * Await it before the cell ends: a headless run (nbconvert, nbclient) stops
   * listening when the kernel goes idle.
   */
  async close(stopped?: string): Promise<void> {
    if (this.done) return;
    this.done = true;
    if (stopped) this.stopped = stopped;
    if (!kernelDisplay()) {
      console.log(lossCurveText(this.payload()));
      return;
    }
    this.send(true);
    await new Promise((r) => setImmediate(r));
  }

  toString(): string {
    return lossCurveText(this.payload());
  }

  /** @internal */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** A live loss curve, drawn in the cell now and updated as points are pushed. See {@link LossCurve}. */
export function lossCurve(opts: LossCurveOptions = {}): LossCurve {
  const c = new LossCurve(opts);
  c.send(false);
  return c;
}
