/**
 * The four-ways figure as a model (one function at one point; rows = inputs,
 * column groups = ways: manual, symbolic, numerical, AD forward and reverse
 * mode), and its static HTML and text fallbacks. The extension's view
 * (extension/views/four-ways.ts) draws the same model.
 *
 * Each cell holds a way's ∂f/∂input and its relative error against the
 * symbolic value, graded by size ({@link FW_AGREE}, {@link FW_CLOSE}): a
 * student sees at a glance that the ways agree to rounding except numerical
 * differences, and below the table what each way cost.
 *
 * Pure functions of a payload: no DOM, no Node APIs. Every payload string is
 * escaped in the HTML; the work is bounded by the caps of the contract whatever
 * a hand-made payload holds.
 */
import { FOUR_WAYS_MAX_INPUTS, FOUR_WAYS_MAX_NOTES, FOUR_WAYS_MAX_TEXT, type FourWaysPayload, type FourWaysWay } from '../contract';
import { asText, escapeXml, formatCount, formatErr, formatNum, formatNumLong, toNumber, INK, SANS, CELL, CELL_L, FONT, textTable } from './format';

/** A relative error at most this is agreement to rounding (float64's ε is 2.2e-16; a few hundred operations lose a few digits). */
export const FW_AGREE = 1e-12;
/** A relative error at most this is close (what central differences reach); larger ones are flagged. */
export const FW_CLOSE = 1e-6;
/** Most ways a figure lists (the contract names five). */
const MAX_WAYS = 5;
/** Characters of an expression the static fallbacks print before cutting it. */
export const FW_STATIC_CHARS = 600;
/** Characters of an expression the view shows before its "show all" button. */
export const FW_COLLAPSED_CHARS = 240;
/** Significant digits of a derivative in the table: enough to see where numerical differences part from the others. */
const DIGITS = 10;

/** How close a way's answer is to the symbolic one: to rounding, close (finite differences), far (or NaN), or no answer. */
export type FourWaysLevel = 'agree' | 'close' | 'far' | 'none';

/** One cell of the table: a way's ∂f/∂input and its relative error against symbolic. */
export interface FourWaysCell {
  value: string;
  /** The relative error as text ('reference' in the symbolic column, which the tables leave out; '—' without a value; far ones start with ⚠, readable without colour). */
  err: string;
  level: FourWaysLevel;
  /** The cell in words, for a tooltip: "numerical ∂f/∂x1 = …, relative error 3.1e-10 against symbolic". */
  describe: string;
}

/** One way: its heading, its worst error, what it cost. */
export interface FourWaysColumn {
  id: string;
  label: string;
  detail: string;
  /** Why the way has no values, or null. */
  failed: string | null;
  /** The column every error is measured against (symbolic). */
  reference: boolean;
  /** Its largest relative error over the inputs, as text, and its level. */
  worst: string;
  level: FourWaysLevel;
  cost: { fEvals: string; ops: string; ms: string };
}

/** A symbolic derivative as the figure prints it. */
export interface FourWaysExpr {
  name: string;
  text: string;
  /** Its size in tree nodes, as text. */
  size: string;
  /** Its length in characters (the text is cut past {@link FOUR_WAYS_MAX_TEXT} by the engine, with a note in it). */
  chars: number;
}

/** The four-ways figure as text, shared by the view and the static fallbacks. */
export interface FourWaysModel {
  title: string;
  /** `f(x1, x2, …)`. */
  signature: string;
  fn: string;
  /** `f = 0.7311 at x1 = 2, x2 = -1, …`. */
  at: string;
  /** One line: each way's largest relative error against symbolic. */
  summary: string;
  ways: FourWaysColumn[];
  rows: { name: string; value: string; cells: FourWaysCell[] }[];
  /** The cost rows under the table: a label and one entry per way. */
  costs: { label: string; cells: string[] }[];
  derivatives: FourWaysExpr[];
  notes: string[];
  /** What the payload held beyond the caps: inputs, ways and notes not shown. */
  omitted: { inputs: number; ways: number; notes: number };
}

/**
 * `text` cut to at most `max` characters (code points), ending with
 * "… (N more characters)" when cut: how the engine shortens a function or
 * derivative text for the payload, and the static fallbacks a long one.
 */
