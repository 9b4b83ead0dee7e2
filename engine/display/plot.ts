/**
 * `gl.plot`: a static line plot of a few series — a function and its
 * derivatives over an interval, errors against a step on log-log axes. It
 * returns a {@link Plot} that `gl.show` draws (a JupyterLab view, with a
 * static SVG fallback) and that prints as text, like `gl.decisionBoundary`.
 */
import { fail, fmtShape } from '../errors';
import { Tensor, valuesOf } from '../tensor';
import { PLOT_MAX_POINTS, PLOT_MAX_SERIES, PLOT_MAX_TOTAL_POINTS, type PlotPayload, type PlotSeries } from './contract';
import { num } from './payloads';
import { plotText } from './figures/plot';

/** Numbers to plot: an array (of numbers or one-element Tensors), a typed array, or a 0-d / 1-d Tensor. */
export type PlotValues = ArrayLike<number | Tensor> | Tensor;

/**
 * The x values of a series: given ones, or `{from, to, n}` — `n` points from
 * `from` to `to` (default 200), evenly spaced, or evenly spaced in log10 when
 * `log` is true or the plot has `logX` (for a step h from 1e-12 to 1e-1).
 */
export type PlotX = PlotValues | { from: number; to: number; n?: number; log?: boolean };

/** A function of x to sample: it gets a number; a Tensor it returns must hold one value. */
export type PlotFunction = (x: number) => number | Tensor;

/** One series in full: its y values (or a function of x), its own x (else the plot's `x`), how to draw it. */
export interface PlotSeriesSpec {
  name?: string;
  x?: PlotX;
  y: PlotValues | PlotFunction;
  /** `lines` (default; with markers for 30 points or fewer), `markers`, or `lines+markers`. */
  mode?: 'lines' | 'markers' | 'lines+markers';
  /** A dashed line (a reference, a slope guide). */
  dash?: boolean;
}

/** The series of a plot: by name (`{sin: Math.sin, "sin′": Math.cos}`), or a list of full specs. */
export type PlotSeriesInput = Record<string, PlotValues | PlotFunction | Omit<PlotSeriesSpec, 'name'>> | PlotSeriesSpec[];

/** Options of {@link plot}. */
export interface PlotOptions {
  /** The x values every series shares unless it has its own (default: 0, 1, 2, … for values, required for functions). */
  x?: PlotX;
  title?: string;
  /** Axis labels (default `x` and `y`). */
  xLabel?: string;
  yLabel?: string;
  /** Log scale on x / y: values ≤ 0 are left out, and the figure says how many. */
  logX?: boolean;
  logY?: boolean;
}

const inspect = Symbol.for('nodejs.util.inspect.custom');

/** Points of `{from, to}` without `n`. */
const DEFAULT_SAMPLES = 200;

/**
 * A line plot, made by {@link plot}: `gl.show(p)` draws it; as the last
 * expression of a cell (or printed) it reads as text.
 */
export class Plot {
  /** The payload gl.show sends. */
  readonly payload: PlotPayload;

  /** @internal use gl.plot() */
  constructor(payload: PlotPayload) {
    this.payload = payload;
  }

  /** Each series' points, x range and y range, and what the figure leaves out. */
  toString(): string {
    return plotText(this.payload);
  }

  /** @internal */
  [inspect](): string {
    return this.toString();
  }
}

/**
 * A line plot of a few series, each a function of x sampled on the plot's x
 * or its own values. `gl.show` draws it (zoom, hover values, a legend).
 *
 * ```ts
 * // a function and its derivative over an interval
 * gl.show(gl.plot({ sin: Math.sin, "sin′ = cos": Math.cos }, { x: { from: -Math.PI, to: Math.PI }, title: "sin and its derivative" }));
 * // errors against the step, on log-log axes
 * gl.show(gl.plot({ forward: fwdErrors, central: ctrErrors }, { x: hs, logX: true, logY: true, xLabel: "h", yLabel: "error" }));
 * ```
 *
 * A function gets each x as a number (for a function of tensors, write
 * `x => f(gl.scalar(x))`); NaN and ±Infinity it returns are drawn as gaps. At
 * most 20 series of 10,000 points each, 50,000 in all; bad input throws a message naming the
 * series and what is wrong with it.
 */
