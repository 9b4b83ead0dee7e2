/**
 * Stepping through a graph like the lecture's animations: the forward pass
 * node by node in topological order, then the backward pass from the output,
 * each op sending its gradient contributions to its operands, so a value used
 * by several ops shows a partial gradient until its last consumer has sent.
 *
 * `stepSequence` is a pure function of the payload (the tests and the UI both
 * use it); how a caption writes an op (its infix glyph, the contribution it
 * sends to each operand) is the op table's (engine/display/op-table.ts).
 * `createStepper` is the toolbar (⏮ ◀ ▶ ⏭, play, a slider, the caption) that
 * marks the graph view's node elements with CSS classes.
 */
import type { BackwardRule, GraphNode, GraphPayload, Num, TensorSummary } from '../../engine/display/contract';
import { asText, formatNum, formatShape } from '../../engine/display/figures/format';
import { ruleOf } from '../../engine/display/figures/node-rule';
import { nodeTitle } from '../../engine/display/figures/graph';
import { opCaption, opEntry } from '../../engine/display/op-table';
import { h, s } from './dom';

/** One gradient contribution sent by a backward step to one operand position. */
interface GradSend {
  /** Id of the operand receiving it. */
  to: number;
  /** Position of that operand in the sender's `inputs` (x·x sends twice, positions 0 and 1). */
  position: number;
  /** The contribution (`inputGrads[position]`), or null when the payload does not carry it. */
  value: TensorSummary | null;
  /** This is contribution `nth` of the `of` the operand receives in the whole backward pass. */
  nth: number;
  of: number;
  /** The operand's gradient so far (the sum of contributions 1..nth), entry by entry; null when unknown (truncated summaries). */
  sum: number[] | null;
}

/** One step of the walk-through. */
export interface Step {
  phase: 'forward' | 'backward';
  /** Id of the node visited (its value computed, or its gradient complete and sent on). */
  node: number;
  /** 1-based position within its phase, and the phase's number of steps. */
  index: number;
  count: number;
  /** What happens, in words a student reads: "forward 5/12: c = a × b = 6". */
  caption: string;
  /** Backward steps: the contributions this node sends to its operands. */
  sends: GradSend[];
}

/** How far a node's gradient is known at some step. */
type GradKnown = 'none' | 'partial' | 'full';

/** The graph as it stands after a step: which values are computed, which gradients are known. */
export interface StepState {
  step: Step;
  /** Forward: values computed so far (every node once backward has started). */
  computed: boolean[];
  grad: GradKnown[];
  /** Partial gradients: contributions received so far, of how many, and their sum when known. */
  partial: Map<number, { received: number; of: number; sum: number[] | null }>;
  /** Nodes that received a contribution in this step. */
  targets: Set<number>;
}

/** A complete gradient's caption lists its contributions when there are at most this many. */
const MAX_TERMS = 6;

/**
 * The walk-through of `p`: forward steps visit every node in payload (topological)
 * order; backward steps start at the output (∂L/∂output = 1) and visit every node
 * that has a gradient in reverse topological order, each op sending its
 * `inputGrads` to its operands.
 */
