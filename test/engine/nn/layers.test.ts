/** Layers: shapes, seeded initialisation statistics, names and scopes, width errors, state dicts. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as gl from '../../../engine';

const flat = (t: gl.Tensor) => Array.from(t.toTypedArray());

describe('Linear', () => {
  it('is y = xW + b with W [in, out], b [out] zeros', () => {
    const fc = new gl.nn.Linear(3, 2, { seed: 1, name: 'fc' });
    expect(fc.weight.shape).toEqual([3, 2]);
    expect(fc.bias!.shape).toEqual([2]);
    expect(flat(fc.bias!)).toEqual([0, 0]);
    fc.weight.assign([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    fc.bias!.assign([10, 20]);
    const y = fc.forward(
      gl.tensor([
        [1, 0, -1],
        [1, 1, 1],
      ]),
    );
    expect(y.toArray()).toEqual([
      [1 - 5 + 10, 2 - 6 + 20],
      [9 + 10, 12 + 20],
    ]);
    expect(fc.weight.requiresGrad && fc.bias!.requiresGrad).toBe(true);
    expect(fc.weight.name).toBe('fc.weight');
  });

  it('He-uniform init with a seed: bound √(6/in), variance ≈ 2/in, same seed same weights', () => {
    const fc = new gl.nn.Linear(400, 300, { seed: 7 });
    const w = flat(fc.weight);
    const bound = Math.sqrt(6 / 400);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const v = w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length;
    expect(Math.abs(mean)).toBeLessThan(0.002);
    expect(v / (2 / 400)).toBeGreaterThan(0.98);
    expect(v / (2 / 400)).toBeLessThan(1.02);
    expect(flat(new gl.nn.Linear(400, 300, { seed: 7 }).weight)).toEqual(w);
    expect(flat(new gl.nn.Linear(400, 300, { seed: 8 }).weight)).not.toEqual(w);
    // Xavier and the small init
    const xv = flat(new gl.nn.Linear(400, 300, { seed: 7, init: 'xavier' }).weight);
    expect(Math.max(...xv.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 700));
    const sm = flat(new gl.nn.Linear(400, 300, { seed: 7, init: 'small' }).weight);
    const sv = sm.reduce((a, b) => a + b * b, 0) / sm.length;
    expect(Math.sqrt(sv)).toBeCloseTo(0.01, 3);
  });

  it('a wrong input width names the layer and both sizes', () => {
    const fc = new gl.nn.Linear(784, 100, { name: 'fc1', seed: 0 });
    expect(() => fc.forward(gl.zeros([32, 10]))).toThrow("Linear 'fc1' expects inputs of width 784, got 10 (input shape [32, 10])");
    const net = gl.nn.mlp([2, 100, 3], { seed: 0 });
    expect(() => net.forward(gl.zeros([5, 3]))).toThrow("Linear 'fc1' expects inputs of width 2, got 3 (input shape [5, 3])");
    expect(() => new gl.nn.Linear(0, 3)).toThrow(/inFeatures must be a positive integer/);
  });
});

describe('mlp and Sequential', () => {
  it('mlp([2, 100, 3]) is fc1, relu1, fc2 with parameters named by position', () => {
    const net = gl.nn.mlp([2, 100, 3], { seed: 0 });
    expect(net.layers.map((l) => `${l.kind}:${l.name}`)).toEqual(['Linear:fc1', 'ReLU:relu1', 'Linear:fc2']);
    expect(net.namedParameters().map(([n, p]) => `${n} ${JSON.stringify(p.shape)}`)).toEqual([
      '0.weight [2,100]',
      '0.bias [100]',
      '2.weight [100,3]',
      '2.bias [3]',
    ]);
    expect(net.parameters()).toHaveLength(4);
    expect(net.weights().map((w) => w.shape)).toEqual([
      [2, 100],
      [100, 3],
    ]);
    expect(net.numParameters()).toBe(2 * 100 + 100 + 100 * 3 + 3);
    expect(net.forward(gl.zeros([7, 2])).shape).toEqual([7, 3]);
    const tanhNet = gl.nn.mlp([4, 8, 8, 2], { activation: 'tanh', seed: 0 });
    expect(tanhNet.layers.map((l) => l.kind)).toEqual(['Linear', 'Tanh', 'Linear', 'Tanh', 'Linear']);
  });

  it('every node a layer creates carries its scope, so the graph view can group by layer', () => {
    const net = gl.nn.mlp([2, 4, 3], { seed: 0, name: 'net' });
    const y = net.forward(gl.tensor([[1, 2]])).sum();
    const nodes = gl.trace(y).nodes;
    const scopes = new Set(nodes.filter((n) => n.op === 'matmul' || n.op === 'relu').map((n) => n.scope.join('/')));
    expect(scopes).toEqual(new Set(['net/fc1', 'net/relu1', 'net/fc2']));
  });

  it('the same seed gives the same network; gradients reach every parameter', () => {
    const a = gl.nn.mlp([3, 5, 2], { seed: 3 });
    const b = gl.nn.mlp([3, 5, 2], { seed: 3 });
    expect(a.parameters().map(flat)).toEqual(b.parameters().map(flat));
    const x = gl.tensor([
      [1, -2, 0.5],
      [0.3, 0.1, -1],
    ]);
    gl.nn.softmaxCrossEntropy(a.forward(x), [0, 1]).backward();
    for (const p of a.parameters()) expect(p.grad!.shape).toEqual(p.shape);
    a.zeroGrad();
    expect(a.parameters().every((p) => p.grad === null)).toBe(true);
  });
});

describe('state dict', () => {
  it('save, mutate, load: identical predictions; JSON round trip is exact', () => {
    const net = gl.nn.mlp([2, 16, 3], { seed: 5 });
    const x = gl.randn([10, 2], { rng: gl.rng(1) });
    const before = flat(net.forward(x));
    const d = JSON.parse(JSON.stringify(net.stateDict()));
    expect(Object.keys(d)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    for (const p of net.parameters()) p.assign(gl.randn(p.shape as number[], { rng: gl.rng(9) }));
    expect(flat(net.forward(x))).not.toEqual(before);
    net.loadStateDict(d);
    expect(flat(net.forward(x))).toEqual(before);
  });

  it('gl.nn.save / load through a file into a freshly built network', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-nn-'));
    const file = path.join(dir, 'sub', 'net.json');
    const net = gl.nn.mlp([2, 8, 3], { seed: 5 });
    const x = gl.randn([4, 2], { rng: gl.rng(2) });
    gl.nn.save(net, file);
    const fresh = gl.nn.load(gl.nn.mlp([2, 8, 3], { seed: 99 }), file);
    expect(flat(fresh.forward(x))).toEqual(flat(net.forward(x)));
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).format).toBe('gradlab.stateDict');
    fs.rmSync(dir, { recursive: true });
  });

  it('a state dict that does not fit is an error naming what differs', () => {
    const net = gl.nn.mlp([2, 8, 3], { seed: 5 });
    const d = net.stateDict();
    expect(() => gl.nn.mlp([2, 9, 3]).loadStateDict(d)).toThrow("'0.weight' has shape [2, 8] in the state dict, the parameter has [2, 9]");
    expect(() => gl.nn.mlp([2, 8, 8, 3]).loadStateDict(d)).toThrow(/missing: 4.weight, 4.bias/);
  });
});
