/**
 * The gradient-check view: pass or fail as ✓/✗ and colour (reports are often
 * printed in grey), the largest relative error and the settings, a line per
 * input, the entries worst first, and the forward-mode check. The rows come
 * from `gradCheckModel`, the same ones the static HTML and text tables show.
 *
 * A check run with `{nodes: true}` carries the traced graph, every op node
 * with its local check: the view names the failing node(s) with a button that
 * shows each in the graph drawn below (failing nodes carry
 * `gradlab-check-fail` and their relative error there).
 */
import type { GradCheckPayload, GraphNode, GraphPayload } from '../../engine/display/contract';
import { asText, formatCount, formatErr, toNumber } from '../../engine/display/figures/format';
import { gradCheckModel, STATIC_ROWS } from '../../engine/display/figures/gradcheck';
import { nodeTitle } from '../../engine/display/figures/graph';
import { h, mount, safely, type View } from './dom';
import { renderGraph, type GraphView } from './graph';
import { GC_MAX_ENTRIES, GC_MAX_INPUTS } from '../validate';

/** Columns of the entries table holding numbers (right-aligned). */
const NUMERIC = [2, 3, 4];

/** The class of a verdict: pass, fail, or not judged (null). */
function okClass(ok: boolean | null): string {
  return ok === null ? 'gradlab-muted' : ok ? 'gradlab-pass' : 'gradlab-fail';
}

/** The inputs table (one row per input, at most GC_MAX_INPUTS) and, when `given` is more, a line counting the rest. */
function inputsTable(doc: Document, m: ReturnType<typeof gradCheckModel>, given: number): HTMLElement[] {
  const out: HTMLElement[] = [];
  const inputs = h(doc, 'table', { class: 'gradlab-table gradlab-gradcheck-inputs' });
  inputs.append(row(doc, 'th', ['', 'input', 'shape', 'entries', 'max rel. error'], [3, 4]));
  for (const i of m.inputs) {
    const tr = row(doc, 'td', [i.mark, i.name, i.shape, i.count, i.maxRelError], [3, 4]);
    tr.className = i.ok ? 'gradlab-row-pass' : 'gradlab-row-fail';
    tr.firstElementChild!.classList.add('gradlab-mark', okClass(i.ok));
    inputs.append(tr);
  }
  out.push(inputs);
  if (given > GC_MAX_INPUTS) {
    out.push(
      h(doc, 'div', { class: 'gradlab-muted' }, `… ${formatCount(given - GC_MAX_INPUTS)} more inputs, not listed (at most ${formatCount(GC_MAX_INPUTS)}).`),
    );
  }
  return out;
}

