// @vitest-environment happy-dom
/**
 * The browser fuzz cases (test/browser/fuzz-cases.ts) through the real
 * renderer widget and every real view in happy-dom: a quick guard in the unit
 * suite that each mutant is drawn or refused with a message, as text, in
 * bounded time. The same cases run in JupyterLab and Chromium in
 * test/browser/fuzz.browser.ts.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { expect, it } from 'vitest';
import { GradlabRenderer } from '../../extension/renderer';
import { SEED, cases } from '../browser/fuzz-cases';

it(`draws or refuses every fuzz payload (seed ${SEED}), as text, each within a few seconds`, async () => {
  const problems: string[] = [];
  const tally = { view: 0, alert: 0 };
  const viewErrors: string[] = [];
  for (const c of cases()) {
    const widget = new GradlabRenderer({ mimeType: c.mime } as IRenderMime.IRendererOptions);
    document.body.appendChild(widget.node);
    const t0 = performance.now();
    await widget.renderModel({ data: { [c.mime]: c.data, 'text/plain': c.text }, metadata: {}, trusted: false, setData() {} });
    const ms = performance.now() - t0;
    const shown = widget.node.querySelector('[role="alert"]') ? 'alert' : widget.node.querySelector('[data-gradlab-view]') ? 'view' : 'nothing';
    // A payload the check passed but a view could not draw: the view's own message (it says what), listed to look at.
    const failed = widget.node.querySelector('.gradlab-view-error');
    if (failed) viewErrors.push(`${c.what}: ${failed.textContent}`);
    if (shown === 'nothing') problems.push(`${c.what}: nothing drawn`);
    else tally[shown]++;
    // generous: a hang is the failure, not speed (the machine running the suite may be loaded)
    if (ms > 5000) problems.push(`${c.what}: ${Math.round(ms)} ms`);
    if (widget.node.querySelector('img:not(.gradlab-loss-static):not(.gradlab-plot-static), script, iframe'))
      problems.push(`${c.what}: markup from the payload became elements`);
    widget.dispose();
    document.body.replaceChildren();
  }
  expect(problems).toEqual([]);
  expect(viewErrors).toEqual([]);
  expect((window as unknown as { __pwned?: unknown }).__pwned).toBeUndefined();
  expect(tally.view).toBeGreaterThan(10);
  expect(tally.alert).toBeGreaterThan(50);
}, 120_000);
