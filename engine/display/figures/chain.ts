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
interface JacobianBlock {
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
  /** Forward, reverse and the cheapest order, as a table (empty for a payload without `orders`). */
  orders: OrderRow[];
  /** The answer to "which order is cheapest?", in words ('' without orders). */
  ordersVerdict: string;
  /** The parameters of FC steps: the full Jacobian next to what backprop computes. */
  params: ParamPanel[];
}

/** One row of the orders table. */
interface OrderRow {
  name: 'forward' | 'reverse' | 'optimal';
  /** `forward order`, `reverse order`, `cheapest order (dynamic programming)`. */
  label: string;
  /** How the order goes, in words. */
  how: string;
  /** The bracketed product with subscripts: `J₃·(J₂·J₁)`. */
  product: string;
  cost: string;
  memory: string;
  costValue: number;
  memoryValue: number;
  /** Relative cost in [0, 1] for a bar. */
  bar: number;
  /** Whether this order costs the fewest multiply-adds (ties: every cheapest one). */
  best: boolean;
  /** The mark of the best rows in words: `✓ cheapest`, else ''. */
  mark: string;
}

/** One parameter of an FC step: ∂y/∂W as the full matrix vs what backprop computes. */
export interface ParamPanel {
  /** J_i of the step it belongs to. */
  step: string;
  stepLabel: string;
  name: string;
  shape: string;
  /** `256 × 200,704` */
  jacobianDims: string;
  /** `51,380,224` and `51 million` */
  jacobianEntries: string;
  jacobianWords: string;
  nonzero: string;
  formula: string;
  /** `256 × 784` */
  backpropShape: string;
  backpropEntries: string;
  backpropCost: string;
  /** How many times more entries the full Jacobian has than the gradient (`256×`). */
  ratio: string;
  /** Why the full Jacobian is never formed, with this parameter's numbers. */
  why: string;
}

/** What `memory` counts, as the view and the fallbacks say it. */
export const MEMORY_NOTE =
  "memory = the largest number of entries alive at once: the partial products (each step's own Jacobian is applied as an operator, not stored) " +
  'plus the activations of the forward pass kept until their Jacobian is applied — reverse order runs the whole forward pass first and keeps them all.';

const SUBSCRIPT = '₀₁₂₃₄₅₆₇₈₉';
/** `J` with a subscript index: J₁, J₁₂. */
export function jName(i: number): string {
  return 'J' + String(i).replace(/\d/g, (d) => SUBSCRIPT[Number(d)]);
}

/** `J3·(J2·J1)` from a payload → `J₃·(J₂·J₁)`. */
export function subscripted(order: string): string {
  return order.replace(/J(\d+)/g, (_, d: string) => jName(Number(d)));
}

/** A large count in words: `51 million`, `3.2 billion`, `201 thousand`; small counts as digits. */
export function countWords(n: number): string {
  if (!Number.isFinite(n)) return formatCount(n);
  const a = Math.abs(n);
  const [div, word] = a >= 1e12 ? [1e12, 'trillion'] : a >= 1e9 ? [1e9, 'billion'] : a >= 1e6 ? [1e6, 'million'] : a >= 1e4 ? [1e3, 'thousand'] : [1, ''];
  if (div === 1) return formatCount(n);
  const v = n / div;
  return `${Math.abs(v) >= 10 ? Math.round(v) : Number(v.toPrecision(2))} ${word}`;
}

const ORDER_NAMES: Record<OrderRow['name'], [string, string]> = {
  forward: ['forward order', 'input side first'],
  reverse: ['reverse order', 'output side first'],
  optimal: ['cheapest order', 'dynamic programming over the chain'],
};

function orderRows(p: JacobianChainPayload): OrderRow[] {
  const raw = Array.isArray(p?.orders) ? p.orders : [];
  const rows = raw
    .filter((o) => o && typeof o === 'object' && (o.name === 'forward' || o.name === 'reverse' || o.name === 'optimal'))
    .map((o) => {
      const cost = toNumber(o.cost);
      const memory = toNumber(o.memory);
      const [label, how] = ORDER_NAMES[o.name];
      return {
        name: o.name,
        label,
        how,
        product: subscripted(asText(o.order, '?')),
        cost: formatCount(cost),
        memory: formatCount(memory),
        costValue: cost,
        memoryValue: memory,
        bar: 0,
        best: false,
        mark: '',
      };
    });
  const costs = rows.map((r) => r.costValue).filter(Number.isFinite);
  const min = costs.length ? Math.min(...costs) : NaN;
  const max = costs.length ? Math.max(...costs) : NaN;
  for (const r of rows) {
    r.best = Number.isFinite(r.costValue) && r.costValue === min;
    r.mark = r.best ? '✓ cheapest' : '';
    r.bar = Number.isFinite(r.costValue) && max > 0 ? r.costValue / max : 0;
  }
  return rows;
}

