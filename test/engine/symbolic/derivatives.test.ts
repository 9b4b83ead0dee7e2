/**
 * Symbolic derivatives against the engine's gradients: for every elementwise primitive, for the
 * lecture's function and for random expressions, ∂f/∂x written out by gl.symbolic (each op's jvp
 * rule on expressions), and the gradient by reverse accumulation on expressions (each op's vjp
 * rule), evaluated at random points away from kinks, equal the engine's reverse-mode gradient and
 * its forward mode (gl.jvp) to 1e-12 relative with a 1e-14 absolute floor.
 */
import { describe, expect, it } from 'vitest';
import * as gl from '../../../engine';
import { PRIMITIVES } from '../../../engine/ops/primitive';
import { LECTURE_NAMES, LECTURE_POINTS, OP_CASES, lecture, nearKink, randomSpec, specFn, uniformRng, type ScalarFn } from './cases';

const REL = 1e-12;
const ABS = 1e-14;

function expectAgree(actual: number, expected: number, what: string): void {
  const ok = Math.abs(actual - expected) <= REL * Math.max(Math.abs(actual), Math.abs(expected)) + ABS;
  expect(ok, `${what}: symbolic ${actual} vs engine ${expected}`).toBe(true);
}

/** Checks f's symbolic derivatives at `point` against gl.grad and gl.jvp; returns the values. */
function checkAt(f: ScalarFn, names: string[], point: number[], what: string): number[] {
  const e = gl.symbolic(f, names);
  const at = Object.fromEntries(names.map((k, i) => [k, point[i]]));
  const engine = gl
    .grad(
      f,
      names.map((_, i) => i),
    )(...point)
    .map((t) => t.item());
  const reverse = e.gradient();
  expectAgree(e.evaluate(at), f(...point.map((v) => gl.scalar(v))).item(), `${what}: f`);
  return names.map((k, i) => {
    const d = e.diff(k).evaluate(at);
    expectAgree(d, engine[i], `${what}: ∂/∂${k} at [${point.join(', ')}]`);
    expectAgree(reverse[k].evaluate(at), engine[i], `${what}: gradient()[${k}]`);
    const tangent = point.map((_, j) => (i === j ? 1 : 0));
    expectAgree(d, gl.jvp(f, point, tangent).tangent.item(), `${what}: jvp along ${k}`);
    return d;
  });
}

describe('symbolic derivatives of every elementwise op', () => {
  it('has a case for every elementwise primitive', () => {
    const ops = PRIMITIVES.filter((p) => p.elementwise && !p.custom).map((p) => p.name);
    expect(ops.length).toBeGreaterThan(20);
    expect(ops.filter((op) => !OP_CASES.some((c) => c.op === op))).toEqual([]);
  });

  for (const c of OP_CASES) {
    it(`${c.op}: diff and gradient equal the engine's gradient at 20 random points`, () => {
      const u = uniformRng(c.op.length * 7919 + c.op.charCodeAt(0));
      const e = gl.symbolic(c.f, c.names);
      // the derivative is written with the op itself where it has a scalar meaning
      expect(e.toString()).toMatch(/\w/);
      for (let k = 0; k < 20; k++) checkAt(c.f, c.names, c.point(u), c.op);
    });
  }
});

describe('the lecture function', () => {
  it('six partials equal backprop at the lecture point and where x2 > x1', () => {
    const [at0, at1] = LECTURE_POINTS.map((p) => checkAt(lecture, LECTURE_NAMES, p, 'lecture'));
    // values students see in notebook 1: max routes the gradient to x1 at x0, to x2 at the second point
    expect(at0[1]).toBe(0);
    expect(at1[0]).toBe(0);
    expect(at0[0]).toBeCloseTo(0.455612819602, 11);
    expect(at0[4]).toBeCloseTo(-0.683419229402, 11);
  });

  it('writes max′ as Iverson brackets: ∂f/∂x1 has [x1 >= x2], ∂f/∂x2 has [x1 < x2]', () => {
    const e = gl.symbolic(lecture, LECTURE_NAMES);
    expect(e.diff('x1').toString()).toContain('[x1 >= x2]');
    expect(e.diff('x2').toString()).toContain('[x1 < x2]');
    expect(e.diff('x1').toLatex()).toContain('\\left[x_{1} \\ge x_{2}\\right]');
  });
});

describe('random expressions', () => {
  it('200 random expressions of depth ≤ 5 over three variables agree with the engine at 5 points each', () => {
    const u = uniformRng(20261203);
    let checked = 0;
    for (let i = 0; i < 200; i++) {
      const f = specFn(randomSpec(u, 1 + (i % 5)));
      const e = gl.symbolic(f, ['x', 'y', 'z']);
      for (let k = 0; k < 5; k++) {
        const point = [0, 1, 2].map(() => -1.5 + 3 * u());
        if (nearKink(e, { x: point[0], y: point[1], z: point[2] })) continue;
        checkAt(f, ['x', 'y', 'z'], point, `expression #${i} ${e.toString(300)}`);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(800);
  });

  it('simplify keeps the value: simplified derivatives equal the raw ones', () => {
    const u = uniformRng(7);
    for (let i = 0; i < 100; i++) {
      const e = gl.symbolic(specFn(randomSpec(u, 4)), ['x', 'y', 'z']);
      const at = { x: -1.5 + 3 * u(), y: -1.5 + 3 * u(), z: -1.5 + 3 * u() };
      if (nearKink(e, at)) continue;
      for (const k of ['x', 'y', 'z']) {
        const d = e.diff(k);
        expectAgree(d.simplify().evaluate(at), d.evaluate(at), `simplify of ∂/∂${k} of ${e.toString(300)}`);
      }
      expectAgree(e.simplify().evaluate(at), e.evaluate(at), `simplify of ${e.toString(300)}`);
    }
  });
});
