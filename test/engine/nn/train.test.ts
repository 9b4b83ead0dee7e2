/**
 * train(): the bars (spiral ≥ 97% training accuracy, digits ≥ 95% test accuracy, fixed seeds,
 * wall time printed), the history, bad input, and stopping (AbortSignal, and a real SIGINT as the
 * tslab kernel receives it; the kernel itself is tested in test/notebooks/test_interrupt.py).
 */
import { describe, expect, it } from 'vitest';
import * as gl from '../../../engine';

describe('the bars', () => {
  it('a two-layer ReLU net reaches ≥ 97% training accuracy on the 3-class spiral', async () => {
    const data = gl.data.spiral({ seed: 0 });
    const net = gl.nn.mlp([2, 100, 3], { seed: 0 });
    const h = await gl.nn.train(net, data, { lr: 0.5, momentum: 0.9, batchSize: 64, epochs: 100, reg: 1e-4, seed: 0, curve: false });
    console.log(`spiral: ${String(h)} — training call ${h.seconds.toFixed(2)} s`);
    expect(h.accuracy!).toBeGreaterThanOrEqual(0.97);
    expect(gl.nn.evaluate(net, data)).toBe(h.accuracy);
    expect(h.steps).toBe(500);
    expect(h.losses).toHaveLength(500);
    expect(h.evals).toHaveLength(100);
    expect(h.stopped).toBeNull();
    expect(net.history).toBe(h);
  });

  it('a two-layer ReLU net reaches ≥ 95% test accuracy on the digits', async () => {
    const { train, test } = gl.data.digits({ scale: true });
    const net = gl.nn.mlp([64, 100, 10], { seed: 0 });
    const h = await gl.nn.train(net, train, { lr: 0.1, momentum: 0.9, batchSize: 64, epochs: 20, seed: 0, validation: test, curve: false });
    console.log(`digits: ${String(h)} — training call ${h.seconds.toFixed(2)} s`);
    expect(h.valAccuracy!).toBeGreaterThanOrEqual(0.95);
    expect(gl.nn.evaluate(net, test)).toBe(h.valAccuracy);
    expect(h.evals.at(-1)!.valLoss).toBeLessThan(0.2);
  });
});

