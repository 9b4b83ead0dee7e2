/** Linear algebra: the matrix product. */
import { fail, fmtShape } from '../errors';
import { alloc, matmul as kMatmul } from '../kernels';
import { Tensor, asTensor, fromData } from '../tensor';
import { apply, definePrimitive, resultDtype } from './primitive';
import { add } from './elementwise';
import { reshape, transpose } from './shape';

/** C = A·B for 2-D operands. */
const matmulP = definePrimitive({
  name: 'matmul',
  forward([a, b]) {
    const [m, k] = a.shape;
    const n = b.shape[1];
    const dtype = resultDtype([a, b]);
    const A = a.dtype === dtype ? a._data! : Float64Array.from(a._data!);
    const B = b.dtype === dtype ? b._data! : Float64Array.from(b._data!);
    return { y: fromData([m, n], kMatmul(A, B, m, k, n, alloc(dtype, m * n))) };
  },
  // d(AB) = dA·B + A·dB
  jvp: ([da, db], c) => add(matmul(da!, c.x[1]), matmul(c.x[0], db!)),
  // gA = gy·Bᵀ, gB = Aᵀ·gy
  vjp: (gy, c) => [
    c.needs[0] ? matmul(gy, transpose(c.x[1])) : null,
    c.needs[1] ? matmul(transpose(c.x[0]), gy) : null,
  ],
});

/**
 * Matrix product. 2-D × 2-D is [m, k]·[k, n] → [m, n]; a 1-D operand is a
 * vector ([k]·[k, n] → [n], [m, k]·[k] → [m], [k]·[k] → a 0-d tensor).
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  a = asTensor(a, 'matmul');
  b = asTensor(b, 'matmul');
  if (a.ndim === 0 || b.ndim === 0 || a.ndim > 2 || b.ndim > 2) {
    fail(`matmul: operands must be 1-D or 2-D (got shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}); use mul for elementwise products`);
  }
  const A = a.ndim === 1 ? reshape(a, [1, a.shape[0]]) : a;
  const B = b.ndim === 1 ? reshape(b, [b.shape[0], 1]) : b;
  if (A.shape[1] !== B.shape[0]) {
    fail(`matmul: inner dimensions differ: ${fmtShape(a.shape)} · ${fmtShape(b.shape)} (${A.shape[1]} ≠ ${B.shape[0]})`);
  }
  const C = apply(matmulP, [A, B]);
  if (a.ndim === 2 && b.ndim === 2) return C;
  const shape = [...(a.ndim === 2 ? [a.shape[0]] : []), ...(b.ndim === 2 ? [b.shape[1]] : [])];
  return reshape(C, shape);
}

/** Linear-algebra primitives (tests iterate over them). */
export const linalgPrimitives = { matmul: matmulP };
