/**
 * The graph view's details panel: everything the payload says about one node,
 * as text (never markup). Plain functions of the payload.
 *
 * Besides value and gradient it teaches the node's backward: the pattern
 * (add distributes, max routes, mul switches, ...), the rule, each operand's
 * local Jacobian (shape and structure, and why it is never formed as a
 * matrix); where a value feeds several ops, the contribution each use sent
 * back and whether they add up to its gradient; and its gradient check. The
 * rule comes with the payload; the words for each pattern are the op table's
 * (engine/display/op-table.ts).
 */
import type { BackwardRule, GraphNode, NodeCheck, TensorSummary } from '../../engine/display/contract';
import { asText, formatCount, formatErr, formatNum, formatNumLong, formatShape, shorten } from '../../engine/display/figures/format';
import { attrsText, nodeTitle } from '../../engine/display/figures/graph';
import { ruleOf } from '../../engine/display/figures/node-rule';
import { PATTERN_WORDS, patternName } from '../../engine/display/op-table';
import { h } from './dom';

/** Items a list in the details panel shows (inputs, uses, operands, entries); it says how many more there are. */
export const DETAILS_LIST_MAX = 32;
/** Other nodes' names in the details panel are cut to this many characters. */
const NAME_CHARS = 64;

/**
 * The details panel of one node: everything its payload says, as text.
 * `rules` is the payload's rule table (`GraphPayload.rules`), which a node's
 * `ruleRef` points into; without it only inline rules are shown.
 */
export function nodeDetails(doc: Document, id: number, nodes: unknown[], pinned: boolean, rules?: unknown): Node[] {
  const raw = nodes[id];
  const n = (typeof raw === 'object' && raw !== null ? raw : {}) as Partial<GraphNode>;
  // other nodes are named in lists: cut to a line (this node's own name is shown whole)
  const named = (j: number) => {
    const m = nodes[j] as Partial<GraphNode> | undefined;
    return m ? `${shorten(nodeTitle({ id: j, name: m.name ?? null }), NAME_CHARS)}${m.kind === 'const' ? ' (const)' : ''}` : `#${j}`;
  };
  const kind = n.kind === 'leaf' ? (n.requiresGrad ? 'leaf, requires grad' : 'leaf') : n.kind === 'const' ? 'constant' : `result of ${asText(n.op, '?')}`;
  const out: Node[] = [];
  out.push(
    h(
      doc,
      'div',
      { class: 'gradlab-details-head' },
      h(doc, 'strong', {}, nodeTitle({ id, name: n.name ?? null })),
      ` — ${kind}`,
      pinned ? h(doc, 'span', { class: 'gradlab-muted' }, ' (pinned: click again or press Esc to release)') : null,
    ),
  );
  const rows: [string, string][] = [];
  if (Array.isArray(n.inputs) && n.inputs.length) rows.push(['inputs', listed(n.inputs, named, 'inputs')]);
  rows.push(['shape', `[${Array.isArray(n.shape) ? listed(n.shape, (d) => asText(d), 'dims') : '?'}] (${formatShape(n.shape)})`]);
  const a = attrsText(n.attrs);
  if (a) rows.push(['attributes', a]);
  if (Array.isArray(n.scope) && n.scope.length) rows.push(['scope', listed(n.scope, (x) => shorten(asText(x), NAME_CHARS), 'levels', ' / ')]);
  rows.push(['requires grad', n.requiresGrad ? 'yes' : 'no']);
  const table = h(doc, 'table', { class: 'gradlab-details-table' });
  for (const [k, v] of rows) table.append(h(doc, 'tr', {}, h(doc, 'th', {}, k), h(doc, 'td', {}, v)));
  out.push(table);
  out.push(summaryBlock(doc, 'value', n.value, 'gradlab-value'));
  out.push(
    n.grad
      ? summaryBlock(doc, 'grad', n.grad, 'gradlab-grad')
      : h(doc, 'div', { class: 'gradlab-muted' }, 'grad: none (not reached by backward, or backward not run yet)'),
  );
  const check = checkBlock(doc, n.check);
  if (check) out.push(check);
  const rule = ruleBlock(doc, ruleOf({ rules: rules as BackwardRule[] | undefined }, n), n, named);
  if (rule) out.push(rule);
  const uses = usesBlock(doc, id, n, nodes, named);
  if (uses) out.push(uses);
  return out;
}

