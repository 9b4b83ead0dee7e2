// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import type { GradCheckPayload, GraphNode, GraphPayload, NodeCheck } from '../../../engine/display/contract';
import { checkedNodes, renderGradCheck } from '../../../extension/views/gradcheck';
import { currentView } from '../../../extension/views/dom';
import * as F from '../../fixtures/payloads';
import { wire } from '../../fixtures/wire';

function host(): HTMLElement {
  const el = document.createElement('div');
  document.body.append(el);
  return el;
}

afterEach(() => document.body.replaceChildren());

const ok = (relError: number): NodeCheck => ({ ok: true, relError, absError: relError, count: 3 });
const bad = (relError: number | 'NaN'): NodeCheck => ({ ok: false, relError, absError: 1.5, count: 3 });

function node(id: number, kind: GraphNode['kind'], op: string, name: string | null, inputs: number[], check?: NodeCheck, scope: string[] = []): GraphNode {
  const value = F.tensor([3], [1.5, 2, -0.5]);
  return { id, kind, op, name, inputs, shape: [3], value, grad: value, requiresGrad: true, scope, ...(check ? { check } : {}) };
}

/** f(x) = sum(mySquare(x) · scale): mySquare's backward forgot the factor 2. */
const graph: GraphPayload = {
  version: 1,
  kind: 'graph',
  output: 4,
  nodes: [
    node(0, 'leaf', 'leaf', 'x', []),
    node(1, 'leaf', 'leaf', 'scale', []),
    node(2, 'op', 'mySquare', 'sq', [0], bad(0.3333333)),
    node(3, 'op', 'mul', null, [2, 1], ok(2e-11)),
    node(4, 'op', 'sum', 'f', [3], ok(0)),
  ],
};

const withGraph = (g: GraphPayload): GradCheckPayload => ({ ...F.gradCheckFail, graph: g });

describe('renderGradCheck with a checked graph', () => {
  it('draws the report, names the failing node with its relative error, and the graph below', () => {
    const el = host();
    renderGradCheck(el, wire(withGraph(graph)));
    // the report as before
    expect(el.querySelector('.gradlab-headline')!.textContent).toBe('✗ gradient check FAILED (mySquare (custom op))');
    // the failing node, by op, name and relative error
    const block = el.querySelector('.gradlab-gradcheck-nodes')!;
    expect(block.firstElementChild!.textContent).toBe('✗ one node’s local backward disagrees with finite differences (of 3 checked):');
    expect([...block.querySelectorAll('li')].map((li) => li.textContent)).toEqual(['✗ mySquare sq — relative error 3.3e-1 show in graph']);
    // the graph view, after the report, with the failing node (only) marked
    const view = el.querySelector('.gradlab-gradcheck [data-gradlab-view="graph"]')!;
    expect(view).not.toBeNull();
    expect(el.querySelector('.gradlab-gradcheck-nodes')!.compareDocumentPosition(view) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect([...view.querySelectorAll('.gradlab-check-fail')].map((e) => e.getAttribute('data-node-id'))).toEqual(['2']);
  });

  it('selects the failing node in the graph when its button is pressed, showing its check in the details', () => {
    const el = host();
    renderGradCheck(el, wire(withGraph(graph)));
    expect(el.querySelector('.gradlab-selected')).toBeNull();
    (el.querySelector('.gradlab-gradcheck-failing button') as HTMLButtonElement).click();
    expect(el.querySelector('.gradlab-selected')!.getAttribute('data-node-id')).toBe('2');
    const details = el.querySelector('.gradlab-graph-details')!.textContent;
    expect(details).toContain('sq — result of mySquare');
    expect(details).toContain('✗ local backward disagrees with finite differences: relative error 3.3e-1');
  });

  it('expands the collapsed groups hiding a failing node before selecting it', () => {
    // 120 nodes in 4 layers: large enough to open with the groups collapsed
    const nodes: GraphNode[] = [node(0, 'leaf', 'leaf', 'x', [])];
    for (let l = 0; l < 4; l++) {
      for (let k = 0; k < 30; k++) {
        const id = nodes.length;
        const failing = l === 2 && k === 17;
        nodes.push(node(id, 'op', failing ? 'myTanh' : 'tanh', failing ? 'bad' : null, [id - 1], failing ? bad('NaN') : ok(1e-10), [`layer${l}`]));
      }
    }
    const big: GraphPayload = { version: 1, kind: 'graph', output: nodes.length - 1, nodes };
    const el = host();
    renderGradCheck(el, wire(withGraph(big)));
    const failingId = 1 + 2 * 30 + 17;
    expect(el.querySelector(`.gradlab-node[data-node-id="${failingId}"]`)).toBeNull(); // hidden in layer2's box
    expect(el.querySelector('.gradlab-group-collapsed.gradlab-check-fail')!.getAttribute('data-group')).toBe('layer2');
    expect([...el.querySelectorAll('.gradlab-gradcheck-failing li')].map((li) => li.textContent)).toEqual(['✗ myTanh bad — relative error NaN show in graph']);
    (el.querySelector('.gradlab-gradcheck-failing button') as HTMLButtonElement).click();
    const selected = el.querySelector('.gradlab-selected')!;
    expect(selected.getAttribute('data-node-id')).toBe(String(failingId));
    expect(selected.classList.contains('gradlab-check-fail')).toBe(true);
  });

  it('says so when every node passes, and lists failures worst first (NaN worst)', () => {
    const g = wire(graph);
    g.nodes[2].check = ok(1e-9);
    const el = host();
    renderGradCheck(el, wire({ ...F.gradCheckPass, graph: g }));
    expect(el.querySelector('.gradlab-gradcheck-nodes')!.textContent).toBe("✓ every op's local backward agrees with finite differences (3 nodes checked)");
    expect(el.querySelectorAll('.gradlab-check-fail')).toHaveLength(0);

    g.nodes[2].check = bad(0.25);
    g.nodes[3].check = bad('NaN');
    g.nodes[4].check = bad(0.5);
    expect(checkedNodes(g).map((n) => [n.id, n.ok, n.relErrorText])).toEqual([
      [3, false, 'NaN'],
      [4, false, '5.0e-1'],
      [2, false, '2.5e-1'],
    ]);
  });

  it('draws as before without a graph, and disposes the graph with the report', () => {
    const el = host();
    renderGradCheck(el, wire(F.gradCheckFail));
    expect(el.querySelector('.gradlab-gradcheck-nodes')).toBeNull();
    expect(el.querySelector('[data-gradlab-view="graph"]')).toBeNull();
    renderGradCheck(el, wire(withGraph(graph)));
    expect(el.querySelectorAll('[data-gradlab-view="graph"]')).toHaveLength(1);
    currentView(el)!.dispose();
    expect(el.querySelector('[data-gradlab-view="graph"]')).toBeNull();
  });

  it('writes node names as text', () => {
    const g = wire(graph);
    g.nodes[2].name = F.XSS_NAME;
    const el = host();
    renderGradCheck(el, wire(withGraph(g)));
    expect(el.querySelector('img')).toBeNull();
    expect(el.querySelector('.gradlab-gradcheck-failing strong')!.textContent).toBe(F.XSS_NAME);
  });
});
