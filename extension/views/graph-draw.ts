/**
 * Drawing a laid-out graph figure into the view's SVG: one element per box
 * (a node with its op, a collapsed group, an expanded group's frame) with the
 * edges into it, created in slices of a few milliseconds per frame.
 *
 * The work is bounded by what the page can keep drawn, not by the figure: a
 * figure of at most {@link DRAW_MAX} boxes is drawn whole (nearest the output
 * first); a larger one is drawn as a window, the at most {@link DRAW_MAX}
 * boxes nearest the part in view, redrawn when the view pans or zooms.
 * (Measured in Chromium: with 10,000 boxes in the SVG, each frame took
 * seconds, pan and zoom answered below 1 frame/s.)
 */
import { LABEL_W, groupName, type FigureEdge, type FigureGroup, type FigureLine, type FigureNode, type GraphFigure } from '../../engine/display/figures/graph';
import { s } from './dom';
import type { Rect } from './viewport';

/** Boxes drawn at once; a larger figure draws the rest in the next frames (nearest the output first). */
const FIRST_BATCH = 160;
/** Most boxes in the page at once. A figure with more is drawn as a window around the view. */
export const DRAW_MAX = 1500;
/** Milliseconds of drawing per frame after the first batch. */
const SLICE_MS = 8;
const PAD = 8;

/** A drawing in progress or done: its elements by node id and group key. */
export interface Drawing {
  /** Node elements by payload id, and group elements (boxes and frames) by key: only the ones drawn now. */
  readonly byId: Map<number, SVGElement>;
  readonly byGroup: Map<string, SVGElement>;
  /** True when the figure has more than {@link DRAW_MAX} boxes, so only those near the view are drawn. */
  readonly windowed: boolean;
  /** Boxes in the figure. */
  readonly boxes: number;
  /** The element standing for node `id`: its own, or the collapsed group box hiding it (null when not drawn now). */
  elementOf(id: number): Element | null;
  /** Tells a windowed drawing that the view moved: it redraws around it at the next frame. */
  moved(): void;
  /** Stops pending frames (the next drawing, or dispose). */
  cancel(): void;
}

/** One box to draw and the edges into it; `els` while drawn. */
interface Job {
  box: Rect;
  node: FigureNode | null;
  group: FigureGroup | null;
  edges: FigureEdge[];
  els: Element[] | null;
}

/** A box of the figure as a rectangle, starting at `x0` (a node's op ellipse stands left of its box). */
function rect(b: { x: number; y: number; w: number; h: number }, x0 = b.x): Rect {
  return { x0, y0: b.y, x1: b.x + b.w, y1: b.y + b.h };
}

/** Node `n`'s rectangle: its box and the op drawn in front of it. */
function nodeRect(n: FigureNode): Rect {
  return rect(n.box, n.op ? n.op.cx - n.op.rx : n.box.x);
}

/** Where node `id` is in `fig`: its rectangle (with its op), or that of the collapsed group hiding it; null when neither is drawn. */
export function nodeArea(fig: GraphFigure, id: number): Rect | null {
  const n = fig.nodes.find((m) => m.id === id);
  if (n) return nodeRect(n);
  const key = fig.hiddenIn.get(id);
  const g = key !== undefined ? fig.groups.find((q) => q.key === key) : undefined;
  return g ? rect(g.box) : null;
}

/** The jobs of a figure: frames of expanded groups, then nodes and collapsed groups, each with the edges into it. */
function figureJobs(fig: GraphFigure): Job[] {
  const jobs: Job[] = [];
  for (const g of fig.groups) if (!g.collapsed) jobs.push({ box: rect(g.box), node: null, group: g, edges: [], els: null });
  const into = new Map<string | number, Job>();
  for (const n of fig.nodes) {
    const j: Job = { box: nodeRect(n), node: n, group: null, edges: [], els: null };
    jobs.push(j);
    into.set(n.id, j);
  }
  for (const g of fig.groups) {
    if (!g.collapsed) continue;
    const j: Job = { box: rect(g.box), node: null, group: g, edges: [], els: null };
    jobs.push(j);
    into.set(`g:${g.key}`, j);
  }
  for (const e of fig.edges) into.get(e.toGroup !== null ? `g:${e.toGroup}` : e.to)?.edges.push(e);
  return jobs;
}

