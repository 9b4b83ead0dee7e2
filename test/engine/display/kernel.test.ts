import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  cellRunningFrom,
  currentCellFrom,
  inKernel,
  kernelDisplay,
  kernelDisplayFrom,
  newDisplayId,
  onCellEndFrom,
  resetKernelDisplayState,
  watchKernelFrom,
  type CellEnd,
  type ModuleCache,
} from '../../../engine/display/kernel';

const TSLAB = '/p/node_modules/tslab/dist';

/** A fake module cache holding a tslab kernel whose writer records what it is given. */
function kernelCache(writer: unknown, extra: ModuleCache = {}): ModuleCache {
  return {
    [`${TSLAB}/executor.js`]: { exports: {} },
    [`${TSLAB}/jupyter.js`]: { exports: { lastWriteDisplayData: writer } },
    ...extra,
  };
}

afterEach(() => {
  resetKernelDisplayState();
  vi.restoreAllMocks();
});

describe('kernelDisplay', () => {
  it('is null outside a kernel (vitest itself is plain Node)', () => {
    expect(kernelDisplay()).toBeNull();
    expect(inKernel()).toBe(false);
    expect(kernelDisplayFrom({})).toBeNull();
  });

  it('is null when tslab is merely imported, not running a kernel', () => {
    const cache: ModuleCache = {
      [`${TSLAB}/jupyter.js`]: { exports: { lastWriteDisplayData: null } },
      [`${TSLAB}/public.js`]: { exports: { newDisplay: () => ({ raw() {} }) } },
    };
    expect(kernelDisplayFrom(cache)).toBeNull();
  });

  it('sends the whole bundle with metadata and display id through the kernel writer', () => {
    const calls: unknown[][] = [];
    const display = kernelDisplayFrom(kernelCache((...args: unknown[]) => calls.push(args)))!;
    expect(display.mode).toBe('bundle');
    const data = { 'application/vnd.gradlab.graph.v1+json': { version: 1 }, 'text/plain': 'graph' };
    display.send({ data }, 'abc');
    display.send({ data, metadata: { isolated: false } }, 'abc', true);
    display.send({ data });
    display.send({ data }, undefined, true);
    expect(calls).toEqual([
      [{ data, metadata: {}, transient: { display_id: 'abc' } }, false],
      [{ data, metadata: { isolated: false }, transient: { display_id: 'abc' } }, true],
      [{ data, metadata: {} }, false],
      [{ data, metadata: {} }, false],
    ]);
  });

  it('reads the writer at every send, since the kernel replaces it before each cell', () => {
    const first: unknown[] = [];
    const second: unknown[] = [];
    const jupyter = { lastWriteDisplayData: (c: unknown) => first.push(c) };
    const cache: ModuleCache = { [`${TSLAB}/executor.js`]: { exports: {} }, [`${TSLAB}/jupyter.js`]: { exports: jupyter } };
    const display = kernelDisplayFrom(cache)!;
    display.send({ data: { 'text/plain': '1' } });
    jupyter.lastWriteDisplayData = (c: unknown) => second.push(c);
    display.send({ data: { 'text/plain': '2' } });
    expect([first.length, second.length]).toEqual([1, 1]);
  });

  it('prefers the copy of tslab whose writer is set (the local kernel, not the global launcher)', () => {
    const calls: unknown[] = [];
    const cache: ModuleCache = {
      '/usr/lib/node_modules/tslab/dist/jupyter.js': { exports: { lastWriteDisplayData: null } },
      ...kernelCache((c: unknown) => calls.push(c)),
      '/other/node_modules/tslab/dist/jupyter.js': { exports: { lastWriteDisplayData: null } },
    };
    kernelDisplayFrom(cache)!.send({ data: { 'text/plain': 'x' } });
    expect(calls).toHaveLength(1);
  });

  it('falls back to the static part through the public API and warns once', () => {
    const sent: [string, string, string][] = [];
    let n = 0;
    const newDisplay = () => {
      const id = `t${n++}`;
      return { raw: (mime: string, value: string) => sent.push([id, mime, value]) };
    };
    const cache: ModuleCache = {
      [`${TSLAB}/executor.js`]: { exports: {} },
      [`${TSLAB}/public.js`]: { exports: { newDisplay, versions: { tslab: '9.9.9' } } },
    };
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const display = kernelDisplayFrom(cache)!;
    expect(display.mode).toBe('static');
    const bundle = (svg: string) => ({
      data: { 'application/vnd.gradlab.loss-curve.v1+json': {}, 'image/svg+xml': svg, 'text/plain': 'curve' },
    });
    display.send(bundle('<svg>1</svg>'), 'curve');
    display.send(bundle('<svg>2</svg>'), 'curve', true);
    display.send({ data: { 'application/vnd.gradlab.gradcheck.v1+json': {}, 'text/html': '<table/>', 'text/plain': 't' } });
    display.send({ data: { 'application/vnd.gradlab.gradcheck.v1+json': {} } });
    expect(sent).toEqual([
      ['t0', 'image/svg+xml', '<svg>1</svg>'],
      ['t0', 'image/svg+xml', '<svg>2</svg>'],
      ['t1', 'text/html', '<table/>'],
    ]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toContain('9.9.9');
  });
});

describe('newDisplayId', () => {
  it('makes distinct 16-hex-digit ids', () => {
    const a = newDisplayId();
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(newDisplayId()).not.toBe(a);
  });
});

/**
 * tslab 1.0.22's classes that kernel.ts wraps to find the end of a cell, reduced to what they do
 * around a cell: handleShellMessage publishes busy, handleExecute runs handleExecuteImpl (which
 * installs the cell's writer), calls TaskQueue.reset(200) when the cell failed, sends the reply, and
 * publishes idle.
 */
function fakeTslab() {
  const log: string[] = [];
  const jupyter: Record<string, unknown> = { lastWriteDisplayData: () => undefined };
  class ZmqServer {
    publishStatus(status: string, parent: { content: { code: string } }) {
      log.push(`${status} ${parent.content.code}`);
    }
  }
  class JupyterHandlerImpl {
    /** Where the running cell's process.stderr goes (tslab points it at the writeStream handleExecuteImpl gets). */
    stderr: ((name: string, text: string) => void) | null = null;
    handleExecuteImpl(_req: object, writeStream: (name: string, text: string) => void, writeDisplayData: unknown) {
      jupyter.lastWriteDisplayData = writeDisplayData;
      this.stderr = writeStream;
    }
    /** tslab's: runs the cell; `req.print` stands for what the cell writes to stderr, `req.fails` for its failure; the reply is only the status. */
    async handleExecute(req: { print?: string; fails?: boolean }, writeStream: (name: string, text: string) => void, writeDisplayData: unknown) {
      await Promise.resolve();
      (this.handleExecuteImpl as (...a: unknown[]) => void)(req, writeStream, writeDisplayData);
      if (req.print) this.stderr!('stderr', req.print);
      return { status: req.fails ? 'error' : 'ok', execution_count: 1 };
    }
  }
  class TaskQueue {
    reset(delay?: number) {
      log.push(delay === undefined ? 'queue reset now' : `queue reset in ${delay} ms`);
    }
  }
  Object.assign(jupyter, { ZmqServer, JupyterHandlerImpl });
  const cache: ModuleCache = {
    [`${TSLAB}/executor.js`]: { exports: {} },
    [`${TSLAB}/jupyter.js`]: { exports: jupyter },
    [`${TSLAB}/util.js`]: { exports: { TaskQueue } },
  };
  const server = new ZmqServer();
  const handler = new JupyterHandlerImpl();
  const queue = new TaskQueue();
  /** A request: its busy; `run()` starts its code; `end()` fails it or not and publishes its idle. */
  const request = (code: string, extra: { stop_on_error?: boolean } = {}) => {
    const msg = { header: { msg_type: 'execute_request' }, content: { code, ...extra } };
    server.publishStatus('busy', msg);
    return {
      run() {
        handler.handleExecuteImpl(
          msg.content,
          () => undefined,
          (c: { data: Record<string, unknown> }) => log.push(`${code} sent ${String(c.data['text/plain'])}`),
        );
      },
      end(failed = false) {
        if (failed) queue.reset(200);
        server.publishStatus('idle', msg);
      },
    };
  };
  return { cache, log, request, jupyter };
}

describe('onCellEnd (the end of a cell, before its idle)', () => {
  let listeners: NodeJS.SignalsListener[];
  beforeEach(() => {
    listeners = process.listeners('SIGINT');
  });
  afterEach(async () => {
    await new Promise((r) => setImmediate(r)); // the listener each watch adds after the cell's synchronous part
    for (const l of process.listeners('SIGINT')) if (!listeners.includes(l)) process.removeListener('SIGINT', l as () => void);
  });

  it('runs its hooks just before the idle of each execute request, with the cell and how it ended', () => {
    const k = fakeTslab();
    const first = k.request('cell 1');
    first.run();
    const ends: CellEnd[] = [];
    expect(
      onCellEndFrom(k.cache, (end) => {
        ends.push(end);
        end.display.send({ data: { 'text/plain': `end of ${end.cell}` } });
      }),
    ).toBe(true);
    const c1 = currentCellFrom(k.cache)!;
    expect(cellRunningFrom(k.cache, c1)).toBe(true);
    first.end();
    expect(cellRunningFrom(k.cache, c1)).toBe(false);
    const second = k.request('cell 2');
    second.run();
    second.end(true);
    expect(ends.map((e) => [e.cell - c1, e.outcome])).toEqual([
      [0, 'ok'],
      [1, 'error'],
    ]);
    expect(k.log.filter((l) => !l.startsWith('queue'))).toEqual([
      'busy cell 1',
      'cell 1 sent end of ' + c1,
      'idle cell 1',
      'busy cell 2',
      `cell 2 sent end of ${c1 + 1}`,
      'idle cell 2',
    ]);
  });

  it('with "run all", the next cell starts before the previous idle: the hook still gets the ended cell and its writer', () => {
    const k = fakeTslab();
    const [a, b] = [k.request('a'), k.request('b')]; // both busy at once, as JupyterLab sends them
    a.run();
    const ends: number[] = [];
    onCellEndFrom(k.cache, (end) => {
      ends.push(end.cell);
      end.display.send({ data: { 'text/plain': 'final' } });
    });
    const cellA = currentCellFrom(k.cache)!;
    b.run(); // tslab starts b's code before it reports a idle
    a.end();
    expect(ends).toEqual([cellA]);
    expect(k.log.filter((l) => l.includes('final'))).toEqual(['a sent final']);
    expect(cellRunningFrom(k.cache, cellA + 1)).toBe(true);
    b.end();
    expect(ends).toEqual([cellA, cellA + 1]);
  });

  it('a request that never ran (aborted after a failure) runs no hook', () => {
    const k = fakeTslab();
    const a = k.request('a');
    a.run();
    const ends: string[] = [];
    onCellEndFrom(k.cache, (end) => ends.push(end.outcome));
    const aborted = k.request('aborted');
    a.end(true);
    aborted.end();
    expect(ends).toEqual(['error']);
  });

  it('honours stop_on_error: false (nbgrader, nbclient with allow_errors): a failed cell resets the queue at once instead of aborting what follows', () => {
    const k = fakeTslab();
    expect(watchKernelFrom(k.cache)).toBe(true);
    const graded = k.request('solution', { stop_on_error: false });
    graded.run();
    graded.end(true);
    const plain = k.request('page', { stop_on_error: true });
    plain.run();
    plain.end(true);
    const unsaid = k.request('old client');
    unsaid.run();
    unsaid.end(true);
    expect(k.log.filter((l) => l.startsWith('queue'))).toEqual(['queue reset now', 'queue reset in 200 ms', 'queue reset in 200 ms']);
  });

  it("completes a failed cell's reply with ename, evalue and traceback (nbgrader's Execute reads them), from what the cell printed", async () => {
    const k = fakeTslab();
    watchKernelFrom(k.cache);
    const handler = new (k.jupyter.JupyterHandlerImpl as new () => { handleExecute: (...a: unknown[]) => Promise<Record<string, unknown>> })();
    const streams: string[] = [];
    const write = (name: string, text: string) => streams.push(`${name}: ${text}`);
    const run = (req: object) => handler.handleExecute(req, write, () => undefined);
    expect(await run({ code: 'a', print: '✗ not yet: a check — hint\nRangeError: boom\n    at f (evalmachine.<anonymous>:3:9)\n', fails: true })).toEqual({
      status: 'error',
      execution_count: 1,
      ename: 'RangeError',
      evalue: 'boom',
      traceback: ['RangeError: boom', '    at f (evalmachine.<anonymous>:3:9)'],
    });
    expect(await run({ code: 'b', print: "2:7 - Type 'string' is not assignable to type 'number'.\n", fails: true })).toMatchObject({
      ename: 'CompileError',
      evalue: "Type 'string' is not assignable to type 'number'.",
    });
    expect(await run({ code: 'c', fails: true })).toMatchObject({ ename: 'Error', evalue: 'the cell failed', traceback: ['Error: the cell failed'] });
    expect(await run({ code: 'd', print: '✗ not yet: x — y\n' })).toEqual({ status: 'ok', execution_count: 1 });
    expect(streams[0]).toBe('stderr: ✗ not yet: a check — hint\nRangeError: boom\n    at f (evalmachine.<anonymous>:3:9)\n'); // the page still gets every word
  });

  it('tells the stop button (a SIGINT while the cell runs) from an exception', async () => {
    const k = fakeTslab();
    const a = k.request('a');
    a.run();
    const ends: string[] = [];
    onCellEndFrom(k.cache, (end) => ends.push(end.outcome));
    await new Promise((r) => setImmediate(r)); // it listens once the cell's synchronous part is over
    const added = process.listeners('SIGINT').filter((l) => !listeners.includes(l));
    expect(added.map((l) => l.name)).toEqual(['gradlabCellWatchSigint']);
    (added[0] as () => void)();
    a.end(true);
    const b = k.request('b');
    b.run();
    b.end(true);
    expect(ends).toEqual(['interrupted', 'error']);
  });

  it('patches nothing and says so when tslab is not the version it knows', () => {
    const k = fakeTslab();
    delete (k.cache[`${TSLAB}/util.js`] as { exports: unknown }).exports;
    const before = (k.jupyter.ZmqServer as { prototype: object }).prototype;
    const publishStatus = (before as { publishStatus: unknown }).publishStatus;
    expect(onCellEndFrom(k.cache, () => undefined)).toBe(false);
    expect((before as { publishStatus: unknown }).publishStatus).toBe(publishStatus);
    expect(onCellEndFrom({}, () => undefined)).toBe(false);
  });
});
