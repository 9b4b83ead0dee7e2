/**
 * Smoke runs of the benchmark workloads (no timing): W1's loss after 23 steps
 * must equal PyTorch float64's, W3's gradient must equal 1.0001^N.
 */
import { describe, expect, it } from 'vitest';
import * as gl from '../../engine';
import { loadW1, makeModel, step } from '../../bench/w1lib';
import { buildChain } from '../../bench/w3lib';

describe('W1: the micrograd demo network', () => {
  it('matches PyTorch float64 after 23 SGD steps and records ≥ 65,000 nodes a step', () => {
    const d = loadW1();
    const m = makeModel(d);
    let loss = NaN;
    let nodes = 0;
    for (let s = 0; s < 23; s++) {
      const l = step(m, d);
      if (s === 0) nodes = gl.trace(l).nodes.length;
      loss = l.item();
    }
    // the loss computed in the 23rd step (after 22 updates), as torch prints it
    expect(Math.abs(loss - 0.24499313667364175)).toBeLessThan(1e-9);
    expect(nodes).toBeGreaterThanOrEqual(65_000);
  });
});

describe('W3: the deep chain', () => {
  it('dy/dx = 1.0001^N at N = 1e5', () => {
    const n = 1e5;
    const { x, y } = buildChain(n);
    y.backward();
    const want = Math.pow(1.0001, n);
    expect(Math.abs(x.grad!.item() - want) / want).toBeLessThan(1e-9);
  });
});
