/**
 * Checks a payload against the display contract (engine/display/contract.ts)
 * before any view sees it. Rendered outputs are untrusted data: a notebook
 * from anywhere can carry any JSON under a gradlab MIME type, and the renderer
 * is marked safe. So every field a view reads is checked for its type, every
 * declared size against the array actually present (a grid of `rows × cols`
 * cells must hold that many entries), every reference against what it points
 * to (graph edges, rule references, gradient-check inputs), and sizes against
 * the caps below — all in time proportional to the payload's own size.
 *
 * Problems come in two kinds:
 * - fatal: the payload cannot be drawn as the contract says; the renderer
 *   shows the messages and the bundle's text fallback instead of a view;
 * - notes: the payload is drawn, with something left out or cut, and the
 *   renderer says what (strings over {@link MAX_STRING} characters are cut).
 *
 * Messages name the kind, the field and what is wrong, e.g.
 * "decision-boundary: `cols` × `rows` = 1e18 cells, but `predicted` holds 400 entries".
 *
 * Imports only the contract and the pictures' caps: no DOM, no Node.
 */
import type { BackwardPattern, GradlabPayload } from '../engine/display/contract';
import { PLOT_MAX_POINTS, PLOT_MAX_SERIES, PLOT_MAX_TOTAL_POINTS } from '../engine/display/contract';
import { FOUR_WAYS_MAX_INPUTS, FOUR_WAYS_MAX_NOTES } from '../engine/display/contract';
import { DB_MAX_CELLS, DB_MAX_POINTS, CM_MAX_CLASSES, IG_MAX_IMAGES, IG_MAX_IMAGE_PIXELS, IG_MAX_PIXELS } from '../engine/display/figures/pictures';

/** Payload strings longer than this are cut (with a note) before a view draws them: a name or a title never needs more. */
export const MAX_STRING = 2000;
/** Deepest nesting of arrays and objects accepted. The contract's deepest path (gradcheck → graph → node → inputGrads → summary → values) is 7 levels. */
export const MAX_DEPTH = 32;
/** Fatal problems listed in one message; the rest are counted. */
const MAX_LISTED = 5;
/** Most entries of a gradient check the view lists (the engine sends a few hundred, worst first); the rest are counted, not drawn. */
export const GC_MAX_ENTRIES = 5000;
/** Most inputs of a gradient check listed. */
export const GC_MAX_INPUTS = 1000;
/** Most steps of a Jacobian chain drawn (one block each); a longer chain is refused, since part of a product is a different product. */
export const JC_MAX_STEPS = 1000;
/** Most series of one loss curve (each is a line with a legend entry). */
const LC_MAX_SERIES = 100;
/** Most points of all the series of one loss curve together (the view downsamples what it draws, but reads every point). */
const LC_MAX_POINTS = 2_000_000;
/** Longest shape (number of axes) accepted anywhere. */
const MAX_RANK = 64;

/** What {@link checkPayload} found. */
export interface PayloadCheck {
  /** Why the payload cannot be drawn; empty when it can. */
  fatal: string[];
  /** What the view leaves out or cuts; it draws the rest. */
  notes: string[];
  /** The payload to draw: the input itself, or a copy with long strings cut. */
  payload: unknown;
}

/** A number as a message shows it: integers with thousands separators, huge ones as `1e18`. */
function showNumber(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e12) return String(v).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  if (!Number.isFinite(v)) return String(v);
  return (Math.abs(v) >= 1e12 || (Math.abs(v) < 1e-4 && v !== 0) ? v.toExponential() : String(v)).replace('e+', 'e');
}

