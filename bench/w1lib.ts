/**
 * W1, the micrograd demo: an MLP 2→16→16→1 of 0-d tensors on 100 two-moons
 * points, hinge loss + L2, SGD lr 0.1. Public API only, as a notebook would.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as gl from '../engine';

export interface W1Data {
  X: number[][];
  y: number[];
  layers: { w: number[]; b: number }[][];
}

/** bench/data/w1_moons.json, found from here upwards (the scripts also run compiled, from bench/results/build/bench). */
export function loadW1(): W1Data {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const f = path.join(dir, 'bench', 'data', 'w1_moons.json');
    if (fs.existsSync(f)) return JSON.parse(fs.readFileSync(f, 'utf8'));
    if (path.dirname(dir) === dir) throw new Error('bench/data/w1_moons.json not found');
  }
}

export interface W1Model {
  layers: { w: gl.Tensor[]; b: gl.Tensor }[][];
  params: gl.Tensor[];
}

export function makeModel(d: W1Data): W1Model {
  const params: gl.Tensor[] = [];
  const layers = d.layers.map((layer) =>
    layer.map((n) => {
      const w = n.w.map((v) => gl.scalar(v, { requiresGrad: true }));
      const b = gl.scalar(n.b, { requiresGrad: true });
      params.push(...w, b);
      return { w, b };
    }),
  );
  return { layers, params };
}

/** micrograd's Neuron: act = b + Σ wᵢxᵢ (in that order), relu on all but the last layer. */
function forward(m: W1Model, x: (gl.Tensor | number)[]): gl.Tensor {
  let h: (gl.Tensor | number)[] = x;
  const L = m.layers.length;
  for (let l = 0; l < L; l++) {
    const layer = m.layers[l];
    const out: gl.Tensor[] = new Array(layer.length);
    for (let j = 0; j < layer.length; j++) {
      const { w, b } = layer[j];
      let act: gl.Tensor = b;
      for (let i = 0; i < w.length; i++) act = act.add(w[i].mul(h[i]));
      out[j] = l < L - 1 ? act.relu() : act;
    }
    h = out;
  }
  return h[0] as gl.Tensor;
}

/** The loss of the demo: mean hinge + 1e-4·Σp². */
function loss(m: W1Model, d: W1Data): gl.Tensor {
  let dataLoss: gl.Tensor | null = null;
  for (let k = 0; k < d.X.length; k++) {
    const score = forward(m, d.X[k]);
    const li = score.mul(-d.y[k]).add(1).relu();
    dataLoss = dataLoss === null ? li : dataLoss.add(li);
  }
  dataLoss = dataLoss!.mul(1 / d.X.length);
  let reg: gl.Tensor | null = null;
  for (const p of m.params) {
    const sq = p.mul(p);
    reg = reg === null ? sq : reg.add(sq);
  }
  return dataLoss.add(reg!.mul(1e-4));
}

/** One SGD step; returns the loss before the update. */
export function step(m: W1Model, d: W1Data, lr = 0.1): gl.Tensor {
  for (const p of m.params) p.zeroGrad();
  const l = loss(m, d);
  l.backward();
  for (const p of m.params) p.assign(p.item() - lr * p.grad!.item());
  return l;
}
