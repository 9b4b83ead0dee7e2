import { describe, expect, it, vi } from 'vitest';
import * as gl from '../../../engine';
import { MIME, MAX_PAYLOAD_BYTES, type GraphPayload } from '../../../engine/display/contract';
import { chainCosts, graphPayload, gradCheckPayload, summarize } from '../../../engine/display/payloads';
import { bundleOf, payloadOf } from '../../../engine/display/show';

function circuit() {
  const x = gl.scalar(3, { requiresGrad: true, name: 'x' });
  const y = gl.scalar(-4, { requiresGrad: true, name: 'y' });
  const z = gl.scalar(2, { requiresGrad: true, name: 'z' });
  const w = gl.scalar(-1, { requiresGrad: true, name: 'w' });
  const f = gl.mul(2, x.mul(y).add(gl.maximum(z, w)));
  f.name = 'f';
  return { x, y, z, w, f };
}

describe('summarize', () => {
  it('keeps every entry of a small tensor and its statistics', () => {
    const s = summarize(
      gl.tensor([
        [1, -2],
        [3, 4],
      ]),
    );
    expect(s).toEqual({ shape: [2, 2], dtype: 'float64', size: 4, values: [1, -2, 3, 4], truncated: false, min: -2, max: 4, mean: 1.5 });
  });
  it('keeps only the first entries of a large tensor, with exact statistics', () => {
    const s = summarize(gl.arange(1000));
    expect(s.truncated).toBe(true);
    expect(s.values).toEqual([...Array(16).keys()]);
    expect([s.min, s.max, s.mean]).toEqual([0, 999, 499.5]);
  });
  it('carries NaN and infinities as strings (JSON has none)', () => {
    const s = summarize(gl.tensor([Infinity, -Infinity, NaN, 1]));
    expect(s.values).toEqual(['Infinity', '-Infinity', 'NaN', 1]);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});

describe('graph payload', () => {
  it('has every node of the CS231n circuit with values and gradients after backward', () => {
    const { f } = circuit();
    f.backward();
    const p = graphPayload(gl.trace(f));
    const named = (n: string) => p.nodes.find((k) => k.name === n)!;
    expect(named('x').grad!.values).toEqual([-8]);
    expect(named('y').grad!.values).toEqual([6]);
    expect(named('z').grad!.values).toEqual([2]);
    expect(named('w').grad!.values).toEqual([0]);
    expect(named('f').value.values).toEqual([-20]);
    expect(p.nodes[p.output].name).toBe('f');
    const ops = p.nodes.filter((n) => n.kind === 'op').map((n) => n.op);
    expect(ops.sort()).toEqual(['add', 'maximum', 'mul', 'mul']);
    for (const n of p.nodes) for (const i of n.inputs) expect(i).toBeLessThan(n.id);
    // the round trip through JSON loses nothing
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
  });

  it('lists a value used twice twice (x·x has two edges)', () => {
    const x = gl.scalar(3, { requiresGrad: true, name: 'x' });
    const p = graphPayload(gl.trace(x.mul(x)));
    const xi = p.nodes.findIndex((n) => n.name === 'x');
    expect(p.nodes[p.output].inputs).toEqual([xi, xi]);
  });

  it('cuts a graph over the limit to the nodes nearest the output and says so', () => {
    let y = gl.scalar(1, { requiresGrad: true });
    for (let i = 0; i < 100; i++) y = y.mul(1.5);
    const p = graphPayload(gl.trace(y), { limit: 50 });
    expect(p.nodes.length).toBe(50);
    expect(p.omitted!.nodes).toBe(p.nodes.length + p.omitted!.nodes - 50);
    expect(p.omitted!.reason).toMatch(/nearest the output/);
    for (const n of p.nodes) for (const i of n.inputs) expect(i).toBeGreaterThanOrEqual(0);
    expect(p.nodes[p.output].value.values[0]).toBeCloseTo(1.5 ** 100, -10);
  });

  it('keeps scope paths', () => {
    const x = gl.tensor([1, 2], { requiresGrad: true });
    const y = gl.scope('layer1', () => gl.scope('act', () => x.tanh())).sum();
    const p = graphPayload(gl.trace(y));
    expect(p.nodes.find((n) => n.op === 'tanh')!.scope).toEqual(['layer1', 'act']);
    expect(p.nodes.find((n) => n.op === 'sum')!.scope).toEqual([]);
  });
});

describe('gradient-check payload', () => {
  it('reports a correct gradient as passing and a wrong one as failing, worst first', () => {
    const good = gradCheckPayload(gl.gradCheck((x: gl.Tensor) => x.tanh().sum(), gl.tensor([0.5, -1, 2])));
    expect(good.ok).toBe(true);
    expect(good.entries).toHaveLength(3);
    const wrongSquare = gl.customOp({
      name: 'wrongSquare',
      forward: (x) => x.mul(x),
      backward: (gy, s) => [gy.mul(s.inputs[0])], // should be 2x
    });
    const bad = gradCheckPayload(gl.gradCheck((x: gl.Tensor) => wrongSquare(x).sum(), gl.tensor([1, 2, 3])));
    expect(bad.ok).toBe(false);
    expect(bad.entries[0].ok).toBe(false);
    expect(bad.entries[0].analytic).toBeCloseTo((bad.entries[0].numerical as number) / 2, 6);
    expect('skipped' in bad.forward).toBe(true);
  });
});

describe('Jacobian chain', () => {
  it('counts multiply-adds of both orders (sizes 784 → 64 → 64 → 10 → 1)', () => {
    expect(chainCosts([784, 64, 64, 10, 1])).toEqual({
      forward: 64 * 64 * 784 + 10 * 64 * 784 + 1 * 10 * 784,
      reverse: 1 * 10 * 64 + 1 * 64 * 64 + 1 * 64 * 784,
    });
  });

  it('builds the chain of FC → ReLU → FC → loss from an array of steps', () => {
    gl.seed(0);
    const W1 = gl.randn([64, 784]);
    const W2 = gl.randn([10, 64]);
    const c = gl.jacobianChain([(h) => W1.matmul(h), (h) => h.relu(), (h) => W2.matmul(h), (h) => h.logsumexp()], gl.rand([784]), {
      labels: ['FC1', 'ReLU', 'FC2', 'loss'],
    });
    expect(c.steps.map((s) => [s.label, s.rows, s.cols])).toEqual([
      ['FC1', 64, 784],
      ['ReLU', 64, 64],
      ['FC2', 10, 64],
      ['loss', 1, 10],
    ]);
    expect(c.winner).toBe('reverse');
    expect(c.toString()).toMatch(/reverse mode is cheaper here/);
  });

  it('traces the chain of a single function, skipping reshapes', () => {
    gl.seed(1);
    const W = gl.randn([5, 3]);
    const c = gl.jacobianChain((x) => W.matmul(x).tanh(), gl.randn([3]));
    expect(c.steps.map((s) => [s.op, s.rows, s.cols])).toEqual([
      ['matmul', 5, 3],
      ['tanh', 5, 5],
    ]);
    expect(c.steps[0].inShape).toEqual([3]);
  });

  it('refuses a function that is not a chain, and says what to do', () => {
    expect(() => gl.jacobianChain((x) => x.mul(x.exp()), gl.randn([3]))).toThrow(/not a chain.*array of functions/);
  });
});

describe('bundles', () => {
  it('carries the payload and a static fallback for each kind', () => {
    const { f } = circuit();
    f.backward();
    const g = bundleOf(payloadOf(f));
    expect(Object.keys(g.data).sort()).toEqual([MIME.graph, 'image/svg+xml', 'text/plain'].sort());
    const report = bundleOf(payloadOf(gl.gradCheck((x: gl.Tensor) => x.exp().sum(), gl.tensor([1, 2]))));
    expect(Object.keys(report.data).sort()).toEqual([MIME.gradcheck, 'text/html', 'text/plain'].sort());
    const chain = bundleOf(payloadOf(gl.jacobianChain([(h) => h.tanh()], gl.tensor([1, 2]))));
    expect(Object.keys(chain.data).sort()).toEqual([MIME.jacobianChain, 'text/html', 'text/plain'].sort());
    const curve = gl.lossCurve();
    void curve.push(0, 1.5);
    const lc = bundleOf(payloadOf(curve));
    expect(Object.keys(lc.data).sort()).toEqual([MIME.lossCurve, 'image/svg+xml', 'text/plain'].sort());
  });

  it('refuses an oversized payload with a message instead of sending it', () => {
    const big = { version: 1, kind: 'graph', output: 0, nodes: [{ name: 'x'.repeat(MAX_PAYLOAD_BYTES + 10) }] } as unknown as GraphPayload;
    expect(() => bundleOf(big)).toThrow(/over the 8 MB limit; nothing was sent/);
  });

  it('prints a text form outside a notebook', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const { f } = circuit();
      f.backward();
      gl.show(f);
      expect(log).toHaveBeenCalledTimes(1);
      expect(String(log.mock.calls[0][0])).toMatch(/mul/);
    } finally {
      log.mockRestore();
    }
  });

  it('names what it cannot show', () => {
    expect(() => gl.show({} as never)).toThrow(/cannot draw/);
    expect(() => gl.show(gl.tensor([1, 2]))).toThrow(/no graph was recorded/);
  });
});

describe('loss curve', () => {
  it('keeps every point, puts accuracy on the right axis, and marks the end', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const c = gl.lossCurve({ title: 't' });
      for (let i = 0; i < 10; i++) await c.push(i, 1 / (i + 1), { accuracy: i / 10, valLoss: gl.scalar(2 / (i + 1)) });
      const p = c.payload();
      expect(p.series.map((s) => [s.name, s.axis, s.x.length])).toEqual([
        ['loss', 'y', 10],
        ['accuracy', 'y2', 10],
        ['valLoss', 'y', 10],
      ]);
      expect(c.data('valLoss').y[9]).toBeCloseTo(0.2, 12);
      expect(p.done).toBe(false);
      await c.close();
      expect(c.payload().done).toBe(true);
      expect(() => c.push(11, 0.1)).toThrow(/after close/);
    } finally {
      log.mockRestore();
    }
  });

  it('rejects a non-finite step', () => {
    const c = gl.lossCurve();
    expect(() => c.push(NaN, 1)).toThrow(/step must be a finite number/);
  });
});