/** Distance from (x, y) to a box (0 inside), x counting less: a view is wider than tall. */
function distance(b: Rect, x: number, y: number): number {
  const dx = Math.max(b.x0 - x, 0, x - b.x1);
  const dy = Math.max(b.y0 - y, 0, y - b.y1);
  return (0.6 * dx) ** 2 + dy ** 2;
}

/** The jobs to draw, nearest (cx, cy) first: those meeting `r` (all when null), at most `max`. */
function nearest(jobs: Job[], r: Rect | null, cx: number, cy: number, max: number): Job[] {
  const meets = (b: Rect) => r === null || (b.x1 >= r.x0 && b.x0 <= r.x1 && b.y1 >= r.y0 && b.y0 <= r.y1);
  const list = jobs.filter((j) => meets(j.box));
  const d = new Map(list.map((j) => [j, distance(j.box, cx, cy)]));
  list.sort((a, b) => d.get(a)! - d.get(b)!);
  return list.length > max ? list.slice(0, max) : list;
}

/** The layers of a drawing, back to front: expanded groups' frames, edges, nodes and collapsed groups. */
interface Layers {
  frames: SVGElement;
  edges: SVGElement;
  nodes: SVGElement;
}

/**
 * A drawing made in batches: the first {@link FIRST_BATCH} boxes at once, the
 * rest {@link SLICE_MS} per frame (`pending` from `next` on); a windowed one
 * keeps only the boxes {@link wanted} around the view.
 */
class BatchedDrawing implements Drawing {
  readonly byId = new Map<number, SVGElement>();
  readonly byGroup = new Map<string, SVGElement>();
  readonly windowed: boolean;
  readonly boxes: number;
  private readonly doc: Document;
  private readonly fig: GraphFigure;
  private readonly visible: () => Rect | null;
  private readonly done: () => void;
  private readonly layers: Layers;
  private readonly jobs: Job[];
  /** Whether the page has animation frames (else everything is drawn at once). */
  private readonly frame = typeof requestAnimationFrame === 'function';
  /** The output's right middle: drawing starts nearest it. */
  private readonly ax: number;
  private readonly ay: number;
  private pending: Job[] = [];
  private next = 0;
  private raf = 0;
  private moveRaf = 0;

  constructor(doc: Document, world: SVGElement, fig: GraphFigure, visible: () => Rect | null, done: () => void) {
    this.doc = doc;
    this.fig = fig;
    this.visible = visible;
    this.done = done;
    this.layers = {
      frames: s(doc, 'g', { class: 'gradlab-groups' }),
      edges: s(doc, 'g', { class: 'gradlab-edges' }),
      nodes: s(doc, 'g', { class: 'gradlab-nodes' }),
    };
    this.jobs = figureJobs(fig);
    this.windowed = this.jobs.length > DRAW_MAX;
    this.boxes = this.jobs.length;
    const out = fig.nodes.find((n) => n.output);
    this.ax = out ? out.box.x + out.box.w : fig.width;
    this.ay = out ? out.box.y + out.box.h / 2 : fig.height / 2;
    this.pending = this.wanted();
    this.slice(this.frame ? FIRST_BATCH : Infinity, Infinity);
    world.replaceChildren(this.layers.frames, this.layers.edges, this.layers.nodes);
    if (this.next < this.pending.length) this.raf = requestAnimationFrame(this.pump);
  }

  elementOf(id: number): Element | null {
    const own = this.byId.get(id);
    if (own) return own;
    const key = this.fig.hiddenIn.get(id);
    return key !== undefined ? (this.byGroup.get(key) ?? null) : null;
  }

  moved(): void {
    if (!this.windowed) return;
    if (!this.frame) return this.sync();
    if (!this.moveRaf) this.moveRaf = requestAnimationFrame(() => ((this.moveRaf = 0), this.sync()));
  }

  cancel(): void {
    if (this.raf) cancelAnimationFrame(this.raf);
    if (this.moveRaf) cancelAnimationFrame(this.moveRaf);
    this.raf = this.moveRaf = 0;
  }

