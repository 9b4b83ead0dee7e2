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
 *
 * This file makes the view's elements and wires its units (`GraphController`):
 * groups (graph-groups.ts), drawing (graph-draw.ts), pan and zoom
 * (viewport.ts), the pinned node's details (graph-selection.ts, graph-details.ts)
 * and the stepper (graph-steps.ts).
 */
import type { GraphPayload } from '../../engine/display/contract';
import { formatCount } from '../../engine/display/figures/format';
import type { GraphFigure } from '../../engine/display/figures/graph';
import { DRAW_MAX, drawFigure, nodeArea, type Drawing } from './graph-draw';
import { GraphGroups, groupAt } from './graph-groups';
import { GraphSelection } from './graph-selection';
import { createStepper, type Stepper } from './graph-steps';
import { Viewport, type Transform } from './viewport';
import { h, mount, s, safely, type View } from './dom';

/** The graph view, with what it laid out (for tests and timing). */
export interface GraphView extends View {
  /** The figure drawn now (it changes when a group is expanded or collapsed). */
  readonly figure: GraphFigure | null;
}

/** The view's elements: header (title, counts, zoom buttons), notes, the canvas with its panned and zoomed SVG group, legend, details. */
type Skeleton = ReturnType<typeof skeleton>;

function skeleton(doc: Document, title: string, details: HTMLElement) {
  const root = h(doc, 'div', { class: 'gradlab-figure gradlab-graph', 'data-gradlab-view': 'graph' });
  const counts = h(doc, 'span', { class: 'gradlab-muted' });
  const btn = (label: string, tip: string) => h(doc, 'button', { type: 'button', class: 'gradlab-button', title: tip, 'aria-label': tip }, label);
  const buttons = { zoomOut: btn('−', 'zoom out'), zoomIn: btn('+', 'zoom in'), fit: btn('fit', 'fit the whole graph'), actual: btn('1:1', 'actual size') };
  const header = h(
    doc,
    'div',
    { class: 'gradlab-header' },
    h(doc, 'span', { class: 'gradlab-title' }, title),
    counts,
    h(doc, 'span', { class: 'gradlab-toolbar' }, buttons.zoomOut, buttons.zoomIn, buttons.fit, buttons.actual),
  );
  const notes = h(doc, 'div', { class: 'gradlab-graph-notes' });
  // Canvas: an SVG whose one group is panned and zoomed.
  const canvas = h(doc, 'div', { class: 'gradlab-graph-canvas', tabindex: 0, 'aria-label': `${title}: graph, drag to pan` });
  const svg = s(doc, 'svg', { class: 'gradlab-graph-svg', width: '100%', height: '100%', role: 'img' });
  svg.append(s(doc, 'title', {}, title));
  const world = s(doc, 'g', { class: 'gradlab-graph-world' });
  svg.append(world);
  canvas.append(svg);
  root.append(header, notes, canvas, legend(doc), details);
  return { root, header, counts, buttons, notes, canvas, world };
}

/**
 * One graph view's units and how they talk: the figure with its groups
 * (graph-groups.ts), the drawing (graph-draw.ts), pan and zoom (viewport.ts),
 * the pinned node and its details (graph-selection.ts), and the stepper
 * (graph-steps.ts). Made in that order; events reach them through here.
 */
class GraphController {
  readonly el: Skeleton;
  private readonly doc: Document;
  private readonly payloadCount: number;
  private readonly state: { figure: GraphFigure | null };
  private readonly groups: GraphGroups;
  /** The drawing of the current figure: its elements by node id and group key. */
  private drawing: Drawing | null = null;
  private readonly viewport: Viewport;
  private readonly selection: GraphSelection;
  private readonly stepper: Stepper;

  constructor(host: HTMLElement, p: GraphPayload, state: { figure: GraphFigure | null }) {
    this.doc = host.ownerDocument;
    this.payloadCount = Array.isArray(p.nodes) ? p.nodes.length : 0;
    this.state = state;
    this.groups = new GraphGroups(p);
    state.figure = this.groups.fig;
    this.selection = new GraphSelection(this.doc, p, () => this.drawing?.byId);
    this.el = skeleton(this.doc, typeof p.title === 'string' && p.title ? p.title : 'computational graph', this.selection.panel);
    this.viewport = new Viewport({
      host,
      canvas: this.el.canvas,
      content: () => this.groups.fig,
      focusY: () => outputY(this.groups.fig),
      onChange: (t) => this.transformed(t),
      onClick: (ev) => this.click(ev),
      onKey: (ev) => this.key(ev),
      onLeave: () => this.selection.leave(),
      held: () => this.selection.pinned !== null,
    });
    // The step-through toolbar (graph-steps.ts) goes under the header; it marks the elements the drawing gives.
    this.stepper = createStepper(
      this.doc,
      p,
      { elementOf: (id) => this.drawing?.elementOf(id) ?? null, reveal: (id) => this.reveal(id) },
      steppingOff(this.groups.fig),
    );
    this.draw();
    this.viewport.show();
    this.el.header.after(this.stepper.element);
    const { zoomIn, zoomOut, fit, actual } = this.el.buttons;
    zoomIn.addEventListener('click', () => this.viewport.zoomBy(1.25));
    zoomOut.addEventListener('click', () => this.viewport.zoomBy(0.8));
    fit.addEventListener('click', () => this.viewport.fit());
    actual.addEventListener('click', () => this.viewport.actual());
    this.viewport.listen();
    this.selection.listen(this.el.canvas, () => this.viewport.dragging);
  }

