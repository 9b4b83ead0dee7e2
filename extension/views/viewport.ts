/**
 * Pan and zoom of a view's content: the transform and everything that changes
 * it. The first view (the whole content when it is readable that small, else
 * its right end, where the output is, at a readable zoom), fit and 1:1, drag to
 * pan, the wheel to zoom (once the canvas has been clicked, or with Ctrl/⌘ held,
 * so that scrolling the notebook still works), keys, and the first view again
 * whenever the output changes size (coalesced to one frame) until the user
 * moves the content.
 *
 * It knows nothing of what is drawn: the view gives the content's size, draws
 * each transform (`onChange`), and decides what a click, a key of its own or
 * the pointer leaving means. The graph view uses it; any view of content larger
 * than its output (a big picture, a long chain) can.
 */

/** Pan and zoom: content point (x, y) is drawn at (x·k + x₀, y·k + y₀) on the canvas, with (x₀, y₀) = (`x`, `y`). */
export interface Transform {
  k: number;
  x: number;
  y: number;
}

/** A rectangle in content coordinates. */
export interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** What a {@link Viewport} moves, and what the view does on its events. */
export interface ViewportOptions {
  /** The output area: its width sets the canvas's height; a change of its size redoes the first view. */
  host: HTMLElement;
  /** The element that takes the pointer, the wheel and the keys; its size is the view's. */
  canvas: HTMLElement;
  /** The content's size in its own units (read at each fit: the content may change). */
  content(): { width: number; height: number };
  /** The height (content y) the first view of content too large to show whole centres on (the output's), if any. */
  focusY(): number | null;
  /** Draws transform `t` (after every change). */
  onChange(t: Transform): void;
  /** A press and release of the main button without a drag. */
  onClick(ev: PointerEvent): void;
  /** Gets every key first: returns true when the key was the view's own (the viewport then ignores it). */
  onKey(ev: KeyboardEvent): boolean;
  /** The pointer left the canvas. */
  onLeave(): void;
  /** While true, a change of size keeps the view as it is, as after a move (the graph: a node is pinned). */
  held(): boolean;
}

const MIN_ZOOM = 0.05;
const MAX_ZOOM = 4;
/** Content that fits at this zoom or more is first shown whole... */
const FIT_ZOOM = 0.4;
/** ...larger content first shows its right end at this zoom, where text is readable. */
const READABLE_ZOOM = 0.6;
/** Tallest the canvas grows before it scrolls by panning instead; and the shortest. */
const MAX_CANVAS_H = 560;
const MIN_CANVAS_H = 80;
/** Margin around the content, in pixels. */
const PAD = 8;
/** Pixels an arrow key pans, and how far the pointer moves before a press becomes a drag. */
const KEY_STEP = 40;
const DRAG_START = 3;

/** A press of the main button on the canvas, until it is released. */
interface Press {
  x: number;
  y: number;
  tx: number;
  ty: number;
  moved: boolean;
  id: number;
}

/** The pan and zoom of one canvas. Call {@link show} for the first view, then {@link listen}; {@link dispose} at the end. */
export class Viewport {
  /** The transform now. */
  readonly t: Transform = { k: 1, x: PAD, y: PAD };
  /** The user has panned, zoomed, revealed or moved the content: a change of size no longer resets the view. */
  moved = false;
  private readonly o: ViewportOptions;
  /** The wheel zooms only after the canvas was clicked, so notebook scrolling keeps working. */
  private active = false;
  private press: Press | null = null;
  /** The canvas size the first view was last made for. */
  private fittedAt = { w: -1, h: -1 };
  private raf = 0;
  private ro: ResizeObserver | null = null;

  constructor(options: ViewportOptions) {
    this.o = options;
  }

  /** True while the pointer drags the content. */
  get dragging(): boolean {
    return this.press?.moved === true;
  }

  /** The canvas's size in pixels (0 while it is not laid out). */
  size(): { w: number; h: number } {
    const { canvas } = this.o;
    return { w: canvas.clientWidth || 0, h: canvas.clientHeight || 0 };
  }

  /** The part of the content in view, or null while the canvas has no size. */
  visible(): Rect | null {
    const { w, h } = this.size();
    const t = this.t;
    return w > 0 && h > 0 ? { x0: -t.x / t.k, y0: -t.y / t.k, x1: (w - t.x) / t.k, y1: (h - t.y) / t.k } : null;
  }

