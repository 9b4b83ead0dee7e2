/**
 * JupyterLab (from the project's .venv, with the tslab kernel and the gradlab
 * extension installed there by scripts/setup.sh) and Debian's Chromium driven
 * by playwright-core, for the browser tests.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser as Chromium, type BrowserContext, type Page } from 'playwright-core';

export const ROOT = path.resolve(__dirname, '..', '..');
const SCREENSHOTS = path.join(ROOT, 'screenshots');
export const OUTPUT = path.join(ROOT, 'test-output', 'browser');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Without the networking flags Chromium keeps trying to reach the internet. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Lab {
  url: string;
  token: string;
  /** The folder JupyterLab serves (a scratch copy of the fixtures, inside the project so `gradlab` resolves). */
  rootDir: string;
  log: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForServer(url: string, child: ChildProcess, log: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`JupyterLab exited with ${child.exitCode}:\n${fs.readFileSync(log, 'utf8').slice(-3000)}`);
    }
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`JupyterLab did not answer within ${timeoutMs} ms:\n${fs.readFileSync(log, 'utf8').slice(-3000)}`);
}

/** Copies `fixtures` into a fresh scratch folder and starts JupyterLab on it (127.0.0.1, a free port, a token). */
export async function startLab(fixtures: string): Promise<Lab> {
  const jupyter = path.join(ROOT, '.venv', 'bin', 'jupyter');
  if (!fs.existsSync(jupyter)) throw new Error(`${jupyter} is missing: run scripts/setup.sh first`);
  fs.mkdirSync(OUTPUT, { recursive: true });
  const rootDir = fs.mkdtempSync(path.join(OUTPUT, 'lab-'));
  fs.cpSync(fixtures, rootDir, { recursive: true });
  const runtimeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-jupyter-runtime-'));
  // This lab's own workspaces and user settings, removed when it stops: JupyterLab would otherwise
  // read and write ~/.jupyter/lab/ — restore another run's open files (404s in the page), and keep
  // the theme a test switched to (a test left on "JupyterLab Dark" made the next lab start dark).
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-lab-state-'));
  const port = await freePort();
  const token = randomBytes(24).toString('hex');
  const log = `${rootDir}.jupyter.log`; // beside the served folder, not in JupyterLab's file browser
  const out = fs.openSync(log, 'w');
  const args = [
    'lab',
    '--no-browser',
    '--ServerApp.ip=127.0.0.1',
    `--ServerApp.port=${port}`,
    '--ServerApp.port_retries=0',
    `--IdentityProvider.token=${token}`,
    `--ServerApp.root_dir=${rootDir}`,
    // window.jupyterapp: lets a test run commands (run all cells) and read kernel state.
    '--LabApp.expose_app_in_browser=True',
    `--LabApp.workspaces_dir=${path.join(stateDir, 'workspaces')}`,
    `--LabApp.user_settings_dir=${path.join(stateDir, 'user-settings')}`,
  ];
  if (process.getuid?.() === 0) args.push('--allow-root');
  const child = spawn(jupyter, args, {
    cwd: rootDir,
    stdio: ['ignore', out, out],
    detached: true, // its own process group, so stop() also ends the kernels it started
    env: { ...process.env, JUPYTER_RUNTIME_DIR: runtimeDir },
  });
  fs.closeSync(out);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid, 'SIGTERM');
    const timer = setTimeout(() => child.exitCode === null && process.kill(-child.pid!, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    fs.rmSync(runtimeDir, { recursive: true, force: true });
    fs.rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    await waitForServer(`${url}/api/status?token=${token}`, child, log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, token, rootDir, log, stop };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors and console errors seen so far. */
  errors: string[];
  close(): Promise<void>;
}

/** Collects a page's uncaught errors and console errors, from now on. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return errors;
}

/** Debian's Chromium, headless, in a fresh profile. */
export async function openBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh --browser`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 1000 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = watchErrors(page);
  const close = async () => {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { context, page, errors, close };
}

/**
 * Debian's Chromium, headless, as one browser that makes separate contexts (`newContext()`: own
 * cookies and storage each), e.g. one per user of a hub; openBrowser's persistent context cannot.
 */
export async function launchChromium(): Promise<Chromium> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh --browser`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** Opens a notebook in JupyterLab and waits until its kernel is idle. */
export async function openNotebook(page: Page, lab: Lab, name: string): Promise<void> {
  await page.goto(`${lab.url}/lab/tree/${encodeURIComponent(name)}?token=${lab.token}`);
  await page.waitForFunction(
    () => {
      const app = (window as any).jupyterapp;
      const widget = app?.shell?.currentWidget;
      return widget?.sessionContext?.session?.kernel?.status === 'idle';
    },
    undefined,
    { timeout: 60_000, polling: 200 },
  );
}

/** Starts running every cell of the open notebook (does not wait for them). */
export async function runAllCells(page: Page): Promise<void> {
  await page.evaluate(() => {
    void (window as any).jupyterapp.commands.execute('notebook:run-all-cells');
  });
}

/** The `index`-th cell of the open notebook. */
export function cellLocator(page: Page, index: number) {
  return page.locator('.jp-Notebook .jp-Cell').nth(index);
}

export function screenshotPath(name: string): string {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  return path.join(SCREENSHOTS, `${name}.png`);
}

/** A tslab notebook of code cells `[id, source]`, after `import * as gl from "gradlab"` and before a last cell printing "@@done". */
export function tslabNotebook(cells: [string, string][]): object {
  const code = (id: string, source: string) => ({ cell_type: 'code', id, metadata: {}, execution_count: null, outputs: [], source });
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' }, language_info: { name: 'typescript' } },
    cells: [code('import', 'import * as gl from "gradlab";'), ...cells.map(([id, source]) => code(id, source)), code('last', 'console.log("@@done");')],
  };
}

