/**
 * The benchmark suite (issue 6): npm run bench [-- --quick] [--only W1,W3] [--rounds N]
 *
 * Each workload runs with fixed seeds and sizes; each run is a fresh process
 * (honest memory, no JIT or GC state carried over); peers alternate run by run
 * (round 1: gradlab, tfjs-cpu, tfjs-wasm, torch, micrograd; round 2: the same
 * again; ...) so drift of this shared machine hits all of them alike. Prints
 * medians and paired ratios (per round peer/gradlab, then the median of the
 * ratios: > 1 means gradlab is faster), the targets with ✓/✗, and writes
 * bench/results/latest.json and a Markdown table (bench/results/README-table.md
 * for a full run of every workload; partial or --quick runs write
 * bench/results/partial-table.md instead).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { median, relErr, type Check, type RunResult } from './workloads/common';

/** The project root, found from here upwards (this file runs compiled from bench/results/build/bench, or as source in tests). */
function findRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'bench', 'data', 'w1_moons.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error('bench: project root not found');
  }
}
const ROOT = findRoot();
const BENCH = path.join(ROOT, 'bench');
const RESULTS = path.join(BENCH, 'results');
const BUILD = path.join(RESULTS, 'build', 'bench');
const PY_BENCH = path.join(BENCH, '.venv', 'bin', 'python');
const PY_PROJECT = path.join(ROOT, '.venv', 'bin', 'python');

export type Peer = 'gradlab' | 'tfjs-cpu' | 'tfjs-wasm' | 'torch' | 'micrograd';
const PEERS: Peer[] = ['gradlab', 'tfjs-cpu', 'tfjs-wasm', 'torch', 'micrograd'];

interface Metric {
  key: string;
  label: string;
  /** Paired ratios are computed for timing metrics (peer / gradlab). */
  ratio?: boolean;
  digits?: number;
}

interface Case {
  workload: string;
  id: string;
  label: string;
  peers: Peer[];
  params: { full: any; quick: any };
  /** Per-peer parameter overrides (e.g. fewer micrograd steps: ~1.8 s each). */
  peerParams?: Partial<Record<Peer, { full: any; quick: any }>>;
  /** A peer that runs only in the first round (an expected failure needs no repeats). */
  onceOnly?: Peer[];
  rounds: { full: number; quick: number };
  metrics: Metric[];
  /** Runs the case's own script instead of the worker (W5, W6). */
  script?: 'w5' | 'w6';
  /** What the case needs beyond the peers (true, or why it cannot run). */
  requires?: () => string | true;
  /** Cross-peer comparison of fingerprints; returns failed checks. */
  compare?: (gradlab: RunResult, peer: RunResult, peerName: Peer) => Check[];
}

const lossesAgree =
  (keys: string[], tol: number, relative: boolean) =>
  (g: RunResult, p: RunResult, name: Peer): Check[] => {
    const bad: string[] = [];
    for (const k of keys) {
      const a = g.fingerprint?.[k];
      const b = p.fingerprint?.[k];
      if (a === undefined || b === undefined) continue;
      const e = relative ? relErr(b, a) : Math.abs(b - a);
      if (!(e <= tol)) bad.push(`${k}: gradlab ${a}, ${name} ${b} (${relative ? 'rel' : 'abs'} diff ${e.toExponential(2)})`);
    }
    const n = keys.filter((k) => p.fingerprint?.[k] !== undefined).length;
    return [
      { name: `${name} agrees with gradlab (${n} values, ${relative ? 'rel' : 'abs'} ${tol})`, ok: bad.length === 0 && n > 0, detail: bad.join('; ') || 'ok' },
    ];
  };

const TIME_MS = (key: string, label: string): Metric => ({ key, label, ratio: true, digits: 2 });