  dispose(): void {
    this.viewport.dispose();
    this.drawing?.cancel();
    this.stepper.dispose();
    this.selection.dispose();
  }

  /** Draws the current figure (a large one in frames, nearest the output first; a very large one as a window around the view). */
  private draw(): void {
    const fig = this.groups.fig;
    this.drawing?.cancel();
    this.drawing = drawFigure(
      this.doc,
      this.el.world,
      fig,
      () => this.viewport.visible(),
      () => {
        this.selection.mark();
        this.stepper.refresh();
      },
    );
    this.el.counts.textContent = countsText(fig, this.payloadCount);
    this.el.notes.replaceChildren(...viewNotes(fig, this.drawing).map((note) => h(this.doc, 'div', { class: 'gradlab-note', role: 'note' }, '⚠ ' + note)));
    this.selection.mark();
  }

  private transformed(t: Transform): void {
    this.el.world.setAttribute('transform', `translate(${round(t.x)},${round(t.y)}) scale(${round(t.k, 1000)})`);
    this.drawing?.moved();
  }

  /** Expands or collapses group `key`, keeping its box (frame) where it was on screen. */
  private toggle(key: string): void {
    const shift = this.groups.toggle(key);
    if (!shift) return;
    this.state.figure = this.groups.fig;
    this.draw();
    const k = this.viewport.t.k;
    this.viewport.panBy(shift.dx * k, shift.dy * k);
    this.stepper.refresh();
    (this.drawing?.byGroup.get(key)?.querySelector('[data-group-toggle]') as SVGElement | null)?.focus?.();
  }

  /** Pans (at the current zoom) so that node `id`, or the group hiding it, is in view. */
  private reveal(id: number): void {
    const r = nodeArea(this.groups.fig, id);
    if (r) this.viewport.reveal(r);
  }

  /** A click without a drag: toggles the group there, or pins (or releases) the node there. */
  private click(ev: PointerEvent): void {
    const key = groupAt(ev.target);
    if (key !== null) return this.toggle(key);
    this.selection.click(ev.target);
  }

  /** The view's own keys, before the viewport's (zoom, pan): the stepper's, Enter or Space on a group, Escape. */
  private key(ev: KeyboardEvent): boolean {
    if (this.stepper.onKey(ev)) return true;
    const key = groupAt(ev.target);
    if (key !== null && (ev.key === 'Enter' || ev.key === ' ')) {
      ev.preventDefault();
      this.toggle(key);
      return true;
    }
    if (ev.key !== 'Escape') return false;
    ev.preventDefault();
    this.selection.pin(null);
    return true;
  }
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
  const view = safely(host, 'graph', () => {
    const graph = new GraphController(host, p, state);
    return mount(host, graph.el.root, { dispose: () => graph.dispose() });
  });
  return {
    get figure() {
      return state.figure;
    },
    dispose: () => view.dispose(),
  };
}

/** The height the first view of a figure too large to show whole centres on: the output's (or else the last node's, or a collapsed group's). */
function outputY(fig: GraphFigure): number | null {
  const out = fig.nodes.find((n) => n.output) ?? fig.nodes[fig.nodes.length - 1];
  const outBox = out?.box ?? fig.groups.find((g) => g.collapsed)?.box;
  return outBox ? outBox.y + outBox.h / 2 : null;
}

/**
 * Why stepping is off for `fig`, or null when it is on. A figure of part of a
 * payload (over the budget) is not stepped: its walk-through would show
 * gradients as complete that miss the contributions of the nodes left out,
 * and each step would replay the whole payload.
 */
function steppingOff(fig: GraphFigure): string | null {
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
  return [
    ...fig.notes,
    `This figure has ${formatCount(d.boxes)} boxes: only the ${formatCount(DRAW_MAX)} nearest the part in view are in the page at a time; pan or zoom to draw others.`,
  ];
}

function legend(doc: Document): HTMLElement {
  const item = (swatch: string, text: string) => h(doc, 'span', { class: 'gradlab-legend-item' }, h(doc, 'span', { class: `gradlab-swatch ${swatch}` }), text);
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

function round(v: number, m = 10): number {
  return Math.round(v * m) / m;
}
