/**
 * The graph view's details panel: everything the payload says about one node,
 * as text (never markup). Plain functions of the payload.
 */
import type { GraphNode, TensorSummary } from '../../engine/display/contract';
import { asText, formatNumLong, formatShape } from '../../engine/display/figures/format';
import { attrsText, nodeTitle } from '../../engine/display/figures/graph';
import { h } from './dom';

/** The details panel of one node: everything its payload says, as text. */
export function nodeDetails(doc: Document, id: number, nodes: unknown[], pinned: boolean): Node[] {
  const raw = nodes[id];
  const n = (typeof raw === 'object' && raw !== null ? raw : {}) as Partial<GraphNode>;
  const named = (j: number) => {
    const m = nodes[j] as Partial<GraphNode> | undefined;
    return m ? `${nodeTitle({ id: j, name: m.name ?? null })}${m.kind === 'const' ? ' (const)' : ''}` : `#${j}`;
  };
  const kind =
    n.kind === 'leaf' ? (n.requiresGrad ? 'leaf, requires grad' : 'leaf') : n.kind === 'const' ? 'constant' : `result of ${asText(n.op, '?')}`;
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
  if (Array.isArray(n.inputs) && n.inputs.length) rows.push(['inputs', n.inputs.map(named).join(', ')]);
  rows.push(['shape', `[${Array.isArray(n.shape) ? n.shape.map((d) => asText(d)).join(', ') : '?'}] (${formatShape(n.shape)})`]);
  const a = attrsText(n.attrs);
  if (a) rows.push(['attributes', a]);
  if (Array.isArray(n.scope) && n.scope.length) rows.push(['scope', n.scope.map((x) => asText(x)).join(' / ')]);
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
  return out;
}

function summaryBlock(doc: Document, label: string, t: TensorSummary | null | undefined, cls: string): HTMLElement {
  const box = h(doc, 'div', { class: `gradlab-summary ${cls}` });
  if (!t || !Array.isArray(t.values)) {
    box.append(`${label}: ?`);
    return box;
  }
  const stats = `min ${formatNumLong(t.min)} · max ${formatNumLong(t.max)} · mean ${formatNumLong(t.mean)} · ${asText(t.size)} entr${t.size === 1 ? 'y' : 'ies'} · ${asText(t.dtype)}`;
  box.append(h(doc, 'div', {}, h(doc, 'strong', {}, label), ' ', stats));
  const entries = t.values.map((v) => formatNumLong(v)).join(', ');
  const more = t.truncated ? ` … (first ${t.values.length} of ${asText(t.size)})` : '';
  box.append(h(doc, 'div', { class: 'gradlab-entries' }, `[${entries}${more}]`));
  return box;
}