  /** Zooms by `factor`, keeping canvas point (cx, cy) where it is. */
  zoomAt(factor: number, cx: number, cy: number): void {
    const t = this.t;
    this.moved = true;
    const k = clamp(t.k * factor, MIN_ZOOM, MAX_ZOOM);
    t.x = cx - ((cx - t.x) * k) / t.k;
    t.y = cy - ((cy - t.y) * k) / t.k;
    t.k = k;
    this.apply();
  }

  /** Zooms by `factor` about the canvas's centre. */
  zoomBy(factor: number): void {
    const { w, h } = this.size();
    this.zoomAt(factor, w / 2, h / 2);
  }

  /** Pans by (dx, dy) pixels. */
  panBy(dx: number, dy: number): void {
    this.moved = true;
    this.t.x += dx;
    this.t.y += dy;
    this.apply();
  }

  /** The whole content, centred (not a move of the user's: a change of size may fit again). */
  fit(): void {
    const { w, h } = this.size();
    if (w <= 0) return this.apply();
    const { width, height } = this.o.content();
    const k = clamp(Math.min((w - 2 * PAD) / width, ((h || MAX_CANVAS_H) - 2 * PAD) / height, 1), MIN_ZOOM, 1);
    this.t.k = k;
    this.t.x = (w - width * k) / 2;
    this.t.y = Math.max(PAD, ((h || 0) - height * k) / 2);
    this.apply();
  }

  /** The content at its own size, from its top left corner. */
  actual(): void {
    this.moved = true;
    Object.assign(this.t, { k: 1, x: PAD, y: PAD });
    this.apply();
  }

  /** Pans (at the current zoom) so that `r` is in view; nothing when it already is. */
  reveal(r: Rect): void {
    const { w, h } = this.size();
    const t = this.t;
    if (t.x + r.x0 * t.k >= PAD && t.x + r.x1 * t.k <= w - PAD && t.y + r.y0 * t.k >= PAD && t.y + r.y1 * t.k <= h - PAD) return;
    this.moved = true;
    t.x = w / 2 - ((r.x0 + r.x1) / 2) * t.k;
    t.y = h / 2 - ((r.y0 + r.y1) / 2) * t.k;
    this.apply();
  }

  /** Sizes the canvas and shows the first view. */
  show(): void {
    this.sizeCanvas();
    this.initial();
  }

  /** Starts taking the pointer, the wheel and the keys, and following changes of size. */
  listen(): void {
    const { canvas, host } = this.o;
    canvas.addEventListener('pointerdown', this.onDown);
    canvas.addEventListener('pointermove', this.onMove);
    canvas.addEventListener('pointerup', this.onUp);
    canvas.addEventListener('pointerleave', this.onLeave);
    canvas.addEventListener('wheel', this.onWheel, { passive: false });
    canvas.addEventListener('keydown', this.onKey);
    // Redo the first view when the output area or the canvas changes size (coalesced to one frame).
    this.ro = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(this.schedule) : null;
    this.ro?.observe(host);
    this.ro?.observe(canvas);
    // Drawn before being attached (JupyterLab renders off-screen first): fit once visible.
    if (!host.isConnected || canvas.clientWidth === 0) this.schedule();
  }

  dispose(): void {
    const { canvas } = this.o;
    this.ro?.disconnect();
    if (this.raf) cancelAnimationFrame(this.raf);
    canvas.removeEventListener('pointerdown', this.onDown);
    canvas.removeEventListener('pointermove', this.onMove);
    canvas.removeEventListener('pointerup', this.onUp);
    canvas.removeEventListener('pointerleave', this.onLeave);
    canvas.removeEventListener('wheel', this.onWheel);
    canvas.removeEventListener('keydown', this.onKey);
  }

  /** The first view: the whole content when it is readable that small, else its right end at a readable zoom. */
  private initial(): void {
    const { w, h } = this.size();
    if (w <= 0) return this.apply();
    const { width, height } = this.o.content();
    const k = Math.min((w - 2 * PAD) / width, ((h || MAX_CANVAS_H) - 2 * PAD) / height, 1);
    if (k >= FIT_ZOOM) return this.fit();
    const focus = this.o.focusY();
    const t = this.t;
    t.k = READABLE_ZOOM;
    t.x = Math.min(PAD, w - PAD - width * t.k);
    t.y = height * t.k <= h - 2 * PAD ? (h - height * t.k) / 2 : clamp(h / 2 - (focus ?? 0) * t.k, h - PAD - height * t.k, PAD);
    this.apply();
  }

