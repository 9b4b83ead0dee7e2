/**
 * The op methods of Tensor: `a.add(b)`, `x.sum(1)`, `A.T`, `y.backward()`, ...
 *
 * tensor.ts is the data handle and imports no op; this module sits above ops/
 * and ad/, declares the methods on the Tensor type (declaration merging, so
 * they are typed and documented where users see Tensor) and installs them on
 * the class. Each only forwards to the op, so `a.mul(b)` and `gl.mul(a, b)` are
 * the same code. The package entry (index.ts) imports this module, as does any
 * module that calls a method.
 */
import { describeValue, fail, fmtShape } from './errors';
import { broadcastShapes, sameShape } from './shape';
import { Tensor, fromNested, scalarOf, valuesOf, type NestedArray } from './tensor';
// Each op family directly: the ops/ index re-exports through getters (`export *`), a cost on every call.
import * as elementwise from './ops/elementwise';
import * as reduce from './ops/reduce';
import * as shapeOps from './ops/shape';
import * as linalg from './ops/linalg';
import * as indexing from './ops/indexing';
import { backward as runBackward, type BackwardOptions } from './ad/reverse';

declare module './tensor' {
  interface Tensor {
    /**
     * Overwrite the values of a leaf in place (for optimisers): from a tensor or
     * number of the same shape (broadcast), or a nested array.
     */
    assign(value: Tensor | number | NestedArray): this;

    /** A new leaf with the same values that does not require grad and has no history. */
    detach(): Tensor;

    /**
     * Backpropagate from this tensor: accumulate d(this)/dx into `.grad` of every
     * leaf x that requires grad (gradients add at branches).
     * A non-scalar tensor needs a seed gradient of its own shape.
     * Calling backward twice through the same graph is an error unless the first
     * call passed `{retainGraph: true}`.
     */
    backward(seed?: Tensor | number | NestedArray, opts?: BackwardOptions): void;

    // ---- elementwise -----------------------------------------------------
    /** this + b */ add(b: TensorLike): Tensor;
    /** this − b */ sub(b: TensorLike): Tensor;
    /** this · b (elementwise) */ mul(b: TensorLike): Tensor;
    /** this / b */ div(b: TensorLike): Tensor;
    /** this ** b */ pow(b: TensorLike): Tensor;
    /** −this */ neg(): Tensor;
    /** e^this */ exp(): Tensor;
    /** natural log */ log(): Tensor;
    /** √this */ sqrt(): Tensor;
    /** |this| */ abs(): Tensor;
    /** 1/(1+e^−x) */ sigmoid(): Tensor;
    /** tanh */ tanh(): Tensor;
    /** max(0, x) */ relu(): Tensor;
    /** sin */ sin(): Tensor;
    /** cos */ cos(): Tensor;
    /** x² */ square(): Tensor;
    /** elementwise max(this, b) */ maximum(b: TensorLike): Tensor;
    /** elementwise min(this, b) */ minimum(b: TensorLike): Tensor;
    /** mask: 1 where this > b */ gt(b: TensorLike): Tensor;
    /** mask: 1 where this ≥ b */ ge(b: TensorLike): Tensor;
    /** mask: 1 where this < b */ lt(b: TensorLike): Tensor;
    /** mask: 1 where this ≤ b */ le(b: TensorLike): Tensor;
    /** mask: 1 where this = b */ eq(b: TensorLike): Tensor;
    /** mask: 1 where this ≠ b */ ne(b: TensorLike): Tensor;

    // ---- reductions -----------------------------------------------------
    // Each takes (axis, keepdims) or the options object {axis, keepdims}: t.sum(1, true) is t.sum({axis: 1, keepdims: true}).
    /** Sum over all elements, or along `axis` (a number or an array; negative counts from the end); or `{axis, keepdims}`. */
    sum(opts: reduce.ReduceOptions): Tensor;
    sum(axis?: number | readonly number[] | null, keepdims?: boolean): Tensor;
    /** Mean over all elements or along `axis`; or `{axis, keepdims}`. */
    mean(opts: reduce.ReduceOptions): Tensor;
    mean(axis?: number | readonly number[] | null, keepdims?: boolean): Tensor;
    /** Maximum over all elements or along `axis` (or `{axis, keepdims}`); the gradient goes to the first maximal entry. */
    max(opts: reduce.ReduceOptions): Tensor;
    max(axis?: number | readonly number[] | null, keepdims?: boolean): Tensor;
    /** Minimum over all elements or along `axis` (or `{axis, keepdims}`); the gradient goes to the first minimal entry. */
    min(opts: reduce.ReduceOptions): Tensor;
    min(axis?: number | readonly number[] | null, keepdims?: boolean): Tensor;
    /** log Σ exp, shifted by the maximum for stability; `axis`, `keepdims` or `{axis, keepdims}` as sum. */
    logsumexp(opts: reduce.ReduceOptions): Tensor;
    logsumexp(axis?: number | readonly number[] | null, keepdims?: boolean): Tensor;
    /** softmax along `axis` (default: the last), or `{axis}`. */
    softmax(axis?: number | reduce.AxisOption): Tensor;
    /** log softmax along `axis` (default: the last), or `{axis}`. */
    logSoftmax(axis?: number | reduce.AxisOption): Tensor;