/** A value as a message names it: its type, with a short form of the value. */
function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${showNumber(v.length)}`;
  if (typeof v === 'string') {
    const cs = [...v.slice(0, 41)];
    return `the string ${JSON.stringify(cs.length > 40 ? cs.slice(0, 40).join('') + '…' : v)}`;
  }
  if (typeof v === 'number') return showNumber(v);
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'boolean') return String(v);
  return typeof v; // no JSON value is left: a bigint, symbol or function is named by its type
}

const code = (path: string) => '`' + path + '`';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown) => (typeof v === 'number' && Number.isFinite(v)) || v === 'NaN' || v === 'Infinity' || v === '-Infinity';
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** Collects the problems of one payload; every check method returns whether the value passed. */
class Checker {
  readonly fatal: string[] = [];
  readonly notes: string[] = [];
  private unlisted = 0;

  constructor(readonly kind: string) {}

  bad(message: string): false {
    if (this.fatal.length < MAX_LISTED) this.fatal.push(`${this.kind}: ${message}`);
    else this.unlisted++;
    return false;
  }

  note(message: string): void {
    this.notes.push(`${this.kind}: ${message}`);
  }

  finish(): string[] {
    if (this.unlisted) this.fatal.push(`${this.kind}: … and ${showNumber(this.unlisted)} more problem${this.unlisted === 1 ? '' : 's'}`);
    return this.fatal;
  }

  object(v: unknown, path: string): v is Record<string, unknown> {
    return isObject(v) || this.bad(`${code(path)} must be an object, got ${describe(v)}`);
  }

  array(v: unknown, path: string): v is unknown[] {
    return Array.isArray(v) || this.bad(`${code(path)} must be an array, got ${describe(v)}`);
  }

  string(v: unknown, path: string, optional = false): boolean {
    return (optional && v === undefined) || typeof v === 'string' || this.bad(`${code(path)} must be a string, got ${describe(v)}`);
  }

  boolean(v: unknown, path: string, optional = false): boolean {
    return (optional && v === undefined) || typeof v === 'boolean' || this.bad(`${code(path)} must be true or false, got ${describe(v)}`);
  }

  /** A finite JSON number. */
  number(v: unknown, path: string, optional = false): v is number {
    return (optional && v === undefined) || (typeof v === 'number' && Number.isFinite(v)) || this.bad(`${code(path)} must be a number, got ${describe(v)}`);
  }

  /** A contract `Num`: a number, or 'NaN' / 'Infinity' / '-Infinity'. */
  num(v: unknown, path: string, optional = false): boolean {
    return (optional && v === undefined) || isNum(v) || this.bad(`${code(path)} must be a number (or "NaN", "Infinity", "-Infinity"), got ${describe(v)}`);
  }

  /** An integer ≥ `min`. */
  integer(v: unknown, path: string, min = 0): v is number {
    return (typeof v === 'number' && Number.isInteger(v) && v >= min) || this.bad(`${code(path)} must be a whole number ≥ ${min}, got ${describe(v)}`);
  }

  oneOf(v: unknown, path: string, allowed: readonly string[], optional = false): boolean {
    return (
      (optional && v === undefined) ||
      (typeof v === 'string' && allowed.includes(v)) ||
      this.bad(`${code(path)} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${describe(v)}`)
    );
  }

  /** Every entry passes `test`; only the first failing entry is reported. */
  every(a: unknown[], path: string, test: (v: unknown) => boolean, what: string): boolean {
    for (let i = 0; i < a.length; i++) {
      if (!test(a[i])) return this.bad(`${code(`${path}[${i}]`)} must be ${what}, got ${describe(a[i])}`);
    }
    return true;
  }

  /** A shape: an array of at most {@link MAX_RANK} whole numbers ≥ 0. */
  shape(v: unknown, path: string): v is number[] {
    if (!this.array(v, path)) return false;
    if (v.length > MAX_RANK) return this.bad(`${code(path)} has ${showNumber(v.length)} axes (at most ${MAX_RANK})`);
    return this.every(v, path, isCount, 'a whole number ≥ 0');
  }

  /** Same length as `expected`, else a message naming both. */
  sameLength(a: unknown[], path: string, expected: number, because: string): boolean {
    return a.length === expected || this.bad(`${code(path)} holds ${showNumber(a.length)} entries, but ${because}`);
  }
}

// ---- the generic walk: depth and long strings -------------------------------

interface Walk {
  /** Path of the first place nested deeper than MAX_DEPTH. */
  tooDeep: string | null;
  longStrings: number;
  longest: { path: string; length: number } | null;
}

function walk(v: unknown, path: string, depth: number, w: Walk): void {
  if (w.tooDeep !== null) return;
  if (typeof v === 'string') {
    if (v.length > MAX_STRING) {
      w.longStrings++;
      if (!w.longest || v.length > w.longest.length) w.longest = { path, length: v.length };
    }
    return;
  }
  if (typeof v !== 'object' || v === null) return;
  if (depth >= MAX_DEPTH) {
    w.tooDeep = path;
    return;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length && w.tooDeep === null; i++) walk(v[i], `${path}[${i}]`, depth + 1, w);
  } else {
    for (const k of Object.keys(v)) {
      walk((v as Record<string, unknown>)[k], path ? `${path}.${k}` : k, depth + 1, w);
      if (w.tooDeep !== null) return;
    }
  }
}

/** A copy of `v` with every string over MAX_STRING characters cut (an ellipsis marks the cut). */
function cutStrings(v: unknown): unknown {
  if (typeof v === 'string') return v.length > MAX_STRING ? [...v.slice(0, MAX_STRING)].slice(0, MAX_STRING - 1).join('') + '…' : v;
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(cutStrings);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = cutStrings(x);
  return out;
}

// ---- the kinds ---------------------------------------------------------------

const PATTERNS: readonly BackwardPattern[] = ['distributes', 'routes', 'switches', 'scales', 'matmul', 'sums', 'copies', 'moves', 'custom', 'none'];

function summary(c: Checker, t: unknown, path: string): boolean {
  if (!c.object(t, path)) return false;
  const ok = [
    c.shape(t.shape, `${path}.shape`),
    c.oneOf(t.dtype, `${path}.dtype`, ['float64', 'float32']),
    c.integer(t.size, `${path}.size`),
    c.array(t.values, `${path}.values`) && c.every(t.values, `${path}.values`, isNum, 'a number'),
    c.boolean(t.truncated, `${path}.truncated`),
    c.num(t.min, `${path}.min`),
    c.num(t.max, `${path}.max`),
    c.num(t.mean, `${path}.mean`),
  ].every(Boolean);
  if (!ok) return false;
  const shape = t.shape as number[];
  const size = t.size as number;
  const entries = shape.reduce((a, b) => a * b, 1);
  if (entries !== size) return c.bad(`${code(`${path}.size`)} is ${showNumber(size)}, but shape [${shape.join(', ')}] has ${showNumber(entries)} entries`);
  const n = (t.values as unknown[]).length;
  if (t.truncated === false && n !== size)
    return c.bad(`${code(`${path}.values`)} holds ${showNumber(n)} entries, but the tensor has ${showNumber(size)} and is not marked truncated`);
  if (t.truncated === true && n >= size)
    return c.bad(`${code(`${path}.truncated`)} is true, but ${code(`${path}.values`)} holds all ${showNumber(size)} entries`);
  return true;
}

function backwardRule(c: Checker, r: unknown, path: string): boolean {
  if (!c.object(r, path)) return false;
  let ok = c.oneOf(r.pattern, `${path}.pattern`, PATTERNS) && c.string(r.text, `${path}.text`);
  if (c.array(r.jacobians, `${path}.jacobians`)) {
    r.jacobians.forEach((j, i) => {
      const p = `${path}.jacobians[${i}]`;
      if (!c.object(j, p)) return (ok = false);
      if (!(c.array(j.shape, `${p}.shape`) && j.shape.length === 2 && j.shape.every(isCount)) && Array.isArray(j.shape)) {
        ok = c.bad(`${code(`${p}.shape`)} must be [rows, columns], got [${j.shape.map(describe).join(', ')}]`);
      }
      ok = c.string(j.structure, `${p}.structure`) && ok;
    });
  } else ok = false;
  return ok;
}

function graphNode(c: Checker, n: unknown, i: number, count: number, rules: number | null, missing: string[], prefix: string): void {
  const path = `${prefix}nodes[${i}]`;
  if (!c.object(n, path)) return;
  if (n.id !== i) c.bad(`${code(`${path}.id`)} is ${describe(n.id)}; a node's id is its index in ${code(`${prefix}nodes`)} (${i})`);
  c.oneOf(n.kind, `${path}.kind`, ['leaf', 'const', 'op']);
  c.string(n.op, `${path}.op`);
  if (n.name !== null) c.string(n.name, `${path}.name`);
  if (c.array(n.inputs, `${path}.inputs`)) {
    n.inputs.forEach((j, k) => {
      if (!(typeof j === 'number' && Number.isInteger(j))) c.bad(`${code(`${path}.inputs[${k}]`)} must be a node id, got ${describe(j)}`);
      else if (j < 0 || j >= count) missing.push(`${path}.inputs[${k}] → ${showNumber(j)}`);
      else if (j >= i) c.bad(`${code(`${path}.inputs[${k}]`)} is ${j}: nodes are listed in topological order, so an operand comes before the op that uses it`);
    });
  }
  c.shape(n.shape, `${path}.shape`);
  summary(c, n.value, `${path}.value`);
  if (n.grad !== null) summary(c, n.grad, `${path}.grad`);
  c.boolean(n.requiresGrad, `${path}.requiresGrad`);
  if (c.array(n.scope, `${path}.scope`)) c.every(n.scope, `${path}.scope`, (s) => typeof s === 'string', 'a scope name (a string)');
  if (n.attrs !== undefined && c.object(n.attrs, `${path}.attrs`)) {
    for (const [k, v] of Object.entries(n.attrs)) {
      const ok = ['string', 'number', 'boolean'].includes(typeof v) || (Array.isArray(v) && v.every((e) => typeof e === 'number'));
      if (!ok) c.bad(`${code(`${path}.attrs.${k}`)} must be a string, number, boolean or array of numbers, got ${describe(v)}`);
    }
  }
  if (n.rule !== undefined) backwardRule(c, n.rule, `${path}.rule`);
  if (n.ruleRef !== undefined && c.integer(n.ruleRef, `${path}.ruleRef`)) {
    if (rules === null) c.bad(`${code(`${path}.ruleRef`)} is ${n.ruleRef}, but the payload has no ${code(`${prefix}rules`)}`);
    else if (n.ruleRef >= rules)
      c.bad(`${code(`${path}.ruleRef`)} is ${n.ruleRef}, but ${code(`${prefix}rules`)} has ${showNumber(rules)} entr${rules === 1 ? 'y' : 'ies'}`);
  }
  if (n.inputGrads !== undefined && c.array(n.inputGrads, `${path}.inputGrads`)) {
    if (Array.isArray(n.inputs) && n.inputGrads.length !== n.inputs.length) {
      c.bad(`${code(`${path}.inputGrads`)} holds ${showNumber(n.inputGrads.length)} entries, but the node has ${showNumber(n.inputs.length)} inputs`);
    }
    n.inputGrads.forEach((g, k) => g !== null && summary(c, g, `${path}.inputGrads[${k}]`));
  }
  if (n.check !== undefined && c.object(n.check, `${path}.check`)) {
    c.boolean(n.check.ok, `${path}.check.ok`);
    c.num(n.check.relError, `${path}.check.relError`);
    c.num(n.check.absError, `${path}.check.absError`);
    c.integer(n.check.count, `${path}.check.count`);
  }
}

