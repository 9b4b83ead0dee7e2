/**
 * How a display bundle gets from library code to the running tslab kernel.
 *
 * tslab's public API (`tslab.display.raw`) sends one MIME type per message, but
 * a gradlab view needs one message carrying its own MIME type *and* a static
 * fallback, under a display id it can update. The kernel's own writer,
 * `lastWriteDisplayData(content, update)` in tslab's `dist/jupyter.js`, sends
 * any bundle. It is a module-level variable that the kernel sets before each
 * cell runs, so it is only reachable through the kernel's already-loaded
 * module instance: we look it up in Node's module cache (`require.cache`) on
 * every send, never through a second copy of tslab.
 *
 * This is tslab's internal API: the project pins tslab 1.0.22 and tests this
 * path in a real kernel (test/notebooks). When the writer is missing but a
 * tslab kernel is running, only the static part of a bundle is sent through
 * the public API, with one warning.
 *
 * The end of a cell. Jupyter clients stop listening to a request once the
 * kernel reports it `idle` (nbclient, nbconvert), so a live display must send
 * its last state *before* that message. {@link onCellEnd} runs hooks there. It
 * wraps, once per kernel, three methods of tslab 1.0.22's own loaded classes
 * (internal API, pinned like the writer; test/notebooks/test_live_curve.py and
 * test/browser/live.browser.ts check it in a real kernel). They are looked up
 * on the prototype at each call, so the wrap also covers the cell that is
 * running when gradlab is first used:
 * - `ZmqServer.prototype.publishStatus(status, parent)` (dist/jupyter.js):
 *   `handleShellMessage` awaits `handleExecute` (which sends the
 *   `execute_reply`), then calls it with `idle` in a `finally`. The hooks run
 *   just before an `idle` whose parent is an `execute_request`.
 * - `JupyterHandlerImpl.prototype.handleExecuteImpl(req, writeStream,
 *   writeDisplayData)`: starts a cell's code (it installs that cell's writer);
 *   tells which cell each request ran. With "run all", tslab starts the next
 *   cell before it reports the previous one idle, so "the current writer" at
 *   an idle may already be the next cell's.
 * - `TaskQueue.prototype.reset(delay)` (dist/util.js): `handleExecute` calls
 *   it with 200 ms exactly when a cell failed (reply status `error`: an
 *   exception, a type error, or the stop button), while that cell's writer is
 *   still the current one. Until then every request that arrives is aborted
 *   (reply status `abort`, no output), whatever its `stop_on_error` says. When
 *   the failed cell's request said `stop_on_error: false` (nbclient sends that
 *   with `allow_errors`, as nbgrader's autograde and Validate do), the wrap
 *   resets the queue at once instead, as the messaging spec asks: the next
 *   request runs (one sent after the reply; one already queued stays aborted). Otherwise a graded test cell after a failing solution came back
 *   empty, which nbgrader scores as full marks. {@link watchKernel} installs
 *   the wraps when gradlab is imported.
 * A SIGINT listener (added once, outside any cell's synchronous part, where
 * vm's breakOnSigint would detach it) tells the stop button from an exception.
 * An interrupt that lands while a cell's synchronous part runs is only seen by
 * vm (the code throws), so that cell reads as failed, not interrupted.
 * When these internals are missing, `onCellEnd` returns false and nothing is
 * patched: live displays then only send while their cell runs.
 *
 * No imports from other engine files: the rest of the engine depends on this
 * file, not the other way round.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A Jupyter MIME bundle: MIME type → value (JSON MIME types take objects, the others strings). */
