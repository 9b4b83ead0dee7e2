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
export const STATIC_MIME_TYPES = ['image/svg+xml', 'text/html', 'text/plain'] as const;

/** The subset of Node's `require.cache` this file reads. */
export type ModuleCache = Record<string, { exports?: unknown } | undefined>;

type Writer = (
  content: { data: Record<string, unknown>; metadata: Record<string, unknown>; transient?: { display_id: string } },
  update: boolean,
) => void;

/** One display of tslab's public API (`tslab.newDisplay()`). */
interface TslabDisplay {
  raw(mimeType: string, value: string): void;
}

const JUPYTER_JS = /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/;
const PUBLIC_JS = /[\\/]tslab[\\/]dist[\\/]public\.js$/;
/** Loaded by a running tslab kernel only (importing `tslab` in plain Node does not load it). */
const EXECUTOR_JS = /[\\/]tslab[\\/]dist[\\/]executor\.js$/;

/** A random display id (16 hex digits), like the ones tslab makes. */
export function newDisplayId(): string {
  return randomBytes(8).toString('hex');
}

/**
 * The display of the tslab kernel this code runs in, or null outside a kernel
 * (plain Node, vitest): callers then print a text form instead.
 */
export function kernelDisplay(): KernelDisplay | null {
  return kernelDisplayFrom(require.cache as ModuleCache);
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
      return { newDisplay: api.newDisplay as () => TslabDisplay, version: String(api.versions?.tslab ?? '?') };
    }
  }
  // The kernel loads public.js only when a cell imports tslab: load the kernel's own copy.
  const [executorPath] = executors[0];
  const tslabDir = path.dirname(path.dirname(executorPath));
  try {
    const api = require(tslabDir) as { newDisplay?: unknown };
    if (typeof api.newDisplay !== 'function') return null;
    return { newDisplay: api.newDisplay as () => TslabDisplay, version: readVersion(tslabDir) };
  } catch {
    return null;
  }
}

function readVersion(packageDir: string): string {
  try {
    return String(JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version);
  } catch {
    return '?';
  }
}

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
        `gradlab: this tslab (${this.api.version}) does not expose its display writer; ` +
          'showing static figures only. Interactive views need tslab 1.0.22.',
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