export const CASES: Case[] = [
  {
    workload: 'W1',
    id: 'W1',
    label: 'W1 scalar MLP (micrograd demo), ms/step',
    peers: ['gradlab', 'micrograd'],
    params: { full: { steps: 23 }, quick: { steps: 23 } },
    peerParams: { micrograd: { full: { steps: 4 }, quick: { steps: 2 } } },
    rounds: { full: 5, quick: 1 },
    metrics: [TIME_MS('ms_per_step', 'ms/step'), { key: 'nodes', label: 'nodes/step', digits: 0 }],
    compare: lossesAgree(['loss_1', 'loss_2', 'loss_3', 'loss_4'], 1e-9, false),
  },
  {
    workload: 'W2',
    id: 'W2',
    label: 'W2 tensor MLP 784→256→10, batch 256, float32',
    peers: ['gradlab', 'tfjs-cpu', 'tfjs-wasm', 'torch'],
    params: { full: { batch: 256, warmup: 3, steps: 20 }, quick: { batch: 64, warmup: 1, steps: 3 } },
    rounds: { full: 5, quick: 1 },
    metrics: [TIME_MS('ms_per_step', 'ms/step'), { key: 'gflops', label: 'GFLOP/s', digits: 2 }],
    compare: lossesAgree(['loss_1', 'loss_2', 'loss_3', 'loss_4', 'loss_5'], 1e-4, true),
  },
  ...[1e5, 1e6].map((n): Case => ({
    workload: 'W3',
    id: `W3 N=1e${Math.log10(n)}`,
    label: `W3 deep chain, N = 1e${Math.log10(n)} (fresh process per run)`,
    peers: n === 1e5 ? ['gradlab', 'torch', 'micrograd'] : ['gradlab', 'torch'],
    params: { full: { n }, quick: { n: n / 100 } },
    onceOnly: ['micrograd'],
    rounds: { full: n === 1e6 ? 3 : 5, quick: 1 },
    metrics: [TIME_MS('build_ms', 'build ms'), TIME_MS('backward_ms', 'backward ms'), { key: 'peak_rss_mb', label: 'peak RSS MB', ratio: true, digits: 0 }],
    compare: lossesAgree(['dydx'], 1e-9, true),
  })),
  ...(
    [
      [512, 8],
      [8, 512],
    ] as const
  ).map(([n, m]): Case => ({
    workload: 'W4',
    id: `W4 ${n}→${m}`,
    label: `W4 Jacobian, n = ${n} → m = ${m}, hidden 256, float64`,
    peers: ['gradlab', 'torch'],
    params: { full: { n, m, hidden: 256, repeats: 5 }, quick: { n: n / 8, m: m / 8, hidden: 32, repeats: 2 } },
    rounds: { full: 5, quick: 1 },
    metrics: [TIME_MS('jacfwd_ms', 'jacfwd ms'), TIME_MS('jacrev_ms', 'jacrev ms'), { key: 'fwd_over_rev', label: 'jacfwd/jacrev', digits: 2 }],
    compare: lossesAgree(['sum', 'sum_sq'], 1e-9, true),
  })),
  {
    workload: 'W5',
    id: 'W5',
    label: 'W5 drawing in headless Chromium (JupyterLab, gl.show / gl.lossCurve in a tslab notebook)',
    peers: ['gradlab'],
    script: 'w5',
    requires: () =>
      !fs.existsSync(path.join(ROOT, '.venv', 'bin', 'jupyter'))
        ? 'not set up (.venv: npm start or npm test sets it up)'
        : !fs.existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium')
          ? 'not set up (Chromium: bash scripts/setup.sh --browser)'
          : true,
    params: {
      full: { graphNodes: [1000, 10000], curvePoints: 10000, stepMs: 0.4, trainSteps: 3000 },
      quick: { graphNodes: [200, 2000], curvePoints: 1000, stepMs: 3, trainSteps: 1000 },
    },
    rounds: { full: 3, quick: 1 },
    metrics: [
      { key: 'graph_small_ms', label: 'graph A: run → drawn+interactive ms', digits: 0 },
      { key: 'graph_small_view_ms', label: 'graph A: output arrived → interactive ms', digits: 0 },
      { key: 'graph_small_nodes', label: 'graph A: nodes (traced)', digits: 0 },
      { key: 'graph_large_ms', label: 'graph B: run → drawn+interactive ms', digits: 0 },
      { key: 'graph_large_view_ms', label: 'graph B: output arrived → interactive ms', digits: 0 },
      { key: 'graph_large_nodes', label: 'graph B: nodes (traced)', digits: 0 },
      { key: 'graph_large_drawn', label: 'graph B: nodes the view shows', digits: 0 },
      { key: 'zoom_frame_ms', label: 'graph B: wheel zoom → next frame ms', digits: 1 },
      { key: 'idle_fps', label: 'idle page: frames/s (baseline)', digits: 1 },
      { key: 'curve_first_draw_ms', label: 'live curve: cell run → first plot ms (loads plotly.js)', digits: 0 },
      { key: 'curve_fps', label: 'live curve: frames/s while updating', digits: 1 },
      { key: 'curve_fps_second_half', label: 'live curve: frames/s, second half', digits: 1 },
      { key: 'curve_frame_p95_ms', label: 'live curve: p95 frame time ms', digits: 1 },
      { key: 'curve_longest_task_ms', label: 'live curve: longest main-thread task ms', digits: 0 },
      { key: 'curve_busy_pct', label: 'live curve: main thread in long tasks %', digits: 0 },
      { key: 'train_slowdown_pct', label: 'training loop slowed by its live curve %', digits: 1 },
    ],
  },
  {
    workload: 'W6',
    id: 'W6',
    label: 'W6 notebook latency (fresh tslab kernel per run, nbclient)',
    peers: ['gradlab'],
    script: 'w6',
    requires: () => (fs.existsSync(PY_PROJECT) ? true : 'not set up (.venv: npm start or npm test sets it up)'),
    params: { full: {}, quick: {} },
    rounds: { full: 5, quick: 1 },
    metrics: [
      { key: 'kernel_start_ms', label: 'kernel start ms', digits: 0 },
      { key: 'trivial_cell_ms', label: 'first trivial cell ms', digits: 0 },
      { key: 'import_ms', label: 'cell `import * as gl from "gradlab"` ms', digits: 0 },
      { key: 'first_show_ms', label: 'cell: first `gl.show` ms', digits: 0 },
    ],
  },
];