/** A graph payload's structure; sizes are the graph view's business (it bounds what it draws). */
function checkGraph(c: Checker, p: Record<string, unknown>, prefix = ''): void {
  const at = (f: string) => prefix + f;
  c.string(p.title, at('title'), true);
  let rules: number | null = null;
  if (p.rules !== undefined && c.array(p.rules, at('rules'))) {
    rules = p.rules.length;
    p.rules.forEach((r, i) => backwardRule(c, r, at(`rules[${i}]`)));
  }
  if (p.omitted !== undefined && c.object(p.omitted, at('omitted'))) {
    c.integer(p.omitted.nodes, at('omitted.nodes'));
    c.string(p.omitted.reason, at('omitted.reason'));
  }
  if (p.nodes === undefined) {
    c.bad(`${code(at('nodes'))} is missing: a graph payload lists its nodes`);
    return;
  }
  if (!c.array(p.nodes, at('nodes'))) return;
  const nodes = p.nodes;
  const ids = nodes.length ? `ids 0–${showNumber(nodes.length - 1)}` : 'no ids';
  if (nodes.length === 0) c.bad(`${code(at('nodes'))} is empty: a graph has at least its output node`);
  else if (!(typeof p.output === 'number' && Number.isInteger(p.output) && p.output >= 0 && p.output < nodes.length)) {
    c.bad(`${code(at('output'))} is ${describe(p.output)}, but the graph's nodes have ${ids}`);
  }
  const missing: string[] = [];
  nodes.forEach((n, i) => graphNode(c, n, i, nodes.length, rules, missing, prefix));
  if (missing.length) {
    const listed = missing.slice(0, MAX_LISTED).join(', ') + (missing.length > MAX_LISTED ? `, … ${showNumber(missing.length - MAX_LISTED)} more` : '');
    // Listed first: a graph whose edges dangle is the problem a reader should see before any detail.
    c.fatal.unshift(
      `${c.kind}: ${missing.length === 1 ? 'an edge points' : `${showNumber(missing.length)} edges point`} to nodes that do not exist (${listed}); the graph has ${showNumber(nodes.length)} nodes, ${ids}`,
    );
  }
}

