/** Losses against closed forms on small examples, gradient-checked; bad labels give clear errors. */
import { describe, expect, it } from 'vitest';
import * as gl from '../../../engine';

const S = [
  [3.2, 5.1, -1.7],
  [1.3, 4.9, 2.0],
  [2.2, 2.5, -3.1],
]; // CS231n's cat/car/frog scores
const Y = [0, 1, 2];

describe('softmaxCrossEntropy', () => {
  it("matches −log softmax(s)[y] averaged, and CS231n's 2.04 for the cat (as −log 0.13)", () => {
    const L = gl.nn.softmaxCrossEntropy(gl.tensor(S), Y).item();
    const li = S.map((s, i) => Math.log(s.reduce((a, v) => a + Math.exp(v), 0)) - s[Y[i]]);
    expect(L).toBeCloseTo((li[0] + li[1] + li[2]) / 3, 14);
    expect(li[0]).toBeCloseTo(2.04, 2);
    // large scores do not overflow
    expect(gl.nn.softmaxCrossEntropy(gl.tensor([[1000, 0]]), [0]).item()).toBeCloseTo(0, 12);
    expect(gl.nn.softmaxCrossEntropy(gl.tensor([[0, 1000]]), [0]).item()).toBeCloseTo(1000, 9);
  });

  it('passes gradCheck; its gradient is (softmax − onehot)/N', () => {
    const s = gl.tensor(S, { requiresGrad: true });
    expect(gl.gradCheck((x) => gl.nn.softmaxCrossEntropy(x, Y), [s]).ok).toBe(true);
    gl.nn.softmaxCrossEntropy(s, Y).backward();
    const p = gl.softmax(gl.tensor(S)).toArray() as number[][];
    const g = s.grad!.toArray() as number[][];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(g[i][j]).toBeCloseTo((p[i][j] - (j === Y[i] ? 1 : 0)) / 3, 14);
  });

  it('labels that do not match the number of classes are clear errors', () => {
    const s = gl.zeros([3, 3]);
    expect(() => gl.nn.softmaxCrossEntropy(s, [0, 1, 3])).toThrow(
      'softmaxCrossEntropy: label 3 at position 2 does not match the number of classes: scores have 3 columns (shape [3, 3]), so labels must be in 0..2',
    );
    expect(() => gl.nn.softmaxCrossEntropy(s, [0, 1])).toThrow('softmaxCrossEntropy: 2 labels for 3 rows of scores (shape [3, 3])');
    expect(() => gl.nn.softmaxCrossEntropy(s, [0, 1.5, 2])).toThrow(/label 1.5 at position 1 is not an integer/);
    expect(() => gl.nn.softmaxCrossEntropy(gl.zeros([3]), [0, 1, 2])).toThrow(/scores must be 2-D \[N, classes\]; got shape \[3\]/);
  });
});

describe('svmLoss', () => {
  it("is CS231n's example: 2.9, 0, 12.9 → mean 5.27", () => {
    expect(gl.nn.svmLoss(gl.tensor(S), Y).item()).toBeCloseTo((2.9 + 0 + 12.9) / 3, 12);
    expect(gl.nn.svmLoss(gl.tensor(S), Y, { delta: 0 }).item()).toBeCloseTo((1.9 + 0 + 10.9) / 3, 12);
  });

  it('passes gradCheck away from the kinks; the gradient counts the violated margins', () => {
    const s = gl.tensor(S, { requiresGrad: true });
    expect(gl.gradCheck((x) => gl.nn.svmLoss(x, Y), [s]).ok).toBe(true);
    gl.nn.svmLoss(s, Y).backward();
    // row 0: car violates (5.1−3.2+1>0), frog does not → [−1, 1, 0]/3; row 1: none; row 2: cat and car → [1, 1, −2]/3
    expect(s.grad!.toArray()).toEqual([
      [-1 / 3, 1 / 3, 0],
      [0, 0, 0],
      [1 / 3, 1 / 3, -2 / 3],
    ]);
  });
});

