import { describe, expect, it } from 'vitest';
import type { GraphPayload, LossCurvePayload } from '../../../../engine/display/contract';
import {
  DAGRE_MAX_NODES,
  downsampleMinMax,
  escapeXml,
  formatNum,
  gradCheckHtml,
  gradCheckModel,
  gradCheckText,
  graphFigure,
  graphSvg,
  graphText,
  jacobianChainHtml,
  jacobianChainModel,
  jacobianChainText,
  lossCurveSvg,
  lossCurveText,
  niceTicks,
} from '../../../../engine/display/figures/index';
import * as F from '../../../fixtures/payloads';

/** The text content of every `<text>` (and `<tspan>`) of an SVG string, unescaped. */
function svgTexts(svg: string): string[] {
  const out: string[] = [];
  for (const m of svg.matchAll(/<(text|tspan|title)\b[^>]*>([^<]*)/g)) out.push(unescape(m[2]));
  return out;
}

function unescape(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Every tag name in a markup string: an injected element would show up here. */
function tags(markup: string): string[] {
  return [...markup.matchAll(/<([a-zA-Z][\w-]*)/g)].map((m) => m[1].toLowerCase());
}

describe('formatNum', () => {
  it.each([
    [3, '3'],
    [-20, '-20'],
    [0, '0'],
    [0.123456, '0.1235'],
    [1e-7, '1e-7'],
    [123456.7, '1.23e+5'],
    [2.5, '2.5'],
    ['NaN', 'NaN'],
    ['-Infinity', '-Infinity'],
    [undefined, '?'],
  ])('%s → %s', (n, s) => expect(formatNum(n)).toBe(s));
});

describe('escapeXml', () => {
  it('escapes markup and quotes, and replaces characters XML forbids', () => {
    expect(escapeXml(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
    expect(escapeXml('a\u0000b')).toBe('a\ufffdb');
  });
});

describe('graphFigure', () => {
  it('draws the CS231n circuit: every value once, the constant 2 inline on its ×', () => {
    const fig = graphFigure(F.circuitGraph);
    expect(fig.layout).toBe('dagre');
    expect(fig.nodes.map((n) => n.id).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 8]);
    expect(fig.inlined).toBe(1);
    const f = fig.nodes.find((n) => n.id === 8)!;
    expect(f.op?.label).toBe('× 2');
    expect(f.output).toBe(true);
    expect(fig.nodes.find((n) => n.id === 5)!.op?.label).toBe('max');
    expect(fig.nodes.filter((n) => n.gradLeaf).map((n) => n.id)).toEqual([0, 1, 2, 3]);
    // 6 edges: x, y → ×; z, w → max; ×, max → +; + → × 2 (the constant's edge is inline)
    expect(fig.edges).toHaveLength(7);
    expect(fig.notes).toEqual([]);
  });

  it('lays out left to right in topological order, without overlapping boxes', () => {
    for (const p of [F.circuitGraph, F.layerGraph, F.syntheticMlpGraph(1000)]) {
      const fig = graphFigure(p);
      const byId = new Map(fig.nodes.map((n) => [n.id, n]));
      for (const e of fig.edges) {
        const a = byId.get(e.from)!;
        const b = byId.get(e.to)!;
        expect(a.box.x + a.box.w).toBeLessThan(b.op ? b.op.cx - b.op.rx : b.box.x);
      }
      const boxes = fig.nodes.map((n) => ({ x0: n.op ? n.op.cx - n.op.rx : n.box.x, x1: n.box.x + n.box.w, y0: n.box.y, y1: n.box.y + n.box.h }));
      boxes.sort((a, b) => a.x0 - b.x0);
      const overlaps: string[] = [];
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length && boxes[j].x0 < boxes[i].x1; j++) {
          if (boxes[i].y0 < boxes[j].y1 - 0.5 && boxes[j].y0 < boxes[i].y1 - 0.5) overlaps.push(`${i}/${j}`);
        }
      }
      expect(overlaps).toEqual([]);
    }
  });

  it('draws a value used twice (x·x) with two edges', () => {
    const fig = graphFigure(F.squareGraph);
    expect(fig.edges.filter((e) => e.from === 0 && e.to === 1)).toHaveLength(2);
    expect(new Set(fig.edges.map((e) => e.d)).size).toBe(2);
  });

  it('labels edges with non-scalar shapes only', () => {
    const fig = graphFigure(F.layerGraph);
    expect(fig.edges.map((e) => e.label).sort()).toEqual(['2', '3×2', '4×2', '4×2', '4×2', '4×3']);
    expect(graphFigure(F.circuitGraph).edges.every((e) => e.label === null)).toBe(true);
  });

  it('says when there are no gradients yet, and what was left out', () => {
    expect(graphFigure(F.circuitNoGrad).notes.join(' ')).toMatch(/No gradients yet: call backward\(\)/);
    const omitted: GraphPayload = { ...F.circuitGraph, omitted: { nodes: 12345, reason: 'the graph has more than 10,000 nodes' } };
    expect(graphFigure(omitted).notes[0]).toBe('12,345 nodes left out: the graph has more than 10,000 nodes.');
  });

  it('lays out 1,000 nodes quickly (measured, reported, not asserted)', () => {
    const p = F.syntheticMlpGraph(1000);
    graphFigure(p); // warm up
    const t0 = performance.now();
    const fig = graphFigure(p);
    const total = performance.now() - t0;
    expect(fig.layout).toBe('layered');
    expect(fig.nodes.length).toBe(p.nodes.length);
    console.log(`graphFigure: ${p.nodes.length} nodes, ${fig.edges.length} edges: layout ${fig.layoutMs.toFixed(1)} ms, whole figure ${total.toFixed(1)} ms`);
    const small = F.syntheticMlpGraph(DAGRE_MAX_NODES);
    const s = graphFigure(small);
    console.log(`graphFigure: ${small.nodes.length} nodes with dagre: layout ${s.layoutMs.toFixed(1)} ms`);
  });

  it('reads malformed payload pieces without throwing', () => {
    const bad = {
      version: 1,
      kind: 'graph',
      output: 7,
      nodes: [null, { kind: 'op', op: 'mul', inputs: [0, 99, -1, 'x'], value: { nope: 1 } }, 'junk', { kind: 'leaf', name: 5, inputs: [], value: F.scalar(1) }],
    } as unknown as GraphPayload;
    const fig = graphFigure(bad);
    expect(fig.nodes).toHaveLength(4);
    expect(fig.notes.join(' ')).toMatch(/could not be read/);
    expect(() => graphSvg(bad)).not.toThrow();
    expect(() => graphText(bad)).not.toThrow();
    expect(graphFigure({} as GraphPayload).nodes).toEqual([]);
    expect(() => graphSvg(null as unknown as GraphPayload)).not.toThrow();
  });
});

