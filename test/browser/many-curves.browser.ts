/**
 * Many live loss curves in real JupyterLab + Chromium with the tslab kernel
 * (issue #10, defect 4): a cell updates 20 curves together in an awaited loop
 * (test/browser/fixtures/many-curves.ipynb). After the kernel is done, every
 * curve in the page must show its final point count — in its text and in the
 * plot plotly drew — within a few seconds, not 15 s later.
 *
 * Prints the page's catch-up time (kernel's last send → every plot final, both
 * read from Date.now() on this one machine) and the page's frame rate while the
 * curves update. MANY_CURVES_PROFILE=file.cpuprofile saves the page's CPU
 * profile of that run (open it in Chromium's DevTools) and prints the self time
 * per script.
 *
 * Then (issue #10, defect 8) a curve of four series, one named with 100,000
 * characters, with values ±1e308, NaN and Infinity: plotly logs no SVG error,
 * the legend shows all four entries inside the plot, the long name cut (its
 * tooltip has the name), and the view says which points it did not draw.
 *
 * Last (issue #10, defect 3), a saved notebook reopened with the output of a
 * run whose kernel went away an hour ago (done: false, updatedAt an hour old):
 * the view says "not finished: no update since …" at once, styled as such.
 *
 *   npx vitest run -c test/browser/vitest.config.ts test/browser/many-curves.browser.ts
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIME } from '../../engine/display/contract';
import { OUTPUT, cellLocator, openBrowser, openNotebook, runAllCells, screenshotPath, startLab, type Browser, type Lab } from './lab';

const NOTEBOOK = 'many-curves.ipynb';
const STALE_NOTEBOOK = 'stale-curve.ipynb';

/** A saved notebook whose one output is a live curve last updated `ageMs` ago (its kernel died). */
function staleNotebook(ageMs: number): object {
  const x = Array.from({ length: 40 }, (_, i) => i);
  const payload = {
    version: 1,
    kind: 'loss-curve',
    title: 'kernel went away',
    xLabel: 'step',
    yLabel: 'loss',
    series: [{ name: 'loss', axis: 'y', x, y: x.map((i) => 2 / (1 + i / 10)) }],
    done: false,
    updatedAt: Date.now() - ageMs,
    staleAfter: 60_000,
  };
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' }, language_info: { name: 'typescript' } },
    cells: [
      {
        cell_type: 'code',
        id: 'run',
        metadata: {},
        execution_count: 1,
        source: '// the training cell',
        outputs: [{ output_type: 'display_data', metadata: {}, data: { [MIME.lossCurve]: payload, 'text/plain': 'kernel went away (training…)' } }],
      },
    ],
  };
}
const CURVES_CELL = 2; // markdown, import, curves, edges, last
const EDGES_CELL = 3;

let lab: Lab;
let browser: Browser;
let fixtures: string;

beforeAll(async () => {
  fs.mkdirSync(OUTPUT, { recursive: true });
  fixtures = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-many-curves-'));
  fs.copyFileSync(path.join(__dirname, 'fixtures', NOTEBOOK), path.join(fixtures, NOTEBOOK));
  fs.writeFileSync(path.join(fixtures, STALE_NOTEBOOK), JSON.stringify(staleNotebook(60 * 60_000), null, 1));
  lab = await startLab(fixtures);
  browser = await openBrowser();
  await openNotebook(browser.page, lab, NOTEBOOK);
});

afterAll(async () => {
  await browser?.close();
  await lab?.stop();
  if (lab) fs.rmSync(lab.rootDir, { recursive: true, force: true });
  if (fixtures) fs.rmSync(fixtures, { recursive: true, force: true });
});

