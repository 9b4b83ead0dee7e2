/**
 * Browser entry of the pictures preview (see pictures.mjs): draws the
 * payloads the engine built (fetched as JSON) with the extension's views.
 */
import { renderConfusionMatrix } from '../../../extension/views/confusion-matrix';
import { renderDecisionBoundary } from '../../../extension/views/decision-boundary';
import { renderImageGrid } from '../../../extension/views/image-grid';

const VIEWS: Record<string, (host: HTMLElement, p: never) => unknown> = {
  'decision-boundary': renderDecisionBoundary,
  'confusion-matrix': renderConfusionMatrix,
  'image-grid': renderImageGrid,
};

async function main(): Promise<void> {
  const payloads: Record<string, { kind: string }> = await (await fetch('/payloads.json')).json();
  for (const [id, p] of Object.entries(payloads)) {
    const sec = document.createElement('section');
    sec.id = id;
    sec.style.width = '760px';
    const host = document.createElement('div');
    sec.append(host);
    document.getElementById('views')!.append(sec);
    VIEWS[p.kind](host, p as never);
  }
  document.body.dataset.done = 'true';
}
void main();
