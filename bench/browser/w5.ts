/**
 * W5, drawing in headless Chromium: JupyterLab from the project's .venv (the
 * tslab kernel and the gradlab extension installed there by scripts/setup.sh)
 * and Debian's Chromium driven by playwright-core (test/browser/lab.ts). Real
 * `gl.show` / `gl.lossCurve` calls in a tslab notebook, the views drawn by the
 * extension: no synthetic payloads.
 *
 * - graph A / graph B: scalar MLP graphs (2→4→4→1 over more and more points, plus
 *   a hinge loss, backward done) of at least graphNodes[0] / [1] traced nodes, built in
 *   an earlier cell; graph B is grouped (`gl.scope` per data point, nested per layer), so
 *   the view opens it with the groups collapsed; the timed cell is only `gl.show(g)`. Times, in the page: from
 *   running the cell to the first node drawn and the next frame after it with the
 *   main thread free ("interactive"), and from the output's arrival to then (the view's share).
 * - live curve: a loop of curvePoints steps of stepMs busy work, each `await curve.push`;
 *   frames per second (whole run after the first plot, and its second half) and the
 *   95th-percentile frame interval of the page while it runs.
 * - slowdown: trainSteps steps of a small tensor MLP (64×32→16→4) without a curve,
 *   and with `await curve.push` each step (4 pairs, each order twice; medians).
 *
 * Run by the suite (vite-node, as the browser tests use test/browser/lab.ts from source): node_modules/.bin/vite-node bench/browser/w5.ts '{"graphNodes":[1000,10000],...}'
 * Only the live curve and the slowdown: node_modules/.bin/vite-node bench/browser/w5.ts '{"only":"curve","graphNodes":[10,10]}'
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openBrowser, openNotebook, startLab, type Browser, type Lab } from '../../test/browser/lab';
import { check, median, type Check, type RunResult } from '../workloads/common';

interface Params {
  graphNodes: [number, number];
  curvePoints: number;
  /** Busy work per step of the live-curve loop, ms. */
  stepMs: number;
  trainSteps: number;
  /** `"curve"`: run only the live-curve part (and the slowdown), not the graphs. */
  only?: 'curve';
}

const code = (p: Params): string[] => [
  'import * as gl from "gradlab";',
  `function mlpGraph(target: number, scoped: boolean): gl.Tensor {
  const v = (i: number) => 0.5 * Math.sin(i * 12.9898 + 1);
  let seed = 0;
  const layer = (nin: number, nout: number) => Array.from({ length: nout }, () => ({
    w: Array.from({ length: nin }, () => gl.scalar(v(seed++), { requiresGrad: true })),
    b: gl.scalar(0, { requiresGrad: true }),
  }));
  const layers = [layer(2, 4), layer(4, 4), layer(4, 1)];
  const forward = (x: number[]): gl.Tensor => {
    let h: (number | gl.Tensor)[] = x;
    layers.forEach((L, li) => {
      const run = () => L.map((n) => {
        let a: gl.Tensor = n.b;
        n.w.forEach((w, i) => { a = a.add(w.mul(h[i])); });
        return li < layers.length - 1 ? a.relu() : a;
      });
      h = scoped ? gl.scope(\`layer \${li + 1}\`, run) : run();
    });
    return h[0] as gl.Tensor;
  };
  let loss: gl.Tensor | null = null;
  for (let k = 0; ; k++) {
    const point = () => forward([Math.cos(k), Math.sin(0.7 * k)]).mul(k % 2 ? 1 : -1).add(1).relu();
    const li = scoped ? gl.scope(\`point \${k}\`, point) : point();
    loss = loss ? loss.add(li) : li;
    if (gl.trace(loss).nodes.length >= target) break;
  }
  loss!.backward();
  return loss!;
}
const gA = mlpGraph(${p.graphNodes[0]}, false);
const gB = mlpGraph(${p.graphNodes[1]}, true); // grouped: gl.scope per data point, nested per layer
console.log("@@NODES " + JSON.stringify([gl.trace(gA).nodes.length, gl.trace(gB).nodes.length]));`,
  'gl.show(gA);',
  'gl.show(gB);',
  `{
  const curve = gl.lossCurve({ title: "live" });
  for (let i = 0; i < ${p.curvePoints}; i++) {
    const until = performance.now() + ${p.stepMs};
    while (performance.now() < until) {}
    await curve.push(i, 1 / (1 + i / 100) + 0.05 * Math.sin(i));
  }
  await curve.close();
}`,
  `{
  const X = gl.randn([64, 32], { rng: gl.rng(3) });
  const W = gl.randn([32, 16], { requiresGrad: true, rng: gl.rng(4) });
  const V = gl.randn([16, 4], { requiresGrad: true, rng: gl.rng(5) });
  const labels = Array.from({ length: 64 }, (_, i) => i % 4);
  const step = () => {
    W.zeroGrad(); V.zeroGrad();
    const l = gl.pick(X.matmul(W).relu().matmul(V).logSoftmax(), labels).mean().neg();
    l.backward();
    W.assign(gl.noGrad(() => W.sub(W.grad!.mul(0.01))));
    V.assign(gl.noGrad(() => V.sub(V.grad!.mul(0.01))));
    return l;
  };
  for (let s = 0; s < 50; s++) step();
  const times = { plain: [] as number[], curve: [] as number[] };
  const plain = () => {
    const t = performance.now();
    for (let s = 0; s < ${p.trainSteps}; s++) step();
    times.plain.push(performance.now() - t);
  };
  const live = async () => {
    const curve = gl.lossCurve({ title: "training, live" });
    const t = performance.now();
    for (let s = 0; s < ${p.trainSteps}; s++) await curve.push(s, step());
    times.curve.push(performance.now() - t);
    await curve.close();
  };
  // alternated, each order twice, so neither goes first every time
  for (let rep = 0; rep < 4; rep++) {
    if (rep % 2 === 0) { plain(); await live(); } else { await live(); plain(); }
  }
  console.log("@@TRAIN " + JSON.stringify(times));
}`,
];

