/**
 * One frame budget for every live view of the page. Each view used to redraw
 * at its own animation frame: 20 live loss curves meant 20 plotly redraws per
 * frame, the page fell 15–45 s behind the kernel (a CPU profile of that run:
 * ~75% of the page's time in `Plotly.react`, ~4% in JupyterLab's handling of
 * the update messages).
 *
 * Views hand their pending redraw to the page's {@link FrameQueue} instead: a
 * view has at most one job waiting (a newer request replaces the job but keeps
 * its place in the line, so the oldest-pending view goes first and none
 * starves), one `requestAnimationFrame` callback runs jobs until the frame's
 * budget is spent (always at least one), and leaves the rest to the next
 * frames. A frame that overran its budget (one costly redraw) is followed by a
 * rest of half the overrun, so drawing takes at most about two thirds of the
 * main thread and JupyterLab keeps up with the messages (and the user's input)
 * meanwhile.
 */

/** A redraw: its synchronous part is what the budget counts (Plotly.react draws synchronously). */
export type FrameJob = () => unknown;

/** The page's line of pending redraws. */
export interface FrameQueue {
  /**
   * Runs `job` at a coming frame. A job already waiting under `key` is replaced
   * by this one and keeps its turn. Views in sight go before views scrolled out
   * of sight (`hidden`), each line first come, first served.
   */
  request(key: object, job: FrameJob, hidden?: boolean): void;
  /** Drops the job waiting under `key`, if any (a disposed view). */
  cancel(key: object): void;
  /** Jobs waiting. */
  readonly pending: number;
}

/** Drawing time per frame, ms: leaves a 60 fps frame a few ms for the browser's own work. */
export const FRAME_BUDGET_MS = 12;

/** A job of a hidden view that waited this long (ms) goes before the views in sight: none starves. */
const HIDDEN_MAX_WAIT_MS = 1000;

class Frames implements FrameQueue {
  private readonly jobs = new Map<object, FrameJob>();
  private readonly hiddenJobs = new Map<object, FrameJob>();
  /** When each waiting job of a hidden view was first requested. */
  private readonly since = new WeakMap<object, number>();
  private frame = 0;
  private timer = 0;
  /** Not before this time (the rest after a frame that overran its budget). */
  private restUntil = 0;

  constructor(
    private readonly win: Window,
    private readonly budgetMs: number,
  ) {}

  get pending(): number {
    return this.jobs.size + this.hiddenJobs.size;
  }

  request(key: object, job: FrameJob, hidden = false): void {
    const [line, other] = hidden ? [this.hiddenJobs, this.jobs] : [this.jobs, this.hiddenJobs];
    other.delete(key);
    if (!line.has(key)) this.since.set(key, this.now());
    line.set(key, job); // Map.set on a present key keeps its place: first requested, first drawn
    this.wake();
  }

  cancel(key: object): void {
    this.jobs.delete(key);
    this.hiddenJobs.delete(key);
  }

  /** Whether the oldest job of a hidden view has waited longer than {@link HIDDEN_MAX_WAIT_MS}. */
  private hiddenOverdue(): boolean {
    const first = this.hiddenJobs.keys().next();
    return !first.done && this.now() - (this.since.get(first.value) ?? 0) > HIDDEN_MAX_WAIT_MS;
  }

  private now(): number {
    return (this.win.performance ?? performance).now();
  }

  private wake(): void {
    if (this.frame || this.timer || this.pending === 0) return;
    const rest = this.restUntil - this.now();
    if (rest > 0) {
      this.timer = this.win.setTimeout(() => {
        this.timer = 0;
        this.wake();
      }, rest);
      return;
    }
    this.frame = this.win.requestAnimationFrame(() => this.run());
  }

  private run(): void {
    this.frame = 0;
    const start = this.now();
    let spent = 0;
    // jobs requested while this frame runs go to the back of the line; the budget bounds the loop
    while (this.pending > 0 && (spent === 0 || spent < this.budgetMs)) {
      const line = this.jobs.size > 0 && !this.hiddenOverdue() ? this.jobs : this.hiddenJobs;
      const [key, job] = line.entries().next().value as [object, FrameJob];
      line.delete(key);
      try {
        const r = job();
        if (r instanceof Promise) r.catch((e: unknown) => console.error('gradlab: a view failed to redraw', e));
      } catch (e) {
        console.error('gradlab: a view failed to redraw', e);
      }
      spent = this.now() - start;
    }
    // rest half the overrun: drawing takes at most about two thirds of the main thread
    this.restUntil = spent > this.budgetMs ? start + spent + (spent - this.budgetMs) / 2 : 0;
    this.wake();
  }
}