/** Draws `p` into `host`, replacing whatever view was there. */
export function renderGradCheck(host: HTMLElement, p: GradCheckPayload): View {
  return safely(host, 'gradient check', () => {
    const doc = host.ownerDocument;
    // Bounded by the caps whatever the payload holds: the model sorts and formats every entry it is given.
    const entries = Array.isArray(p?.entries) ? p.entries : [];
    const inputsGiven = Array.isArray(p?.inputs) ? p.inputs : [];
    const m = gradCheckModel({ ...p, entries: entries.slice(0, GC_MAX_ENTRIES), inputs: inputsGiven.slice(0, GC_MAX_INPUTS) });
    const root = h(doc, 'div', { class: 'gradlab-figure gradlab-gradcheck', 'data-gradlab-view': 'gradcheck' });
    root.append(
      h(doc, 'div', { class: `gradlab-headline ${okClass(m.ok)}`, role: 'status' }, m.headline),
      h(doc, 'div', { class: 'gradlab-muted' }, m.settings),
    );

    root.append(...inputsTable(doc, m, inputsGiven.length));

    const scroll = h(doc, 'div', { class: 'gradlab-table-scroll' });
    const table = h(doc, 'table', { class: 'gradlab-table gradlab-gradcheck-entries' });
    table.append(row(doc, 'th', m.columns, NUMERIC));
    const body = h(doc, 'tbody');
    const addRows = (from: number, to: number) => {
      for (const r of m.rows.slice(from, to)) {
        const tr = row(doc, 'td', r.cells, NUMERIC);
        tr.className = r.ok ? 'gradlab-row-pass' : 'gradlab-row-fail';
        tr.lastElementChild!.classList.add('gradlab-mark', okClass(r.ok));
        body.append(tr);
      }
    };
    addRows(0, STATIC_ROWS);
    table.append(body);
    scroll.append(table);
    root.append(scroll);

    if (m.rows.length > STATIC_ROWS) {
      const more = h(doc, 'button', { type: 'button', class: 'gradlab-button' }, `show all ${formatCount(m.rows.length)} entries`);
      more.addEventListener('click', () => {
        addRows(STATIC_ROWS, m.rows.length);
        more.remove();
      });
      root.append(more);
    }
    if (entries.length > GC_MAX_ENTRIES) {
      root.append(
        h(
          doc,
          'div',
          { class: 'gradlab-muted' },
          `The payload holds ${formatCount(entries.length)} entries; the first ${formatCount(GC_MAX_ENTRIES)} are listed.`,
        ),
      );
    } else if (m.notShown > 0) {
      root.append(h(doc, 'div', { class: 'gradlab-muted' }, `… ${m.notShown} more entries were checked; the payload keeps the worst ones.`));
    }
    root.append(h(doc, 'div', { class: `gradlab-forward ${okClass(m.forward.ok)}` }, m.forward.text));

    let graph: GraphView | null = null;
    const g = p.graph;
    if (typeof g === 'object' && g !== null && Array.isArray(g.nodes)) {
      const graphHost = h(doc, 'div', { class: 'gradlab-gradcheck-graph' });
      const nodes = checkedNodes(g);
      root.append(nodeChecksBlock(doc, nodes, (id) => graph && showNode(graph, graphHost, id)));
      root.append(graphHost);
      graph = renderGraph(graphHost, g);
    }
    return mount(host, root, {
      dispose() {
        graph?.dispose();
      },
    });
  });
}

/** An op node's local check, as the view lists it. */
export interface CheckedNode {
  id: number;
  op: string;
  /** How the node is called in text: its name, else `#id`. */
  title: string;
  ok: boolean;
  relError: number;
  relErrorText: string;
}

/** The op nodes of `g` that carry a check, failing ones first, worst (largest relative error; NaN counts as worst) first. */
export function checkedNodes(g: GraphPayload): CheckedNode[] {
  const out: CheckedNode[] = [];
  (Array.isArray(g.nodes) ? g.nodes : []).forEach((raw, id) => {
    const n = (typeof raw === 'object' && raw !== null ? raw : {}) as Partial<GraphNode>;
    const c = n.check;
    if (typeof c !== 'object' || c === null || typeof c.ok !== 'boolean') return;
    const e = toNumber(c.relError);
    out.push({
      id,
      op: asText(n.op, '?'),
      title: nodeTitle({ id, name: n.name ?? null }),
      ok: c.ok,
      relError: Number.isNaN(e) ? Infinity : e,
      relErrorText: formatErr(c.relError),
    });
  });
  return out.sort((a, b) => Number(a.ok) - Number(b.ok) || b.relError - a.relError || a.id - b.id);
}

/** Failing nodes shown by name with their own "show" button; at most this many (the rest counted). */
const MAX_LISTED = 5;

