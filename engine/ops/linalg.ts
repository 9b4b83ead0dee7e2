/** Linear algebra: the matrix product. */
import { fail, fmtShape } from '../errors';
import { alloc, matmul as kMatmul, matmulNT as kMatmulNT, matmulTN as kMatmulTN, matmulTT as kMatmulTT } from '../kernels';
import { allocShape } from '../shape';
import { Tensor, asTensor, fromData } from '../tensor';
import { apply, definePrimitive, isIdentityBatch, resultDtype } from './primitive';
import { add } from './elementwise';
import { reshape, transpose } from './shape';

/**
 * C = op(A)·op(B) for 2-D operands, op(X) = Xᵀ when the attribute ta / tb is set:
 * the rules below multiply by transposes without materialising them (the
 * kernels read the operand with swapped strides, same summation order and bits).
 */
const matmulP = definePrimitive<{ ta?: boolean; tb?: boolean }>({
  name: 'matmul',
  forward([a, b], attrs) {
    const ta = attrs?.ta;
    const tb = attrs?.tb;
    const [m, k] = ta ? [a.shape[1], a.shape[0]] : a.shape;
    const n = tb ? b.shape[0] : b.shape[1];
    const dtype = resultDtype([a, b]);
    const A = a.dtype === dtype ? a._data! : Float64Array.from(a._data!);
    const B = b.dtype === dtype ? b._data! : Float64Array.from(b._data!);
    const kernel = ta ? (tb ? kMatmulTT : kMatmulTN) : tb ? kMatmulNT : kMatmul;
    return { y: fromData([m, n], kernel(A, B, m, k, n, allocShape('matmul', [m, n], dtype))) };
  },
  // d(op(A)·op(B)) = op(dA)·op(B) + op(A)·op(dB)
  jvp: ([da, db], c) => add(mm(da!, c.x[1], c.attrs), mm(c.x[0], db!, c.attrs)),
  // with A' = op(A), B' = op(B): gA' = gy·B'ᵀ, gB' = A'ᵀ·gy, transposed back where op transposed
  vjp: (gy, { x: [a, b], attrs, needs }) => {
    const ta = !!attrs?.ta;
    const tb = !!attrs?.tb;
    return [
      !needs[0] ? null : ta ? mm(b, gy, { ta: tb, tb: true }) : mm(gy, b, { tb: !tb }),
      !needs[1] ? null : tb ? mm(gy, a, { ta: true, tb: ta }) : mm(a, gy, { ta: !ta }),
    ];
  },
  // batched: one product for the whole batch (see leftBatch, rightBatch)
  jvpBatched: ([da, db], c, B) => {
    const {
      x: [a, b],
      attrs,
    } = c;
    const ta = !!attrs?.ta;
    const tb = !!attrs?.tb;
    // The seed of jacfwd reaching a matrix·vector product directly: A'·e_β is column β of A'
    // (and e_βᵀ·B' row β of B'), read off instead of multiplied by the identity.
    if (da === null && db !== null && c.y.shape[1] === 1 && b.size === B && isIdentityBatch(db, B) && a.dtype === c.y.dtype) {
      const At = ta ? a : transpose(a); // op(a)ᵀ: row β is column β of op(a)
      return reshape(At, [B, c.y.shape[0], 1]);
    }
    if (db === null && da !== null && c.y.shape[0] === 1 && a.size === B && isIdentityBatch(da, B) && b.dtype === c.y.dtype) {
      const Bp = tb ? transpose(b) : b; // op(b): row β
      return reshape(Bp, [B, 1, c.y.shape[1]]);
    }
    let ty: Tensor | null = null;
    if (da) ty = leftBatch(ta ? transpose(da, [0, 2, 1]) : da, b, tb, B);
    if (db) {
      const t = rightBatch(a, ta, tb ? transpose(db, [0, 2, 1]) : db, B);
      ty = ty ? add(ty, t) : t;
    }
    if (!ty) return fromData([B, ...c.y.shape], alloc(c.y.dtype, B * c.y.size));
    return ty;
  },
  // per entry gA' = gy·B'ᵀ and gB' = A'ᵀ·gy, transposed back where op transposed
  vjpBatched: (gy, { x: [a, b], attrs, needs }, B) => {
    const ta = !!attrs?.ta;
    const tb = !!attrs?.tb;
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (needs[0]) {
      ga = leftBatch(gy, b, !tb, B); // [B, m, k] = gy·B'ᵀ
      if (ta) ga = transpose(ga, [0, 2, 1]);
    }
    if (needs[1]) {
      gb = rightBatch(a, !ta, gy, B); // [B, k, n] = A'ᵀ·gy
      if (tb) gb = transpose(gb, [0, 2, 1]);
    }
    return [ga, gb];
  },
  describe: (attrs) => ({ ...(attrs?.ta ? { ta: true } : {}), ...(attrs?.tb ? { tb: true } : {}) }),
});

/** X[β]·op(b) for every β of a batch X [B, m, k]: one [B·m, k] product. */
function leftBatch(X: Tensor, b: Tensor, tb: boolean, B: number): Tensor {
  const [, m, k] = X.shape;
  const C = mm(reshape(X, [B * m, k]), b, { tb });
  return reshape(C, [B, m, C.shape[1]]);
}

/**
 * op(a)·X[β] for every β of a batch X [B, k, n]: for n = 1 (matrix times
 * vector) one product Xᵀ·op(a)ᵀ of [B, k] by [k, m]; otherwise X is laid out
 * as [k, B·n] for one product op(a)·X.
 */
function rightBatch(a: Tensor, ta: boolean, X: Tensor, B: number): Tensor {
  const [, k, n] = X.shape;
  if (n === 1) {
    const C = mm(reshape(X, [B, k]), a, { tb: !ta }); // [B, m]
    return reshape(C, [B, C.shape[1], 1]);
  }
  const Xk = reshape(transpose(X, [1, 0, 2]), [k, B * n]);
  const C = mm(a, Xk, { ta }); // [m, B·n]
  return transpose(reshape(C, [C.shape[0], B, n]), [1, 0, 2]);
}

/** op(a)·op(b) on 2-D tensors (shapes already checked by the caller or by construction). */
function mm(a: Tensor, b: Tensor, attrs: { ta?: boolean; tb?: boolean } | undefined): Tensor {
  return apply(matmulP, [a, b], attrs?.ta || attrs?.tb ? { ta: !!attrs.ta, tb: !!attrs.tb } : {});
}

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
  const C = mm(A, B, {});
  if (a.ndim === 2 && b.ndim === 2) return C;
  const shape = [...(a.ndim === 2 ? [a.shape[0]] : []), ...(b.ndim === 2 ? [b.shape[1]] : [])];
  return reshape(C, shape);
}

/** Linear-algebra primitives (tests apply matmul with its transpose attributes directly). */
export const linalgPrimitives = { matmul: matmulP };