  /** Draws the transform as it is now. */
  private apply(): void {
    this.o.onChange(this.t);
  }

  /** The canvas is as tall as the content at the first view's zoom, within limits. */
  private sizeCanvas(): void {
    const { canvas, host } = this.o;
    const { width, height } = this.o.content();
    const w = host.clientWidth || canvas.clientWidth || 0;
    const fitW = w > 0 ? (w - 2 * PAD) / width : 1;
    const k = Math.min(1, fitW >= FIT_ZOOM ? fitW : READABLE_ZOOM);
    canvas.style.height = `${Math.round(clamp(height * k + 2 * PAD, MIN_CANVAS_H, MAX_CANVAS_H))}px`;
  }

  /**
   * The first view, again whenever the canvas changed size, until the user
   * moves the content (or the view holds it). JupyterLab may lay the output out
   * narrower than its final width first (and a scrollbar may come and go); a
   * view fitted once at that width would stay cut off until "fit" was pressed.
   */
  private refit(): void {
    if (this.moved || this.o.held()) return;
    this.sizeCanvas();
    const { w, h } = this.size();
    if (w === this.fittedAt.w && h === this.fittedAt.h) return;
    this.fittedAt = { w, h };
    this.initial();
  }

  private readonly schedule = (): void => {
    if (this.raf || typeof requestAnimationFrame !== 'function') return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      if (this.o.canvas.isConnected) this.refit();
    });
  };

  private readonly onDown = (ev: PointerEvent): void => {
    if (ev.button !== 0) return;
    this.active = true;
    this.o.canvas.classList.add('gradlab-active');
    this.press = { x: ev.clientX, y: ev.clientY, tx: this.t.x, ty: this.t.y, moved: false, id: ev.pointerId };
  };

  private readonly onMove = (ev: PointerEvent): void => {
    const press = this.press;
    if (!press) return;
    const dx = ev.clientX - press.x;
    const dy = ev.clientY - press.y;
    if (!press.moved && Math.hypot(dx, dy) > DRAG_START) {
      press.moved = true;
      this.o.canvas.classList.add('gradlab-dragging');
      try {
        this.o.canvas.setPointerCapture?.(press.id);
      } catch {
        /* pointer already gone */
      }
    }
    if (press.moved) {
      this.moved = true;
      this.t.x = press.tx + dx;
      this.t.y = press.ty + dy;
      this.apply();
    }
  };

  private readonly onUp = (ev: PointerEvent): void => {
    if (!this.press) return;
    const wasDrag = this.press.moved;
    this.press = null;
    this.o.canvas.classList.remove('gradlab-dragging');
    if (!wasDrag) this.o.onClick(ev);
  };

  private readonly onWheel = (ev: WheelEvent): void => {
    if (!this.active && !ev.ctrlKey && !ev.metaKey) return;
    ev.preventDefault();
    const r = this.o.canvas.getBoundingClientRect();
    this.zoomAt(Math.exp(-ev.deltaY * (ev.deltaMode === 1 ? 0.05 : 0.002)), ev.clientX - r.left, ev.clientY - r.top);
  };

  private readonly onLeave = (): void => {
    this.active = false;
    this.o.canvas.classList.remove('gradlab-active');
    this.o.onLeave();
  };

  private readonly onKey = (ev: KeyboardEvent): void => {
    if (this.o.onKey(ev)) return;
    const moves: Record<string, () => void> = {
      '+': () => this.zoomBy(1.25),
      '=': () => this.zoomBy(1.25),
      '-': () => this.zoomBy(0.8),
      '0': () => this.fit(),
      ArrowLeft: () => this.panBy(KEY_STEP, 0),
      ArrowRight: () => this.panBy(-KEY_STEP, 0),
      ArrowUp: () => this.panBy(0, KEY_STEP),
      ArrowDown: () => this.panBy(0, -KEY_STEP),
    };
    const f = moves[ev.key];
    if (f) {
      ev.preventDefault();
      f();
    }
  };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
