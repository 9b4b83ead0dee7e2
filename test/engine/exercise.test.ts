import { afterEach, describe, expect, it, vi } from 'vitest';
import * as gl from '../../engine';

describe('gl.check and gl.todo', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints ✓ for a right answer and returns nothing (tslab prints only the verdict)', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(gl.check('one plus one', () => 1 + 1 === 2)).toBeUndefined();
    expect(log).toHaveBeenCalledWith('✓ one plus one');
  });

  it('prints "not yet" with the hint on stderr (nbgrader scores the cell 0) for a wrong answer, a stub, or an error — and never throws', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    gl.check('wrong', () => false, 'try again');
    gl.check('stub', () => gl.todo('sigmoid forward'), 'σ(x) = 1/(1+e^−x)');
    gl.check(
      'crash',
      () => {
        throw new RangeError('boom');
      },
      'look at the shapes',
    );
    expect(log).not.toHaveBeenCalled();
    expect(err.mock.calls.map((c) => c[0])).toEqual([
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

  it('gl.todo() without a name names the function that called it (nbgrader puts one stub text in every exercise)', () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    function topoOrder(): string[] {
      return gl.todo();
    }
    class Sigmoid {
      backward(): number {
        return gl.todo();
      }
    }
    const layer = {
      forward(): number {
        return gl.todo();
      },
    };
    expect(() => topoOrder()).toThrow('topoOrder is not implemented yet (replace gl.todo(...) with your code)');
    expect(() => new Sigmoid().backward()).toThrow('Sigmoid.backward is not implemented yet');
    expect(() => layer.forward()).toThrow('forward is not implemented yet');
    expect(() => (() => gl.todo())()).toThrow(/^this exercise is not implemented yet/);
    // tslab calls a cell's functions through its exports, a Proxy: the frame reads "Proxy.topoOrder"
    const exports = new Proxy({ topoOrder }, {});
    expect(() => exports.topoOrder()).toThrow(/^topoOrder is not implemented yet/);
    expect(() => gl.todo('sigmoid forward')).toThrow('sigmoid forward is not implemented yet');
    gl.check('ex', () => topoOrder().length === 3, 'each node after its inputs');
    expect(err).toHaveBeenCalledWith(
      '✗ not yet: ex — topoOrder is not implemented yet (replace gl.todo(...) with your code). Hint: each node after its inputs',
    );
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

describe('gl.todo in a custom op', () => {
  it("names the op and the part: nbgrader's one stub text, in two ops' forward and backward", () => {
    const gate = gl.customOp({
      name: 'mySigmoid',
      forward: (_x: gl.Tensor): gl.Tensor => {
        return gl.todo();
      },
      backward: (_gy: gl.Tensor): gl.Tensor[] => {
        return gl.todo();
      },
    });
    expect(() => gate(gl.tensor([1, 2]))).toThrow('mySigmoid forward is not implemented yet (replace gl.todo(...) with your code)');
    const half = gl.customOp({ name: 'myFC', forward: (x: gl.Tensor) => x.mul(2), backward: (): gl.Tensor[] => gl.todo() });
    const x = gl.tensor([1, 2], { requiresGrad: true });
    expect(() => half(x).sum().backward()).toThrow('myFC backward is not implemented yet');
    const named = gl.customOp({ name: 'op', forward: (): gl.Tensor => gl.todo('the sigmoid'), backward: (g: gl.Tensor) => g });
    expect(() => named(x)).toThrow(/^the sigmoid is not implemented yet/);
  });
});