describe('train', () => {
  const data = gl.data.spiral({ pointsPerClass: 30, seed: 1 });

  it('is deterministic with a seed; steps, evalEvery, adam and logistic loss', async () => {
    const run = async () => {
      const net = gl.nn.mlp([2, 10, 3], { seed: 2 });
      return gl.nn.train(net, data, { steps: 25, batchSize: 32, evalEvery: 10, optimizer: 'adam', lr: 0.01, curve: false });
    };
    const [a, b] = [await run(), await run()];
    expect(a.losses).toEqual(b.losses);
    expect(a.steps).toBe(25);
    expect(a.evals.map((e) => e.step)).toEqual([10, 20, 25]);
    expect(a.epochs).toBeCloseTo(25 / 3, 12);
    // logistic regression with ±1 labels: a Linear layer with one output
    const m = gl.data.moons({ n: 100, seed: 0 });
    const y = gl.tensor(Array.from(m.y.toTypedArray()).map((v) => 2 * v - 1));
    const lin = new gl.nn.Linear(2, 1, { seed: 0 });
    const h = await gl.nn.train(lin, { X: m.X, y }, { loss: 'logistic', lr: 0.1, epochs: 30, batchSize: 32, curve: false });
    expect(h.accuracy!).toBeGreaterThan(0.8);
  });

  it('bad input: batch larger than the data, labels not matching the classes, wrong width', async () => {
    const net = gl.nn.mlp([2, 10, 3], { seed: 0 });
    await expect(gl.nn.train(net, data, { batchSize: 256, curve: false })).rejects.toThrow(
      'train: batchSize 256 is larger than the data (90 examples); use at most 90',
    );
    const y10 = gl.tensor(Array.from({ length: 90 }, (_, i) => i % 10));
    await expect(gl.nn.train(net, { X: data.X, y: y10 }, { curve: false })).rejects.toThrow(
      'train: data label 3 at position 3 does not match the number of classes: the model gives 3 scores per example, so labels must be integers in 0..2',
    );
    await expect(gl.nn.train(gl.nn.mlp([4, 10, 3]), data, { curve: false })).rejects.toThrow(
      "Linear 'fc1' expects inputs of width 4, got 2 (input shape [1, 2])",
    );
    await expect(gl.nn.train(net, { X: data.X, y: [0, 1] }, { curve: false })).rejects.toThrow(/2 labels for 90 examples/);
  });

  it('an AbortSignal stops it before the next step, keeping the partial history on the model', async () => {
    const net = gl.nn.mlp([2, 10, 3], { seed: 0 });
    const ctl = new AbortController();
    let calls = 0;
    const loss = (s: gl.Tensor, y: gl.Tensor) => {
      if (s.shape[0] === 16 && ++calls === 5) ctl.abort();
      return gl.nn.softmaxCrossEntropy(s, y);
    };
    const h = await gl.nn.train(net, data, { loss, batchSize: 16, epochs: 100, signal: ctl.signal, curve: false });
    expect(h.stopped).toBe('aborted at step 5');
    expect(h.steps).toBe(5);
    expect(h.losses).toHaveLength(5);
    expect(h.done).toBe(true);
    expect(net.history).toBe(h);
  });

  it('a SIGINT (what the stop button sends to the tslab kernel) stops it within one step', async () => {
    // tslab's kernel listens for SIGINT; train listens only when someone already does (else Ctrl-C ends the process)
    const kernelLike = () => {};
    process.on('SIGINT', kernelLike);
    try {
      const net = gl.nn.mlp([2, 10, 3], { seed: 0 });
      let sentAt = -1;
      const loss = (s: gl.Tensor, y: gl.Tensor) => {
        if (s.shape[0] === 16 && net.history && net.history.steps === 20 && sentAt < 0) {
          sentAt = net.history.steps;
          process.kill(process.pid, 'SIGINT');
        }
        return gl.nn.softmaxCrossEntropy(s, y);
      };
      // it throws, so the rest of the cell does not run, and keeps what it did in net.history
      await expect(gl.nn.train(net, data, { loss, batchSize: 16, epochs: 1000, curve: false })).rejects.toThrow(
        'train: interrupted at step 21 by the stop button; model.history keeps the 21 steps run',
      );
      expect(sentAt).toBe(20);
      // the signal arrived during step 21; the loop noticed before step 22
      const h = net.history!;
      expect(h.stopped).toBe('interrupted at step 21');
      expect(net.history!.losses).toHaveLength(21);
      expect(process.listeners('SIGINT')).toEqual([kernelLike]);
    } finally {
      process.removeListener('SIGINT', kernelLike);
    }
  });

  it("with a curve outside a kernel, prints the curve's text form at the end", async () => {
    const net = gl.nn.mlp([2, 10, 3], { seed: 0 });
    const logs: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => void logs.push(a.join(' '));
    try {
      await gl.nn.train(net, data, { steps: 6, batchSize: 30 });
    } finally {
      console.log = log;
    }
    expect(logs.join('\n')).toMatch(/loss/);
  });
});

describe('train and a NaN gradient (issue #10, defect 5)', () => {
  it('stops with an error naming the step, the loss and the parameter, keeping the last good parameters', async () => {
    const data = gl.data.spiral({ pointsPerClass: 20, seed: 3 });
    // the loss turns NaN at the third recorded (training) evaluation only
    let calls = 0;
    const loss = (s: gl.Tensor, y: gl.Tensor) => {
      const l = gl.nn.softmaxCrossEntropy(s, y);
      return gl.isGradEnabled() && ++calls === 3 ? gl.mul(l, NaN) : l;
    };
    const net = gl.nn.mlp([2, 5, 3], { seed: 4 });
    const opts = { loss, lr: 0.1, batchSize: 20, seed: 0, curve: false } as const;
    await expect(gl.nn.train(net, data, { ...opts, steps: 10 })).rejects.toThrow(
      "train: step 3 stopped (the minibatch loss is already NaN): SGD.step: gradient of '0.weight' ('fc1.weight') has NaN at [0, 0] " +
        '(10 of its 10 entries are NaN or infinite); no parameter was changed (pass {allowNonFinite: true} to step anyway). ' +
        'A smaller lr often helps; the model keeps the parameters of step 2',
    );
    expect(net.history!.steps).toBe(2);
    expect(net.history!.stopped).toMatch(/^error at step 2: train: step 3 stopped/);
    // the same two steps without the NaN give the same parameters
    const twin = gl.nn.mlp([2, 5, 3], { seed: 4 });
    await gl.nn.train(twin, data, { ...opts, loss: 'softmax', steps: 2 });
    expect(net.stateDict()).toEqual(twin.stateDict());
  });
});
