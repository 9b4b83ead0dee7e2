/**
 * The pictures' payloads (decision boundary, confusion matrix, image grid)
 * from the engine, and their static fallbacks.
 */
import { describe, expect, it } from 'vitest';
import * as gl from '../../../../engine';
import { MAX_PAYLOAD_BYTES, MIME } from '../../../../engine/display/contract';
import type { ConfusionMatrixPayload, DecisionBoundaryPayload, ImageGridPayload } from '../../../../engine/display/contract';
import { bundleOf, payloadOf } from '../../../../engine/display/show';
import {
  confusionMatrixHtml,
  confusionMatrixText,
  decisionBoundaryModel,
  decisionBoundarySvg,
  decisionBoundaryText,
  imageGridSvg,
  imageGridText,
  markerPath,
} from '../../../../engine/display/figures/pictures';

const XSS = '<img src=x onerror=alert(1)>&"\'';

function unescape(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Text content of every <text>/<title> of an SVG, unescaped. */
function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<(text|title)\b[^>]*>([^<]*)/g)].map((m) => unescape(m[2]));
}

/** Tag names in markup: an injected element would show up here. */
function tags(markup: string): string[] {
  return [...new Set([...markup.matchAll(/<([a-zA-Z][\w-]*)/g)].map((m) => m[1].toLowerCase()))];
}

/** A linear classifier: class 1 where x₁ + x₂ > 0 (scores [N, 2] = [0, x₁ + x₂]). */
const linear = (X: gl.Tensor) =>
  gl.matmul(
    X,
    gl.tensor([
      [0, 1],
      [0, 1],
    ]),
  );

describe('gl.confusionMatrix', () => {
  it('counts a hand example: rows are the true class, columns the predicted one', () => {
    const truth = [0, 0, 0, 1, 1, 2, 2, 2, 2];
    const pred = [0, 0, 1, 1, 2, 2, 2, 0, 2];
    const cm = gl.confusionMatrix(pred, truth, { classes: ['cat', 'dog', 'bird'] });
    expect(cm.counts).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [1, 0, 3],
    ]);
    expect(cm.accuracy).toBeCloseTo(6 / 9, 12);
    expect(cm.payload.total).toBe(9);
    const text = cm.toString();
    expect(text).toContain('accuracy 66.7%: 6 of 9 right');
    expect(text.split('\n')[2]).toMatch(/^true \\ predicted\s+cat\s+dog\s+bird\s+right$/);
    expect(text).toMatch(/\nbird\s+1\s+0\s+3\s+75\.0%/);
    expect(text).toContain('most common mistakes: cat → dog (1)');
  });

  it('takes scores [N, C] (argmax per row), tensors of labels, and ±1 labels', () => {
    const scores = gl.tensor([
      [2, 1],
      [0, 3],
      [5, -1],
      [0, 1],
    ]);
    expect(gl.confusionMatrix(scores, gl.tensor([0, 1, 1, 1])).counts).toEqual([
      [1, 0],
      [1, 2],
    ]);
    const signed = gl.confusionMatrix([1, -1, 1], [1, 1, -1]);
    expect(signed.payload.classes).toEqual(['−1', '+1']);
    expect(signed.counts).toEqual([
      [0, 1],
      [1, 1],
    ]);
    expect(() => gl.confusionMatrix([0, 1], [0, 1, 1])).toThrow(/2 labels for 3 examples/);
    expect(() => gl.confusionMatrix([0, 0.5], [0, 1])).toThrow(/class indices/);
  });

  it('has an HTML and text fallback with every class name, hostile ones escaped', () => {
    const names = ['zero', XSS, 'two'];
    const p = gl.confusionMatrix([0, 1, 2, 1], [0, 1, 2, 2], { classes: names, title: XSS }).payload;
    const html = confusionMatrixHtml(p);
    expect(tags(html).sort()).toEqual(['div', 'table', 'tbody', 'td', 'th', 'thead', 'tr']);
    expect(unescape(html)).toContain(XSS);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;');
    for (const n of names) expect(confusionMatrixText(p)).toContain(n);
    const b = bundleOf(JSON.parse(JSON.stringify(p)) as ConfusionMatrixPayload);
    expect(Object.keys(b.data)).toEqual([MIME.confusionMatrix, 'text/html', 'text/plain']);
  });
});

