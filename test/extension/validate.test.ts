/**
 * The payload validator (extension/validate.ts): every payload the engine
 * builds passes untouched; each way of breaking the contract gets a message
 * naming the field and what is wrong, in time bounded by the data present.
 */
import { describe, expect, it } from 'vitest';
import * as gl from '../../engine';
import type { GradlabPayload } from '../../engine/display/contract';
import { payloadOf } from '../../engine/display/show';
import { DB_MAX_POINTS, IG_MAX_IMAGES } from '../../engine/display/figures/pictures';
import { checkPayload, MAX_DEPTH, MAX_STRING } from '../../extension/validate';
import { circuitGraph, gradCheckFail, layerGraph, lossCurvePayload, mlpChain, plotPayload, xssGraph } from '../fixtures/payloads';
import { PLOT_MAX_POINTS, PLOT_MAX_SERIES } from '../../engine/display/contract';
import { fourWaysPayload, fourWaysXss } from '../fixtures/payloads';
import { wire } from '../fixtures/wire';

type Loose = Record<string, any>;
const copy = (p: object): Loose => structuredClone(p);

/** One payload of each kind, built by the engine from real computations, after JSON. */
async function enginePayloads(): Promise<GradlabPayload[]> {
  const a = gl.scalar(2, { requiresGrad: true, name: 'a' });
  const b = gl.scalar(-3, { requiresGrad: true, name: 'b' });
  const c = a.mul(b).add(a.tanh());
  c.backward();
  const W = gl.randn([8, 32]);
  const chain = gl.jacobianChain([(x) => W.matmul(x), (h) => h.relu(), (h) => h.sum()], gl.randn([32]), { labels: ['FC', 'ReLU', 'sum'] });
  const curve = gl.lossCurve({ title: 'run' });
  const log = console.log;
  console.log = () => {};
  try {
    for (let i = 0; i < 5; i++) await curve.push(i, 1 / (i + 1), { accuracy: i / 5 });
  } finally {
    console.log = log;
  }
  const X = gl.tensor([
    [-1, -1],
    [1, 1],
    [0.5, -1],
  ]);
  const linear = (Z: gl.Tensor) =>
    gl.matmul(
      Z,
      gl.tensor([
        [0, 1],
        [0, 1],
      ]),
    );
  return [
    payloadOf(c),
    payloadOf(gl.gradCheck((x: gl.Tensor) => x.exp().mul(x).sum(), gl.tensor([0.5, -1, 2]), { nodes: true })),
    payloadOf(chain),
    payloadOf(curve),
    payloadOf(gl.decisionBoundary(linear, X, [0, 1, 1], { classes: ['no', 'yes'], resolution: 30 })),
    payloadOf(gl.confusionMatrix([0, 0, 1, 1, 2, 0], [0, 0, 1, 2, 2, 2], { classes: ['a', 'b', 'c'] })),
    payloadOf(
      gl.imageGrid(
        gl.tensor([
          [
            [0, 1],
            [1, 0],
          ],
          [
            [-1, 0.5],
            [0, 1],
          ],
        ]),
        { captions: ['one', 'two'] },
      ),
    ),
  ].map(wire);
}

