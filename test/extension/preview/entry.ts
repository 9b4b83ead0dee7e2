/**
 * Browser entry of the views preview (see run.mjs): draws every view from the
 * test fixtures into the page, so a person can look at screenshots of them.
 */
import { renderGradCheck } from '../../../extension/views/gradcheck';
import { renderGraph } from '../../../extension/views/graph';
import { renderJacobianChain } from '../../../extension/views/jacobian-chain';
import { renderLossCurve } from '../../../extension/views/loss-curve';
import * as F from '../../fixtures/payloads';

function section(id: string, title: string, width = 900): HTMLElement {
  const sec = document.createElement('section');
  sec.id = id;
  sec.style.width = `${width}px`;
  const h = document.createElement('h3');
  h.textContent = title;
  const host = document.createElement('div');
  host.className = 'host';
  sec.append(h, host);
  document.getElementById('views')!.append(sec);
  return host;
}

declare global {
  interface Window {
    gradlabPreview: { timings: Record<string, number>; done: Promise<void> };
  }
}

async function main(): Promise<void> {
  const timings: Record<string, number> = {};
  renderGraph(section('graph-circuit', 'graph: CS231n circuit'), F.circuitGraph);
  renderGraph(section('graph-layer', 'graph: a dense layer on tensors'), F.layerGraph);
  renderGraph(section('graph-square', 'graph: x·x and an omitted note'), { ...F.squareGraph, omitted: { nodes: 3, reason: 'demo of the note' } });
  renderGraph(section('graph-xss', 'graph: hostile names'), F.xssGraph);
  renderGraph(section('graph-mlp-small', 'graph: small scalar MLP (dagre)'), F.syntheticMlpGraph(60));
  const big = F.syntheticMlpGraph(1000);
  const bigHost = section('graph-1000', `graph: ${big.nodes.length} nodes`);
  const t = performance.now();
  const view = renderGraph(bigHost, big);
  timings.graph1000 = performance.now() - t;
  timings.graph1000Layout = view.figure!.layoutMs;
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  timings.graph1000Painted = performance.now() - t;
  renderGradCheck(section('gradcheck-fail', 'gradient check: failing'), F.gradCheckFail);
  renderGradCheck(section('gradcheck-pass', 'gradient check: passing'), F.gradCheckPass);
  renderJacobianChain(section('jc-mlp', 'Jacobian chain: MLP'), F.mlpChain);
  renderJacobianChain(section('jc-wide', 'Jacobian chain: wide output'), F.wideOutputChain);
  // A live curve: grows to 200 points, then finishes.
  const curve = renderLossCurve(section('loss', 'loss curve (live)'), F.lossCurvePayload(20, false));
  const stopped = renderLossCurve(section('loss-stopped', 'loss curve (stopped)'), F.lossCurvePayload(60, false, 'interrupted by the user at step 59'));
  const hostile = renderLossCurve(section('loss-xss', 'loss curve: hostile names, NaN gap'), {
    version: 1,
    kind: 'loss-curve',
    title: F.XSS_NAME,
    xLabel: '<i>step</i>',
    yLabel: 'loss',
    series: [{ name: '<a href="javascript:alert(1)">loss</a>', axis: 'y', x: [0, 1, 2, 3, 4, 5], y: [2, 1.5, 'NaN', 0.9, 0.7, 0.6] }],
    done: true,
  });
  await Promise.all([curve.ready, stopped.ready, hostile.ready]);
  for (let n = 40; n <= 200; n += 40) {
    await new Promise((r) => setTimeout(r, 50));
    curve.update(F.lossCurvePayload(n, n === 200));
  }
  await new Promise((r) => setTimeout(r, 300));
  window.gradlabPreview.timings = timings;
}

window.gradlabPreview = { timings: {}, done: main() };
