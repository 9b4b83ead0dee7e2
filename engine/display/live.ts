/**
 * A display that updates in place while a cell runs (the live loss curve), and
 * always ends in its true final state.
 *
 * - Throttled sends: at most one per `minInterval` (or 20× the cost of the last
 *   send, so sending stays under ~5% of the time), and a point held back by the
 *   throttle goes out within that interval: a trailing timer sends it while the
 *   cell awaits, and the end of the cell sends it otherwise.
 * - The end of its cell (kernel.ts `onCellEnd`, before the kernel reports the
 *   cell idle, so the page and the saved notebook get it): whatever was not
 *   sent is sent, and a display that was not finished by its owner is marked
 *   by the owner from how the cell ended (done, interrupted, failed).
 * - Liveness: every update carries the kernel's clock and the longest gap to
 *   expect before the next one (see {@link LiveDisplay.staleAfter}); while its
 *   cell awaits with nothing new, a heartbeat re-sends it so a slow `await`
 *   does not look like a dead kernel. A view shows a payload older than that
 *   as "not finished" (figures/curve.ts `lossCurveStatus`): after a kernel
 *   restart nothing else could tell.
 * - A display belongs to the cell it was last shown in. Shown again from a
 *   later cell (see {@link LiveDisplay.reopen}), it is displayed in that cell
 *   too, under the same display id, so both outputs show the same state.
 */
import { cellRunning, currentCell, kernelDisplay, newDisplayId, onCellEnd, type CellEnd, type DisplayBundle, type KernelDisplay } from './kernel';

/** The longest delay setTimeout takes as asked. */
const MAX_TIMEOUT = 2 ** 31 - 1;

/** The fewest ms between two updates (the default `minInterval`). */
export const LIVE_MIN_INTERVAL = 250;
/** While its cell awaits with nothing new, a live display is re-sent this often (ms), to show it is alive. */
const LIVE_HEARTBEAT = 20_000;
/** The least `staleAfter` (ms): no live display reads as dead before a minute without an update. */
const LIVE_STALE_FLOOR = 60_000;
/** `staleAfter` is at least this many times the longest gap seen between two changes (a slow step) and the send interval. */
const LIVE_STALE_FACTOR = 4;

/** How a cell ended, for the owner of a display: see kernel.ts `CellEnd`. */
type CellOutcome = CellEnd['outcome'];

/** What a live display shows: its owner renders the bundle, and decides what the end of its cell means. */
export interface LiveSource {
  /** The bundle to send now; `live` carries the liveness stamp to put in the payload (absent once finished). */
  bundle(live: { updatedAt: number; staleAfter: number } | null): DisplayBundle;
  /** The cell the display belongs to ended before the owner finished it: update the state (done, stopped). */
  cellEnded(outcome: CellOutcome): void;
}

/** Open displays, for the end of their cell. */
const open = new Set<LiveDisplay>();
let hooked: boolean | null = null;

function watchCellEnds(): boolean {
  hooked ??= onCellEnd((end) => {
    for (const d of [...open]) if (d.cell === end.cell) d.endOfCell(end);
  });
  return hooked;
}

