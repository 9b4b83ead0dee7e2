/**
 * The live loss curve against a stand-in for tslab 1.0.22's kernel (the parts
 * kernel.ts reads and wraps, placed in Node's module cache as the kernel's own
 * modules are): the throttle's trailing flush, the end of a cell (done,
 * failed, interrupted) before the kernel reports it idle, a later cell going
 * on, heartbeats and the liveness stamp. Only the public LossCurve API is
 * used, so these tests also run, and fail, against a curve without them.
 * The real kernel: test/notebooks/test_live_curve.py, test/browser/live.browser.ts.
 */
import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LossCurvePayload } from '../../../engine/display/contract';
import { lossCurve } from '../../../engine/display/show';

const CURVE = 'application/vnd.gradlab.loss-curve.v1+json';
const TSLAB = '/fake-kernel/node_modules/tslab/dist';

interface Sent {
  cell: number;
  type: 'display_data' | 'update_display_data' | 'status';
  id?: string;
  payload?: LossCurvePayload;
  state?: string;
}

/** tslab's ZmqServer, JupyterHandlerImpl and TaskQueue, reduced to what a cell's life calls, in order. */
function fakeKernel() {
  const sent: Sent[] = [];
  const jupyter: Record<string, unknown> = { lastWriteDisplayData: null };
  class ZmqServer {
    publishStatus(status: string, parent: { header: { msg_type: string }; content: object; cell: number }) {
      sent.push({ cell: parent.cell, type: 'status', state: status });
    }
  }
  class JupyterHandlerImpl {
    handleExecuteImpl(_req: object, _writeStream: unknown, writeDisplayData: unknown): Promise<void> {
      jupyter.lastWriteDisplayData = writeDisplayData;
      return Promise.resolve();
    }
  }
  class TaskQueue {
    reset(_delay?: number) {}
  }
  Object.assign(jupyter, { ZmqServer, JupyterHandlerImpl });
  const server = new ZmqServer();
  const handler = new JupyterHandlerImpl();
  const queue = new TaskQueue();
  let cells = 0;
  return {
    jupyter,
    util: { TaskQueue },
    sent,
    /** A cell starts: tslab makes it a writer and runs handleExecuteImpl. */
    start() {
      const cell = ++cells;
      const msg = { header: { msg_type: 'execute_request' }, content: { code: `cell ${cell}` }, cell };
      const writer = (content: { data: Record<string, unknown>; transient?: { display_id: string } }, update: boolean) =>
        sent.push({
          cell,
          type: update ? 'update_display_data' : 'display_data',
          id: content.transient?.display_id,
          payload: JSON.parse(JSON.stringify(content.data[CURVE] ?? null)) as LossCurvePayload, // the kernel serializes at once
        });
      server.publishStatus('busy', msg);
      void handler.handleExecuteImpl(msg.content, null, writer);
      return {
        cell,
        /** The cell ends: failed → tslab's reset(200); then the reply and idle. */
        end(outcome: 'ok' | 'error' = 'ok') {
          if (outcome === 'error') queue.reset(200);
          server.publishStatus('idle', msg);
        },
      };
    },
  };
}

const require_ = createRequire(import.meta.url);
const cache = require_.cache as Record<string, unknown>;
let kernel: ReturnType<typeof fakeKernel>;
let sigintBefore: NodeJS.SignalsListener[];

beforeAll(() => {
  kernel = fakeKernel();
  sigintBefore = process.listeners('SIGINT');
  cache[`${TSLAB}/executor.js`] = { exports: {} };
  cache[`${TSLAB}/jupyter.js`] = { exports: kernel.jupyter };
  cache[`${TSLAB}/util.js`] = { exports: kernel.util };
});

afterAll(() => {
  for (const k of ['executor.js', 'jupyter.js', 'util.js']) delete cache[`${TSLAB}/${k}`];
  for (const l of process.listeners('SIGINT')) if (!sigintBefore.includes(l)) process.removeListener('SIGINT', l as () => void);
});

beforeEach(() => {
  kernel.sent.length = 0;
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] /* send costs 0 ms: the interval is minInterval */,
    now: new Date('2026-12-02T18:20:00Z'),
  });
});

afterEach(() => {
  vi.useRealTimers();
});

/** The curve messages sent, as [cell, type, number of points, done, stopped]. */
function curveMessages(id?: string) {
  return kernel.sent
    .filter((m) => m.type !== 'status' && m.payload && (id === undefined || m.id === id))
    .map((m) => [m.cell, m.type, m.payload!.series[0].x.length, m.payload!.done, m.payload!.stopped ?? null]);
}

function lastPayload(): LossCurvePayload {
  const ms = kernel.sent.filter((m) => m.payload);
  return ms[ms.length - 1].payload!;
}

/** Lets the SIGINT listener kernel.ts adds after the cell's synchronous part be added (a real setImmediate). */
const turn = () => new Promise((r) => setImmediate(r));

describe('the throttle', () => {
  it('sends a held-back point within the interval, without another push (trailing flush)', () => {
    const c = kernel.start();
    const curve = lossCurve({ minInterval: 250 });
    void curve.push(0, 1);
    void curve.push(1, 0.5);
    void curve.push(2, 0.25);
    expect(curveMessages()).toEqual([[c.cell, 'display_data', 0, false, null]]); // throttled: shown just now
    vi.advanceTimersByTime(249);
    expect(curveMessages()).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(curveMessages()).toEqual([
      [c.cell, 'display_data', 0, false, null],
      [c.cell, 'update_display_data', 3, false, null],
    ]);
    // live payloads say when they were sent and how long to wait for the next one
    expect(lastPayload().updatedAt).toBe(Date.parse('2026-12-02T18:20:00.250Z'));
    expect(lastPayload().staleAfter).toBe(60_000);
    c.end();
  });

  it('sends at once when the interval has passed since the last send', () => {
    const c = kernel.start();
    const curve = lossCurve({ minInterval: 100 });
    vi.advanceTimersByTime(100);
    void curve.push(0, 1);
    expect(curveMessages().at(-1)).toEqual([c.cell, 'update_display_data', 1, false, null]);
    c.end();
  });
});