    // ---- shapes and linear algebra --------------------------------------
    /** Matrix product (1-D or 2-D operands). */
    matmul(b: Tensor): Tensor;
    /** Permute dimensions; the default reverses them (the matrix transpose for 2-D). */
    transpose(axes?: number[]): Tensor;
    /** Transpose of a 2-D tensor. */
    readonly T: Tensor;
    /** Same values, new shape (one entry may be −1). */
    reshape(shape: number[]): Tensor;
    /** Entries `indices` along `axis` (rows by default). */
    take(indices: number[] | Int32Array | Tensor, axis?: number): Tensor;
  }
}

type Axis = reduce.Axis | reduce.ReduceOptions;

/** The implementations, in the order declared above; `this` is the tensor the method is called on. */
const methods: ThisType<Tensor> & Partial<Tensor> = {
  assign(value: Tensor | number | NestedArray) {
    if (this._result) fail(`assign() changes a leaf in place; this tensor is the result of '${this.opName}'`);
    if (!(value instanceof Tensor) && typeof value !== 'number' && !Array.isArray(value)) {
      fail(`assign: expected a Tensor, a number or nested arrays, got ${describeValue(value)}`);
    }
    const src = value instanceof Tensor ? value : typeof value === 'number' ? scalarOf(value, this.dtype) : fromNested(value, this.dtype);
    if (this._data !== null && !sameShape(broadcastShapes('assign', [src.shape, this.shape]), this.shape)) {
      fail(`assign: a value of shape ${fmtShape(src.shape)} does not fit into this tensor of shape ${fmtShape(this.shape)}`);
    }
    if (this._data === null) {
      if (src.size !== 1) fail(`assign: cannot put a value of shape ${fmtShape(src.shape)} into a 0-d tensor`);
      this._v = this.dtype === 'float32' ? Math.fround(src.item()) : src.item();
    } else {
      const b = shapeOps.broadcastTo(shapeOps.detach(src), this.shape);
      this._data.set(valuesOf(b));
    }
    this._tape = null; // the next graph records the new value
    return this;
  },
  detach() {
    return shapeOps.detach(this);
  },
  backward(seed?: Tensor | number | NestedArray, opts?: BackwardOptions) {
    runBackward(this, seed, opts);
  },

  add(b) {
    return elementwise.add(this, b);
  },
  sub(b) {
    return elementwise.sub(this, b);
  },
  mul(b) {
    return elementwise.mul(this, b);
  },
  div(b) {
    return elementwise.div(this, b);
  },
  pow(b) {
    return elementwise.pow(this, b);
  },
  neg() {
    return elementwise.neg(this);
  },
  exp() {
    return elementwise.exp(this);
  },
  log() {
    return elementwise.log(this);
  },
  sqrt() {
    return elementwise.sqrt(this);
  },
  abs() {
    return elementwise.abs(this);
  },
  sigmoid() {
    return elementwise.sigmoid(this);
  },
  tanh() {
    return elementwise.tanh(this);
  },
  relu() {
    return elementwise.relu(this);
  },
  sin() {
    return elementwise.sin(this);
  },
  cos() {
    return elementwise.cos(this);
  },
  square() {
    return elementwise.square(this);
  },
  maximum(b) {
    return elementwise.maximum(this, b);
  },
  minimum(b) {
    return elementwise.minimum(this, b);
  },
  gt(b) {
    return elementwise.gt(this, b);
  },
  ge(b) {
    return elementwise.ge(this, b);
  },
  lt(b) {
    return elementwise.lt(this, b);
  },
  le(b) {
    return elementwise.le(this, b);
  },
  eq(b) {
    return elementwise.eq(this, b);
  },
  ne(b) {
    return elementwise.ne(this, b);
  },

  sum(axis?: Axis, keepdims?: boolean) {
    return reduce.sum(this, axis as reduce.Axis, keepdims);
  },
  mean(axis?: Axis, keepdims?: boolean) {
    return reduce.mean(this, axis as reduce.Axis, keepdims);
  },
  max(axis?: Axis, keepdims?: boolean) {
    return reduce.max(this, axis as reduce.Axis, keepdims);
  },
  min(axis?: Axis, keepdims?: boolean) {
    return reduce.min(this, axis as reduce.Axis, keepdims);
  },
  logsumexp(axis?: Axis, keepdims?: boolean) {
    return reduce.logsumexp(this, axis as reduce.Axis, keepdims);
  },
  softmax(axis) {
    return reduce.softmax(this, axis);
  },
  logSoftmax(axis) {
    return reduce.logSoftmax(this, axis);
  },

  matmul(b) {
    return linalg.matmul(this, b);
  },
  transpose(axes) {
    return shapeOps.transpose(this, axes);
  },
  get T() {
    return shapeOps.transpose(this);
  },
  reshape(shape) {
    return shapeOps.reshape(this, shape);
  },
  take(indices, axis = 0) {
    return indexing.take(this, indices, axis);
  },
};

// Installed as a class body would define them: non-enumerable, writable, configurable.
for (const [key, d] of Object.entries(Object.getOwnPropertyDescriptors(methods))) {
  Object.defineProperty(Tensor.prototype, key, { ...d, enumerable: false });
}
