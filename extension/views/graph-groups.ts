/**
 * Expanding and collapsing the scope groups of a graph view: the figure as the
 * user opened it, laid out again at each toggle. Which group a click or a key
 * was on is read from the drawing's `data-group-toggle` buttons (graph-draw.ts).
 */
import type { GraphPayload } from '../../engine/display/contract';
import { graphFigure, type GraphFigure } from '../../engine/display/figures/graph';

/** The figure of a payload with the groups the user expanded. */
export class GraphGroups {
  /** The figure laid out now. */
  fig: GraphFigure;
  private readonly p: GraphPayload;
  /** Keys of every expanded group (visible or not). */
  private expanded: Set<string>;

  constructor(p: GraphPayload) {
    this.p = p;
    this.fig = graphFigure(p);
    this.expanded = new Set(this.fig.expanded);
  }

  /**
   * Expands or collapses group `key` and lays the figure out again. Returns how
   * far the group's box moved in the figure (to pan it back where it was on
   * screen), or null when there is no such group (nothing changes).
   */
  toggle(key: string): { dx: number; dy: number } | null {
    const before = this.fig.groups.find((g) => g.key === key);
    if (!before) return null;
    if (before.collapsed) this.expanded.add(key);
    else {
      this.expanded.delete(key);
      // collapsing a group forgets what was open inside it
      for (const k of [...this.expanded]) if (k.startsWith(key + '/')) this.expanded.delete(k);
    }
    this.fig = graphFigure(this.p, { expanded: this.expanded });
    this.expanded = new Set(this.fig.expanded);
    const after = this.fig.groups.find((g) => g.key === key);
    return after ? { dx: before.box.x - after.box.x, dy: before.box.y - after.box.y } : { dx: 0, dy: 0 };
  }
}

/** The key of the group toggle button (a collapsed box, an expanded frame's label) at or around `target`, if any. */
export function groupAt(target: EventTarget | null): string | null {
  const el = target instanceof Element ? target.closest('[data-group-toggle]') : null;
  return el ? el.getAttribute('data-group-toggle') : null;
}
