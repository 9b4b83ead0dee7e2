/**
 * W2, a tensor MLP 784→256→10 (ReLU, softmax cross-entropy, batch B, float32,
 * SGD lr 0.1), the same data and initial weights for every peer (lcg): ms per
 * step and GFLOP/s counting 6·B·(784·256 + 256·10) FLOPs per step. The
 * losses of the first steps go into the fingerprint, compared across peers.
 */
import * as gl from '../../engine';
import { check, lcg, lcgLabels, median, now, type RunResult } from './common';

const W2_IN = 784;
const W2_HIDDEN = 256;
const W2_OUT = 10;
const W2_LR = 0.1;

function w2Flops(batch: number): number {
  return 6 * batch * (W2_IN * W2_HIDDEN + W2_HIDDEN * W2_OUT);
}

interface W2Data {
  X: Float32Array;
  y: number[];
  W1: Float32Array;
  W2: Float32Array;
}

/** Seeds 11–14, in this order, as bench/py/worker.py. */
function w2Data(batch: number): W2Data {
  return {
    X: Float32Array.from(lcg(11, batch * W2_IN)),
    y: lcgLabels(12, batch, W2_OUT),
    W1: Float32Array.from(lcg(13, W2_IN * W2_HIDDEN, 2 * Math.sqrt(6 / (W2_IN + W2_HIDDEN)))),
    W2: Float32Array.from(lcg(14, W2_HIDDEN * W2_OUT, 2 * Math.sqrt(6 / (W2_HIDDEN + W2_OUT)))),
  };
}

export interface W2Params {
  batch: number;
  warmup: number;
  steps: number;
}

/** Times `steps` calls of `step` after `warmup` ones; each returns the loss before its update. */
function timeSteps(params: W2Params, step: () => number): RunResult {
  const fingerprint: Record<string, number> = {};
  const times: number[] = [];
  const total = params.warmup + params.steps;
  for (let s = 1; s <= total; s++) {
    const t0 = now();
    const l = step();
    const dt = now() - t0;
    if (s > params.warmup) times.push(dt);
    if (s <= 5) fingerprint[`loss_${s}`] = l;
  }
  const ms = median(times);
  const first = fingerprint.loss_1;
  return {
    ok: true,
    metrics: { ms_per_step: ms, gflops: w2Flops(params.batch) / ms / 1e6 },
    checks: [
      check(
        'losses finite and falling',
        Object.values(fingerprint).every(Number.isFinite) && fingerprint[`loss_${Math.min(5, total)}`] < first,
        JSON.stringify(fingerprint),
      ),
      check('first loss ≈ ln 10 (uniform start)', Math.abs(first - Math.log(10)) < 0.5, String(first)),
    ],
    fingerprint,
  };
}

export function runW2Gradlab(params: W2Params): RunResult {
  const d = w2Data(params.batch);
  const X = gl.tensor(d.X, { shape: [params.batch, W2_IN], dtype: 'float32' });
  const W1 = gl.tensor(d.W1, { shape: [W2_IN, W2_HIDDEN], dtype: 'float32', requiresGrad: true });
  const b1 = gl.zeros([W2_HIDDEN], { dtype: 'float32', requiresGrad: true });
  const W2 = gl.tensor(d.W2, { shape: [W2_HIDDEN, W2_OUT], dtype: 'float32', requiresGrad: true });
  const b2 = gl.zeros([W2_OUT], { dtype: 'float32', requiresGrad: true });
  const ps = [W1, b1, W2, b2];
  const r = timeSteps(params, () => {
    for (const p of ps) p.zeroGrad();
    const h = X.matmul(W1).add(b1).relu();
    const loss = gl.pick(h.matmul(W2).add(b2).logSoftmax(), d.y).mean().neg();
    loss.backward();
    for (const p of ps) p.assign(gl.noGrad(() => p.sub(p.grad!.mul(W2_LR))));
    return loss.item();
  });
  r.info = { dtype: W1.dtype };
  r.checks.push(check('float32 throughout', W1.dtype === 'float32', W1.dtype));
  return r;
}

/** @tensorflow/tfjs from bench/node_modules (npm run bench:setup), with the cpu or the wasm backend. */
export async function runW2Tfjs(params: W2Params, backend: 'cpu' | 'wasm'): Promise<RunResult> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- an optional peer (bench/node_modules), loaded only when this peer runs
  const tf = require('@tensorflow/tfjs');
  if (backend === 'wasm') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- as above; it registers the wasm backend with tf
    require('@tensorflow/tfjs-backend-wasm');
    // Under Node: threads off (forcing them fails), SIMD on; the .wasm files load from the package.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    tf.env().set('WASM_HAS_SIMD_SUPPORT', true);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs: backend ${backend} did not initialise`);
  await tf.ready();
  const d = w2Data(params.batch);
  const X = tf.tensor2d(d.X, [params.batch, W2_IN], 'float32');
  const Y = tf.oneHot(tf.tensor1d(d.y, 'int32'), W2_OUT).toFloat();
  const vars: Record<string, any> = {
    W1: tf.variable(tf.tensor2d(d.W1, [W2_IN, W2_HIDDEN]), true, 'W1'),
    b1: tf.variable(tf.zeros([W2_HIDDEN]), true, 'b1'),
    W2: tf.variable(tf.tensor2d(d.W2, [W2_HIDDEN, W2_OUT]), true, 'W2'),
    b2: tf.variable(tf.zeros([W2_OUT]), true, 'b2'),
  };
  const f = () => {
    const h = tf.relu(tf.add(tf.matMul(X, vars.W1), vars.b1));
    const logits = tf.add(tf.matMul(h, vars.W2), vars.b2);
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), Y), 1)));
  };
  const r = timeSteps(params, () => {
    const { value, grads } = tf.variableGrads(f);
    tf.tidy(() => {
      for (const name of Object.keys(vars)) vars[name].assign(tf.sub(vars[name], tf.mul(grads[name], W2_LR)));
    });
    const l = value.dataSync()[0];
    value.dispose();
    tf.dispose(grads);
    return l;
  });
  r.info = {
    backend: tf.getBackend(),
    tfjs: tf.version.tfjs,
    ...(backend === 'wasm' ? { simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), threads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') } : {}),
  };
  r.checks.push(check(`backend is ${backend}`, tf.getBackend() === backend, tf.getBackend()));
  return r;
}