export function shortenExpression(text: string, max: number = FOUR_WAYS_MAX_TEXT): string {
  const chars = [...text.slice(0, 4 * max + 8)];
  const total = chars.length < 4 * max + 8 ? chars.length : [...text].length;
  if (total <= max) return text;
  let keep = Math.max(1, max - 30);
  for (;;) {
    const out = chars.slice(0, keep).join('') + `… (${formatCount(total - keep)} more characters)`;
    if ([...out].length <= max || keep === 1) return out;
    keep--;
  }
}

/** The level of a relative error (null: no value). */
export function errorLevel(e: unknown): FourWaysLevel {
  if (e === null || e === undefined) return 'none';
  const v = Math.abs(toNumber(e));
  if (Number.isNaN(v)) return 'far';
  return v <= FW_AGREE ? 'agree' : v <= FW_CLOSE ? 'close' : 'far';
}

/** A relative error as the table writes it: far ones marked ⚠ (the mark survives grey print). */
function errText(e: unknown): string {
  return errorLevel(e) === 'far' ? `⚠ ${formatErr(e)}` : formatErr(e);
}

/** The largest of a way's relative errors (NaN counts as largest), or null without values. */
function worstError(w: FourWaysWay | undefined, n: number): number | null {
  const given = w?.relErrors;
  if (!Array.isArray(given) || !Array.isArray(w?.values)) return null;
  const errs = given.slice(0, n);
  let worst = 0;
  for (const e of errs) {
    const v = Math.abs(toNumber(e));
    if (Number.isNaN(v)) return NaN;
    worst = Math.max(worst, v);
  }
  return worst;
}

function column(w: FourWaysWay, n: number): FourWaysColumn {
  const failed = Array.isArray(w?.values) ? null : asText(w?.error, 'no values');
  const worst = worstError(w, n);
  const c = w?.cost;
  const ms = toNumber(c?.ms);
  return {
    id: asText(w?.id, '?'),
    label: asText(w?.label, asText(w?.id, '?')),
    detail: asText(w?.detail),
    failed,
    reference: w?.id === 'symbolic',
    worst: failed !== null ? '—' : w?.id === 'symbolic' ? 'reference' : errText(worst),
    level: failed !== null ? 'none' : w?.id === 'symbolic' ? 'agree' : errorLevel(worst),
    cost: {
      fEvals: c?.fEvals === null || c?.fEvals === undefined ? '—' : formatCount(c.fEvals),
      ops: c?.ops === null || c?.ops === undefined ? '—' : formatCount(c.ops),
      ms: Number.isFinite(ms) ? `${ms < 10 ? formatNum(Number(ms.toPrecision(2))) : formatCount(ms)} ms` : formatNum(c?.ms),
    },
  };
}

function cell(w: FourWaysWay, col: FourWaysColumn, i: number, name: string): FourWaysCell {
  if (!Array.isArray(w?.values)) return { value: '—', err: '—', level: 'none', describe: `${col.label}: no value (${col.failed})` };
  const value = formatNumLong(w.values[i], DIGITS);
  const e = Array.isArray(w.relErrors) ? w.relErrors[i] : undefined;
  const full = typeof w.values[i] === 'number' ? String(w.values[i]) : formatNum(w.values[i]);
  if (col.reference) return { value, err: 'reference', level: 'agree', describe: `${col.label} ∂f/∂${name} = ${full} (the reference)` };
  return { value, err: errText(e), level: errorLevel(e), describe: `${col.label} ∂f/∂${name} = ${full}, relative error ${formatErr(e)} against symbolic` };
}

