/**
 * The computational-graph view: the figure laid out by `graphFigure` (shared
 * with the static SVG fallback, so both show the same thing), drawn as inline
 * SVG styled by JupyterLab's theme variables, with pan, zoom and node details.
 *
 * Each value is a box (name, shape, value, and its gradient labelled "grad" in
 * the theme's warn colour); a value computed by an op has the op drawn as an
 * ellipse in front of it, micrograd style. We chose the pair over a single box
 * with the op in its header because the lecture's picture is a circuit: the op
 * is the gate a gradient flows back through (add distributes, max routes, mul
 * switches), the box is what the wire carries; keeping them apart lets the
 * next steps (stepping, backprop patterns) highlight the gate and the value
 * separately. Layout cost is unchanged: each op+box pair is one layout node.
 */
import type { GraphPayload } from '../../engine/display/contract';
import { formatCount } from '../../engine/display/figures/format';
import { graphFigure, type GraphFigure } from '../../engine/display/figures/graph';
import { DRAW_MAX, drawFigure, type Drawing, type Rect } from './graph-draw';
import { nodeDetails } from './graph-details';
import { createStepper } from './graph-steps';
import { h, mount, s, safely, type View } from './dom';

/** Pan and zoom state of a graph view. */
interface Transform {
  k: number;
  x: number;
  y: number;
}

const MIN_ZOOM = 0.05;
const MAX_ZOOM = 4;
/** A graph that fits at this zoom or more is first shown whole... */
const FIT_ZOOM = 0.4;
/** ...a larger one first shows its output end at this zoom, where text is readable. */
const READABLE_ZOOM = 0.6;
/** Tallest the canvas grows before it scrolls by panning instead. */
const MAX_CANVAS_H = 560;
const PAD = 8;

/** The graph view, with what it laid out (for tests and timing). */
export interface GraphView extends View {
  /** The figure drawn now (it changes when a group is expanded or collapsed). */
  readonly figure: GraphFigure | null;
}

/**
 * Draws `p` into `host`, replacing whatever view was there. Drag to pan; the
 * wheel zooms once the graph has been clicked (or with Ctrl/⌘ held) so that
 * scrolling the notebook still works; buttons zoom and fit. Hovering a node
 * previews its details; clicking pins them. Clicking a collapsed scope group
 * expands it; clicking an expanded group's label collapses it.
 */
export function renderGraph(host: HTMLElement, p: GraphPayload): GraphView {
  const state: { figure: GraphFigure | null } = { figure: null };
  const view = safely(host, 'graph', () => build(host, p, state));
  return {
    get figure() {
      return state.figure;
    },
    dispose: () => view.dispose(),
  };
}

