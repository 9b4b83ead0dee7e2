/** The static fallbacks of the fixtures on one page, inlined the way nbconvert's HTML export inlines them. */
import { gradCheckHtml, gradCheckText, graphSvg, jacobianChainHtml, jacobianChainText, lossCurveSvg } from '../../../engine/display/figures/index';
import * as F from '../../fixtures/payloads';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function staticPage(): string {
  const sec = (id: string, body: string) => `<section id="${id}" style="display:inline-block;margin:12px">${body}</section><br>`;
  return `<!doctype html><html><head><meta charset="utf-8"></head><body style="background:#fff;margin:16px">
${sec('static-circuit', graphSvg(F.circuitGraph))}
${sec('static-layer', graphSvg(F.layerGraph))}
${sec('static-xss', graphSvg(F.xssGraph))}
${sec('static-gradcheck', gradCheckHtml(F.gradCheckFail))}
${sec('static-jc', jacobianChainHtml(F.mlpChain))}
${sec('static-loss', lossCurveSvg(F.lossCurvePayload(200, false, 'interrupted at step 199')))}
${sec('static-text', `<pre>${esc(gradCheckText(F.gradCheckFail))}\n\n${esc(jacobianChainText(F.mlpChain))}</pre>`)}
</body></html>`;
}