// ------------------------------------------------------------------ options

interface Options {
  quick: boolean;
  only: string[] | null;
  rounds: number | null;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { quick: false, only: null, rounds: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i]);
    if (a === '--quick') o.quick = true;
    else if (a.startsWith('--only'))
      o.only = value()
        .split(',')
        .map((s) => s.trim().toUpperCase())
        .filter(Boolean);
    else if (a.startsWith('--rounds')) o.rounds = Math.max(1, Number(value()) | 0);
    else if (a === '--help' || a === '-h') {
      console.log('npm run bench [-- --quick] [--only W1,W3] [--rounds N]');
      process.exit(0);
    } else throw new Error(`bench: unknown option ${a}`);
  }
  return o;
}

// ------------------------------------------------------------------ peers set up?

function available(): Record<Peer, string | true> {
  const tfjs = fs.existsSync(path.join(BENCH, 'node_modules', '@tensorflow', 'tfjs', 'package.json'));
  const wasm = fs.existsSync(path.join(BENCH, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'package.json'));
  const py = (mod: string) => {
    if (!fs.existsSync(PY_BENCH)) return 'not set up (npm run bench:python)';
    const r = spawnSync(PY_BENCH, ['-c', `import ${mod}`], { encoding: 'utf8', timeout: 120_000 });
    return r.status === 0 ? true : `not set up (import ${mod} failed; npm run bench:python)`;
  };
  return {
    gradlab: true,
    'tfjs-cpu': tfjs || 'not set up (npm run bench:setup)',
    'tfjs-wasm': (tfjs && wasm) || 'not set up (npm run bench:setup)',
    torch: py('torch'),
    micrograd: py('micrograd'),
  };
}

// ------------------------------------------------------------------ one run

