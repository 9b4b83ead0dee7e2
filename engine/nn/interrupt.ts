/**
 * Noticing the stop button of a tslab kernel from inside a training loop.
 *
 * How tslab 1.0.22 interrupts (node_modules/tslab/dist): its kernel spec has no
 * `interrupt_mode`, so Jupyter interrupts by sending SIGINT to the kernel
 * process. tslab's `startKernel` (dist/main.js) listens with
 * `process.on("SIGINT", () => executor.interrupt())`, and `interrupt()`
 * (dist/executor.js) only rejects the promise the cell is racing
 * (`Promise.race([promise, interruptPromise])`) with "Interrupted
 * asynchronously". Code still running after the cell's first `await` is not
 * stopped (vm's `breakOnSigint` covers only the cell's synchronous start).
 *
 * So a loop adds its own SIGINT listener for as long as it runs: Node calls
 * every listener, tslab's first. Node handles signals on the event loop, so the
 * loop must yield to it (setImmediate) between steps to hear one.
 *
 * NOTE: while a cell's synchronous part runs, `breakOnSigint` has removed every
 * SIGINT listener (Node's vm puts them back afterwards), so
 * `process.listenerCount('SIGINT')` is 0 there even in a kernel: being in a
 * kernel is told from tslab's executor module being loaded instead.
 */
import { inKernel } from '../display/kernel';

/** A flag raised by SIGINT (while the kernel handles SIGINT) or by an AbortSignal, until `dispose()`. */
export interface InterruptWatch {
  /** Why to stop, or null to go on. */
  readonly reason: string | null;
  /** Stop listening. */
  dispose(): void;
}

/**
 * Watch for an interrupt. SIGINT is listened to only in a tslab kernel or when
 * some other listener already handles it: in a plain Node script Ctrl-C keeps
 * its default meaning, ending the process.
 */
export function watchInterrupt(signal?: AbortSignal): InterruptWatch {
  let reason: string | null = null;
  const onSigint = () => {
    reason ??= 'interrupted';
  };
  const onAbort = () => {
    reason ??= 'aborted';
  };
  const listen = typeof process !== 'undefined' && (inKernel() || process.listenerCount('SIGINT') > 0);
  if (listen) process.on('SIGINT', onSigint);
  if (signal) {
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  }
  return {
    get reason() {
      return reason;
    },
    dispose() {
      if (listen) process.removeListener('SIGINT', onSigint);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

/** Let the event loop run once (signals, I/O, display messages) before going on. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
