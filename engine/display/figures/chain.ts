/**
 * The Jacobian chain as a model (blocks, costs), and its static HTML and text fallbacks.
 *
 * Pure functions: no DOM, no Node APIs; shared by the extension's views and the
 * engine's static fallbacks, so both draw the same figure.
 */
import type { JacobianChainPayload } from '../contract';
import { asText, escapeXml, formatCount, formatShape, toNumber, INK, FONT, SANS, CELL, CELL_L, textTable } from './format';

// ---- Jacobian chain --------------------------------------------------------

/** One Jacobian block as drawn: sizes in pixels on a shared sub-linear scale. */
export interface JacobianBlock {
  /** 1-based position in the chain (J_1 is applied to the input first). */
  index: number;
  label: string;
  op: string;
  rows: number;
  cols: number;
  /** `rows × cols` with thousands separators. */
  dims: string;
  inShape: string;
  outShape: string;
  w: number;
  h: number;
}

/** The Jacobian chain, drawn in the order the product is written: J_k ··· J_2 · J_1. */
export interface JacobianChainModel {
  title: string;
  /** Blocks in product order: J_k first (output side, left), J_1 last (input side, right). */
  blocks: JacobianBlock[];
  scale: 'linear' | 'square root' | 'logarithmic';
  product: string;
  forwardCost: string;
  reverseCost: string;
  /** Which order costs fewer multiply-adds, from the costs themselves. */
  winner: 'forward' | 'reverse' | 'tie';
  /** The answer to "which is faster here, forward or reverse?". */
  verdict: string;
  /** Relative cost bar lengths in [0, 1]. */
  forwardBar: number;
  reverseBar: number;
  inShape: string;
  outShape: string;
}

const SUBSCRIPT = '₀₁₂₃₄₅₆₇₈₉';
/** `J` with a subscript index: J₁, J₁₂. */
export function jName(i: number): string {
  return 'J' + String(i).replace(/\d/g, (d) => SUBSCRIPT[Number(d)]);
}

/** Largest block side in pixels. */
const J_MAX = 120;
const J_MIN = 6;

/** Reads a Jacobian-chain payload into blocks with proportional (or sub-linear) sizes, costs and a verdict. */
export function jacobianChainModel(p: JacobianChainPayload): JacobianChainModel {
  const steps = Array.isArray(p?.steps) ? p.steps : [];
  const dimsOf = (s: (typeof steps)[number]) => ({
    rows: Number.isFinite(s?.rows) && s.rows > 0 ? s.rows : 1,
    cols: Number.isFinite(s?.cols) && s.cols > 0 ? s.cols : 1,
  });
  const all = steps.flatMap((s) => {
    const d = dimsOf(s);
    return [d.rows, d.cols];
  });
  const lo = all.length ? Math.min(...all) : 1;
  const hi = all.length ? Math.max(...all) : 1;
  const ratio = hi / lo;
  const scale: JacobianChainModel['scale'] = ratio <= 20 ? 'linear' : ratio <= 1e4 ? 'square root' : 'logarithmic';
  const f = (n: number) =>
    scale === 'linear' ? n / hi : scale === 'square root' ? Math.sqrt(n) / Math.sqrt(hi) : Math.log1p(n) / Math.log1p(hi);
  const px = (n: number) => Math.max(J_MIN, Math.round(f(n) * J_MAX));
  const blocks = steps
    .map((s, i): JacobianBlock => {
      const d = dimsOf(s);
      return {
        index: i + 1,
        label: asText(s?.label, asText(s?.op, '?')),
        op: asText(s?.op, '?'),
        rows: d.rows,
        cols: d.cols,
        dims: `${formatCount(s?.rows)} × ${formatCount(s?.cols)}`,
        inShape: formatShape(s?.inShape),
        outShape: formatShape(s?.outShape),
        w: px(d.cols),
        h: px(d.rows),
      };
    })
    .reverse();
  const fc = toNumber(p?.forwardCost);
  const rc = toNumber(p?.reverseCost);
  let winner: JacobianChainModel['winner'] = p?.winner === 'forward' || p?.winner === 'reverse' ? p.winner : 'tie';
  if (Number.isFinite(fc) && Number.isFinite(rc)) winner = fc < rc ? 'forward' : rc < fc ? 'reverse' : 'tie';
  const inSize = steps.length ? dimsOf(steps[0]).cols : NaN;
  const outSize = steps.length ? dimsOf(steps[steps.length - 1]).rows : NaN;
  const times = (a: number, b: number) => {
    const r = a / b;
    return r >= 10 ? `${formatCount(r)}×` : `${r.toFixed(1)}×`;
  };
  let verdict: string;
  if (steps.length === 0) verdict = 'The chain is empty: there is nothing to multiply.';
  else if (steps.length === 1) verdict = `The chain has one Jacobian: forward and reverse order do the same work (no products to accumulate).`;
  else if (winner === 'tie') verdict = `Both orders cost the same here: ${formatCount(fc)} multiply-adds each.`;
  else {
    const [w, l, wc, lc] = winner === 'reverse' ? ['Reverse', 'forward', rc, fc] : ['Forward', 'reverse', fc, rc];
    const why =
      winner === 'reverse'
        ? `the output has ${formatCount(outSize)} entr${outSize === 1 ? 'y' : 'ies'} and the input ${formatCount(inSize)}: starting from the output side keeps every partial product only ${formatCount(outSize)} row${outSize === 1 ? '' : 's'} tall`
        : `the input has ${formatCount(inSize)} entr${inSize === 1 ? 'y' : 'ies'} and the output ${formatCount(outSize)}: starting from the input side keeps every partial product only ${formatCount(inSize)} column${inSize === 1 ? '' : 's'} wide`;
    verdict = `${w} mode is faster here: ${formatCount(wc)} multiply-adds instead of ${formatCount(lc)} in ${l} order (${times(lc, wc)} fewer), because ${why}.`;
  }
  const maxCost = Math.max(fc, rc);
  const bar = (c: number) => (Number.isFinite(c) && maxCost > 0 ? c / maxCost : 0);
  return {
    title: typeof p?.title === 'string' ? p.title : '',
    blocks,
    scale,
    product: 'J = ' + (blocks.length ? blocks.map((b) => jName(b.index)).join(' · ') : '(empty)'),
    forwardCost: formatCount(fc),
    reverseCost: formatCount(rc),
    winner,
    verdict,
    forwardBar: bar(fc),
    reverseBar: bar(rc),
    inShape: formatShape(p?.inShape),
    outShape: formatShape(p?.outShape),
  };
}

