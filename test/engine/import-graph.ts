/**
 * The import graph of a TypeScript source tree, read with TypeScript's parser: every top-level
 * `import ... from`, `import '...'` and `export ... from` with a relative specifier, resolved to a
 * file of the tree. Type-only imports (`import type`, or every named binding marked `type`) are
 * kept but marked: they are erased when compiled, so they make no runtime cycle.
 *
 * NOTE: an import written without `type` whose bindings are only used as types is erased too
 * (TypeScript and esbuild drop it); it counts as a runtime import here. Mark such imports `type`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

/** One import statement of a file: the file it names (relative to the tree's root) and whether it is type-only. */
interface ImportEdge {
  to: string;
  typeOnly: boolean;
}

/** File (relative to root, with `/`) → its imports of files of the same tree. */
export type ImportGraph = Map<string, ImportEdge[]>;

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The file a relative specifier names (`./x` → x.ts or x/index.ts), or null outside the tree. */
function resolve(root: string, from: string, spec: string): string | null {
  const base = path.resolve(path.dirname(path.join(root, from)), spec);
  for (const cand of [base, base + '.ts', path.join(base, 'index.ts')]) {
    if (cand.endsWith('.ts') && fs.existsSync(cand) && fs.statSync(cand).isFile()) {
      const rel = path.relative(root, cand);
      return rel.startsWith('..') ? null : rel.split(path.sep).join('/');
    }
  }
  return null;
}

/** Whether an import declaration brings in types only. */
function importIsTypeOnly(d: ts.ImportDeclaration): boolean {
  const c = d.importClause;
  if (!c) return false; // `import './x'`: run for its effects
  if (c.isTypeOnly) return true;
  if (c.name) return false;
  const b = c.namedBindings;
  if (!b || !ts.isNamedImports(b)) return false;
  return b.elements.length > 0 && b.elements.every((e) => e.isTypeOnly);
}

function exportIsTypeOnly(d: ts.ExportDeclaration): boolean {
  if (d.isTypeOnly) return true;
  const c = d.exportClause;
  return !!c && ts.isNamedExports(c) && c.elements.length > 0 && c.elements.every((e) => e.isTypeOnly);
}

/** The imports of one file's text. */
function importsOf(text: string, fileName = 'x.ts'): { spec: string; typeOnly: boolean }[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const out: { spec: string; typeOnly: boolean }[] = [];
  for (const s of sf.statements) {
    if (ts.isImportDeclaration(s) && ts.isStringLiteral(s.moduleSpecifier)) {
      out.push({ spec: s.moduleSpecifier.text, typeOnly: importIsTypeOnly(s) });
    } else if (ts.isExportDeclaration(s) && s.moduleSpecifier && ts.isStringLiteral(s.moduleSpecifier)) {
      out.push({ spec: s.moduleSpecifier.text, typeOnly: exportIsTypeOnly(s) });
    } else if (ts.isImportEqualsDeclaration(s) && ts.isExternalModuleReference(s.moduleReference)) {
      const e = s.moduleReference.expression;
      if (ts.isStringLiteral(e)) out.push({ spec: e.text, typeOnly: s.isTypeOnly });
    }
  }
  return out;
}

/** The import graph of every .ts file under `root`. */
export function readImportGraph(root: string): ImportGraph {
  const g: ImportGraph = new Map();
  for (const abs of tsFiles(root).sort()) {
    const file = path.relative(root, abs).split(path.sep).join('/');
    const edges: ImportEdge[] = [];
    for (const { spec, typeOnly } of importsOf(fs.readFileSync(abs, 'utf8'), abs)) {
      if (!spec.startsWith('.')) continue;
      const to = resolve(root, file, spec);
      if (to !== null) edges.push({ to, typeOnly });
    }
    g.set(file, edges);
  }
  return g;
}

/** A strongly connected set of files, and one cycle through them (`a → b → … → a`). */
export interface ImportCycle {
  files: string[];
  cycle: string[];
}

/**
 * The import cycles of a graph: each strongly connected component of more than one file (or a file
 * importing itself), sorted, with one shortest cycle through its first file.
 * `runtime`: follow only imports that are not type-only.
 */
export function importCycles(g: ImportGraph, runtime: boolean): ImportCycle[] {
  const next = (f: string) => (g.get(f) ?? []).filter((e) => !runtime || !e.typeOnly).map((e) => e.to);
  // Tarjan's algorithm, iterative
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const comps: string[][] = [];
  let counter = 0;
  for (const start of g.keys()) {
    if (index.has(start)) continue;
    const work: { v: string; it: number; succ: string[] }[] = [];
    const open = (v: string) => {
      index.set(v, counter);
      low.set(v, counter++);
      stack.push(v);
      onStack.add(v);
      work.push({ v, it: 0, succ: next(v) });
    };
    open(start);
    while (work.length) {
      const top = work[work.length - 1];
      if (top.it < top.succ.length) {
        const w = top.succ[top.it++];
        if (!index.has(w)) open(w);
        else if (onStack.has(w)) low.set(top.v, Math.min(low.get(top.v)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1].v;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.v)!));
      }
      if (low.get(top.v) === index.get(top.v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== top.v);
        if (comp.length > 1 || next(top.v).includes(top.v)) comps.push(comp.sort());
      }
    }
  }
  comps.sort((a, b) => a[0].localeCompare(b[0]));
  return comps.map((files) => ({ files, cycle: cycleThrough(files, next) }));
}

/** A shortest cycle inside a strongly connected component, from its first file back to it (breadth-first). */
function cycleThrough(comp: string[], next: (f: string) => string[]): string[] {
  const inComp = new Set(comp);
  const start = comp[0];
  const prev = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i];
    for (const w of next(v)) {
      if (!inComp.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u: string | undefined = v; u !== undefined && u !== start; u = prev.get(u)) path.splice(1, 0, u);
        return [...path, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return comp;
}

/** The members a module declares on Tensor in its `declare module './tensor'` block (tensor-methods.ts). */
export function tensorMethodNames(file: string): string[] {
  const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const names: string[] = [];
  for (const s of sf.statements) {
    if (!ts.isModuleDeclaration(s) || !s.body || !ts.isModuleBlock(s.body)) continue;
    for (const d of s.body.statements) {
      if (!ts.isInterfaceDeclaration(d) || d.name.text !== 'Tensor') continue;
      for (const m of d.members) if (m.name && ts.isIdentifier(m.name)) names.push(m.name.text);
    }
  }
  return [...new Set(names)];
}