/** The first {@link DETAILS_LIST_MAX} items as text, then "… 12,345 more inputs". */
function listed<T>(items: readonly T[], text: (x: T) => string, what: string, sep = ', '): string {
  const head = items.slice(0, DETAILS_LIST_MAX).map(text).join(sep);
  return items.length > DETAILS_LIST_MAX ? `${head}${sep}… ${formatCount(items.length - DETAILS_LIST_MAX)} more ${what}` : head;
}

/**
 * Why a local Jacobian of this structure is never formed as a matrix: what
 * backward does instead, and what the matrix would cost. Empty for dense ones.
 */
export function jacobianWhy(structure: string, rows: number, cols: number): string {
  const st = structure.toLowerCase();
  const entries = rows * cols;
  if (!(entries > 1)) return ''; // a 1 × 1 Jacobian is a number: nothing to avoid
  const matrix = `a ${formatCount(rows)} × ${formatCount(cols)} matrix would hold ${formatCount(entries)} numbers`;
  if (st.startsWith('zero')) return 'all zeros: nothing flows back, nothing to compute';
  if (st.includes('selection') || st.includes('scatter') || st.includes('permutation'))
    return `one 1 per row or column: backward only moves entries of ∂L/∂y (no multiplications), where ${matrix}`;
  if (st.includes('diagonal') && !st.includes('block'))
    return `only the diagonal can be non-zero: backward multiplies entry by entry (${formatCount(Math.min(rows, cols))} product${Math.min(rows, cols) === 1 ? '' : 's'}), where ${matrix}`;
  if (st.includes('identity') || st.includes('ones') || st.includes('column')) return `backward copies or sums ∂L/∂y (no products at all), where ${matrix}`;
  if (st.includes('block') || st.includes('kronecker'))
    return `repeated blocks of the other operand: backward is one small matrix product, where ${matrix}, mostly zeros`;
  if (st.includes('user')) return `backward computes ∂L/∂y · J directly from its saved values; J itself is never built`;
  return '';
}

function ruleBlock(doc: Document, r: BackwardRule | null, n: Partial<GraphNode>, named: (j: number) => string): HTMLElement | null {
  if (r === null || typeof r.pattern !== 'string') return null;
  const op = asText(n.op, '?');
  const pattern = asText(r.pattern);
  const box = h(doc, 'div', { class: 'gradlab-details-rule' });
  const words = Object.prototype.hasOwnProperty.call(PATTERN_WORDS, pattern) ? PATTERN_WORDS[pattern as BackwardRule['pattern']] : '';
  box.append(
    h(doc, 'div', {}, h(doc, 'strong', {}, `backward: ${patternName(op, pattern)}`), words ? ` — ${words}` : ''),
    h(doc, 'div', { class: 'gradlab-details-formula' }, asText(r.text, '')),
  );
  const inputs = Array.isArray(n.inputs) ? n.inputs : [];
  const jac = Array.isArray(r.jacobians) ? r.jacobians : [];
  const sent = Array.isArray(n.inputGrads) ? n.inputGrads : null;
  if (jac.length || sent) {
    const table = h(doc, 'table', { class: 'gradlab-details-table gradlab-details-jacobians' });
    table.append(h(doc, 'tr', {}, h(doc, 'th', {}, 'operand'), h(doc, 'th', {}, 'local Jacobian ∂y/∂x'), h(doc, 'th', {}, 'sent back')));
    const all = Math.max(jac.length, inputs.length);
    const count = Math.min(all, DETAILS_LIST_MAX);
    for (let i = 0; i < count; i++) {
      const j = jac[i];
      const rows = Array.isArray(j?.shape) ? Number(j.shape[0]) : NaN;
      const cols = Array.isArray(j?.shape) ? Number(j.shape[1]) : NaN;
      const shape = Number.isFinite(rows) && Number.isFinite(cols) ? `[${formatCount(rows)} × ${formatCount(cols)}]` : '?';
      const structure = j ? asText(j.structure, '?') : '?';
      const why = j && Number.isFinite(rows) && Number.isFinite(cols) ? jacobianWhy(structure, rows, cols) : '';
      const cell = h(doc, 'td', {}, `${shape} ${structure}`);
      if (why) cell.append(h(doc, 'div', { class: 'gradlab-muted gradlab-details-why' }, why));
      const g = sent ? sent[i] : undefined;
      table.append(
        h(
          doc,
          'tr',
          {},
          h(doc, 'th', {}, i < inputs.length ? named(inputs[i]) : `operand ${i + 1}`),
          cell,
          h(doc, 'td', { class: 'gradlab-grad' }, g === undefined ? '—' : g === null ? 'nothing (needs no gradient)' : tensorText(g)),
        ),
      );
    }
    if (all > count) table.append(h(doc, 'tr', {}, h(doc, 'td', { colspan: 3, class: 'gradlab-muted' }, `… ${formatCount(all - count)} more operands`)));
    box.append(table);
  }
  return box;
}