describe('logisticLoss', () => {
  it('is mean log(1 + exp(−y·s)) and stable for large margins', () => {
    const s = [2, -1, 0.5, 0];
    const y = [1, 1, -1, -1];
    const want = s.reduce((a, v, i) => a + Math.log(1 + Math.exp(-y[i] * v)), 0) / 4;
    expect(gl.nn.logisticLoss(gl.tensor(s), y).item()).toBeCloseTo(want, 14);
    expect(gl.nn.logisticLoss(gl.tensor([[800], [-800]]), [1, 1]).item()).toBeCloseTo(400, 9);
    expect(gl.nn.logisticLoss(gl.tensor([800]), [1]).item()).toBe(0);
  });

  it('passes gradCheck, and at s = 0 its gradient is −y/2 per example (not lost at the kink)', () => {
    const s = gl.tensor([2, -1, 0.5, 0.3], { requiresGrad: true });
    expect(gl.gradCheck((x) => gl.nn.logisticLoss(x, [1, 1, -1, -1]), [s]).ok).toBe(true);
    const z = gl.zeros([2, 1], { requiresGrad: true });
    gl.nn.logisticLoss(z, [1, -1]).backward();
    expect(z.grad!.toArray()).toEqual([[-0.25], [0.25]]);
  });

  it('labels must be ±1', () => {
    expect(() => gl.nn.logisticLoss(gl.zeros([2]), [0, 1])).toThrow('logisticLoss: labels must be −1 or +1; got 0 at position 0 (for 0/1 labels use 2·y − 1)');
    expect(() => gl.nn.logisticLoss(gl.zeros([2, 2]), [1, 1])).toThrow(/scores must be \[N\] or \[N, 1\]/);
  });
});

describe('mse and l2, and the full objective', () => {
  it('mse is the mean of squares, gradient-checked', () => {
    expect(gl.nn.mse(gl.tensor([1, 2, 3]), gl.tensor([1, 0, 0])).item()).toBeCloseTo((0 + 4 + 9) / 3, 14);
    expect(
      gl.gradCheck(
        (p) =>
          gl.nn.mse(
            p,
            gl.tensor([
              [1, 0],
              [0, 1],
            ]),
          ),
        [
          gl.tensor([
            [0.3, -2],
            [1.5, 0.2],
          ]),
        ],
      ).ok,
    ).toBe(true);
  });

  it('l2(model, λ) is λΣW² over the weights only; l2(tensors, λ) over all of them', () => {
    const net = gl.nn.mlp([2, 3, 2], { seed: 0 });
    net.parameters().forEach((p) => p.assign(1));
    expect(gl.nn.l2(net, 0.5).item()).toBe(0.5 * (6 + 6));
    expect(gl.nn.l2(net.parameters(), 0.5).item()).toBe(0.5 * (6 + 3 + 6 + 2));
    const w = gl.tensor([
      [0.3, -2],
      [1.5, 0.2],
    ]);
    expect(gl.gradCheck((x) => gl.nn.l2([x], 0.1), [w]).ok).toBe(true);
  });

  it('L(W) = (1/N) Σ Lᵢ + λR(W) is one expression, and its gradient checks out', () => {
    const X = gl.randn([6, 2], { rng: gl.rng(4) });
    const y = [0, 1, 2, 0, 1, 2];
    const W = gl.randn([2, 3], { rng: gl.rng(5) });
    const b = gl.randn([3], { rng: gl.rng(6) });
    const L = (w: gl.Tensor, bb: gl.Tensor) => gl.nn.softmaxCrossEntropy(X.matmul(w).add(bb), y).add(gl.nn.l2([w], 1e-2));
    expect(gl.gradCheck(L, [W, b]).ok).toBe(true);
  });

  it('accuracy and predict', () => {
    expect(Array.from(gl.nn.predict(gl.tensor(S)))).toEqual([1, 1, 1]);
    expect(gl.nn.accuracy(gl.tensor(S), Y)).toBeCloseTo(1 / 3, 15);
    expect(gl.nn.accuracy(gl.tensor([0.5, -2, 3]), [1, -1, -1])).toBeCloseTo(2 / 3, 15);
  });
});