function build(host: HTMLElement, p: GraphPayload, state: { figure: GraphFigure | null }): View {
  let fig = graphFigure(p);
  state.figure = fig;
  let expanded = new Set(fig.expanded);
  const doc = host.ownerDocument;
  const payloadNodes: unknown[] = Array.isArray(p.nodes) ? p.nodes : [];
  const root = h(doc, 'div', { class: 'gradlab-figure gradlab-graph', 'data-gradlab-view': 'graph' });

  // Header: title, size, zoom buttons.
  const title = typeof p.title === 'string' && p.title ? p.title : 'computational graph';
  const counts = h(doc, 'span', { class: 'gradlab-muted' });
  const btn = (label: string, tip: string) => h(doc, 'button', { type: 'button', class: 'gradlab-button', title: tip, 'aria-label': tip }, label);
  const zoomOut = btn('−', 'zoom out');
  const zoomIn = btn('+', 'zoom in');
  const fit = btn('fit', 'fit the whole graph');
  const actual = btn('1:1', 'actual size');
  const header = h(
    doc,
    'div',
    { class: 'gradlab-header' },
    h(doc, 'span', { class: 'gradlab-title' }, title),
    counts,
    h(doc, 'span', { class: 'gradlab-toolbar' }, zoomOut, zoomIn, fit, actual),
  );
  root.append(header);
  const notes = h(doc, 'div', { class: 'gradlab-graph-notes' });
  root.append(notes);

  // Canvas: an SVG whose one group is panned and zoomed.
  const canvas = h(doc, 'div', { class: 'gradlab-graph-canvas', tabindex: 0, 'aria-label': `${title}: graph, drag to pan` });
  const svg = s(doc, 'svg', { class: 'gradlab-graph-svg', width: '100%', height: '100%', role: 'img' });
  svg.append(s(doc, 'title', {}, title));
  const world = s(doc, 'g', { class: 'gradlab-graph-world' });
  svg.append(world);
  canvas.append(svg);
  root.append(canvas);

  root.append(legend(doc));
  const details = h(doc, 'div', { class: 'gradlab-graph-details', 'aria-live': 'polite' }, 'Hover over a node to see its details; click to keep them.');
  root.append(details);

  /** The drawing of the current figure (graph-draw.ts): its elements by node id and group key. */
  let drawing: Drawing | null = null;
  let stepperReady = false; // the stepper is made after the first drawing
  /** Draws the current figure (a large one in frames, nearest the output first; a very large one as a window around the view). */
  const draw = () => {
    drawing?.cancel();
    drawing = drawFigure(doc, world, fig, visibleRect, () => {
      if (pinned !== null) drawing?.byId.get(pinned)?.classList.add('gradlab-selected');
      if (stepperReady) stepper.refresh();
    });
    counts.textContent = countsText(fig, payloadNodes.length);
    notes.replaceChildren(...viewNotes(fig, drawing).map((note) => h(doc, 'div', { class: 'gradlab-note', role: 'note' }, '⚠ ' + note)));
    if (pinned !== null) drawing.byId.get(pinned)?.classList.add('gradlab-selected');
  };
  const byId = () => drawing!.byId;
  const byGroup = () => drawing!.byGroup;

  // ---- pan and zoom ----
  const t: Transform = { k: 1, x: PAD, y: PAD };
  let moved = false; // the user has panned, zoomed, expanded or stepped: resizing no longer resets the view
  const apply = () => {
    world.setAttribute('transform', `translate(${round(t.x)},${round(t.y)}) scale(${round(t.k, 1000)})`);
    drawing?.moved();
  };
  const canvasSize = () => ({ w: canvas.clientWidth || 0, h: canvas.clientHeight || 0 });
  /** The part of the figure in view, or null while the canvas has no size. */
  function visibleRect(): Rect | null {
    const { w, h: ch } = canvasSize();
    return w > 0 && ch > 0 ? { x0: -t.x / t.k, y0: -t.y / t.k, x1: (w - t.x) / t.k, y1: (ch - t.y) / t.k } : null;
  }
  const zoomAt = (factor: number, cx: number, cy: number) => {
    moved = true;
    const k = clamp(t.k * factor, MIN_ZOOM, MAX_ZOOM);
    t.x = cx - ((cx - t.x) * k) / t.k;
    t.y = cy - ((cy - t.y) * k) / t.k;
    t.k = k;
    apply();
  };
  /** First view: the whole graph when it is readable that small, else the output end at a readable zoom. */
  const initial = () => {
    const { w, h: ch } = canvasSize();
    if (w <= 0) return apply();
    const k = Math.min((w - 2 * PAD) / fig.width, ((ch || MAX_CANVAS_H) - 2 * PAD) / fig.height, 1);
    if (k >= FIT_ZOOM) return fitAll();
    const out = fig.nodes.find((n) => n.output) ?? fig.nodes[fig.nodes.length - 1];
    const outBox = out?.box ?? fig.groups.find((g) => g.collapsed)?.box;
    t.k = READABLE_ZOOM;
    t.x = Math.min(PAD, w - PAD - fig.width * t.k);
    t.y =
      fig.height * t.k <= ch - 2 * PAD
        ? (ch - fig.height * t.k) / 2
        : clamp(ch / 2 - (outBox ? outBox.y + outBox.h / 2 : 0) * t.k, ch - PAD - fig.height * t.k, PAD);
    apply();
  };
  const fitAll = () => {
    const { w, h: ch } = canvasSize();
    if (w <= 0) return apply();
    const k = clamp(Math.min((w - 2 * PAD) / fig.width, ((ch || MAX_CANVAS_H) - 2 * PAD) / fig.height, 1), MIN_ZOOM, 1);
    t.k = k;
    t.x = (w - fig.width * k) / 2;
    t.y = Math.max(PAD, ((ch || 0) - fig.height * k) / 2);
    apply();
  };
  // The canvas is as tall as the graph at the first view's zoom, within limits.
  const sizeCanvas = () => {
    const w = host.clientWidth || canvas.clientWidth || 0;
    const fitW = w > 0 ? (w - 2 * PAD) / fig.width : 1;
    const k = Math.min(1, fitW >= FIT_ZOOM ? fitW : READABLE_ZOOM);
    canvas.style.height = `${Math.round(clamp(fig.height * k + 2 * PAD, 80, MAX_CANVAS_H))}px`;
  };
  /**
   * The first view, again whenever the canvas changed size, until the user
   * moves the graph or pins a node. JupyterLab may lay the output out narrower
   * than its final width first (and a scrollbar may come and go); a view
   * fitted once at that width would stay cut off until "fit" was pressed.
   */
  let fittedAt = { w: -1, h: -1 };
  const firstView = () => {
    if (moved || pinned !== null) return;
    sizeCanvas();
    const { w, h: ch } = canvasSize();
    if (w === fittedAt.w && ch === fittedAt.h) return;
    fittedAt = { w, h: ch };
    initial();
  };

  zoomIn.addEventListener('click', () => {
    const { w, h: ch } = canvasSize();
    zoomAt(1.25, w / 2, ch / 2);
  });
  zoomOut.addEventListener('click', () => {
    const { w, h: ch } = canvasSize();
    zoomAt(0.8, w / 2, ch / 2);
  });
  fit.addEventListener('click', fitAll);
  actual.addEventListener('click', () => {
    moved = true;
    t.k = 1;
    t.x = PAD;
    t.y = PAD;
    apply();
  });

  // ---- groups ----
  /** Expands or collapses group `key`, keeping its box (frame) where it was on screen. */
  const toggle = (key: string) => {
    const before = fig.groups.find((g) => g.key === key);
    if (!before) return;
    if (before.collapsed) expanded.add(key);
    else {
      expanded.delete(key);
      // collapsing a group forgets what was open inside it
      for (const k of [...expanded]) if (k.startsWith(key + '/')) expanded.delete(k);
    }
    fig = graphFigure(p, { expanded });
    state.figure = fig;
    expanded = new Set(fig.expanded);
    draw();
    const after = fig.groups.find((g) => g.key === key);
    if (after) {
      t.x += (before.box.x - after.box.x) * t.k;
      t.y += (before.box.y - after.box.y) * t.k;
    }
    moved = true;
    apply();
    stepper.refresh();
    (byGroup().get(key)?.querySelector('[data-group-toggle]') as SVGElement | null)?.focus?.();
  };
  const groupAt = (target: EventTarget | null): string | null => {
    const el = target instanceof Element ? target.closest('[data-group-toggle]') : null;
    return el ? el.getAttribute('data-group-toggle') : null;
  };

  // ---- stepping (graph-steps.ts) ----
  /** The element standing for node `id`: its own, or the collapsed group box hiding it. */
  const elementOf = (id: number): Element | null => {
    const own = byId().get(id);
    if (own) return own;
    const key = fig.hiddenIn.get(id);
    return key !== undefined ? byGroup().get(key) ?? null : null;
  };
  /** Pans (at the current zoom) so that node `id`, or the group hiding it, is in view. */
  const reveal = (id: number) => {
    const n = fig.nodes.find((m) => m.id === id);
    const key = fig.hiddenIn.get(id);
    const box = n ? { x: n.op ? n.op.cx - n.op.rx : n.box.x, y: n.box.y, x1: n.box.x + n.box.w, y1: n.box.y + n.box.h } : null;
    const g = !box && key !== undefined ? fig.groups.find((q) => q.key === key) : undefined;
    const b = box ?? (g ? { x: g.box.x, y: g.box.y, x1: g.box.x + g.box.w, y1: g.box.y + g.box.h } : null);
    if (!b) return;
    const { w, h: ch } = canvasSize();
    const sx0 = t.x + b.x * t.k;
    const sx1 = t.x + b.x1 * t.k;
    const sy0 = t.y + b.y * t.k;
    const sy1 = t.y + b.y1 * t.k;
    if (sx0 >= PAD && sx1 <= w - PAD && sy0 >= PAD && sy1 <= ch - PAD) return;
    moved = true;
    t.x = w / 2 - ((b.x + b.x1) / 2) * t.k;
    t.y = ch / 2 - ((b.y + b.y1) / 2) * t.k;
    apply();
  };

  let active = false; // the wheel zooms only after the graph was clicked, so notebook scrolling keeps working
  let drag: { x: number; y: number; tx: number; ty: number; moved: boolean; id: number } | null = null;
  const onDown = (ev: PointerEvent) => {
    if (ev.button !== 0) return;
    active = true;
    canvas.classList.add('gradlab-active');
    drag = { x: ev.clientX, y: ev.clientY, tx: t.x, ty: t.y, moved: false, id: ev.pointerId };
  };
  const onMove = (ev: PointerEvent) => {
    if (!drag) return;
    const dx = ev.clientX - drag.x;
    const dy = ev.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) > 3) {
      drag.moved = true;
      canvas.classList.add('gradlab-dragging');
      try {
        canvas.setPointerCapture?.(drag.id);
      } catch {
        /* pointer already gone */
      }
    }
    if (drag.moved) {
      moved = true;
      t.x = drag.tx + dx;
      t.y = drag.ty + dy;
      apply();
    }
  };
  const onUp = (ev: PointerEvent) => {
    if (!drag) return;
    const wasDrag = drag.moved;
    drag = null;
    canvas.classList.remove('gradlab-dragging');
    if (wasDrag) return;
    const key = groupAt(ev.target);
    if (key !== null) return toggle(key);
    const id = nodeIdAt(ev.target);
    pin(id === pinned ? null : id);
  };
  const onWheel = (ev: WheelEvent) => {
    if (!active && !ev.ctrlKey && !ev.metaKey) return;
    ev.preventDefault();
    const r = canvas.getBoundingClientRect();
    zoomAt(Math.exp(-ev.deltaY * (ev.deltaMode === 1 ? 0.05 : 0.002)), ev.clientX - r.left, ev.clientY - r.top);
  };
  const onLeave = () => {
    active = false;
    canvas.classList.remove('gradlab-active');
    if (pinned === null) showDetails(null);
  };
  const onKey = (ev: KeyboardEvent) => {
    if (stepper.onKey(ev)) return;
    const key = groupAt(ev.target);
    if (key !== null && (ev.key === 'Enter' || ev.key === ' ')) {
      ev.preventDefault();
      return toggle(key);
    }
    const step = 40;
    const { w, h: ch } = canvasSize();
    const pan = (dx: number, dy: number) => {
      moved = true;
      t.x += dx;
      t.y += dy;
      apply();
    };
    const moves: Record<string, () => void> = {
      '+': () => zoomAt(1.25, w / 2, ch / 2),
      '=': () => zoomAt(1.25, w / 2, ch / 2),
      '-': () => zoomAt(0.8, w / 2, ch / 2),
      '0': fitAll,
      ArrowLeft: () => pan(step, 0),
      ArrowRight: () => pan(-step, 0),
      ArrowUp: () => pan(0, step),
      ArrowDown: () => pan(0, -step),
      Escape: () => pin(null),
    };
    const f = moves[ev.key];
    if (f) {
      ev.preventDefault();
      f();
    }
  };

  // ---- details ----
  let pinned: number | null = null;
  const nodeIdAt = (target: EventTarget | null): number | null => {
    const el = target instanceof Element ? target.closest('[data-node-id]') : null;
    return el ? Number(el.getAttribute('data-node-id')) : null;
  };
  const showDetails = (id: number | null) => {
    if (id === null || !Number.isInteger(id)) {
      details.replaceChildren(doc.createTextNode('Hover over a node to see its details; click to keep them.'));
      return;
    }
    details.replaceChildren(...nodeDetails(doc, id, payloadNodes, id === pinned, p.rules));
  };
  const pin = (id: number | null) => {
    if (pinned !== null) byId().get(pinned)?.classList.remove('gradlab-selected');
    pinned = id;
    if (id !== null) byId().get(id)?.classList.add('gradlab-selected');
    showDetails(id);
  };
  const onOver = (ev: Event) => {
    if (pinned !== null || drag?.moved) return;
    const id = nodeIdAt(ev.target);
    if (id !== null) showDetails(id);
  };

  draw();
  sizeCanvas();
  initial();
  // The step-through toolbar (graph-steps.ts) under the header; it marks the elements elementOf gives.
  const stepper = createStepper(doc, p, { elementOf, reveal }, steppingOff(fig));
  stepperReady = true;
  header.after(stepper.element);

  canvas.addEventListener('pointerdown', onDown);
  canvas.addEventListener('pointermove', onMove);
  canvas.addEventListener('pointerup', onUp);
  canvas.addEventListener('pointerleave', onLeave);
  canvas.addEventListener('wheel', onWheel, { passive: false });
  canvas.addEventListener('keydown', onKey);
  canvas.addEventListener('mouseover', onOver);

  // Redo the first view when the output area or the canvas changes size (coalesced to one frame).
  let raf = 0;
  const schedule = () => {
    if (raf || typeof requestAnimationFrame !== 'function') return;
    raf = requestAnimationFrame(() => {
      raf = 0;
      if (root.isConnected) firstView();
    });
  };
  const ro = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(schedule) : null;
  ro?.observe(host);
  ro?.observe(canvas);
  // Drawn before being attached (JupyterLab renders off-screen first): fit once visible.
  if (!host.isConnected || canvas.clientWidth === 0) schedule();

  return mount(host, root, {
    dispose() {
      ro?.disconnect();
      if (raf) cancelAnimationFrame(raf);
      drawing?.cancel();
      stepper.dispose();
      canvas.removeEventListener('pointerdown', onDown);
      canvas.removeEventListener('pointermove', onMove);
      canvas.removeEventListener('pointerup', onUp);
      canvas.removeEventListener('pointerleave', onLeave);
      canvas.removeEventListener('wheel', onWheel);
      canvas.removeEventListener('keydown', onKey);
      canvas.removeEventListener('mouseover', onOver);
    },
  });
}

