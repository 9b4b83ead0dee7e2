/**
 * The one output widget of the extension: checks a payload and hands it to
 * the view for its kind. JupyterLab calls `renderModel` again on the same
 * widget for every `update_display_data` (a live loss curve), so each call
 * replaces what the previous one drew.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import {
  MIME,
  type ConfusionMatrixPayload,
  type DecisionBoundaryPayload,
  type GradCheckPayload,
  type GradlabMime,
  type GradlabPayload,
  type GraphPayload,
  type ImageGridPayload,
  type JacobianChainPayload,
  type LossCurvePayload,
} from '../engine/display/contract';
import { renderConfusionMatrix } from './views/confusionMatrix';
import { renderDecisionBoundary } from './views/decisionBoundary';
import { renderGradCheck } from './views/gradcheck';
import { renderGraph } from './views/graph';
import { renderImageGrid } from './views/imageGrid';
import { renderJacobianChain } from './views/jacobianChain';
import { renderLossCurve } from './views/lossCurve';

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
type ViewFunction = (host: HTMLElement, payload: never) => View;

/** MIME type → the payload `kind` it must carry and the view that draws it. */
const VIEWS: Record<GradlabMime, { kind: GradlabPayload['kind']; render: ViewFunction }> = {
  [MIME.graph]: { kind: 'graph', render: renderGraph as (h: HTMLElement, p: GraphPayload) => View },
  [MIME.gradcheck]: { kind: 'gradcheck', render: renderGradCheck as (h: HTMLElement, p: GradCheckPayload) => View },
  [MIME.jacobianChain]: {
    kind: 'jacobian-chain',
    render: renderJacobianChain as (h: HTMLElement, p: JacobianChainPayload) => View,
  },
  [MIME.lossCurve]: { kind: 'loss-curve', render: renderLossCurve as (h: HTMLElement, p: LossCurvePayload) => View },
  [MIME.decisionBoundary]: {
    kind: 'decision-boundary',
    render: renderDecisionBoundary as (h: HTMLElement, p: DecisionBoundaryPayload) => View,
  },
  [MIME.confusionMatrix]: {
    kind: 'confusion-matrix',
    render: renderConfusionMatrix as (h: HTMLElement, p: ConfusionMatrixPayload) => View,
  },
  [MIME.imageGrid]: { kind: 'image-grid', render: renderImageGrid as (h: HTMLElement, p: ImageGridPayload) => View },
};

/** The payload version this build of the extension draws. */
const VERSION = 1;

/**
 * Why `payload` cannot be drawn as `kind`, or null when it can.
 * Only the envelope is checked here; the views check what they read.
 */
export function payloadProblem(payload: unknown, kind: string): string | null {
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

  constructor(options: IRenderMime.IRendererOptions) {
    super();
    this.mimeType = options.mimeType;
    this.addClass('gradlab-view');
    // JupyterLab marks only its built-in renderers' nodes with this; browser tests look for ours.
    this.node.dataset.mimeType = options.mimeType;
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const spec = VIEWS[this.mimeType as GradlabMime];
    const payload = model.data[this.mimeType];
    const problem = spec ? payloadProblem(payload, spec.kind) : `no view for ${this.mimeType}`;
    if (problem !== null) {
      this.showError(problem, model);
      return Promise.resolve();
    }
    try {
      if (this.view?.update) {
        this.view.update(payload as never);
      } else {
        this.clear();
        const host = document.createElement('div');
        host.className = 'gradlab-host';
        this.node.appendChild(host);
        this.view = spec.render(host, payload as never);
      }
    } catch (error) {
      this.showError(`the view failed: ${error instanceof Error ? error.message : String(error)}`, model);
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
    this.removeClass('gradlab-error');
    try {
      view?.dispose();
    } finally {
      this.node.replaceChildren();
    }
  }

  /** A readable message in the output area, followed by the bundle's text form when it has one. */
  private showError(problem: string, model: IRenderMime.IMimeModel): void {
    this.clear();
    this.addClass('gradlab-error');
    const message = document.createElement('div');
    message.className = 'gradlab-error-message';
    message.setAttribute('role', 'alert');
    message.textContent = `gradlab cannot draw this output (${this.mimeType}): ${problem}.`;
    this.node.appendChild(message);
    const text = model.data['text/plain'];
    if (typeof text === 'string') {
      const pre = document.createElement('pre');
      pre.textContent = text;
      this.node.appendChild(pre);
    }
  }
}