function checkGradCheck(c: Checker, p: Record<string, unknown>): void {
  c.string(p.title, 'title', true);
  c.boolean(p.ok, 'ok');
  c.num(p.maxRelError, 'maxRelError');
  c.number(p.tol, 'tol');
  c.number(p.atol, 'atol');
  c.number(p.h, 'h');
  c.integer(p.totalEntries, 'totalEntries');
  let inputs: unknown[] = [];
  if (c.array(p.inputs, 'inputs')) {
    inputs = p.inputs;
    if (inputs.length > GC_MAX_INPUTS) c.note(`${showNumber(inputs.length)} inputs; the view lists the first ${showNumber(GC_MAX_INPUTS)}`);
    inputs.forEach((x, i) => {
      const path = `inputs[${i}]`;
      if (!c.object(x, path)) return;
      c.string(x.name, `${path}.name`);
      c.shape(x.shape, `${path}.shape`);
      c.boolean(x.ok, `${path}.ok`);
      c.num(x.maxRelError, `${path}.maxRelError`);
      c.integer(x.count, `${path}.count`);
    });
  }
  if (c.array(p.entries, 'entries')) {
    if (p.entries.length > GC_MAX_ENTRIES) c.note(`${showNumber(p.entries.length)} entries; the view lists the first ${showNumber(GC_MAX_ENTRIES)}`);
    p.entries.forEach((e, i) => {
      const path = `entries[${i}]`;
      if (!c.object(e, path)) return;
      if (c.integer(e.input, `${path}.input`) && e.input >= inputs.length) {
        c.bad(
          `${code(`${path}.input`)} is ${showNumber(e.input)}, but there ${inputs.length === 1 ? 'is 1 input' : `are ${showNumber(inputs.length)} inputs`}`,
        );
      }
      if (c.shape(e.index, `${path}.index`) && typeof e.input === 'number') {
        const shape = (inputs[e.input] as { shape?: unknown } | undefined)?.shape;
        if (Array.isArray(shape) && e.index.length !== shape.length) {
          c.bad(`${code(`${path}.index`)} has ${e.index.length} axes, but input ${e.input} has shape [${shape.join(', ')}]`);
        }
      }
      for (const f of ['analytic', 'numerical', 'relError', 'absError']) c.num(e[f], `${path}.${f}`);
      c.boolean(e.ok, `${path}.ok`);
    });
    if (typeof p.totalEntries === 'number' && p.entries.length > p.totalEntries) {
      c.bad(`${code('entries')} holds ${showNumber(p.entries.length)} entries, more than ${code('totalEntries')} = ${showNumber(p.totalEntries)}`);
    }
  }
  const f = p.forward;
  if (c.object(f, 'forward')) {
    if ('skipped' in f) c.string(f.skipped, 'forward.skipped');
    else {
      c.boolean(f.ok, 'forward.ok');
      for (const k of ['jvp', 'numerical', 'vjpDot', 'relError']) c.num(f[k], `forward.${k}`);
    }
  }
  if (p.graph !== undefined && c.object(p.graph, 'graph')) {
    if (p.graph.version !== 1 || p.graph.kind !== 'graph') c.bad(`${code('graph')} must be a graph payload (version 1, kind "graph")`);
    else checkGraph(c, p.graph, 'graph.');
  }
}