export function stepSequence(p: GraphPayload): Step[] {
  const nodes = readNodes(p);
  const title = (j: number) => (nodes[j] ? nodeTitle({ id: j, name: nodes[j].name }) : `#${j}`);
  const steps: Step[] = [];

  // ---- forward ----
  const count = nodes.length;
  nodes.forEach((n, i) => {
    steps.push({ phase: 'forward', node: i, index: i + 1, count, caption: `forward ${i + 1}/${count}: ${forwardText(n, i, nodes, title)}`, sends: [] });
  });

  // ---- backward ----
  const out = Number.isInteger(p.output) && p.output >= 0 && p.output < nodes.length ? p.output : nodes.length - 1;
  if (out < 0) return steps;
  const order: number[] = [];
  if (nodes[out].grad) order.push(out);
  for (let i = nodes.length - 1; i >= 0; i--) if (i !== out && nodes[i].grad) order.push(i);
  // What each node sends: inputGrads where the payload has them; else (older payloads) an unknown contribution to every operand that has a gradient.
  const sendsOf = (v: number): { to: number; position: number; value: TensorSummary | null }[] => {
    const n = nodes[v];
    if (n.kind !== 'op') return [];
    const res: { to: number; position: number; value: TensorSummary | null }[] = [];
    n.inputs.forEach((u, pos) => {
      if (!nodes[u]) return;
      if (n.inputGrads) {
        const g = n.inputGrads[pos];
        if (isSummary(g)) res.push({ to: u, position: pos, value: g });
      } else if (nodes[u].grad) res.push({ to: u, position: pos, value: null });
    });
    return res;
  };
  const expected = new Map<number, number>();
  for (const v of order) for (const s of sendsOf(v)) expected.set(s.to, (expected.get(s.to) ?? 0) + 1);
  const received = new Map<number, { n: number; sum: number[] | null; terms: (string | null)[] }>();
  order.forEach((v, k) => {
    const n = nodes[v];
    const me = title(v);
    const of = expected.get(v) ?? 0;
    let what: string;
    if (v === out) what = `start at the output ${me}: ∂L/∂${me} = 1 (L is ${me})`;
    else {
      what = `${me}’s gradient is complete: ∂L/∂${me} = ${valueText(n.grad)}`;
      const terms = received.get(v)?.terms ?? [];
      // the terms themselves while a student can add them up; past that, only their count
      const listed = of <= MAX_TERMS && terms.length === of && terms.every((t) => t !== null);
      if (of > 1)
        what += listed ? ` = ${terms.join(' + ').replace(/\+ -/g, '− ')}, the sum of its ${of} contributions` : `, the sum of its ${of} contributions`;
      const seen = received.get(v)?.n ?? 0;
      if (seen < of) what += ` (only ${seen} of ${of} contributions were sent)`;
    }
    const sends: GradSend[] = [];
    const sendTexts: string[] = [];
    for (const s of sendsOf(v)) {
      const r = received.get(s.to);
      const total = expected.get(s.to) ?? 1;
      const nth = (r?.n ?? 0) + 1;
      const sum = addValues(r ? r.sum : [], s.value);
      received.set(s.to, { n: nth, sum, terms: [...(r?.terms ?? []), s.value ? valueText(s.value) : null] });
      sends.push({ ...s, nth, of: total, sum });
      const val = s.value ? ` = ${valueText(s.value)}` : '';
      const share = total > 1 ? ` (${nth} of ${total} contributions${nth < total ? ', partial' : ''})` : '';
      sendTexts.push(`${title(s.to)} receives ${contributionText(n, v, s.position, nodes, title)}${val}${share}`);
    }
    let through = '';
    if (n.kind === 'op') {
      const gate = infixGlyph(n.op) ?? n.op;
      through = sendTexts.length ? ` — through ${gate}: ${sendTexts.join('; ')}` : ` — through ${gate}: nothing flows further (no operand needs a gradient)`;
    } else if (n.kind === 'leaf' && n.requiresGrad) through = ` — this is what ${me}.grad holds`;
    steps.push({ phase: 'backward', node: v, index: k + 1, count: order.length, caption: `backward ${k + 1}/${order.length}: ${what}${through}`, sends });
  });
  return steps;
}

/** How many forward and backward steps `stepSequence(p)` has, without building it. */
export function stepCounts(p: GraphPayload): { forward: number; backward: number } {
  const nodes: unknown[] = Array.isArray(p?.nodes) ? p.nodes : [];
  let backward = 0;
  for (const n of nodes) if (isSummary((n as Partial<GraphNode> | null)?.grad)) backward++;
  return { forward: nodes.length, backward };
}

/**
 * The graph after `steps[k]` (replayed from the start: O(k), cheap next to a redraw).
 */
