/** Modes that wrap a function: noGrad, scope, detectAnomaly. */
import { fail } from './errors';
import { childScope, state } from './tape';

function isPromise(x: unknown): x is Promise<unknown> {
  return !!x && typeof (x as { then?: unknown }).then === 'function';
}

/** Run fn with `set()` in effect, undoing it with `reset()` afterwards (after the promise settles for async fn). */
function within<T>(set: () => () => void, fn: () => T): T {
  const reset = set();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    reset();
    throw e;
  }
  if (isPromise(result)) {
    return result.finally(reset) as T;
  }
  reset();
  return result;
}

/**
 * Run `fn` without recording operations: no graph is built and results do not
 * require grad (evaluation, parameter updates).
 */
export function noGrad<T>(fn: () => T): T {
  return within(() => {
    const was = state.gradEnabled;
    state.gradEnabled = false;
    return () => void (state.gradEnabled = was);
  }, fn);
}

/**
 * Run `fn` with every node it creates tagged with scope `name` (nested scopes
 * make a path). The graph view groups nodes by scope; nn layers use it.
 */
export function scope<T>(name: string, fn: () => T): T {
  if (typeof name !== 'string' || name === '') fail('scope: the name must be a non-empty string');
  return within(() => {
    const was = state.scopeId;
    state.scopeId = childScope(was, name);
    return () => void (state.scopeId = was);
  }, fn);
}

/**
 * Run `fn` checking every op's output, and every gradient in backward, for
 * NaN and ±Infinity; the first one found throws an error naming the op and
 * its inputs' shapes and ranges. Slower: use it to find where a NaN comes from.
 */
export function detectAnomaly<T>(fn: () => T): T {
  return within(() => {
    const was = state.anomaly;
    state.anomaly = true;
    return () => void (state.anomaly = was);
  }, fn);
}

/** Whether operations are being recorded (false inside noGrad). */
export function isGradEnabled(): boolean {
  return state.gradEnabled;
}
