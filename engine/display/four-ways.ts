/**
 * The four-ways figure's object in the kernel: one function at one point, its
 * gradient computed four ways (manual, symbolic, numerical, AD forward and
 * reverse mode). `gl.show` draws it (a JupyterLab view, with an HTML table as
 * the static fallback); it prints as a text table.
 */
import { fail } from '../errors';
import type { Tensor } from '../tensor';
import type { Expr } from '../symbolic';
import { compareWays, type CompareOptions } from '../symbolic/compare';
import { FOUR_WAYS_MAX_INPUTS, FOUR_WAYS_MAX_NOTES, FOUR_WAYS_MAX_TEXT, type FourWaysId, type FourWaysPayload, type FourWaysWay } from './contract';
import { fourWaysText, shortenExpression } from './figures/four-ways';
import { num } from './payloads';

const inspect = Symbol.for('nodejs.util.inspect.custom');

/** The ways in the order the figure lists them. */
const ORDER: readonly FourWaysId[] = ['manual', 'symbolic', 'numerical', 'forward', 'reverse'];

/** Refuses a payload whose lists do not line up, saying which (the figure would show a wrong table). */
function checkShape(p: FourWaysPayload): void {
  const what = 'FourWays';
  if (!p || typeof p !== 'object' || !Array.isArray(p.inputs) || !Array.isArray(p.ways) || !Array.isArray(p.derivatives)) {
    fail(`${what}: the payload needs inputs, derivatives and ways (arrays)`);
  }
  const n = p.inputs.length;
  if (n > FOUR_WAYS_MAX_INPUTS) fail(`${what}: ${n} inputs; the figure shows at most ${FOUR_WAYS_MAX_INPUTS}`);
  if (p.derivatives.length !== n) fail(`${what}: ${p.derivatives.length} derivatives for ${n} inputs`);
  let last = -1;
  for (const w of p.ways) {
    const at = ORDER.indexOf(w.id);
    if (at < 0) fail(`${what}: unknown way '${String(w.id)}' (ways: ${ORDER.join(', ')})`);
    if (at <= last) fail(`${what}: the ways must come once each, in the order ${ORDER.join(', ')}`);
    last = at;
    if (w.values !== null && w.values.length !== n) fail(`${what}: way '${w.id}' has ${w.values.length} values for ${n} inputs`);
    if ((w.values === null) !== (w.relErrors === null) || (w.relErrors !== null && w.relErrors.length !== n)) {
      fail(`${what}: way '${w.id}' needs one relative error per value (or null for both)`);
    }
  }
}

/**
 * For one function at one point, the gradient by each of the ways, with the
 * relative error of each against the symbolic value and what each cost
 * (evaluations of f, primitive operations, time). `gl.show(fw)` draws it;
 * printing it gives the same table as text.
 */
export class FourWays {
  /** The payload gl.show sends. */
  readonly payload: FourWaysPayload;

  /**
   * The figure of a payload: `gl.fourWays(f, point)` makes one; a hand-made payload (a figure to
   * show without computing it) is checked for lists that line up with the inputs. Public on purpose,
   * unlike the other figures' constructors, which the build leaves out of the types.
   */
  constructor(payload: FourWaysPayload) {
    checkShape(payload);
    this.payload = payload;
  }

  /** The input names, in order. */
  get inputs(): string[] {
    return this.payload.inputs.map((x) => x.name);
  }

  /** The ways computed, in the figure's order. */
  get ways(): FourWaysWay[] {
    return this.payload.ways;
  }

  /** One way's ∂f/∂input per input as numbers (NaN for 'NaN'), or null when that way failed or was not run. */
  gradient(id: FourWaysId): number[] | null {
    const w = this.payload.ways.find((x) => x.id === id);
    if (!w || w.values === null) return null;
    return w.values.map((v) => (typeof v === 'number' ? v : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : NaN));
  }

  /** The figure as a text table. */
  toString(): string {
    return fourWaysText(this.payload);
  }

  /** @internal */
  [inspect](): string {
    return this.toString();
  }
}

/** Room left in a payload's text for the note a cut expression ends with. */
const NOTE_ROOM = 120;

/**
 * The four ways side by side: `gl.show(gl.fourWays(f, [1.5, -0.5, ...], {names, manual}))`.
 * For the scalar function `f` at `point`: your own derivative (`manual`, optional: from the point's
 * values, one number per input), the symbolic derivatives (`gl.symbolic`), central differences
 * (step `h`, default 1e-4), and AD in forward mode (one pass per input) and reverse mode (one
 * backward pass) — their values, relative errors against the symbolic value, and costs.
 */
export function fourWays(f: (...xs: Tensor[]) => Tensor | number, point: readonly number[], opts: CompareOptions & { title?: string } = {}): FourWays {
  const c = compareWays(f, point, opts);
  const text = (e: Expr) => shortenExpression(e.toString(FOUR_WAYS_MAX_TEXT - NOTE_ROOM));
  const nums = (v: number[] | null) => (v ? v.map(num) : null);
  return new FourWays({
    version: 1,
    kind: 'four-ways',
    ...(opts.title ? { title: opts.title } : {}),
    fn: text(c.f),
    inputs: c.names.map((name, i) => ({ name, value: num(c.point[i]) })),
    value: num(c.value),
    derivatives: c.derivatives.map((d) => ({ text: text(d), size: d.size })),
    ways: c.ways.map((w) => ({ ...w, values: nums(w.values), relErrors: nums(w.relErrors), cost: { ...w.cost, ms: num(w.cost.ms) } })),
    notes: c.notes.slice(0, FOUR_WAYS_MAX_NOTES),
  });
}
