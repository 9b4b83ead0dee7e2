#!/usr/bin/env node
// `npm run student [-- --out DIR]`: writes the student copy of every notebook in notebooks/ that has
// exercises. Each cell tagged `solution` gets the source stored in its metadata `gradlab.stub`
// (the TODO version), every code cell loses its outputs and execution count, and the `gradlab.stub`
// metadata is dropped. Default output folder: notebooks/student/. No dependencies.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = path.join(root, 'notebooks');

function usage(msg) {
  if (msg) console.error(`student: ${msg}`);
  console.error('usage: node scripts/student.mjs [--out DIR]   (default DIR: notebooks/student)');
  process.exit(2);
}

let outDir = path.join(srcDir, 'student');
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--out') {
    if (!args[i + 1]) usage('--out needs a folder');
    outDir = path.resolve(args[++i]);
  } else if (a.startsWith('--out=')) {
    outDir = path.resolve(a.slice('--out='.length));
  } else if (a === '-h' || a === '--help') {
    usage();
  } else usage(`unknown argument ${a}`);
}

const tagsOf = (cell) => (Array.isArray(cell.metadata?.tags) ? cell.metadata.tags : []);
const text = (src) => (Array.isArray(src) ? src.join('') : String(src ?? ''));
/** Source as nbformat stores it on disk: a list of lines, each but the last ending in "\n". */
const lines = (s) => (s === '' ? [] : s.split(/(?<=\n)/));

/** The student version of one notebook, or null when it has no solution cells. Throws on a bad cell. */
export function studentVersion(nb, file) {
  let solutions = 0;
  const problems = [];
  const cells = nb.cells.map((cell, i) => {
    const c = structuredClone(cell);
    const where = `${file}, cell ${i}${c.id ? ` (id ${c.id})` : ''}`;
    if (tagsOf(c).includes('solution')) {
      solutions++;
      const stub = c.metadata?.gradlab?.stub;
      if (c.cell_type !== 'code') problems.push(`${where} is tagged solution but is a ${c.cell_type} cell`);
      else if (typeof stub !== 'string' && !Array.isArray(stub)) {
        problems.push(`${where} is tagged solution but has no stub: add metadata "gradlab": {"stub": "<the student's version of the cell>"}`);
      } else c.source = lines(text(stub));
    }
    if (c.metadata?.gradlab && 'stub' in c.metadata.gradlab) {
      delete c.metadata.gradlab.stub;
      if (Object.keys(c.metadata.gradlab).length === 0) delete c.metadata.gradlab;
    }
    if (c.cell_type === 'code') {
      c.outputs = [];
      c.execution_count = null;
    }
    return c;
  });
  if (problems.length) throw new Error(problems.join('\n'));
  return solutions ? { ...nb, cells } : null;
}

function main() {
  const files = fs
    .readdirSync(srcDir)
    .filter((f) => f.endsWith('.ipynb'))
    .sort();
  const written = [];
  const errors = [];
  const outputs = [];
  for (const f of files) {
    let nb;
    try {
      nb = JSON.parse(fs.readFileSync(path.join(srcDir, f), 'utf8'));
    } catch (e) {
      errors.push(`${f}: not a readable notebook (${e.message})`);
      continue;
    }
    try {
      const s = studentVersion(nb, f);
      if (s) outputs.push([f, s]);
    } catch (e) {
      errors.push(e.message);
    }
  }
  if (errors.length) {
    console.error(`student: nothing written:\n  ${errors.join('\n  ')}`);
    process.exit(1);
  }
  fs.mkdirSync(outDir, { recursive: true });
  for (const [f, s] of outputs) {
    fs.writeFileSync(path.join(outDir, f), JSON.stringify(s, null, 1) + '\n');
    written.push(f);
  }
  const rel = path.relative(process.cwd(), outDir) || '.';
  console.log(
    written.length
      ? `student: wrote ${written.length} notebook(s) to ${rel}: ${written.join(', ')}`
      : 'student: no notebook has solution cells; nothing written',
  );
}

main();