export interface DisplayBundle {
  data: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

/** Sends display bundles to the running kernel's output area. */
export interface KernelDisplay {
  /**
   * `bundle`: full bundles through tslab's own writer (the normal case).
   * `static`: only the static fallback of each bundle, through tslab's public API.
   */
  readonly mode: 'bundle' | 'static';
  /**
   * Sends `bundle` as `display_data`, or, when `update` is true, as
   * `update_display_data` replacing every output shown under `displayId`.
   * An update without a display id is sent as a new output.
   */
  send(bundle: DisplayBundle, displayId?: string, update?: boolean): void;
}

/** The static MIME types a bundle may carry, best first; `static` mode sends the first one present. */
const STATIC_MIME_TYPES = ['image/svg+xml', 'text/html', 'text/plain'] as const;

/** The subset of Node's `require.cache` this file reads. */
export type ModuleCache = Record<string, { exports?: unknown } | undefined>;

type Writer = (content: { data: Record<string, unknown>; metadata: Record<string, unknown>; transient?: { display_id: string } }, update: boolean) => void;

/** One display of tslab's public API (`tslab.newDisplay()`). */
interface TslabDisplay {
  raw(mimeType: string, value: string): void;
}

const JUPYTER_JS = /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/;
const PUBLIC_JS = /[\\/]tslab[\\/]dist[\\/]public\.js$/;
/** Loaded by a running tslab kernel only (importing `tslab` in plain Node does not load it). */
const EXECUTOR_JS = /[\\/]tslab[\\/]dist[\\/]executor\.js$/;

/** Sends bundles through the writer of the cell running now (found at each send). */
class BundleDisplay implements KernelDisplay {
  readonly mode = 'bundle';
  constructor(private readonly cache: ModuleCache) {}

  send(bundle: DisplayBundle, displayId?: string, update = false): void {
    const writer = findWriter(this.cache);
    if (!writer) throw new Error('gradlab: the tslab kernel display writer went away');
    writer(
      {
        data: bundle.data,
        metadata: bundle.metadata ?? {},
        ...(displayId === undefined ? {} : { transient: { display_id: displayId } }),
      },
      update && displayId !== undefined,
    );
  }
}

let warned = false;
/** Our display id → tslab's display (which picks its own id; its first call displays, later ones update). */
const staticDisplays = new Map<string, TslabDisplay>();

class StaticDisplay implements KernelDisplay {
  readonly mode = 'static';
  constructor(private readonly api: PublicApi) {}

