/**
 * The computational graph's static fallbacks: the figure model
 * (figures/graph.ts) as a self-contained SVG picture, and the graph as short
 * plain text. A notebook read without the extension shows one of them.
 *
 * Pure functions: no DOM, no Node APIs.
 */
import type { GraphPayload } from '../contract';
import { asText, escapeXml, formatCount, formatShape, shorten, summaryLines, INK, FONT, SANS, round1 } from './format';
import {
  GRAPH_FONT_PX,
  LABEL_W,
  MAX_OP_CHARS,
  graphFigure,
  groupKey,
  nodeTitle,
  normalizeNodes,
  type FigureGroup,
  type FigureLine,
  type FigureNode,
} from './graph';
import { MARGIN } from './graph-layout';

/** Pictures with more boxes than this leave out the per-box tooltips (an `<img>` never shows them anyway). */
const SVG_TOOLTIPS_MAX = 400;

/** The static picture's classes: edges, ops, boxes by kind, text roles (INK colours, no CSS variables). */
const SVG_STYLE = [
  `.e{fill:none;stroke:${INK.edge};stroke-width:1.2}`,
  `.a{fill:${INK.edge}}`,
  `.el{font-size:10px;fill:${INK.muted};stroke:#fff;stroke-width:3;paint-order:stroke;text-anchor:middle}`,
  `.o{fill:${INK.opFill};stroke:${INK.opStroke};stroke-width:1.2}`,
  `.ol{fill:${INK.opStroke};font-weight:600;text-anchor:middle}`,
  `.ok{stroke:${INK.opStroke};stroke-width:1.2}`,
  `.oa{fill:${INK.opStroke}}`,
  `.b{fill:${INK.box};stroke:${INK.boxStroke};stroke-width:1}`,
  `.bl{fill:${INK.leafFill}}`,
  `.bc{fill:${INK.constFill};stroke-dasharray:4 3}`,
  `.bo{stroke:${INK.output};stroke-width:2.5}`,
  `.bf{stroke:${INK.bad};stroke-width:2.5}`,
  `.gl{fill:${INK.grad}}`,
  `.gr{fill:${INK.opFill};stroke:${INK.opStroke};stroke-width:1.5}`,
  `.gs{fill:${INK.opFill};stroke:${INK.opStroke};stroke-width:1}`,
  `.gf{fill:none;stroke:${INK.opStroke};stroke-width:1;stroke-dasharray:5 3}`,
  `.gx{stroke:${INK.bad};stroke-width:2.5}`,
  `.t{font-weight:700;fill:${INK.text}}`,
  `.l{font-size:11px;fill:${INK.muted}}`,
  `.v{fill:${INK.text}}`,
  `.g{fill:${INK.grad};font-weight:600}`,
  `.c{fill:${INK.bad};font-weight:600}`,
].join('');

/**
 * The graph as a self-contained SVG document (image/svg+xml): every node's
 * name, shape, value and gradient, the ops, and the edges with their shapes.
 */
export function graphSvg(p: GraphPayload): string {
  const fig = graphFigure(p);
  const title = typeof p?.title === 'string' ? p.title : '';
  const head: string[] = [];
  if (title) head.push(title);
  head.push(...fig.notes);
  if (fig.groups.some((g) => g.collapsed))
    head.push('This static picture shows the groups collapsed; the JupyterLab view (gradlab extension) expands a group when clicked.');
  const headH = head.length ? head.length * 18 + 8 : 0;
  const legendH = 22;
  const W = Math.max(fig.width, 560); // room for the legend
  const H = fig.height + headH + legendH;
  const o: string[] = [];
  o.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${escapeXml(FONT)}" font-size="${GRAPH_FONT_PX}">`,
  );
  o.push(`<title>${escapeXml(title || 'gradlab computational graph')}</title>`);
  o.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  head.forEach((line, i) => {
    const isTitle = title !== '' && i === 0;
    o.push(
      `<text x="${MARGIN}" y="${18 + i * 18}" font-family="${escapeXml(SANS)}" font-size="${isTitle ? 14 : 12}" ${isTitle ? 'font-weight="600"' : ''} fill="${isTitle ? INK.text : INK.note}">${escapeXml(isTitle ? line : '⚠ ' + line)}</text>`,
    );
  });
  // Repeated styles as classes: a 1,000-node picture is half the bytes and builds faster.
  o.push(`<style>${SVG_STYLE}</style>`);
  const tips = fig.nodes.length + fig.groups.length <= SVG_TOOLTIPS_MAX;
  o.push(`<g transform="translate(0,${headH})">`);
  for (const g of fig.groups) if (!g.collapsed) o.push(svgGroup(g, tips));
  for (const e of fig.edges) {
    o.push(`<path class="e" d="${e.d}"/><polygon class="a" points="${e.arrow}"/>`);
    if (e.label) o.push(`<text class="el" x="${round1(e.lx)}" y="${round1(e.ly)}">${escapeXml(e.label)}</text>`);
  }
  for (const g of fig.groups) if (g.collapsed) o.push(svgGroup(g, tips));
  for (const n of fig.nodes) o.push(svgNode(n, tips));
  o.push('</g>');
  o.push(svgLegend(MARGIN, H - 7));
  o.push('</svg>');
  return o.join('\n');
}

