import { describe, expect, it } from 'vitest';
import * as gl from '../../engine';

describe('the seed of backward', () => {
  it('defaults to 1 for any one-element output, as PyTorch does', () => {
    const W = gl.tensor([[2, 3]], { requiresGrad: true });
    const x = gl.tensor([[4], [5]]);
    const y = W.matmul(x); // shape [1, 1]
    y.backward();
    expect(W.grad!.toArray()).toEqual([[4, 5]]);
  });
  it('takes a number for a one-element output and scales the gradient', () => {
    const a = gl.tensor([3], { requiresGrad: true });
    a.mul(a).backward(2);
    expect(a.grad!.toArray()).toEqual([12]);
  });
  it('still needs a seed for an output with several elements', () => {
    const a = gl.tensor([1, 2], { requiresGrad: true });
    expect(() => a.mul(2).backward()).toThrow(/shape \[2\], not a scalar; pass a seed gradient/);
    expect(() => a.mul(2).backward(1)).toThrow(/seed gradient has shape \[\] but the output has shape \[2\]/);
  });
});