/** Reads a four-ways payload into the figure's text, at most the contract's caps of it. */
export function fourWaysModel(p: FourWaysPayload): FourWaysModel {
  const inputsGiven = Array.isArray(p?.inputs) ? p.inputs : [];
  const inputs = inputsGiven.slice(0, FOUR_WAYS_MAX_INPUTS);
  const waysGiven = Array.isArray(p?.ways) ? p.ways : [];
  const ways = waysGiven.slice(0, MAX_WAYS);
  const notesGiven = Array.isArray(p?.notes) ? p.notes : [];
  const names = inputs.map((x, i) => asText(x?.name, `x${i + 1}`));
  const cols = ways.map((w) => column(w, inputs.length));
  const derivs = Array.isArray(p?.derivatives) ? p.derivatives : [];
  const shownNames = names.length > 8 ? [...names.slice(0, 8), '…'] : names;
  const atList = inputs.slice(0, 8).map((x, i) => `${names[i]} = ${formatNumLong(x?.value)}`);
  if (inputs.length > 8) atList.push(`… (${formatCount(inputs.length)} inputs)`);
  return {
    title: typeof p?.title === 'string' && p.title ? p.title : 'The gradient four ways',
    signature: `f(${shownNames.join(', ')})`,
    fn: asText(p?.fn, '?'),
    at: `f = ${formatNumLong(p?.value, DIGITS)} at ${atList.join(', ') || 'no inputs'}`,
    summary:
      'largest relative error against symbolic: ' +
      (cols
        .filter((c) => !c.reference)
        .map((c) => `${c.label} ${c.failed !== null ? 'failed' : c.worst}`)
        .join(' · ') || 'no other way'),
    ways: cols,
    rows: inputs.map((x, i) => ({ name: names[i], value: formatNumLong(x?.value), cells: ways.map((w, k) => cell(w, cols[k], i, names[i])) })),
    costs: [
      { label: 'f evaluations', cells: cols.map((c) => c.cost.fEvals) },
      { label: 'operations', cells: cols.map((c) => c.cost.ops) },
      { label: 'time', cells: cols.map((c) => c.cost.ms) },
    ],
    derivatives: inputs.map((_, i) => {
      const text = asText(derivs[i]?.text, '?');
      return { name: `∂f/∂${names[i]}`, text, size: formatCount(derivs[i]?.size), chars: [...text.slice(0, 8 * FOUR_WAYS_MAX_TEXT)].length };
    }),
    notes: notesGiven.slice(0, FOUR_WAYS_MAX_NOTES).map((n) => asText(n)),
    omitted: { inputs: inputsGiven.length - inputs.length, ways: waysGiven.length - ways.length, notes: Math.max(0, notesGiven.length - FOUR_WAYS_MAX_NOTES) },
  };
}

/** What a model left out, as lines (empty when nothing). */
export function fourWaysOmitted(m: FourWaysModel): string[] {
  const o: string[] = [];
  if (m.omitted.inputs > 0) o.push(`… ${formatCount(m.omitted.inputs)} more inputs, not shown (at most ${FOUR_WAYS_MAX_INPUTS})`);
  if (m.omitted.ways > 0) o.push(`… ${formatCount(m.omitted.ways)} more ways, not shown (at most ${MAX_WAYS})`);
  if (m.omitted.notes > 0) o.push(`… ${formatCount(m.omitted.notes)} more notes, not shown`);
  return o;
}

// ---- static fallbacks ---------------------------------------------------------

/** Print-safe backgrounds of the static table per level (the view uses --jp-* variables instead). */
const TINT: Record<FourWaysLevel, string> = { agree: '#dafbe1', close: 'transparent', far: '#fff1c2', none: 'transparent' };

/** Columns of a way in the tables: its value and its relative error; the reference (symbolic) has only its value. */
export function span(w: FourWaysColumn): 1 | 2 {
  return w.reference ? 1 : 2;
}

/** The table's head, body and cost rows as HTML. */
function staticTable(m: FourWaysModel): string {
  const o: string[] = ['<table style="border-collapse:collapse;margin:6px 0"><thead><tr>'];
  o.push(`<th style="${CELL_L}" rowspan="2">input</th><th style="${CELL}" rowspan="2">at</th>`);
  for (const w of m.ways) {
    const fail = w.failed !== null ? `<div style="color:${INK.bad}">✗ failed</div>` : '';
    o.push(
      `<th colspan="${span(w)}" style="${CELL_L};text-align:center">${escapeXml(w.label)}<div style="font-weight:400;color:${INK.muted};font-family:${escapeXml(SANS)}">${escapeXml(w.detail)}</div>${fail}</th>`,
    );
  }
  o.push('</tr><tr>');
  for (const w of m.ways) o.push(`<th style="${CELL}">∂f/∂·</th>` + (w.reference ? '' : `<th style="${CELL}">rel. error</th>`));
  o.push('</tr></thead><tbody>');
  for (const r of m.rows) {
    o.push(`<tr><td style="${CELL_L}">${escapeXml(r.name)}</td><td style="${CELL}">${escapeXml(r.value)}</td>`);
    r.cells.forEach((c, k) => {
      const bg = `;background:${TINT[c.level]}`;
      o.push(`<td style="${CELL}${bg}" title="${escapeXml(c.describe)}">${escapeXml(c.value)}</td>`);
      if (!m.ways[k].reference) o.push(`<td style="${CELL}${bg}">${escapeXml(c.err)}</td>`);
    });
    o.push('</tr>');
  }
  o.push('</tbody><tbody>');
  for (const c of m.costs) {
    o.push(`<tr><th style="${CELL_L}" colspan="2">${escapeXml(c.label)}</th>`);
    c.cells.forEach((v, k) => o.push(`<td style="${CELL};text-align:center" colspan="${span(m.ways[k])}">${escapeXml(v)}</td>`));
    o.push('</tr>');
  }
  o.push('</tbody></table>');
  return o.join('');
}