/** The Jacobian chain as HTML with inline styles (text/html): proportional blocks, a table, the costs and the verdict. */
export function jacobianChainHtml(p: JacobianChainPayload): string {
  const m = jacobianChainModel(p);
  const o: string[] = [];
  o.push(`<div class="gradlab-static gradlab-jacobian-chain" style="font-family:${escapeXml(SANS)};font-size:13px;color:${INK.text}">`);
  if (m.title) o.push(`<div style="font-size:15px;font-weight:700">${escapeXml(m.title)}</div>`);
  o.push(
    `<div style="color:${INK.muted}">${escapeXml(m.product)} — input [${escapeXml(m.inShape)}] enters on the right, output [${escapeXml(m.outShape)}] leaves on the left; each block is one op's Jacobian, rows = its output size, columns = its input size (${escapeXml(m.scale)} scale)</div>`,
  );
  o.push(`<div style="display:flex;align-items:center;gap:10px;margin:8px 0;flex-wrap:wrap">`);
  for (const b of m.blocks) {
    o.push(
      `<div style="display:flex;flex-direction:column;align-items:center;gap:2px"><div style="font-weight:700">${jName(b.index)}</div>` +
        `<div style="width:${b.w}px;height:${b.h}px;background:#dbe4ff;border:1px solid ${INK.opStroke}"></div>` +
        `<div style="font-family:${escapeXml(FONT)}">${escapeXml(b.dims)}</div><div style="color:${INK.muted}">${escapeXml(b.label)}</div></div>`,
    );
  }
  o.push('</div>');
  o.push(`<table style="border-collapse:collapse"><thead><tr>`);
  for (const h of ['', 'op', 'input shape', 'output shape', 'Jacobian (rows × cols)']) o.push(`<th style="${CELL_L}">${escapeXml(h)}</th>`);
  o.push('</tr></thead><tbody>');
  for (const b of [...m.blocks].reverse()) {
    o.push(
      `<tr><td style="${CELL_L}">${jName(b.index)}</td><td style="${CELL_L}">${escapeXml(b.label)}</td><td style="${CELL_L}">${escapeXml(b.inShape)}</td>` +
        `<td style="${CELL_L}">${escapeXml(b.outShape)}</td><td style="${CELL}">${escapeXml(b.dims)}</td></tr>`,
    );
  }
  o.push('</tbody></table>');
  const costRow = (name: string, cost: string, bar: number, win: boolean) =>
    `<div style="display:flex;align-items:center;gap:8px;margin-top:4px"><span style="width:15em">${escapeXml(name)}</span>` +
    `<span style="display:inline-block;height:10px;width:${Math.max(2, Math.round(bar * 240))}px;background:${win ? INK.ok : INK.edge}"></span>` +
    `<span style="font-family:${escapeXml(FONT)};font-weight:${win ? 700 : 400}">${escapeXml(cost)} multiply-adds${win ? ' ✓' : ''}</span></div>`;
  o.push(costRow(`forward order (${m.blocks.length > 1 ? `${jName(2)}·${jName(1)} first` : 'input side first'})`, m.forwardCost, m.forwardBar, m.winner === 'forward'));
  o.push(costRow(`reverse order (${m.blocks.length > 1 ? `${jName(m.blocks.length)}·${jName(m.blocks.length - 1)} first` : 'output side first'})`, m.reverseCost, m.reverseBar, m.winner === 'reverse'));
  o.push(`<div style="margin-top:6px;font-weight:600">${escapeXml(m.verdict)}</div>`);
  o.push('</div>');
  return o.join('');
}

/** The Jacobian chain as plain text (text/plain). */
export function jacobianChainText(p: JacobianChainPayload): string {
  const m = jacobianChainModel(p);
  const o: string[] = [];
  if (m.title) o.push(m.title);
  o.push(`${m.product}   (input [${m.inShape}] → output [${m.outShape}])`);
  o.push(
    ...textTable(
      ['', 'op', 'input shape', 'output shape', 'Jacobian (rows × cols)'],
      [...m.blocks].reverse().map((b) => [jName(b.index), b.label, b.inShape, b.outShape, b.dims]),
      [false, false, false, false, true],
    ),
  );
  o.push(`forward order: ${m.forwardCost} multiply-adds${m.winner === 'forward' ? '  ✓' : ''}`);
  o.push(`reverse order: ${m.reverseCost} multiply-adds${m.winner === 'reverse' ? '  ✓' : ''}`);
  o.push(m.verdict);
  return o.join('\n');
}