function checkChain(c: Checker, p: Record<string, unknown>): void {
  c.string(p.title, 'title', true);
  c.shape(p.inShape, 'inShape');
  c.shape(p.outShape, 'outShape');
  c.number(p.forwardCost, 'forwardCost');
  c.number(p.reverseCost, 'reverseCost');
  c.oneOf(p.winner, 'winner', ['forward', 'reverse', 'tie']);
  if (c.array(p.steps, 'steps')) {
    if (p.steps.length > JC_MAX_STEPS) {
      c.bad(`${code('steps')} holds ${showNumber(p.steps.length)} steps, more than the view draws (at most ${showNumber(JC_MAX_STEPS)})`);
      return;
    }
    p.steps.forEach((s, i) => {
      const path = `steps[${i}]`;
      if (!c.object(s, path)) return;
      c.string(s.op, `${path}.op`);
      c.string(s.label, `${path}.label`);
      c.shape(s.inShape, `${path}.inShape`);
      c.shape(s.outShape, `${path}.outShape`);
      c.integer(s.rows, `${path}.rows`);
      c.integer(s.cols, `${path}.cols`);
      if (s.params !== undefined && c.array(s.params, `${path}.params`)) {
        s.params.forEach((q, k) => {
          const pp = `${path}.params[${k}]`;
          if (!c.object(q, pp)) return;
          c.string(q.name, `${pp}.name`);
          c.shape(q.shape, `${pp}.shape`);
          if (c.shape(q.jacobian, `${pp}.jacobian`) && q.jacobian.length !== 2) c.bad(`${code(`${pp}.jacobian`)} must be [rows, columns]`);
          c.integer(q.nonzero, `${pp}.nonzero`);
          if (c.object(q.backprop, `${pp}.backprop`)) {
            c.string(q.backprop.formula, `${pp}.backprop.formula`);
            c.shape(q.backprop.shape, `${pp}.backprop.shape`);
            c.number(q.backprop.cost, `${pp}.backprop.cost`);
          }
        });
      }
    });
  }
  if (p.orders !== undefined && c.array(p.orders, 'orders')) {
    if (p.orders.length > 3) c.bad(`${code('orders')} holds ${showNumber(p.orders.length)} entries; there are three orders (forward, reverse, optimal)`);
    else {
      p.orders.forEach((o, i) => {
        const path = `orders[${i}]`;
        if (!c.object(o, path)) return;
        c.oneOf(o.name, `${path}.name`, ['forward', 'reverse', 'optimal']);
        c.string(o.order, `${path}.order`);
        c.number(o.cost, `${path}.cost`);
        c.number(o.memory, `${path}.memory`);
      });
    }
  }
}

function checkLossCurve(c: Checker, p: Record<string, unknown>): void {
  c.string(p.title, 'title', true);
  c.string(p.xLabel, 'xLabel');
  c.string(p.yLabel, 'yLabel');
  c.string(p.y2Label, 'y2Label', true);
  c.boolean(p.done, 'done');
  c.string(p.stopped, 'stopped', true);
  c.number(p.updatedAt, 'updatedAt', true);
  if (c.number(p.staleAfter, 'staleAfter', true) && p.staleAfter !== undefined && p.staleAfter < 0)
    c.bad(`${code('staleAfter')} must be ≥ 0, got ${describe(p.staleAfter)}`);
  c.boolean(p.logY, 'logY', true);
  if (c.number(p.smoothing, 'smoothing', true) && p.smoothing !== undefined && !(p.smoothing >= 0 && p.smoothing < 1)) {
    c.bad(`${code('smoothing')} must be in [0, 1), got ${describe(p.smoothing)}`);
  }
  if (!c.array(p.series, 'series')) return;
  if (p.series.length > LC_MAX_SERIES) {
    c.bad(`${code('series')} holds ${showNumber(p.series.length)} lines, more than the view draws (at most ${LC_MAX_SERIES})`);
    return;
  }
  let points = 0;
  p.series.forEach((s, i) => {
    const path = `series[${i}]`;
    if (!c.object(s, path)) return;
    c.string(s.name, `${path}.name`);
    c.oneOf(s.axis, `${path}.axis`, ['y', 'y2']);
    const x = c.array(s.x, `${path}.x`) ? s.x : null;
    const y = c.array(s.y, `${path}.y`) ? s.y : null;
    if (!x || !y) return;
    points += x.length;
    if (points > LC_MAX_POINTS) return;
    if (x.length !== y.length) c.bad(`${code(`${path}.x`)} holds ${showNumber(x.length)} steps, but ${code(`${path}.y`)} holds ${showNumber(y.length)} values`);
    c.every(x, `${path}.x`, (v) => typeof v === 'number' && Number.isFinite(v), 'a number');
    c.every(y, `${path}.y`, isNum, 'a number (or "NaN", "Infinity", "-Infinity")');
  });
  if (points > LC_MAX_POINTS) c.bad(`the series hold ${showNumber(points)} points or more, more than the view reads (at most ${showNumber(LC_MAX_POINTS)})`);
}

