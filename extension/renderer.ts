/**
 * The one output widget of the extension: checks a payload against the
 * contract (validate.ts) and hands it to the view for its kind. A payload that
 * cannot be drawn shows what is wrong and the bundle's text form; one drawn
 * only in part (long strings cut, points left out) says so under the view.
 * JupyterLab calls `renderModel` again on the same widget for every
 * `update_display_data` (a live loss curve), so each call replaces what the
 * previous one drew.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import { MIME_KINDS, type GradlabPayload, type MimeKind } from '../engine/display/contract';
import { renderConfusionMatrix } from './views/confusion-matrix';
import { renderDecisionBoundary } from './views/decision-boundary';
import { renderFourWays } from './views/four-ways';
import { renderGradCheck } from './views/gradcheck';
import { renderGraph } from './views/graph';
import { renderImageGrid } from './views/image-grid';
import { renderJacobianChain } from './views/jacobian-chain';
import { renderLinePlot } from './views/line-plot';
import { renderLossCurve } from './views/loss-curve';
import { checkPayload, type PayloadCheck } from './validate';

/**
 * What a view function returns. `update`, when a view has it, redraws in place
 * for the next payload of the same kind (no flicker on live updates); without
 * it the view is disposed and drawn anew.
 */
export interface View {
  dispose(): void;
  update?(payload: never): void;
}

/** A view function: draws `payload` into `host`, an empty element it owns until disposed. */
type ViewFunction<P> = (host: HTMLElement, payload: P) => View;

/** The view of each payload kind of the contract (one missing does not compile). */
const VIEWS: { [K in GradlabPayload['kind']]: ViewFunction<Extract<GradlabPayload, { kind: K }>> } = {
  graph: renderGraph,
  gradcheck: renderGradCheck,
  'jacobian-chain': renderJacobianChain,
  'loss-curve': renderLossCurve,
  'decision-boundary': renderDecisionBoundary,
  'confusion-matrix': renderConfusionMatrix,
  'image-grid': renderImageGrid,
  plot: renderLinePlot,
  'four-ways': renderFourWays,
};

/** MIME type → the payload `kind` it must carry, as the contract derives them from its one list (`MIME`). */
const KIND_OF = new Map<string, MimeKind>(MIME_KINDS.map(({ mime, kind }) => [mime, kind]));

/** The payload version this build of the extension draws. */
const VERSION = 1;

/**
 * Why `payload` cannot be drawn as `kind`, or null when it can: the envelope
 * (an object of this version and kind), then the contract (see validate.ts).
 */
export function payloadProblem(payload: unknown, kind: string): string | null {
  const envelope = envelopeProblem(payload, kind);
  if (envelope !== null) return envelope;
  const { fatal } = checkPayload(payload, kind);
  return fatal.length ? fatal.join('; ') : null;
}

/** Whether `payload` is an object of this extension's version and of `kind`, or what it is instead. */
function envelopeProblem(payload: unknown, kind: string): string | null {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return `expected a JSON object, got ${payload === null ? 'null' : Array.isArray(payload) ? 'an array' : typeof payload}`;
  }
  const { version, kind: actualKind } = payload as { version?: unknown; kind?: unknown };
  if (version !== VERSION) {
    return `this extension draws payload version ${VERSION}, the output has version ${JSON.stringify(version) ?? 'none'}`;
  }
  if (actualKind !== kind) {
    return `expected kind "${kind}", the output has kind ${JSON.stringify(actualKind) ?? 'none'}`;
  }
  return null;
}

/** Renders one gradlab output. Marked with the `gradlab-view` class and a `data-mime-type` attribute. */
export class GradlabRenderer extends Widget implements IRenderMime.IRenderer {
  private readonly mimeType: string;
  private view: View | null = null;
  /** The notes under the view: what it left out or cut. */
  private notes: HTMLElement | null = null;

  constructor(options: IRenderMime.IRendererOptions) {
    super();
    this.mimeType = options.mimeType;
    this.addClass('gradlab-view');
    // JupyterLab marks only its built-in renderers' nodes with this; browser tests look for ours.
    this.node.dataset.mimeType = options.mimeType;
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const kind = KIND_OF.get(this.mimeType);
    if (kind === undefined) {
      this.showError([`no view for ${this.mimeType}`], model);
      return Promise.resolve();
    }
    const raw = model.data[this.mimeType];
    const envelope = envelopeProblem(raw, kind);
    if (envelope !== null) {
      this.showError([envelope], model);
      return Promise.resolve();
    }
    let check: PayloadCheck;
    try {
      check = checkPayload(raw, kind);
    } catch (error) {
      // not expected (the check reads plain JSON), but an output must never break the page
      this.showError([`the payload could not be checked: ${error instanceof Error ? error.message : String(error)}`], model);
      return Promise.resolve();
    }
    if (check.fatal.length) {
      this.showError(check.fatal, model);
      return Promise.resolve();
    }
    try {
      if (this.view?.update) {
        this.view.update(check.payload as never);
      } else {
        this.clear();
        const host = document.createElement('div');
        host.className = 'gradlab-host';
        this.node.appendChild(host);
        this.view = (VIEWS[kind] as ViewFunction<never>)(host, check.payload as never);
      }
      this.showNotes(check.notes);
      // A view that met something it could not draw says so (role=alert); the text form follows it.
      if (this.node.querySelector('.gradlab-view-error')) this.appendText(model);
    } catch (error) {
      this.showError([`the view failed: ${error instanceof Error ? error.message : String(error)}`], model);
    }
    return Promise.resolve();
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this.clear();
    super.dispose();
  }

  /** Disposes the current view and empties the node. */
  private clear(): void {
    const view = this.view;
    this.view = null;
    this.notes = null;
    this.removeClass('gradlab-error');
    try {
      view?.dispose();
    } finally {
      this.node.replaceChildren();
    }
  }

  /**
   * A readable message in the output area (one problem inline, several as a
   * list), followed by the bundle's text form when it has one.
   */
  private showError(problems: string[], model: IRenderMime.IMimeModel): void {
    this.clear();
    this.addClass('gradlab-error');
    const message = document.createElement('div');
    message.className = 'gradlab-error-message';
    message.setAttribute('role', 'alert');
    const head = `gradlab cannot draw this output (${this.mimeType})`;
    if (problems.length === 1) message.textContent = `${head}: ${problems[0]}.`;
    else {
      message.textContent = `${head}:`;
      const list = document.createElement('ul');
      for (const p of problems) {
        const item = document.createElement('li');
        item.textContent = p;
        list.appendChild(item);
      }
      message.appendChild(list);
    }
    this.node.appendChild(message);
    this.appendText(model);
  }

  /** The bundle's text/plain form, as text, at the end of the output. */
  private appendText(model: IRenderMime.IMimeModel): void {
    this.node.querySelector(':scope > .gradlab-fallback-text')?.remove();
    const text = model.data['text/plain'];
    if (typeof text === 'string') {
      const pre = document.createElement('pre');
      pre.className = 'gradlab-fallback-text';
      pre.textContent = text;
      this.node.appendChild(pre);
    }
  }

  /** Replaces the notes under the view (none: removes them). */
  private showNotes(notes: string[]): void {
    this.notes?.remove();
    this.notes = null;
    if (!notes.length) return;
    const box = document.createElement('div');
    box.className = 'gradlab-notes';
    box.setAttribute('role', 'status');
    for (const n of notes) {
      const line = document.createElement('div');
      line.textContent = `Not drawn in full: ${n}.`;
      box.appendChild(line);
    }
    this.node.appendChild(box);
    this.notes = box;
  }
}