/** Self time (ms) per script URL of a CPU profile, largest first. */
function selfTimeByUrl(profile: { nodes: { id: number; callFrame: { url: string; functionName: string } }[]; samples: number[]; timeDeltas: number[] }) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const byUrl = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const n = byId.get(id)!;
    const url = n.callFrame.url.replace(/^.*\/static\//, '').replace(/\?.*$/, '') || `(${n.callFrame.functionName || 'program'})`;
    byUrl.set(url, (byUrl.get(url) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return [...byUrl]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([url, ms]) => `${ms.toFixed(0).padStart(6)} ms  ${url}`);
}

describe('20 live loss curves in one page', () => {
  it('every curve shows its final points within a few seconds of the kernel finishing', async () => {
    const { page } = browser;
    const profileFile = process.env.MANY_CURVES_PROFILE;
    const cdp = profileFile ? await page.context().newCDPSession(page) : null;
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }
    // Each frame: record its time, and the first time every curve's text and plot show the final points.
    await page.evaluate(
      ({ cellIndex, steps, curves }) => {
        const w = window as any;
        w.__frames = [] as number[];
        w.__caughtUp = 0;
        const tick = () => {
          w.__frames.push(performance.now());
          if (!w.__caughtUp) {
            const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[cellIndex];
            const views = cell ? [...cell.querySelectorAll('[data-gradlab-view="loss-curve"]')] : [];
            const final = views.filter((root) => {
              const plot = root.querySelector<any>('.js-plotly-plot');
              return (
                (root as HTMLElement).dataset.points === String(steps) &&
                root.querySelector('.gradlab-status')?.textContent === 'done' &&
                plot?.data?.[0]?.x?.length === steps
              );
            });
            if (final.length === curves) w.__caughtUp = Date.now();
          }
          if (!w.__caughtUp || w.__frames.length < 5) requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      },
      { cellIndex: CURVES_CELL, steps: 300, curves: 20 },
    );
    await runAllCells(page);
    // the cell's own output says when the kernel was done (its last send), on the kernel's clock (this machine's)
    const handle = await page
      .waitForFunction(
        (i) => {
          const text = document.querySelectorAll('.jp-Notebook .jp-Cell')[i]?.querySelector('.jp-OutputArea')?.textContent ?? '';
          const m = text.match(/@@KERNEL (\{[^}]*\})/);
          return m ? m[1] : null;
        },
        CURVES_CELL,
        { timeout: 180_000, polling: 100 },
      )
      .catch(async (error) => {
        const state = await page.evaluate(() => ({
          kernel: (window as any).jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel?.status,
          outputs: [...document.querySelectorAll('.jp-Notebook .jp-Cell')].map(
            (c, i) => `[${i}] ${c.querySelector('.jp-OutputArea')?.textContent?.slice(0, 300) ?? ''}`,
          ),
        }));
        throw new Error(`${error.message}\nkernel ${state.kernel}; page errors: ${browser.errors.slice(0, 5).join(' | ')}\n${state.outputs.join('\n')}`);
      });
    const kernel = JSON.parse((await handle.jsonValue()) as string) as { start: number; end: number; steps: number; curves: number };
    const seenAt = Date.now();
    await page.waitForFunction(() => (window as any).__caughtUp > 0, undefined, { timeout: 60_000, polling: 100 }).catch(() => undefined);
    const page_ = await page.evaluate(() => {
      const w = window as any;
      const f: number[] = w.__frames;
      const nowMs = performance.now();
      // frames while the curves update: from the first frame after the run started to catch-up
      const span = f[f.length - 1] - f[0];
      const gaps = f
        .slice(1)
        .map((t, i) => t - f[i])
        .sort((a, b) => a - b);
      return {
        caughtUp: w.__caughtUp as number,
        frames: f.length,
        fps: (f.length - 1) / (span / 1000),
        p95: gaps[Math.floor(gaps.length * 0.95)] ?? NaN,
        longest: gaps[gaps.length - 1] ?? NaN,
        lastFrameAgo: nowMs - f[f.length - 1],
      };
    });
    if (cdp && profileFile) {
      const { profile } = await cdp.send('Profiler.stop');
      fs.writeFileSync(profileFile, JSON.stringify(profile));
      console.log(`[many-curves] CPU profile → ${profileFile}; self time by script:\n  ${selfTimeByUrl(profile as any).join('\n  ')}`);
    }
    const catchUp = page_.caughtUp ? page_.caughtUp - kernel.end : NaN;
    console.log(
      `[many-curves] ${kernel.curves} curves × ${kernel.steps} steps: kernel ran ${((kernel.end - kernel.start) / 1000).toFixed(1)} s; ` +
        `its last output reached the page ${((seenAt - kernel.end) / 1000).toFixed(1)} s after it was sent; ` +
        `every curve final ${(catchUp / 1000).toFixed(1)} s after the kernel finished; page ${page_.fps.toFixed(1)} fps ` +
        `(p95 frame ${page_.p95.toFixed(0)} ms, longest ${page_.longest.toFixed(0)} ms)`,
    );
    await cellLocator(page, CURVES_CELL)
      .locator('[data-gradlab-view="loss-curve"]')
      .first()
      .screenshot({ path: screenshotPath('many-curves-first') })
      .catch(() => undefined);

    const views = await cellLocator(page, CURVES_CELL).evaluate((cell) =>
      [...cell.querySelectorAll('[data-gradlab-view="loss-curve"]')].map((root) => ({
        title: root.querySelector('.gradlab-title')?.textContent,
        points: (root as HTMLElement).dataset.points,
        status: root.querySelector('.gradlab-status')?.textContent,
        plotted: root.querySelector<any>('.js-plotly-plot')?.data?.[0]?.x?.length ?? null,
      })),
    );
    expect(views).toEqual(Array.from({ length: 20 }, (_, k) => ({ title: `curve ${k + 1}`, points: '300', status: 'done', plotted: 300 })));
    // generous for a loaded 2-core machine; the speed itself is printed above (benchmarks judge it)
    expect(catchUp).toBeLessThan(10_000);
  }, 240_000);

  it('four series, a 100,000-character name and ±1e308: every legend entry inside the plot, no SVG error, the points not drawn counted', async () => {
    const { page, errors } = browser;
    await page.waitForFunction(() => [...document.querySelectorAll('.jp-OutputArea-output')].some((o) => o.textContent?.includes('@@done')), undefined, {
      timeout: 60_000,
      polling: 250,
    });
    await page.waitForFunction(
      (i) => {
        const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[i];
        return cell?.querySelector('.gradlab-status')?.textContent === 'done' && !!cell.querySelector('.js-plotly-plot .legend');
      },
      EDGES_CELL,
      { timeout: 30_000, polling: 100 },
    );
    await page.waitForTimeout(500);
    const edge = await cellLocator(page, EDGES_CELL).evaluate((cell) => {
      const plot = cell.querySelector('.js-plotly-plot') as HTMLElement;
      const box = plot.getBoundingClientRect();
      const entries = [...plot.querySelectorAll('.legend .traces')].map((g) => {
        const r = g.getBoundingClientRect();
        return {
          text: g.querySelector('.legendtext')?.textContent ?? '',
          tip: g.querySelector(':scope > title')?.textContent ?? '',
          inside: r.left >= box.left - 1 && r.right <= box.right + 1 && r.top >= box.top - 1,
        };
      });
      const paths = [...plot.querySelectorAll('path')].map((p) => p.getAttribute('d') ?? '').filter((d) => /NaN|Infinity/.test(d));
      return { entries, badPaths: paths.length, undrawn: cell.querySelector<HTMLElement>('.gradlab-loss-undrawn')?.textContent ?? null };
    });
    const edgeView = cellLocator(page, EDGES_CELL).locator('[data-gradlab-view="loss-curve"]');
    await edgeView.evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await page.waitForTimeout(500);
    await edgeView.screenshot({ path: screenshotPath('loss-curve-edges') });
    expect(edge.entries.map((e) => e.text)).toEqual(['loss', 'accuracy', 'validation loss', `${'n'.repeat(39)}…`]);
    for (const e of edge.entries) expect(e.inside, e.text).toBe(true);
    expect(edge.entries[3].tip).toBe(`${'n'.repeat(999)}…`);
    expect(edge.badPaths).toBe(0);
    expect(edge.undrawn).toBe('not drawn: 2 points out of range (|value| > 1e300), 2 points NaN or ±Infinity');
    expect(errors.filter((e) => /attribute d|Expected number|NaN/.test(e))).toEqual([]);
  });

  it('a reopened notebook whose run never finished shows "not finished" at once, styled as such', async () => {
    const { page } = browser;
    await page.goto(`${lab.url}/lab/tree/${STALE_NOTEBOOK}?token=${lab.token}`);
    const view = page.locator('.jp-Notebook [data-gradlab-view="loss-curve"]').first();
    await view.waitFor({ timeout: 60_000 });
    const state = await view.evaluate((root) => {
      const status = root.querySelector('.gradlab-status') as HTMLElement;
      return {
        text: status.textContent,
        stale: status.classList.contains('gradlab-status-stale') && root.classList.contains('gradlab-loss-stale'),
        mark: getComputedStyle(status, '::before').content,
        italic: getComputedStyle(status).fontStyle,
        border: getComputedStyle(status).borderTopStyle,
      };
    });
    await view.screenshot({ path: screenshotPath('loss-curve-stale') });
    expect(state.text).toMatch(/^not finished: no update since \d\d:\d\d:\d\d \(the kernel stopped or restarted/);
    expect(state).toMatchObject({ stale: true, mark: '"⚠ "', italic: 'italic', border: 'dashed' });
  });
});