/** A line plot: the contract's caps on series and points per series, x and y of equal length, numbers only. */
function checkPlot(c: Checker, p: Record<string, unknown>): void {
  c.string(p.title, 'title', true);
  c.string(p.xLabel, 'xLabel');
  c.string(p.yLabel, 'yLabel');
  c.boolean(p.logX, 'logX');
  c.boolean(p.logY, 'logY');
  if (p.notes !== undefined && c.array(p.notes, 'notes')) c.every(p.notes, 'notes', (v) => typeof v === 'string', 'a string');
  if (!c.array(p.series, 'series')) return;
  if (p.series.length > PLOT_MAX_SERIES) {
    c.bad(`${code('series')} holds ${showNumber(p.series.length)} series, more than the view draws (at most ${PLOT_MAX_SERIES})`);
    return;
  }
  let points = 0;
  p.series.forEach((s, i) => {
    const path = `series[${i}]`;
    if (!c.object(s, path)) return;
    c.string(s.name, `${path}.name`);
    c.oneOf(s.mode, `${path}.mode`, ['lines', 'markers', 'lines+markers'], true);
    c.boolean(s.dash, `${path}.dash`, true);
    const x = c.array(s.x, `${path}.x`) ? s.x : null;
    const y = c.array(s.y, `${path}.y`) ? s.y : null;
    if (!x || !y) return;
    if (Math.max(x.length, y.length) > PLOT_MAX_POINTS) {
      c.bad(
        `${code(path)} holds ${showNumber(Math.max(x.length, y.length))} points, more than the view draws (at most ${showNumber(PLOT_MAX_POINTS)} per series)`,
      );
      return;
    }
    points += x.length;
    if (x.length !== y.length) c.bad(`${code(`${path}.x`)} holds ${showNumber(x.length)} values, but ${code(`${path}.y`)} holds ${showNumber(y.length)}`);
    c.every(x, `${path}.x`, isNum, 'a number (or "NaN", "Infinity", "-Infinity")');
    c.every(y, `${path}.y`, isNum, 'a number (or "NaN", "Infinity", "-Infinity")');
  });
  if (points > PLOT_MAX_TOTAL_POINTS)
    c.bad(`the series hold ${showNumber(points)} points, more than the view draws (at most ${showNumber(PLOT_MAX_TOTAL_POINTS)} in all)`);
}

/** Class names: an array of strings. */
function classList(c: Checker, v: unknown): string[] | null {
  if (!c.array(v, 'classes')) return null;
  return c.every(v, 'classes', (s) => typeof s === 'string', 'a class name (a string)') ? (v as string[]) : null;
}

/** `v` is an array of class indices below `classes` (when known); the first bad entry is reported. */
function classIndices(c: Checker, v: unknown[], path: string, classes: number | null): boolean {
  for (let i = 0; i < v.length; i++) {
    const k = v[i];
    if (!(typeof k === 'number' && Number.isInteger(k) && k >= 0))
      return c.bad(`${code(`${path}[${i}]`)} must be a class index (a whole number ≥ 0), got ${describe(k)}`);
    if (classes !== null && k >= classes)
      return c.bad(`${code(`${path}[${i}]`)} is class ${showNumber(k)}, but ${code('classes')} names ${showNumber(classes)}`);
  }
  return true;
}

function range(c: Checker, v: unknown, path: string): boolean {
  if (!c.array(v, path)) return false;
  if (v.length !== 2 || !v.every((x) => typeof x === 'number' && Number.isFinite(x)))
    return c.bad(`${code(path)} must be [low, high] (two numbers), got [${v.slice(0, 3).map(describe).join(', ')}${v.length > 3 ? ', …' : ''}]`);
  return true;
}

function checkDecisionBoundary(c: Checker, p: Record<string, unknown>): void {
  c.string(p.title, 'title', true);
  c.string(p.xLabel, 'xLabel', true);
  c.string(p.yLabel, 'yLabel', true);
  const classes = classList(c, p.classes);
  const C = classes ? classes.length : null;
  range(c, p.xRange, 'xRange');
  range(c, p.yRange, 'yRange');
  if (c.number(p.accuracy, 'accuracy') && !(p.accuracy >= 0 && p.accuracy <= 1))
    c.bad(`${code('accuracy')} must be a fraction in [0, 1], got ${describe(p.accuracy)}`);
  const sized = c.integer(p.cols, 'cols', 1) && c.integer(p.rows, 'rows', 1);
  const pred = c.array(p.predicted, 'predicted') ? p.predicted : null;
  if (sized && pred) {
    const cells = (p.cols as number) * (p.rows as number);
    if (cells !== pred.length)
      c.bad(`${code('cols')} × ${code('rows')} = ${showNumber(cells)} cells, but ${code('predicted')} holds ${showNumber(pred.length)} entries`);
    else if (cells > DB_MAX_CELLS) c.bad(`${showNumber(cells)} grid cells is more than the view draws (at most ${showNumber(DB_MAX_CELLS)})`);
    else {
      classIndices(c, pred, 'predicted', C);
      if (p.confidence !== undefined && c.array(p.confidence, 'confidence')) {
        if (c.sameLength(p.confidence, 'confidence', cells, `the grid has ${showNumber(cells)} cells`)) {
          c.every(p.confidence, 'confidence', (v) => typeof v === 'number' && v >= 0 && v <= 1, 'a probability in [0, 1]');
        }
      }
    }
  }
  if (!c.object(p.points, 'points')) return;
  const pts = p.points;
  const cols = ['x', 'y', 'label', 'predicted'].map((k) => (c.array(pts[k], `points.${k}`) ? pts[k] : null));
  if (cols.some((a) => a === null)) return;
  const [x, y, label, predicted] = cols as unknown[][];
  const n = x.length;
  if (![y, label, predicted].every((a) => a.length === n)) {
    c.bad(
      `the point arrays differ in length: ${code('points.x')} ${showNumber(n)}, ${code('points.y')} ${showNumber(y.length)}, ${code('points.label')} ${showNumber(label.length)}, ${code('points.predicted')} ${showNumber(predicted.length)}`,
    );
    return;
  }
  c.every(x, 'points.x', (v) => typeof v === 'number' && Number.isFinite(v), 'a number');
  c.every(y, 'points.y', (v) => typeof v === 'number' && Number.isFinite(v), 'a number');
  classIndices(c, label, 'points.label', C);
  classIndices(c, predicted, 'points.predicted', C);
  if (n > DB_MAX_POINTS) c.note(`${showNumber(n)} points; the view draws the first ${showNumber(DB_MAX_POINTS)}`);
}