function ordersVerdict(rows: OrderRow[]): string {
  const by = (n: OrderRow['name']) => rows.find((r) => r.name === n);
  const [f, r, o] = [by('forward'), by('reverse'), by('optimal')];
  if (f && r && !o) return 'The cheapest bracketing was not searched: the chain is too long for the O(k³) search.';
  if (!f || !r || !o) return '';
  if (!Number.isFinite(o.costValue)) return '';
  if (f.product === r.product) return `There is only one way to multiply this chain: ${o.product}, ${o.cost} multiply-adds.`;
  const ends = [f, r].filter((e) => e.costValue === o.costValue);
  if (ends.length === 2)
    return `Every order tried costs the same here (${o.cost} multiply-adds); forward order keeps ${f.memory} entries alive at most, reverse order ${r.memory}.`;
  if (ends.length === 1) {
    const e = ends[0];
    const other = e === f ? r : f;
    return `${e.label[0].toUpperCase()}${e.label.slice(1)} is already the cheapest: no bracketing of the chain does better than ${e.product} (${e.cost} multiply-adds, ${other.label} ${other.cost}).`;
  }
  const bestEnd = f.costValue <= r.costValue ? f : r;
  const x = bestEnd.costValue / o.costValue;
  return `Neither end is cheapest: ${o.product} costs ${o.cost} multiply-adds, ${x >= 10 ? formatCount(x) : x.toFixed(1)}× fewer than ${bestEnd.label} (${bestEnd.cost}).`;
}

const dims = (shape: unknown) => (Array.isArray(shape) && shape.length ? shape.map((d) => formatCount(d)).join(' × ') : formatShape(shape));

function paramPanels(p: JacobianChainPayload): ParamPanel[] {
  const steps = Array.isArray(p?.steps) ? p.steps : [];
  return steps.flatMap((s, i) =>
    (Array.isArray(s?.params) ? s.params : [])
      .filter((q) => q && typeof q === 'object')
      .map((q) => {
        const [r, c] = Array.isArray(q.jacobian) ? q.jacobian.map(toNumber) : [NaN, NaN];
        const entries = r * c;
        const bshape = Array.isArray(q.backprop?.shape) ? q.backprop.shape : [];
        const bEntries = bshape.reduce((a: number, b: unknown) => a * toNumber(b), 1);
        const ratio = entries / bEntries;
        const name = asText(q.name, '?');
        const stepLabel = asText(s?.label, asText(s?.op, '?'));
        return {
          step: jName(i + 1),
          stepLabel,
          name,
          shape: dims(q.shape),
          jacobianDims: `${formatCount(r)} × ${formatCount(c)}`,
          jacobianEntries: formatCount(entries),
          jacobianWords: countWords(entries),
          nonzero: formatCount(toNumber(q.nonzero)),
          formula: asText(q.backprop?.formula, '?'),
          backpropShape: dims(bshape),
          backpropEntries: formatCount(bEntries),
          backpropCost: formatCount(toNumber(q.backprop?.cost)),
          ratio: Number.isFinite(ratio) ? `${formatCount(ratio)}×` : '?',
          why:
            `Backprop never forms ∂y/∂${name}: of its ${countWords(entries)} entries only ${formatCount(toNumber(q.nonzero))} can be non-zero, ` +
            (asText(q.backprop?.formula, '').startsWith('gb')
              ? 'and each of them is a 1 (every output adds one entry of b), '
              : "and they are copies of the layer's input x (each output row holds one copy), ") +
            `so the product gy·∂y/∂${name} collapses to ${asText(q.backprop?.formula, '?')}: ${formatCount(bEntries)} entries, the shape of ${name} itself.`,
        };
      }),
  );
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
  const f = (n: number) => (scale === 'linear' ? n / hi : scale === 'square root' ? Math.sqrt(n) / Math.sqrt(hi) : Math.log1p(n) / Math.log1p(hi));
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
  const orders = orderRows(p);
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
    orders,
    ordersVerdict: ordersVerdict(orders),
    params: paramPanels(p),
  };
}

/** Column heads of the orders table. */
export const ORDER_HEAD = ['order', 'product', 'multiply-adds', 'memory (entries)', 'best'];

