/**
 * Payload values as safe text: shared by the figure models and static
 * fallbacks (figures/: format.ts re-exports them, pictures.ts imports them
 * directly) and, through them, the extension's views. No imports, so the
 * browser bundle may use it.
 */

/** Any payload value as text, without throwing. */
export function asText(x: unknown, fallback = ''): string {
  if (typeof x === 'string') return x;
  if (x == null) return fallback;
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- not an object here: a number, boolean, bigint, symbol or function, as String() writes it
  if (typeof x !== 'object') return String(x);
  try {
    return JSON.stringify(x) ?? fallback;
  } catch {
    return fallback;
  }
}

/**
 * Escape text for XML/HTML content and quoted attributes. Also replaces the
 * control characters XML 1.0 forbids, which would otherwise make a whole SVG
 * image unreadable.
 */
export function escapeXml(s: unknown): string {
  return (
    asText(s)
      // eslint-disable-next-line no-control-regex -- the control characters XML 1.0 forbids are what this replaces
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&#39;')
  );
}
