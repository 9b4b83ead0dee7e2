/**
 * Issue #10, defect 6: messages that name the op, the shape and what is wrong — huge and bad
 * shapes at creation and in ops, and the options-object form {axis, keepdims} of every reduction.
 */
import { describe, expect, it } from 'vitest';
import * as gl from '../../engine';

const G = gl as any;

describe('tensors too large to allocate', () => {
  it('gl.zeros([1e6, 1e6]) names the op, the shape and the memory instead of V8\'s "Invalid typed array length"', () => {
    expect(() => gl.zeros([1e6, 1e6])).toThrow(
      new gl.GradlabError(
        'zeros: shape [1000000, 1000000] has 1e12 entries, 8 TB as float64: more than this engine can allocate ' +
          '(at most 2^31 − 1 = 2.15e9 entries in one tensor)',
      ),
    );
    expect(() => gl.ones([1e5, 1e5], { dtype: 'float32' })).toThrow(
      'ones: shape [100000, 100000] has 1e10 entries, 40 GB as float32: more than this engine can allocate',
    );
    expect(() => gl.randn([3e9])).toThrow('randn: shape [3000000000] has 3e9 entries, 24 GB as float64');
    expect(() => gl.eye(1e6)).toThrow('eye: shape [1000000, 1000000] has 1e12 entries');
    expect(() => gl.arange(0, 1e12)).toThrow('arange: shape [1000000000000] has 1e12 entries');
    expect(() => gl.linspace(0, 1, 5e9)).toThrow('linspace: shape [5000000000] has 5e9 entries, 40 GB as float64');
  });

  it('ops whose result would be too large say so under their own name', () => {
    const col = gl.zeros([100000, 1]);
    const row = gl.zeros([100000]);
    expect(() => gl.add(col, row)).toThrow('add: shape [100000, 100000] has 1e10 entries, 80 GB as float64: more than this engine can allocate');
    expect(() => gl.mul(col, row)).toThrow(/^mul: shape \[100000, 100000\]/);
    expect(() => gl.matmul(col, gl.zeros([1, 100000]))).toThrow('matmul: shape [100000, 100000] has 1e10 entries');
    expect(() => gl.broadcastTo(row, [1e5, 1e5])).toThrow('broadcastTo: shape [100000, 100000] has 1e10 entries');
  });

  it('negative, fractional, NaN and non-array shapes name the op the user called', () => {
    expect(() => gl.zeros([-1, 2])).toThrow('zeros: invalid dimension -1 in shape [-1, 2]');
    expect(() => gl.ones([1.5])).toThrow('ones: invalid dimension 1.5 in shape [1.5]');
    expect(() => gl.zeros([NaN])).toThrow('zeros: invalid dimension NaN in shape [NaN]');
    expect(() => G.zeros('abc')).toThrow('zeros: a shape must be an array of integers like [2, 3], got a string ("abc")');
    expect(() => G.randn(3)).toThrow('randn: a shape must be an array of integers like [2, 3], got the number 3');
    expect(() => G.rand({})).toThrow('rand: a shape must be an array of integers like [2, 3], got an object');
    expect(() => G.full([2], 'a')).toThrow('full: the fill value must be a number, got a string ("a")');
    expect(() => gl.arange(NaN)).toThrow('arange: stop must be a finite number, got the number NaN');
    expect(() => gl.tensor([1, 2, 3], { shape: [2, 2] })).toThrow('tensor: 3 values do not fill shape [2, 2]');
    expect(() => G.zerosLike([1, 2])).toThrow('zerosLike: expected a Tensor, got an array of length 2');
  });

  it('bad operands and arguments of ops', () => {
    const x = gl.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(() => G.add(x, 'a')).toThrow('add: expected a Tensor or a number, got a string ("a")');
    expect(() => G.exp(undefined)).toThrow('exp: expected a Tensor or a number, got undefined');
    expect(() => G.take(x, 'a')).toThrow('take: indices must be an array of integers or a Tensor, got a string ("a")');
    expect(() => G.pick(x, undefined)).toThrow('pick: labels must be an array of integers or a Tensor, got undefined');
    expect(() => G.slice(x, 'a')).toThrow('slice: start must be an integer, got a string ("a")');
    expect(() => gl.slice(x, 0, 1.5)).toThrow('slice: end must be an integer, got the number 1.5');
  });
});