const queues = new WeakMap<Window, FrameQueue>();

/** The frame queue of `win`'s page (one per window, shared by every view in it). */
export function frameQueue(win: Window = window, budgetMs = FRAME_BUDGET_MS): FrameQueue {
  let q = queues.get(win);
  if (!q) {
    q = new Frames(win, budgetMs);
    queues.set(win, q);
  }
  return q;
}

/** One view's redraws, through the page's {@link FrameQueue}. */
export interface PacedRedraw {
  /**
   * Asks for a redraw of the view's newest state. Requests coalesce: at most
   * one redraw waits. `now` skips the pacing (a user's toggle, the last payload of a run).
   */
  request(now?: boolean): void;
  /** Stops: nothing more is drawn. */
  dispose(): void;
}

/** Least time between two redraws of one view, ms; also at least twice its last redraw's cost, up to {@link MAX_REDRAW_GAP_MS}. */
const MIN_REDRAW_GAP_MS = 100;
const MAX_REDRAW_GAP_MS = 1000;
/** Least time between two live redraws of a view scrolled out of sight, ms (it is redrawn as soon as it shows). */
const HIDDEN_REDRAW_GAP_MS = 3000;

/**
 * Redraws of one view by `draw` (which reads the view's newest state), paced so
 * that they take at most a third of the time: one costly view (100,000 points)
 * cannot fill every frame. Each redraw waits its turn in the page's frame queue.
 * While `el` is scrolled out of sight its live redraws wait {@link HIDDEN_REDRAW_GAP_MS}
 * (20 curves in a notebook: most of them are off screen), and a waiting one runs
 * when it comes into sight.
 */
export function pacedRedraw(win: Window, draw: () => unknown, el?: Element): PacedRedraw {
  const queue = frameQueue(win);
  const key = {};
  const now = () => (win.performance ?? performance).now();
  let disposed = false;
  let running = false;
  let again: boolean | null = null; // a request that came while drawing (true: an urgent one)
  let timer = 0;
  let lastEnd = -Infinity;
  let cost = 0;
  let visible = true; // until the observer says otherwise
  let queued = false; // a redraw waits in the frame queue

  // run and request call each other: function declarations
  async function run(): Promise<void> {
    queued = false;
    if (disposed) return;
    running = true;
    const t0 = now();
    try {
      await draw();
    } finally {
      running = false;
      // NOTE: the first redraw's cost includes plotly's one-time set-up: it does not set the pace
      if (lastEnd > -Infinity) cost = now() - t0;
      lastEnd = now();
    }
    if (again !== null) {
      const urgent = again;
      again = null;
      request(urgent);
    }
  }

  function request(urgent = false): void {
    if (disposed) return;
    if (running) {
      again = again === true || urgent;
      return;
    }
    const gap = Math.min(MAX_REDRAW_GAP_MS, Math.max(MIN_REDRAW_GAP_MS, 2 * cost));
    const wait = urgent ? 0 : lastEnd + (visible ? gap : Math.max(gap, HIDDEN_REDRAW_GAP_MS)) - now();
    if (wait > 0) {
      if (!timer) {
        timer = win.setTimeout(() => {
          timer = 0;
          request(true);
        }, wait);
      }
      return;
    }
    if (timer) win.clearTimeout(timer);
    timer = 0;
    queued = true;
    queue.request(key, run, !visible);
  }

  const io =
    el && typeof IntersectionObserver !== 'undefined'
      ? new IntersectionObserver((entries) => {
          visible = entries[entries.length - 1]?.isIntersecting ?? visible;
          if (visible && timer)
            request(true); // a redraw was waiting for its (hidden) turn
          else if (visible && queued) queue.request(key, run); // to the line of the views in sight
        })
      : null;
  if (el) io?.observe(el);

  return {
    request,
    dispose() {
      disposed = true;
      io?.disconnect();
      if (timer) win.clearTimeout(timer);
      queue.cancel(key);
    },
  };
}