/** Runs one child process that prints `@@RESULT <json>`; in the project root unless `opts.cwd` says otherwise (bench/compare.ts runs a worktree's). */
export function runChild(cmd: string, args: string[], timeoutMs: number, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (err += b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, error: `could not start ${cmd}: ${e.message}`, metrics: {}, checks: [] });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('@@RESULT '));
      if (line) {
        try {
          resolve(JSON.parse(line.slice('@@RESULT '.length)));
          return;
        } catch {
          // fall through
        }
      }
      const why = signal ? `killed by ${signal}${signal === 'SIGKILL' ? ` (timeout ${timeoutMs / 1000} s?)` : ''}` : `exit ${code}`;
      resolve({ ok: false, error: `crashed: ${why}; stderr: ${err.trim().split('\n').slice(-6).join(' | ').slice(0, 1500)}`, metrics: {}, checks: [] });
    });
  });
}

function runOne(c: Case, peer: Peer, params: any): Promise<RunResult> {
  const json = JSON.stringify(params);
  const timeout = 15 * 60_000;
  if (c.script === 'w5') return runChild(path.join(ROOT, 'node_modules', '.bin', 'vite-node'), [path.join(BENCH, 'browser', 'w5.ts'), json], timeout);
  if (c.script === 'w6') return runChild(PY_PROJECT, [path.join(BENCH, 'py', 'w6.py'), json], timeout);
  if (peer === 'torch' || peer === 'micrograd') return runChild(PY_BENCH, [path.join(BENCH, 'py', 'worker.py'), c.workload, peer, json], timeout);
  return runChild(process.execPath, [path.join(BUILD, 'worker.js'), c.workload, peer, json], timeout);
}

// ------------------------------------------------------------------ aggregation

interface PeerSummary {
  status: 'ok' | 'failed' | 'not set up' | 'not run';
  note?: string;
  runs: number;
  medians: Record<string, number>;
  errors: string[];
  failedChecks: string[];
  info?: Record<string, unknown>;
}

export interface CaseSummary {
  id: string;
  label: string;
  params: any;
  peers: Partial<Record<Peer, PeerSummary>>;
  /** Median over rounds of peer/gradlab, per ratio metric. */
  ratios: Partial<Record<Peer, Record<string, number>>>;
  checks: Check[];
  rounds: { peer: Peer; result: RunResult }[][];
}

export function summarise(c: Case, rounds: { peer: Peer; result: RunResult }[][], avail: Record<Peer, string | true>, params: any): CaseSummary {
  const peers: Partial<Record<Peer, PeerSummary>> = {};
  const checks: Check[] = [];
  for (const peer of c.peers) {
    if (avail[peer] !== true) {
      peers[peer] = { status: 'not set up', note: String(avail[peer]), runs: 0, medians: {}, errors: [], failedChecks: [] };
      continue;
    }
    const results = rounds.flatMap((r) => r.filter((x) => x.peer === peer).map((x) => x.result));
    const ok = results.filter((r) => r.ok);
    const medians: Record<string, number> = {};
    for (const m of c.metrics) {
      const vals = ok.map((r) => r.metrics[m.key]).filter((v) => typeof v === 'number');
      if (vals.length) medians[m.key] = median(vals);
    }
    const failedChecks = results.flatMap((r) => r.checks.filter((k) => !k.ok).map((k) => `${k.name}: ${k.detail}`));
    const errors = [...new Set(results.filter((r) => !r.ok).map((r) => r.error ?? 'failed'))];
    for (const r of results) for (const k of r.checks) checks.push({ ...k, name: `${peer}: ${k.name}` });
    peers[peer] = {
      status: results.length === 0 ? 'not run' : ok.length === 0 ? 'failed' : 'ok',
      runs: results.length,
      medians,
      errors,
      failedChecks: [...new Set(failedChecks)],
      info: ok[0]?.info,
    };
  }
  const ratios: Partial<Record<Peer, Record<string, number>>> = {};
  for (const peer of c.peers) {
    if (peer === 'gradlab') continue;
    const per: Record<string, number[]> = {};
    for (const r of rounds) {
      const g = r.find((x) => x.peer === 'gradlab')?.result;
      const p = r.find((x) => x.peer === peer)?.result;
      if (!g?.ok || !p?.ok) continue;
      for (const m of c.metrics) {
        if (!m.ratio) continue;
        const a = g.metrics[m.key];
        const b = p.metrics[m.key];
        if (a > 0 && b > 0) (per[m.key] ??= []).push(b / a);
      }
      if (c.compare) checks.push(...c.compare(g, p, peer));
    }
    ratios[peer] = Object.fromEntries(Object.entries(per).map(([k, v]) => [k, median(v)]));
  }
  return { id: c.id, label: c.label, params, peers, ratios, checks, rounds };
}