describe('reductions take {axis, keepdims} as well as (axis, keepdims)', () => {
  const x = gl.tensor([
    [1, 5, 3],
    [4, 2, 6],
  ]);

  it('gl.sum(t, {axis: 1}) (was "list is not iterable") and t.sum({axis}) equal the positional form', () => {
    expect(gl.sum(x, { axis: 1 }).toArray()).toEqual([9, 12]);
    expect(x.sum({ axis: 1 }).toArray()).toEqual([9, 12]);
    expect(x.sum({ axis: 0, keepdims: true }).toArray()).toEqual([[5, 7, 9]]);
    expect(gl.sum(x, { axis: [0, 1] }).item()).toBe(21);
    expect(gl.sum(x, {}).item()).toBe(21);
    expect(x.sum({ keepdims: true }).toArray()).toEqual([[21]]);
  });

  it('for every reduction: sum, mean, max, min, logsumexp, and the axis of softmax and logSoftmax', () => {
    const same = (a: gl.Tensor, b: gl.Tensor) => {
      expect(a.shape).toEqual(b.shape);
      expect(a.toArray()).toEqual(b.toArray());
    };
    for (const op of ['sum', 'mean', 'max', 'min', 'logsumexp'] as const) {
      same(gl[op](x, { axis: -1, keepdims: true }), gl[op](x, -1, true));
      same(x[op]({ axis: 0 }), x[op](0));
      same(gl[op](x, { axis: null }), gl[op](x));
    }
    same(gl.softmax(x, { axis: 0 }), gl.softmax(x, 0));
    same(x.logSoftmax({ axis: 0 }), gl.logSoftmax(x, 0));
    same(x.softmax({}), x.softmax());
  });

  it('the options form differentiates like the positional one', () => {
    const w = gl.tensor(
      [
        [1, 5, 3],
        [4, 2, 6],
      ],
      { requiresGrad: true },
    );
    gl.max(w, { axis: 1 }).sum().backward();
    expect(w.grad!.toArray()).toEqual([
      [0, 1, 0],
      [0, 0, 1],
    ]);
  });

  it('unknown keys, keepdims twice or not a boolean, and bad axes are errors naming the op', () => {
    expect(() => G.sum(x, { axes: 1 })).toThrow("sum: unknown option 'axes' (the options are 'axis', 'keepdims')");
    expect(() => G.mean(x, { axis: 1, keepDims: true })).toThrow("mean: unknown option 'keepDims' (the options are 'axis', 'keepdims')");
    expect(() => G.max(x, { axis: 1 }, true)).toThrow('max: keepdims was given twice (in the options object and after it); use {axis, keepdims}');
    expect(() => G.min(x, 1, 'yes')).toThrow('min: keepdims must be true or false, got a string ("yes")');
    expect(() => G.logsumexp(x, 'a')).toThrow('logsumexp: axis must be an integer or an array of integers, got a string ("a")');
    expect(() => G.sum(x, [0.5])).toThrow('sum: an axis must be an integer, got the number 0.5');
    expect(() => G.softmax(x, { axis: 0, keepdims: true })).toThrow("softmax: unknown option 'keepdims' (the options are 'axis')");
    expect(() => G.logSoftmax(x, [0, 1])).toThrow('logSoftmax: axis must be an integer, got an array of length 2 (logSoftmax takes one axis)');
    expect(() => x.sum({ axis: 2 })).toThrow('sum: axis 2 is out of range for a tensor with 2 dimensions');
  });
});