  send(bundle: DisplayBundle, displayId?: string, update = false): void {
    if (!warned) {
      warned = true;
      console.warn(
        `gradlab: this tslab (${this.api.version}) does not expose its display writer; ` + 'showing static figures only. Interactive views need tslab 1.0.22.',
      );
    }
    const mime = STATIC_MIME_TYPES.find((m) => typeof bundle.data[m] === 'string');
    if (mime === undefined) return;
    let display = displayId === undefined ? undefined : staticDisplays.get(displayId);
    if (!display || !update) {
      display = this.api.newDisplay();
      if (displayId !== undefined) staticDisplays.set(displayId, display);
    }
    display.raw(mime, bundle.data[mime] as string);
  }
}

/** A random display id (16 hex digits), like the ones tslab makes. */
export function newDisplayId(): string {
  return randomBytes(8).toString('hex');
}

/**
 * The display of the tslab kernel this code runs in, or null outside a kernel
 * (plain Node, vitest): callers then print a text form instead.
 */
export function kernelDisplay(): KernelDisplay | null {
  return kernelDisplayFrom(require.cache);
}

/** True when this code runs inside a tslab kernel that can show displays. */
export function inKernel(): boolean {
  return kernelDisplay() !== null;
}

/**
 * {@link kernelDisplay} reading the given module cache (tests pass a fake one).
 * @internal
 */
export function kernelDisplayFrom(cache: ModuleCache): KernelDisplay | null {
  if (findWriter(cache)) return new BundleDisplay(cache);
  const publicApi = findPublicApi(cache);
  if (publicApi) return new StaticDisplay(publicApi);
  return null;
}

/**
 * Forgets the one-time warning and the static displays (tests only).
 * @internal
 */
export function resetKernelDisplayState(): void {
  warned = false;
  staticDisplays.clear();
}

/** Every cached module whose path matches `pattern`, newest first (a local tslab loads after the global one). */
function cachedExports(cache: ModuleCache, pattern: RegExp): [string, unknown][] {
  const found: [string, unknown][] = [];
  for (const key of Object.keys(cache)) {
    if (pattern.test(key)) found.push([key, cache[key]?.exports]);
  }
  return found.reverse();
}

/**
 * The writer of the cell that is running now. Read at every send: the kernel
 * replaces it before each cell, and it addresses that cell's request.
 */
function findWriter(cache: ModuleCache): Writer | null {
  for (const [, exports] of cachedExports(cache, JUPYTER_JS)) {
    const writer = (exports as { lastWriteDisplayData?: unknown } | undefined)?.lastWriteDisplayData;
    if (typeof writer === 'function') return writer as Writer;
  }
  return null;
}

interface PublicApi {
  newDisplay(): TslabDisplay;
  version: string;
}

/** tslab's public API as loaded by a running kernel, or null when no kernel is running. */
function findPublicApi(cache: ModuleCache): PublicApi | null {
  const executors = cachedExports(cache, EXECUTOR_JS);
  if (executors.length === 0) return null;
  for (const [, exports] of cachedExports(cache, PUBLIC_JS)) {
    const api = exports as { newDisplay?: unknown; versions?: { tslab?: unknown } } | undefined;
    if (typeof api?.newDisplay === 'function') {
      const version = api.versions?.tslab;
      return { newDisplay: api.newDisplay as () => TslabDisplay, version: typeof version === 'string' ? version : '?' };
    }
  }
  // The kernel loads public.js only when a cell imports tslab: load the kernel's own copy.
  const [executorPath] = executors[0];
  const tslabDir = path.dirname(path.dirname(executorPath));
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the kernel's own tslab, found at run time by its path
    const api = require(tslabDir) as { newDisplay?: unknown };
    if (typeof api.newDisplay !== 'function') return null;
    return { newDisplay: api.newDisplay as () => TslabDisplay, version: readVersion(tslabDir) };
  } catch {
    return null;
  }
}

function readVersion(packageDir: string): string {
  try {
    const { version } = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof version === 'string' ? version : '?';
  } catch {
    return '?';
  }
}

// ---- the end of a cell ------------------------------------------------------

/** How a cell ended, as seen just before the kernel reports it idle. */
export interface CellEnd {
  /** The cell that ended (see {@link currentCell}). */
  cell: number;
  /** `ok`, `error` (an exception or a failed type check), or `interrupted` (the stop button made it fail). */
  outcome: 'ok' | 'error' | 'interrupted';
  /** Sends into that cell's output, whichever cell tslab has started since. */
  display: KernelDisplay;
}

export type CellEndHook = (end: CellEnd) => void;

/** What the patched kernel keeps; shared by every copy of gradlab loaded in it (it lives on tslab's prototype). */
interface CellWatch {
  hooks: Set<CellEndHook>;
  /** Each request's content (the object tslab passes to handleExecuteImpl) → the cell it ran. */
  requests: WeakMap<object, number>;
  /** Writers of the cells that started and have not ended yet. */
  writers: Map<number, Writer>;
  /** The cell running when the watch was installed, until its end is seen (its request was not recorded). */
  installCell: number | null;
  lastEnded: number;
  failed: Set<number>;
  interrupted: Set<number>;
  /** Cells whose request said `stop_on_error: false`: their failure must not abort the requests after them. */
  keepGoing: Set<number>;
  /** What each running cell wrote to stderr (its end), for the error reply of a failed cell. */
  stderr: Map<number, string>;
}

const CELL_WATCH = Symbol.for('gradlab.cellWatch');
const CELL_NUMBERS = Symbol.for('gradlab.cellNumbers');

type Proto = Record<PropertyKey, unknown>;

