/**
 * The gradient-check report as a table model, and its static HTML and text fallbacks.
 *
 * Pure functions: no DOM, no Node APIs; shared by the extension's views and the
 * engine's static fallbacks, so both draw the same figure.
 */
import type { GradCheckPayload, Num } from '../contract';
import { asText, escapeXml, formatNumLong, formatErr, formatCount, formatShape, toNumber, INK, SANS, CELL, CELL_L, textTable } from './format';

// ---- gradient check --------------------------------------------------------

/** The gradient check as rows of text, shared by the view and the static tables. */
export interface GradCheckModel {
  ok: boolean;
  /** `✓ gradient check passed` / `✗ gradient check failed`. */
  headline: string;
  /** Max relative error and the settings used. */
  settings: string;
  inputs: { ok: boolean; mark: string; name: string; shape: string; count: string; maxRelError: string }[];
  columns: string[];
  rows: { ok: boolean; cells: string[] }[];
  /** Rows of `rows` beyond what the payload could carry (`totalEntries` − entries). */
  notShown: number;
  forward: { ok: boolean | null; text: string };
  /**
   * With `{nodes: true}` (the payload carries a checked graph): the op nodes
   * with their local check, failing first, worst first; null otherwise.
   */
  nodes: CheckedNodeRow[] | null;
  /** With `{nodes: true}`: one line saying how many nodes were checked and how many fail. */
  nodesSummary: string | null;
}

/** One op node's local check, as the tables list it. */
interface CheckedNodeRow {
  /** Node id in `graph.nodes`. */
  id: number;
  ok: boolean;
  op: string;
  /** The node's name, or '' when it has none. */
  name: string;
  relError: string;
  count: string;
}

/** Mark for a pass or a fail, readable without colour. */
function mark(ok: boolean): string {
  return ok ? '✓' : '✗';
}

function relErrKey(n: Num): number {
  const v = toNumber(n);
  return Number.isNaN(v) ? Infinity : v;
}

/** Reads a gradient-check payload into the rows both its view and its tables show (worst entries first). */
export function gradCheckModel(p: GradCheckPayload): GradCheckModel {
  const ok = p?.ok === true;
  const inputsRaw = Array.isArray(p?.inputs) ? p.inputs : [];
  const entries = Array.isArray(p?.entries) ? [...p.entries] : [];
  // Worst first: failing entries, then by relative error (NaN counts as worst).
  entries.sort((a, b) => Number(a?.ok === true) - Number(b?.ok === true) || relErrKey(b?.relError) - relErrKey(a?.relError));
  const inputs = inputsRaw.map((i) => ({
    ok: i?.ok === true,
    mark: mark(i?.ok === true),
    name: asText(i?.name, '?'),
    shape: formatShape(i?.shape),
    count: formatCount(i?.count),
    maxRelError: formatErr(i?.maxRelError),
  }));
  const rows = entries.map((e) => ({
    ok: e?.ok === true,
    cells: [
      asText(inputsRaw[e?.input]?.name, `#${asText(e?.input, '?')}`),
      Array.isArray(e?.index) ? (e.index.length ? `[${e.index.join(', ')}]` : 'scalar') : '?',
      formatNumLong(e?.analytic, 10), // enough digits to see analytic and numerical differ
      formatNumLong(e?.numerical, 10),
      formatErr(e?.relError),
      mark(e?.ok === true),
    ],
  }));
  const total = typeof p?.totalEntries === 'number' ? p.totalEntries : rows.length;
  let forward: GradCheckModel['forward'];
  const f = p?.forward as GradCheckPayload['forward'] | undefined;
  if (f && 'skipped' in f) forward = { ok: null, text: `forward mode: skipped (${asText(f.skipped)})` };
  else if (f && typeof f === 'object') {
    forward = {
      ok: f.ok === true,
      text:
        `${mark(f.ok === true)} forward mode, along a random direction v: ` +
        `jvp ${formatNumLong(f.jvp)} · finite difference ${formatNumLong(f.numerical)} · ⟨grad, v⟩ ${formatNumLong(f.vjpDot)} · ` +
        `relative error ${formatErr(f.relError)}`,
    };
  } else forward = { ok: null, text: 'forward mode: not reported' };
  const title = typeof p?.title === 'string' && p.title ? ` (${p.title})` : '';
  const checked = checkedNodeRows(p);
  const failing = checked ? checked.filter((n) => !n.ok).length : 0;
  return {
    ok,
    headline: `${mark(ok)} gradient check ${ok ? 'passed' : 'FAILED'}${title}`,
    settings:
      `max relative error ${formatErr(p?.maxRelError)} · an entry passes when relative error ≤ ${formatErr(p?.tol)} ` +
      `or absolute error ≤ ${formatErr(p?.atol)} · finite-difference step h = ${formatErr(p?.h)} · ` +
      `${formatCount(rows.length)} of ${formatCount(total)} entries listed`,
    inputs,
    columns: ['input', 'index', 'analytic', 'numerical', 'rel. error', 'ok'],
    rows,
    notShown: Math.max(0, total - rows.length),
    forward,
    nodes: checked,
    nodesSummary: checked
      ? failing
        ? `✗ ${failing} of ${formatCount(checked.length)} op nodes: local backward disagrees with finite differences`
        : `✓ every op node's local backward agrees with finite differences (${formatCount(checked.length)} checked)`
      : null,
  };
}