describe('a huge minInterval (send only at the end)', () => {
  it("holds the points back past setTimeout's 2^31 - 1 ms limit instead of sending at once, and sends them at the end", () => {
    const c = kernel.start();
    const curve = lossCurve({ minInterval: 1e10 });
    void curve.push(0, 1);
    vi.advanceTimersByTime(3e9);
    expect(curveMessages()).toHaveLength(1); // only the first display
    c.end();
    expect(curveMessages().at(-1)).toEqual([c.cell, 'update_display_data', 1, true, null]);
  });
});

describe('the end of the cell, before the kernel reports it idle', () => {
  it('an unclosed curve sends every point and reads done; nothing is sent after', () => {
    const c = kernel.start();
    const curve = lossCurve();
    for (let i = 0; i < 30; i++) void curve.push(i, Math.exp(-i / 10));
    c.end();
    const idle = kernel.sent.findIndex((m) => m.type === 'status' && m.state === 'idle' && m.cell === c.cell);
    const last = kernel.sent
      .slice(0, idle)
      .filter((m) => m.payload)
      .at(-1)!;
    expect([last.cell, last.type, last.payload!.series[0].x.length, last.payload!.done]).toEqual([c.cell, 'update_display_data', 30, true]);
    expect(last.payload!.stopped).toBeUndefined();
    expect(last.payload!.updatedAt).toBeUndefined(); // finished: no liveness claim
    const n = kernel.sent.length;
    vi.advanceTimersByTime(120_000);
    expect(kernel.sent.length).toBe(n); // no trailing send nor heartbeat once finished
    expect(curve.length).toBe(30);
  });

  it('a cell that failed leaves its curve stopped at the last step', () => {
    const c = kernel.start();
    const curve = lossCurve();
    for (let i = 0; i < 20; i++) void curve.push(i, 1 / (i + 1));
    c.end('error');
    expect(lastPayload().stopped).toBe('the cell failed at step 19');
    expect(lastPayload().done).toBe(true);
    expect(lastPayload().series[0].x).toHaveLength(20);
  });

  it('the stop button leaves it "interrupted at step N", and a later push throws (stops a runaway loop)', async () => {
    await turn(); // kernel.ts listens for SIGINT once a cell's synchronous part is over
    const c = kernel.start();
    const curve = lossCurve();
    for (let i = 0; i <= 7; i++) void curve.push(i, 1 / (i + 1));
    await turn();
    for (const l of process.listeners('SIGINT')) if (!sigintBefore.includes(l)) (l as () => void)();
    c.end('error'); // tslab reports an interrupted cell as failed
    expect(lastPayload().stopped).toBe('interrupted at step 7');
    expect(lastPayload().series[0].x).toHaveLength(8);
    expect(() => curve.push(8, 0.1)).toThrow(/interrupted at step 7 .*draw a new curve with gl\.lossCurve\(\)/);
    // and in a later cell too
    const d = kernel.start();
    expect(() => curve.push(8, 0.1)).toThrow('interrupted at step 7');
    d.end();
    expect(curve.length).toBe(8);
  });

  it('a later cell goes on: the curve is drawn again there, and ends with that cell', () => {
    const a = kernel.start();
    const curve = lossCurve();
    void curve.push(0, 1);
    a.end();
    const b = kernel.start();
    void curve.push(1, 0.5);
    void curve.push(2, 0.25);
    const [id] = new Set(kernel.sent.filter((m) => m.payload).map((m) => m.id));
    expect(curveMessages(id).filter((m) => m[0] === b.cell)[0]).toEqual([b.cell, 'display_data', 2, false, null]);
    b.end();
    expect(curveMessages(id).at(-1)).toEqual([b.cell, 'update_display_data', 3, true, null]);
  });

  it('close() after the cell ended it sends nothing new; close(reason) sends the reason', async () => {
    const a = kernel.start();
    const curve = lossCurve();
    void curve.push(0, 1);
    a.end();
    const n = kernel.sent.length;
    const b = kernel.start();
    await curve.close();
    expect(kernel.sent.length).toBe(n + 1); // only b's busy status
    const other = lossCurve();
    void other.push(0, 1);
    b.end();
    await other.close('diverged');
    expect(lastPayload().stopped).toBe('diverged');
    expect(() => other.push(1, 1)).toThrow('push() after close()');
  });
});

describe('liveness', () => {
  it('a running cell that awaits re-sends its curve every 20 s; staleAfter grows with slow steps', () => {
    const c = kernel.start();
    const curve = lossCurve();
    void curve.push(0, 1);
    vi.advanceTimersByTime(250);
    const before = curveMessages().length;
    vi.advanceTimersByTime(20_000);
    expect(curveMessages().length).toBe(before + 1); // a heartbeat
    expect(lastPayload().updatedAt).toBe(Date.now());
    // a 50 s step: the next update expects gaps of up to 4 × 50 s
    vi.advanceTimersByTime(29_750);
    void curve.push(1, 0.5);
    expect(lastPayload().staleAfter).toBe(200_000);
    c.end();
    const n = kernel.sent.length;
    vi.advanceTimersByTime(60_000);
    expect(kernel.sent.length).toBe(n);
  });
});
