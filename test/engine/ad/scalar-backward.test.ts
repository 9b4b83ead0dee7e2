/**
 * The scalar backward of 0-d elementwise rows has two forms in ops/primitive.ts: each op's
 * compiled `back` (one or two inputs, unchecked: the benchmarks' path) and the generic
 * `scalarBackward` (any number of inputs, checked in anomaly mode). They are one step: on the
 * same rows they leave the same gradients, bit for bit, for every elementwise primitive.
 */
import { describe, expect, it } from 'vitest';
import * as gl from '../../../engine';
import { F_REQ } from '../../../engine/tape';
import { PRIMITIVES, scalarBackward, scalarPaths } from '../../../engine/ops/primitive';

const ew = PRIMITIVES.filter((p) => p.elementwise && p.differentiable && !p.custom);
const arity = (name: string, d: number) => (name === 'where' ? 3 : d);

describe('scalar backward: the compiled step and the generic one', () => {
  it('covers every differentiable elementwise primitive', () => {
    expect(ew.map((p) => p.name)).toEqual(expect.arrayContaining(['add', 'mul', 'div', 'pow', 'exp', 'tanh', 'relu', 'where']));
  });

  for (const p of ew) {
    const k = arity(p.name, p.elementwise!.d.length);
    if (k > 2) continue;
    it(`${p.name}: back and scalarBackward leave the same G and reached rows`, () => {
      // rows 0..k−1: inputs (0.7, 1.3; the second not requiring grad in one case); row 3: the output
      for (const reqs of [
        [1, 1],
        [1, 0],
        [0, 1],
      ]) {
        const val = new Float64Array([0.7, 1.3, 0, 0]);
        val[3] = k === 1 ? p.f1(val[0]) : p.f2(val[0], val[1]);
        const flags = new Uint8Array([reqs[0] ? F_REQ : 0, reqs[1] ? F_REQ : 0, 0, 0]);
        const ins = new Int32Array([0, 1]);
        const run = (generic: boolean) => {
          const G = new Float64Array([0.25, -0.5, 0, 1.75]);
          const R = new Uint8Array(4);
          if (generic) scalarBackward(p, G, R, val, flags, ins, 0, k, 3, true);
          else scalarPaths(p).back(G, R, val, flags, 0, k === 2 ? 1 : -1, 3);
          return [...G, ...R];
        };
        expect(run(true), `${p.name} ${reqs.join(',')}`).toEqual(run(false));
      }
    });
  }

  it('a scalar graph gets the same gradients in anomaly mode (generic step) as without (compiled step)', () => {
    const grads = (anomaly: boolean) => {
      const x = gl.scalar(0.7, { requiresGrad: true });
      const w = gl.scalar(-1.3, { requiresGrad: true });
      const f = () => {
        let y = x
          .mul(w)
          .add(x.mul(x))
          .tanh()
          .sub(w.div(x))
          .pow(2)
          .exp()
          .add(gl.where(x.gt(0), w.sin(), x.cos()));
        y = y.maximum(x).minimum(w.abs().add(5)).sigmoid().relu().sqrt().log().neg().square();
        y.backward();
        return [y.item(), x.grad!.item(), w.grad!.item()];
      };
      return anomaly ? gl.detectAnomaly(f) : f();
    };
    expect(grads(true)).toEqual(grads(false));
  });
});