const db = () =>
  copy(
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
const grid = () =>
  copy(
    gl.imageGrid(
      gl.tensor([
        [
          [0, 1],
          [1, 0],
        ],
        [
          [0, 0.5],
          [0, 1],
        ],
      ]),
      { captions: ['one', 'two'] },
    ).payload,
  );
const cm = () => copy(gl.confusionMatrix([0, 0, 1, 1, 2, 0], [0, 0, 1, 2, 2, 2]).payload);

describe('checkPayload', () => {
  it('passes every payload the engine builds (and the fixtures) unchanged', async () => {
    const all = [...(await enginePayloads()), circuitGraph, layerGraph, xssGraph, gradCheckFail, mlpChain, lossCurvePayload()];
    expect(all.map((p) => p.kind)).toEqual(
      expect.arrayContaining(['graph', 'gradcheck', 'jacobian-chain', 'loss-curve', 'decision-boundary', 'confusion-matrix', 'image-grid']),
    );
    for (const p of all) {
      const r = checkPayload(p, p.kind);
      expect({ kind: p.kind, fatal: r.fatal, notes: r.notes }).toEqual({ kind: p.kind, fatal: [], notes: [] });
      expect(r.payload).toBe(p);
    }
  });

  it('refuses a 1e9 × 1e9 decision boundary at once, naming the sizes', () => {
    const p = db();
    p.cols = 1e9;
    p.rows = 1e9;
    const t0 = performance.now();
    const r = checkPayload(p, 'decision-boundary');
    expect(performance.now() - t0).toBeLessThan(500);
    expect(r.fatal).toEqual(['decision-boundary: `cols` × `rows` = 1e18 cells, but `predicted` holds 400 entries']);
  });

  it('refuses a 1e6 × 1e6 image grid at once, naming the sizes', () => {
    const p = grid();
    p.height = 1e6;
    p.width = 1e6;
    const r = checkPayload(p, 'image-grid');
    expect(r.fatal).toEqual(['image-grid: `height` × `width` = 1e12 pixels, but `images[0]` holds 4 values']);
  });

  it('names a graph without nodes, and edges to nodes that do not exist', () => {
    const { nodes: _, ...noNodes } = copy(circuitGraph);
    expect(checkPayload(noNodes, 'graph').fatal).toEqual(['graph: `nodes` is missing: a graph payload lists its nodes']);
    expect(checkPayload({ ...noNodes, nodes: { 0: {} } }, 'graph').fatal).toEqual(['graph: `nodes` must be an array, got an object']);
    const dangling = copy(circuitGraph);
    dangling.nodes[4].inputs = [0, 99];
    dangling.nodes[8].inputs = [7, -1];
    expect(checkPayload(dangling, 'graph').fatal).toEqual([
      'graph: 2 edges point to nodes that do not exist (nodes[4].inputs[1] → 99, nodes[8].inputs[1] → -1); the graph has 9 nodes, ids 0–8',
    ]);
  });

  it('names graph structure problems: output, ids, order, rule references, scopes, summaries', () => {
    const g = copy(circuitGraph);
    g.output = 9;
    g.nodes[2].id = 7;
    g.nodes[5].inputs = [2, 6];
    g.nodes[6].ruleRef = 0;
    g.nodes[1].scope = ['layer', 3];
    g.nodes[0].value.size = 2;
    expect(checkPayload(g, 'graph').fatal).toEqual([
      "graph: `output` is 9, but the graph's nodes have ids 0–8",
      'graph: `nodes[0].value.size` is 2, but shape [] has 1 entries',
      'graph: `nodes[1].scope[1]` must be a scope name (a string), got 3',
      "graph: `nodes[2].id` is 7; a node's id is its index in `nodes` (2)",
      'graph: `nodes[5].inputs[1]` is 6: nodes are listed in topological order, so an operand comes before the op that uses it',
      'graph: … and 1 more problem',
    ]);
    const r = copy(layerGraph);
    r.rules = [{ pattern: 'matmul', text: 'gA = gy·Bᵀ', jacobians: [] }];
    r.nodes[2].ruleRef = 3;
    expect(checkPayload(r, 'graph').fatal).toEqual(['graph: `nodes[2].ruleRef` is 3, but `rules` has 1 entry']);
  });

  it('checks the graph inside a gradient check under `graph.`', () => {
    const p = copy(gradCheckFail);
    p.graph = copy(circuitGraph);
    p.graph.nodes[3].inputs = [12];
    expect(checkPayload(p, 'gradcheck').fatal).toEqual([
      'gradcheck: an edge points to nodes that do not exist (graph.nodes[3].inputs[0] → 12); the graph has 9 nodes, ids 0–8',
    ]);
  });

  it('names gradient-check entries pointing at missing inputs', () => {
    const p = copy(gradCheckFail);
    p.entries[1].input = 5;
    p.entries[2].index = [0, 0];
    p.forward = { ok: 'yes' };
    expect(checkPayload(p, 'gradcheck').fatal).toEqual([
      'gradcheck: `entries[1].input` is 5, but there are 2 inputs',
      'gradcheck: `entries[2].index` has 2 axes, but input 0 has shape [3]',
      'gradcheck: `forward.ok` must be true or false, got the string "yes"',
      'gradcheck: `forward.jvp` must be a number (or "NaN", "Infinity", "-Infinity"), got missing',
      'gradcheck: `forward.numerical` must be a number (or "NaN", "Infinity", "-Infinity"), got missing',
      'gradcheck: … and 2 more problems',
    ]);
  });

  it('names wrong types and sizes in decision boundaries, confusion matrices and image grids', () => {
    const d = db();
    d.points.label = d.points.label.slice(1);
    d.xRange = [0, 'NaN'];
    d.predicted[3] = 7;
    expect(checkPayload(d, 'decision-boundary').fatal).toEqual([
      'decision-boundary: `xRange` must be [low, high] (two numbers), got [0, the string "NaN"]',
      'decision-boundary: `predicted[3]` is class 7, but `classes` names 2',
      'decision-boundary: the point arrays differ in length: `points.x` 2, `points.y` 2, `points.label` 1, `points.predicted` 2',
    ]);
    const m = cm();
    m.counts[1] = [0, 1];
    expect(checkPayload(m, 'confusion-matrix').fatal).toEqual(['confusion-matrix: `counts[1]` holds 2 entries, but there are 3 classes']);
    const m2 = cm();
    m2.total = 7;
    expect(checkPayload(m2, 'confusion-matrix').fatal).toEqual(['confusion-matrix: `total` is 7, but the counts add up to 6']);
    const m3 = cm();
    m3.classes = Array.from({ length: 1000 }, String);
    expect(checkPayload(m3, 'confusion-matrix').fatal).toEqual(['confusion-matrix: 1,000 classes is more than the view draws (at most 200)']);
    const g = grid();
    g.images[1][2] = 'NaN';
    g.captions = ['one'];
    g.scale = 'rainbow';
    expect(checkPayload(g, 'image-grid').fatal).toEqual([
      'image-grid: `scale` must be one of "grey", "diverging", got the string "rainbow"',
      'image-grid: `captions` holds 1 entries, but there are 2 images',
      'image-grid: `images[1][2]` must be a pixel value (a number), got the string "NaN"',
    ]);
  });

  it('names loss-curve series of unequal length and values that are not numbers', () => {
    const p = copy(lossCurvePayload(20));
    p.series[0].y = p.series[0].y.slice(0, 19);
    p.series[1].y[0] = 'lots';
    p.series.push({ name: 'x', axis: 'y3', x: [], y: [] });
    expect(checkPayload(p, 'loss-curve').fatal).toEqual([
      'loss-curve: `series[0].x` holds 20 steps, but `series[0].y` holds 19 values',
      'loss-curve: `series[1].y[0]` must be a number (or "NaN", "Infinity", "-Infinity"), got the string "lots"',
      'loss-curve: `series[2].axis` must be one of "y", "y2", got the string "y3"',
    ]);
    const big = copy(lossCurvePayload(2));
    big.series = Array.from({ length: 101 }, () => big.series[0]);
    expect(checkPayload(big, 'loss-curve').fatal).toEqual(['loss-curve: `series` holds 101 lines, more than the view draws (at most 100)']);
  });

  it('passes the plots gl.plot builds; names bad plot series, lengths, modes and the caps', () => {
    const built = gl.plot({ sin: Math.sin, cos: (x) => gl.scalar(x).cos() }, { x: { from: 0, to: 3, n: 50 }, title: 'sin' }).payload;
    for (const p of [wire(built), plotPayload(), wire(gl.plot({ e: [1, NaN, Infinity] }, { logY: true }).payload)]) {
      expect(checkPayload(p, 'plot')).toEqual({ fatal: [], notes: [], payload: p });
    }
    const p = copy(plotPayload());
    p.series[0].y = p.series[0].y.slice(0, 11);
    p.series[1].x[2] = 'tiny';
    p.series[2].mode = 'dots';
    p.logX = 'yes';
    expect(checkPayload(p, 'plot').fatal).toEqual([
      'plot: `logX` must be true or false, got the string "yes"',
      'plot: `series[0].x` holds 12 values, but `series[0].y` holds 11',
      'plot: `series[1].x[2]` must be a number (or "NaN", "Infinity", "-Infinity"), got the string "tiny"',
      'plot: `series[2].mode` must be one of "lines", "markers", "lines+markers", got the string "dots"',
    ]);
    const many = copy(plotPayload());
    many.series = Array.from({ length: PLOT_MAX_SERIES + 1 }, () => many.series[0]);
    expect(checkPayload(many, 'plot').fatal).toEqual([
      `plot: \`series\` holds ${PLOT_MAX_SERIES + 1} series, more than the view draws (at most ${PLOT_MAX_SERIES})`,
    ]);
    const long = copy(plotPayload());
    long.series[0].x = new Array(PLOT_MAX_POINTS + 1).fill(1);
    expect(checkPayload(long, 'plot').fatal).toEqual(['plot: `series[0]` holds 10,001 points, more than the view draws (at most 10,000 per series)']);
    const total = copy(plotPayload());
    total.series = Array.from({ length: 6 }, (_, k) => ({ name: `s${k}`, x: new Array(PLOT_MAX_POINTS).fill(1), y: new Array(PLOT_MAX_POINTS).fill(1) }));
    expect(checkPayload(total, 'plot').fatal).toEqual(['plot: the series hold 60,000 points, more than the view draws (at most 50,000 in all)']);
    expect(checkPayload({ ...copy(plotPayload()), series: [{ name: 'n', x: [1], y: [1] }], notes: [3] }, 'plot').fatal).toEqual([
      'plot: `notes[0]` must be a string, got 3',
    ]);
  });

  it('refuses nesting deeper than the contract, and cuts long strings with a note', () => {
    const deep = copy(circuitGraph);
    let v: unknown = 1;
    for (let i = 0; i < 200; i++) v = [v];
    deep.nodes[0].attrs = { x: v };
    const r = checkPayload(deep, 'graph');
    expect(r.fatal).toHaveLength(1);
    expect(r.fatal[0]).toMatch(new RegExp(`^graph: the data is nested deeper than ${MAX_DEPTH} levels \\(at \`nodes\\[0\\]\\.attrs\\.x(\\[0\\])+\`\\)`));
    const long = copy(circuitGraph);
    long.title = 'x'.repeat(100_000);
    long.nodes[1].name = 'y'.repeat(3000);
    const cut = checkPayload(long, 'graph');
    expect(cut.fatal).toEqual([]);
    expect(cut.notes).toEqual(['graph: 2 strings are longer than 2,000 characters (`title` has 100,000); shown cut to 2,000']);
    const drawn = cut.payload as Loose;
    expect([...drawn.title]).toHaveLength(MAX_STRING);
    expect(drawn.title.endsWith('x…')).toBe(true);
    expect(drawn.nodes[1].name).toHaveLength(MAX_STRING);
    expect(long.title).toHaveLength(100_000); // the model's data is not changed
  });

  it('draws over-many points and images with a note saying how many', () => {
    const d = db();
    const n = DB_MAX_POINTS + 5;
    d.points = { x: new Array(n).fill(0), y: new Array(n).fill(0), label: new Array(n).fill(0), predicted: new Array(n).fill(1) };
    expect(checkPayload(d, 'decision-boundary')).toMatchObject({ fatal: [], notes: ['decision-boundary: 20,005 points; the view draws the first 20,000'] });
    const g = grid();
    g.images = Array.from({ length: IG_MAX_IMAGES + 1 }, () => [0, 1, 1, 0]);
    g.captions = g.images.map(() => '');
    g.ranges = g.images.map(() => [0, 1]);
    expect(checkPayload(g, 'image-grid')).toMatchObject({
      fatal: [],
      notes: ['image-grid: 401 images of 4 pixels; the view draws the first 400 (at most 400 images, 200,000 pixels)'],
    });
  });
});

describe('checkPayload: four-ways', () => {
  const fw = (): Loose => copy(wire(fourWaysPayload()));

  it('passes the fixtures (one way failed, no manual way, hostile strings) unchanged', () => {
    for (const p of [fw(), wire(fourWaysPayload('failed')), wire(fourWaysPayload('none')), wire(fourWaysXss)]) {
      expect(checkPayload(p, 'four-ways')).toEqual({ fatal: [], notes: [], payload: p });
    }
  });

  it('refuses lists that do not line up with the inputs, naming the field', () => {
    const p = fw();
    p.derivatives.pop();
    p.ways[2].values = [1, 2];
    p.ways[3].relErrors = null;
    expect(checkPayload(p, 'four-ways').fatal).toEqual([
      'four-ways: `derivatives` holds 5 entries, but there are 6 inputs (one derivative each)',
      'four-ways: `ways[2].values` holds 2 entries, but there are 6 inputs',
      'four-ways: `ways[3].values` and `ways[3].relErrors` must both be arrays or both null',
    ]);
  });

  it('refuses unknown or repeated ways, bad numbers and costs, and more inputs than the cap', () => {
    const p = fw();
    p.ways[0].id = 'guess';
    p.ways[4].id = 'forward';
    p.ways[1].values[0] = '1e3';
    p.ways[2].cost = { fEvals: -1, ops: 2.5, ms: 'soon' };
    expect(checkPayload(p, 'four-ways').fatal).toEqual([
      'four-ways: `ways[0].id` must be one of "manual", "symbolic", "numerical", "forward", "reverse", got the string "guess"',
      'four-ways: `ways[1].values[0]` must be a number (or "NaN", "Infinity", "-Infinity"), got the string "1e3"',
      'four-ways: `ways[2].cost.fEvals` must be a whole number ≥ 0, got -1',
      'four-ways: `ways[2].cost.ops` must be a whole number ≥ 0, got 2.5',
      'four-ways: `ways[2].cost.ms` must be a number (or "NaN", "Infinity", "-Infinity"), got the string "soon"',
      'four-ways: … and 1 more problem',
    ]);
    const many = fw();
    many.inputs = Array.from({ length: 1e6 }, () => ({ name: 'x', value: 0 }));
    const t0 = performance.now();
    expect(checkPayload(many, 'four-ways').fatal).toEqual(['four-ways: `inputs` holds 1,000,000 inputs, more than the view draws (at most 64)']);
    expect(performance.now() - t0).toBeLessThan(1000);
    const missing = fw();
    delete missing.fn;
    missing.notes = [1];
    expect(checkPayload(missing, 'four-ways').fatal).toEqual([
      'four-ways: `fn` must be a string, got missing',
      'four-ways: `notes[0]` must be a string, got 1',
    ]);
  });

  it('draws over-many notes with a note', () => {
    const p = fw();
    p.notes = Array.from({ length: 25 }, (_, i) => `note ${i}`);
    expect(checkPayload(p, 'four-ways')).toMatchObject({ fatal: [], notes: ['four-ways: 25 notes; the view shows the first 20'] });
  });
});
