/**
 * The engine's layers, read from its import statements: kernels, shape → tape → tensor → ops → ad →
 * tensor-methods → creation, display, nn, data → index. Arrows only point down, so no module is loaded
 * half-way: no runtime import cycle, a tensor.ts that knows no op and no AD, differentiation code
 * that imports nothing from display/, and every module that calls a Tensor method loads the module
 * that installs them.
 */
import * as path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { importCycles, readImportGraph, tensorMethodNames, type ImportGraph } from './import-graph';

const ROOT = path.resolve(__dirname, '../../engine');
const graph = readImportGraph(ROOT);

/** Files reachable from `file` through its imports (itself included). */
function closure(g: ImportGraph, file: string, runtime: boolean): Set<string> {
  const seen = new Set([file]);
  const queue = [file];
  for (let i = 0; i < queue.length; i++) {
    for (const e of g.get(queue[i]) ?? []) {
      if ((runtime && e.typeOnly) || seen.has(e.to)) continue;
      seen.add(e.to);
      queue.push(e.to);
    }
  }
  return seen;
}

describe('engine imports', () => {
  it('reads the tree (the parser finds the modules and their imports)', () => {
    expect(graph.has('tensor.ts')).toBe(true);
    expect(graph.has('ops/primitive.ts')).toBe(true);
    expect(graph.get('index.ts')!.map((e) => e.to)).toContain('tensor-methods.ts');
    expect(graph.get('ops/primitive.ts')!.map((e) => e.to)).toContain('tensor.ts');
  });

  it('no runtime import cycle in engine/ but the op families whose derivative rules use each other', () => {
    // NOTE: sum's rule broadcasts, broadcastTo's rule sums (sumTo), elementwise rules sum to undo
    // broadcasting and max's rule multiplies by a mask: the rules of these three families call each
    // other, at run time only (nothing of the other modules is used while a module loads).
    expect(importCycles(graph, true).map((c) => c.files)).toEqual([['ops/elementwise.ts', 'ops/reduce.ts', 'ops/shape.ts']]);
  });

  it('no import cycle through tensor.ts, not even of types', () => {
    const through = importCycles(graph, false).filter((c) => c.files.includes('tensor.ts'));
    expect(through.map((c) => c.cycle.join(' → '))).toEqual([]);
  });

  it('tensor.ts is a data handle: it imports kernels, errors, shape and tape only', () => {
    const mods = [...new Set(graph.get('tensor.ts')!.map((e) => e.to))].sort();
    expect(mods).toEqual(['errors.ts', 'kernels.ts', 'shape.ts', 'tape.ts']);
    // and none of them reaches an op or AD
    const below = closure(graph, 'tensor.ts', false);
    expect([...below].filter((f) => f.startsWith('ops/') || f.startsWith('ad/') || f.startsWith('display/'))).toEqual([]);
  });

  it('ops/ and ad/ import nothing from display/, nn/ or tensor-methods.ts (not even types)', () => {
    const bad: string[] = [];
    for (const [file, edges] of graph) {
      if (!file.startsWith('ops/') && !file.startsWith('ad/')) continue;
      for (const e of edges) {
        if (e.to.startsWith('display/') || e.to.startsWith('nn/') || e.to === 'tensor-methods.ts' || e.to === 'index.ts') {
          bad.push(`${file} → ${e.to}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it('every module that calls a Tensor method loads tensor-methods.ts', () => {
    // In the modules whose imports do not reach tensor-methods.ts, no property access on a Tensor
    // may name one of the methods it declares (they would not be installed when it runs alone).
    const roots = [...graph.keys()].filter((f) => !closure(graph, f, true).has('tensor-methods.ts'));
    expect(roots).toContain('ops/primitive.ts');
    expect(roots).not.toContain('nn/module.ts');
    const names = new Set(tensorMethodNames(path.join(ROOT, 'tensor-methods.ts')));
    expect(names.has('add') && names.has('backward') && names.has('T')).toBe(true);
    const config = ts.readConfigFile(path.resolve(ROOT, '../tsconfig.json'), (f) => ts.sys.readFile(f)).config;
    const { options } = ts.parseJsonConfigFileContent(config, ts.sys, path.resolve(ROOT, '..'));
    const program = ts.createProgram(
      roots.map((f) => path.join(ROOT, f)),
      { ...options, noEmit: true },
    );
    const checker = program.getTypeChecker();
    const isTensor = (t: ts.Type): boolean => (t.isUnion() ? t.types.some(isTensor) : t.getSymbol()?.getName() === 'Tensor');
    const calls: string[] = [];
    for (const f of roots) {
      const sf = program.getSourceFile(path.join(ROOT, f))!;
      const visit = (n: ts.Node): void => {
        if (ts.isPropertyAccessExpression(n) && names.has(n.name.text) && isTensor(checker.getTypeAtLocation(n.expression))) {
          calls.push(`${f}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1} .${n.name.text}`);
        }
        ts.forEachChild(n, visit);
      };
      visit(sf);
    }
    expect(calls).toEqual([]);
  });
});
