// Pictures preview: builds decision-boundary, confusion-matrix and image-grid payloads with the
// engine (dist/, so run `npm run build` first) from small real trainings, draws them with the
// extension's views in headless Chromium in JupyterLab's light and dark themes, and renders the
// static fallbacks the way an nbconvert HTML export shows them (SVG as <img>, HTML inline).
// Screenshots go to screenshots/pictures/ (git-ignored): look at them.
//   node test/extension/preview/pictures.mjs
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const out = path.join(root, 'screenshots/pictures');
const build = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-pictures-'));
fs.mkdirSync(out, { recursive: true });
const require = createRequire(import.meta.url);
const gl = require(path.join(root, 'dist/engine/index.js'));
const { bundleOf } = require(path.join(root, 'dist/engine/display/show.js'));

// ---- payloads from real (small, seeded) trainings --------------------------
const quiet = { curve: false };
const spiral = gl.data.spiral({ seed: 0 });
const net = gl.nn.mlp([2, 100, 3], { seed: 0 });
await gl.nn.train(net, spiral, { lr: 0.5, momentum: 0.9, batchSize: 64, epochs: 60, ...quiet });
const moons = gl.data.moons({ seed: 0 });
const linear = gl.nn.mlp([2, 2], { seed: 0 });
await gl.nn.train(linear, moons, { lr: 0.5, batchSize: 32, epochs: 20, ...quiet });
const { train, test } = gl.data.digits({ scale: true });
const dnet = gl.nn.mlp([64, 32, 10], { seed: 0 });
await gl.nn.train(dnet, train, { lr: 0.1, momentum: 0.9, batchSize: 64, epochs: 3, ...quiet });
const labels = test.y.toArray();
const pred = gl.nn.predict(gl.nn.scores(dnet, test.X));

const payloads = {
  'boundary-spiral': gl.decisionBoundary(net, spiral.X, spiral.y, { title: 'two-layer ReLU net on the spiral', classes: ['arm A', 'arm B', 'arm C'] }).payload,
  'boundary-moons': gl.decisionBoundary(linear, moons.X, moons.y, { title: 'a linear classifier on two moons' }).payload,
  'confusion-digits': gl.confusionMatrix(pred, test.y, { title: 'digits test set, 3 epochs' }).payload,
  'grid-digits': gl.imageGrid(gl.slice(test.X, 0, 30), { title: 'test digits', captions: (i) => `${labels[i]} → ${pred[i]}` }).payload,
  'grid-weights': gl.imageGrid(dnet.weights()[0].T, { title: 'first-layer weights (one image per hidden unit)', captions: (i) => `unit ${i}`, columns: 8 })
    .payload,
  hostile: gl.confusionMatrix([0, 1, 1], [0, 1, 0], { classes: ['<img src=x onerror=alert(1)>', '<b>bold</b>'], title: '<script>alert(1)</script>' }).payload,
  'hostile-grid': gl.imageGrid(
    gl.tensor([
      [0, 1, 2, 3],
      [3, 2, 1, 0],
    ]),
    { captions: ['<img src=x onerror=alert(1)>', '&amp;'] },
  ).payload,
};
fs.writeFileSync(path.join(build, 'payloads.json'), JSON.stringify(payloads));
const b64 = (s) => Buffer.from(s).toString('base64');
const staticHtml = Object.entries(payloads)
  .map(([id, p]) => {
    const data = bundleOf(p).data;
    const fig = data['image/svg+xml'] ? `<img src="data:image/svg+xml;base64,${b64(data['image/svg+xml'])}">` : data['text/html'];
    return `<section id="static-${id}" style="display:inline-block;margin:12px">${fig}</section><br>`;
  })
  .join('\n');
fs.writeFileSync(
  path.join(build, 'static.html'),
  `<!doctype html><html><head><meta charset="utf-8"></head><body style="background:#fff;margin:16px">${staticHtml}</body></html>`,
);
fs.writeFileSync(
  path.join(out, 'text.txt'),
  Object.values(payloads)
    .map((p) => bundleOf(p).data['text/plain'])
    .join('\n\n'),
);

// ---- the views, in both themes ---------------------------------------------
execFileSync(
  path.join(root, 'node_modules/.bin/esbuild'),
  [path.join(here, 'pictures-entry.ts'), '--bundle', '--format=esm', `--outfile=${build}/entry.js`, '--log-level=warning'],
  { stdio: 'inherit' },
);
const theme = (name) => path.join(root, `.venv/share/jupyter/lab/themes/@jupyterlab/theme-${name}-extension/index.css`);
for (const name of ['light', 'dark']) {
  fs.writeFileSync(
    path.join(build, `${name}.html`),
    `<!doctype html><html><head><meta charset="utf-8">
<style>${fs.readFileSync(theme(name), 'utf8')}</style><style>${['base', 'graph', 'graph-steps', 'gradcheck', 'chain', 'curve', 'pictures'].map((n) => fs.readFileSync(path.join(root, 'style', n + '.css'), 'utf8')).join('\n')}</style>
<style>body{background:var(--jp-layout-color0);margin:16px} section{margin-bottom:24px;padding:8px}</style>
</head><body><div id="views"></div><script type="module" src="/entry.js"></script></body></html>`,
  );
}
const server = http.createServer((req, res) => {
  const file = path.join(build, decodeURIComponent(new URL(req.url, 'http://x').pathname));
  if (!file.startsWith(build) || !fs.existsSync(file)) return res.writeHead(404).end();
  const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.json') ? 'application/json' : 'text/html; charset=utf-8';
  res.writeHead(200, { 'content-type': type }).end(fs.readFileSync(file));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 820, height: 900 },
});
const errors = [];
try {
  for (const name of ['light', 'dark']) {
    const p = await browser.newPage();
    p.on('pageerror', (e) => errors.push(String(e)));
    p.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await p.goto(`${base}/${name}.html`);
    await p.waitForSelector('body[data-done="true"]');
    if (await p.$('#views img, #views script, #views b')) errors.push('a payload string became markup');
    // hover: a wrong point's neighbourhood in the spiral, an off-diagonal count, a digit
    const svg = p.locator('#boundary-spiral svg.gradlab-db-svg');
    await svg.hover({ position: { x: 120, y: 90 } });
    await p.locator('#confusion-digits td.gradlab-cm-off:not(.gradlab-cm-zero)').first().hover();
    await p.locator('#grid-digits .gradlab-ig-tile').nth(2).hover();
    for (const id of Object.keys(payloads)) await p.locator(`#${id}`).screenshot({ path: path.join(out, `${id}-${name}.png`) });
    await p.close();
  }
  const p = await browser.newPage();
  await p.goto(`${base}/static.html`);
  await p.waitForLoadState('load');
  for (const id of Object.keys(payloads)) await p.locator(`#static-${id}`).screenshot({ path: path.join(out, `static-${id}.png`) });
  // the static figures printed in grey
  await p.addStyleTag({ content: 'body{filter:grayscale(1)}' });
  await p.locator('#static-boundary-spiral').screenshot({ path: path.join(out, 'static-boundary-spiral-grey.png') });
} finally {
  await browser.close();
  server.close();
  fs.rmSync(profile, { recursive: true, force: true });
  fs.rmSync(build, { recursive: true, force: true });
}
if (errors.length) console.log('page errors:', errors);
console.log('screenshots in', path.relative(root, out));
