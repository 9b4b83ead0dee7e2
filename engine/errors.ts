/**
 * Errors that point at the user's code.
 *
 * A GradlabError's stack has the engine's own frames removed, so tslab (and
 * Node) show the line of the notebook or script that made the bad call, not a
 * frame deep inside a kernel loop.
 */

/** Folder of the compiled engine, found from this file's own stack frame (works for .js and .ts). */
const ENGINE_DIR: string | null = (() => {
  const m = /\(?((?:file:\/\/)?\/[^():]+)[/\\]errors\.[jt]s:\d+:\d+\)?/.exec(new Error().stack ?? '');
  return m ? m[1].replace(/^file:\/\//, '') : null;
})();

/** An error in how the engine was called: a shape mismatch, a bad argument, a misuse of backward. */
export class GradlabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GradlabError';
    if (ENGINE_DIR && this.stack) {
      const lines = this.stack.split('\n');
      const kept = lines.filter((l, i) => i === 0 || !l.includes(ENGINE_DIR));
      // Keep at least one frame so an error raised from engine-internal callbacks stays traceable.
      this.stack = (kept.length > 1 ? kept : lines).join('\n');
    }
  }
}

/** Throw a {@link GradlabError}. */
export function fail(message: string): never {
  throw new GradlabError(message);
}

/** `[2, 3]` */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * A bad argument as messages name it: `undefined`, `null`, `the number 3`, `a string ("abc")`,
 * `an array`, `a Tensor of shape [2, 3]`, `an object`, `a function`.
 */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  switch (typeof v) {
    case 'number':
      return `the number ${v}`;
    case 'string':
      return `a string (${JSON.stringify(v.length > 24 ? `${v.slice(0, 24)}…` : v)})`;
    case 'boolean':
      return `the boolean ${v}`;
    case 'function':
      return 'a function';
    case 'bigint':
      return `the bigint ${v}`;
    case 'symbol':
      return 'a symbol';
  }
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  const shape = (v as { shape?: unknown }).shape;
  if (Array.isArray(shape) && v.constructor?.name === 'Tensor') return `a Tensor of shape ${fmtShape(shape)}`;
  return 'an object';
}