function nodeChecksBlock(doc: Document, nodes: CheckedNode[], show: (id: number) => void): HTMLElement {
  const failing = nodes.filter((n) => !n.ok);
  const box = h(doc, 'div', { class: 'gradlab-gradcheck-nodes', role: 'status' });
  if (nodes.length === 0) {
    box.append(h(doc, 'div', { class: 'gradlab-muted' }, 'The graph below carries no per-node checks.'));
    return box;
  }
  if (failing.length === 0) {
    box.append(
      h(
        doc,
        'div',
        { class: 'gradlab-pass' },
        `✓ every op's local backward agrees with finite differences (${formatCount(nodes.length)} node${nodes.length === 1 ? '' : 's'} checked)`,
      ),
    );
    return box;
  }
  box.append(
    h(
      doc,
      'div',
      { class: 'gradlab-fail' },
      `✗ ${failing.length === 1 ? 'one node’s' : `${formatCount(failing.length)} nodes’`} local backward disagree${failing.length === 1 ? 's' : ''} with finite differences (of ${formatCount(nodes.length)} checked):`,
    ),
  );
  const list = h(doc, 'ul', { class: 'gradlab-gradcheck-failing' });
  for (const n of failing.slice(0, MAX_LISTED)) {
    const button = h(
      doc,
      'button',
      {
        type: 'button',
        class: 'gradlab-button',
        'data-node-id': n.id,
        title: `select ${n.title} in the graph below`,
        'aria-label': `show ${n.title} (${n.op}) in the graph`,
      },
      'show in graph',
    );
    button.addEventListener('click', () => show(n.id));
    list.append(h(doc, 'li', { class: 'gradlab-fail' }, `✗ ${n.op} `, h(doc, 'strong', {}, n.title), ` — relative error ${n.relErrorText} `, button));
  }
  box.append(list);
  if (failing.length > MAX_LISTED)
    box.append(h(doc, 'div', { class: 'gradlab-muted' }, `… and ${formatCount(failing.length - MAX_LISTED)} more, marked in the graph.`));
  return box;
}

/**
 * Selects node `id` in the graph view and brings it into view as a user
 * would: expanding the collapsed groups hiding it (Enter on their toggles),
 * clicking the node and dragging it to the middle of the canvas.
 */
function showNode(view: GraphView, graphHost: HTMLElement, id: number): void {
  const find = () => graphHost.querySelector(`.gradlab-node[data-node-id="${id}"]`);
  for (let depth = 0; depth < 32 && !find(); depth++) {
    const key = view.figure?.hiddenIn.get(id);
    const toggle = key === undefined ? null : [...graphHost.querySelectorAll('[data-group-toggle]')].find((e) => e.getAttribute('data-group-toggle') === key);
    if (!toggle) break;
    toggle.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
  }
  const el = find();
  if (!el) return;
  const at = (type: string, x: number, y: number) => new PointerEvent(type, { bubbles: true, button: 0, clientX: x, clientY: y, pointerId: 1 });
  if (!el.classList.contains('gradlab-selected')) {
    el.dispatchEvent(at('pointerdown', 0, 0));
    el.dispatchEvent(at('pointerup', 0, 0));
  }
  // Scroll the page to the canvas (never the node itself: that would scroll the clipped canvas under its pan).
  const canvas = graphHost.querySelector<HTMLElement>('.gradlab-graph-canvas');
  if (!canvas) return;
  canvas.focus?.({ preventScroll: true });
  canvas.scrollIntoView?.({ block: 'nearest' });
  // Then pan the node to the canvas's centre, as a drag would.
  const c = canvas.getBoundingClientRect();
  const r = el.getBoundingClientRect();
  const dx = Math.round(c.left + c.width / 2 - (r.left + r.width / 2));
  const dy = Math.round(c.top + c.height / 2 - (r.top + r.height / 2));
  if (c.width === 0 || (r.left >= c.left && r.right <= c.right && r.top >= c.top && r.bottom <= c.bottom)) return;
  const x = c.left + c.width / 2;
  const y = c.top + c.height / 2;
  canvas.dispatchEvent(at('pointerdown', x, y));
  canvas.dispatchEvent(at('pointermove', x + dx, y + dy));
  canvas.dispatchEvent(at('pointerup', x + dx, y + dy));
}

function row(doc: Document, cell: 'td' | 'th', cells: string[], numeric: number[]): HTMLElement {
  const tr = h(doc, 'tr');
  cells.forEach((c, k) => tr.append(h(doc, cell, { class: numeric.includes(k) ? 'gradlab-num' : null }, c)));
  return tr;
}
