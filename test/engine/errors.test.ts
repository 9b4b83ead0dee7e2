/**
 * Bad input gets a clear error that names what is wrong and points at the
 * caller's code, never a wrong number or a crash deep inside the engine.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as gl from '../../engine';
import type { Tensor } from '../../engine';

/** The error `fn` throws (fails the test if it does not throw). */
function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  expect.fail('expected an error');
}

/** The error is a GradlabError whose message contains every fragment. */
function expectMessage(fn: () => unknown, ...fragments: string[]): Error {
  const e = errorOf(fn);
  expect(e).toBeInstanceOf(gl.GradlabError);
  for (const f of fragments) expect(e.message).toContain(f);
  return e;
}

/** The engine's source folder, as it appears in stack frames. */
const ENGINE_DIR = path.join(__dirname, '..', '..', 'engine') + path.sep;

const x23 = () =>
  gl.tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);

describe('error messages name what is wrong', () => {
  it('shape mismatch: add of [2,3] and [4] names the op and both shapes', () => {
    for (const f of [() => gl.add(x23(), gl.tensor([1, 2, 3, 4])), () => x23().add(gl.tensor([1, 2, 3, 4]))]) {
      expectMessage(f, 'add', '[2, 3]', '[4]', 'broadcast');
    }
    expectMessage(() => gl.mul(gl.ones([3, 2]), gl.ones([2, 3])), 'mul', '[3, 2]', '[2, 3]');
  });

  it('matmul [2,3]·[4,5] names the op, both shapes and the inner dimensions', () => {
    expectMessage(() => gl.matmul(x23(), gl.ones([4, 5])), 'matmul', '[2, 3]', '[4, 5]', '3 ≠ 4');
    expectMessage(() => gl.matmul(gl.ones([2, 2, 2]), gl.ones([2, 2])), 'matmul', '[2, 2, 2]');
  });

  it('backward of a non-scalar without a seed says what to pass', () => {
    const x = gl.tensor([1, 2], { requiresGrad: true });
    expectMessage(() => x.mul(2).backward(), 'backward', '[2]', 'seed', 'sum()');
    expectMessage(() => x.mul(2).backward(gl.tensor([1, 1, 1])), 'seed', '[3]', '[2]');
  });

  it('backward of a tensor that does not require grad says how to make one that does', () => {
    expectMessage(() => gl.tensor([1, 2]).sum().backward(), 'requiresGrad');
  });

  it('pick: a label out of range names the label and its row', () => {
    const s = gl.zeros([3, 4]);
    expectMessage(() => gl.pick(s, [0, 4, 1]), 'pick', 'label 4', 'row 1', '4 classes');
    expectMessage(() => gl.pick(s, [0, 1, -1]), 'label -1', 'row 2');
    expectMessage(() => gl.pick(s, [0, 1.5, 1]), 'label 1.5', 'row 1');
    expectMessage(() => gl.pick(s, [0, 1]), '2 labels', '3 rows');
  });

  it('take: an index out of range names the index and the axis length', () => {
    expectMessage(() => gl.take(x23(), [0, 2]), 'take', 'index 2', 'length 2');
  });

  it('numericalGrad: h = 0, NaN or Infinity is refused with the value', () => {
    const f = (x: Tensor) => x.sum();
    for (const h of [0, NaN, Infinity, -Infinity]) {
      expectMessage(() => gl.numericalGrad(f, gl.tensor([1]), { h }), 'numericalGrad', 'h', String(h));
    }
    expectMessage(() => gl.gradCheck(f, [gl.tensor([1])], { h: 0 }), 'gradCheck', 'h');
  });

  it('a second backward through a freed graph names the op and says how to retain it', () => {
    const x = gl.tensor([1, 2], { requiresGrad: true });
    const L = x.exp().sum();
    L.backward();
    expectMessage(() => L.backward(), 'backward', "'sum'", 'freed', 'retainGraph: true');
  });

  it('a custom op whose backward returns the wrong shape names the op, the input and both shapes', () => {
    const bad = gl.customOp({ name: 'badShape', forward: (x) => x.mul(2), backward: (gy) => gy.sum() });
    const x = gl.tensor([1, 2], { requiresGrad: true });
    expectMessage(() => bad(x).sum().backward(), "customOp 'badShape'", 'input #0', '[]', '[2]');
    // nothing was half-committed
    expect(x.grad).toBeNull();
  });

  it('a custom op whose backward returns the wrong number of gradients names the op and the counts', () => {
    const bad = gl.customOp({ name: 'badCount', forward: (a, b) => a.mul(b), backward: (gy) => [gy] });
    const a = gl.tensor([1, 2], { requiresGrad: true });
    expectMessage(
      () =>
        bad(a, gl.tensor([3, 4]))
          .sum()
          .backward(),
      "customOp 'badCount'",
      '1 gradients',
      '2 inputs',
    );
  });

  it('a custom op used for a second derivative says it is first-order only', () => {
    const op = gl.customOp({ name: 'firstOrder', forward: (x) => x.mul(x), backward: (gy, { inputs: [x] }) => gy.mul(x).mul(2) });
    expectMessage(() => gl.grad(gl.grad((x: Tensor) => op(x)))(gl.scalar(2)), 'firstOrder', 'first-order');
  });

  it('ragged nested arrays are refused with the position', () => {
    expectMessage(() => gl.tensor([[1, 2], [3]]), 'tensor', 'ragged', 'index [1]', 'expected 2', 'got 1');
    expectMessage(() => gl.tensor([[1, 2], 3]), 'tensor', 'index [1]');
    expectMessage(() => gl.tensor([1, [2, 3]]), 'tensor', 'index [1]');
  });

  it('other misuse', () => {
    expectMessage(() => gl.grad((x: Tensor) => x.mul(2))(gl.tensor([1, 2])), 'grad', 'scalar', '[2]');
    expectMessage(() => gl.grad((x: Tensor) => x.sum(), 3)(gl.tensor([1])), 'argnums 3');
    expectMessage(() => gl.jvp((x: Tensor) => x, [gl.tensor([1, 2])], [gl.tensor([1])]), 'jvp', 'tangent #0', '[1]', '[2]');
    expectMessage(() => x23().reshape([4, 2]), 'reshape', '[2, 3]', '[4, 2]');
    expectMessage(() => x23().sum(2), 'sum', 'axis 2');
    expectMessage(() => gl.concat([x23(), gl.ones([3, 3])], 1), 'concat', '[2, 3]', '[3, 3]');
    expectMessage(() => x23().item(), 'item', '[2, 3]');
    expectMessage(() => gl.add(x23(), [1, 2, 3] as unknown as Tensor), 'add', 'gl.tensor');
    const x = gl.tensor([1], { requiresGrad: true });
    expectMessage(
      () => {
        x.mul(2).requiresGrad = false;
      },
      'leaf',
      "'mul'",
    );
    expectMessage(() => gl.transpose(x23(), [0, 0]), 'transpose', 'permutation');
  });
});

