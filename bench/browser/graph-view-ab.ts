/**
 * The graph view of two (or more) commits side by side in headless Chromium, without JupyterLab:
 * each commit's `checkPayload` + `renderGraph` (extension/validate.ts, extension/views/graph.ts) and
 * its style/ bundled with esbuild from a git worktree, drawn in a static page on the same graph
 * payloads as W5 (graph A: 1,017 scalar nodes; graph B: 10,047 nodes grouped by gl.scope), made
 * once by this checkout's engine. Commits alternate trial by trial (a fresh page each), so load on
 * the machine falls on both alike.
 *
 * Per graph it reports wall times (render call, first node → next frame "interactive", drawing
 * settled: no animation-frame or ResizeObserver callback of the page for 300 ms), main-thread CPU
 * time (CDP ThreadTime), the page's animation-frame and ResizeObserver callbacks and Chromium's
 * layouts (a large graph is drawn in 8 ms slices per frame, so its frame count grows with load),
 * the elements drawn; then, after both graphs are drawn, an idle window (IDLE_MS, 3 s) with the
 * callbacks, DOM mutations and long tasks seen there: a view that never settles shows there
 * whatever the load.
 *
 *   node_modules/.bin/vite-node bench/browser/graph-view-ab.ts -- [--rounds N] <commit> <commit> [...]
 *
 * Worktrees go to a temp folder and are removed at the end. Written for issue #11 (W5's graph
 * figures); see the commit that added it for what it measured.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type CDPSession } from 'playwright-core';
import * as gl from '../../engine/index';
import { payloadOf } from '../../engine/display/show';
import { median } from '../workloads/common';

const ROOT = path.resolve(__dirname, '..', '..');
const IDLE_MS = Number(process.env.IDLE_MS ?? 3000);
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** W5's graphs (bench/browser/w5.ts `code()`): a 2→4→4→1 scalar MLP over more and more points, a hinge loss, backward done. */
function mlpGraph(target: number, scoped: boolean): gl.Tensor {
  const v = (i: number) => 0.5 * Math.sin(i * 12.9898 + 1);
  let seed = 0;
  const layer = (nin: number, nout: number) =>
    Array.from({ length: nout }, () => ({
      w: Array.from({ length: nin }, () => gl.scalar(v(seed++), { requiresGrad: true })),
      b: gl.scalar(0, { requiresGrad: true }),
    }));
  const layers = [layer(2, 4), layer(4, 4), layer(4, 1)];
  const forward = (x: number[]): gl.Tensor => {
    let h: (number | gl.Tensor)[] = x;
    layers.forEach((L, li) => {
      const run = () =>
        L.map((n) => {
          let a: gl.Tensor = n.b;
          n.w.forEach((w, i) => (a = a.add(w.mul(h[i]))));
          return li < layers.length - 1 ? a.relu() : a;
        });
      h = scoped ? gl.scope(`layer ${li + 1}`, run) : run();
    });
    return h[0] as gl.Tensor;
  };
  let loss: gl.Tensor | null = null;
  for (let k = 0; ; k++) {
    const point = () =>
      forward([Math.cos(k), Math.sin(0.7 * k)])
        .mul(k % 2 ? 1 : -1)
        .add(1)
        .relu();
    const li = scoped ? gl.scope(`point ${k}`, point) : point();
    loss = loss ? loss.add(li) : li;
    if (gl.trace(loss).nodes.length >= target) break;
  }
  loss.backward();
  return loss;
}