describe('gl.decisionBoundary', () => {
  const X = gl.tensor([
    [-1, -1],
    [1, 1],
    [2, -0.5],
    [-0.5, 2],
    [0.5, -1],
  ]);
  const y = [0, 1, 1, 1, 1];

  it('evaluates a known linear classifier on the grid: class 1 exactly above x₁ + x₂ = 0', () => {
    const db = gl.decisionBoundary(linear, X, y, { resolution: 20, padding: 0 });
    const p = db.payload;
    expect(p.xRange).toEqual([-1, 2]);
    expect(p.yRange).toEqual([-1, 2]);
    expect([p.cols, p.rows]).toEqual([20, 20]);
    expect(p.predicted).toHaveLength(400);
    for (let r = 0; r < 20; r++) {
      for (let c = 0; c < 20; c++) {
        const cx = -1 + ((c + 0.5) / 20) * 3;
        const cy = 2 - ((r + 0.5) / 20) * 3; // row 0 is the top
        expect(p.predicted[r * 20 + c]).toBe(cx + cy > 0 ? 1 : 0);
        // confidence = softmax probability of the predicted class
        const s = cx + cy;
        expect(p.confidence![r * 20 + c]).toBeCloseTo(1 / (1 + Math.exp(-Math.abs(s))), 2);
      }
    }
    // (0.5, −1) has x₁ + x₂ < 0: predicted 0 but labelled 1
    expect(p.points.predicted).toEqual([0, 1, 1, 1, 0]);
    expect(db.accuracy).toBeCloseTo(4 / 5, 12);
    expect(p.classes).toEqual(['0', '1']);
  });

  it('accepts a model with forward, one score per row, and label arrays; checks its input', () => {
    const net = gl.nn.mlp([2, 8, 3], { seed: 0 });
    const p = gl.decisionBoundary(net, X, [0, 1, 2, 0, 1], { resolution: 10 }).payload;
    expect(new Set(p.predicted).size).toBeGreaterThan(0);
    expect(p.predicted.every((k) => k >= 0 && k < 3)).toBe(true);
    const score = (Z: gl.Tensor) => gl.sum(Z, 1); // logistic-regression style: class 1 where the score > 0
    const q = gl.decisionBoundary(score, X, [-1, 1, 1, 1, -1], { resolution: 4, padding: 0 }).payload;
    expect(q.classes).toEqual(['−1', '+1']);
    expect(q.points.label).toEqual([0, 1, 1, 1, 0]);
    expect(q.accuracy).toBe(1);
    const labels = (Z: gl.Tensor) => Int32Array.from({ length: Z.shape[0] }, () => 1);
    expect(gl.decisionBoundary(labels, X, y, { resolution: 3 }).payload.confidence).toBeUndefined();
    expect(() => gl.decisionBoundary(linear, gl.tensor([[1, 2, 3]]), [0])).toThrow(/\[N, 2\].*1×3|shape/);
    expect(() => gl.decisionBoundary(linear, X, [0, 1])).toThrow(/2 labels for 5 examples/);
    expect(() => gl.decisionBoundary(linear, X, y, { resolution: 1000 })).toThrow(/resolution/);
  });

  it('keeps a 100×100 grid of the spiral small and draws it as SVG and a text map', () => {
    const { X: S, y: Y } = gl.data.spiral({ seed: 0 });
    const W = gl.tensor([
      [1, 0, -1],
      [0, 1, -1],
    ]);
    const db = gl.decisionBoundary((Z: gl.Tensor) => Z.matmul(W), S, Y, { classes: ['red', 'green', XSS], title: 'spiral' });
    const p = db.payload;
    expect(JSON.stringify(p).length).toBeLessThan(150_000);
    const svg = decisionBoundarySvg(JSON.parse(JSON.stringify(p)) as DecisionBoundaryPayload);
    expect(tags(svg).sort()).toEqual(['circle', 'g', 'line', 'path', 'rect', 'svg', 'text', 'title']);
    const texts = svgTexts(svg).join('\n');
    for (const c of ['red (100)', 'green (100)']) expect(texts).toContain(c);
    expect(texts).toContain(XSS.slice(0, 13)); // cut to the legend's width, escaped
    expect(svg).toContain('&lt;img');
    // one marker per point, three shapes for three classes
    expect(svg.match(/<path transform="translate/g)).toHaveLength(300 + 3);
    expect(svg).toContain(`d="${markerPath(1)}"`);
    const text = decisionBoundaryText(p);
    expect(text).toContain('0 = red (100 points)');
    expect(text.split('\n').filter((l) => /^ {2}[0-2]+$/.test(l))).toHaveLength(20);
    expect(String(db)).toBe(text);
    const b = bundleOf(payloadOf(db, { title: 'renamed' }));
    expect((b.data[MIME.decisionBoundary] as DecisionBoundaryPayload).title).toBe('renamed');
    expect(typeof b.data['image/svg+xml']).toBe('string');
  });

  it('merges runs of equal cells and draws the boundary where the class changes', () => {
    const m = decisionBoundaryModel({
      version: 1,
      kind: 'decision-boundary',
      classes: ['a', 'b'],
      xRange: [0, 2],
      yRange: [0, 2],
      cols: 2,
      rows: 2,
      predicted: [0, 1, 0, 0],
      points: { x: [], y: [], label: [], predicted: [] },
      accuracy: 1,
    });
    expect(m.runs.map((r) => r.cls)).toEqual([0, 1, 0]);
    expect(m.boundary.match(/M/g)).toHaveLength(2); // the vertical edge in row 0, the horizontal one under the b cell
    expect(m.cellAt(m.plot.x + m.plot.w * 0.75, m.plot.y + 1)).toMatchObject({ row: 0, col: 1, predicted: 1, x: 1.5, y: 1.5 });
  });
});

describe('gl.imageGrid', () => {
  it('reads [N, H·W] and [N, H, W] images with captions; grey digits share one range', () => {
    const { test } = gl.data.digits();
    const labels = test.y.toArray() as number[];
    const g = gl.imageGrid(gl.slice(test.X, 0, 12), { captions: (i) => `label ${labels[i]}`, columns: 6 });
    const p = g.payload;
    expect([p.height, p.width, p.images.length, p.columns, p.scale]).toEqual([8, 8, 12, 6, 'grey']);
    expect(p.images.every((im) => im.length === 64)).toBe(true);
    expect(p.sharedRange).toBe(true);
    expect(p.ranges[0]).toEqual([0, 16]);
    expect(p.captions[3]).toBe(`label ${labels[3]}`);
    const svg = imageGridSvg(p);
    for (const c of p.captions) expect(svgTexts(svg)).toContain(c);
    expect(imageGridText(p)).toContain('12 images of 8×8 pixels');

    const cube = gl.imageGrid(gl.reshape(gl.arange(24), [2, 3, 4]));
    expect([cube.payload.height, cube.payload.width, cube.length]).toEqual([3, 4, 2]);
    expect(cube.payload.images[1]).toEqual([12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]);
    expect(() => gl.imageGrid(gl.zeros([2, 10]))).toThrow(/not square/);
    expect(gl.imageGrid(gl.zeros([2, 10]), { shape: [2, 5] }).payload.width).toBe(5);
    expect(() => gl.imageGrid(gl.zeros([500, 4]))).toThrow(/too many/);
  });

  it('draws weights on a diverging scale, each image over its own ±max, hostile captions escaped', () => {
    const net = gl.nn.mlp([16, 5, 2], { seed: 0 });
    const W = net.weights()[0]; // [16, 5]: one column per hidden unit
    const g = gl.imageGrid(W.T, { captions: ['a', XSS, 'c', 'd', 'e'], title: 'first layer' });
    const p = JSON.parse(JSON.stringify(g.payload)) as ImageGridPayload;
    expect(p.scale).toBe('diverging');
    expect(p.sharedRange).toBe(false);
    expect([p.height, p.width, p.images.length]).toEqual([4, 4, 5]);
    const col1 = (W.toArray() as number[][]).map((r) => r[1]);
    const m = Math.max(...col1.map(Math.abs));
    expect(p.ranges[1][1]).toBeCloseTo(m, 3);
    expect(p.ranges[1][0]).toBeCloseTo(-m, 3);
    const svg = imageGridSvg(p);
    expect(tags(svg).sort()).toEqual(['g', 'rect', 'svg', 'text', 'title']);
    expect(svgTexts(svg)).toContain(XSS);
    expect(svg).toContain('#2166ac'); // negative weights in blue
    expect(svg).toContain('#b2182b'); // positive in red
  });

  it('is refused by bundleOf when over the payload limit', () => {
    const p = gl.imageGrid(gl.zeros([1, 4])).payload;
    const huge = { ...p, images: [new Array(MAX_PAYLOAD_BYTES / 2).fill(1)] };
    expect(() => bundleOf(huge)).toThrow(/over the 8 MB limit/);
  });
});
