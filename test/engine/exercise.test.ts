import { afterEach, describe, expect, it, vi } from 'vitest';
import * as gl from '../../engine';

describe('gl.check and gl.todo', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints ✓ for a right answer and returns nothing (tslab prints only the verdict)', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(gl.check('one plus one', () => 1 + 1 === 2)).toBeUndefined();
    expect(log).toHaveBeenCalledWith('✓ one plus one');
  });

  it('prints "not yet" with the hint for a wrong answer, a stub, or an error — and never throws', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    gl.check('wrong', () => false, 'try again');
    gl.check('stub', () => gl.todo('sigmoid forward'), 'σ(x) = 1/(1+e^−x)');
    gl.check(
      'crash',
      () => {
        throw new RangeError('boom');
      },
      'look at the shapes',
    );
    expect(log.mock.calls.map((c) => c[0])).toEqual([
      '✗ not yet: wrong — try again',
      '✗ not yet: stub — sigmoid forward is not implemented yet (replace gl.todo(...) with your code). Hint: σ(x) = 1/(1+e^−x)',
      '✗ not yet: crash — look at the shapes (RangeError: boom)',
    ]);
    const last = gl.checkResults().slice(-3);
    expect(last.map((r) => [r.label, r.ok])).toEqual([
      ['wrong', false],
      ['stub', false],
      ['crash', false],
    ]);
  });

  it('compares numbers and arrays with allClose', () => {
    expect(gl.allClose([1, 2], [1 + 1e-9, 2])).toBe(true);
    expect(gl.allClose([1, 2], [1.001, 2])).toBe(false);
    expect(gl.allClose([1, 2], [1])).toBe(false);
  });
});

describe('numerical gradients refuse an ambiguous array of numbers', () => {
  it('numericalGrad and gradCheck name the two meanings instead of guessing', () => {
    const f = (x: gl.Tensor) => x.square().sum();
    expect(() => gl.numericalGrad(f, [1, 2, 3] as never)).toThrow(
      /array of 3 numbers for a function of 1 parameter.*gl\.tensor\(\[1, 2, 3\]\).*one per parameter/,
    );
    expect(() => gl.gradCheck(f, [1, 2, 3] as never)).toThrow(/gradCheck: got an array of 3 numbers/);
    expect(gl.numericalGrad(f, gl.tensor([1, 2, 3])).toArray()).toEqual([2, 4, 6].map((v) => expect.closeTo(v, 8)));
  });

  it('reads numbers as one scalar per parameter when f declares that many (f(x, y) at [1, 2])', () => {
    const g = (x: gl.Tensor, y: gl.Tensor) => x.mul(y).add(x.square());
    const [gx, gy] = gl.numericalGrad(g, [1, 2] as never);
    expect([gx.item(), gy.item()]).toEqual([expect.closeTo(4, 8), expect.closeTo(1, 8)]);
    expect(gl.gradCheck(g, [1, 2] as never).ok).toBe(true);
  });
});

describe('loss curve', () => {
  it('names its main series as asked', () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const c = gl.lossCurve({ name: 'error', yLabel: 'error' });
    void c.push(-4, 1e-8); // its data is there at once; the promise is the display update
    expect(c.payload().series.map((s) => s.name)).toEqual(['error']);
    expect(c.data().y).toEqual([1e-8]);
  });
});