describe('detectAnomaly', () => {
  it('names the first op producing NaN, with its input shapes and ranges', () => {
    const x = gl.tensor([-1, 2], { requiresGrad: true, name: 'x' });
    const e = expectMessage(() => gl.detectAnomaly(() => x.log().exp().sum()), "'log'", 'NaN', 'shape [2]', 'range [-1, 2]', "'x'");
    expect(e.message).not.toContain("'exp'");
  });

  it('names the op on the scalar path too, and finds ±Infinity', () => {
    expectMessage(() => gl.detectAnomaly(() => gl.div(gl.scalar(1), gl.scalar(0))), "'div'", 'Infinity', 'range [0, 0]');
    expectMessage(() => gl.detectAnomaly(() => gl.scalar(1000).exp()), "'exp'", 'Infinity', 'range [1000, 1000]');
  });

  it('checks gradients in backward: sqrt at 0 has an infinite derivative', () => {
    const x = gl.tensor([0, 4], { requiresGrad: true });
    const e = expectMessage(() => gl.detectAnomaly(() => x.sqrt().sum().backward()), "backward of 'sqrt'", 'Infinity', 'gradient', 'input #0');
    // not an op inside sqrt's derivative rule (0.5 / √x), which the user never wrote
    expect(e.message).not.toContain("'div'");
    expect(x.grad).toBeNull();
    const s = gl.scalar(0, { requiresGrad: true });
    expectMessage(() => gl.detectAnomaly(() => s.sqrt().backward()), "backward of 'sqrt'", 'Infinity');
  });

  it('is off outside the callback: the same computation gives NaN without an error', () => {
    const x = gl.tensor([-1, 2]);
    expect(() => gl.detectAnomaly(() => x.log())).toThrow();
    const y = x.log();
    expect(Number.isNaN(y.toTypedArray()[0])).toBe(true);
    expect(gl.detectAnomaly(() => gl.tensor([1, 2]).log().sum().item())).toBe(Math.log(2));
  });
});

describe('errors point at the caller, not at engine internals', () => {
  const cases: [string, () => unknown][] = [
    ['add shape mismatch (function)', () => gl.add(x23(), gl.tensor([1, 2, 3, 4]))],
    ['add shape mismatch (method)', () => x23().add(gl.tensor([1, 2, 3, 4]))],
    ['matmul', () => gl.matmul(x23(), gl.ones([4, 5]))],
    ['backward without a seed', () => gl.tensor([1, 2], { requiresGrad: true }).mul(2).backward()],
    ['pick', () => gl.pick(gl.zeros([2, 2]), [0, 5])],
    ['numericalGrad h', () => gl.numericalGrad((x) => x.sum(), gl.tensor([1]), { h: 0 })],
    ['ragged', () => gl.tensor([[1], [2, 3]])],
    ['anomaly', () => gl.detectAnomaly(() => gl.tensor([-1]).log())],
    [
      'freed graph',
      () => {
        const L = gl.tensor([1], { requiresGrad: true }).exp().sum();
        L.backward();
        L.backward();
      },
    ],
  ];
  for (const [what, fn] of cases) {
    it(`${what}: the first stack frame is this test file`, () => {
      const e = errorOf(fn);
      expect(e).toBeInstanceOf(gl.GradlabError);
      const frames = (e.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l));
      expect(frames.length).toBeGreaterThan(0);
      expect(frames[0]).toContain('errors.test.ts');
      expect(
        frames.some((l) => l.includes(ENGINE_DIR)),
        frames.join('\n'),
      ).toBe(false);
    });
  }
});