/**
 * Runs every cell of the open notebook and waits for "@@done" in an output (the last cell's source,
 * in the editor, says it too: only outputs count). On a timeout the error lists what each cell printed.
 */
async function runAllAndWait(page: Page, timeout = 180_000): Promise<void> {
  await runAllCells(page);
  await page
    .waitForFunction(() => [...document.querySelectorAll('.jp-OutputArea-output')].some((o) => o.textContent?.includes('@@done')), undefined, {
      timeout,
      polling: 250,
    })
    .catch(async (error) => {
      const outputs = await page.evaluate(() =>
        [...document.querySelectorAll('.jp-Notebook .jp-Cell')].map((c, i) => `[${i}] ${c.querySelector('.jp-OutputArea')?.textContent?.slice(0, 500) ?? ''}`),
      );
      throw new Error(`${error.message}\nthe cells' outputs:\n${outputs.join('\n')}`);
    });
  await page.waitForTimeout(800); // let the renderers settle
}

/** A notebook written to a fresh folder, JupyterLab on it, Chromium showing it, every cell run; `close()` undoes it all. */
export interface Fixture {
  lab: Lab;
  browser: Browser;
  close(): Promise<void>;
}

export async function openFixture(name: string, notebook: object, opts: { viewport?: { width: number; height: number } } = {}): Promise<Fixture> {
  const fixtures = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-browser-'));
  fs.writeFileSync(path.join(fixtures, name), JSON.stringify(notebook, null, 1));
  let lab: Lab | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close().catch(() => undefined);
    await lab?.stop().catch(() => undefined);
    if (lab) fs.rmSync(lab.rootDir, { recursive: true, force: true });
    fs.rmSync(fixtures, { recursive: true, force: true });
  };
  try {
    lab = await startLab(fixtures);
    browser = await openBrowser();
    if (opts.viewport) await browser.page.setViewportSize(opts.viewport);
    await openNotebook(browser.page, lab, name);
    await runAllAndWait(browser.page);
    return { lab, browser, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** A notebook executed headless, exported with `jupyter nbconvert --to html`, and open in Chromium. */
export interface Exported {
  browser: Browser;
  page: Page;
  /** The HTML file. */
  html: string;
  /** Messages of dialogs the page opened (dismissed): an exported figure must open none. */
  dialogs: string[];
  /** Closes the browser and removes the export's folder. */
  close(): Promise<void>;
}

/**
 * `notebook` (JSON, or the path of a notebook to copy) written as `name` to a fresh folder under
 * test-output/browser/, executed and exported to HTML by nbconvert (the .venv's, no extension), and
 * opened in Chromium offline: the page links CDN scripts (MathJax, require.js), so only file: URLs load.
 */
export async function openExport(name: string, notebook: object | string): Promise<Exported> {
  fs.mkdirSync(OUTPUT, { recursive: true }); // a fresh clone has no test-output/ yet
  const dir = fs.mkdtempSync(path.join(OUTPUT, `export-${path.basename(name, '.ipynb')}-`));
  const file = path.join(dir, name);
  if (typeof notebook === 'string') fs.copyFileSync(notebook, file);
  else fs.writeFileSync(file, JSON.stringify(notebook, null, 1));
  const jupyter = path.join(ROOT, '.venv', 'bin', 'jupyter');
  const result = spawnSync(jupyter, ['nbconvert', '--to', 'html', '--execute', '--ExecutePreprocessor.timeout=120', file], { cwd: dir, encoding: 'utf8' });
  if (result.status !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`nbconvert failed:\n${result.stderr}`);
  }
  const html = file.replace(/\.ipynb$/, '.html');
  const browser = await openBrowser();
  const dialogs: string[] = [];
  const { page, context } = browser;
  await context.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort()));
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
  const close = async () => {
    await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return { browser, page, html, dialogs, close };
}
