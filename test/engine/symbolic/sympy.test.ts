/**
 * SymPy (pinned in requirements.txt, run from .venv) as the oracle: for the lecture's function,
 * every elementwise op and random expressions, SymPy differentiates gradlab's expression itself and
 * the difference from gradlab's derivative simplifies to 0 or is ≤ 1e-9 (relative) at random points
 * away from kinks (sympy_oracle.py). The lecture's partials away from max simplify exactly.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as gl from '../../../engine';
import { toSympy } from '../../../engine/symbolic';
import { LECTURE_NAMES, LECTURE_POINTS, OP_CASES, lecture, nearKink, randomSpec, specFn, uniformRng, type ScalarFn } from './cases';

const ROOT = path.resolve(__dirname, '../../..');
const PYTHON = path.join(ROOT, '.venv/bin/python');

interface OracleCase {
  label: string;
  names: string[];
  f: string;
  derivs: Record<string, string>;
  points: number[][];
}
interface OracleResult {
  case: number;
  name: string;
  how: 'simplify' | 'points';
  ok: boolean;
  worst: number;
  sympy: string;
}

function oracleCase(label: string, f: ScalarFn, names: string[], draw: () => number[]): OracleCase {
  const e = gl.symbolic(f, names);
  const points: number[][] = [];
  for (let k = 0; points.length < 5 && k < 100; k++) {
    const p = draw();
    if (!nearKink(e, Object.fromEntries(names.map((n, i) => [n, p[i]])), 1e-2)) points.push(p);
  }
  return { label, names, f: toSympy(e), derivs: Object.fromEntries(names.map((n) => [n, toSympy(e.diff(n))])), points };
}

function runOracle(cases: OracleCase[]): OracleResult[] {
  expect(fs.existsSync(PYTHON), `${PYTHON} is missing: run bash scripts/setup.sh`).toBe(true);
  const r = spawnSync(PYTHON, [path.join(__dirname, 'sympy_oracle.py')], {
    input: JSON.stringify(cases),
    encoding: 'utf8',
    timeout: 240_000,
    maxBuffer: 64 << 20,
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as OracleResult[];
}

describe('SymPy agrees with the symbolic derivatives', () => {
  it('the lecture, every elementwise op and 40 random expressions', { timeout: 300_000 }, () => {
    const u = uniformRng(42);
    const cases: OracleCase[] = [
      oracleCase('lecture', lecture, LECTURE_NAMES, () => (u() < 0.5 ? LECTURE_POINTS[0] : LECTURE_POINTS[1]).map((v) => v + 0.1 * u())),
    ];
    for (const c of OP_CASES) cases.push(oracleCase(c.op, c.f, c.names, () => c.point(u)));
    let random = 0;
    for (let i = 0; i < 40; i++) {
      const names = ['x', 'y', 'z'];
      const c = oracleCase(`random #${i}`, specFn(randomSpec(u, 1 + (i % 4))), names, () => names.map(() => -1.5 + 3 * u()));
      // an expression with a kink nearly everywhere in the box (a tie of two equal sub-expressions) has no points to check
      if (c.points.length < 3) continue;
      cases.push(c);
      random++;
    }
    expect(random).toBeGreaterThanOrEqual(35);
    const results = runOracle(cases);
    expect(results.length).toBe(cases.reduce((t, c) => t + c.names.length, 0));
    const bad = results
      .filter((r) => !r.ok)
      .map((r) => `${cases[r.case].label} ∂/∂${r.name}: worst ${r.worst}; sympy ${r.sympy}; ours ${cases[r.case].derivs[r.name].slice(0, 300)}`);
    expect(bad).toEqual([]);
    // every case was checked at points where simplify did not settle it
    for (const r of results) if (r.how === 'points') expect(cases[r.case].points.length, cases[r.case].label).toBeGreaterThanOrEqual(3);
    // the lecture's partials with respect to x3 … x6 do not touch max: they simplify to exactly 0
    const lectureHow = results.filter((r) => r.case === 0).map((r) => [r.name, r.how]);
    expect(lectureHow.filter(([n]) => ['x3', 'x4', 'x5', 'x6'].includes(n)).map(([, how]) => how)).toEqual(['simplify', 'simplify', 'simplify', 'simplify']);
  });
});
