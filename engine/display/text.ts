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
  return asText(s)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
