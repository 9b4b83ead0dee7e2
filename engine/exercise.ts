/**
 * Exercises in notebooks: a stub a student replaces (`gl.todo`) and a check
 * that prints a plain-text verdict (`gl.check`), which survives export to
 * HTML/PDF for grading.
 *
 * Grading (nbgrader, docs/teaching.md): a graded test cell scores 0 when it
 * has an error output *or writes to stderr* (nbgrader 0.9 `utils.determine_grade`,
 * also what "Validate" reports). A check never throws — after a failed cell
 * tslab aborts the requests that follow, which would leave later cells empty
 * and score them full marks — and prints `✓` on stdout, `✗ not yet` on stderr.
 */

/** Thrown by {@link todo}: the exercise has not been done yet. */
export class TodoError extends Error {
  /** What is not implemented: the name given to gl.todo, or the function that called it. */
  readonly what: string;
  constructor(what: string) {
    super(`${what} is not implemented yet (replace gl.todo(...) with your code)`);
    this.name = 'TodoError';
    this.what = what;
  }
}

/**
 * Marks code a student still has to write: throws a {@link TodoError}, which
 * {@link check} reports as "not yet". Typed as returning anything, so a stub
 * like `return gl.todo()` type-checks in any function. Without `what`, the
 * error names the function that called it ("topoOrder is not implemented
 * yet"): nbgrader's stub is one text for every exercise.
 */
export function todo(what?: string): never {
  throw new TodoError(what ?? callerName() ?? 'this exercise');
}

/** The name of the function that called {@link todo} (`topoOrder`, `Sigmoid.backward`), or null for top-level code or an anonymous function. */
function callerName(): string | null {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, todo);
  const frame = holder.stack?.split('\n')[1] ?? '';
  const m = /^\s*at (?:async )?(?:new )?([\w$.]+)(?: \[as [\w$]+\])? \(/.exec(frame);
  if (!m) return null;
  // a function declared in a tslab cell is called through the cell's exports (a Proxy): "Proxy.topoOrder"
  const name = m[1].replace(/^(?:Object|Proxy)\./, '');
  return name && !name.endsWith('<anonymous>') ? name : null;
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
 * Run a check and print its verdict: `✓ label` on stdout, or `✗ not yet:
 * label — hint` on stderr (so nbgrader scores the graded cell 0). `test`
 * returns true (or nothing) when the answer is right, false (or throws) when
 * not; an unfinished stub (gl.todo) counts as "not yet". Never throws, so a
 * notebook with unfinished exercises still runs to the end. Returns nothing,
 * so tslab prints only the verdict; `gl.checkResults()` lists them all.
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
  if (ok) console.log(`✓ ${label}`);
  else console.error(`✗ not yet: ${label}${message ? ` — ${message}` : ''}`);
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
