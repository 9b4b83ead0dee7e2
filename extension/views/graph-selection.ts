/**
 * The node whose details the graph view shows (graph-details.ts writes them):
 * the one under the pointer, or the one pinned by a click (marked
 * `gradlab-selected`) until it is clicked again, another is, or Escape.
 */
import type { GraphPayload } from '../../engine/display/contract';
import { nodeDetails } from './graph-details';
import { h } from './dom';

/** What the details panel says while no node is shown. */
const HINT = 'Hover over a node to see its details; click to keep them.';

/** The node id of the node element at or around `target`, if any. */
function nodeIdAt(target: EventTarget | null): number | null {
  const el = target instanceof Element ? target.closest('[data-node-id]') : null;
  return el ? Number(el.getAttribute('data-node-id')) : null;
}

/** The details panel and the pinned node. Node elements are looked up in the drawing of the moment (`byId`, none before the first). */
export class GraphSelection {
  /** The details panel (put it in the view). */
  readonly panel: HTMLElement;
  /** The pinned node, if any. */
  pinned: number | null = null;
  private readonly doc: Document;
  private readonly p: GraphPayload;
  private readonly nodes: unknown[];
  private readonly byId: () => ReadonlyMap<number, Element> | undefined;
  private canvas: HTMLElement | null = null;
  private busy: () => boolean = () => false;

  constructor(doc: Document, p: GraphPayload, byId: () => ReadonlyMap<number, Element> | undefined) {
    this.doc = doc;
    this.p = p;
    this.nodes = Array.isArray(p.nodes) ? p.nodes : [];
    this.byId = byId;
    this.panel = h(doc, 'div', { class: 'gradlab-graph-details', 'aria-live': 'polite' }, HINT);
  }

  /** Shows node `id`'s details (the hint when null). */
  show(id: number | null): void {
    if (id === null || !Number.isInteger(id)) {
      this.panel.replaceChildren(this.doc.createTextNode(HINT));
      return;
    }
    this.panel.replaceChildren(...nodeDetails(this.doc, id, this.nodes, id === this.pinned, this.p.rules));
  }

  /** Pins node `id` (null: none), marking its element. */
  pin(id: number | null): void {
    if (this.pinned !== null) this.byId()?.get(this.pinned)?.classList.remove('gradlab-selected');
    this.pinned = id;
    if (id !== null) this.byId()?.get(id)?.classList.add('gradlab-selected');
    this.show(id);
  }

  /** Marks the pinned node's element again (a new drawing, or one that drew it later). */
  mark(): void {
    if (this.pinned !== null) this.byId()?.get(this.pinned)?.classList.add('gradlab-selected');
  }

  /** A click on `target`: pins the node there, or releases the pinned one (clicked again, or a click beside the nodes). */
  click(target: EventTarget | null): void {
    const id = nodeIdAt(target);
    this.pin(id === this.pinned ? null : id);
  }

  /** The pointer left the view: back to the hint unless a node is pinned. */
  leave(): void {
    if (this.pinned === null) this.show(null);
  }

  /** Starts previewing the node under the pointer on `canvas`, except while `busy` (a drag). */
  listen(canvas: HTMLElement, busy: () => boolean): void {
    this.canvas = canvas;
    this.busy = busy;
    canvas.addEventListener('mouseover', this.onOver);
  }

  dispose(): void {
    this.canvas?.removeEventListener('mouseover', this.onOver);
  }

  private readonly onOver = (ev: Event): void => {
    if (this.pinned !== null || this.busy()) return;
    const id = nodeIdAt(ev.target);
    if (id !== null) this.show(id);
  };
}
