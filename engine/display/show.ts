/**
 * `gl.show(x)` and the live loss curve: payload + static fallback in one
 * bundle, sent to the running tslab kernel (found by kernel.ts, never passed
 * in by the user). Outside a kernel the same calls print a text form.
 */
import { fail } from '../errors';
import { GradCheckReport } from '../ad/gradcheck';
import { Tensor } from '../tensor';
import { Expr } from '../symbolic';
import { trace, type Trace } from '../trace';
import { MAX_PAYLOAD_BYTES, MIME, type GradlabPayload, type LossCurvePayload, type LossSeries } from './contract';
import { kernelDisplay, newDisplayId, type DisplayBundle } from './kernel';
import { LiveDisplay, LIVE_MIN_INTERVAL } from './live';
import { JacobianChain, gradCheckPayload, graphPayload, measuredBytes, num } from './payloads';
import { ConfusionMatrix, DecisionBoundary, ImageGrid } from './pictures';
import { Plot } from './plot';
import { plotSvg, plotText } from './figures/plot';
import { FourWays } from './four-ways';
import { fourWaysHtml, fourWaysText } from './figures/four-ways';
import { confusionMatrixHtml, confusionMatrixText, decisionBoundarySvg, decisionBoundaryText, imageGridSvg, imageGridText } from './figures/pictures';
import {
  graphSvg,
  graphText,
  gradCheckHtml,
  gradCheckText,
  jacobianChainHtml,
  jacobianChainText,
  lossCurveSvg,
  lossCurveText,
  CURVE_LIVE_POINTS,
  CURVE_MAX_POINTS,
} from './figures/index';

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
 * with `await curve.close()`.
 *
 * Without `close()` the curve still ends right: when its cell ends (normally,
 * with an exception, or by the stop button) every point pushed is sent before
 * the kernel reports the cell finished, and the curve reads `done`,
 * `stopped: the cell failed at step N` or `stopped: interrupted at step N`.
 * After the stop button, `push()` throws, which stops a loop the interrupt
 * left running in the background. A `push()` from a later cell goes on with
 * the same curve: it is drawn again in that cell (the earlier drawing updates
 * too) and is live until that cell ends. A headless run (nbconvert, nbclient)
 * sees all of this too, except updates sent by code still running after its
 * cell ended.
 *
 * While live, every update carries the kernel's clock and the longest gap to
 * expect before the next one (at least a minute, more for slow steps: see
 * `LiveDisplay.staleAfter`), so a curve whose kernel was restarted reads
 * "not finished" instead of "training…" forever.
 *
 * Extra series go on the right axis when their name contains "acc" (accuracy,
 * `validation accuracy`), on the left one otherwise (`validation loss`); the
 * `axes` option overrides that. Every point is kept in the payload; the view
 * draws a min/max downsample of long series, and has smoothing and log-scale
 * toggles (initial state: the `smoothing` and `logY` options).
 */
export class LossCurve {
  private readonly opts: LossCurveOptions;
  private readonly series = new Map<string, LossSeries & { x: number[]; yv: number[] }>();
  private readonly main: string;
  private readonly live: LiveDisplay;
  /**
   * `live`; `ended` by its cell's end (a later push goes on); `interrupted` by
   * the stop button (a later push throws); `closed` by `close()`.
   */
  private state: 'live' | 'ended' | 'interrupted' | 'closed' = 'live';
  private stopped: string | undefined;

