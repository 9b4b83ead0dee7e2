/**
 * Two commits' benchmarks in one session (issue 11: "the benchmark does not get worse").
 * bench/compare.sh builds each commit in its own worktree and calls this with their folders:
 *
 *   node compare.js --before SHA --before-dir DIR [--before-jupyter DIR] --after SHA --after-dir DIR
 *     [--after-jupyter DIR] [--rounds N] [--w5-rounds N] [--only W1,W5] [--quick]
 *
 * The cases, sizes and figures are the suite's (bench/suite.ts), for gradlab only; each run is
 * the commit's own worker (bench/worker.ts, bench/browser/w5.ts, bench/py/w6.py, compiled or
 * run in its worktree), a fresh process as in the suite. Round r runs before then after, round
 * r + 1 after then before, so drift of the shared machine cancels. Per figure: the median of
 * each side, the median over rounds of after / before in the same round, and a verdict:
 * within ±5%, better, or worse. Every run's own result checks must pass, and both commits must
 * compute the same results (the fingerprints the suite compares across peers).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { CASES, fmtNum, machine, runChild, shortError } from './suite';
import { median, relErr, type Check, type RunResult } from './workloads/common';

type Case = (typeof CASES)[number];
type Metric = Case['metrics'][number];
type Side = 'before' | 'after';

/** A commit ready to run: its worktree and its Jupyter data folder (extension + kernel spec, for W5/W6). */
interface Build {
  commit: string;
  subject: string;
  dir: string;
  jupyter?: string;
}

/** A figure's tolerance: after / before in [0.95, 1.05] (percent figures: ±5 points). */
const TOLERANCE = 0.05;
const POINTS = 5;

/**
 * How a figure is judged. lower/higher: the median paired ratio after / before; points: the
 * median paired difference (a percentage of something else, near 0: a ratio would be noise);
 * same: counts that a behaviour-preserving change keeps equal; info: shown, not judged.
 */
type Kind = 'lower' | 'higher' | 'points' | 'same' | 'info';
const KINDS: Record<string, Kind> = {
  gflops: 'higher',
  curve_fps: 'higher',
  curve_fps_second_half: 'higher',
  idle_fps: 'info', // the idle page's frame rate: the machine's, not gradlab's
  fwd_over_rev: 'info', // a quotient of two figures judged on their own
  nodes: 'same',
  graph_small_nodes: 'same',
  graph_large_nodes: 'same',
  graph_large_drawn: 'same',
  curve_busy_pct: 'points',
  train_slowdown_pct: 'points',
};
const kindOf = (key: string): Kind => KINDS[key] ?? 'lower';

/** Figures W5 reports beside the table's: the two loops behind "slowed by its live curve %". */
const EXTRA: Record<string, Metric[]> = {
  W5: [
    { key: 'train_plain_ms', label: 'training loop without a curve ms', digits: 0 },
    { key: 'train_curve_ms', label: 'training loop with its live curve ms', digits: 0 },
  ],
};
const figuresOf = (c: Case): Metric[] => [...c.metrics, ...(EXTRA[c.id] ?? [])];

/** Fingerprints (losses, dy/dx, Jacobian sums) of the two commits agree to this, relative (W2 is float32). */
const fingerprintTolerance = (c: Case) => (c.workload === 'W2' ? 1e-6 : 1e-9);

// ------------------------------------------------------------------ options

interface Options {
  before: Build;
  after: Build;
  rounds: number;
  w5Rounds: number;
  only: string[];
  quick: boolean;
}

function parseArgs(argv: string[]): Options {
  const v: Record<string, string> = {};
  let quick = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') quick = true;
    else if (argv[i].startsWith('--') && i + 1 < argv.length) v[argv[i].slice(2)] = argv[++i];
    else throw new Error(`compare: unknown argument ${argv[i]}`);
  }
  const build = (side: Side): Build => {
    const dir = v[`${side}-dir`];
    if (!dir || !v[side]) throw new Error(`compare: --${side} and --${side}-dir are required`);
    const jupyter = v[`${side}-jupyter`];
    const subject = spawnSync('git', ['-C', dir, 'log', '-1', '--format=%s'], { encoding: 'utf8' }).stdout.trim();
    return { commit: v[side], subject, dir, jupyter: jupyter && fs.existsSync(jupyter) ? jupyter : undefined };
  };
  const count = (s: string | undefined, dflt: number) => (s === undefined ? dflt : Math.max(1, Number(s) | 0));
  return {
    before: build('before'),
    after: build('after'),
    rounds: count(v.rounds, 5),
    w5Rounds: count(v['w5-rounds'], 3),
    only: (v.only ?? 'W1,W2,W3,W4,W5')
      .split(',')
      .map((s) => s.trim().toUpperCase())
      .filter(Boolean),
    quick,
  };
}