// ------------------------------------------------------------------ targets

interface Target {
  workload: string;
  text: string;
  measured: string;
  ok: boolean | null; // null: not measured
}

export function targets(s: Record<string, CaseSummary>): Target[] {
  const out: Target[] = [];
  const med = (id: string, peer: Peer, key: string) => {
    const p = s[id]?.peers[peer];
    return p?.status === 'ok' ? p.medians[key] : undefined;
  };
  const rat = (id: string, peer: Peer, key: string) => s[id]?.ratios[peer]?.[key];
  const add = (workload: string, text: string, v: number | undefined, fmt: (v: number) => string, pass: (v: number) => boolean) =>
    out.push({
      workload,
      text,
      measured: v === undefined || Number.isNaN(v) ? 'not measured' : fmt(v),
      ok: v === undefined || Number.isNaN(v) ? null : pass(v),
    });
  const x = (v: number) => `${v >= 10 ? v.toFixed(0) : v.toFixed(2)}×`;
  const ms = (v: number) => `${v.toFixed(v < 10 ? 2 : 0)} ms`;
  if (s.W1) {
    add('W1', '≥ 100× faster than micrograd', rat('W1', 'micrograd', 'ms_per_step'), x, (v) => v >= 100);
    add('W1', '< 10 ms per step', med('W1', 'gradlab', 'ms_per_step'), ms, (v) => v < 10);
  }
  if (s.W2) {
    add('W2', '≥ 3× faster than tfjs-wasm', rat('W2', 'tfjs-wasm', 'ms_per_step'), x, (v) => v >= 3);
    add('W2', '≥ 15× faster than tfjs-cpu', rat('W2', 'tfjs-cpu', 'ms_per_step'), x, (v) => v >= 15);
    const t = rat('W2', 'torch', 'ms_per_step');
    add(
      'W2',
      'within 5× of PyTorch, 1 thread (long-term aim)',
      t === undefined ? undefined : 1 / t,
      (v) => `${v.toFixed(1)}× slower`,
      (v) => v <= 5,
    );
  }
  const big = 'W3 N=1e6';
  if (s[big]) {
    const g = s[big].peers.gradlab;
    out.push({
      workload: 'W3',
      text: 'N = 1e6 completes, dy/dx checked',
      measured: g?.status ?? 'not run',
      ok: g ? g.status === 'ok' && g.failedChecks.length === 0 : null,
    });
    add('W3', 'backward ≥ 50× faster than PyTorch (N = 1e6)', rat(big, 'torch', 'backward_ms'), x, (v) => v >= 50);
    add('W3', 'build ≥ 5× faster than PyTorch (N = 1e6)', rat(big, 'torch', 'build_ms'), x, (v) => v >= 5);
    add(
      'W3',
      '< 300 MB resident (N = 1e6, peak RSS)',
      med(big, 'gradlab', 'peak_rss_mb'),
      (v) => `${v.toFixed(0)} MB`,
      (v) => v < 300,
    );
  }
  for (const [id, fasterMode] of [
    ['W4 512→8', 'jacrev'],
    ['W4 8→512', 'jacfwd'],
  ] as const) {
    if (!s[id]) continue;
    const r = med(id, 'gradlab', 'fwd_over_rev');
    add(
      'W4',
      `${id.slice(3)}: ${fasterMode} wins`,
      r,
      (v) => `jacfwd/jacrev = ${v.toFixed(2)}`,
      (v) => (fasterMode === 'jacrev' ? v > 1 : v < 1),
    );
    for (const mode of ['jacfwd', 'jacrev']) {
      const t = rat(id, 'torch', `${mode}_ms`);
      add(
        'W4',
        `${id.slice(3)}: ${mode} within 5× of PyTorch`,
        t === undefined ? undefined : 1 / t,
        (v) => `${v.toFixed(1)}× PyTorch's time`,
        (v) => v <= 5,
      );
    }
  }
  if (s.W5) {
    const n = (k: string) => med('W5', 'gradlab', k);
    add('W5', `${n('graph_small_nodes') ?? 1000}-node graph drawn and interactive < 1 s`, n('graph_small_ms'), ms, (v) => v < 1000);
    const drawn = n('graph_large_drawn');
    const nodes = n('graph_large_nodes');
    const grouped = drawn !== undefined && nodes !== undefined && drawn >= nodes; // every node shown (or stands in a group)
    add(
      'W5',
      `${nodes ?? 10000}-node graph (grouped) drawn < 3 s`,
      n('graph_large_ms'),
      (v) => `${ms(v)}${grouped ? '' : `, but the view holds only ${drawn} of them (the rest left out)`}`,
      (v) => v < 3000 && grouped,
    );
    add(
      'W5',
      'live loss curve ≥ 10 frames/s',
      n('curve_fps'),
      (v) => `${v.toFixed(1)} fps`,
      (v) => v >= 10,
    );
    add(
      'W5',
      'live curve slows training < 10%',
      n('train_slowdown_pct'),
      (v) => `${v.toFixed(1)}%`,
      (v) => v < 10,
    );
  }
  if (s.W6) {
    add('W6', 'import < 1.5 s (fresh kernel, own cell)', med('W6', 'gradlab', 'import_ms'), ms, (v) => v < 1500);
    add('W6', 'first gl.show < 0.5 s (own cell)', med('W6', 'gradlab', 'first_show_ms'), ms, (v) => v < 500);
  }
  return out;
}

