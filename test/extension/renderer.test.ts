// @vitest-environment happy-dom
/**
 * The renderer widget and the extension's wiring, with the views replaced by
 * recording fakes: what renderModel does on first draw, on each update
 * (JupyterLab calls it again for every update_display_data), on bad payloads,
 * and on dispose. The views themselves are tested in their own files.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { MIME, MIME_KINDS, type GradlabPayload } from '../../engine/display/contract';
import * as gl from '../../engine';
import { circuitGraph, gradCheckPass, lossCurvePayload, mlpChain, plotPayload, squareGraph } from '../fixtures/payloads';
import { fourWaysPayload } from '../fixtures/payloads';
import { wire } from '../fixtures/wire';

interface FakeView {
  kind: string;
  payload: unknown;
  host: HTMLElement;
  disposed: boolean;
  updates: unknown[];
}

const made: FakeView[] = [];
/** When true, the next fake views get an `update` method (like a view that redraws in place). */
let withUpdate = false;
let throwOnRender: Error | null = null;

function fakeView(kind: string) {
  return (host: HTMLElement, payload: unknown) => {
    if (throwOnRender) throw throwOnRender;
    const view: FakeView = { kind, payload, host, disposed: false, updates: [] };
    made.push(view);
    const mark = document.createElement('span');
    mark.className = `fake-${kind}`;
    mark.textContent = kind;
    host.appendChild(mark);
    return {
      dispose: () => {
        view.disposed = true;
      },
      ...(withUpdate ? { update: (p: unknown) => view.updates.push(p) } : {}),
    };
  };
}

vi.mock('../../extension/views/graph', () => ({ renderGraph: fakeView('graph') }));
vi.mock('../../extension/views/gradcheck', () => ({ renderGradCheck: fakeView('gradcheck') }));
vi.mock('../../extension/views/jacobian-chain', () => ({ renderJacobianChain: fakeView('jacobian-chain') }));
vi.mock('../../extension/views/loss-curve', () => ({ renderLossCurve: fakeView('loss-curve') }));
vi.mock('../../extension/views/decision-boundary', () => ({ renderDecisionBoundary: fakeView('decision-boundary') }));
vi.mock('../../extension/views/confusion-matrix', () => ({ renderConfusionMatrix: fakeView('confusion-matrix') }));
vi.mock('../../extension/views/image-grid', () => ({ renderImageGrid: fakeView('image-grid') }));
vi.mock('../../extension/views/four-ways', () => ({ renderFourWays: fakeView('four-ways') }));
vi.mock('../../extension/views/line-plot', () => ({ renderLinePlot: fakeView('plot') }));

const { GradlabRenderer, payloadProblem } = await import('../../extension/renderer');
const { default: extension, rendererFactory } = await import('../../extension/index');

/** A valid payload of each kind of the contract (the renderer checks the contract before any view). */
const VALID: Record<GradlabPayload['kind'], object> = {
  graph: circuitGraph,
  gradcheck: gradCheckPass,
  'jacobian-chain': mlpChain,
  'loss-curve': lossCurvePayload(5),
  'decision-boundary': gl.decisionBoundary(
    (Z: gl.Tensor) =>
      gl.matmul(
        Z,
        gl.tensor([
          [0, 1],
          [0, 1],
        ]),
      ),
    gl.tensor([
      [-1, -1],
      [1, 1],
    ]),
    [0, 1],
    { resolution: 8 },
  ).payload,
  'confusion-matrix': gl.confusionMatrix([0, 0, 1, 1, 2, 0], [0, 0, 1, 2, 2, 2], { classes: ['a', 'b', 'c'] }).payload,
  'image-grid': gl.imageGrid(
    gl.tensor([
      [
        [0, 1],
        [1, 0],
      ],
    ]),
  ).payload,
  plot: plotPayload(),
  'four-ways': fourWaysPayload(),
};
const curve = (step: number) => ({ ...lossCurvePayload(5), title: `step ${step}` });

function model(data: Record<string, unknown>): IRenderMime.IMimeModel {
  return { trusted: false, data: data as IRenderMime.IMimeModel['data'], metadata: {}, setData: () => {} };
}

function renderer(mimeType: string) {
  const widget = new GradlabRenderer({
    mimeType,
    sanitizer: { sanitize: (s: string) => s },
    resolver: null,
    linkHandler: null,
    latexTypesetter: null,
  });
  document.body.appendChild(widget.node);
  return widget;
}

beforeEach(() => {
  made.length = 0;
  withUpdate = false;
  throwOnRender = null;
  document.body.replaceChildren();
});