export function stepState(p: GraphPayload, steps: Step[], k: number): StepState {
  const n = Array.isArray(p.nodes) ? p.nodes.length : 0;
  const step = steps[k];
  const computed = new Array<boolean>(n).fill(false);
  const grad = new Array<GradKnown>(n).fill('none');
  const partial = new Map<number, { received: number; of: number; sum: number[] | null }>();
  const targets = new Set<number>();
  for (let i = 0; i <= k && i < steps.length; i++) {
    const s = steps[i];
    if (s.phase === 'forward') {
      computed[s.node] = true;
      continue;
    }
    grad[s.node] = 'full';
    partial.delete(s.node);
    for (const g of s.sends) {
      if (grad[g.to] === 'full') continue;
      if (g.nth >= g.of) {
        grad[g.to] = 'full';
        partial.delete(g.to);
      } else {
        grad[g.to] = 'partial';
        partial.set(g.to, { received: g.nth, of: g.of, sum: g.sum });
      }
      if (i === k) targets.add(g.to);
    }
  }
  if (step?.phase === 'backward') computed.fill(true);
  return { step, computed, grad, partial, targets };
}

// ---- text -----------------------------------------------------------------

interface StepNode {
  kind: GraphNode['kind'];
  op: string;
  name: string | null;
  inputs: number[];
  value: TensorSummary | null;
  grad: TensorSummary | null;
  requiresGrad: boolean;
  inputGrads: (TensorSummary | null)[] | null;
  pattern: string | null;
}

function readNodes(p: GraphPayload): StepNode[] {
  const raw: unknown[] = Array.isArray(p?.nodes) ? p.nodes : [];
  return raw.map((r, i) => {
    const n = (typeof r === 'object' && r !== null ? r : {}) as Partial<GraphNode>;
    return {
      kind: n.kind === 'leaf' || n.kind === 'const' ? n.kind : 'op',
      op: asText(n.op, '?'),
      name: n.name == null || n.name === '' ? null : asText(n.name),
      inputs: Array.isArray(n.inputs) ? n.inputs.filter((j) => Number.isInteger(j) && j >= 0 && j < raw.length && j !== i) : [],
      value: isSummary(n.value) ? n.value : null,
      grad: isSummary(n.grad) ? n.grad : null,
      requiresGrad: n.requiresGrad === true,
      inputGrads: Array.isArray(n.inputGrads) ? n.inputGrads : null,
      pattern: patternOf(ruleOf(p, n)),
    };
  });
}

function patternOf(r: BackwardRule | null): string | null {
  return r && typeof r.pattern === 'string' ? r.pattern : null;
}

function isSummary(t: unknown): t is TensorSummary {
  return typeof t === 'object' && t !== null && Array.isArray((t as TensorSummary).values) && Array.isArray((t as TensorSummary).shape);
}

/** A value for a caption: `6` for a scalar, `[1, 2, 3]` for a short tensor, else its shape and mean. */
function valueText(t: TensorSummary | null | undefined): string {
  if (!t) return '?';
  if (t.size === 1 && t.values.length >= 1) return formatNum(t.values[0]);
  if (!t.truncated && t.values.length <= 4) return `[${t.values.map((v) => formatNum(v)).join(', ')}]`;
  return `a ${formatShape(t.shape)} tensor (mean ${formatNum(t.mean)})`;
}

function forwardText(n: StepNode, id: number, nodes: StepNode[], title: (j: number) => string): string {
  const me = n.name ?? null;
  const v = valueText(n.value);
  const arg = (j: number) => (nodes[j]?.kind === 'const' && nodes[j].name === null && nodes[j].value?.size === 1 ? valueText(nodes[j].value) : title(j));
  if (n.kind === 'leaf') return `${title(id)} = ${v} (input${n.requiresGrad ? ', requires grad' : ''})`;
  if (n.kind === 'const') return `constant ${me ? me + ' = ' : ''}${v}`;
  if (n.op === '?' && n.inputs.length === 0) return `${title(id)} = ${v}`; // unreadable node
  const sym = infixGlyph(n.op);
  const expr = sym && n.inputs.length === 2 ? `${arg(n.inputs[0])} ${sym} ${arg(n.inputs[1])}` : `${n.op}(${n.inputs.map(arg).join(', ')})`;
  return `${title(id)} = ${expr} = ${v}`;
}