/** A display updated in place while its cell runs. */
export class LiveDisplay {
  readonly id = newDisplayId();
  /** The cell whose output shows it (the last `display_data`), null outside a kernel. */
  cell: number | null = null;
  private finished = false;
  private pending = false;
  private lastSend = 0;
  private sendCost = 0;
  private lastChange = Date.now();
  private longestGap = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly source: LiveSource,
    private readonly minInterval = LIVE_MIN_INTERVAL,
  ) {}

  /**
   * The longest gap (ms) to expect before the next update, sent with each one:
   * the larger of a minute, {@link LIVE_STALE_FACTOR} times the longest gap seen
   * between two changes (so a run whose steps take 30 s gets 2 min), and as
   * many times the send interval. Heartbeats cover a cell that awaits; a
   * synchronous step blocks them, which is what the step factor is for. Past
   * it the view says "not finished: no update since …", naming both causes.
   */
  get staleAfter(): number {
    return Math.max(LIVE_STALE_FLOOR, LIVE_STALE_FACTOR * this.longestGap, LIVE_STALE_FACTOR * this.interval());
  }

  private interval(): number {
    return Math.max(this.minInterval, 20 * this.sendCost);
  }

  /** Shows it in the running cell (a new output there). */
  show(): void {
    const k = kernelDisplay();
    this.lastSend = Date.now();
    this.lastChange = this.lastSend;
    if (!k) return;
    this.cell = currentCell();
    this.sendWith(k, false);
    if (!this.finished && watchCellEnds()) open.add(this);
    this.schedule();
  }

  /**
   * Something changed: sends now when the interval has passed since the last
   * send (resolving after one turn of the event loop, so the message leaves
   * while the caller's loop runs), otherwise within the interval.
   */
  changed(): Promise<void> {
    const now = Date.now();
    this.longestGap = Math.max(this.longestGap, now - this.lastChange);
    this.lastChange = now;
    this.pending = true;
    if (!kernelDisplay()) return Promise.resolve();
    if (now - this.lastSend >= this.interval()) {
      this.send();
      return new Promise((r) => setImmediate(r));
    }
    this.schedule();
    return Promise.resolve();
  }

  /**
   * Live again after its cell ended: from a later cell it is displayed again in
   * that cell (the earlier output keeps updating too: same display id) and now
   * belongs to it; from the same cell (code still running after its cell ended)
   * it is updated in place.
   */
  reopen(): void {
    this.finished = false;
    const k = kernelDisplay();
    if (!k) return;
    const cell = currentCell();
    if (cell !== this.cell) {
      this.cell = cell;
      this.sendWith(k, false);
    }
    if (watchCellEnds()) open.add(this);
    this.schedule();
  }

  /** The owner finished it (closed): sends the final state now. */
  finish(): void {
    this.finished = true;
    this.forget();
    const k = kernelDisplay();
    if (k) this.sendWith(k, true);
  }

  /** Sends the current state now, whatever the throttle says. */
  flush(): void {
    const k = kernelDisplay();
    if (k) this.sendWith(k, true);
  }

  /** @internal Called at the end of its cell: the owner marks the state, and it is sent into that cell. */
  endOfCell(end: CellEnd): void {
    this.forget();
    this.finished = true;
    this.source.cellEnded(end.outcome);
    this.sendWith(end.display, true);
  }

  private forget(): void {
    open.delete(this);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private send(): void {
    const k = kernelDisplay();
    if (k) this.sendWith(k, true);
  }

  private sendWith(k: KernelDisplay, update: boolean): void {
    this.pending = false;
    const t0 = performance.now();
    const now = Date.now();
    k.send(this.source.bundle(this.finished ? null : { updatedAt: now, staleAfter: this.staleAfter }), this.id, update);
    this.sendCost = performance.now() - t0;
    this.lastSend = Date.now();
    this.schedule();
  }

  /** One timer: the held-back change within the interval, else a heartbeat while the cell still runs. */
  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.finished) return;
    const running = this.cell === null ? null : cellRunning(this.cell);
    if (!this.pending && running !== true) return;
    const due = this.lastSend + (this.pending ? this.interval() : LIVE_HEARTBEAT);
    // NOTE: setTimeout fires at once for delays past 2^31 - 1 ms (a huge minInterval): wait in steps.
    this.timer = setTimeout(
      () => {
        this.timer = null;
        if (this.finished) return;
        if (Date.now() < due) this.schedule();
        else if (this.pending || (this.cell !== null && cellRunning(this.cell) === true)) this.send();
      },
      Math.min(MAX_TIMEOUT, Math.max(0, due - Date.now())),
    );
    // a timer never keeps a script alive (outside a kernel nothing is scheduled anyway)
    this.timer.unref?.();
  }
}