interface CellNumbers {
  of: WeakMap<object, number>;
  next: number;
}

/** Numbers cells by their writer (tslab makes one per cell), shared by every copy of gradlab (kept on globalThis). */
function cellNumbers(): CellNumbers {
  const g = globalThis as unknown as Record<symbol, CellNumbers | undefined>;
  return (g[CELL_NUMBERS] ??= { of: new WeakMap(), next: 1 });
}

function cellOf(writer: Writer): number {
  const numbers = cellNumbers();
  let n = numbers.of.get(writer);
  if (n === undefined) {
    n = numbers.next++;
    numbers.of.set(writer, n);
  }
  return n;
}

/**
 * The cell running now, or the last one that ran: a number, the same for one
 * execute request, increasing in the order cells start; null outside a kernel.
 */
export function currentCell(): number | null {
  return currentCellFrom(require.cache);
}

/** @internal {@link currentCell} reading the given module cache. */
export function currentCellFrom(cache: ModuleCache): number | null {
  const writer = findWriter(cache);
  return writer ? cellOf(writer) : null;
}

/**
 * Runs `hook` at the end of every cell, after its code and before the kernel
 * reports it idle, so what the hook sends still reaches the cell's output and
 * the saved notebook. Returns false, and does nothing, outside a tslab 1.0.22
 * kernel. A hook must not throw (what it throws is printed and dropped).
 */
export function onCellEnd(hook: CellEndHook): boolean {
  return onCellEndFrom(require.cache, hook);
}

/** @internal {@link onCellEnd} patching the kernel found in the given module cache. */
export function onCellEndFrom(cache: ModuleCache, hook: CellEndHook): boolean {
  const watch = cellWatch(cache, true);
  if (!watch) return false;
  watch.hooks.add(hook);
  return true;
}

/**
 * Installs the kernel wraps (cell ends, `stop_on_error`) now, when running in
 * a tslab 1.0.22 kernel; `import "gradlab"` calls it. Returns false elsewhere.
 */
export function watchKernel(): boolean {
  return watchKernelFrom(require.cache);
}

/** @internal {@link watchKernel} patching the kernel found in the given module cache. */
export function watchKernelFrom(cache: ModuleCache): boolean {
  return cellWatch(cache, true) !== null;
}

/**
 * True while `cell` runs (it started and its end has not been seen), false
 * once it ended, null when cell ends cannot be watched here.
 */
export function cellRunning(cell: number): boolean | null {
  return cellRunningFrom(require.cache, cell);
}

/** @internal {@link cellRunning} reading the given module cache. */
export function cellRunningFrom(cache: ModuleCache, cell: number): boolean | null {
  const watch = cellWatch(cache, false);
  return watch ? cell > watch.lastEnded && watch.writers.has(cell) : null;
}

/** The running kernel's cell watch; installed on first use when `install` is true. */
function cellWatch(cache: ModuleCache, install: boolean): CellWatch | null {
  for (const [key, exports] of cachedExports(cache, JUPYTER_JS)) {
    const jupyter = exports as { lastWriteDisplayData?: unknown; ZmqServer?: { prototype?: Proto }; JupyterHandlerImpl?: { prototype?: Proto } } | undefined;
    if (typeof jupyter?.lastWriteDisplayData !== 'function') continue;
    const server = jupyter.ZmqServer?.prototype;
    const handler = jupyter.JupyterHandlerImpl?.prototype;
    const util = cache[key.replace(/jupyter\.js$/, 'util.js')]?.exports as { TaskQueue?: { prototype?: Proto } } | undefined;
    const queue = util?.TaskQueue?.prototype;
    if (typeof server?.publishStatus !== 'function' || typeof handler?.handleExecuteImpl !== 'function' || typeof queue?.reset !== 'function') return null;
    const found = server[CELL_WATCH] as CellWatch | undefined;
    if (found || !install) return found ?? null;
    return patchKernel(cache, server, handler, queue, jupyter.lastWriteDisplayData as Writer);
  }
  return null;
}

