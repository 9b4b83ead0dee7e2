import { describe, expect, it } from 'vitest';
import * as gl from '../../../engine/index';
import { CHAIN_DP_MAX_STEPS, chainCosts, chainOrders } from '../../../engine/ad/chain';

const byName = (sizes: number[]) => Object.fromEntries(chainOrders(sizes).map((o) => [o.name, o]));

describe('chainOrders: forward, reverse and the cheapest bracketing', () => {
  it('CLRS 15.2 (10 × 100, 100 × 5, 5 × 50): (A1·A2)·A3 costs 7,500, the other 75,000', () => {
    // CLRS's A1·A2·A3 (10×100, 100×5, 5×50) is the chain J3·J2·J1 with J_i of size d_i × d_{i−1} and d = [50, 5, 100, 10]:
    // J1 = A3 (5×50), J2 = A2, J3 = A1, so (J3·J2)·J1 = (A1·A2)·A3 and J3·(J2·J1) = A1·(A2·A3).
    const o = byName([50, 5, 100, 10]);
    expect(o.reverse).toMatchObject({ order: '(J3·J2)·J1', cost: 7500 });
    expect(o.forward).toMatchObject({ order: 'J3·(J2·J1)', cost: 75000 });
    expect(o.optimal).toMatchObject({ order: '(J3·J2)·J1', cost: 7500 });
    // the same dims read from the input side: d = [10, 100, 5, 50]
    const f = byName([10, 100, 5, 50]);
    expect([f.forward.cost, f.reverse.cost, f.optimal.cost]).toEqual([7500, 75000, 7500]);
    expect(f.optimal.order).toBe('J3·(J2·J1)');
  });

  it('finds a middle bracketing that strictly beats both end orders', () => {
    // wide–narrow–wide: 10 → 1000 → 10 → 1000 → 10
    const o = byName([10, 1000, 10, 1000, 10]);
    expect(o.forward.cost).toBe(300_000);
    expect(o.reverse.cost).toBe(300_000);
    expect(o.optimal).toEqual({ name: 'optimal', order: '(J4·J3)·(J2·J1)', cost: 201_000, memory: 1_210 });
    expect(o.optimal.cost).toBeLessThan(Math.min(o.forward.cost, o.reverse.cost));
  });

  it('agrees with chainCosts (v1 forwardCost/reverseCost) and with brute force over every bracketing', () => {
    const all = (d: number[], i: number, j: number): number =>
      i === j ? 0 : Math.min(...Array.from({ length: j - i }, (_, t) => i + t).map((s) => all(d, i, s) + all(d, s + 1, j) + d[j] * d[s] * d[i - 1]));
    for (const d of [
      [784, 64, 64, 10, 1],
      [2, 64, 64, 784, 784],
      [3, 7, 2, 9, 4, 8, 1],
      [30, 35, 15, 5, 10, 20, 25],
    ]) {
      const o = byName(d);
      const { forward, reverse } = chainCosts(d);
      expect([o.forward.cost, o.reverse.cost]).toEqual([forward, reverse]);
      expect(o.optimal.cost).toBe(all(d, 1, d.length - 1));
    }
    // CLRS figure 15.5: six matrices 30×35 … 20×25 cost 15,125 at best
    expect(byName([30, 35, 15, 5, 10, 20, 25]).optimal.cost).toBe(15_125);
  });

  it('on a tie the optimal order is an end order, the one keeping less alive', () => {
    // d = [2, 3, 3, 2]: 2·(3·3 + 3·2) = 30 multiply-adds either way; forward keeps 13 entries at most, reverse 14
    const o = byName([2, 3, 3, 2]);
    expect([o.forward.cost, o.reverse.cost, o.optimal.cost]).toEqual([30, 30, 30]);
    expect([o.forward.memory, o.reverse.memory]).toEqual([13, 14]);
    expect(o.optimal).toEqual({ ...o.forward, name: 'optimal' });
    // one step: nothing to multiply, the Jacobian itself is what is stored
    expect(chainOrders([3, 4])).toEqual([
      { name: 'forward', order: 'J1', cost: 0, memory: 12 },
      { name: 'reverse', order: 'J1', cost: 0, memory: 12 },
      { name: 'optimal', order: 'J1', cost: 0, memory: 12 },
    ]);
    expect(chainOrders([3])).toEqual([]);
  });

  it('past CHAIN_DP_MAX_STEPS steps lists only the two end orders', () => {
    const d = Array.from({ length: CHAIN_DP_MAX_STEPS + 2 }, (_, i) => 1 + (i % 3));
    expect(chainOrders(d).map((o) => o.name)).toEqual(['forward', 'reverse']);
    expect(chainOrders(d.slice(0, 201)).map((o) => o.name)).toEqual(['forward', 'reverse', 'optimal']);
  });

  it('memory: forward holds its running product, reverse also every activation of the forward pass', () => {
    // d = [10, 100, 5, 50]: forward J2·J1 (5×10) then J3·(J2·J1) (50×10) while x2 (5) is in use: 50 + 500 + 5
    // reverse J3·J2 (50×100) needs the forward pass to x2 first: x0 + x1 + x2 kept (115) → 5,115; then (J3·J2)·J1: 5,000 + 500 + x0
    const o = byName([10, 100, 5, 50]);
    expect(o.forward.memory).toBe(555);
    expect(o.reverse.memory).toBe(5_510);
    // a scalar loss after 784 → 64 → 64 → 10: reverse's partial products are single rows, but it first keeps
    // x0…x3 (784 + 64 + 64 + 10) for the backward sweep; its peak is the last product: row 1×64, result 1×784, and x0
    const m = byName([784, 64, 64, 10, 1]);
    expect(m.reverse).toMatchObject({ cost: 54_912, memory: 64 + 784 + 784 });
    expect(m.reverse.memory).toBeLessThan(m.forward.memory);
    expect(m.forward.memory).toBe(64 * 784 + 10 * 784 + 64);
  });

  it('the payload carries the three orders, and forwardCost/reverseCost/winner as before', () => {
    gl.seed(0);
    const W1 = gl.randn([64, 784]),
      W2 = gl.randn([10, 64]);
    const c = gl.jacobianChain([(h) => W1.matmul(h), (h) => h.relu(), (h) => W2.matmul(h), (h) => h.logsumexp()], gl.rand([784]));
    expect(c.payload.orders!.map((o) => o.name)).toEqual(['forward', 'reverse', 'optimal']);
    expect(c.payload.orders![0].cost).toBe(c.forwardCost);
    expect(c.payload.orders![1].cost).toBe(c.reverseCost);
    expect(c.winner).toBe('reverse');
    expect(c.optimal).toMatchObject({ order: '((J4·J3)·J2)·J1', cost: 54_912 });
    expect(c.toString()).toContain('cheapest order (dynamic programming): ((J4·J3)·J2)·J1, 54,912 multiply-adds');
  });
});