describe('graphSvg', () => {
  it('shows every node of the circuit with its value and gradient', () => {
    const svg = graphSvg(F.circuitGraph);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const texts = svgTexts(svg);
    for (const name of ['x', 'y', 'z', 'w', 'q', 'f']) expect(texts).toContain(name);
    for (const value of ['3', '-4', '2', '-1', '-12', '-10', '-20']) expect(texts).toContain(value);
    // gradients: x −8, y 6, z 2, w 0, and 2 on the inner ops, 1 on f
    expect(texts.filter((t) => t === 'grad')).toHaveLength(8);
    for (const grad of ['-8', '6', '0', '1']) expect(texts).toContain(grad);
    expect(texts).toContain('× 2');
    expect(texts).toContain('max');
    expect(texts).toContain('f = 2·(x·y + max(z, w))');
    expect(svg).not.toMatch(/var\(--/); // self-contained: no CSS variables outside JupyterLab
  });

  it('draws tensors as shape, first entries and range', () => {
    const texts = svgTexts(graphSvg(F.bigTensorGraph));
    expect(texts).toContain('v [10×100]');
    expect(texts.some((t) => t === '[0, 1.683, 1.819, …]')).toBe(true);
    expect(texts).toContain('min -2 max 2');
  });

  it('escapes every payload string: a hostile name is text, not an element', () => {
    const svg = graphSvg(F.xssGraph);
    expect(tags(svg)).not.toContain('img');
    expect(tags(svg)).not.toContain('script');
    expect(tags(svg)).not.toContain('b');
    expect(svg).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(svgTexts(svg)).toContain(F.XSS_NAME);
    expect(svg).not.toContain('\u0000');
    expect(graphText(F.xssGraph)).toContain(F.XSS_NAME); // text/plain is shown as text
  });
});

describe('graphText', () => {
  it('lists each node with its value and gradient', () => {
    const t = graphText(F.circuitGraph);
    expect(t.split('\n')[0]).toBe('f = 2·(x·y + max(z, w)): graph of 9 nodes (4 leaves, 4 ops), output f');
    expect(t).toContain('x = leaf, requires grad: 3  grad -8');
    expect(t).toContain('w = leaf, requires grad: -1  grad 0');
    expect(t).toContain('f = mul(#7, q): -20  grad 1');
  });
});

describe('gradient check', () => {
  it('lists the worst entries first, NaN as the worst', () => {
    const m = gradCheckModel(F.gradCheckFail);
    expect(m.rows.map((r) => r.cells[1])).toEqual(['[2]', '[0]', '[1]', 'scalar']);
    expect(m.rows.map((r) => r.cells[5])).toEqual(['✗', '✗', '✗', '✓']);
  });

  it('prints pass and fail as ✓/✗ as well as colour, with the settings', () => {
    const fail = gradCheckText(F.gradCheckFail);
    expect(fail).toMatch(/^✗ gradient check FAILED \(mySquare \(custom op\)\)/);
    expect(fail).toContain('relative error ≤ 1.0e-6 or absolute error ≤ 1.0e-8');
    expect(fail).toContain('h = 1.0e-6');
    expect(fail).toMatch(/x\s+\[0\]\s+1\.5\s+3\s+3\.3e-1\s+✗/);
    expect(fail).toContain('✗ forward mode, along a random direction v: jvp 2.6');
    const pass = gradCheckText(F.gradCheckPass);
    expect(pass).toMatch(/^✓ gradient check passed/);
    expect(pass).toContain('max relative error 3.2e-10');
    const html = gradCheckHtml(F.gradCheckFail);
    expect(html).toContain('✗ gradient check FAILED');
    expect(html).toContain('color:#cf222e');
    expect(gradCheckHtml(F.gradCheckPass)).toContain('color:#1a7f37');
  });

  it('says when forward mode was skipped and how many entries the payload left out', () => {
    const t = gradCheckText(F.gradCheckSkipped);
    expect(t).toContain('forward mode: skipped (the function is not differentiable in forward mode (custom op without a jvp))');
    expect(t).toContain('6 of 40 entries listed');
    expect(t).toContain('… 34 more entries');
  });

  it('escapes input names', () => {
    const p = { ...F.gradCheckFail, inputs: F.gradCheckFail.inputs.map((i) => ({ ...i, name: F.XSS_NAME })) };
    const html = gradCheckHtml(p);
    expect(tags(html)).not.toContain('img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('survives a malformed payload', () => {
    const bad = { version: 1, kind: 'gradcheck', entries: [null, { input: 9 }], inputs: 'no' } as never;
    expect(() => gradCheckHtml(bad)).not.toThrow();
    expect(gradCheckText(bad)).toContain('✗ gradient check FAILED');
  });
});

describe('Jacobian chain', () => {
  it('prints both costs and answers which is faster (reverse, for a scalar loss)', () => {
    const t = jacobianChainText(F.mlpChain);
    expect(t).toContain('J = J₄ · J₃ · J₂ · J₁');
    expect(t).toContain('forward order: 8,631,840 multiply-adds');
    expect(t).toContain('reverse order: 89,400 multiply-adds  ✓');
    expect(t).toContain('Reverse mode is faster here: 89,400 multiply-adds instead of 8,631,840 in forward order (97× fewer)');
    expect(t).toMatch(/J₁\s+fc1 \(W₁x \+ b₁\)\s+784\s+100\s+100 × 784/);
  });

  it('answers forward when the input is smaller than the output', () => {
    const m = jacobianChainModel(F.wideOutputChain);
    expect(m.winner).toBe('forward');
    expect(m.verdict).toMatch(/^Forward mode is faster here: 12,500 multiply-adds instead of 510,000/);
    expect(jacobianChainHtml(F.wideOutputChain)).toContain('12,500 multiply-adds ✓');
  });

  it('sizes blocks by rows and columns, sub-linearly when sizes differ by orders of magnitude', () => {
    const m = jacobianChainModel(F.mlpChain);
    expect(m.scale).toBe('square root');
    expect(m.blocks.map((b) => b.index)).toEqual([4, 3, 2, 1]); // product order: J₄ on the left
    const [j4, j3, j2, j1] = m.blocks;
    expect(j1.w).toBeGreaterThan(j2.w); // 784 columns vs 100
    expect(j2.h).toBe(j2.w); // 100 × 100 is square
    expect(j2.w).toBe(j1.h); // adjacent sides match: J₂'s columns are J₁'s rows
    expect(j4.h).toBeLessThan(j3.h);
    expect(j1.w / j2.w).toBeCloseTo(Math.sqrt(7.84), 1);
  });

  it('escapes labels in the HTML table', () => {
    const p = { ...F.mlpChain, steps: F.mlpChain.steps.map((s) => ({ ...s, label: F.XSS_NAME })) };
    const html = jacobianChainHtml(p);
    expect(tags(html)).not.toContain('img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});

describe('loss curve', () => {
  it('draws every point, axes with ticks and a legend', () => {
    const p = F.lossCurvePayload(200);
    const svg = lossCurveSvg(p);
    const polylines = [...svg.matchAll(/<polyline points="([^"]*)"/g)].map((m) => m[1].split(' ').length);
    expect(polylines).toEqual([200, 20]);
    const texts = svgTexts(svg);
    expect(texts).toContain('step');
    expect(texts).toContain('loss');
    expect(texts).toContain('accuracy');
    expect(texts.some((t) => t.startsWith('loss = 0.07005'))).toBe(true);
    expect(texts.some((t) => t.startsWith('accuracy (right axis) = 0.9832'))).toBe(true);
    for (const tick of ['0', '50', '100', '150']) expect(texts).toContain(tick);
    expect(texts).toContain('done');
  });

  it('shows training…, done or stopped', () => {
    expect(svgTexts(lossCurveSvg(F.lossCurvePayload(10, false)))).toContain('training…');
    expect(svgTexts(lossCurveSvg(F.lossCurvePayload(10, false, 'interrupted at step 9')))).toContain('stopped: interrupted at step 9');
    expect(lossCurveText(F.lossCurvePayload(10, false))).toMatch(/^MLP on two moons \(training…\)/);
  });

  it('downsamples only past 4,000 points, keeping spikes', () => {
    const n = 10000;
    const x = Array.from({ length: n }, (_, i) => i);
    const y = x.map((i) => (i === 6789 ? 50 : 1 / (1 + i)));
    const p: LossCurvePayload = { version: 1, kind: 'loss-curve', xLabel: 'step', yLabel: 'loss', series: [{ name: 'loss', axis: 'y', x, y }], done: true };
    const svg = lossCurveSvg(p);
    const pts = [...svg.matchAll(/<polyline points="([^"]*)"/g)][0][1].split(' ');
    expect(pts.length).toBeLessThanOrEqual(4000);
    expect(pts.length).toBeGreaterThan(3000);
    expect(downsampleMinMax(x, y, 4000)).toContain(6789);
    expect(svgTexts(svg).some((t) => t.includes('10,000 points, drawn downsampled'))).toBe(true);
    const exact = { ...p, series: [{ ...p.series[0], x: x.slice(0, 4000), y: y.slice(0, 4000) }] };
    expect([...lossCurveSvg(exact).matchAll(/<polyline points="([^"]*)"/g)][0][1].split(' ')).toHaveLength(4000);
  });

  it('breaks the line at NaN and escapes names', () => {
    const p: LossCurvePayload = {
      version: 1,
      kind: 'loss-curve',
      xLabel: 'step',
      yLabel: 'loss',
      series: [{ name: F.XSS_NAME, axis: 'y', x: [0, 1, 2, 3, 4], y: [1, 0.5, 'NaN', 0.3, 0.2] }],
      done: false,
    };
    const svg = lossCurveSvg(p);
    expect([...svg.matchAll(/<polyline /g)]).toHaveLength(2);
    expect(tags(svg)).not.toContain('img');
    expect(svg).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(() => lossCurveSvg({ series: [{ x: null }] } as never)).not.toThrow();
  });

  it('picks round ticks', () => {
    expect(niceTicks(0, 199, 6)).toEqual([0, 50, 100, 150]);
    expect(niceTicks(0.05, 2.4, 5)).toEqual([0.5, 1, 1.5, 2]);
  });
});