// ------------------------------------------------------------------ machine

function sh(cmd: string): string {
  const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', timeout: 30_000 });
  return (r.stdout ?? '').trim();
}

export function machine() {
  return {
    cpu: sh("lscpu | sed -n 's/^Model name: *//p' | head -1"),
    nproc: Number(sh('nproc')),
    flags: /avx512f/.test(sh("lscpu | grep -i '^Flags'")) ? 'AVX-512' : /avx2/.test(sh("lscpu | grep -i '^Flags'")) ? 'AVX2' : '',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    chromium: sh('chromium --version 2>/dev/null'),
    python: fs.existsSync(PY_BENCH) ? sh(`${PY_BENCH} -c "import torch, sys; print(sys.version.split()[0], 'torch', torch.__version__)" 2>/dev/null`) : '',
    commit: sh('git rev-parse --short HEAD') + (sh('git status --porcelain -- engine') ? ' (engine/ has uncommitted changes)' : ''),
  };
}

// ------------------------------------------------------------------ output

export function fmtNum(v: number | undefined, digits = 2): string {
  if (v === undefined || Number.isNaN(v)) return '—';
  if (Math.abs(v) >= 1000) return v.toFixed(0);
  if (Math.abs(v) >= 100 && digits > 1) return v.toFixed(1);
  return v.toFixed(digits);
}

function cellOf(p: PeerSummary | undefined, m: Metric): string {
  if (!p) return '';
  if (p.status === 'not set up') return 'not set up';
  if (p.status === 'not run') return 'not run';
  if (p.status === 'failed') return m === undefined ? 'failed' : `failed: ${shortError(p.errors[0])}`;
  const v = p.medians[m.key];
  return v === undefined ? '—' : fmtNum(v, m.digits) + (p.failedChecks.length ? ' (check failed)' : '');
}

export function shortError(e = ''): string {
  if (/RecursionError/.test(e)) return 'RecursionError (recursion limit)';
  return e.split('\n')[0].slice(0, 60);
}