describe('bad functions and arguments of the differentiation API, layers, losses and optimisers', () => {
  const x = gl.tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);

  it('grad, jacfwd, jacrev, hessian, jacobian, vjp, jvp, gradCheck, numericalGrad refuse a non-function under their own name', () => {
    const like = 'expected a function to differentiate, like (x) => gl.sum(gl.mul(x, x)); got';
    expect(() => G.grad(3)).toThrow(`grad: ${like} the number 3`);
    expect(() => G.valueAndGrad(undefined)).toThrow(`valueAndGrad: ${like} undefined`);
    expect(() => G.jacfwd('f')).toThrow(`jacfwd: ${like} a string ("f")`);
    expect(() => G.jacrev(null)).toThrow(`jacrev: ${like} null`);
    expect(() => G.hessian({})).toThrow(`hessian: ${like} an object`);
    expect(() => G.jacobian(x, x)).toThrow(`jacobian: ${like} a Tensor of shape [2, 3]`);
    expect(() => G.vjp(1, [x], x)).toThrow(`vjp: ${like} the number 1`);
    expect(() => G.jvp(1, [x], [x])).toThrow(`jvp: ${like} the number 1`);
    expect(() => G.gradCheck(3, [x])).toThrow('gradCheck: expected a function to check, like (x) => gl.sum(gl.mul(x, x)); got the number 3');
    expect(() => G.numericalGrad('f', x)).toThrow('numericalGrad: expected a function to check');
  });

  it('hessian of a non-scalar function says hessian (it said grad)', () => {
    expect(() => gl.hessian((t: gl.Tensor) => t.mul(2))(x)).toThrow(
      'hessian: f must return a scalar, but it returned shape [2, 3]; use gl.vjp or gl.jacrev for non-scalar outputs',
    );
    expect(() => gl.grad((_t: gl.Tensor) => 'a' as any)(x)).toThrow('grad: f must return a Tensor or a number, got a string ("a")');
  });

  it('a Jacobian too large to seed names the transformation and the memory', () => {
    expect(() => gl.jacfwd((t: gl.Tensor) => t)(gl.zeros([100000]))).toThrow(
      'jacfwd (the 100000 basis tangents stacked): shape [100000, 100000] has 1e10 entries, 80 GB as float64: more than this engine can allocate',
    );
  });

  it('detach, assign, checkNode, layers, mse and optimiser settings', () => {
    expect(() => G.detach('a')).toThrow('detach: expected a Tensor or a number, got a string ("a")');
    const w = gl.tensor([1, 2], { requiresGrad: true });
    expect(() => w.assign([1, 2, 3])).toThrow('assign: shapes [3] and [2] cannot be broadcast together');
    expect(() => w.assign(gl.zeros([3, 2]))).toThrow('assign: a value of shape [3, 2] does not fit into this tensor of shape [2]');
    expect(() => (w as any).assign('a')).toThrow('assign: expected a Tensor, a number or nested arrays, got a string ("a")');
    expect(w.toArray()).toEqual([1, 2]);
    expect(() => G.checkNode('a')).toThrow('checkNode: the first argument must be a trace (gl.trace(y)), got a string ("a")');
    const tr = gl.trace(gl.sum(gl.mul(w, 2)));
    expect(() => G.checkNode(tr, {})).toThrow('checkNode: the second argument must be a node of the trace (one of tr.nodes), got an object');
    const net = gl.nn.mlp([3, 4, 2], { seed: 0 });
    expect(() => net.forward(gl.zeros([2, 2, 3]))).toThrow("Linear 'fc1' expects a batch [N, 3] or one example [3], got a 3-d tensor of shape [2, 2, 3]");
    expect(() => net.forward(gl.zeros([2, 5]))).toThrow("Linear 'fc1' expects inputs of width 3, got 5 (input shape [2, 5])");
    expect(() => gl.nn.mse(gl.zeros([3, 2]), gl.zeros([4, 2]))).toThrow('mse (pred and target): shapes [3, 2] and [4, 2] cannot be broadcast together');
    expect(() => G.nn.mse(gl.zeros([3, 2]), 'a')).toThrow('mse: target must be a Tensor or a number, got a string ("a")');
    expect(() => new G.optim.Adam(net, { eps: 'a' })).toThrow('Adam: eps must be a positive number, got a');
    expect(() => new G.optim.SGD(net, { lr: 0.1, weightDecay: -1 })).toThrow('SGD: weightDecay must be a non-negative number, got -1');
  });
});

describe('what the kernel fuzz test (test/notebooks/test_api_fuzz.py) found', () => {
  const x = gl.tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);

  it('transpose, squeeze, expandDims check their arguments (TypeErrors or silent results before)', () => {
    expect(() => G.transpose(x, 'a')).toThrow('transpose: axes must be an array of integers (a permutation of 0..1), got a string ("a")');
    expect(() => G.squeeze({})).toThrow('squeeze: expected a Tensor or a number, got an object');
    expect(() => G.expandDims(x, 'a')).toThrow('expandDims: axis must be an integer, got a string ("a")');
    expect(() => G.expandDims(undefined, 0)).toThrow('expandDims: expected a Tensor or a number, got undefined');
  });

  it('square says square (it said mul), mlp checks its sizes (the message named Linear fc1)', () => {
    expect(() => G.square('abc')).toThrow('square: expected a Tensor or a number, got a string ("abc")');
    expect(() => gl.nn.mlp([2, -1])).toThrow('mlp: every size must be a positive integer; sizes[1] is the number -1 (in [2,-1])');
    expect(() => G.nn.mlp('a')).toThrow('mlp: give at least [inputs, outputs], got a string ("a")');
  });

  it("train says train when the optimiser it makes refuses a setting (the message said only 'SGD: ...')", async () => {
    const net = gl.nn.mlp([2, 3, 2], { seed: 0 });
    const data = { X: gl.randn([8, 2], { rng: new gl.Rng(0) }), y: [0, 1, 0, 1, 0, 1, 0, 1] };
    await expect(gl.nn.train(net, data, { lr: -1, batchSize: 4, curve: false })).rejects.toThrow(
      'train: SGD: lr must be a non-negative number or a schedule (step → lr), got -1',
    );
    await expect(gl.nn.train(net, data, { optimizer: 'adam', lr: 'a' as any, batchSize: 4, curve: false })).rejects.toThrow(
      'train: Adam: lr must be a non-negative number or a schedule',
    );
  });
});