const CELL = { setup: 1, graphA: 2, graphB: 3, curve: 4, train: 5 };

function notebook(p: Params): object {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' }, language_info: { name: 'typescript' } },
    cells: code(p).map((source, i) => ({ cell_type: 'code', id: `c${i}`, metadata: {}, execution_count: null, outputs: [], source })),
  };
}

type Page = Browser['page'];

/** Runs one cell and waits for its reply; returns its stdout text. */
async function runCell(page: Page, index: number, timeoutMs = 300_000): Promise<string> {
  await page.evaluate((i) => {
    const app = (window as any).jupyterapp;
    const nb = app.shell.currentWidget.content;
    nb.activeCellIndex = i;
    void app.commands.execute('notebook:run-cell');
  }, index);
  return waitForReply(page, index, timeoutMs);
}

async function waitForReply(page: Page, index: number, timeoutMs: number): Promise<string> {
  await page.waitForFunction((i) => (window as any).jupyterapp.shell.currentWidget.content.widgets[i].model.executionCount !== null, index, {
    timeout: timeoutMs,
    polling: 50,
  });
  return page.evaluate((i) => {
    const outputs = (window as any).jupyterapp.shell.currentWidget.content.widgets[i].model.outputs.toJSON();
    const errors = outputs.filter((o: any) => o.output_type === 'error').map((o: any) => `${o.ename}: ${o.evalue}`);
    if (errors.length) throw new Error(`cell ${i} failed: ${errors.join('; ')}`);
    return outputs
      .filter((o: any) => o.output_type === 'stream')
      .map((o: any) => (Array.isArray(o.text) ? o.text.join('') : o.text))
      .join('');
  }, index);
}

function tagged(text: string, tag: string): any {
  const line = text.split('\n').find((l) => l.startsWith(`@@${tag} `));
  if (!line) throw new Error(`no @@${tag} line in ${JSON.stringify(text.slice(0, 300))}`);
  return JSON.parse(line.slice(tag.length + 3));
}

