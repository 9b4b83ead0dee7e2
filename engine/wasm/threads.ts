/**
 * One helper thread for the WebAssembly matmul: a Node worker that instantiates
 * the same module on the same shared memory and computes the second half of C's
 * row panels while the calling thread computes the first. Every C entry is
 * computed by the same code in the same order whichever thread runs it, so the
 * result is bit-identical to one thread.
 *
 * The worker starts at the first large product (never at import), is unref'd
 * (it never keeps the process alive), and is used only once it reports ready;
 * until then, and wherever worker_threads or SharedArrayBuffer are missing, the
 * calling thread does all the work.
 */
type WorkerLike = { unref(): void; on(ev: string, f: (...a: unknown[]) => void): void };
type WorkerThreads = { Worker: new (src: string, opts: { eval: true; workerData: unknown }) => WorkerLike };
type Gemm = (pa: number, pb: number, pc: number, i0: number, i1: number, np: number, kp: number, ldc: number) => void;

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctl } = workerData;
const ex = new WebAssembly.Instance(module, { e: { m: memory } }).exports;
Atomics.store(ctl, 2, 1);
let seen = 0;
for (;;) {
  Atomics.wait(ctl, 0, seen);
  const job = Atomics.load(ctl, 0);
  if (job === seen) continue;
  seen = job;
  (ctl[3] ? ex.gemm64 : ex.gemm32)(ctl[4], ctl[5], ctl[6], ctl[7], ctl[8], ctl[9], ctl[10], ctl[11]);
  Atomics.store(ctl, 1, job);
  Atomics.notify(ctl, 1);
}
`;

// ctl: [0] job number posted, [1] job number done, [2] ready, [3] dtype (0 f32, 1 f64), [4..11] gemm arguments
let ctl: Int32Array | null = null;
let started = false;
let broken = false;
let jobs = 0;

/** Start the helper if not yet started; true once it is ready to take work. */
function ready(module: object, memory: object): boolean {
  if (broken) return false;
  if (!started) {
    started = true;
    try {
      const wt = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('node:worker_threads') as
        WorkerThreads | undefined;
      if (!wt || typeof SharedArrayBuffer !== 'function') throw new Error('no worker_threads');
      ctl = new Int32Array(new SharedArrayBuffer(16 * 4));
      const w = new wt.Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, ctl } });
      w.unref();
      w.on('error', () => {
        broken = true;
      });
      w.on('exit', () => {
        broken = true;
      });
    } catch {
      broken = true;
      return false;
    }
  }
  return Atomics.load(ctl!, 2) === 1;
}

/**
 * gemm over row panels [0, mp), split with the helper when it is ready and
 * `split` is set; otherwise (or if the helper stops answering) on this thread alone.
 */
export function gemmSplit(
  gemm: Gemm,
  f64: boolean,
  module: object,
  memory: object,
  split: boolean,
  pa: number,
  pb: number,
  pc: number,
  mp: number,
  np: number,
  kp: number,
  ldc: number,
): void {
  if (!split || mp < 2 || !ready(module, memory)) {
    gemm(pa, pb, pc, 0, mp, np, kp, ldc);
    return;
  }
  const c = ctl!;
  const mid = Math.ceil(mp / 2);
  c[3] = f64 ? 1 : 0;
  c[4] = pa;
  c[5] = pb;
  c[6] = pc;
  c[7] = mid;
  c[8] = mp;
  c[9] = np;
  c[10] = kp;
  c[11] = ldc;
  const job = ++jobs;
  Atomics.store(c, 0, job);
  Atomics.notify(c, 0);
  gemm(pa, pb, pc, 0, mid, np, kp, ldc);
  for (;;) {
    const done = Atomics.load(c, 1);
    if (done === job) return;
    if (Atomics.wait(c, 1, done, 10_000) === 'timed-out' && Atomics.load(c, 1) !== job) {
      // the helper is gone or starved: do its half here (same bits) and stop using it
      broken = true;
      gemm(pa, pb, pc, mid, mp, np, kp, ldc);
      return;
    }
  }
}

/** @internal For tests: whether the helper thread has taken work yet. */
export function helperReady(): boolean {
  return ctl !== null && Atomics.load(ctl, 2) === 1 && !broken;
}