export function plot(series: PlotSeriesInput, opts: PlotOptions = {}): Plot {
  if (opts === null || typeof opts !== 'object') fail(`plot: the options must be an object ({x, title, xLabel, yLabel, logX, logY}), got ${describe(opts)}`);
  const specs = seriesSpecs(series);
  if (specs.length === 0) fail('plot: no series to draw; give {name: values or function, …} or [{name, x, y}, …]');
  if (specs.length > PLOT_MAX_SERIES) fail(`plot: ${specs.length} series, at most ${PLOT_MAX_SERIES}; draw them in several plots`);
  const logX = opts.logX === true;
  const logY = opts.logY === true;
  const shared = opts.x === undefined ? null : readX(opts.x, 'the plot', logX);
  // NOTE: not under noGrad: a series may be a derivative computed with AD (gl.grad), which needs its graph recorded
  const out = specs.map((s, k) => buildSeries(s, k, shared, logX));
  const total = out.reduce((t, s) => t + s.x.length, 0);
  if (total > PLOT_MAX_TOTAL_POINTS) {
    fail(
      `plot: ${total} points in all (${out.map((s) => `'${s.name}' ${s.x.length}`).join(', ')}), at most ${PLOT_MAX_TOTAL_POINTS}; sample fewer points (n in {from, to, n})`,
    );
  }
  const p: PlotPayload = { version: 1, kind: 'plot', xLabel: opts.xLabel ?? 'x', yLabel: opts.yLabel ?? 'y', logX, logY, series: out };
  if (opts.title) p.title = opts.title;
  return new Plot(p);
}

/** The series as a list of specs, from either form of input. */
function seriesSpecs(series: PlotSeriesInput): PlotSeriesSpec[] {
  if (Array.isArray(series)) {
    return series.map((s, k) => {
      if (s === null || typeof s !== 'object' || s instanceof Tensor || !('y' in s)) fail(`plot: series ${k + 1} must be {name, x?, y}, got ${describe(s)}`);
      return s;
    });
  }
  if (series === null || typeof series !== 'object' || series instanceof Tensor) {
    fail(`plot: the series must be {name: values or function, …} or [{name, x, y}, …], got ${describe(series)}`);
  }
  return Object.entries(series).map(([name, v]) => (isSpec(v) ? { ...v, name } : { name, y: v }));
}

/** A series given in full (`{x?, y, mode?, dash?}`) rather than as its values or its function. */
function isSpec(v: PlotValues | PlotFunction | Omit<PlotSeriesSpec, 'name'>): v is Omit<PlotSeriesSpec, 'name'> {
  return typeof v === 'object' && v !== null && !(v instanceof Tensor) && 'y' in v;
}

/** One series of the payload: its x, its y (sampled when a function), checked. */
function buildSeries(s: PlotSeriesSpec, k: number, shared: number[] | null, logX: boolean): PlotSeries {
  const what = `series '${s.name ?? `series ${k + 1}`}'`;
  const own = s.x === undefined ? null : readX(s.x, what, logX);
  let x = own ?? shared;
  let y: number[];
  if (typeof s.y === 'function') {
    if (!x) fail(`plot: ${what} is a function: give the x to sample it on (the plot's x or the series' own: an array or {from, to, n})`);
    const f = s.y;
    y = x.map((xi) => sample(f, xi, what));
  } else {
    y = readValues(s.y, `${what}: y`);
    x ??= y.map((_, i) => i);
    if (x.length !== y.length) {
      fail(`plot: ${what} has ${x.length} x values (${own ? 'its own x' : "the plot's x"}) but ${y.length} y values; they must pair up`);
    }
  }
  if (x.length > PLOT_MAX_POINTS) fail(`plot: ${what} has ${x.length} points, at most ${PLOT_MAX_POINTS}; sample fewer (n in {from, to, n})`);
  if (s.mode !== undefined && !['lines', 'markers', 'lines+markers'].includes(s.mode)) {
    fail(`plot: ${what}: mode must be 'lines', 'markers' or 'lines+markers', got ${describe(s.mode)}`);
  }
  const out: PlotSeries = { name: s.name ?? `series ${k + 1}`, x: x.map(num), y: y.map(num) };
  if (s.mode) out.mode = s.mode;
  if (s.dash) out.dash = true;
  return out;
}

