/**
 * Exercises in notebooks: a stub a student replaces (`gl.todo`) and a check
 * that prints a plain-text verdict (`gl.check`), which survives export to
 * HTML/PDF for grading.
 */

/** Thrown by {@link todo}: the exercise has not been done yet. */
export class TodoError extends Error {
  constructor(what: string) {
    super(`${what} is not implemented yet (replace gl.todo(...) with your code)`);
    this.name = 'TodoError';
  }
}

/**
 * Marks code a student still has to write: throws a {@link TodoError}, which
 * {@link check} reports as "not yet". Typed as returning anything, so a stub
 * like `return gl.todo("sigmoid forward")` type-checks in any function.
 */
export function todo(what = 'this exercise'): never {
  throw new TodoError(what);
}

/** The verdict of one check. */
export interface CheckResult {
  label: string;
  ok: boolean;
  /** Why it failed (the hint, a TodoError, or the error thrown), empty when ok. */
  message: string;
}

const results: CheckResult[] = [];

/** Every verdict printed by {@link check} in this kernel session, in order (for graders). */
export function checkResults(): CheckResult[] {
  return results.slice();
}

/**
 * Run a check and print its verdict: `✓ label`, or `✗ not yet: label` with
 * the hint. `test` returns true (or nothing) when the answer is right, false
 * (or throws) when not; an unfinished stub (gl.todo) counts as "not yet".
 * Never throws, so a notebook with unfinished exercises still runs to the end.
 * Returns nothing, so tslab prints only the verdict; `gl.checkResults()` lists them all.
 */
export function check(label: string, test: () => boolean | void, hint = ''): void {
  let ok = false;
  let message = '';
  try {
    ok = test() !== false;
    if (!ok) message = hint;
  } catch (e) {
    const err = e as Error;
    message =
      err instanceof TodoError || err?.name === 'TodoError'
        ? `${err.message}${hint ? `. Hint: ${hint}` : ''}`
        : `${hint ? `${hint} ` : ''}(${err?.name ?? 'Error'}: ${err?.message ?? String(e)})`;
  }
  console.log(ok ? `✓ ${label}` : `✗ not yet: ${label}${message ? ` — ${message}` : ''}`);
  results.push({ label, ok, message });
}

/** True when a and b (numbers or tensors' values) agree to `tol` relative (with `atol` absolute for values near 0). */
export function allClose(a: number | ArrayLike<number>, b: number | ArrayLike<number>, tol = 1e-6, atol = 1e-9): boolean {
  const x = typeof a === 'number' ? [a] : a;
  const y = typeof b === 'number' ? [b] : b;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i] - y[i]);
    if (!(d <= atol || d <= tol * Math.max(Math.abs(x[i]), Math.abs(y[i])))) return false;
  }
  return true;
}
