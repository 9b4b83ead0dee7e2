/**
 * The op methods of Tensor are installed by engine/tensor-methods.ts (tensor.ts imports no op):
 * every method it declares is there, defined as a class body would define it, and forwards to the
 * op; and with no import cycle through tensor.ts, any module of the lower layers can be loaded
 * first (before, loading ops/primitive.ts first threw "Cannot access 'PRIMITIVES' before
 * initialization").
 */
import * as path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import * as gl from '../../engine';
import { tensorMethodNames } from './import-graph';

const ENGINE = path.resolve(__dirname, '../../engine');
const declared = tensorMethodNames(path.join(ENGINE, 'tensor-methods.ts'));

describe('Tensor methods', () => {
  it('every declared method is installed, non-enumerable, as a class member would be', () => {
    expect(declared.length).toBeGreaterThan(30);
    for (const name of declared) {
      const d = Object.getOwnPropertyDescriptor(gl.Tensor.prototype, name);
      expect(d, name).toBeDefined();
      expect(d!.enumerable, name).toBe(false);
      expect(d!.configurable, name).toBe(true);
      if (name === 'T') expect(typeof d!.get, name).toBe('function');
      else {
        expect(typeof d!.value, name).toBe('function');
        expect(d!.writable, name).toBe(true);
      }
    }
    // and a tensor shows no method among its enumerable keys
    const keys: string[] = [];
    for (const k in gl.scalar(1)) keys.push(k);
    expect(keys.filter((k) => declared.includes(k))).toEqual([]);
  });

  it('each method is the op: a.mul(b) and gl.mul(a, b) give the same values, graph and gradients', () => {
    const mk = () =>
      gl.tensor(
        [
          [1, -2],
          [3, 0.5],
        ],
        { requiresGrad: true },
      );
    const a = mk();
    const b = mk();
    const ya = a
      .mul(a.T)
      .sum(1)
      .logsumexp()
      .add(a.reshape([4]).take([0, 3]).max());
    const yb = gl.add(gl.logsumexp(gl.sum(gl.mul(b, gl.transpose(b)), 1)), gl.max(gl.take(gl.reshape(b, [4]), [0, 3])));
    expect(ya.item()).toBe(yb.item());
    expect(gl.trace(ya).nodes.map((n) => n.op)).toEqual(gl.trace(yb).nodes.map((n) => n.op));
    ya.backward();
    gl.backward(yb);
    expect(a.grad!.toArray()).toEqual(b.grad!.toArray());
  });

  it('any module of tensor, ops/, ad/ or tensor-methods loads first, on its own', async () => {
    const files = ['tensor.ts', 'tape.ts', 'tensor-methods.ts', 'creation.ts', 'trace.ts']
      .concat(['primitive', 'elementwise', 'reduce', 'shape', 'linalg', 'indexing', 'index'].map((f) => `ops/${f}.ts`))
      .concat(['reverse', 'functional', 'numerical', 'gradcheck', 'local-check', 'custom', 'chain'].map((f) => `ad/${f}.ts`));
    for (const f of files) {
      vi.resetModules();
      const m = await import(/* @vite-ignore */ path.join(ENGINE, f));
      if (f !== 'tensor-methods.ts') expect(Object.keys(m).length, f).toBeGreaterThan(0);
    }
    // creation.ts (and data/) alone give tensors with their methods
    vi.resetModules();
    const { tensor } = (await import(/* @vite-ignore */ path.join(ENGINE, 'creation.ts'))) as typeof gl;
    const t = tensor([1, 2]);
    expect(t.mul(t).sum().item()).toBe(5);
    vi.resetModules();
    const data = (await import(/* @vite-ignore */ path.join(ENGINE, 'data/index.ts'))) as typeof gl.data;
    expect(data.xor({ n: 8, seed: 1 }).X.sum().ndim).toBe(0);
  });
});