/** A function's value at `x` as a number. */
function sample(f: PlotFunction, x: number, what: string): number {
  const v = f(x);
  if (typeof v === 'number') return v;
  if (v instanceof Tensor && v.size === 1) return valuesOf(v)[0];
  if (v instanceof Tensor) fail(`plot: ${what}: the function returned a Tensor of shape ${fmtShape(v.shape)} at x = ${x}; it must return one number`);
  return fail(`plot: ${what}: the function returned ${describe(v)} at x = ${x}; it must return a number or a one-element Tensor`);
}

/** Numbers from an array, a typed array or a 0-d / 1-d Tensor. */
function readValues(v: unknown, what: string): number[] {
  if (v instanceof Tensor) {
    if (v.ndim > 1) fail(`plot: ${what} must be a 0-d or 1-d Tensor (or an array); got shape ${fmtShape(v.shape)}`);
    return Array.from(valuesOf(v));
  }
  if (v === null || typeof v !== 'object' || typeof (v as ArrayLike<unknown>).length !== 'number') {
    fail(`plot: ${what} must be an array of numbers, a 1-d Tensor or a function of x; got ${describe(v)}`);
  }
  const a = v as ArrayLike<unknown>;
  const out = new Array<number>(a.length);
  for (let i = 0; i < a.length; i++) {
    const e = a[i] instanceof Tensor && (a[i] as Tensor).size === 1 ? valuesOf(a[i] as Tensor)[0] : a[i];
    if (typeof e !== 'number') fail(`plot: ${what}[${i}] must be a number (or a one-element Tensor), got ${describe(e)}`);
    out[i] = e;
  }
  return out;
}

/** The x values of `x`: given, or sampled from `{from, to, n, log}` (in log10 when `log` or the plot is `logX`). */
function readX(x: PlotX, what: string, logX: boolean): number[] {
  if (x === null || typeof x !== 'object' || x instanceof Tensor || 'length' in x) return readValues(x, `${what}: x`);
  const { from, to, n = DEFAULT_SAMPLES, log = logX } = x;
  const where = `plot: ${what}: x = {from: ${String(from)}, to: ${String(to)}, n: ${String(n)}}`;
  if (typeof from !== 'number' || typeof to !== 'number' || !Number.isFinite(from) || !Number.isFinite(to) || !(from < to)) {
    fail(`${where}: from and to must be finite numbers with from < to`);
  }
  if (!Number.isInteger(n) || n < 2 || n > PLOT_MAX_POINTS) fail(`${where}: n must be a whole number from 2 to ${PLOT_MAX_POINTS}`);
  if (log && !(from > 0)) fail(`${where}: a log-spaced x needs from > 0 (like h from 1e-12 to 1e-1)`);
  const [a, b] = log ? [Math.log10(from), Math.log10(to)] : [from, to];
  return Array.from({ length: n }, (_, i) => {
    const t = i === n - 1 ? b : a + ((b - a) * i) / (n - 1);
    return log ? 10 ** t : t;
  });
}

/** A value as a message names it. */
function describe(v: unknown): string {
  if (v instanceof Tensor) return `a Tensor of shape ${fmtShape(v.shape)}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 39) + '…' : v)}`;
  if (v === null || v === undefined || typeof v !== 'object') return String(v);
  return Array.isArray(v) ? `an array of ${v.length}` : (v.constructor?.name ?? 'an object');
}