export function table(summaries: CaseSummary[], cases: Case[], tg: Target[], meta: any): string {
  const lines: string[] = [];
  lines.push(
    `Machine: ${meta.machine.cpu}, ${meta.machine.nproc} vCPU${meta.machine.flags ? ` (${meta.machine.flags})` : ''}, ${meta.machine.memGiB} GiB; Node ${meta.machine.node}; ${meta.machine.chromium || 'no Chromium'}${meta.machine.python ? `; Python ${meta.machine.python}` : ''}.`,
  );
  lines.push(
    `Run: ${meta.date}, commit ${meta.machine.commit}, ${meta.quick ? '**--quick (smoke sizes: not comparable with the targets)**' : 'full sizes'}, rounds per case as listed; load average ${meta.loadBefore} before, ${meta.loadAfter} after; ${meta.seconds.toFixed(0)} s.`,
  );
  lines.push('');
  lines.push(
    'Medians over rounds. "× vs X" = median over rounds of (X\'s value / gradlab\'s value) in the same round: above 1, gradlab is faster (or smaller).',
  );
  lines.push('');
  const shown = PEERS.filter((p) => cases.some((c) => c.peers.includes(p)));
  lines.push(`| case | metric | ${shown.join(' | ')} | gradlab vs peers |`);
  lines.push(`|---|---|${shown.map(() => '---:').join('|')}|---|`);
  for (const s of summaries) {
    const c = cases.find((x) => x.id === s.id)!;
    const rounds = s.rounds.length;
    c.metrics.forEach((m, i) => {
      const ratios = (Object.keys(s.ratios) as Peer[])
        .map((p) => {
          const r = s.ratios[p]?.[m.key];
          return r !== undefined ? `${fmtNum(r, 2)}× vs ${p}` : '';
        })
        .filter(Boolean)
        .join(', ');
      const cells = shown.map((p) => (c.peers.includes(p) ? cellOf(s.peers[p], m) : ''));
      lines.push(`| ${i === 0 ? `**${s.id}** (${rounds} round${rounds === 1 ? '' : 's'})` : ''} | ${m.label} | ${cells.join(' | ')} | ${ratios} |`);
    });
  }
  lines.push('');
  lines.push(`Sizes: ${summaries.map((s) => `${s.id} ${JSON.stringify(s.params)}`).join('; ')}.`);
  lines.push('');
  const failed = summaries.flatMap((s) => s.checks.filter((k) => !k.ok).map((k) => `${s.id} ${k.name}: ${k.detail}`));
  const nChecks = summaries.reduce((a, s) => a + s.checks.length, 0);
  lines.push(`Result checks: ${nChecks - failed.length} of ${nChecks} passed (every run's own checks and the cross-peer comparisons; each is in the JSON).`);
  for (const f of failed) lines.push(`- ✗ ${f}`);
  const expected = summaries.flatMap((s) =>
    Object.entries(s.peers)
      .filter(([, p]) => p.status === 'failed')
      .map(([name, p]) => `${s.id} ${name}: ${p.errors[0]}`),
  );
  for (const e of expected) lines.push(`- failed run (recorded, not a crash of the suite): ${e.split('\n')[0].slice(0, 300)}`);
  lines.push('');
  lines.push('| target | measured | |');
  lines.push('|---|---|---|');
  for (const t of tg)
    lines.push(`| ${t.workload}: ${t.text} | ${t.measured} | ${meta.quick ? '(smoke)' : t.ok === null ? 'not measured' : t.ok ? '✓' : '✗ missed'} |`);
  return lines.join('\n') + '\n';
}

