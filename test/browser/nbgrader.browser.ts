/**
 * nbgrader's JupyterLab extensions (formgrader, assignment list, course list, create assignment,
 * validate) next to gradlab's, in JupyterLab 4.6.4 and Chromium: they load without page errors,
 * and a student's "Validate" button gives the same verdicts as the checks — every test cell of the
 * release version fails with its "✗ not yet: … — hint", the solved notebook passes.
 *
 * JupyterLab is started on a copy of the course folder (course/: nbgrader_config.py, source/hw1),
 * where nbgrader generated hw1's release version first, so the formgrader finds its course.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, openBrowser, openNotebook, runAllCells, screenshotPath, startLab, type Browser, type Lab } from './lab';

const NB = '01-computational-graphs.ipynb';
/** The commands of nbgrader's lab extension (Validate is a notebook toolbar button, not a command). */
const COMMANDS = ['nbgrader:open-formgrader', 'nbgrader:open-assignment-list', 'nbgrader:open-course-list', 'nbgrader:open-create-assignment'];

let lab: Lab;
let browser: Browser;
let fixtures: string;

/** A course folder like course/ (links resolved) with hw1 generated, and the solved source notebook beside the release. */
function courseFixture(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-nbgrader-'));
  for (const f of ['nbgrader_config.py', 'grading.py']) fs.copyFileSync(path.join(ROOT, 'course', f), path.join(dir, f));
  fs.mkdirSync(path.join(dir, 'source', 'hw1'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'course', 'source', 'hw1', NB), path.join(dir, 'source', 'hw1', NB));
  fs.mkdirSync(path.join(dir, 'exchange'));
  const env = { ...process.env, PATH: `${path.join(ROOT, '.venv', 'bin')}:${process.env.PATH}`, GRADLAB_EXCHANGE: path.join(dir, 'exchange') };
  const r = spawnSync(path.join(ROOT, '.venv', 'bin', 'nbgrader'), ['generate_assignment', 'hw1', '--force'], { cwd: dir, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nbgrader generate_assignment failed:\n${r.stdout}\n${r.stderr}`);
  fs.mkdirSync(path.join(dir, 'solved'));
  fs.copyFileSync(path.join(ROOT, 'notebooks', NB), path.join(dir, 'solved', NB));
  return dir;
}

/** Clicks the notebook toolbar's "Validate" and returns the text of nbgrader's "Validation Results" dialog. */
async function validate(): Promise<string> {
  const { page } = browser;
  // nbgrader's button in the toolbar of the notebook shown (the one of a notebook opened before is hidden)
  await page.locator('.jp-NotebookPanel-toolbar .validate-button:visible', { hasText: 'Validate' }).click();
  const dialog = page.locator('.jp-Dialog', { hasText: 'Validation Results' });
  await dialog.waitFor({ timeout: 180_000 });
  const text = (await dialog.locator('.jp-Dialog-body').textContent()) ?? '';
  return text;
}

async function closeDialog(): Promise<void> {
  await browser.page.locator('.jp-Dialog .jp-mod-accept').click();
  await browser.page.locator('.jp-Dialog').waitFor({ state: 'detached' });
}

beforeAll(async () => {
  fixtures = courseFixture();
  process.env.GRADLAB_EXCHANGE = path.join(fixtures, 'exchange'); // read by the course's nbgrader_config.py in the server
  lab = await startLab(fixtures);
  browser = await openBrowser();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await lab?.stop();
  if (lab) fs.rmSync(lab.rootDir, { recursive: true, force: true });
  if (fixtures) fs.rmSync(fixtures, { recursive: true, force: true });
  delete process.env.GRADLAB_EXCHANGE;
});

describe("nbgrader's JupyterLab extensions next to gradlab", () => {
  it('register their commands and open their panels without page errors', async () => {
    const { page } = browser;
    await openNotebook(page, lab, `release/hw1/${NB}`);
    const has = await page.evaluate((ids) => ids.map((id) => (window as any).jupyterapp.commands.hasCommand(id)), COMMANDS);
    expect(has).toEqual(COMMANDS.map(() => true));
    // the student's view of the release: run it all; gradlab's figures draw, each check says "not yet" (stderr: JupyterLab tints it)
    await runAllCells(page);
    await page.waitForFunction(
      () => document.body.textContent?.includes('✗ not yet: lectureBackward matches the numerical gradient where x2 > x1'),
      undefined,
      {
        timeout: 120_000,
        polling: 250,
      },
    );
    expect(await page.locator('[data-gradlab-view="graph"]').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]', { hasText: '✗ not yet:' }).count()).toBe(3);
    await page.screenshot({ path: screenshotPath('nbgrader-release-run') });
    for (const id of ['nbgrader:open-assignment-list', 'nbgrader:open-formgrader', 'nbgrader:open-course-list']) {
      await page.evaluate((c) => (window as any).jupyterapp.commands.execute(c), id);
      await page.waitForTimeout(1500);
    }
    // the course list finds this folder's course (nbgrader_config.py: course id "gradlab")
    await page.locator('#courses #formgrader_list', { hasText: 'gradlab' }).waitFor({ timeout: 20_000 });
    await page.screenshot({ path: screenshotPath('nbgrader-panels') });
    expect(browser.errors).toEqual([]);
  });

  it('Validate on the release version lists every test cell as failed, with the check\'s "not yet" and its hint', async () => {
    const { page } = browser;
    await openNotebook(page, lab, `release/hw1/${NB}`);
    const text = await validate();
    await page.screenshot({ path: screenshotPath('nbgrader-validate-release') });
    await closeDialog();
    expect(text.match(/The following cell failed:/g)?.length).toBe(3);
    for (const line of [
      '✗ not yet: topoOrder on the small graph — topoOrder is not implemented yet (replace gl.todo(...) with your code). Hint: every node must appear exactly once',
      "✗ not yet: lectureForward matches the engine's forward pass — lectureForward is not implemented yet",
      '✗ not yet: lectureBackward matches backprop at x0 — lectureBackward is not implemented yet',
    ]) {
      expect(text).toContain(line);
    }
    expect(browser.errors).toEqual([]);
  });

  it('Validate on the solved notebook says it passes all the tests', async () => {
    const { page } = browser;
    await openNotebook(page, lab, `solved/${NB}`);
    const text = await validate();
    await page.screenshot({ path: screenshotPath('nbgrader-validate-solved') });
    await closeDialog();
    expect(text).toContain('Success! Your notebook passes all the tests.');
    expect(browser.errors).toEqual([]);
  });
});