  /** @internal use gl.lossCurve() */
  constructor(opts: LossCurveOptions = {}) {
    const w = opts.smoothing;
    if (w !== undefined && !(typeof w === 'number' && w >= 0 && w < 1))
      fail(`lossCurve: smoothing must be a number in [0, 1) (an EMA weight, 0.9 is typical), got ${String(w)}`);
    const mi = opts.minInterval;
    if (mi !== undefined && !(typeof mi === 'number' && mi >= 0)) fail(`lossCurve: minInterval must be a number of ms ≥ 0, got ${String(mi)}`);
    this.opts = opts;
    this.main = opts.name ?? 'loss';
    this.line(this.main, 'y');
    this.live = new LiveDisplay(
      { bundle: (live) => bundleOf(this.payloadWith(live)), cellEnded: (outcome) => this.cellEnded(outcome) },
      mi ?? LIVE_MIN_INTERVAL,
    );
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
   * the loop runs. Throws after `close()`, and after the stop button
   * interrupted the curve's cell.
   */
  push(point: LossPoint): Promise<void>;
  push(step: number, loss: number | Tensor, extra?: Record<string, number | Tensor>): Promise<void>;
  push(stepOrPoint: number | LossPoint, lossArg?: number | Tensor, extraArg: Record<string, number | Tensor> = {}): Promise<void> {
    if (this.state === 'closed') fail('lossCurve: push() after close()');
    if (this.state === 'interrupted') {
      fail(
        `lossCurve.push: this curve's cell was ${this.stopped} (the stop button), so the loop feeding it stops here; ` +
          'to train on, draw a new curve with gl.lossCurve()',
      );
    }
    let step: unknown = stepOrPoint;
    let loss: unknown = lossArg;
    let extra = extraArg;
    if (typeof stepOrPoint === 'object' && stepOrPoint !== null && !(stepOrPoint instanceof Tensor)) {
      const { step: s, loss: l, ...rest } = stepOrPoint;
      if (l === undefined) fail("lossCurve.push({step, loss, ...}): the point has no 'loss'");
      step = s;
      loss = l;
      extra = rest;
    }
    const v = (x: number | Tensor, what: string) => {
      const n = x instanceof Tensor ? x.item() : x;
      if (typeof n !== 'number') fail(`lossCurve.push: ${what} must be a number or a one-element tensor`);
      return n;
    };
    if (typeof step !== 'number' || !Number.isFinite(step)) fail(`lossCurve.push: step must be a finite number, got ${String(step)}`);
    const at = step;
    const values: [string, number][] = [[this.main, v(loss as number | Tensor, this.main)]];
    for (const [k, x] of Object.entries(extra)) values.push([k, v(x, k)]);
    for (const [name, y] of values) {
      const axis = name === this.main ? 'y' : (this.opts.axes?.[name] ?? (/acc/i.test(name) ? 'y2' : 'y'));
      const s = this.line(name, axis);
      s.x.push(at);
      s.yv.push(y);
    }
    if (this.state === 'ended') {
      this.state = 'live';
      this.stopped = undefined;
      this.live.reopen();
    }
    // Throttled (see live.ts): at most one update per minInterval, and never more than ~5% of the time
    // spent sending (the page drawing the update competes for the same CPU on a small machine); a
    // held-back point goes out within the interval, or at the end of the cell.
    return this.live.changed();
  }

  /** The curve's payload now. */
  payload(): LossCurvePayload {
    return this.payloadWith(this.state === 'live' ? { updatedAt: Date.now(), staleAfter: this.live.staleAfter } : null);
  }

  private payloadWith(live: { updatedAt: number; staleAfter: number } | null): LossCurvePayload {
    const p: LossCurvePayload = {
      version: 1,
      kind: 'loss-curve',
      xLabel: this.opts.xLabel ?? 'step',
      yLabel: this.opts.yLabel ?? 'loss',
      series: [...this.series.values()].map((s) => ({ name: s.name, axis: s.axis, x: s.x, y: s.yv.map(num) })),
      done: this.state !== 'live',
    };
    if ([...this.series.values()].some((s) => s.axis === 'y2')) p.y2Label = this.opts.y2Label ?? 'accuracy';
    if (this.opts.title) p.title = this.opts.title;
    if (this.stopped) p.stopped = this.stopped;
    if (this.opts.logY) p.logY = true;
    if (this.opts.smoothing) p.smoothing = this.opts.smoothing;
    if (live && this.state === 'live') {
      p.updatedAt = live.updatedAt;
      p.staleAfter = live.staleAfter;
    }
    return p;
  }

  /** Where the main series got to, for a status: `step 57`, or `before the first point`. */
  private where(): string {
    const x = this.series.get(this.main)!.x;
    return x.length ? `at ${this.opts.xLabel ?? 'step'} ${x[x.length - 1]}` : 'before the first point';
  }

  /** Its cell ended without `close()`. */
  private cellEnded(outcome: 'ok' | 'error' | 'interrupted'): void {
    if (this.state !== 'live') return;
    if (outcome === 'interrupted') {
      this.state = 'interrupted';
      this.stopped = `interrupted ${this.where()}`;
    } else {
      this.state = 'ended';
      this.stopped = outcome === 'error' ? `the cell failed ${this.where()}` : undefined;
    }
  }

  /** @internal Draw it in the running cell (gl.lossCurve does). */
  display(): void {
    this.live.show();
  }

  /**
   * Send the final points and mark the curve done (or stopped, with a reason).
   * Await it before the cell ends. Without it the end of the cell does the
   * same (see the class), except in a headless run (nbconvert, nbclient) for
   * points pushed by code still running after its cell ended.
   */
  async close(stopped?: string): Promise<void> {
    if (this.state === 'closed') return;
    const was = this.state;
    const before = this.stopped;
    this.state = 'closed';
    if (stopped) this.stopped = stopped;
    if (!kernelDisplay()) {
      console.log(lossCurveText(this.payload()));
      return;
    }
    // a curve its cell's end already sent (done or stopped) is sent again only if the reason changed
    if (was !== 'live' && this.stopped === before) return;
    this.live.finish();
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
      return {
        data: {
          [MIME.lossCurve]: p,
          'image/svg+xml': lossCurveSvg(p, p.done || p.stopped ? CURVE_MAX_POINTS : CURVE_LIVE_POINTS),
          'text/plain': lossCurveText(p),
        },
      };
    case 'decision-boundary':
      return { data: { [MIME.decisionBoundary]: p, 'image/svg+xml': decisionBoundarySvg(p), 'text/plain': decisionBoundaryText(p) } };
    case 'confusion-matrix':
      return { data: { [MIME.confusionMatrix]: p, 'text/html': confusionMatrixHtml(p), 'text/plain': confusionMatrixText(p) } };
    case 'image-grid':
      return { data: { [MIME.imageGrid]: p, 'image/svg+xml': imageGridSvg(p), 'text/plain': imageGridText(p) } };
    case 'plot':
      return { data: { [MIME.plot]: p, 'image/svg+xml': plotSvg(p), 'text/plain': plotText(p) } };
    case 'four-ways':
      return { data: { [MIME.fourWays]: p, 'text/html': fourWaysHtml(p), 'text/plain': fourWaysText(p) } };
  }
}

/** What gl.show accepts. */
export type Showable = Tensor | Trace | GradCheckReport | JacobianChain | LossCurve | DecisionBoundary | ConfusionMatrix | ImageGrid | FourWays | Plot;

/** The payload gl.show would send for `x`. */
export function payloadOf(x: Showable, opts: { title?: string } = {}): GradlabPayload {
  if (x instanceof Tensor) return graphPayload(trace(x), opts);
  if (x instanceof GradCheckReport) return gradCheckPayload(x, opts);
  if (x instanceof JacobianChain) return opts.title ? { ...x.payload, title: opts.title } : x.payload;
  if (x instanceof LossCurve) return x.payload();
  if (x instanceof DecisionBoundary || x instanceof ConfusionMatrix || x instanceof ImageGrid || x instanceof Plot || x instanceof FourWays) {
    return opts.title ? { ...x.payload, title: opts.title } : x.payload;
  }
  if (x && typeof x === 'object' && Array.isArray(x.nodes)) return graphPayload(x, opts);
  fail(
    `show: cannot draw ${x === null ? 'null' : typeof x === 'object' ? ((x as object).constructor?.name ?? 'this object') : typeof x}; ` +
      'give a Tensor (its graph), a gl.trace(...), a gl.gradCheck(...) report, a gl.jacobianChain(...), a gl.lossCurve(), ' +
      'a gl.decisionBoundary(...), a gl.confusionMatrix(...), a gl.imageGrid(...), a gl.plot(...) or a gl.fourWays(...)',
  );
}

/**
 * Draw `x` in the notebook: a tensor's computational graph (values, and
 * gradients after backward), a gradient-check report, a Jacobian chain, a
 * loss curve, a decision boundary, a confusion matrix, an image grid or a line plot (gl.plot).
 * Outside a notebook, prints a text form.
 */
export function show(x: Showable | Expr, opts: { title?: string } = {}): void {
  let bundle: DisplayBundle;
  if (x instanceof Expr) bundle = exprBundle(x, opts);
  else {
    const p = payloadOf(x, opts);
    bundle = bundleOf(p, measuredBytes(p));
  }
  const k = kernelDisplay();
  if (k) k.send(bundle, newDisplayId());
  else console.log(bundle.data['text/plain']);
}

/** Most characters of LaTeX sent for typesetting (MathJax slows down on long formulas); longer: a note and the text form. */
const LATEX_BUDGET = 6000;

/**
 * @internal A symbolic expression as typeset math (`text/latex`, which JupyterLab renders) and text: `f(x1, …) = …`,
 * `∂f/∂x1 = …` on the left when the expression knows what it is.
 */
export function exprBundle(e: Expr, opts: { title?: string }): DisplayBundle {
  const lhs = e.label;
  const body = e.toLatex(LATEX_BUDGET);
  const title = opts.title ? `\\text{${opts.title.replace(/[\\{}$&#^_%~]/g, ' ')}}\\quad ` : '';
  const latex = `$$${title}${lhs ? `${lhs.latex} = ` : ''}${body}$$`;
  const text = `${opts.title ? `${opts.title}: ` : ''}${lhs ? `${lhs.text} = ` : ''}${e.toString()}`;
  return { data: { 'text/latex': latex, 'text/plain': text } };
}

/** A live loss curve, drawn in the cell now and updated as points are pushed. See {@link LossCurve}. */
export function lossCurve(opts: LossCurveOptions = {}): LossCurve {
  const c = new LossCurve(opts);
  c.display();
  return c;
}