// ------------------------------------------------------------------ main

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const size = opts.quick ? 'quick' : 'full';
  const cases = CASES.filter((c) => !opts.only || opts.only.includes(c.workload) || opts.only.includes(c.id.toUpperCase()));
  if (cases.length === 0) throw new Error(`bench: --only ${String(opts.only)} matches no workload (W1–W6)`);
  const avail = available();
  for (const p of PEERS) if (avail[p] !== true && cases.some((c) => c.peers.includes(p))) console.log(`${p}: ${avail[p]}`);
  const meta: any = {
    date: new Date().toISOString(),
    quick: opts.quick,
    only: opts.only,
    machine: machine(),
    loadBefore: os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' '),
  };
  const t0 = Date.now();
  const summaries: CaseSummary[] = [];
  for (const c of cases) {
    const rounds = opts.rounds ?? c.rounds[size];
    const all: { peer: Peer; result: RunResult }[][] = [];
    const needs = c.requires?.() ?? true;
    if (needs !== true) {
      console.log(`\n${c.id}: ${needs}`);
      summaries.push(summarise(c, [], { ...avail, gradlab: needs }, c.params[size]));
      continue;
    }
    console.log(`\n${c.id}: ${c.label} — ${rounds} round(s), peers ${c.peers.filter((p) => avail[p] === true).join(', ')}`);
    for (let r = 0; r < rounds; r++) {
      const round: { peer: Peer; result: RunResult }[] = [];
      for (const peer of c.peers) {
        if (avail[peer] !== true) continue;
        if (r > 0 && c.onceOnly?.includes(peer)) continue;
        const params = c.peerParams?.[peer]?.[size] ?? c.params[size];
        const s0 = Date.now();
        const result = await runOne(c, peer, params);
        round.push({ peer, result });
        const shownMetrics = c.metrics
          .filter((m) => result.metrics[m.key] !== undefined)
          .slice(0, 4)
          .map((m) => `${m.label} ${fmtNum(result.metrics[m.key], m.digits)}`);
        const bad = result.checks.filter((k) => !k.ok).map((k) => k.name);
        console.log(
          `  round ${r + 1} ${peer.padEnd(10)} ${result.ok ? shownMetrics.join(', ') : `FAILED: ${shortError(result.error)}`}${bad.length ? `  CHECK FAILED: ${bad.join('; ')}` : ''}  (${((Date.now() - s0) / 1000).toFixed(1)} s)`,
        );
      }
      all.push(round);
    }
    summaries.push(summarise(c, all, avail, c.params[size]));
  }
  meta.seconds = (Date.now() - t0) / 1000;
  meta.loadAfter = os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
  const byId = Object.fromEntries(summaries.map((s) => [s.id, s]));
  const tg = targets(byId);
  const md = table(summaries, cases, tg, meta);
  console.log('\n' + md);
  fs.mkdirSync(RESULTS, { recursive: true });
  const full = !opts.quick && !opts.only;
  const json = path.join(RESULTS, full ? 'latest.json' : 'partial.json');
  fs.writeFileSync(json, JSON.stringify({ meta, targets: tg, cases: summaries }, null, 1));
  const mdPath = path.join(RESULTS, full ? 'README-table.md' : 'partial-table.md');
  fs.writeFileSync(mdPath, `<!-- written by npm run bench (bench/suite.ts); do not edit -->\n${md}`);
  console.log(`wrote ${path.relative(ROOT, json)} and ${path.relative(ROOT, mdPath)}`);
  if (full) {
    // the latest full table also goes into bench/README.md, between its markers
    const readme = path.join(BENCH, 'README.md');
    const text = fs.existsSync(readme) ? fs.readFileSync(readme, 'utf8') : '';
    const start = '<!-- bench-table:start -->';
    const end = '<!-- bench-table:end -->';
    const i = text.indexOf(start);
    const j = text.indexOf(end);
    if (i >= 0 && j > i) {
      fs.writeFileSync(readme, `${text.slice(0, i + start.length)}\n${md}${text.slice(j)}`);
      console.log('updated the table in bench/README.md');
    }
  }
  const failedChecks = summaries.some((s) => s.checks.some((k) => !k.ok));
  const gradlabFailed = summaries.some((s) => s.peers.gradlab?.status === 'failed');
  if (failedChecks || gradlabFailed) {
    console.log('bench: a result check failed or a gradlab run failed (see above)');
    process.exitCode = 1;
  }
}

if (typeof require !== 'undefined' && require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(2);
  });
}