/** The glyph of an op written between its operands (`×`), from the op table; null for any other op. */
function infixGlyph(op: string): string | null {
  const e = opEntry(op);
  return e?.infix ? e.glyph : null;
}

/** How operand `pos` of `n`'s gradient is formed, in symbols (`∂L/∂c · b`): the op table's caption. */
function contributionText(n: StepNode, id: number, pos: number, nodes: StepNode[], title: (j: number) => string): string {
  const y = title(id);
  const factor = (j: number) => {
    const m = nodes[j];
    return m && m.kind === 'const' && m.name === null && m.value?.size === 1 ? valueText(m.value) : title(j);
  };
  return opCaption({
    y,
    gy: `∂L/∂${y}`,
    op: n.op,
    pos,
    arity: n.inputs.length,
    operand: (i) => title(n.inputs[i]),
    factor: (i) => factor(n.inputs[i]),
    pattern: n.pattern,
  });
}

/** `sum + t` entry by entry, or null when either is unknown (a truncated summary). */
function addValues(sum: number[] | null, t: TensorSummary | null): number[] | null {
  if (!sum || !t || t.truncated) return null;
  const vals = t.values.map(num);
  if (vals.some((v) => v === null)) return null;
  if (sum.length === 0) return vals as number[];
  if (sum.length !== vals.length) return null;
  return sum.map((s, i) => s + (vals[i] as number));
}

function num(v: Num): number | null {
  return typeof v === 'number' ? v : null;
}

// ---- the stepper UI -------------------------------------------------------

/** What the stepper needs from the graph view. */
export interface StepHost {
  /** The node's `<g data-node-id>` element, or the collapsed scope group hiding it; null when not drawn. */
  elementOf(id: number): Element | null;
  /** Pan (or expand) so that node `id` is in view. */
  reveal(id: number): void;
}

/** The stepper's toolbar and its hooks into the graph view. */
export interface Stepper {
  /** The toolbar: buttons, slider and caption. */
  element: HTMLElement;
  /** Handles a key pressed while the graph is focused; true when it was a stepping key (the event is then prevented). */
  onKey(ev: KeyboardEvent): boolean;
  /** Re-applies the node classes after the view redrew its elements. */
  refresh(): void;
  dispose(): void;
}

/** Every class the stepper puts on node elements. */
const CLASSES = ['gradlab-step-pending', 'gradlab-step-current', 'gradlab-step-nograd', 'gradlab-step-partial', 'gradlab-step-target', 'gradlab-step-gradfull'];
/** Milliseconds per step while playing. */
const PLAY_MS = 900;

const KEYS = 'keys: . or n next, , or p back, Home first, End last';

/** Button icons (12×12 paths, filled with the text colour). */
const ICONS = {
  first: 'M2 2h1.6v8H2zM10 2v8L4 6z',
  prev: 'M9 2v8L3 6z',
  next: 'M3 2v8l6-4z',
  last: 'M8.4 2H10v8H8.4zM2 2v8l6-4z',
  play: 'M3 2v8l6-4z',
  pause: 'M3 2h2.2v8H3zM6.8 2H9v8H6.8z',
};

/** The toolbar's elements: the buttons (⏮ ◀ ▶ ⏭, play, done), the slider and the caption. */
interface StepperControls {
  root: HTMLElement;
  first: HTMLElement;
  prev: HTMLElement;
  next: HTMLElement;
  last: HTMLElement;
  play: HTMLElement;
  done: HTMLElement;
  slider: HTMLInputElement;
  caption: HTMLElement;
}