/** Commit `rev`'s view and style as a script and a stylesheet for the page (esbuild's command, as the views preview runs it; packages from this checkout's node_modules). */
function bundle(rev: string, tmp: string): { js: string; css: string } {
  const dir = path.join(tmp, rev.replace(/[^\w.-]/g, '_'));
  execFileSync('git', ['-C', ROOT, 'worktree', 'add', '--quiet', '--detach', dir, rev]);
  const entry = path.join(dir, 'graph-view-ab-entry.ts');
  fs.writeFileSync(
    entry,
    `import { checkPayload } from './extension/validate';\nimport { renderGraph } from './extension/views/graph';\n(window as any).GAB = { checkPayload, renderGraph };\n`,
  );
  const esbuild = path.join(ROOT, 'node_modules', '.bin', 'esbuild');
  const env = { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') };
  const js = path.join(dir, 'view.js');
  const css = path.join(dir, 'view.css');
  execFileSync(esbuild, [entry, '--bundle', '--format=iife', '--target=es2020', '--minify', `--outfile=${js}`, '--log-level=warning'], {
    env,
    stdio: 'inherit',
  });
  execFileSync(esbuild, [path.join(dir, 'style', 'index.css'), '--bundle', `--outfile=${css}`, '--log-level=warning'], { env, stdio: 'inherit' });
  return { js: fs.readFileSync(js, 'utf8'), css: fs.readFileSync(css, 'utf8') };
}

/** Counts, before any page script runs, the animation-frame and ResizeObserver callbacks of the page (not the harness's: it keeps the originals). */
const INSTRUMENT = `(() => {
  const w = window; w.__c = { raf: 0, ro: 0, last: 0 };
  const raf = w.requestAnimationFrame.bind(w); w.__raf = raf;
  w.requestAnimationFrame = (cb) => raf((t) => { w.__c.raf++; w.__c.last = performance.now(); cb(t); });
  const RO = w.ResizeObserver;
  w.ResizeObserver = class extends RO { constructor(cb) { super((e, o) => { w.__c.ro++; w.__c.last = performance.now(); cb(e, o); }); } };
})();`;

interface GraphRun {
  sync: number;
  interactive: number;
  settled: number;
  raf: number;
  ro: number;
  elements: number;
  layouts: number;
  cpu: number;
}
interface Idle {
  raf: number;
  ro: number;
  mutations: number;
  longTasks: number;
  cpu: number;
}

/** Draws payload `which` (`__A` or `__B` in the page) into a detached host, attaches it (as JupyterLab does), and waits until the drawing settles. */
function drawInPage(which: string): Promise<Omit<GraphRun, 'layouts' | 'cpu'>> {
  const w = window as any;
  const frame = () => new Promise((r) => w.__raf(r));
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  return (async () => {
    const out = document.createElement('div');
    document.getElementById('nb')!.append(out);
    const raf0 = w.__c.raf;
    const ro0 = w.__c.ro;
    const t0 = performance.now();
    const host = document.createElement('div');
    host.className = 'gradlab-host';
    w.GAB.renderGraph(host, w.GAB.checkPayload(w[which], 'graph').payload);
    const sync = performance.now() - t0;
    out.append(host);
    while (!host.querySelector('[data-node-id]') && !host.querySelector('.gradlab-error')) await frame();
    await frame();
    await pause(0);
    const tInteractive = performance.now();
    while (performance.now() - Math.max(w.__c.last, tInteractive) < 300) await pause(50);
    return {
      sync,
      interactive: tInteractive - t0,
      settled: Math.max(w.__c.last, tInteractive) - t0,
      raf: w.__c.raf - raf0,
      ro: w.__c.ro - ro0,
      elements: host.querySelectorAll('*').length,
    };
  })();
}

/** The idle window: what the page does by itself for `ms` after both graphs are drawn. */
function idleInPage(ms: number): Promise<Omit<Idle, 'cpu'>> {
  const w = window as any;
  const c0 = { raf: w.__c.raf, ro: w.__c.ro };
  let mutations = 0;
  const mo = new MutationObserver((l) => (mutations += l.length));
  mo.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  let longTasks = 0;
  const po = new PerformanceObserver((l) => (longTasks += l.getEntries().length));
  po.observe({ type: 'longtask' });
  return new Promise((resolve) =>
    setTimeout(() => {
      mo.disconnect();
      po.disconnect();
      resolve({ raf: w.__c.raf - c0.raf, ro: w.__c.ro - c0.ro, mutations, longTasks });
    }, ms),
  );
}

/** A Chromium performance metric of the page (CDP Performance.getMetrics): ThreadTime is the main thread's CPU time in seconds. */
async function metric(cdp: CDPSession, name: string): Promise<number> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((m) => m.name === name)?.value ?? NaN;
}