/**
 * Why stepping is off for `fig`, or null when it is on. A figure of part of a
 * payload (over the budget) is not stepped: its walk-through would show
 * gradients as complete that miss the contributions of the nodes left out,
 * and each step would replay the whole payload.
 */
export function steppingOff(fig: GraphFigure): string | null {
  if (!fig.cut) return null;
  return `Stepping is off for this graph: only the ${formatCount(fig.cut.kept)} nodes nearest the output of ${formatCount(fig.cut.total)} are drawn, and a walk-through of part of a graph would show gradients missing the contributions of the nodes left out.`;
}

/** The header's counts: "200,000 nodes · 20,000 drawn · 3 collapsed groups · 37,086 edges · layered layout 480 ms". */
function countsText(fig: GraphFigure, payloadCount: number): string {
  const collapsed = fig.groups.filter((g) => g.collapsed).length;
  return (
    `${formatCount(payloadCount)} nodes · ${formatCount(fig.nodes.length)} drawn` +
    (collapsed ? ` · ${formatCount(collapsed)} collapsed group${collapsed === 1 ? '' : 's'}` : '') +
    ` · ${formatCount(fig.edges.length)} edges · ${fig.layout} layout ${Math.round(fig.layoutMs)} ms`
  );
}

/** The figure's notes, and what the view itself leaves out: boxes away from the view of a very large figure. */
function viewNotes(fig: GraphFigure, d: Drawing): string[] {
  if (!d.windowed) return fig.notes;
  return [...fig.notes, `This figure has ${formatCount(d.boxes)} boxes: only the ${formatCount(DRAW_MAX)} nearest the part in view are in the page at a time; pan or zoom to draw others.`];
}

function legend(doc: Document): HTMLElement {
  const item = (swatch: string, text: string) =>
    h(doc, 'span', { class: 'gradlab-legend-item' }, h(doc, 'span', { class: `gradlab-swatch ${swatch}` }), text);
  return h(
    doc,
    'div',
    { class: 'gradlab-legend' },
    item('gradlab-swatch-op', 'op'),
    item('gradlab-swatch-box', 'value'),
    item('gradlab-swatch-grad', 'grad: ∂output/∂value'),
    item('gradlab-swatch-gradleaf', 'leaf that requires grad'),
    item('gradlab-swatch-output', 'output'),
    h(doc, 'span', { class: 'gradlab-muted' }, 'drag to pan · click, then wheel to zoom'),
  );
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function round(v: number, m = 10): number {
  return Math.round(v * m) / m;
}
