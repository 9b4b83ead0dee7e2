// Views preview: bundles entry.ts with esbuild, serves it on 127.0.0.1, opens it in
// headless Chromium with JupyterLab's light and dark theme variables, and writes
// screenshots of each view to screenshots/views/. Also renders the static fallbacks
// (engine/display/figures/index.ts) the way an nbconvert HTML export shows them.
//   node test/extension/preview/run.mjs
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const out = path.join(root, 'screenshots/views');
const build = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-preview-'));
fs.mkdirSync(out, { recursive: true });

const esbuild = path.join(root, 'node_modules/.bin/esbuild');
execFileSync(esbuild, [path.join(here, 'entry.ts'), '--bundle', '--format=esm', '--splitting', `--outdir=${build}`, '--log-level=warning'], {
  stdio: 'inherit',
});
// The static fallbacks, built for Node.
execFileSync(esbuild, [path.join(here, 'static.ts'), '--bundle', '--platform=node', '--format=esm', `--outfile=${build}/static.mjs`, '--log-level=warning'], {
  stdio: 'inherit',
});

const theme = (name) => path.join(root, `.venv/share/jupyter/lab/themes/@jupyterlab/theme-${name}-extension/index.css`);
const page = (themeName) => `<!doctype html><html><head><meta charset="utf-8">
<style>${fs.readFileSync(theme(themeName), 'utf8')}</style>
<style>${['base', 'graph', 'graph-steps', 'gradcheck', 'chain', 'curve', 'pictures'].map((n) => fs.readFileSync(path.join(root, 'style', n + '.css'), 'utf8')).join('\n')}</style>
<style>body{background:var(--jp-layout-color1);color:var(--jp-ui-font-color1);font-family:var(--jp-ui-font-family);margin:16px}
section{margin-bottom:28px;padding:8px;background:var(--jp-layout-color1)} h3{font-size:12px;color:var(--jp-ui-font-color3);margin:0 0 4px}</style>
</head><body><div id="views"></div><script type="module" src="/entry.js"></script></body></html>`;
fs.writeFileSync(path.join(build, 'light.html'), page('light'));
fs.writeFileSync(path.join(build, 'dark.html'), page('dark'));

const { staticPage } = await import(path.join(build, 'static.mjs'));
fs.writeFileSync(path.join(build, 'static.html'), staticPage());

const server = http.createServer((req, res) => {
  const file = path.join(build, decodeURIComponent(new URL(req.url, 'http://x').pathname));
  if (!file.startsWith(build) || !fs.existsSync(file)) return res.writeHead(404).end();
  const type = file.endsWith('.js') ? 'text/javascript' : 'text/html; charset=utf-8';
  res.writeHead(200, { 'content-type': type }).end(fs.readFileSync(file));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
  viewport: { width: 960, height: 900 },
});
try {
  for (const themeName of ['light', 'dark']) {
    const p = await browser.newPage();
    const errors = [];
    p.on('pageerror', (e) => errors.push(String(e)));
    p.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await p.goto(`${base}/${themeName}.html`);
    await p.waitForFunction(() => window.gradlabPreview?.timings?.graph1000 !== undefined, null, { timeout: 60_000 });
    const timings = await p.evaluate(() => window.gradlabPreview.timings);
    console.log(
      themeName,
      'timings (ms):',
      JSON.stringify(timings, (k, v) => (typeof v === 'number' ? Math.round(v) : v)),
    );
    if (await p.$('img')) errors.push('an <img> element exists: a payload string became markup');
    if (await p.$('#loss-xss a[href^="javascript"]')) errors.push('a javascript: link exists in the loss curve');
    // hover a node to show its details
    await p.hover('#graph-layer [data-node-id="1"] .gradlab-box', { force: true });
    for (const id of [
      'graph-circuit',
      'graph-layer',
      'graph-square',
      'graph-xss',
      'graph-mlp-small',
      'graph-1000',
      'gradcheck-fail',
      'gradcheck-pass',
      'jc-mlp',
      'jc-wide',
      'loss',
      'loss-stopped',
      'loss-xss',
    ]) {
      await p.locator(`#${id}`).screenshot({ path: path.join(out, `${id}-${themeName}.png`) });
    }
    // zoom into the big graph and screenshot again
    await p.click('#graph-1000 .gradlab-graph-canvas', { position: { x: 400, y: 100 } });
    for (let i = 0; i < 8; i++) await p.click('#graph-1000 button[aria-label="zoom in"]');
    await p.locator('#graph-1000').screenshot({ path: path.join(out, `graph-1000-zoomed-${themeName}.png`) });
    if (errors.length) console.log(themeName, 'page errors:', errors);
    await p.close();
  }
  const p = await browser.newPage();
  await p.goto(`${base}/static.html`);
  await p.waitForLoadState('load');
  for (const id of ['static-circuit', 'static-layer', 'static-xss', 'static-gradcheck', 'static-jc', 'static-loss', 'static-text']) {
    await p.locator(`#${id}`).screenshot({ path: path.join(out, `${id}.png`) });
  }
  await p.pdf?.({ path: path.join(out, 'static.pdf') }).catch(() => {});
} finally {
  await browser.close();
  server.close();
  fs.rmSync(profile, { recursive: true, force: true });
  fs.rmSync(build, { recursive: true, force: true });
}
console.log('screenshots in', path.relative(root, out));