/** Runs a `gl.show(graph)` cell and times it in the page. */
async function timeGraph(page: Page, index: number) {
  return page.evaluate(async (i) => {
    const app = (window as any).jupyterapp;
    const nb = app.shell.currentWidget.content;
    const cellNode: HTMLElement = nb.widgets[i].node;
    nb.activeCellIndex = i;
    let tOutput = 0;
    const mo = new MutationObserver(() => {
      if (!tOutput && cellNode.querySelector('.jp-OutputArea-output')) tOutput = performance.now();
    });
    mo.observe(cellNode, { subtree: true, childList: true });
    const t0 = performance.now();
    void app.commands.execute('notebook:run-cell');
    const sel = '[data-gradlab-view="graph"] [data-node-id]';
    const deadline = t0 + 120_000;
    await new Promise<void>((resolve, reject) => {
      const tick = () => {
        if (cellNode.querySelector(sel) || cellNode.querySelector('.gradlab-error')) resolve();
        else if (performance.now() > deadline) reject(new Error('graph not drawn within 120 s'));
        else requestAnimationFrame(tick);
      };
      tick();
    });
    const tDrawn = performance.now();
    // interactive: the next frame is painted and a task runs after it (the main thread is free)
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    const tInteractive = performance.now();
    mo.disconnect();
    const error = cellNode.querySelector('.gradlab-error')?.textContent ?? null;
    const ids = new Set([...cellNode.querySelectorAll(sel)].map((e) => e.getAttribute('data-node-id')));
    // an interaction: a wheel zoom on the canvas, until the next frame
    const svg = cellNode.querySelector<SVGSVGElement>('[data-gradlab-view="graph"] svg');
    let zoomMs = NaN;
    if (svg) {
      const box = svg.getBoundingClientRect();
      const z0 = performance.now();
      svg.dispatchEvent(
        new WheelEvent('wheel', {
          deltaY: -120,
          ctrlKey: true,
          clientX: box.x + box.width / 2,
          clientY: box.y + box.height / 2,
          bubbles: true,
          cancelable: true,
        }),
      );
      await new Promise((r) => requestAnimationFrame(r));
      zoomMs = performance.now() - z0;
    }
    // the view's own count ("N nodes · E edges · ..."): drawn boxes plus constants inlined into them
    const text = cellNode.querySelector('[data-gradlab-view="graph"]')?.textContent ?? '';
    const shown = Number(text.match(/(\d[\d,]*) nodes ·/)?.[1]?.replace(/,/g, '') ?? NaN);
    const note = text.match(/\d[\d,]* nodes · [^·]*· [^·]*ms/)?.[0] ?? '';
    return { total: tInteractive - t0, drawnAt: tDrawn - t0, view: tInteractive - (tOutput || tDrawn), boxes: ids.size, shown, zoomMs, error, note };
  }, index);
}

