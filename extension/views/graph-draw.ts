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
import { groupName, type FigureEdge, type FigureGroup, type FigureLine, type FigureNode, type GraphFigure } from '../../engine/display/figures/graph';
import { s } from './dom';

/** Boxes drawn at once; a larger figure draws the rest in the next frames (nearest the output first). */
export const FIRST_BATCH = 160;
/** Most boxes in the page at once. A figure with more is drawn as a window around the view. */
export const DRAW_MAX = 1500;
/** Milliseconds of drawing per frame after the first batch. */
const SLICE_MS = 8;
const PAD = 8;

/** A rectangle in figure coordinates. */
export interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** A drawing in progress or done: its elements by node id and group key. */
export interface Drawing {
  /** Node elements by payload id, and group elements (boxes and frames) by key: only the ones drawn now. */
  readonly byId: Map<number, SVGElement>;
  readonly byGroup: Map<string, SVGElement>;
  /** True when the figure has more than {@link DRAW_MAX} boxes, so only those near the view are drawn. */
  readonly windowed: boolean;
  /** Boxes in the figure. */
  readonly boxes: number;
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

/** The jobs of a figure: frames of expanded groups, then nodes and collapsed groups, each with the edges into it. */
function figureJobs(fig: GraphFigure): Job[] {
  const jobs: Job[] = [];
  const rect = (b: { x: number; y: number; w: number; h: number }, x0 = b.x): Rect => ({ x0, y0: b.y, x1: b.x + b.w, y1: b.y + b.h });
  for (const g of fig.groups) if (!g.collapsed) jobs.push({ box: rect(g.box), node: null, group: g, edges: [], els: null });
  const into = new Map<string | number, Job>();
  for (const n of fig.nodes) {
    const j: Job = { box: rect(n.box, n.op ? n.op.cx - n.op.rx : n.box.x), node: n, group: null, edges: [], els: null };
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

/**
 * Draws `fig` into `world` (replacing what was there), nearest the output
 * first. `visible` gives the part of the figure in view (null before the view
 * has a size); `done` runs after a drawing that took more than one frame has
 * finished (re-apply selections and step marks).
 */
export function drawFigure(doc: Document, world: SVGElement, fig: GraphFigure, visible: () => Rect | null, done: () => void): Drawing {
  const frames = s(doc, 'g', { class: 'gradlab-groups' });
  const edgeLayer = s(doc, 'g', { class: 'gradlab-edges' });
  const nodeLayer = s(doc, 'g', { class: 'gradlab-nodes' });
  const byId = new Map<number, SVGElement>();
  const byGroup = new Map<string, SVGElement>();
  const jobs = figureJobs(fig);
  const windowed = jobs.length > DRAW_MAX;
  const frame = typeof requestAnimationFrame === 'function';
  const out = fig.nodes.find((n) => n.output);
  const ax = out ? out.box.x + out.box.w : fig.width;
  const ay = out ? out.box.y + out.box.h / 2 : fig.height / 2;

  const run = (j: Job) => {
    const els: Element[] = [];
    if (j.node) {
      const g = drawNode(doc, j.node);
      byId.set(j.node.id, g);
      nodeLayer.append(g);
      els.push(g);
    } else if (j.group) {
      const el = drawGroup(doc, j.group);
      byGroup.set(j.group.key, el);
      (j.group.collapsed ? nodeLayer : frames).append(el); // frames behind the edges
      els.push(el);
    }
    for (const e of j.edges) {
      const path = s(doc, 'path', { class: 'gradlab-edge', d: e.d });
      const arrow = s(doc, 'polygon', { class: 'gradlab-arrow', points: e.arrow });
      edgeLayer.append(path, arrow);
      els.push(path, arrow);
      if (e.label) {
        const t = s(doc, 'text', { class: 'gradlab-edge-label', x: e.lx, y: e.ly, 'text-anchor': 'middle' }, e.label);
        edgeLayer.append(t);
        els.push(t);
      }
    }
    j.els = els;
  };
  const drop = (j: Job) => {
    for (const el of j.els ?? []) el.remove();
    j.els = null;
    if (j.node && byId.get(j.node.id)) byId.delete(j.node.id);
    if (j.group) byGroup.delete(j.group.key);
  };

  let pending: Job[] = [];
  let next = 0;
  let raf = 0;
  let moveRaf = 0;
  const slice = (limit: number, ms: number) => {
    const t0 = performance.now();
    while (next < pending.length && next < limit && performance.now() - t0 < ms) {
      const j = pending[next++];
      if (!j.els) run(j);
    }
  };
  const pump = () => {
    slice(Infinity, SLICE_MS);
    if (next < pending.length) raf = requestAnimationFrame(pump);
    else {
      raf = 0;
      done();
    }
  };
  /** The jobs wanted now: all (non-windowed), or those nearest the view (or the output, before the view has a size). */
  const wanted = (): Job[] => {
    if (!windowed) return jobs.length > FIRST_BATCH && frame ? nearest(jobs, null, ax, ay, Infinity) : jobs;
    const r = visible();
    if (r === null) return nearest(jobs, null, ax, ay, DRAW_MAX);
    // the view and half a view around it, so a small pan finds its boxes drawn
    const mx = (r.x1 - r.x0) / 2;
    const my = (r.y1 - r.y0) / 2;
    return nearest(jobs, { x0: r.x0 - mx, y0: r.y0 - my, x1: r.x1 + mx, y1: r.y1 + my }, (r.x0 + r.x1) / 2, (r.y0 + r.y1) / 2, DRAW_MAX);
  };
  /** Redraws around the view: drops the boxes no longer wanted, queues the new ones nearest first. */
  const sync = () => {
    const want = wanted();
    const keep = new Set(want);
    for (const j of jobs) if (j.els && !keep.has(j)) drop(j);
    pending = want.filter((j) => !j.els);
    next = 0;
    slice(FIRST_BATCH, Infinity);
    if (next < pending.length && !raf) raf = requestAnimationFrame(pump);
    else if (next >= pending.length && !raf) done();
  };

  pending = wanted();
  slice(frame ? FIRST_BATCH : Infinity, Infinity);
  world.replaceChildren(frames, edgeLayer, nodeLayer);
  if (next < pending.length) raf = requestAnimationFrame(pump);

  return {
    byId,
    byGroup,
    windowed,
    boxes: jobs.length,
    moved() {
      if (!windowed) return;
      if (!frame) return sync();
      if (!moveRaf) moveRaf = requestAnimationFrame(() => ((moveRaf = 0), sync()));
    },
    cancel() {
      if (raf) cancelAnimationFrame(raf);
      if (moveRaf) cancelAnimationFrame(moveRaf);
      raf = moveRaf = 0;
    },
  };
}

/**
 * A scope group: a collapsed box (a button that expands it) or an expanded
 * frame whose label is a button that collapses it. Text only as text nodes.
 */
export function drawGroup(doc: Document, g: FigureGroup): SVGElement {
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
    g.append(s(doc, 'text', { class: `gradlab-${l.role}`, x: l.x + 43.2, y: l.y }, l.text));
  }
}

export function drawNode(doc: Document, n: FigureNode): SVGElement {
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