/** One use of a value: the op that consumed it and at which operand position. */
interface Use {
  consumer: number;
  position: number;
}

/** Where each value is used, built once per nodes array (hovering must not rescan a 10,000-node graph). */
const usesCache = new WeakMap<unknown[], Use[][]>();

function usesOf(nodes: unknown[]): Use[][] {
  const cached = usesCache.get(nodes);
  if (cached) return cached;
  const uses: Use[][] = nodes.map(() => []);
  nodes.forEach((raw, c) => {
    const inputs = (raw as Partial<GraphNode> | null)?.inputs;
    if (!Array.isArray(inputs)) return;
    inputs.forEach((u, position) => {
      if (Number.isInteger(u) && u >= 0 && u < nodes.length && u !== c) uses[u].push({ consumer: c, position });
    });
  });
  usesCache.set(nodes, uses);
  return uses;
}

/** A value used several times: each use's contribution to its gradient, their sum, and whether it is the gradient. */
function usesBlock(doc: Document, id: number, n: Partial<GraphNode>, nodes: unknown[], named: (j: number) => string): HTMLElement | null {
  const uses = usesOf(nodes)[id] ?? [];
  if (uses.length < 2) return null;
  const box = h(doc, 'div', { class: 'gradlab-details-uses' });
  box.append(h(doc, 'div', {}, h(doc, 'strong', {}, `used ${uses.length} times`), ' — its gradient is the sum of what each use sends back'));
  const table = h(doc, 'table', { class: 'gradlab-details-table' });
  const contributions: (TensorSummary | null)[] = [];
  for (const u of uses) {
    const c = nodes[u.consumer] as Partial<GraphNode> | null;
    const sent = c && Array.isArray(c.inputGrads) ? c.inputGrads[u.position] : undefined;
    const g = sent && Array.isArray(sent.values) ? sent : null;
    contributions.push(g);
    if (contributions.length > DETAILS_LIST_MAX) continue; // summed, not listed
    const text = sent === undefined ? 'not known (backward did not run through it)' : g ? tensorText(g) : 'nothing';
    table.append(
      h(
        doc,
        'tr',
        {},
        h(doc, 'th', {}, `from ${named(u.consumer)} (${shorten(asText(c?.op, '?'), NAME_CHARS)}, operand ${u.position + 1})`),
        h(doc, 'td', { class: 'gradlab-grad' }, text),
      ),
    );
  }
  if (uses.length > DETAILS_LIST_MAX)
    table.append(
      h(doc, 'tr', {}, h(doc, 'td', { colspan: 2, class: 'gradlab-muted' }, `… ${formatCount(uses.length - DETAILS_LIST_MAX)} more uses (in the sum below)`)),
    );
  const sum = sumOf(contributions);
  const size = sumOf(contributions.map((t) => (t ? { ...t, values: t.values.map((v) => (typeof v === 'number' ? Math.abs(v) : v)) } : t)));
  const grad = n.grad && Array.isArray(n.grad.values) ? n.grad : null;
  let verdict: HTMLElement;
  if (sum === null) verdict = h(doc, 'td', { class: 'gradlab-muted' }, 'not known (a contribution is missing or truncated)');
  else {
    const same = grad ? agrees(sum, size!, grad) : null;
    verdict = h(
      doc,
      'td',
      { class: same === null ? 'gradlab-grad' : same ? 'gradlab-grad gradlab-pass' : 'gradlab-grad gradlab-fail' },
      `${listText(sum, grad?.shape)}${same === null ? (grad ? ' (grad is summarised: not compared)' : ' (no grad to compare)') : same ? ' = grad ✓' : ` ≠ grad ${tensorText(grad!)} ✗`}`,
    );
  }
  table.append(h(doc, 'tr', { class: 'gradlab-details-sum' }, h(doc, 'th', {}, 'sum'), verdict));
  box.append(table);
  return box;
}

