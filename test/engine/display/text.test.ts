/**
 * The text form: tslab prints a cell's last value with console.log, which
 * goes through util.inspect.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import * as gl from '../../../engine';

describe('util.inspect of a tensor', () => {
  it('a vector reads like tensor([1, 2, 3])', () => {
    expect(inspect(gl.tensor([1, 2, 3]))).toBe('tensor([1, 2, 3])');
  });

  it('a 0-d tensor prints its value', () => {
    expect(inspect(gl.scalar(2.5))).toBe('tensor(2.5)');
    expect(inspect(gl.scalar(-4))).toBe('tensor(-4)');
  });

  it('a matrix prints its rows aligned, with its shape, requiresGrad and name', () => {
    const W = gl.tensor(
      [
        [1, 2],
        [3, 4.5],
      ],
      { requiresGrad: true, name: 'W' },
    );
    expect(inspect(W)).toBe('tensor([[1, 2],\n        [3, 4.5]], shape=[2, 2], requiresGrad, name="W")');
  });

  it('non-integers are shown with 6 significant digits', () => {
    expect(inspect(gl.tensor([1 / 3, -2 / 3, 1e-9]))).toBe('tensor([0.333333, -0.666667, 1.00000e-9])');
  });

  it('long vectors are elided in the middle and show their shape', () => {
    expect(inspect(gl.arange(20))).toBe('tensor([0, 1, 2, ..., 17, 18, 19], shape=[20])');
  });

  it('a result names the op that produced it; float32 shows its dtype', () => {
    const x = gl.tensor([1, 2], { requiresGrad: true });
    expect(inspect(x.mul(x))).toBe('tensor([1, 4], op=mul)');
    expect(inspect(gl.tensor([1, 2], { dtype: 'float32' }))).toBe('tensor([1, 2], dtype=float32)');
  });

  it('toString and template strings give the same text', () => {
    const t = gl.tensor([1, 2, 3]);
    expect(String(t)).toBe('tensor([1, 2, 3])');
    // eslint-disable-next-line @typescript-eslint/restrict-template-expressions -- a tensor in a template string is what this test checks
    expect(`${t}`).toBe('tensor([1, 2, 3])');
  });

  it('a tensor inside an object or array is printed in its text form too', () => {
    expect(inspect({ w: gl.tensor([1, 2]) })).toBe('{ w: tensor([1, 2]) }');
  });
});

describe('util.inspect of a gradCheck report', () => {
  it('says passed or FAILED, per input, and lists the worst entries', () => {
    const ok = gl.gradCheck((x) => x.mul(x).sum(), [gl.tensor([1, 2], { name: 'x' })]);
    const text = inspect(ok);
    expect(text.split('\n')[0]).toMatch(/^✓ gradient check passed: max relative error/);
    expect(text).toContain('x [2]: 2 entries');
    expect(text).toContain('forward mode');
    expect(text).toContain('worst entries');

    const wrong = gl.customOp({ name: 'wrong', forward: (x) => x.mul(x), backward: (gy) => gy });
    const bad = inspect(gl.gradCheck(wrong, [gl.tensor([3])]));
    expect(bad.split('\n')[0]).toMatch(/^✗ gradient check FAILED/);
    expect(bad).toMatch(/✗ x0\[0\]: analytic 1\.00000, numerical 6\.00000/);
  });
});