/** A collapsed group's box (its lines as in a value box), or an expanded group's frame and label. */
function svgGroup(g: FigureGroup, tip: boolean): string {
  const { x, y, w, h } = g.box;
  const bad = g.check ? ' gx' : '';
  const o: string[] = [`<g>`];
  if (tip) o.push(`<title>${escapeXml(g.tooltip)}</title>`);
  if (g.collapsed) {
    o.push(`<rect class="gs${bad}" x="${round1(x + 4)}" y="${round1(y + 4)}" width="${round1(w)}" height="${round1(h)}" rx="6"/>`);
    o.push(`<rect class="gr${bad}" x="${round1(x)}" y="${round1(y)}" width="${round1(w)}" height="${round1(h)}" rx="6"/>`);
  } else {
    o.push(`<rect class="gf${bad}" x="${round1(x)}" y="${round1(y)}" width="${round1(w)}" height="${round1(h)}" rx="8"/>`);
  }
  o.push(...svgLines(g.lines));
  o.push('</g>');
  return o.join('');
}

function svgLines(lines: FigureLine[]): string[] {
  const o: string[] = [];
  for (const l of lines) {
    if (l.role === 'title') {
      o.push(`<text class="t" x="${round1(l.x)}" y="${round1(l.y)}">${escapeXml(l.text)}</text>`);
    } else {
      const cls = l.role === 'grad' ? 'g' : l.role === 'check' ? 'c' : 'v';
      if (l.label) o.push(`<text class="l${cls === 'v' ? '' : ' ' + cls}" x="${round1(l.x)}" y="${round1(l.y)}">${escapeXml(l.label)}</text>`);
      o.push(`<text class="${cls}" x="${round1(l.x + LABEL_W)}" y="${round1(l.y)}">${escapeXml(l.text)}</text>`);
    }
  }
  return o;
}

function svgNode(n: FigureNode, tip: boolean): string {
  const o: string[] = [`<g>`];
  if (tip) o.push(`<title>${escapeXml(n.tooltip)}</title>`);
  if (n.op) {
    const { cx, cy, rx, ry } = n.op;
    o.push(`<ellipse class="o" cx="${round1(cx)}" cy="${round1(cy)}" rx="${round1(rx)}" ry="${ry}"/>`);
    o.push(`<text class="ol" x="${round1(cx)}" y="${round1(cy + 4)}">${escapeXml(n.op.label)}</text>`);
    const x1 = cx + rx;
    const x2 = n.box.x - 1;
    const y = n.box.y + n.box.h / 2;
    o.push(`<line class="ok" x1="${round1(x1)}" y1="${round1(cy)}" x2="${round1(x2 - 6)}" y2="${round1(y)}"/>`);
    o.push(`<polygon class="oa" points="${round1(x2)},${round1(y)} ${round1(x2 - 7)},${round1(y - 3.5)} ${round1(x2 - 7)},${round1(y + 3.5)}"/>`);
  }
  const { x, y, w, h } = n.box;
  const cls = ['b'];
  if (n.kind === 'leaf') cls.push('bl');
  if (n.kind === 'const') cls.push('bc');
  if (n.output) cls.push('bo');
  if (n.check) cls.push('bf');
  o.push(`<rect class="${cls.join(' ')}" x="${round1(x)}" y="${round1(y)}" width="${round1(w)}" height="${round1(h)}" rx="4"/>`);
  if (n.gradLeaf) o.push(`<rect class="gl" x="${round1(x)}" y="${round1(y)}" width="4" height="${round1(h)}" rx="2"/>`);
  o.push(...svgLines(n.lines));
  o.push('</g>');
  return o.join('');
}