  /** Draws job `j`: its box (indexed by node id or group key) and the edges into it. */
  private run(j: Job): void {
    const { doc, layers } = this;
    const els: Element[] = [];
    if (j.node) {
      const g = drawNode(doc, j.node);
      this.byId.set(j.node.id, g);
      layers.nodes.append(g);
      els.push(g);
    } else if (j.group) {
      const el = drawGroup(doc, j.group);
      this.byGroup.set(j.group.key, el);
      (j.group.collapsed ? layers.nodes : layers.frames).append(el); // frames behind the edges
      els.push(el);
    }
    for (const e of j.edges) {
      const path = s(doc, 'path', { class: 'gradlab-edge', d: e.d });
      const arrow = s(doc, 'polygon', { class: 'gradlab-arrow', points: e.arrow });
      layers.edges.append(path, arrow);
      els.push(path, arrow);
      if (e.label) {
        const t = s(doc, 'text', { class: 'gradlab-edge-label', x: e.lx, y: e.ly, 'text-anchor': 'middle' }, e.label);
        layers.edges.append(t);
        els.push(t);
      }
    }
    j.els = els;
  }

  /** Removes job `j`'s elements (a windowed drawing, when the view moved away). */
  private drop(j: Job): void {
    for (const el of j.els ?? []) el.remove();
    j.els = null;
    if (j.node && this.byId.get(j.node.id)) this.byId.delete(j.node.id);
    if (j.group) this.byGroup.delete(j.group.key);
  }

  /** Draws pending jobs until `limit` of them are done or `ms` have passed. */
  private slice(limit: number, ms: number): void {
    const t0 = performance.now();
    while (this.next < this.pending.length && this.next < limit && performance.now() - t0 < ms) {
      const j = this.pending[this.next++];
      if (!j.els) this.run(j);
    }
  }

  /** One frame's slice; the next frame while jobs are pending, else `done`. */
  private readonly pump = (): void => {
    this.slice(Infinity, SLICE_MS);
    if (this.next < this.pending.length) this.raf = requestAnimationFrame(this.pump);
    else {
      this.raf = 0;
      this.done();
    }
  };

  /** The jobs wanted now: all (non-windowed), or those nearest the view (or the output, before the view has a size). */
  private wanted(): Job[] {
    const { jobs, ax, ay } = this;
    if (!this.windowed) return jobs.length > FIRST_BATCH && this.frame ? nearest(jobs, null, ax, ay, Infinity) : jobs;
    const r = this.visible();
    if (r === null) return nearest(jobs, null, ax, ay, DRAW_MAX);
    // the view and half a view around it, so a small pan finds its boxes drawn
    const mx = (r.x1 - r.x0) / 2;
    const my = (r.y1 - r.y0) / 2;
    return nearest(jobs, { x0: r.x0 - mx, y0: r.y0 - my, x1: r.x1 + mx, y1: r.y1 + my }, (r.x0 + r.x1) / 2, (r.y0 + r.y1) / 2, DRAW_MAX);
  }

  /** Redraws around the view: drops the boxes no longer wanted, queues the new ones nearest first. */
  private sync(): void {
    const want = this.wanted();
    const keep = new Set(want);
    for (const j of this.jobs) if (j.els && !keep.has(j)) this.drop(j);
    this.pending = want.filter((j) => !j.els);
    this.next = 0;
    this.slice(FIRST_BATCH, Infinity);
    if (this.next < this.pending.length && !this.raf) this.raf = requestAnimationFrame(this.pump);
    else if (this.next >= this.pending.length && !this.raf) this.done();
  }
}

/**
 * Draws `fig` into `world` (replacing what was there), nearest the output
 * first. `visible` gives the part of the figure in view (null before the view
 * has a size); `done` runs after a drawing that took more than one frame has
 * finished (re-apply selections and step marks).
 */
export function drawFigure(doc: Document, world: SVGElement, fig: GraphFigure, visible: () => Rect | null, done: () => void): Drawing {
  return new BatchedDrawing(doc, world, fig, visible, done);
}

/**
 * A scope group: a collapsed box (a button that expands it) or an expanded
 * frame whose label is a button that collapses it. Text only as text nodes.
 */