describe('FC steps: the parameter Jacobian next to what backprop computes', () => {
  it('W·x + b with W 256 × 784: ∂y/∂W is 256 × 200,704 (200,704 non-zero), gW = gy·xᵀ is 256 × 784', () => {
    gl.seed(1);
    const W = gl.randn([256, 784], { requiresGrad: true, name: 'W' });
    const b = gl.zeros([256], { requiresGrad: true, name: 'b' });
    const c = gl.jacobianChain([(x) => W.matmul(x).add(b), (h) => h.relu()], gl.rand([784]), { labels: ['FC 784→256', 'ReLU'] });
    expect(c.steps[0].params).toEqual([
      { name: 'W', shape: [256, 784], jacobian: [256, 200_704], nonzero: 200_704, backprop: { formula: 'gW = gy · xᵀ', shape: [256, 784], cost: 200_704 } },
      { name: 'b', shape: [256], jacobian: [256, 256], nonzero: 256, backprop: { formula: 'gb = gy', shape: [256], cost: 0 } },
    ]);
    expect(256 * 200_704).toBe(51_380_224);
    expect(c.steps[1].params).toBeUndefined(); // ReLU has no parameters
    expect(c.params.map((p) => [p.step, p.label, p.name])).toEqual([
      [1, 'FC 784→256', 'W'],
      [1, 'FC 784→256', 'b'],
    ]);
    expect(c.toString()).toContain('∂y/∂W is 256 × 200,704 (200,704 non-zero); backprop computes gW = gy · xᵀ, [256, 784], 200,704 multiply-adds');
  });

  it('an nn.Linear on a batch: y = xW + b, gW = xᵀ·gy costs in·out·B, gb sums gy over the batch', () => {
    const fc = new gl.nn.Linear(3, 4, { seed: 0, name: 'fc' });
    const c = gl.jacobianChain([fc], gl.randn([5, 3]));
    expect(c.steps.map((s) => [s.label, s.rows, s.cols])).toEqual([['fc: FC 3→4', 20, 15]]);
    expect(c.steps[0].params).toEqual([
      { name: 'fc.weight', shape: [3, 4], jacobian: [20, 12], nonzero: 60, backprop: { formula: 'gW = xᵀ · gy', shape: [3, 4], cost: 60 } },
      { name: 'fc.bias', shape: [4], jacobian: [20, 4], nonzero: 20, backprop: { formula: 'gb = gy summed over the batch', shape: [4], cost: 16 } },
    ]);
  });

  it('takes an MLP (a Sequential) as its layers, with a loss after it', () => {
    const net = gl.nn.mlp([784, 256, 10], { seed: 0 });
    const c = gl.jacobianChain([net, (s: gl.Tensor) => s.logsumexp()], gl.rand([784]), { labels: [undefined, 'loss'] });
    expect(c.steps.map((s) => [s.rows, s.cols])).toEqual([
      [256, 784],
      [256, 256],
      [10, 256],
      [1, 10],
    ]);
    expect(c.steps[0].label).toMatch(/FC 784→256$/);
    expect(c.steps[3].label).toBe('loss');
    expect(c.params.filter((p) => p.name.endsWith('weight')).map((p) => [p.step, p.jacobian, p.backprop.cost])).toEqual([
      [1, [256, 200_704], 200_704],
      [3, [10, 2_560], 2_560],
    ]);
    // one network alone works too
    expect(gl.jacobianChain(net, gl.rand([784])).steps).toHaveLength(3);
  });

  it('the chain with respect to W itself (x requires grad, X·W + b): J1 is ∂y/∂W, and backprop forms xᵀ·gy', () => {
    gl.seed(2);
    const X = gl.rand([64, 784]);
    const W1 = gl.randn([784, 100], { requiresGrad: true, name: 'W1' });
    const c = gl.jacobianChain([(W: gl.Tensor) => X.matmul(W), (h: gl.Tensor) => h.relu()], W1);
    expect(c.steps[0].params).toEqual([
      {
        name: 'W1',
        shape: [784, 100],
        jacobian: [6_400, 78_400],
        nonzero: 5_017_600,
        backprop: { formula: 'gW = xᵀ · gy', shape: [784, 100], cost: 5_017_600 },
      },
    ]);
  });

  it('in a traced single function the matmul step lists W; a constant matrix is no parameter', () => {
    gl.seed(3);
    const W = gl.randn([5, 3], { requiresGrad: true, name: 'W' });
    const c = gl.jacobianChain((x) => W.matmul(x).tanh(), gl.randn([3]));
    expect(c.steps[0].params?.map((p) => [p.name, p.jacobian, p.nonzero, p.backprop.formula])).toEqual([['W', [5, 15], 15, 'gW = gy · xᵀ']]);
    expect(c.steps[1].params).toBeUndefined();
    const C = gl.randn([5, 3]);
    expect(gl.jacobianChain([(x) => C.matmul(x)], gl.randn([3])).steps[0].params).toBeUndefined();
  });

  it('names the step that failed and refuses what is not a step', () => {
    const W = gl.randn([4, 3]);
    expect(() => gl.jacobianChain([(x) => W.matmul(x), (h) => W.matmul(h)], gl.randn([3]), { labels: ['fc1', 'fc2'] })).toThrow(
      /jacobianChain: step #1 'fc2' failed on an input of shape \[4\]: matmul: inner dimensions differ/,
    );
    expect(() => gl.jacobianChain([42 as unknown as (x: gl.Tensor) => gl.Tensor], gl.randn([3]))).toThrow(
      /step #0 is not a function or a layer \(got number\)/,
    );
  });
});
