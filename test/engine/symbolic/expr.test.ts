/**
 * gl.symbolic's expressions as a user meets them: what they print as (text and LaTeX), what
 * simplify makes of them, their sizes written out and shared, the messages for what cannot be
 * traced, and how gl.show sends them (text/latex with a text/plain fallback).
 */
import { describe, expect, it } from 'vitest';
import * as gl from '../../../engine';
import { vi } from 'vitest';
import { exprBundle } from '../../../engine/display/show';

const sym = (f: (...xs: gl.Tensor[]) => gl.Tensor, names = ['x', 'y']) => gl.symbolic(f, names.slice(0, f.length || names.length));

describe('writing expressions out', () => {
  it('as text, with the fewest parentheses that keep the meaning', () => {
    expect(sym((x, y) => x.add(y).mul(x.sub(y))).toString()).toBe('(x + y)*(x - y)');
    expect(sym((x, y) => x.sub(y.sub(x))).toString()).toBe('x - (y - x)');
    expect(sym((x, y) => x.div(y.mul(x))).toString()).toBe('x/(y*x)');
    expect(sym((x, y) => gl.pow(gl.pow(x, y), 2)).toString()).toBe('(x^y)^2');
    expect(sym((x, y) => gl.neg(x.add(y)).exp()).toString()).toBe('exp(-(x + y))');
    expect(sym((x, y) => gl.mul(-2, x).add(gl.abs(y))).toString()).toBe('-2*x + |y|');
    expect(sym((x, y) => gl.maximum(x, y).sigmoid().add(gl.relu(y))).toString()).toBe('σ(max(x, y)) + relu(y)');
  });

  it('as LaTeX: fractions, powers, names with indices, cases for where', () => {
    const e = gl.symbolic((x1, alpha) => gl.where(gl.gt(x1, alpha), gl.div(x1, alpha), gl.pow(x1, 2).sqrt()), ['x1', 'alpha']);
    expect(e.toLatex()).toBe('\\begin{cases} \\frac{x_{1}}{\\alpha} & \\text{if } x_{1} > \\alpha \\\\ \\sqrt{{x_{1}}^{2}} & \\text{otherwise} \\end{cases}');
    expect(sym((x) => gl.exp(x).mul(1e-7), ['x']).toLatex()).toBe('\\exp\\left(x\\right) \\cdot 10^{-7}');
  });

  it('kinks as what the rules give: Iverson brackets for max and relu, sign for abs', () => {
    const e = sym((x, y) => gl.maximum(x, y).add(gl.relu(x)).add(gl.abs(y)));
    expect(e.diff('x').toString()).toBe('[x >= y] + [x > 0]');
    expect(e.diff('y').toString()).toBe('[x < y] + sign(y)');
    expect(e.diff('x').evaluate({ x: 2, y: 1 })).toBe(2);
    // at the tie x = y the gradient goes to the first operand, as the engine's rule says
    expect(e.diff('x').evaluate({ x: 1, y: 1 })).toBe(2);
    expect(e.diff('y').evaluate({ x: 1, y: 1 })).toBe(1);
  });

  it('cuts a long expression at a budget and says how long it is', () => {
    const e = sym(
      (x) => {
        let l = x;
        for (let i = 0; i < 20; i++) l = gl.mul(4, l).mul(gl.sub(1, l));
        return l;
      },
      ['x'],
    );
    expect(e.size).toBe(6 * 2 ** 20 - 5); // S(k+1) = 2·S(k) + 5
    const s = e.toString(500);
    expect(s.length).toBeLessThan(600);
    expect(s).toMatch(/… \(cut at 500 characters: written out it has 6\.29e\+6 nodes\)$/);
    expect(e.toLatex(500)).toMatch(/^\\text\{\(written out: 6\.29e\+6 nodes/);
  });
});

describe('simplify', () => {
  const simple = (f: (x: gl.Tensor, y: gl.Tensor) => gl.Tensor) => sym(f).simplify().toString();
  it('collects like terms and powers, folds constants', () => {
    expect(simple((x) => x.add(x))).toBe('2*x');
    expect(simple((x, y) => x.sub(x).add(y))).toBe('y');
    expect(simple((x) => x.mul(x).mul(x))).toBe('x^3');
    expect(simple((x, y) => x.mul(y).div(x))).toBe('y');
    expect(simple((x) => gl.mul(2, gl.mul(3, x)).add(gl.add(1, 2)))).toBe('6*x + 3');
    expect(simple((x) => gl.sub(1, x))).toBe('1 - x');
    expect(simple((x) => gl.log(gl.exp(x)))).toBe('x');
    expect(simple((x, y) => gl.maximum(x.add(y), y.add(x)))).toBe('x + y');
  });

  it('tidies derivatives: sigmoid′ = σ(1 − σ), x²′ = 2x', () => {
    expect(
      sym((x) => x.sigmoid(), ['x'])
        .diff('x')
        .toString(),
    ).toBe('σ(x)*(1 - σ(x))');
    expect(
      sym((x) => x.mul(x), ['x'])
        .diff('x')
        .simplify()
        .toString(),
    ).toBe('2*x');
    expect(
      sym((x) => gl.pow(x, 3), ['x'])
        .diff('x')
        .simplify()
        .toString(),
    ).toBe('3*x^2');
  });
});

describe('sizes', () => {
  it('size counts the tree, sharedSize the distinct nodes', () => {
    const e = sym(
      (x) => {
        const s = x.sin();
        return s.mul(s);
      },
      ['x'],
    );
    expect(e.size).toBe(5); // mul(sin(x), sin(x))
    expect(e.sharedSize).toBe(3); // x, sin, mul
  });

  it('the logistic map swells: its derivative written out doubles with each step, shared it grows linearly', () => {
    const sizes: { tree: number; shared: number }[] = [];
    for (let n = 1; n <= 10; n++) {
      const e = sym(
        (x) => {
          let l = x;
          for (let i = 0; i < n; i++) l = gl.mul(4, l).mul(gl.sub(1, l));
          return l;
        },
        ['x'],
      );
      const d = e.diff('x');
      sizes.push({ tree: d.size, shared: d.sharedSize });
    }
    const ratio = sizes[9].tree / sizes[8].tree;
    expect(ratio).toBeGreaterThan(2);
    expect(ratio).toBeLessThan(2.3);
    const steps = sizes.slice(1).map((s, i) => s.shared - sizes[i].shared);
    expect(new Set(steps.slice(1)).size).toBe(1); // a constant number of new nodes per step
  });
});

describe('what cannot be traced, and bad input', () => {
  it('reading a value names the ops to use instead', () => {
    const hint = /gl\.maximum\(a, b\).*gl\.where\(gl\.gt\(a, b\), ifTrue, ifFalse\)/;
    expect(() => gl.symbolic((x) => (x.item() > 0 ? x : x.neg()), ['x'])).toThrow(hint);
    expect(() => gl.symbolic((x) => ((x as unknown as number) > 0 ? x : x.neg()), ['x'])).toThrow(/comparison \(x > y\).*gl\.maximum/);
    expect(() => gl.symbolic((x) => gl.scalar(Number(x)), ['x'])).toThrow(/Number\(x\)/);
    expect(() => gl.symbolic((x) => gl.add(x, (x as unknown as number) + 1), ['x'])).toThrow(/JavaScript operator/);
  });

  it('non-elementwise ops and tensors say what is wrong', () => {
    expect(() => gl.symbolic((x) => x.sum(), ['x'])).toThrow("gl.symbolic: 'sum' is not defined on a symbolic scalar");
    expect(() => gl.symbolic((x) => gl.matmul(x, x), ['x'])).toThrow(/matmul: got a symbolic scalar/);
    expect(() => gl.symbolic((x) => x.mul(gl.tensor([1, 2, 3])), ['x'])).toThrow("'mul' operand #1 is a tensor of shape [3]; symbolic expressions are scalars");
  });

  it('names and arity are checked', () => {
    expect(() => gl.symbolic((x, y) => x.mul(y), ['x'])).toThrow('takes 2 arguments and 1 name was given');
    expect(() => gl.symbolic((x) => x, ['x y'])).toThrow(/names must be an array of identifiers/);
    expect(() => gl.symbolic((x, y) => x.mul(y), ['x', 'x'])).toThrow("the name 'x' is given twice");
    const e = sym((x, y) => x.mul(y));
    expect(() => e.diff('z')).toThrow("diff: 'z' is not a variable of this expression (it has x, y)");
    expect(() => e.evaluate({ x: 1 })).toThrow("evaluate: no number for the variable 'y' (the values give x)");
  });

  it('an unused input has derivative 0; a constant function is a constant', () => {
    const e = gl.symbolic((x, _y) => x.exp(), ['x', 'y']);
    expect(e.diff('y').toString()).toBe('0');
    expect(gl.symbolic(() => gl.scalar(2), []).toString()).toBe('2');
  });
});

describe('gl.show(expr)', () => {
  it('sends text/latex with the left-hand side and a text/plain fallback', () => {
    const e = gl.symbolic(
      function f(x1, x2) {
        return gl.maximum(x1, x2).exp();
      },
      ['x1', 'x2'],
    );
    const sent = [exprBundle(e, {}), exprBundle(e.diff('x1'), {})];
    expect(sent.map((b) => Object.keys(b.data).sort())).toEqual([
      ['text/latex', 'text/plain'],
      ['text/latex', 'text/plain'],
    ]);
    expect(sent[0].data['text/latex']).toBe('$$f\\left(x_{1}, x_{2}\\right) = \\exp\\left(\\max\\left(x_{1}, x_{2}\\right)\\right)$$');
    expect(sent[1].data['text/plain']).toBe('∂f/∂x1 = [x1 >= x2]*exp(max(x1, x2))');
    expect(sent[1].data['text/latex']).toMatch(/^\$\$\\frac\{\\partial f\}\{\\partial x_\{1\}\} = /);
    // a title is text, its TeX specials taken out
    const titled = exprBundle(e, { title: 'my $f$ \\evil{}' }).data['text/latex'] as string;
    expect(titled.startsWith('$$\\text{my  f   evil  }\\quad f')).toBe(true);
    expect(titled.split('$').length).toBe(5);
  });

  it('outside a kernel, gl.show prints the text form', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      gl.show(gl.symbolic((x) => x.tanh(), ['x']).diff('x'));
      expect(log.mock.calls.map((c) => String(c[0]))).toEqual(['∂f/∂x = 1 - tanh(x)*tanh(x)']);
    } finally {
      log.mockRestore();
    }
  });
});