/** The checked op nodes of a `{nodes: true}` payload, failing first, worst (NaN counts as worst) first; null without a graph. */
function checkedNodeRows(p: GradCheckPayload): CheckedNodeRow[] | null {
  const given = p?.graph?.nodes;
  const nodes = Array.isArray(given) ? given : null;
  if (!nodes) return null;
  const found = nodes.filter((n) => n && n.check && typeof n.check === 'object');
  found.sort((a, b) => Number(a.check!.ok === true) - Number(b.check!.ok === true) || relErrKey(b.check!.relError) - relErrKey(a.check!.relError));
  return found.map((n) => ({
    id: typeof n.id === 'number' ? n.id : -1,
    ok: n.check!.ok === true,
    op: asText(n.op, '?'),
    name: typeof n.name === 'string' ? n.name : '',
    relError: formatErr(n.check!.relError),
    count: formatCount(n.check!.count),
  }));
}

/** Rows the static tables list before eliding (the worst ones). */
export const STATIC_ROWS = 50;

/** The gradient check as an HTML fragment with inline styles (text/html). */
export function gradCheckHtml(p: GradCheckPayload): string {
  const m = gradCheckModel(p);
  const colour = (ok: boolean | null) => (ok === null ? INK.muted : ok ? INK.ok : INK.bad);
  const o: string[] = [];
  o.push(`<div class="gradlab-static gradlab-gradcheck" style="font-family:${escapeXml(SANS)};font-size:13px;color:${INK.text}">`);
  o.push(`<div style="font-size:15px;font-weight:700;color:${colour(m.ok)}">${escapeXml(m.headline)}</div>`);
  o.push(`<div style="color:${INK.muted};margin:2px 0 6px">${escapeXml(m.settings)}</div>`);
  if (m.nodes) {
    const bad = m.nodes.filter((n) => !n.ok);
    o.push(`<div style="margin:2px 0 6px;color:${colour(bad.length === 0)};font-weight:700">${escapeXml(m.nodesSummary!)}</div>`);
    if (bad.length) {
      o.push(`<table style="border-collapse:collapse;margin-bottom:6px"><thead><tr>`);
      for (const h of ['', 'node', 'op', 'name', 'rel. error', 'entries']) o.push(`<th style="${CELL_L}">${escapeXml(h)}</th>`);
      o.push('</tr></thead><tbody>');
      for (const n of bad.slice(0, STATIC_ROWS)) {
        o.push(
          `<tr><td style="${CELL_L};color:${INK.bad};font-weight:700">✗</td><td style="${CELL}">#${n.id}</td>` +
            `<td style="${CELL_L}">${escapeXml(n.op)}</td><td style="${CELL_L}">${escapeXml(n.name)}</td>` +
            `<td style="${CELL}">${escapeXml(n.relError)}</td><td style="${CELL}">${escapeXml(n.count)}</td></tr>`,
        );
      }
      o.push('</tbody></table>');
    }
  }
  o.push(`<table style="border-collapse:collapse;margin-bottom:6px"><thead><tr>`);
  for (const h of ['', 'input', 'shape', 'entries', 'max rel. error']) o.push(`<th style="${CELL_L}">${escapeXml(h)}</th>`);
  o.push('</tr></thead><tbody>');
  for (const i of m.inputs) {
    o.push(
      `<tr><td style="${CELL_L};color:${colour(i.ok)};font-weight:700">${i.mark}</td><td style="${CELL_L}">${escapeXml(i.name)}</td>` +
        `<td style="${CELL_L}">${escapeXml(i.shape)}</td><td style="${CELL}">${escapeXml(i.count)}</td><td style="${CELL}">${escapeXml(i.maxRelError)}</td></tr>`,
    );
  }
  o.push('</tbody></table>');
  o.push(`<table style="border-collapse:collapse"><thead><tr>`);
  m.columns.forEach((h, k) => o.push(`<th style="${k < 2 ? CELL_L : CELL}">${escapeXml(h)}</th>`));
  o.push('</tr></thead><tbody>');
  for (const r of m.rows.slice(0, STATIC_ROWS)) {
    o.push('<tr>');
    r.cells.forEach((c, k) => {
      const last = k === r.cells.length - 1;
      const style = (k < 2 ? CELL_L : CELL) + (last ? `;color:${colour(r.ok)};font-weight:700;text-align:center` : '');
      o.push(`<td style="${style}">${escapeXml(c)}</td>`);
    });
    o.push('</tr>');
  }
  o.push('</tbody></table>');
  const more = Math.max(0, m.rows.length - STATIC_ROWS) + m.notShown;
  if (more > 0) o.push(`<div style="color:${INK.muted}">… ${escapeXml(formatCount(more))} more entries, all better than those above</div>`);
  o.push(`<div style="margin-top:6px;color:${colour(m.forward.ok)}">${escapeXml(m.forward.text)}</div>`);
  o.push('</div>');
  return o.join('');
}

