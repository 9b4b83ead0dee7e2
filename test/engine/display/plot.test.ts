/**
 * gl.plot: the payload it builds (sampled functions, log spacing, tensors),
 * the bundle gl.show sends, and the messages for bad input.
 */
import { describe, expect, it } from 'vitest';
import * as gl from '../../../engine';
import { MIME, PLOT_MAX_POINTS, PLOT_MAX_SERIES } from '../../../engine/display/contract';
import { bundleOf, payloadOf } from '../../../engine/display/show';

describe('gl.plot', () => {
  it('samples functions on {from, to, n}: evenly, or in log10 on a log x axis', () => {
    const p = gl.plot({ sin: Math.sin, 'sin′': (x) => gl.scalar(x).cos() }, { x: { from: 0, to: Math.PI, n: 5 }, title: 'sin' }).payload;
    expect(p).toMatchObject({ version: 1, kind: 'plot', title: 'sin', xLabel: 'x', yLabel: 'y', logX: false, logY: false });
    expect(p.series.map((s) => s.name)).toEqual(['sin', 'sin′']);
    expect(p.series[0].x).toEqual([0, Math.PI / 4, Math.PI / 2, (3 * Math.PI) / 4, Math.PI]);
    expect(p.series[0].y[2]).toBe(1);
    expect(p.series[1].y[4]).toBeCloseTo(-1, 15);
    const q = gl.plot({ h: (h) => h }, { x: { from: 1e-12, to: 1e-1, n: 12 }, logX: true }).payload;
    expect(q.series[0].x.map((v) => Math.log10(v as number))).toEqual(Array.from({ length: 12 }, (_, k) => expect.closeTo(k - 12, 12)));
    expect(q.series[0].x[11]).toBe(0.1);
    expect(gl.plot({ f: (x) => x }, { x: { from: 1, to: 100, n: 3, log: true } }).payload.series[0].x).toEqual([1, 10, 100]);
  });

  it('samples a derivative computed with AD (gl.grad) inside the plot', () => {
    const dsin = gl.grad((t: gl.Tensor) => t.sin());
    const p = gl.plot({ "sin'": (x) => dsin(gl.scalar(x)) }, { x: [0, 1, 2] }).payload;
    expect(p.series[0].y).toEqual([1, Math.cos(1), Math.cos(2)]);
  });

  it('takes x and y as arrays, typed arrays, 1-d and 0-d tensors; NaN travels as a string; y alone gets x = 0, 1, …', () => {
    const hs = gl.tensor([1e-1, 1e-2, 1e-3]);
    const p = gl.plot(
      { forward: new Float64Array([0.1, 0.01, NaN]), central: [gl.scalar(1e-2), 1e-4, 1e-6] },
      { x: hs, logX: true, logY: true, xLabel: 'h', yLabel: 'error' },
    ).payload;
    expect(p.series[0]).toEqual({ name: 'forward', x: [1e-1, 1e-2, 1e-3], y: [0.1, 0.01, 'NaN'] });
    expect(p.series[1].y).toEqual([1e-2, 1e-4, 1e-6]);
    expect(gl.plot([{ name: 'data', y: gl.tensor([3, 1, 2]), mode: 'markers', dash: true }]).payload.series[0]).toEqual({
      name: 'data',
      x: [0, 1, 2],
      y: [3, 1, 2],
      mode: 'markers',
      dash: true,
    });
    expect(gl.plot({ own: { x: [1, 2], y: [3, 4], dash: true } }, { x: [0, 0, 0] }).payload.series[0]).toEqual({
      name: 'own',
      x: [1, 2],
      y: [3, 4],
      dash: true,
    });
  });

  it('is drawn by gl.show (payload, SVG, text) and prints as text', () => {
    const p = gl.plot({ sq: (x) => x * x }, { x: { from: -1, to: 1, n: 21 }, title: 'a parabola' });
    expect(payloadOf(p)).toBe(p.payload);
    expect(payloadOf(p, { title: 'other' })).toMatchObject({ title: 'other' });
    const b = bundleOf(p.payload).data;
    expect(Object.keys(b)).toEqual([MIME.plot, 'image/svg+xml', 'text/plain']);
    expect(b['text/plain']).toBe(String(p));
    expect(String(p)).toMatch(/^a parabola: y against x\n {2}sq: 21 points, x -1 … 1, y from 0 to 1$/);
  });

  it('names what is wrong with bad input', () => {
    const bad = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(bad(() => gl.plot({ forward: [1, 2, 3] }, { x: [1, 2] }))).toBe(
      "plot: series 'forward' has 2 x values (the plot's x) but 3 y values; they must pair up",
    );
    expect(bad(() => gl.plot({ f: Math.sin }))).toMatch(/^plot: series 'f' is a function: give the x to sample it on/);
    expect(bad(() => gl.plot({ f: () => 'one' as never }, { x: [1] }))).toBe(
      'plot: series \'f\': the function returned the string "one" at x = 1; it must return a number or a one-element Tensor',
    );
    expect(bad(() => gl.plot({ f: () => gl.tensor([1, 2]) }, { x: [1] }))).toMatch(/returned a Tensor of shape \[2\] at x = 1; it must return one number$/);
    expect(bad(() => gl.plot({ m: gl.ones([2, 2]) }))).toBe("plot: series 'm': y must be a 0-d or 1-d Tensor (or an array); got shape [2, 2]");
    expect(bad(() => gl.plot({ v: [1, '2' as never] }))).toBe('plot: series \'v\': y[1] must be a number (or a one-element Tensor), got the string "2"');
    expect(bad(() => gl.plot({}))).toMatch(/^plot: no series to draw/);
    const many = Object.fromEntries(Array.from({ length: PLOT_MAX_SERIES + 1 }, (_, k) => [`s${k}`, [1]]));
    expect(bad(() => gl.plot(many))).toBe(`plot: ${PLOT_MAX_SERIES + 1} series, at most ${PLOT_MAX_SERIES}; draw them in several plots`);
    expect(bad(() => gl.plot({ long: new Float64Array(PLOT_MAX_POINTS + 1) }))).toBe(
      `plot: series 'long' has ${PLOT_MAX_POINTS + 1} points, at most ${PLOT_MAX_POINTS}; sample fewer (n in {from, to, n})`,
    );
    expect(bad(() => gl.plot({ a: Math.sin, b: Math.cos, c: Math.tan, d: Math.exp, e: Math.log, f: Math.sqrt }, { x: { from: 1, to: 2, n: 10000 } }))).toBe(
      "plot: 60000 points in all ('a' 10000, 'b' 10000, 'c' 10000, 'd' 10000, 'e' 10000, 'f' 10000), at most 50000; sample fewer points (n in {from, to, n})",
    );
    expect(bad(() => gl.plot({ f: Math.sin }, { x: { from: 1, to: 0 } }))).toBe(
      'plot: the plot: x = {from: 1, to: 0, n: 200}: from and to must be finite numbers with from < to',
    );
    expect(bad(() => gl.plot({ f: Math.sin }, { x: { from: 0, to: 1 }, logX: true }))).toMatch(/a log-spaced x needs from > 0/);
    expect(bad(() => gl.plot({ f: Math.sin }, { x: { from: 0, to: 1, n: 1.5 } }))).toMatch(/n must be a whole number from 2 to 10000$/);
    expect(bad(() => gl.plot([{ name: 'a' } as never]))).toBe('plot: series 1 must be {name, x?, y}, got Object');
    expect(bad(() => gl.plot({ a: { y: [1], mode: 'dots' as never } }))).toBe(
      "plot: series 'a': mode must be 'lines', 'markers' or 'lines+markers', got the string \"dots\"",
    );
  });
});