// ------------------------------------------------------------------ one run

function requires(c: Case, b: Build): string | true {
  if (c.script === 'w5' && !fs.existsSync(path.join(b.dir, '.venv', 'bin', 'jupyter'))) return 'not set up (.venv: npm start or npm test sets it up)';
  if (c.script === 'w5' && !fs.existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium')) return 'not set up (Chromium: bash scripts/setup.sh --browser)';
  if (c.script === 'w6' && !fs.existsSync(path.join(b.dir, '.venv', 'bin', 'python'))) return 'not set up (.venv: npm start or npm test sets it up)';
  if (c.script && !b.jupyter) return 'not set up (no extension built for this commit)';
  return true;
}

/** One run of case `c` by commit `b`: that worktree's own worker, in a fresh process (as bench/suite.ts runOne). */
function runOne(c: Case, b: Build, params: unknown): Promise<RunResult> {
  const json = JSON.stringify(params);
  const env = b.jupyter ? { ...process.env, JUPYTER_PATH: b.jupyter } : process.env;
  const opts = { cwd: b.dir, env };
  const timeout = 15 * 60_000;
  if (c.script === 'w5')
    return runChild(path.join(b.dir, 'node_modules', '.bin', 'vite-node'), [path.join(b.dir, 'bench', 'browser', 'w5.ts'), json], timeout, opts);
  if (c.script === 'w6') return runChild(path.join(b.dir, '.venv', 'bin', 'python'), [path.join(b.dir, 'bench', 'py', 'w6.py'), json], timeout, opts);
  return runChild(process.execPath, [path.join(b.dir, 'bench', 'results', 'build', 'bench', 'worker.js'), c.workload, 'gradlab', json], timeout, opts);
}

// ------------------------------------------------------------------ aggregation

/** One round: each side's result, and the seconds both runs took. */
interface Round {
  before: RunResult;
  after: RunResult;
  seconds: number;
}

interface Figure {
  key: string;
  label: string;
  kind: Kind;
  digits?: number;
  before?: number;
  after?: number;
  /** lower/higher: median over rounds of after / before; points: median of after − before. */
  paired?: number;
  n: number;
  verdict: 'within' | 'better' | 'worse' | 'same' | 'differs' | 'info' | 'not measured';
}

interface CaseComparison {
  id: string;
  label: string;
  params: unknown;
  secondsPerRound: number;
  figures: Figure[];
  checks: Check[];
  rounds: Round[];
  skipped?: string;
}

function judge(kind: Kind, paired: number | undefined): Figure['verdict'] {
  if (kind === 'info') return 'info';
  if (paired === undefined || Number.isNaN(paired)) return 'not measured';
  if (kind === 'points') return paired > POINTS ? 'worse' : paired < -POINTS ? 'better' : 'within';
  const up = paired > 1 + TOLERANCE;
  const down = paired < 1 - TOLERANCE;
  if (kind === 'lower') return up ? 'worse' : down ? 'better' : 'within';
  return down ? 'worse' : up ? 'better' : 'within';
}

function figure(m: Metric, rounds: Round[]): Figure {
  const kind = kindOf(m.key);
  const values = (side: Side) =>
    rounds
      .filter((r) => r[side].ok)
      .map((r) => r[side].metrics[m.key])
      .filter((x) => typeof x === 'number');
  const [b, a] = [values('before'), values('after')];
  const base = { key: m.key, label: m.label, kind, digits: m.digits, before: b.length ? median(b) : undefined, after: a.length ? median(a) : undefined };
  if (kind === 'same') {
    const all = [...b, ...a];
    return { ...base, n: all.length, verdict: all.length === 0 ? 'not measured' : new Set(all).size === 1 ? 'same' : 'differs' };
  }
  const pairs: number[] = [];
  for (const r of rounds) {
    const x = r.before.ok ? r.before.metrics[m.key] : undefined;
    const y = r.after.ok ? r.after.metrics[m.key] : undefined;
    if (typeof x !== 'number' || typeof y !== 'number' || !Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (kind === 'points') pairs.push(y - x);
    else if (x > 0 && y > 0) pairs.push(y / x);
  }
  const paired = pairs.length ? median(pairs) : undefined;
  return { ...base, paired, n: pairs.length, verdict: judge(kind, paired) };
}

/** The fingerprints of one round's two runs agree (both commits compute the same results). */
function sameResults(c: Case, r: Round, i: number): Check[] {
  const fb = r.before.fingerprint ?? {};
  const fa = r.after.fingerprint ?? {};
  const keys = Object.keys(fb).filter((k) => fa[k] !== undefined);
  if (!r.before.ok || !r.after.ok || keys.length === 0) return [];
  const tol = fingerprintTolerance(c);
  const worst = Math.max(...keys.map((k) => (fb[k] === fa[k] ? 0 : relErr(fa[k], fb[k]))));
  const bad = keys.filter((k) => !(fb[k] === fa[k] || relErr(fa[k], fb[k]) <= tol));
  const detail =
    worst === 0
      ? `${keys.length} values identical`
      : `largest rel diff ${worst.toExponential(2)}${bad.length ? `: ${bad.map((k) => `${k} ${fb[k]} vs ${fa[k]}`).join('; ')}` : ''}`;
  return [{ name: `round ${i + 1}: after computes what before does (${keys.length} values, rel ${tol})`, ok: bad.length === 0, detail }];
}

function compareCase(c: Case, rounds: Round[], params: unknown): CaseComparison {
  const checks: Check[] = [];
  rounds.forEach((r, i) => {
    for (const side of ['before', 'after'] as const) {
      const res = r[side];
      if (!res.ok) checks.push({ name: `round ${i + 1} ${side}: run finished`, ok: false, detail: res.error ?? 'failed' });
      for (const k of res.checks) checks.push({ ...k, name: `round ${i + 1} ${side}: ${k.name}` });
    }
    checks.push(...sameResults(c, r, i));
  });
  const seconds = rounds.map((r) => r.seconds);
  return {
    id: c.id,
    label: c.label,
    params,
    secondsPerRound: seconds.length ? median(seconds) : 0,
    figures: figuresOf(c).map((m) => figure(m, rounds)),
    checks,
    rounds,
  };
}

// ------------------------------------------------------------------ output

const VERDICT: Record<Figure['verdict'], string> = {
  within: '✓ within ±5%',
  better: '✓ better',
  worse: '✗ worse',
  same: '✓ same',
  differs: '✗ differs',
  info: '(not judged)',
  'not measured': '✗ not measured',
};

function pairedText(f: Figure): string {
  if (f.paired === undefined) return f.kind === 'same' ? '' : '—';
  if (f.kind === 'points') return `${f.paired >= 0 ? '+' : ''}${f.paired.toFixed(1)} points`;
  return `${f.paired.toFixed(3)} (${f.paired >= 1 ? '+' : ''}${((f.paired - 1) * 100).toFixed(1)}%)`;
}

/** True when a figure fails the comparison (a judged figure worse, a count changed, nothing measured). */
const failing = (f: Figure) => f.verdict === 'worse' || f.verdict === 'differs' || f.verdict === 'not measured';

interface Meta {
  date: string;
  quick: boolean;
  rounds: number;
  w5Rounds: number;
  before: Build;
  after: Build;
  machine: ReturnType<typeof machine>;
  loadBefore: string;
  loadAfter: string;
  seconds: number;
}

function table(cases: CaseComparison[], meta: Meta): string {
  const lines: string[] = [];
  const m = meta.machine;
  lines.push(`Machine: ${m.cpu}, ${m.nproc} vCPU${m.flags ? ` (${m.flags})` : ''}, ${m.memGiB} GiB; Node ${m.node}; ${m.chromium || 'no Chromium'}.`);
  const commit = (b: Build) => `${b.commit.slice(0, 7)} (${b.subject.length > 80 ? `${b.subject.slice(0, 80)}…` : b.subject})`;
  lines.push(`Before: ${commit(meta.before)}; after: ${commit(meta.after)}.`);
  lines.push(
    `Run: ${meta.date}, ${meta.quick ? '**--quick (smoke sizes)**' : 'full sizes'}, rounds per case as listed, before and after alternating (odd rounds before first); load average ${meta.loadBefore} before, ${meta.loadAfter} after; ${meta.seconds.toFixed(0)} s.`,
  );
  lines.push('');
  lines.push(
    'Medians over rounds; "after/before" = the median over rounds of after ÷ before in the same round (above 1: after is slower, or larger). Verdict: within ±5%, or better, or worse by more; percent figures by the paired difference (±5 points); counts must be equal.',
  );
  lines.push('');
  lines.push('| case | figure | before | after | after/before | verdict |');
  lines.push('|---|---|---:|---:|---:|---|');
  for (const c of cases) {
    const head = `**${c.id}** (${c.rounds.length} round${c.rounds.length === 1 ? '' : 's'}, ${c.secondsPerRound.toFixed(1)} s each)`;
    if (c.skipped) {
      lines.push(`| ${head} | ${c.skipped} | | | | |`);
      continue;
    }
    c.figures.forEach((f, i) => {
      lines.push(
        `| ${i === 0 ? head : ''} | ${f.label} | ${fmtNum(f.before, f.digits)} | ${fmtNum(f.after, f.digits)} | ${pairedText(f)} | ${VERDICT[f.verdict]} |`,
      );
    });
  }
  lines.push('');
  const failed = cases.flatMap((c) => c.checks.filter((k) => !k.ok).map((k) => `${c.id} ${k.name}: ${k.detail}`));
  const n = cases.reduce((a, c) => a + c.checks.length, 0);
  lines.push(`Result checks: ${n - failed.length} of ${n} passed (every run's own checks, and both commits computing the same results; each is in the JSON).`);
  for (const f of failed) lines.push(`- ✗ ${f.slice(0, 400)}`);
  const bad = cases.flatMap((c) =>
    c.figures.filter(failing).map((f) => `${c.id} ${f.label} (${VERDICT[f.verdict]}${f.paired !== undefined ? `, ${pairedText(f)}` : ''})`),
  );
  const skipped = cases.filter((c) => c.skipped).map((c) => `${c.id}: ${c.skipped}`);
  lines.push('');
  lines.push(
    bad.length === 0 && failed.length === 0 && skipped.length === 0
      ? '**Verdict: every figure within 5% of before (or better), every check passed.**'
      : `**Verdict: not met.** ${[...bad, ...skipped].join('; ') || 'a result check failed'}`,
  );
  return lines.join('\n') + '\n';
}

// ------------------------------------------------------------------ main

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const size = o.quick ? 'quick' : 'full';
  const cases = CASES.filter((c) => o.only.includes(c.workload) || o.only.includes(c.id.toUpperCase()));
  if (cases.length === 0) throw new Error(`compare: --only ${o.only.join(',')} matches no workload (W1–W6)`);
  const load = () =>
    os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' ');
  const meta: Meta = {
    date: new Date().toISOString(),
    quick: o.quick,
    rounds: o.rounds,
    w5Rounds: o.w5Rounds,
    before: o.before,
    after: o.after,
    machine: machine(),
    loadBefore: load(),
    loadAfter: '',
    seconds: 0,
  };
  console.log(`before ${o.before.commit.slice(0, 7)} ${o.before.subject}\nafter  ${o.after.commit.slice(0, 7)} ${o.after.subject}`);
  const t0 = Date.now();
  const out: CaseComparison[] = [];
  for (const c of cases) {
    const params: unknown = c.params[size];
    const rounds = c.script === 'w5' ? o.w5Rounds : o.rounds;
    const needs = [requires(c, o.before), requires(c, o.after)].find((x) => x !== true);
    if (needs) {
      console.log(`\n${c.id}: ${needs}`);
      out.push({ ...compareCase(c, [], params), skipped: String(needs) });
      continue;
    }
    console.log(`\n${c.id}: ${c.label} — ${rounds} round(s), before and after alternating`);
    const all: Round[] = [];
    for (let r = 0; r < rounds; r++) {
      const order: Side[] = r % 2 === 0 ? ['before', 'after'] : ['after', 'before'];
      const got: Partial<Record<Side, RunResult>> = {};
      const r0 = Date.now();
      for (const side of order) {
        const s0 = Date.now();
        const res = await runOne(c, o[side], params);
        got[side] = res;
        const shown = c.metrics
          .filter((m) => res.metrics[m.key] !== undefined)
          .slice(0, 4)
          .map((m) => `${m.label} ${fmtNum(res.metrics[m.key], m.digits)}`);
        const bad = res.checks.filter((k) => !k.ok).map((k) => k.name);
        console.log(
          `  round ${r + 1} ${side.padEnd(6)} ${res.ok ? shown.join(', ') : `FAILED: ${shortError(res.error)}`}${bad.length ? `  CHECK FAILED: ${bad.join('; ')}` : ''}  (${((Date.now() - s0) / 1000).toFixed(1)} s)`,
        );
      }
      all.push({ before: got.before!, after: got.after!, seconds: (Date.now() - r0) / 1000 });
    }
    out.push(compareCase(c, all, params));
  }
  meta.seconds = (Date.now() - t0) / 1000;
  meta.loadAfter = load();
  const md = table(out, meta);
  console.log('\n' + md);
  const results = path.resolve(__dirname, '..'); // this runs from bench/results/compare-build
  fs.mkdirSync(results, { recursive: true });
  const name = `compare-${o.before.commit.slice(0, 7)}-${o.after.commit.slice(0, 7)}${o.quick ? '-quick' : ''}`;
  fs.writeFileSync(path.join(results, `${name}.json`), JSON.stringify({ meta, cases: out }, null, 1));
  fs.writeFileSync(path.join(results, `${name}.md`), `<!-- written by bench/compare.sh (bench/compare.ts); do not edit -->\n${md}`);
  console.log(`wrote bench/results/${name}.json and bench/results/${name}.md`);
  const failedChecks = out.some((c) => c.checks.some((k) => !k.ok));
  const worse = out.some((c) => c.skipped || c.figures.some(failing));
  if (failedChecks || worse) process.exitCode = 1;
}

if (typeof require !== 'undefined' && require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(2);
  });
}