function patchKernel(cache: ModuleCache, server: Proto, handler: Proto, queue: Proto, writer: Writer): CellWatch {
  const installCell = cellOf(writer);
  const watch: CellWatch = {
    hooks: new Set(),
    requests: new WeakMap(),
    writers: new Map([[installCell, writer]]),
    installCell,
    lastEnded: installCell - 1,
    failed: new Set(),
    interrupted: new Set(),
    keepGoing: new Set(),
    stderr: new Map(),
  };
  const running = () => {
    const cell = currentCellFrom(cache);
    return cell !== null && cell > watch.lastEnded ? cell : null;
  };
  const gradlabCellWatchSigint = () => {
    const cell = running();
    if (cell !== null) watch.interrupted.add(cell);
  };
  // NOTE: we are inside a cell's code, maybe its synchronous part, where vm's breakOnSigint has
  // detached every SIGINT listener and would mishandle one added now: listen once that part is over.
  // It stays for the kernel's life (one listener, whatever the number of curves and cells).
  setImmediate(() => process.on('SIGINT', gradlabCellWatchSigint));

  wrapExecute(handler, watch);
  wrapReset(queue, watch, running);

  const publishStatus = server.publishStatus as (this: unknown, status: string, parent: unknown) => unknown;
  server.publishStatus = function (this: unknown, status: string, parent: unknown) {
    const msg = parent as { header?: { msg_type?: string }; content?: unknown } | undefined;
    if (status === 'idle' && msg?.header?.msg_type === 'execute_request') endOf(watch, msg.content);
    return publishStatus.call(this, status, parent);
  };
  server[CELL_WATCH] = watch;
  return watch;
}

/** The stderr a failed cell's error reply quotes, at most this many characters (its end). */
const ERROR_TEXT_MAX = 2000;

/**
 * Wraps `handleExecuteImpl` (which cell each request ran, its writer, its
 * `stop_on_error`, what it wrote to stderr) and `handleExecute`, whose reply to
 * a failed cell is only `{status: "error"}`: the messaging spec's reply also
 * has `ename`, `evalue` and `traceback`, and nbgrader's Execute reads them (a
 * KeyError there used to fail the grading of the whole submission).
 */
function wrapExecute(handler: Proto, watch: CellWatch): void {
  type WriteStream = (name: string, text: string) => unknown;
  const handleExecuteImpl = handler.handleExecuteImpl as (this: unknown, req: object, ...rest: unknown[]) => unknown;
  handler.handleExecuteImpl = function (this: unknown, req: object, writeStream: unknown, writeDisplayData: Writer, ...rest: unknown[]) {
    let write = writeStream;
    if (typeof writeDisplayData === 'function' && req && typeof req === 'object') {
      const cell = cellOf(writeDisplayData);
      watch.requests.set(req, cell);
      watch.writers.set(cell, writeDisplayData);
      if ((req as { stop_on_error?: unknown }).stop_on_error === false) watch.keepGoing.add(cell);
      if (typeof writeStream === 'function') {
        watch.stderr.set(cell, '');
        write = (name: string, text: string) => {
          if (name === 'stderr' && typeof text === 'string') watch.stderr.set(cell, ((watch.stderr.get(cell) ?? '') + text).slice(-ERROR_TEXT_MAX));
          return (writeStream as WriteStream)(name, text);
        };
      }
    }
    return handleExecuteImpl.call(this, req, write, writeDisplayData, ...rest);
  };
  const handleExecute = handler.handleExecute as ((this: unknown, req: object, ...rest: unknown[]) => Promise<unknown>) | undefined;
  if (typeof handleExecute !== 'function') return;
  handler.handleExecute = async function (this: unknown, req: object, ...rest: unknown[]) {
    const reply = (await handleExecute.call(this, req, ...rest)) as Record<string, unknown> | undefined;
    const cell = req && typeof req === 'object' ? watch.requests.get(req) : undefined;
    const text = cell === undefined ? '' : (watch.stderr.get(cell) ?? '');
    if (cell !== undefined) watch.stderr.delete(cell);
    if (reply?.status === 'error' && !('ename' in reply)) Object.assign(reply, errorFields(text, cell !== undefined && watch.interrupted.has(cell)));
    return reply;
  };
}