/** The toolbar for `forward` then `backward` steps (nothing wired yet). */
function stepperControls(doc: Document, forward: number, backward: number): StepperControls {
  // Icons drawn as SVG: the media-control characters (⏮ ⏭ ⏯) are missing from common fonts.
  const btn = (icon: string | null, tip: string, label?: string) => {
    const b = h(doc, 'button', { type: 'button', class: 'gradlab-button gradlab-step-button', title: tip, 'aria-label': tip }, label);
    if (icon)
      b.prepend(s(doc, 'svg', { class: 'gradlab-step-icon', viewBox: '0 0 12 12', width: 12, height: 12, 'aria-hidden': 'true' }, s(doc, 'path', { d: icon })));
    return b;
  };
  const first = btn(ICONS.first, 'first step (Home)');
  const prev = btn(ICONS.prev, 'previous step (, or p)');
  const next = btn(ICONS.next, 'next step (. or n)');
  const last = btn(ICONS.last, 'last step (End)');
  const play = btn(ICONS.play, 'play / pause');
  const done = btn(null, 'stop stepping: show the whole graph', 'done');
  const slider = h(doc, 'input', {
    type: 'range',
    min: 0,
    max: forward + backward,
    step: 1,
    value: 0,
    class: 'gradlab-step-slider',
    'aria-label': `step (0 shows the whole graph; ${forward} forward steps, then ${backward} backward)`,
  }) as HTMLInputElement;
  const caption = h(doc, 'div', { class: 'gradlab-step-caption', 'aria-live': 'polite' });
  const root = h(
    doc,
    'div',
    { class: 'gradlab-stepper', role: 'group', 'aria-label': `step through forward and backward (${KEYS})`, title: KEYS, 'data-step': 0 },
    h(doc, 'span', { class: 'gradlab-toolbar' }, first, prev, next, last, play, done),
    slider,
    caption,
  );
  return { root, first, prev, next, last, play, done, slider, caption };
}

/** What one element shows at a step: it may stand for several nodes (a collapsed group). */
interface Mark {
  pending: boolean;
  current: boolean;
  nograd: boolean;
  partial: boolean;
  target: boolean;
  full: boolean;
  /** The node the element is drawn for (its own `data-node-id`), whose partial sum it may show. */
  single: number | null;
}

/** The classes and rewritten gradient lines the stepper put on the graph's elements, so they can be taken off. */
class NodeMarks {
  private readonly touched = new Set<Element>();
  /** Grad lines rewritten to a partial sum: their text as drawn. */
  private readonly gradText = new Map<Element, string>();

  clear(): void {
    for (const el of this.touched) {
      el.classList.remove(...CLASSES);
      el.removeAttribute('data-step-partial');
    }
    this.touched.clear();
    for (const [el, t] of this.gradText) el.textContent = t;
    this.gradText.clear();
  }

  /** Marks every drawn element for state `st`, `currentEl` as the current one. */
  apply(host: StepHost, st: StepState, currentEl: Element | null): void {
    for (const [el, m] of marksOf(host, st, currentEl)) {
      const cls: string[] = [];
      if (m.pending) cls.push('gradlab-step-pending');
      if (m.current) cls.push('gradlab-step-current');
      if (m.nograd) cls.push('gradlab-step-nograd');
      else if (m.partial) cls.push('gradlab-step-partial');
      else if (m.full) cls.push('gradlab-step-gradfull');
      if (m.target) cls.push('gradlab-step-target');
      if (!cls.length) continue;
      el.classList.add(...cls);
      this.touched.add(el);
      const part = m.single !== null ? st.partial.get(m.single) : undefined;
      if (part && !m.nograd) this.showPartial(el, part);
    }
  }

  /** The box shows the final gradient; while partial it shows the sum so far, labelled so. */
  private showPartial(el: Element, part: { received: number; of: number; sum: number[] | null }): void {
    el.setAttribute('data-step-partial', `${part.received}/${part.of}`);
    const line = el.querySelector('text.gradlab-grad');
    const label = el.querySelector('text.gradlab-grad-label');
    if (line) {
      this.gradText.set(line, line.textContent ?? '');
      line.textContent = partialText(part.sum);
    }
    if (label) {
      this.gradText.set(label, label.textContent ?? '');
      label.textContent = 'so far';
    }
  }
}