function svgLegend(x: number, y: number): string {
  const f = escapeXml(SANS);
  return [
    `<g font-family="${f}" font-size="11" fill="${INK.muted}">`,
    `<ellipse cx="${x + 8}" cy="${y - 4}" rx="8" ry="6" fill="${INK.opFill}" stroke="${INK.opStroke}"/>`,
    `<text x="${x + 20}" y="${y}">op</text>`,
    `<rect x="${x + 44}" y="${y - 10}" width="16" height="12" rx="2" fill="#fff" stroke="${INK.boxStroke}"/>`,
    `<text x="${x + 64}" y="${y}">value (grad = ∂output/∂value, in orange)</text>`,
    `<rect x="${x + 300}" y="${y - 10}" width="4" height="12" fill="${INK.grad}"/>`,
    `<text x="${x + 309}" y="${y}">leaf that requires grad</text>`,
    `<rect x="${x + 450}" y="${y - 10}" width="16" height="12" rx="2" fill="#fff" stroke="${INK.output}" stroke-width="2"/>`,
    `<text x="${x + 470}" y="${y}">output</text>`,
    `</g>`,
  ].join('');
}

/** The graph as short plain text: one line per node (the first 40), with value and gradient. */
export function graphText(p: GraphPayload): string {
  const notes: string[] = [];
  const nodes = normalizeNodes(p, notes);
  const out = typeof p?.output === 'number' ? p.output : nodes.length - 1;
  const leaves = nodes.filter((n) => n.kind === 'leaf').length;
  const ops = nodes.filter((n) => n.kind === 'op').length;
  const lines: string[] = [];
  const title = typeof p?.title === 'string' && p.title ? `${p.title}: ` : '';
  lines.push(`${title}graph of ${nodes.length} nodes (${leaves} leaves, ${ops} ops), output ${nodes[out] ? shorten(nodeTitle(nodes[out]), 80) : '?'}`);
  if (p?.omitted)
    lines.push(
      p.omitted.nodes === 0 ? `(left out: ${asText(p.omitted.reason)})` : `(${formatCount(p.omitted.nodes)} nodes left out: ${asText(p.omitted.reason)})`,
    );
  const scopes = new Set(nodes.filter((n) => n.scope.length > 0).map((n) => groupKey(n.scope.slice(0, 1))));
  if (scopes.size > 0)
    lines.push(
      `${formatCount(scopes.size)} top-level scope group${scopes.size === 1 ? '' : 's'}: ${[...scopes].slice(0, 5).join(', ')}${scopes.size > 5 ? ', …' : ''}`,
    );
  lines.push(...notes);
  const LIMIT = 40;
  for (const n of nodes.slice(0, LIMIT)) {
    const args =
      n.inputs
        .slice(0, 8)
        .map((j) => shorten(nodeTitle(nodes[j]), 32))
        .join(', ') + (n.inputs.length > 8 ? `, … ${formatCount(n.inputs.length - 8)} more` : '');
    const what = n.kind === 'op' ? `${shorten(n.op, MAX_OP_CHARS)}(${args})` : n.kind + (n.requiresGrad ? ', requires grad' : '');
    const shape = n.shape.length ? ` [${formatShape(n.shape)}]` : '';
    const val = summaryLines(n.value).join(' ');
    const grad = n.grad ? `  grad ${summaryLines(n.grad).join(' ')}` : '';
    lines.push(`  ${shorten(nodeTitle(n), 80)}${shape} = ${what}: ${val}${grad}`);
  }
  if (nodes.length > LIMIT) lines.push(`  … ${nodes.length - LIMIT} more nodes`);
  return lines.join('\n');
}