/** One trial of one commit: a fresh page, graph A then graph B, then the idle window. */
async function trial(browser: Browser, files: Record<string, string>, rev: string): Promise<{ A: GraphRun; B: GraphRun; idle: Idle }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  await context.addInitScript(INSTRUMENT);
  const html = `<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="${rev}.css"></head><body style="margin:0;font:13px sans-serif"><div id="nb" style="margin:20px 150px"></div><script src="${rev}.js"></script></body></html>`;
  await context.route('http://graph-view-ab.test/**', (route) => {
    const name = decodeURIComponent(new URL(route.request().url()).pathname.slice(1));
    const body = name === 'index.html' ? html : files[name];
    const type = name.endsWith('.css') ? 'text/css' : name.endsWith('.js') ? 'text/javascript' : name.endsWith('.html') ? 'text/html' : 'application/json';
    return body === undefined ? route.fulfill({ status: 404, body: '' }) : route.fulfill({ contentType: type, body });
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('http://graph-view-ab.test/index.html');
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.evaluate(async () => {
    const w = window as any;
    w.__A = await (await fetch('A.json')).json();
    w.__B = await (await fetch('B.json')).json();
  });
  const runs: Record<string, GraphRun> = {};
  for (const which of ['A', 'B']) {
    await page.waitForTimeout(100);
    const [l0, c0] = [await metric(cdp, 'LayoutCount'), await metric(cdp, 'ThreadTime')];
    const r = await page.evaluate(drawInPage, `__${which}`);
    runs[which] = { ...r, layouts: (await metric(cdp, 'LayoutCount')) - l0, cpu: ((await metric(cdp, 'ThreadTime')) - c0) * 1000 };
  }
  const c0 = await metric(cdp, 'ThreadTime');
  const idle = { ...(await page.evaluate(idleInPage, IDLE_MS)), cpu: ((await metric(cdp, 'ThreadTime')) - c0) * 1000 };
  await context.close();
  if (errors.length) throw new Error(`${rev}: page errors: ${errors.join('; ')}`);
  return { A: runs.A, B: runs.B, idle };
}

function report(revs: string[], results: { rev: string; A: GraphRun; B: GraphRun; idle: Idle }[]): void {
  const row = (label: string, get: (r: (typeof results)[number]) => number, digits = 0) =>
    `| ${label} | ${revs.map((rev) => median(results.filter((r) => r.rev === rev).map(get)).toFixed(digits)).join(' | ')} |`;
  const lines = [`| figure (median of ${results.length / revs.length} trials) | ${revs.join(' | ')} |`, `|---|${revs.map(() => '---:|').join('')}`];
  for (const g of ['A', 'B'] as const) {
    lines.push(
      row(`graph ${g}: render call ms`, (r) => r[g].sync),
      row(`graph ${g}: → interactive ms`, (r) => r[g].interactive),
    );
    lines.push(
      row(`graph ${g}: → drawing settled ms`, (r) => r[g].settled),
      row(`graph ${g}: main-thread CPU ms`, (r) => r[g].cpu),
    );
    lines.push(
      row(`graph ${g}: animation-frame callbacks`, (r) => r[g].raf),
      row(`graph ${g}: ResizeObserver callbacks`, (r) => r[g].ro),
    );
    lines.push(
      row(`graph ${g}: layouts`, (r) => r[g].layouts),
      row(`graph ${g}: elements`, (r) => r[g].elements),
    );
  }
  lines.push(
    row(`idle ${IDLE_MS} ms: animation-frame callbacks`, (r) => r.idle.raf),
    row('idle: ResizeObserver callbacks', (r) => r.idle.ro),
  );
  lines.push(
    row('idle: DOM mutations', (r) => r.idle.mutations),
    row('idle: long tasks', (r) => r.idle.longTasks),
    row('idle: main-thread CPU ms', (r) => r.idle.cpu),
  );
  console.log(lines.join('\n'));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  const at = args.indexOf('--rounds');
  const rounds = at >= 0 ? Number(args.splice(at, 2)[1]) : 6;
  const revs = args;
  if (revs.length < 2 || !(rounds > 0)) throw new Error('usage: vite-node bench/browser/graph-view-ab.ts -- [--rounds N] <commit> <commit> [...]');
  const files: Record<string, string> = {
    'A.json': JSON.stringify(payloadOf(mlpGraph(1000, false))),
    'B.json': JSON.stringify(payloadOf(mlpGraph(10000, true))),
  };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'graph-view-ab-'));
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  const results: { rev: string; A: GraphRun; B: GraphRun; idle: Idle }[] = [];
  try {
    for (const rev of revs) {
      const b = bundle(rev, tmp);
      Object.assign(files, { [`${rev}.js`]: b.js, [`${rev}.css`]: b.css });
    }
    console.log(
      `load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    for (let round = 0; round < rounds; round++) {
      for (const rev of round % 2 ? [...revs].reverse() : revs) {
        const r = await trial(browser, files, rev);
        results.push({ rev, ...r });
        console.log(
          `round ${round + 1} ${rev}: A ${r.A.interactive.toFixed(0)} ms, B ${r.B.interactive.toFixed(0)} ms; idle: ${r.idle.raf} frames, ${r.idle.ro} resizes`,
        );
      }
    }
    console.log(
      `load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    report(revs, results);
  } finally {
    await browser.close();
    for (const dir of fs.readdirSync(tmp)) execFileSync('git', ['-C', ROOT, 'worktree', 'remove', '--force', path.join(tmp, dir)]);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