describe('the extension wiring', () => {
  it('has one safe factory for every MIME type of the contract, ranked before the fallbacks (html 50, svg 80)', () => {
    expect(MIME_KINDS.map(({ mime }) => mime).sort()).toEqual(Object.values(MIME).sort());
    expect([...rendererFactory.mimeTypes].sort()).toEqual(Object.values(MIME).sort());
    expect(rendererFactory.safe).toBe(true);
    expect(rendererFactory.defaultRank).toBeLessThan(50);
    expect(extension.rank).toBeLessThan(50);
    expect(extension.rendererFactory).toBe(rendererFactory);
    expect(extension.dataType).toBe('json');
    expect(rendererFactory.createRenderer({ mimeType: MIME.graph } as IRenderMime.IRendererOptions)).toBeInstanceOf(GradlabRenderer);
  });
});

describe('GradlabRenderer', () => {
  for (const { mime, kind } of MIME_KINDS) {
    it(`hands a ${kind} payload (${mime}) to the ${kind} view, marked for browser tests`, async () => {
      const widget = renderer(mime);
      const payload = wire(VALID[kind]);
      expect(payload).toMatchObject({ version: 1, kind });
      await widget.renderModel(model({ [mime]: payload, 'text/plain': 'fallback' }));
      expect(made.map((v) => [v.kind, v.payload])).toEqual([[kind, payload]]);
      expect(widget.node.classList.contains('gradlab-view')).toBe(true);
      expect(widget.node.getAttribute('data-mime-type')).toBe(mime);
      expect(widget.node.querySelectorAll(':scope > .gradlab-host')).toHaveLength(1);
      expect(made[0].host.parentElement).toBe(widget.node);
    });
  }

  it('replaces its drawing on every renderModel (update_display_data), disposing the old view', async () => {
    const widget = renderer(MIME.lossCurve);
    for (let step = 1; step <= 3; step++) {
      await widget.renderModel(model({ [MIME.lossCurve]: curve(step) }));
    }
    expect(made.map((v) => v.disposed)).toEqual([true, true, false]);
    expect(widget.node.querySelectorAll('.fake-loss-curve')).toHaveLength(1);
    expect(widget.node.querySelectorAll('.gradlab-host')).toHaveLength(1);
  });

  it('lets a view with update() redraw in place', async () => {
    withUpdate = true;
    const widget = renderer(MIME.lossCurve);
    const payloads = [1, 2, 3].map(curve);
    for (const p of payloads) await widget.renderModel(model({ [MIME.lossCurve]: p }));
    expect(made).toHaveLength(1);
    expect(made[0].updates).toEqual(payloads.slice(1));
    expect(made[0].disposed).toBe(false);
  });

  it('shows a readable message and the text form for a payload of another version', async () => {
    const widget = renderer(MIME.graph);
    await widget.renderModel(model({ [MIME.graph]: circuitGraph }));
    await widget.renderModel(model({ [MIME.graph]: { version: 2, kind: 'graph' }, 'text/plain': '<img src=x> v2' }));
    expect(made[0].disposed).toBe(true);
    expect(widget.node.classList.contains('gradlab-error')).toBe(true);
    const message = widget.node.querySelector('[role="alert"]')!;
    expect(message.textContent).toContain('payload version 1');
    expect(message.textContent).toContain('version 2');
    // Text, never markup, even for an error.
    expect(widget.node.querySelector('pre')!.textContent).toBe('<img src=x> v2');
    expect(widget.node.querySelector('img')).toBeNull();
    // The next good payload draws again.
    await widget.renderModel(model({ [MIME.graph]: circuitGraph }));
    expect(widget.node.classList.contains('gradlab-error')).toBe(false);
    expect(widget.node.querySelector('[role="alert"]')).toBeNull();
    expect(made).toHaveLength(2);
  });

  it('shows a message when the view itself throws, and keeps working', async () => {
    const widget = renderer(MIME.gradcheck);
    throwOnRender = new Error('no entries');
    await widget.renderModel(model({ [MIME.gradcheck]: gradCheckPass }));
    expect(widget.node.textContent).toContain('the view failed: no entries');
    throwOnRender = null;
    await widget.renderModel(model({ [MIME.gradcheck]: gradCheckPass }));
    expect(widget.node.querySelector('.fake-gradcheck')).not.toBeNull();
  });

  it('disposes its view when JupyterLab disposes the output', async () => {
    const widget = renderer(MIME.jacobianChain);
    await widget.renderModel(model({ [MIME.jacobianChain]: mlpChain }));
    widget.dispose();
    expect(made[0].disposed).toBe(true);
    expect(widget.isDisposed).toBe(true);
  });
});

