/**
 * When a live loss curve stops being live: a kernel that restarted or died
 * never sends the final payload, so the view must find out by itself. A live
 * payload carries the kernel's clock at its send (`updatedAt`) and the longest
 * gap the kernel expects before the next one (`staleAfter`); past that gap the
 * view says "not finished" (the text is `lossCurveStatus(p, now)`'s).
 *
 * Clocks: the kernel may run on another machine whose clock is off. A payload
 * that arrived as a live update is judged by the page's own clock only: the gap
 * since it arrived, so a page that keeps receiving updates is live whatever the
 * clocks say. A payload rendered without a live update (a reopened notebook,
 * the first display of a run) can only be judged by `updatedAt` against the
 * page's clock.
 */
import type { LossCurvePayload } from '../../engine/display/contract';

/** The longest delay `setTimeout` takes (a longer one fires at once); a later deadline is re-armed. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** The stale timer of one view. */
export interface StaleWatch {
  /**
   * Takes the view's newest payload (`live`: it arrived as an update) and
   * re-arms the one timer at its stale deadline; `onStale` runs then.
   */
  track(p: LossCurvePayload, live: boolean): void;
  /**
   * The time to judge the newest payload by, on the kernel's clock: its
   * `updatedAt` plus the page time since it arrived live, or the page's clock
   * for a payload that did not arrive live.
   */
  now(): number;
  /** Clears the timer. */
  dispose(): void;
}

/** `p.updatedAt` and `p.staleAfter` when `p` is an open run that has them, else null. */
function openRun(p: LossCurvePayload): { updatedAt: number; staleAfter: number } | null {
  if (p?.done === true || typeof p?.stopped === 'string') return null;
  const { updatedAt, staleAfter } = p ?? {};
  if (typeof updatedAt !== 'number' || !Number.isFinite(updatedAt)) return null;
  if (typeof staleAfter !== 'number' || !(staleAfter >= 0)) return null;
  return { updatedAt, staleAfter };
}

/** A stale timer: `onStale` runs once the tracked payload's deadline has passed. */
export function staleWatch(onStale: () => void): StaleWatch {
  const clock = () => Date.now();
  let run: { updatedAt: number; staleAfter: number } | null = null;
  let receivedAt: number | null = null; // page clock when the newest payload arrived live
  let timer: ReturnType<typeof setTimeout> | undefined;

  /** The deadline on the page's clock. */
  const deadline = () => (run === null ? Infinity : receivedAt !== null ? receivedAt + run.staleAfter : run.updatedAt + run.staleAfter);

  const arm = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const wait = deadline() - clock();
    if (wait === Infinity || wait < 0) return;
    // +1: at the deadline itself the run is not stale yet (staleness is `now > updatedAt + staleAfter`)
    timer = setTimeout(
      () => {
        timer = undefined;
        if (clock() > deadline()) onStale();
        else arm();
      },
      Math.min(MAX_TIMEOUT_MS, wait + 1),
    );
  };

  return {
    track(p, live) {
      run = openRun(p);
      receivedAt = live ? clock() : null;
      arm();
    },
    now() {
      return run !== null && receivedAt !== null ? run.updatedAt + (clock() - receivedAt) : clock();
    },
    dispose() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      run = null;
    },
  };
}