function checkConfusionMatrix(c: Checker, p: Record<string, unknown>): void {
  c.string(p.title, 'title', true);
  c.integer(p.total, 'total');
  c.num(p.accuracy, 'accuracy');
  const classes = classList(c, p.classes);
  if (!c.array(p.counts, 'counts') || !classes) return;
  const n = classes.length;
  if (n > CM_MAX_CLASSES) {
    c.bad(`${showNumber(n)} classes is more than the view draws (at most ${CM_MAX_CLASSES})`);
    return;
  }
  if (!c.sameLength(p.counts, 'counts', n, `${code('classes')} names ${showNumber(n)} (the matrix is classes × classes)`)) return;
  let sum = 0;
  for (let t = 0; t < n; t++) {
    const row = p.counts[t];
    const path = `counts[${t}]`;
    if (!c.array(row, path)) return;
    if (!c.sameLength(row, path, n, `there are ${showNumber(n)} classes`)) return;
    if (!c.every(row, path, isCount, 'a count (a whole number ≥ 0)')) return;
    for (const v of row as number[]) sum += v;
  }
  if (typeof p.total === 'number' && sum !== p.total) c.bad(`${code('total')} is ${showNumber(p.total)}, but the counts add up to ${showNumber(sum)}`);
}

function checkImageGrid(c: Checker, p: Record<string, unknown>): void {
  c.string(p.title, 'title', true);
  c.oneOf(p.scale, 'scale', ['grey', 'diverging']);
  c.boolean(p.sharedRange, 'sharedRange');
  c.integer(p.columns, 'columns', 1);
  const sized = c.integer(p.height, 'height', 1) && c.integer(p.width, 'width', 1);
  if (!c.array(p.images, 'images')) return;
  const images = p.images;
  if (
    c.array(p.captions, 'captions') &&
    c.sameLength(p.captions, 'captions', images.length, `there ${images.length === 1 ? 'is 1 image' : `are ${showNumber(images.length)} images`}`)
  ) {
    c.every(p.captions, 'captions', (s) => typeof s === 'string', 'a caption (a string)');
  }
  if (
    c.array(p.ranges, 'ranges') &&
    c.sameLength(p.ranges, 'ranges', images.length, `there ${images.length === 1 ? 'is 1 image' : `are ${showNumber(images.length)} images`}`)
  ) {
    p.ranges.forEach((r, i) => range(c, r, `ranges[${i}]`));
  }
  if (!sized) return;
  const pixels = (p.height as number) * (p.width as number);
  const size = `${code('height')} × ${code('width')} = ${showNumber(pixels)} pixels`;
  for (let i = 0; i < images.length; i++) {
    const im = images[i];
    if (!c.array(im, `images[${i}]`)) return;
    if (im.length !== pixels) {
      c.bad(`${size}, but ${code(`images[${i}]`)} holds ${showNumber(im.length)} values`);
      return;
    }
  }
  if (pixels > IG_MAX_IMAGE_PIXELS) {
    c.bad(`images of ${size} are larger than the view draws (at most ${showNumber(IG_MAX_IMAGE_PIXELS)} pixels each)`);
    return;
  }
  for (let i = 0; i < images.length; i++) {
    if (!c.every(images[i] as unknown[], `images[${i}]`, (v) => typeof v === 'number' && Number.isFinite(v), 'a pixel value (a number)')) return;
  }
  const shown = Math.min(images.length, IG_MAX_IMAGES, Math.floor(IG_MAX_PIXELS / pixels));
  if (shown < images.length) {
    c.note(
      `${showNumber(images.length)} images of ${showNumber(pixels)} pixels; the view draws the first ${showNumber(shown)} (at most ${showNumber(IG_MAX_IMAGES)} images, ${showNumber(IG_MAX_PIXELS)} pixels)`,
    );
  }
}

/** The ways of a four-ways figure, in the order the contract lists them. */
const FOUR_WAYS_IDS = ['manual', 'symbolic', 'numerical', 'forward', 'reverse'] as const;

