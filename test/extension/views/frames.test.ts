import { describe, expect, it } from 'vitest';
import { FRAME_BUDGET_MS, frameQueue } from '../../../extension/views/frames';

/** A window whose frames and clock the test drives: `frame()` runs one animation frame. */
function fakeWindow() {
  let t = 0;
  let frames: FrameRequestCallback[] = [];
  const timers: { at: number; fn: () => void }[] = [];
  const win = {
    performance: { now: () => t },
    requestAnimationFrame: (cb: FrameRequestCallback) => frames.push(cb),
    setTimeout: (fn: () => void, ms: number) => timers.push({ at: t + ms, fn }),
    clearTimeout: () => {},
  } as unknown as Window;
  return {
    win,
    /** Work that takes `ms` of the page's time. */
    work: (ms: number) => (t += ms),
    pendingFrames: () => frames.length,
    frame() {
      const run = frames;
      frames = [];
      for (const cb of run) cb(t);
      t += 1;
    },
    /** Lets `ms` pass without a frame, running the timers due. */
    wait(ms: number) {
      t += ms;
      for (const timer of timers.splice(0).filter((x) => (x.at <= t ? (x.fn(), false) : true))) timers.push(timer);
    },
  };
}

describe('frameQueue: one frame budget for every live view of the page', () => {
  it('20 views asking at once are drawn a few per frame, within the budget, in the order they asked', () => {
    const page = fakeWindow();
    const q = frameQueue(page.win);
    const drawn: number[][] = [];
    let current: number[] = [];
    for (let k = 0; k < 20; k++) q.request({ view: k }, () => (current.push(k), page.work(4)));
    expect(page.pendingFrames()).toBe(1); // one frame callback for all of them
    while (q.pending > 0 && drawn.length < 50) {
      page.frame();
      drawn.push(current);
      current = [];
    }
    // 4 ms each: 3 fit a 12 ms budget; every view drawn once, oldest first
    expect(FRAME_BUDGET_MS).toBe(12);
    expect(drawn.map((f) => f.length)).toEqual([3, 3, 3, 3, 3, 3, 2]);
    expect(drawn.flat()).toEqual(Array.from({ length: 20 }, (_, k) => k));
  });

  it('a newer request replaces the waiting job and keeps its turn; a view asking again every frame starves none', () => {
    const page = fakeWindow();
    const q = frameQueue(page.win);
    const a = {};
    const log: string[] = [];
    const greedy = () => {
      log.push('a');
      page.work(10);
      q.request(a, greedy); // asks again at once, every time
    };
    q.request(a, () => log.push('a (old)'));
    q.request({}, () => (log.push('b'), page.work(10)));
    q.request(a, greedy); // replaces 'a (old)', still first in line
    q.request({}, () => (log.push('c'), page.work(10)));
    for (let i = 0; i < 4; i++) page.frame();
    expect(log.slice(0, 3)).toEqual(['a', 'b', 'c']);
    expect(log).not.toContain('a (old)');
  });

  it('always draws one view per frame, and rests half the overrun after a frame that overran the budget', () => {
    const page = fakeWindow();
    const q = frameQueue(page.win);
    let runs = 0;
    for (let k = 0; k < 3; k++) q.request({}, () => (runs++, page.work(40)));
    page.frame();
    expect(runs).toBe(1); // 40 ms > budget: one per frame, never zero
    expect(page.pendingFrames()).toBe(0); // resting: (40 - 12) / 2 = 14 ms before the next frame is asked for
    page.wait(10);
    expect(page.pendingFrames()).toBe(0);
    page.wait(5);
    expect(page.pendingFrames()).toBe(1);
    page.frame();
    expect(runs).toBe(2);
  });

  it('a cancelled job (a disposed view) is not run', () => {
    const page = fakeWindow();
    const q = frameQueue(page.win);
    const key = {};
    let ran = false;
    q.request(key, () => (ran = true));
    q.cancel(key);
    page.frame();
    expect(ran).toBe(false);
    expect(q.pending).toBe(0);
  });
});

describe('frameQueue: views in sight first', () => {
  it('a view in sight asking after hidden ones is drawn before them; hidden ones keep their order', () => {
    const page = fakeWindow();
    const q = frameQueue(page.win);
    const log: string[] = [];
    for (const k of [1, 2, 3]) q.request({}, () => (log.push(`hidden ${k}`), page.work(20)), true);
    const shown = {};
    q.request(shown, () => (log.push('in sight'), page.work(20)));
    for (let i = 0; i < 10 && q.pending; i++) {
      page.frame();
      page.wait(50);
    }
    expect(log).toEqual(['in sight', 'hidden 1', 'hidden 2', 'hidden 3']);
  });
});

describe('frameQueue: hidden views do not starve', () => {
  it('views in sight asking again and again still let a hidden view draw within about a second', () => {
    const page = fakeWindow();
    const q = frameQueue(page.win);
    const log: string[] = [];
    const busy = {};
    const again = () => {
      log.push('in sight');
      page.work(20);
      q.request(busy, again);
    };
    q.request({}, () => log.push('hidden'), true);
    q.request(busy, again);
    for (let i = 0; i < 100 && !log.includes('hidden'); i++) {
      page.frame();
      page.wait(10);
    }
    expect(log).toContain('hidden');
    expect(log.indexOf('hidden')).toBeLessThanOrEqual(40); // ~31 ms a round: 1 s is ~32 rounds
    expect(log.indexOf('hidden')).toBeGreaterThan(5); // but it did wait behind the view in sight
  });
});
