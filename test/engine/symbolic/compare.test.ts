/**
 * gl.fourWays: the values each way gives for the lecture's function, their errors against the
 * symbolic value, and the costs counted on the expression graph.
 */
import { describe, expect, it } from 'vitest';
import * as gl from '../../../engine';
import { LECTURE_NAMES, LECTURE_POINTS, lecture } from './cases';

const byId = (fw: gl.FourWays, id: string) => fw.payload.ways.find((w) => w.id === id)!;

describe('gl.fourWays on the lecture function', () => {
  const x0 = LECTURE_POINTS[0];
  const engine = gl
    .grad(
      lecture,
      [0, 1, 2, 3, 4, 5],
    )(...x0)
    .map((t) => t.item());

  it('every way gives the gradient: AD to rounding, numerical to ~1e-8 at h = 1e-4', () => {
    const fw = gl.fourWays(lecture, x0, { names: LECTURE_NAMES });
    expect(fw.payload.ways.map((w) => w.id)).toEqual(['symbolic', 'numerical', 'forward', 'reverse']);
    for (const id of ['symbolic', 'forward', 'reverse']) {
      fw.gradient(id as gl.FourWaysId)!.forEach((v, i) => expect(Math.abs(v - engine[i])).toBeLessThanOrEqual(1e-15));
    }
    const numerical = byId(fw, 'numerical').relErrors as number[];
    expect(Math.max(...numerical)).toBeLessThan(1e-6);
    expect(Math.max(...numerical)).toBeGreaterThan(1e-10);
    expect(byId(fw, 'numerical').detail).toBe('central differences, h = 0.0001');
    expect(fw.payload.value).toBeCloseTo(0.712071287965, 11);
    expect(fw.payload.derivatives[0].text).toContain('[x1 >= x2]');
  });

  it('costs: 2n evaluations of N ops numerically, n forward passes, 1 + 1 in reverse; reverse does the fewest ops', () => {
    const fw = gl.fourWays(lecture, x0, { names: LECTURE_NAMES });
    const N = 9; // max, mul, div, add, sub, mul, log, add, sigmoid
    expect(byId(fw, 'numerical').cost).toMatchObject({ fEvals: 12, ops: 12 * N });
    expect(byId(fw, 'forward').cost.fEvals).toBe(6);
    expect(byId(fw, 'reverse').cost.fEvals).toBe(1);
    const ops = Object.fromEntries(fw.payload.ways.map((w) => [w.id, w.cost.ops ?? NaN]));
    expect(ops.reverse).toBeLessThan(ops.forward);
    expect(ops.forward).toBeLessThan(ops.symbolic);
    expect(ops.reverse).toBeLessThan(3 * N);
  });

  it("a person's own gradient is compared too; one that throws is reported, not fatal", () => {
    const right = gl.fourWays(lecture, x0, { names: LECTURE_NAMES, manual: () => engine });
    for (const r of byId(right, 'manual').relErrors as number[]) expect(r).toBeLessThanOrEqual(1e-15);
    const todo = gl.fourWays(lecture, x0, {
      manual: function lectureGradient() {
        return gl.todo();
      },
    });
    expect(byId(todo, 'manual').values).toBeNull();
    expect(byId(todo, 'manual').error).toBe('lectureGradient is not implemented yet (replace gl.todo(...) with your code)');
    const short = gl.fourWays(lecture, x0, { manual: () => [1, 2] });
    expect(byId(short, 'manual').error).toBe('it returned 2 values; it should return 6 numbers, one per input');
  });

  it('at max’s kink (x1 = x2) a note says where the gradient went; numerical splits it', () => {
    const fw = gl.fourWays(lecture, [1.5, 1.5, 2, 3, 0.4, 0.3]);
    expect(fw.payload.notes).toEqual(['max(x1, x2): its operands are equal here, a kink; the gradient goes to the first operand']);
    const num = fw.gradient('numerical')!;
    const sym = fw.gradient('symbolic')!;
    expect(sym[1]).toBe(0);
    // half the slope each, to O(h): f is not linear across the kink
    expect(num[0]).toBeCloseTo(sym[0] / 2, 4);
    expect(num[1]).toBeCloseTo(sym[0] / 2, 4);
  });

  it('bad input says what is wrong', () => {
    expect(() => gl.fourWays(lecture, [1, 2])).toThrow('gl.symbolic: lecture takes 6 arguments and 2 names were given');
    expect(() => gl.fourWays(lecture, [1, NaN, 2, 3, 4, 5])).toThrow(/the point must be an array of finite numbers/);
    expect(() => gl.fourWays(lecture, x0, { names: ['a'] })).toThrow('fourWays: 1 names for a point of 6 inputs');
  });
});
