/** Making tensors: from data, filled, ranges, seeded random numbers. */
import { describe, expect, it } from 'vitest';
import * as gl from '../../engine';

describe('tensor and scalar', () => {
  it('nested arrays give shape and values; float64 by default', () => {
    const t = gl.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.size).toBe(6);
    expect(t.dtype).toBe('float64');
    expect(t.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.requiresGrad).toBe(false);
    expect(t.grad).toBeNull();
  });

  it('typed arrays with a shape, copied (not shared)', () => {
    const a = Float64Array.of(1, 2, 3, 4);
    const t = gl.tensor(a, { shape: [2, 2] });
    a[0] = 99;
    expect(t.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(gl.tensor(Float32Array.of(0.1)).dtype).toBe('float32');
  });

  it('options: requiresGrad, name, dtype', () => {
    const t = gl.tensor([0.1], { requiresGrad: true, name: 'w', dtype: 'float32' });
    expect(t.requiresGrad).toBe(true);
    expect(t.name).toBe('w');
    expect(t.item()).toBe(Math.fround(0.1));
  });

  it('scalar is 0-d', () => {
    const s = gl.scalar(2.5, { requiresGrad: true });
    expect(s.shape).toEqual([]);
    expect(s.size).toBe(1);
    expect(s.item()).toBe(2.5);
    expect(s.toArray()).toBe(2.5);
  });
});

describe('filled tensors and ranges', () => {
  it('zeros, ones, full, eye', () => {
    expect(gl.zeros([2, 2]).toArray()).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(gl.ones([3]).toArray()).toEqual([1, 1, 1]);
    expect(gl.full([2], 7).toArray()).toEqual([7, 7]);
    expect(gl.eye(2).toArray()).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(gl.eye(2, 3).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    expect(gl.zerosLike(gl.ones([2], { dtype: 'float32' })).dtype).toBe('float32');
  });

  it('arange(stop), arange(start, stop, step) exclude stop; linspace includes it (as NumPy)', () => {
    expect(gl.arange(4).toArray()).toEqual([0, 1, 2, 3]);
    expect(gl.arange(1, 2, 0.25).toArray()).toEqual([1, 1.25, 1.5, 1.75]);
    expect(gl.arange(3, 0, -1).toArray()).toEqual([3, 2, 1]);
    expect(gl.linspace(0, 1, 5).toArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(gl.linspace(0, 0.3, 4).toTypedArray()[3]).toBe(0.3);
  });
});

describe('seeded random numbers', () => {
  it('the same seed gives the same numbers; gl.seed resets the global generator', () => {
    expect(gl.randn([5], { rng: gl.rng(1) }).toArray()).toEqual(gl.randn([5], { rng: gl.rng(1) }).toArray());
    expect(gl.randn([5], { rng: gl.rng(1) }).toArray()).not.toEqual(gl.randn([5], { rng: gl.rng(2) }).toArray());
    gl.seed(42);
    const a = gl.rand([4]).toArray();
    gl.seed(42);
    expect(gl.rand([4]).toArray()).toEqual(a);
  });

  it('rand is uniform in [0, 1) and randn has mean ≈ 0 and variance ≈ 1', () => {
    const u = Array.from(gl.rand([20000], { rng: gl.rng(3) }).toTypedArray());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(Math.abs(u.reduce((s, v) => s + v, 0) / u.length - 0.5)).toBeLessThan(0.01);
    const n = Array.from(gl.randn([20000], { rng: gl.rng(4) }).toTypedArray());
    const mean = n.reduce((s, v) => s + v, 0) / n.length;
    const variance = n.reduce((s, v) => s + (v - mean) ** 2, 0) / n.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
  });
});