/**
 * What each drawn element shows at state `st`. One element can stand for
 * several nodes (a collapsed group): current wins, pending only if all are,
 * partial if any is.
 */
function marksOf(host: StepHost, st: StepState, currentEl: Element | null): Map<Element, Mark> {
  const marks = new Map<Element, Mark>();
  const n = st.computed.length;
  for (let id = 0; id < n; id++) {
    const el = host.elementOf(id);
    if (!el) continue;
    const own = el.getAttribute('data-node-id') === String(id);
    let m = marks.get(el);
    if (!m) {
      m = { pending: true, current: false, nograd: true, partial: false, target: false, full: false, single: own ? id : null };
      marks.set(el, m);
    }
    if (own) m.single = id;
    m.pending &&= !st.computed[id];
    m.current ||= el === currentEl;
    m.nograd &&= st.grad[id] === 'none';
    m.partial ||= st.grad[id] === 'partial';
    m.full ||= st.grad[id] === 'full';
    m.target ||= st.targets.has(id);
  }
  return marks;
}

/**
 * The stepper's state: the position (0: not stepping; k ≥ 1: after step
 * k − 1), the play timer, the pending slider frame, and the marks on the
 * graph's elements.
 */
class GraphStepper implements Stepper {
  readonly element: HTMLElement;
  private readonly c: StepperControls;
  private readonly marks = new NodeMarks();
  private readonly total: number;
  /** The caption while not stepping. */
  private readonly idle: string;
  /** The walk-through, built on the first step, not with the view (0.5 s for 10,000 nodes here). */
  private built: Step[] | null = null;
  private consumers: number[][] | null = null;
  private pos = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private raf = 0;
  private readonly listeners: [Element, string, () => void][];

  constructor(
    doc: Document,
    private readonly p: GraphPayload,
    private readonly host: StepHost,
    off: string | null,
  ) {
    const { forward, backward } = off === null ? stepCounts(p) : { forward: 0, backward: 0 };
    this.total = forward + backward;
    this.c = stepperControls(doc, forward, backward);
    this.element = this.c.root;
    this.idle = off ?? `Step through the forward pass, then the backward pass: press ▶ (${KEYS}, with the graph focused).`;
    const { first, prev, next, last, play, done, slider } = this.c;
    this.listeners = [
      [first, 'click', () => (this.stop(), this.go(1))],
      [prev, 'click', () => (this.stop(), this.go(this.back()))],
      [next, 'click', () => (this.stop(), this.go(this.pos + 1))],
      [last, 'click', () => (this.stop(), this.go(this.total))],
      [play, 'click', () => this.toggle()],
      [done, 'click', () => (this.stop(), this.go(0))],
      [slider, 'input', () => (this.stop(), this.slide())],
    ];
    for (const [el, ev, f] of this.listeners) el.addEventListener(ev, f);
    play.setAttribute('aria-pressed', 'false');
    if (this.total === 0) for (const b of [first, prev, next, last, play]) b.setAttribute('disabled', '');
    if (off !== null) {
      slider.disabled = true;
      this.element.classList.add('gradlab-stepper-off');
    }
    this.apply();
  }