describe('payloadProblem', () => {
  it.each([
    [squareGraph, 'graph', null],
    [{ version: 1, kind: 'graph' }, 'graph', 'graph: `nodes` is missing: a graph payload lists its nodes'],
    [null, 'graph', 'expected a JSON object, got null'],
    [[1], 'graph', 'expected a JSON object, got an array'],
    ['{"version":1}', 'graph', 'expected a JSON object, got string'],
    [{ kind: 'graph' }, 'graph', 'this extension draws payload version 1, the output has version none'],
    [{ version: '1', kind: 'graph' }, 'graph', 'this extension draws payload version 1, the output has version "1"'],
    [{ version: 1, kind: 'gradcheck' }, 'graph', 'expected kind "graph", the output has kind "gradcheck"'],
  ])('%j as %s → %s', (payload, kind, problem) => {
    expect(payloadProblem(payload, kind)).toBe(problem);
  });
});

describe('payloads that break the contract (issue #10)', () => {
  const decisionBoundary = () =>
    structuredClone(
      gl.decisionBoundary(
        (Z: gl.Tensor) =>
          gl.matmul(
            Z,
            gl.tensor([
              [0, 1],
              [0, 1],
            ]),
          ),
        gl.tensor([
          [-1, -1],
          [1, 1],
        ]),
        [0, 1],
        { resolution: 20 },
      ).payload,
    );

  it('answers a 1e9 × 1e9 decision boundary at once with a message and the text form', async () => {
    const widget = renderer(MIME.decisionBoundary);
    const payload = { ...decisionBoundary(), cols: 1e9, rows: 1e9 };
    const t0 = performance.now();
    await widget.renderModel(model({ [MIME.decisionBoundary]: payload, 'text/plain': 'decision boundary (text)' }));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(widget.node.querySelector('[role="alert"]')!.textContent).toBe(
      `gradlab cannot draw this output (${MIME.decisionBoundary}): decision-boundary: \`cols\` × \`rows\` = 1e18 cells, but \`predicted\` holds 400 entries.`,
    );
    expect(widget.node.querySelector('pre')!.textContent).toBe('decision boundary (text)');
    expect(widget.node.querySelector('svg')).toBeNull();
  });

  it('answers a 1e6 × 1e6 image grid at once with a message', async () => {
    const widget = renderer(MIME.imageGrid);
    const payload = {
      ...structuredClone(
        gl.imageGrid(
          gl.tensor([
            [
              [0, 1],
              [1, 0],
            ],
          ]),
        ).payload,
      ),
      height: 1e6,
      width: 1e6,
    };
    const t0 = performance.now();
    await widget.renderModel(model({ [MIME.imageGrid]: payload }));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(widget.node.querySelector('[role="alert"]')!.textContent).toContain('image-grid: `height` × `width` = 1e12 pixels, but `images[0]` holds 4 values');
  });

  it('names a graph without nodes instead of drawing "0 nodes", and lists edges to missing nodes', async () => {
    const widget = renderer(MIME.graph);
    const { nodes: _, ...noNodes } = structuredClone(circuitGraph);
    await widget.renderModel(model({ [MIME.graph]: noNodes, 'text/plain': 'f = 2·(x·y + max(z, w))' }));
    expect(made).toHaveLength(0);
    expect(widget.node.querySelector('[role="alert"]')!.textContent).toContain('graph: `nodes` is missing: a graph payload lists its nodes');
    expect(widget.node.querySelector('pre')!.textContent).toBe('f = 2·(x·y + max(z, w))');
    const dangling = structuredClone(circuitGraph);
    dangling.nodes[6].inputs = [4, 42];
    dangling.output = 3.5;
    await widget.renderModel(model({ [MIME.graph]: dangling }));
    const items = [...widget.node.querySelectorAll('[role="alert"] li')].map((li) => li.textContent);
    expect(items).toEqual([
      'graph: an edge points to nodes that do not exist (nodes[6].inputs[1] → 42); the graph has 9 nodes, ids 0–8',
      "graph: `output` is 3.5, but the graph's nodes have ids 0–8",
    ]);
    expect(made).toHaveLength(0);
  });

  it('draws a payload with a 100,000-character title cut, and says so under the view', async () => {
    const widget = renderer(MIME.graph);
    await widget.renderModel(model({ [MIME.graph]: { ...circuitGraph, title: '<b>'.repeat(40_000) } }));
    expect(made).toHaveLength(1);
    expect((made[0].payload as { title: string }).title).toHaveLength(2000);
    expect(widget.node.querySelector('.gradlab-notes[role="status"]')!.textContent).toBe(
      'Not drawn in full: graph: a string is longer than 2,000 characters (`title` has 120,000); shown cut to 2,000.',
    );
    expect(widget.node.querySelector('b')).toBeNull();
    // the next payload without problems drops the note
    await widget.renderModel(model({ [MIME.graph]: circuitGraph }));
    expect(widget.node.querySelector('.gradlab-notes')).toBeNull();
  });
});