function checkBlock(doc: Document, c: NodeCheck | undefined): HTMLElement | null {
  if (typeof c !== 'object' || c === null || typeof c.ok !== 'boolean') return null;
  return h(
    doc,
    'div',
    { class: `gradlab-details-check ${c.ok ? 'gradlab-pass' : 'gradlab-fail'}` },
    c.ok
      ? `✓ local backward agrees with finite differences: relative error ${formatErr(c.relError)} over ${formatCount(c.count)} entr${c.count === 1 ? 'y' : 'ies'}`
      : `✗ local backward disagrees with finite differences: relative error ${formatErr(c.relError)} (absolute ${formatErr(c.absError)}) over ${formatCount(c.count)} entr${c.count === 1 ? 'y' : 'ies'}`,
  );
}

/** A summary in one line: `6` for a scalar, else its shape and entries. */
function tensorText(t: TensorSummary): string {
  if (!Array.isArray(t.values)) return '?';
  if (t.size === 1 && t.values.length >= 1) return formatNumLong(t.values[0]);
  const more = t.truncated ? ', …' : '';
  return `${formatShape(t.shape)} [${t.values
    .slice(0, 6)
    .map((v) => formatNum(v))
    .join(', ')}${t.values.length > 6 ? ', …' : more}]`;
}

function listText(v: number[], shape: unknown): string {
  if (v.length === 1) return formatNumLong(v[0]);
  return `${formatShape(shape)} [${v
    .slice(0, 6)
    .map((x) => formatNum(x))
    .join(', ')}${v.length > 6 ? ', …' : ''}]`;
}

/** Entry-by-entry sum of complete summaries; null when any is missing, truncated or non-finite, or their sizes differ. */
function sumOf(ts: (TensorSummary | null)[]): number[] | null {
  let sum: number[] | null = null;
  for (const t of ts) {
    if (!t || t.truncated || !t.values.every((v): v is number => typeof v === 'number')) return null;
    const v = t.values;
    if (sum === null) sum = v.slice();
    else if (sum.length !== v.length) return null;
    else for (let i = 0; i < v.length; i++) sum[i] += v[i];
  }
  return sum;
}

/**
 * Whether a sum of contributions is the gradient, entry by entry. Tolerance
 * 1e-5 of the sum of the terms' sizes (`size`, Σ|termᵢ|): payloads of large
 * graphs carry 6 significant digits, and the engine may add in another order.
 */
function agrees(sum: number[], size: number[], grad: TensorSummary): boolean | null {
  if (grad.truncated || grad.values.length !== sum.length) return null;
  return grad.values.every((g, i) => typeof g === 'number' && Math.abs(g - sum[i]) <= 1e-5 * Math.max(1e-12, size[i], Math.abs(g)));
}

/** Entries of a summary the details panel lists (the engine sends at most 16; a hand-made payload may send a million). */
const ENTRIES_MAX = 256;

function summaryBlock(doc: Document, label: string, t: TensorSummary | null | undefined, cls: string): HTMLElement {
  const box = h(doc, 'div', { class: `gradlab-summary ${cls}` });
  if (!t || !Array.isArray(t.values)) {
    box.append(`${label}: ?`);
    return box;
  }
  const stats = `min ${formatNumLong(t.min)} · max ${formatNumLong(t.max)} · mean ${formatNumLong(t.mean)} · ${asText(t.size)} entr${t.size === 1 ? 'y' : 'ies'} · ${asText(t.dtype)}`;
  box.append(h(doc, 'div', {}, h(doc, 'strong', {}, label), ' ', stats));
  const entries = t.values
    .slice(0, ENTRIES_MAX)
    .map((v) => formatNumLong(v))
    .join(', ');
  const shown = Math.min(t.values.length, ENTRIES_MAX);
  const more = t.truncated || shown < t.values.length ? ` … (first ${formatCount(shown)} of ${asText(t.size)})` : '';
  box.append(h(doc, 'div', { class: 'gradlab-entries' }, `[${entries}${more}]`));
  return box;
}