  onKey(ev: KeyboardEvent): boolean {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || this.total === 0) return false;
    const moves: Record<string, () => void> = {
      '.': () => this.go(this.pos + 1),
      n: () => this.go(this.pos + 1),
      ',': () => this.go(this.back()),
      p: () => this.go(this.back()),
      Home: () => this.go(1),
      End: () => this.go(this.total),
    };
    const f = moves[ev.key];
    if (!f) return false;
    ev.preventDefault();
    this.stop();
    f();
    return true;
  }

  refresh(): void {
    this.apply();
  }

  dispose(): void {
    this.stop();
    if (this.raf) cancelAnimationFrame(this.raf);
    this.marks.clear();
    for (const [el, ev, f] of this.listeners) el.removeEventListener(ev, f);
    this.element.remove();
  }

  private steps(): Step[] {
    return (this.built ??= stepSequence(this.p));
  }

  /** One step back; from the first step to the first step (only "done" leaves stepping). */
  private back(): number {
    return Math.max(this.pos - 1, this.pos > 1 ? 1 : 0);
  }

  private go(k: number): void {
    this.pos = Math.max(0, Math.min(this.total, k));
    this.apply();
    if (this.pos > 0) this.host.reveal(this.steps()[this.pos - 1].node);
  }

  private setPlaying(on: boolean): void {
    this.element.classList.toggle('gradlab-playing', on);
    this.c.play.setAttribute('aria-pressed', String(on));
    this.c.play.querySelector('path')?.setAttribute('d', on ? ICONS.pause : ICONS.play);
  }

  private stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.setPlaying(false);
  }

  private toggle(): void {
    if (this.timer !== null) return this.stop();
    if (this.pos >= this.total) this.go(0);
    this.setPlaying(true);
    this.go(this.pos + 1);
    this.timer = setInterval(() => {
      if (this.pos >= this.total) return this.stop();
      this.go(this.pos + 1);
    }, PLAY_MS);
  }

  /** Dragging the slider fires many input events: one redraw per frame. */
  private slide(): void {
    if (typeof requestAnimationFrame !== 'function') return this.go(Number(this.c.slider.value));
    if (!this.raf) this.raf = requestAnimationFrame(() => ((this.raf = 0), this.go(Number(this.c.slider.value))));
  }

  /** The toolbar and the graph's marks for the current position. */
  private apply(): void {
    const { root, slider, done, caption } = this.c;
    this.marks.clear();
    root.setAttribute('data-step', String(this.pos));
    root.classList.toggle('gradlab-stepping', this.pos > 0);
    slider.value = String(this.pos);
    done.hidden = this.pos === 0;
    if (this.pos === 0) {
      root.removeAttribute('data-step-node');
      root.removeAttribute('data-step-phase');
      caption.textContent = this.idle;
      return;
    }
    const st = stepState(this.p, this.steps(), this.pos - 1);
    root.setAttribute('data-step-node', String(st.step.node));
    root.setAttribute('data-step-phase', st.step.phase);
    caption.textContent = st.step.caption;
    // A constant drawn inline on its op's label has no element of its own: the op that shows it stands in.
    let currentEl = this.host.elementOf(st.step.node);
    for (const c of currentEl ? [] : this.consumersOf(st.step.node)) if ((currentEl = this.host.elementOf(c))) break;
    this.marks.apply(this.host, st, currentEl);
  }

  private consumersOf(id: number): number[] {
    if (!this.consumers) {
      const list: Partial<GraphNode>[] = Array.isArray(this.p.nodes) ? this.p.nodes : [];
      const c: number[][] = list.map(() => []);
      list.forEach((n, i) => (Array.isArray(n?.inputs) ? n.inputs : []).forEach((j) => c[j]?.push(i)));
      this.consumers = c;
    }
    return this.consumers[id] ?? [];
  }
}

/**
 * The step-through toolbar for `p`. Off until the user starts stepping (the
 * graph shows everything); position 0 of the slider, and "done", return to the
 * full view. With `off`, stepping is disabled and the caption says `off` (the
 * view passes it for a graph it drew only in part: a walk through part of a
 * graph would show gradients as complete that miss contributions).
 */
export function createStepper(doc: Document, p: GraphPayload, host: StepHost, off: string | null = null): Stepper {
  return new GraphStepper(doc, p, host, off);
}

function partialText(sum: number[] | null): string {
  if (!sum) return '…';
  if (sum.length === 1) return formatNum(sum[0]);
  return `[${sum
    .slice(0, 3)
    .map((v) => formatNum(v))
    .join(', ')}${sum.length > 3 ? ', …' : ''}]`;
}
