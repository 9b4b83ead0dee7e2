/** W3, the deep chain: y = x, then y = y·1.0001 + 0.0001 N times; dy/dx by backprop. */
import * as gl from '../engine';

export function buildChain(n: number): { x: gl.Tensor; y: gl.Tensor } {
  const x = gl.scalar(1, { requiresGrad: true });
  let y = x;
  for (let i = 0; i < n; i++) y = y.mul(1.0001).add(0.0001);
  return { x, y };
}