function drawGroup(doc: Document, g: FigureGroup): SVGElement {
  const cls = ['gradlab-group', g.collapsed ? 'gradlab-group-collapsed' : 'gradlab-group-expanded'];
  if (g.check) cls.push('gradlab-check-fail');
  const el = s(doc, 'g', { class: cls.join(' '), 'data-group': g.key });
  const { x, y, w, h: gh } = g.box;
  const name = groupName(g.path);
  if (g.collapsed) {
    const button = s(doc, 'g', {
      class: 'gradlab-group-button',
      'data-group-toggle': g.key,
      role: 'button',
      tabindex: 0,
      'aria-label': `expand group ${name} (${g.count} nodes)`,
    });
    button.append(
      s(doc, 'title', {}, `${g.tooltip} — click to expand`),
      s(doc, 'rect', { class: 'gradlab-group-shadow', x: x + 4, y: y + 4, width: w, height: gh, rx: 6 }),
      s(doc, 'rect', { class: 'gradlab-group-box', x, y, width: w, height: gh, rx: 6 }),
    );
    appendLines(doc, button, g.lines);
    el.append(button);
    return el;
  }
  el.append(s(doc, 'title', {}, g.tooltip), s(doc, 'rect', { class: 'gradlab-group-frame', x, y, width: w, height: gh, rx: 8 }));
  const label = s(doc, 'g', {
    class: 'gradlab-group-label',
    'data-group-toggle': g.key,
    role: 'button',
    tabindex: 0,
    'aria-label': `collapse group ${name} (${g.count} nodes)`,
  });
  const l = g.lines[0];
  label.append(
    s(doc, 'title', {}, `${g.tooltip} — click to collapse`),
    s(doc, 'rect', { class: 'gradlab-group-label-bg', x: x + 2, y: y + 2, width: Math.max(0, [...l.text].length * 7.2 + 12), height: 18, rx: 4 }),
    s(doc, 'text', { class: 'gradlab-group-title', x: l.x, y: l.y }, l.text),
  );
  el.append(label);
  if (g.check) el.append(s(doc, 'text', { class: 'gradlab-check', x: x + w - PAD, y: l.y, 'text-anchor': 'end' }, `✗ ${g.check.text}`));
  return el;
}

function appendLines(doc: Document, g: SVGElement, lines: FigureLine[]): void {
  for (const l of lines) {
    if (l.role === 'title') {
      g.append(s(doc, 'text', { class: 'gradlab-node-title', x: l.x, y: l.y }, l.text));
      continue;
    }
    if (l.label) g.append(s(doc, 'text', { class: `gradlab-line-label gradlab-${l.role}-label`, x: l.x, y: l.y }, l.label));
    g.append(s(doc, 'text', { class: `gradlab-${l.role}`, x: l.x + LABEL_W, y: l.y }, l.text));
  }
}

function drawNode(doc: Document, n: FigureNode): SVGElement {
  const cls = ['gradlab-node', `gradlab-kind-${n.kind}`];
  if (n.output) cls.push('gradlab-output');
  if (n.gradLeaf) cls.push('gradlab-gradleaf');
  if (n.check) cls.push('gradlab-check-fail');
  const g = s(doc, 'g', { class: cls.join(' '), 'data-node-id': n.id });
  g.append(s(doc, 'title', {}, n.check ? `${n.tooltip} — local gradient check failed, ${n.check.text}` : n.tooltip));
  if (n.op) {
    const { cx, cy, rx, ry, label } = n.op;
    const bx = n.box.x - 1;
    const by = n.box.y + n.box.h / 2;
    g.append(
      s(doc, 'ellipse', { class: 'gradlab-op', cx, cy, rx, ry }),
      s(doc, 'text', { class: 'gradlab-op-label', x: cx, y: cy + 4, 'text-anchor': 'middle' }, label),
      s(doc, 'line', { class: 'gradlab-op-link', x1: cx + rx, y1: cy, x2: bx - 6, y2: by }),
      s(doc, 'polygon', { class: 'gradlab-op-arrow', points: `${bx},${by} ${bx - 7},${by - 3.5} ${bx - 7},${by + 3.5}` }),
    );
  }
  const { x, y, w, h: bh } = n.box;
  g.append(s(doc, 'rect', { class: 'gradlab-box', x, y, width: w, height: bh, rx: 4 }));
  if (n.gradLeaf) g.append(s(doc, 'rect', { class: 'gradlab-gradleaf-bar', x, y, width: 4, height: bh, rx: 2 }));
  appendLines(doc, g, n.lines);
  return g;
}