/** `ename`, `evalue` and `traceback` of a failed cell's reply, read from what tslab printed (diagnostics, or the exception). */
function errorFields(stderr: string, interrupted: boolean): { ename: string; evalue: string; traceback: string[] } {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('✗ not yet: '));
  const thrown = lines.map((l) => /^(\w*(?:Error|Exception|Interrupt))(?::\s*(.*))?$/.exec(l.trim())).find((m) => m !== null);
  const diagnostic = lines.find((l) => /^(\S+ )?\d+:\d+ - /.test(l));
  const ename = interrupted ? 'KeyboardInterrupt' : thrown ? thrown[1] : diagnostic ? 'CompileError' : 'Error';
  const evalue = interrupted ? 'interrupted' : thrown ? (thrown[2] ?? '') : diagnostic ? diagnostic.replace(/^(\S+ )?\d+:\d+ - /, '') : 'the cell failed';
  return { ename, evalue, traceback: lines.length ? lines : [`${ename}: ${evalue}`] };
}

/** Wraps `TaskQueue.reset`: marks the failed cell, and honours its request's `stop_on_error: false`. */
function wrapReset(queue: Proto, watch: CellWatch, running: () => number | null): void {
  const reset = queue.reset as (this: unknown, delay?: number) => unknown;
  queue.reset = function (this: unknown, delay?: number) {
    // NOTE: tslab's handleExecute calls reset(200) only when a cell failed; its own timer calls reset() with no delay.
    if (delay != null) {
      const cell = running();
      if (cell !== null) watch.failed.add(cell);
      // stop_on_error: false — reset now. A client that waits for each reply (nbclient) has sent nothing yet, so its next
      // request runs; requests already queued (a page's "run all") were chained on the failed task and stay aborted.
      if (cell !== null && watch.keepGoing.has(cell)) return reset.call(this);
    }
    return reset.call(this, delay);
  };
}

/** Sends through one cell's writer (that cell's request is the parent of what it sends). */
class WriterDisplay implements KernelDisplay {
  readonly mode = 'bundle';
  constructor(private readonly writer: Writer) {}

  send(bundle: DisplayBundle, displayId?: string, update = false): void {
    this.writer(
      {
        data: bundle.data,
        metadata: bundle.metadata ?? {},
        ...(displayId === undefined ? {} : { transient: { display_id: displayId } }),
      },
      update && displayId !== undefined,
    );
  }
}

/** Runs the hooks for the request whose idle is about to be sent (nothing for a request that never ran: an aborted one). */
function endOf(watch: CellWatch, content: unknown): void {
  let cell = content && typeof content === 'object' ? watch.requests.get(content) : undefined;
  if (cell === undefined && watch.installCell !== null) cell = watch.installCell;
  watch.installCell = null;
  const writer = cell === undefined ? undefined : watch.writers.get(cell);
  if (cell === undefined || !writer) return;
  const outcome = !watch.failed.has(cell) ? 'ok' : watch.interrupted.has(cell) ? 'interrupted' : 'error';
  watch.failed.delete(cell);
  watch.interrupted.delete(cell);
  watch.keepGoing.delete(cell);
  watch.writers.delete(cell);
  watch.lastEnded = Math.max(watch.lastEnded, cell);
  const display = new WriterDisplay(writer);
  for (const hook of watch.hooks) {
    try {
      hook({ cell, outcome, display });
    } catch (e) {
      console.error('gradlab: at the end of a cell:', e);
    }
  }
}
