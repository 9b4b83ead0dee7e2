import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  inKernel,
  kernelDisplay,
  kernelDisplayFrom,
  newDisplayId,
  resetKernelDisplayState,
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