/** The four-ways figure as an HTML fragment with inline styles (text/html): payload text escaped, long expressions cut. */
export function fourWaysHtml(p: FourWaysPayload): string {
  const m = fourWaysModel(p);
  const mono = `font-family:${escapeXml(FONT)};white-space:pre-wrap;overflow-wrap:anywhere`;
  const o: string[] = [`<div class="gradlab-static gradlab-four-ways" style="font-family:${escapeXml(SANS)};font-size:13px;color:${INK.text}">`];
  o.push(`<div style="font-size:15px;font-weight:700">${escapeXml(m.title)}</div>`);
  o.push(`<div style="${mono}">${escapeXml(m.signature)} = ${escapeXml(shortenExpression(m.fn, FW_STATIC_CHARS))}</div>`);
  o.push(`<div style="color:${INK.muted}">${escapeXml(m.at)}</div>`);
  o.push(`<div style="margin-top:4px">${escapeXml(m.summary)}</div>`);
  o.push(staticTable(m));
  for (const w of m.ways.filter((x) => x.failed !== null)) o.push(`<div style="color:${INK.bad}">✗ ${escapeXml(w.label)}: ${escapeXml(w.failed)}</div>`);
  for (const line of fourWaysOmitted(m)) o.push(`<div style="color:${INK.muted}">${escapeXml(line)}</div>`);
  if (m.derivatives.length) o.push(`<div style="margin-top:6px;font-weight:700">symbolic derivatives (size: nodes written out as a tree)</div>`);
  for (const d of m.derivatives) {
    o.push(
      `<div style="margin:2px 0"><span style="font-weight:700">${escapeXml(d.name)}</span> <span style="color:${INK.muted}">(size ${escapeXml(d.size)})</span> = ` +
        `<span style="${mono}">${escapeXml(shortenExpression(d.text, FW_STATIC_CHARS))}</span></div>`,
    );
  }
  for (const n of m.notes) o.push(`<div style="margin-top:4px;padding:2px 8px;border-left:3px solid ${INK.note}">${escapeXml(n)}</div>`);
  o.push('</div>');
  return o.join('');
}

/** The four-ways figure as plain text (text/plain and `toString()`). */
export function fourWaysText(p: FourWaysPayload): string {
  const m = fourWaysModel(p);
  const o = [m.title, `${m.signature} = ${shortenExpression(m.fn, FW_STATIC_CHARS)}`, m.at, m.summary, ''];
  const head = ['input', 'at'];
  for (const w of m.ways) head.push(w.label + (w.failed !== null ? ' ✗' : ''), ...(w.reference ? [] : ['rel. error']));
  const body = m.rows.map((r) => [r.name, r.value, ...r.cells.flatMap((c, k) => (m.ways[k].reference ? [c.value] : [c.value, c.err]))]);
  for (const c of m.costs) body.push([c.label, '', ...c.cells.flatMap((v, k) => (m.ways[k].reference ? [v] : [v, '']))]);
  o.push(
    ...textTable(
      head,
      body,
      head.map((_, k) => k > 0),
    ),
  );
  o.push('', ...m.ways.map((w) => `${w.label}: ${w.failed !== null ? `✗ failed: ${w.failed}` : w.detail}`));
  o.push(...fourWaysOmitted(m));
  if (m.derivatives.length) o.push('', 'symbolic derivatives (size: nodes written out as a tree):');
  for (const d of m.derivatives) o.push(`  ${d.name} (size ${d.size}) = ${shortenExpression(d.text, FW_STATIC_CHARS)}`);
  if (m.notes.length) o.push('', ...m.notes.map((n) => `note: ${n}`));
  return o.join('\n');
}