async function main(p: Params): Promise<RunResult> {
  const fixtures = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-w5-'));
  fs.writeFileSync(path.join(fixtures, 'w5.ipynb'), JSON.stringify(notebook(p), null, 1));
  let lab: Lab | undefined;
  let browser: Browser | undefined;
  try {
    lab = await startLab(fixtures);
    browser = await openBrowser();
    const page = browser.page;
    await openNotebook(page, lab, 'w5.ipynb');
    await runCell(page, 0);
    const curveOnly = p.only === 'curve';
    const skipped = { total: NaN, view: NaN, shown: NaN, boxes: 0, zoomMs: NaN, error: null, note: 'skipped (only: curve)' };
    // NOTE: the setup cell runs in either case: a later cell's `gl` is not found by tslab otherwise
    const nodes = tagged(await runCell(page, CELL.setup), 'NODES') as [number, number];
    const a = curveOnly ? skipped : await timeGraph(page, CELL.graphA);
    if (!curveOnly) await waitForReply(page, CELL.graphA, 60_000);
    const b = curveOnly ? skipped : await timeGraph(page, CELL.graphB);
    if (!curveOnly) await waitForReply(page, CELL.graphB, 60_000);

    // baseline: frames per second of the idle page for 2 s
    const idleFps = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const f: number[] = [];
          const tick = (t: number) => {
            f.push(t);
            if (t - f[0] < 2000) requestAnimationFrame(tick);
            else resolve((f.length - 1) / ((f[f.length - 1] - f[0]) / 1000));
          };
          requestAnimationFrame(tick);
        }),
    );
    // live curve: record frame intervals while the cell runs, from the moment the first plot is
    // drawn (the one-time load of plotly.js, a lazy 4.6 MB chunk, is timed on its own)
    await page.evaluate((i) => {
      const w = window as any;
      const cellNode: HTMLElement = w.jupyterapp.shell.currentWidget.content.widgets[i].node;
      w.__frames = [] as number[];
      w.__recording = true;
      w.__longtasks = [] as number[];
      w.__t0 = performance.now();
      w.__firstPlot = NaN;
      w.__lt = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) if (e.startTime >= w.__firstPlot) w.__longtasks.push(e.duration);
      });
      w.__lt.observe({ type: 'longtask' });
      const tick = (t: number) => {
        if (Number.isNaN(w.__firstPlot) && cellNode.querySelector('.js-plotly-plot .main-svg')) w.__firstPlot = t;
        if (!Number.isNaN(w.__firstPlot)) w.__frames.push(t);
        if (w.__recording) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    }, CELL.curve);
    // W5_CPU_PROFILE=file.cpuprofile: the page's CPU profile while the live curve updates (open it in Chromium's DevTools)
    const cdp = process.env.W5_CPU_PROFILE ? await page.context().newCDPSession(page) : null;
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.start');
    }
    await runCell(page, CELL.curve);
    if (cdp) {
      const { profile } = await cdp.send('Profiler.stop');
      fs.writeFileSync(process.env.W5_CPU_PROFILE!, JSON.stringify(profile));
    }
    const curve = await page.evaluate((i) => {
      const w = window as any;
      w.__recording = false;
      w.__lt.disconnect();
      const lt: number[] = w.__longtasks;
      const f: number[] = w.__frames;
      const gaps = f
        .slice(1)
        .map((t, k) => t - f[k])
        .sort((x, y) => x - y);
      const cellNode: HTMLElement = w.jupyterapp.shell.currentWidget.content.widgets[i].node;
      // the view keeps every point and draws a downsample: its own count of the data, and what plotly got
      const root = cellNode.querySelector<HTMLElement>('[data-gradlab-view="loss-curve"]');
      const points = Number(root?.dataset.points ?? 0);
      const plot = cellNode.querySelector<any>('.js-plotly-plot');
      const drawn = plot?.data?.[0]?.x?.length ?? 0;
      const span = f[f.length - 1] - f[0];
      const mid = f[0] + span / 2;
      const late = f.filter((t) => t >= mid);
      return {
        firstPlotMs: w.__firstPlot - w.__t0,
        fps: (f.length - 1) / (span / 1000),
        fpsLate: (late.length - 1) / ((late[late.length - 1] - late[0]) / 1000),
        p95: gaps[Math.floor(gaps.length * 0.95)] ?? NaN,
        frames: f.length,
        points,
        drawn,
        longTasks: lt.length,
        longTaskMax: lt.length ? Math.max(...lt) : 0,
        busyPct: (100 * lt.reduce((a, b) => a + b, 0)) / span,
      };
    }, CELL.curve);
    const train = tagged(await runCell(page, CELL.train), 'TRAIN') as { plain: number[]; curve: number[] };
    const errors = browser.errors.filter((e) => !/favicon|404/.test(e));
    const slowdown = (median(train.curve) / median(train.plain) - 1) * 100;
    const checks: Check[] = [
      ...(curveOnly
        ? []
        : [
            check('graph A drawn by the extension', !a.error && a.boxes > 0, a.error ?? `${a.boxes} boxes drawn; ${a.note}`),
            check('graph B drawn by the extension', !b.error && b.boxes > 0, b.error ?? `${b.boxes} boxes drawn; ${b.note}`),
          ]),
      check('live curve measured while the loop ran (≥ 5 frames recorded)', curve.frames >= 5, `${curve.frames} frames`),
      check(
        `live curve holds all ${p.curvePoints} points at the end`,
        curve.points === p.curvePoints && curve.drawn > 0,
        `${curve.points} points in the view, ${curve.drawn} drawn by plotly`,
      ),
      check('no page errors', errors.length === 0, errors.slice(0, 3).join(' | ') || 'none'),
    ];
    return {
      ok: true,
      metrics: {
        graph_small_ms: a.total,
        graph_small_view_ms: a.view,
        graph_small_nodes: nodes[0],
        graph_small_drawn: a.shown,
        graph_large_ms: b.total,
        graph_large_view_ms: b.view,
        graph_large_nodes: nodes[1],
        graph_large_drawn: b.shown,
        zoom_frame_ms: b.zoomMs,
        idle_fps: idleFps,
        curve_first_draw_ms: curve.firstPlotMs,
        curve_fps: curve.fps,
        curve_drawn_points: curve.drawn,
        curve_fps_second_half: curve.fpsLate,
        curve_frame_p95_ms: curve.p95,
        curve_long_tasks: curve.longTasks,
        curve_longest_task_ms: curve.longTaskMax,
        curve_busy_pct: curve.busyPct,
        train_plain_ms: median(train.plain),
        train_curve_ms: median(train.curve),
        train_slowdown_pct: slowdown,
      },
      checks,
      info: { graphA: a.note, graphB: b.note },
    };
  } finally {
    await browser?.close().catch(() => undefined);
    await lab?.stop().catch(() => undefined);
    fs.rmSync(fixtures, { recursive: true, force: true });
    if (lab) fs.rmSync(lab.rootDir, { recursive: true, force: true });
  }
}

{
  const params: Params = { graphNodes: [1000, 10000], curvePoints: 10000, stepMs: 0.4, trainSteps: 3000, ...JSON.parse(process.argv[2] ?? '{}') };
  void main(params)
    .catch((e: unknown): RunResult => ({ ok: false, error: String((e as Error)?.stack ?? e).slice(0, 2000), metrics: {}, checks: [] }))
    .then((r) => {
      process.stdout.write(`@@RESULT ${JSON.stringify(r)}\n`);
      process.exit(0);
    });
}
