/**
 * The benchmark suite (bench/suite.ts) at smoke sizes, gradlab only, no peers
 * and no timing assertions: every JavaScript workload of `npm run bench -- --quick`
 * runs in-process through the same entry the suite's child processes use
 * (bench/worker.ts) and its result checks must pass; the aggregation (medians,
 * paired ratios, cross-peer checks, targets, the Markdown table) runs on those
 * results and a fake peer. W5 (JupyterLab + Chromium) and W6 (a tslab kernel)
 * are covered by `npm run bench -- --quick`, not here.
 */
import { describe, expect, it } from 'vitest';
import { CASES, summarise, table, targets, type CaseSummary, type Peer } from '../../bench/suite';
import { runJs } from '../../bench/worker';
import type { RunResult } from '../../bench/workloads/common';

const JS_CASES = CASES.filter((c) => !c.script);
const ALL_SET_UP = { gradlab: true, 'tfjs-cpu': true, 'tfjs-wasm': true, torch: true, micrograd: true } as Record<Peer, true>;

const results = new Map<string, RunResult>();

describe('bench workloads at smoke sizes (gradlab)', () => {
  it('covers W1–W4 with the quick sizes', () => {
    expect(new Set(JS_CASES.map((c) => c.workload))).toEqual(new Set(['W1', 'W2', 'W3', 'W4']));
  });
  for (const c of JS_CASES) {
    it(`${c.id}: runs and its result checks pass`, async () => {
      const r = await runJs(c.workload, 'gradlab', c.params.quick);
      expect(r.error).toBeUndefined();
      expect(r.ok).toBe(true);
      expect(r.checks.length).toBeGreaterThan(0);
      expect(r.checks.filter((k) => !k.ok)).toEqual([]);
      for (const m of c.metrics) if (m.key !== 'nodes') expect(Number.isFinite(r.metrics[m.key]), m.key).toBe(true);
      results.set(c.id, r);
    });
  }
});

describe('bench aggregation', () => {
  it('takes medians, paired ratios and cross-peer checks, and writes the table with the targets', () => {
    const summaries: CaseSummary[] = [];
    for (const c of JS_CASES) {
      const g = results.get(c.id)!;
      expect(g, `${c.id} ran above`).toBeDefined();
      // a fake peer: the same numbers (so fingerprints agree), twice as slow
      const slow: RunResult = { ...g, metrics: Object.fromEntries(Object.entries(g.metrics).map(([k, v]) => [k, 2 * v])) };
      const peers = c.peers.filter((p) => p !== 'gradlab');
      const rounds = [0, 1, 2].map((): { peer: Peer; result: RunResult }[] => [
        { peer: 'gradlab', result: g },
        ...peers.map((peer) => ({ peer, result: slow })),
      ]);
      const s = summarise(c, rounds, ALL_SET_UP, c.params.quick);
      expect(s.peers.gradlab!.status).toBe('ok');
      expect(s.checks.filter((k) => !k.ok)).toEqual([]);
      for (const peer of peers) for (const m of c.metrics.filter((x) => x.ratio)) expect(s.ratios[peer]![m.key]).toBeCloseTo(2, 9);
      summaries.push(s);
    }
    const tg = targets(Object.fromEntries(summaries.map((s) => [s.id, s])));
    expect(tg.length).toBeGreaterThan(10);
    expect(tg.every((t) => t.ok !== null)).toBe(true);
    const meta = {
      date: 'now',
      quick: false,
      seconds: 1,
      loadBefore: '0',
      loadAfter: '0',
      machine: { cpu: 'cpu', nproc: 2, flags: '', memGiB: 1, node: process.version, chromium: '', python: '', commit: 'x' },
    };
    const md = table(summaries, JS_CASES, tg, meta);
    expect(md).toContain('| **W1** (3 rounds) | ms/step |');
    expect(md).toMatch(/2\.00× vs micrograd/);
    expect(md).toMatch(/✓|✗ missed/);
  });

  it('records a peer that is not set up, and a failed run, without failing the gradlab column', () => {
    const c = CASES.find((x) => x.id === 'W3 N=1e5')!;
    const g = results.get(c.id)!;
    const failed: RunResult = { ok: false, error: 'RecursionError: maximum recursion depth exceeded', metrics: {}, checks: [] };
    const s = summarise(
      c,
      [
        [
          { peer: 'gradlab', result: g },
          { peer: 'micrograd', result: failed },
        ],
      ],
      { ...ALL_SET_UP, torch: 'not set up (npm run bench:python)' },
      c.params.quick,
    );
    expect(s.peers.gradlab!.status).toBe('ok');
    expect(s.peers.micrograd!.status).toBe('failed');
    expect(s.peers.torch!.status).toBe('not set up');
  });
});