/** One way of a four-ways payload: id, texts, one value and one relative error per input (or null for both), its cost. */
function fourWaysWay(c: Checker, w: unknown, path: string, inputs: number | null): void {
  if (!c.object(w, path)) return;
  c.oneOf(w.id, `${path}.id`, FOUR_WAYS_IDS);
  c.string(w.label, `${path}.label`);
  c.string(w.detail, `${path}.detail`);
  c.string(w.error, `${path}.error`, true);
  for (const key of ['values', 'relErrors'] as const) {
    const v = w[key];
    const at = `${path}.${key}`;
    if (v === null) continue;
    if (!c.array(v, at)) continue;
    if (inputs !== null && !c.sameLength(v, at, inputs, `there ${inputs === 1 ? 'is 1 input' : `are ${showNumber(inputs)} inputs`}`)) continue;
    c.every(v, at, isNum, 'a number (or "NaN", "Infinity", "-Infinity")');
  }
  if ((w.values === null) !== (w.relErrors === null)) c.bad(`${code(`${path}.values`)} and ${code(`${path}.relErrors`)} must both be arrays or both null`);
  if (!c.object(w.cost, `${path}.cost`)) return;
  if (w.cost.fEvals !== null) c.integer(w.cost.fEvals, `${path}.cost.fEvals`);
  if (w.cost.ops !== null) c.integer(w.cost.ops, `${path}.cost.ops`);
  c.num(w.cost.ms, `${path}.cost.ms`);
}

function checkFourWays(c: Checker, p: Record<string, unknown>): void {
  c.string(p.title, 'title', true);
  c.string(p.fn, 'fn');
  c.num(p.value, 'value');
  let n: number | null = null;
  if (c.array(p.inputs, 'inputs')) {
    if (p.inputs.length > FOUR_WAYS_MAX_INPUTS) {
      c.bad(`${code('inputs')} holds ${showNumber(p.inputs.length)} inputs, more than the view draws (at most ${FOUR_WAYS_MAX_INPUTS})`);
      return;
    }
    n = p.inputs.length;
    p.inputs.forEach((x, i) => {
      if (!c.object(x, `inputs[${i}]`)) return;
      c.string(x.name, `inputs[${i}].name`);
      c.num(x.value, `inputs[${i}].value`);
    });
  }
  if (
    c.array(p.derivatives, 'derivatives') &&
    (n === null || c.sameLength(p.derivatives, 'derivatives', n, `there are ${showNumber(n)} inputs (one derivative each)`))
  ) {
    p.derivatives.forEach((d, i) => {
      if (!c.object(d, `derivatives[${i}]`)) return;
      c.string(d.text, `derivatives[${i}].text`);
      c.integer(d.size, `derivatives[${i}].size`);
    });
  }
  if (c.array(p.ways, 'ways')) {
    if (p.ways.length > FOUR_WAYS_IDS.length) {
      c.bad(`${code('ways')} holds ${showNumber(p.ways.length)} ways; there are ${FOUR_WAYS_IDS.length} (${FOUR_WAYS_IDS.join(', ')})`);
      return;
    }
    p.ways.forEach((w, i) => fourWaysWay(c, w, `ways[${i}]`, n));
    const ids = p.ways.map((w) => (isObject(w) ? w.id : undefined));
    if (new Set(ids).size !== ids.length) c.bad(`${code('ways')} lists a way twice (${ids.map((id) => JSON.stringify(id) ?? 'none').join(', ')})`);
  }
  if (c.array(p.notes, 'notes')) {
    c.every(p.notes, 'notes', (v) => typeof v === 'string', 'a string');
    if (p.notes.length > FOUR_WAYS_MAX_NOTES) c.note(`${showNumber(p.notes.length)} notes; the view shows the first ${FOUR_WAYS_MAX_NOTES}`);
  }
}

/** The check of each payload kind of the contract (one missing does not compile). */
const CHECKS: Record<GradlabPayload['kind'], (c: Checker, p: Record<string, unknown>) => void> = {
  graph: (c, p) => checkGraph(c, p),
  gradcheck: checkGradCheck,
  'jacobian-chain': checkChain,
  'loss-curve': checkLossCurve,
  'decision-boundary': checkDecisionBoundary,
  'confusion-matrix': checkConfusionMatrix,
  'image-grid': checkImageGrid,
  plot: checkPlot,
  'four-ways': checkFourWays,
};

/**
 * Checks `payload` (whose envelope — an object of version 1 and this `kind` —
 * the caller has checked) against the contract for `kind`: what cannot be
 * drawn (`fatal`), what is drawn only in part (`notes`), and the payload to
 * draw (long strings cut). Work is linear in the payload's size.
 */
export function checkPayload(payload: unknown, kind: string): PayloadCheck {
  const c = new Checker(kind);
  const w: Walk = { tooDeep: null, longStrings: 0, longest: null };
  walk(payload, '', 0, w);
  if (w.tooDeep !== null) {
    c.bad(
      `the data is nested deeper than ${MAX_DEPTH} levels (at ${code(w.tooDeep.length > 120 ? w.tooDeep.slice(0, 119) + '…' : w.tooDeep)}); the contract nests a few levels`,
    );
    return { fatal: c.finish(), notes: [], payload };
  }
  const check = CHECKS[kind as GradlabPayload['kind']]; // undefined for a kind of no view
  if (!check) c.bad('no view draws this kind');
  else if (c.object(payload, '(payload)')) check(c, payload);
  let drawn = payload;
  if (w.longest) {
    const more = w.longStrings > 1 ? `${showNumber(w.longStrings)} strings are` : 'a string is';
    c.note(
      `${more} longer than ${showNumber(MAX_STRING)} characters (${code(w.longest.path)} has ${showNumber(w.longest.length)}); shown cut to ${showNumber(MAX_STRING)}`,
    );
    drawn = cutStrings(payload);
  }
  return { fatal: c.finish(), notes: c.notes, payload: drawn };
}