/** The gradient check as a plain-text table (text/plain). */
export function gradCheckText(p: GradCheckPayload): string {
  const m = gradCheckModel(p);
  const o = [m.headline, m.settings, ''];
  if (m.nodes) {
    const bad = m.nodes.filter((n) => !n.ok);
    o.push(m.nodesSummary!);
    if (bad.length) {
      o.push(
        ...textTable(
          ['', 'node', 'op', 'name', 'rel. error', 'entries'],
          bad.slice(0, STATIC_ROWS).map((n) => ['✗', `#${n.id}`, n.op, n.name, n.relError, n.count]),
          [false, true, false, false, true, true],
        ),
      );
    }
    o.push('');
  }
  o.push(
    ...textTable(
      ['', 'input', 'shape', 'entries', 'max rel. error'],
      m.inputs.map((i) => [i.mark, i.name, i.shape, i.count, i.maxRelError]),
      [false, false, false, true, true],
    ),
  );
  o.push('');
  o.push(
    ...textTable(
      m.columns,
      m.rows.slice(0, STATIC_ROWS).map((r) => r.cells),
      [false, false, true, true, true, false],
    ),
  );
  const more = Math.max(0, m.rows.length - STATIC_ROWS) + m.notShown;
  if (more > 0) o.push(`… ${formatCount(more)} more entries, all better than those above`);
  o.push('', m.forward.text);
  return o.join('\n');
}