/** The FC panel's two columns: the full Jacobian, and what backprop computes instead. */
export function paramColumns(q: ParamPanel): [string, string[]][] {
  return [
    [
      `full Jacobian ∂y/∂${q.name} (never formed)`,
      [
        `${q.jacobianDims} = ${q.jacobianEntries} entries${q.jacobianWords === q.jacobianEntries ? '' : ` (${q.jacobianWords})`}`,
        `${q.nonzero} of them non-zero`,
      ],
    ],
    [
      `what backprop computes: ${q.formula}`,
      [
        q.backpropShape.includes('×') ? `${q.backpropShape} = ${q.backpropEntries} entries` : `${q.backpropEntries} entries`,
        `${q.backpropCost} multiply-adds`,
        `${q.ratio} fewer entries`,
      ],
    ],
  ];
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
  if (!m.orders.length) {
    o.push(
      costRow(
        `forward order (${m.blocks.length > 1 ? `${jName(2)}·${jName(1)} first` : 'input side first'})`,
        m.forwardCost,
        m.forwardBar,
        m.winner === 'forward',
      ),
    );
    o.push(
      costRow(
        `reverse order (${m.blocks.length > 1 ? `${jName(m.blocks.length)}·${jName(m.blocks.length - 1)} first` : 'output side first'})`,
        m.reverseCost,
        m.reverseBar,
        m.winner === 'reverse',
      ),
    );
    o.push(`<div style="margin-top:6px;font-weight:600">${escapeXml(m.verdict)}</div>`);
  } else {
    o.push(`<table style="border-collapse:collapse;margin-top:8px"><thead><tr>`);
    for (const h of ORDER_HEAD) o.push(`<th style="${CELL_L}">${escapeXml(h)}</th>`);
    o.push('</tr></thead><tbody>');
    for (const r of m.orders) {
      const w = r.best ? 'font-weight:700;' : '';
      o.push(
        `<tr data-order="${escapeXml(r.name)}"><td style="${CELL_L}${w}">${escapeXml(r.label)} <span style="color:${INK.muted};font-weight:400">(${escapeXml(r.how)})</span></td>` +
          `<td style="${CELL_L}${w}">${escapeXml(r.product)}</td><td style="${CELL}${w}">${escapeXml(r.cost)}</td>` +
          `<td style="${CELL}">${escapeXml(r.memory)}</td><td style="${CELL_L}${w}color:${r.best ? INK.ok : INK.text}">${escapeXml(r.mark)}</td></tr>`,
      );
    }
    o.push('</tbody></table>');
    o.push(`<div style="margin-top:6px;font-weight:600">${escapeXml(m.verdict)}</div>`);
    o.push(`<div style="margin-top:4px;font-weight:600">${escapeXml(m.ordersVerdict)}</div>`);
    o.push(`<div style="color:${INK.muted};font-size:12px">${escapeXml(MEMORY_NOTE)}</div>`);
  }
  o.push(...paramsHtml(m.params));
  o.push('</div>');
  return o.join('');
}

/** The FC panels of the HTML chain: each parameter's full Jacobian next to what backprop computes. */
function paramsHtml(params: ReturnType<typeof jacobianChainModel>['params']): string[] {
  const o: string[] = [];
  for (const q of params) {
    o.push(`<div class="gradlab-jc-param" style="margin-top:10px;border-top:1px solid #d0d7de;padding-top:6px">`);
    o.push(`<div style="font-weight:700">${escapeXml(`${q.step} ${q.stepLabel}: parameter ${q.name} (${q.shape})`)}</div>`);
    o.push(`<div style="display:flex;gap:16px;flex-wrap:wrap">`);
    for (const [head, lines] of paramColumns(q)) {
      o.push(`<div style="border:1px solid #d0d7de;padding:4px 8px"><div style="font-weight:600">${escapeXml(head)}</div>`);
      for (const l of lines) o.push(`<div style="font-family:${escapeXml(FONT)}">${escapeXml(l)}</div>`);
      o.push('</div>');
    }
    o.push('</div>');
    o.push(`<div>${escapeXml(q.why)}</div></div>`);
  }
  return o;
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
  if (!m.orders.length) {
    o.push(`forward order: ${m.forwardCost} multiply-adds${m.winner === 'forward' ? '  ✓' : ''}`);
    o.push(`reverse order: ${m.reverseCost} multiply-adds${m.winner === 'reverse' ? '  ✓' : ''}`);
    o.push(m.verdict);
  } else {
    o.push(
      ...textTable(
        ORDER_HEAD,
        m.orders.map((r) => [r.label, r.product, r.cost, r.memory, r.mark]),
        [false, false, true, true, false],
      ),
    );
    o.push(m.verdict);
    o.push(m.ordersVerdict);
    o.push(`(${MEMORY_NOTE})`);
  }
  for (const q of m.params) {
    o.push('');
    o.push(`${q.step} ${q.stepLabel}: parameter ${q.name} (${q.shape})`);
    for (const [head, lines] of paramColumns(q)) o.push(`  ${head}: ${lines.join('; ')}`);
    o.push(`  ${q.why}`);
  }
  return o.join('\n');
}
