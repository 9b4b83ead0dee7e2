// @vitest-environment happy-dom
/**
 * The picture views (decision boundary, confusion matrix, image grid) draw
 * engine-built payloads after a JSON round trip, show hostile names as text,
 * and answer hover with the value under the cursor.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as gl from '../../../engine';
import type { ConfusionMatrixPayload, DecisionBoundaryPayload } from '../../../engine/display/contract';
import { MIME } from '../../../engine/display/contract';
import { payloadOf } from '../../../engine/display/show';
import { renderConfusionMatrix } from '../../../extension/views/confusion-matrix';
import { renderDecisionBoundary } from '../../../extension/views/decision-boundary';
import { renderImageGrid } from '../../../extension/views/image-grid';
import { decisionBoundaryModel } from '../../../engine/display/figures/pictures';
import { rendererFactory } from '../../../extension/index';
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { wire } from '../../fixtures/wire';

const XSS = '<img src=x onerror=alert(1)>';

function host(): HTMLElement {
  const el = document.createElement('div');
  document.body.append(el);
  return el;
}

/** Moves the mouse to (x, y) of the figure's own coordinates (the SVG is drawn at natural size here). */
function hover(svg: Element, x: number, y: number): void {
  const [vx, vy] = svg.getAttribute('viewBox')!.split(' ').map(Number);
  svg.getBoundingClientRect = () => ({ left: 0, top: 0, width: Number(svg.getAttribute('width')), height: 0 }) as DOMRect;
  svg.dispatchEvent(new MouseEvent('mousemove', { clientX: x - vx, clientY: y - vy, bubbles: true }));
}

afterEach(() => document.body.replaceChildren());

describe('decision boundary view', () => {
  const X = gl.tensor([
    [-1, -1],
    [1, 1],
    [0.5, -1],
  ]);
  const linear = (Z: gl.Tensor) =>
    gl.matmul(
      Z,
      gl.tensor([
        [0, 1],
        [0, 1],
      ]),
    );

  it('draws regions, the boundary, one marker per point and rings the misclassified one', () => {
    const p = wire(payloadOf(gl.decisionBoundary(linear, X, [0, 1, 1], { classes: ['no', XSS], resolution: 30 })) as DecisionBoundaryPayload);
    const el = host();
    renderDecisionBoundary(el, p);
    expect(el.querySelector('[data-gradlab-view="decision-boundary"]')).not.toBeNull();
    expect(el.querySelectorAll('.gradlab-db-region').length).toBeGreaterThan(2);
    expect(el.querySelector('.gradlab-db-boundary')!.getAttribute('d')).toMatch(/^M/);
    expect(el.querySelectorAll('.gradlab-db-points .gradlab-db-point')).toHaveLength(3);
    expect(el.querySelectorAll('.gradlab-db-points .gradlab-db-wrong')).toHaveLength(1);
    expect(el.querySelector('img')).toBeNull();
    const legend = [...el.querySelectorAll('.gradlab-db-legend .gradlab-legend-item')].map((i) => i.textContent);
    expect(legend).toEqual(['no (1, circle)', `${XSS} (2, square)`, 'misclassified (1)']);
    expect(el.textContent).toContain('66.7% predicted correctly');
  });

  it('tells on hover what is predicted at a place, and a point’s label and prediction', () => {
    const p = wire(gl.decisionBoundary(linear, X, [0, 1, 1], { resolution: 30 }).payload);
    const el = host();
    renderDecisionBoundary(el, p);
    const svg = el.querySelector('svg.gradlab-db-svg')!;
    const wrong = el.querySelector('.gradlab-db-wrong')!;
    hover(svg, Number(wrong.getAttribute('cx')) + 1, Number(wrong.getAttribute('cy')));
    expect(el.querySelector('.gradlab-details')!.textContent).toBe('point 2 at (0.5, -1): class 1, predicted 0 ✗ wrong');
    // the top-right cell of a 30×30 grid over [−1.2, 1.2]²: centre (1.16, 1.16), score 2.32, p = σ(2.32)
    const frame = el.querySelector('.gradlab-db-frame')!;
    const [fx, fy, fw] = ['x', 'y', 'width'].map((k) => Number(frame.getAttribute(k)));
    hover(svg, fx + fw - 1, fy + 1);
    expect(el.querySelector('.gradlab-details')!.textContent).toBe('at (1.16, 1.16) the classifier predicts 1 with probability 0.91');
  });
});

describe('confusion matrix view', () => {
  it('prints every count with the diagonal marked, hostile names as text, hover explains a cell', () => {
    const cm = gl.confusionMatrix([0, 0, 1, 1, 2, 0], [0, 0, 1, 2, 2, 2], { classes: ['a', XSS, 'c'] });
    const el = host();
    renderConfusionMatrix(el, wire(cm.payload));
    const rows = [...el.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td.gradlab-cm-cell')].map((td) => td.textContent));
    expect(rows).toEqual([
      ['2', '·', '·'],
      ['·', '1', '·'],
      ['1', '1', '1'],
    ]);
    expect(el.querySelectorAll('.gradlab-cm-diag')).toHaveLength(3);
    expect([...el.querySelectorAll('th.gradlab-cm-col')].map((t) => t.textContent)).toEqual(['a', XSS, 'c', 'right']);
    expect(el.querySelector('img')).toBeNull();
    expect(el.querySelector('.gradlab-cm-headline')!.textContent).toBe('accuracy 66.7%: 4 of 6 right');
    const cell = el.querySelector('td[data-true="2"][data-predicted="1"]') as HTMLElement;
    expect(cell.style.getPropertyValue('--gradlab-share')).toBe('31%'); // 12 + 58 · 1/3
    cell.dispatchEvent(new Event('mouseenter'));
    expect(el.querySelector('.gradlab-details')!.textContent).toBe(`true c, predicted ${XSS}: 1 of 3 examples of class c (33.3%) mistaken for ${XSS}`);
  });

  it('survives a malformed payload', () => {
    const el = host();
    const bad = { version: 1, kind: 'confusion-matrix', counts: [[1, 'x'], null, [2]] } as unknown as ConfusionMatrixPayload;
    expect(() => renderConfusionMatrix(el, bad)).not.toThrow();
    expect(el.querySelectorAll('tbody tr')).toHaveLength(3);
  });
});

describe('image grid view', () => {
  it('draws each image with its caption and shows the pixel under the cursor', () => {
    const imgs = gl.tensor([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9, 10, 16],
    ]);
    const p = wire(gl.imageGrid(imgs, { captions: ['zero', XSS, 'two'], columns: 2 }).payload);
    const el = host();
    renderImageGrid(el, p);
    expect(el.querySelectorAll('.gradlab-ig-tile')).toHaveLength(3);
    const captions = [...el.querySelectorAll('.gradlab-ig-caption')].map((t) => t.textContent);
    expect(captions[0]).toBe('zero');
    expect(captions[1]).toMatch(/^<img s.*…$/); // cut to the tile's width; the whole caption is the tile's tooltip
    expect(el.querySelectorAll('.gradlab-ig-tile title')[1].textContent).toBe(XSS);
    expect(el.querySelector('img')).toBeNull();
    // the pixel with value 0 is blank; 16 is full ink
    expect(el.querySelectorAll('.gradlab-ig-ink')).toHaveLength(11);
    const full = [...el.querySelectorAll('.gradlab-ig-ink')].filter((r) => r.getAttribute('fill-opacity') === '1');
    expect(full).toHaveLength(1);
    const svg = el.querySelector('svg')!;
    const tile = el.querySelectorAll('.gradlab-ig-tile')[2];
    const [tx, ty] = tile
      .getAttribute('transform')!
      .match(/[\d.]+/g)!
      .map(Number);
    const px = Number(tile.querySelector('.gradlab-ig-ink')!.getAttribute('width'));
    hover(svg, tx + px * 1.5, ty + px * 1.5); // row 1, column 1 of the third image
    expect(el.querySelector('.gradlab-details')!.textContent).toBe('two: pixel (row 1, column 1) = 16   (range 0 … 16)');
  });

  it('draws weights in two colours, and the renderer factory lists the three new MIME types', () => {
    const p = wire(gl.imageGrid(gl.tensor([[-1, 0, 0.5, 1]])).payload);
    const el = host();
    renderImageGrid(el, p);
    expect(el.querySelectorAll('.gradlab-ig-neg')).toHaveLength(1);
    expect(el.querySelectorAll('.gradlab-ig-pos')).toHaveLength(2);
    for (const mime of [MIME.decisionBoundary, MIME.confusionMatrix, MIME.imageGrid]) expect(rendererFactory.mimeTypes).toContain(mime);
  });

  it('is drawn by the renderer widget from a bundle', async () => {
    const widget = rendererFactory.createRenderer({ mimeType: MIME.imageGrid } as IRenderMime.IRendererOptions);
    const model = { data: { [MIME.imageGrid]: wire(gl.imageGrid(gl.ones([2, 4])).payload) }, metadata: {}, trusted: true } as unknown as IRenderMime.IMimeModel;
    await widget.renderModel(model);
    expect(widget.node.querySelector('.gradlab-error-message')).toBeNull();
    expect(widget.node.querySelectorAll('.gradlab-ig-tile')).toHaveLength(2);
  });
});

describe('views bound their work by the data present, even without the renderer’s check (issue #10)', () => {
  const within = (ms: number, f: () => void) => {
    const t0 = performance.now();
    f();
    expect(performance.now() - t0).toBeLessThan(ms);
  };
  const alert = (el: HTMLElement) => el.querySelector('.gradlab-view-error[role="alert"]')?.textContent;
  const boundary = () =>
    wire(
      gl.decisionBoundary(
        (Z: gl.Tensor) =>
          gl.matmul(
            Z,
            gl.tensor([
              [0, 1],
              [0, 1],
            ]),
          ),
        gl.tensor([
          [-1, -1],
          [1, 1],
        ]),
        [0, 1],
        { resolution: 20 },
      ).payload,
    );

  it('a 1e9 × 1e9 decision boundary comes back at once with a message', () => {
    const el = host();
    within(1000, () => renderDecisionBoundary(el, { ...boundary(), cols: 1e9, rows: 1e9 }));
    expect(alert(el)).toBe('gradlab could not draw this decision boundary: cols × rows = 1e18 cells, but predicted holds 400 entries');
  });

  it('a 1e6 × 1e6 image grid comes back at once with a message', () => {
    const el = host();
    within(1000, () => renderImageGrid(el, { ...wire(gl.imageGrid(gl.ones([1, 2, 2])).payload), height: 1e6, width: 1e6 }));
    expect(alert(el)).toBe(
      'gradlab could not draw this image grid: images of height × width = 1e12 pixels are larger than the view draws (at most 200,000 pixels each)',
    );
  });

  it('a confusion matrix of 100,000 classes is refused, not built', () => {
    const el = host();
    const p = { ...wire(gl.confusionMatrix([0, 1], [0, 1]).payload), classes: Array.from({ length: 100_000 }, String) };
    within(1000, () => renderConfusionMatrix(el, p));
    expect(alert(el)).toBe('gradlab could not draw this confusion matrix: 100,000 classes is more than the view draws (at most 200)');
  });

  it('an axis range a few ulps wide gets a few ticks instead of stepping forever', () => {
    const el = host();
    within(1000, () => renderDecisionBoundary(el, { ...boundary(), xRange: [1, 1 + 2 ** -52] }));
    expect(el.querySelectorAll('.gradlab-db-axes text').length).toBeLessThan(60);
    expect(el.querySelectorAll('.gradlab-db-region').length).toBeGreaterThan(0);
  });

  it('draws the first 20,000 of 30,000 points and the first 400 of 500 images, and says so', () => {
    const n = 30_000;
    const p = { ...boundary(), points: { x: new Array(n).fill(0), y: new Array(n).fill(0), label: new Array(n).fill(0), predicted: new Array(n).fill(0) } };
    const m = decisionBoundaryModel(p); // the view's model: 20,000 markers in happy-dom would take seconds
    expect(m.points).toHaveLength(20_000);
    expect(m.subtitle).toMatch(/^20000 points \(the first 20,000 of 30,000\), 2 classes/);
    const g = host();
    const one = wire(gl.imageGrid(gl.ones([1, 2, 2])).payload);
    renderImageGrid(g, { ...one, images: new Array(500).fill(one.images[0]), captions: new Array(500).fill(''), ranges: new Array(500).fill(one.ranges[0]) });
    expect(g.querySelectorAll('.gradlab-ig-tile')).toHaveLength(400);
    expect(g.querySelector('.gradlab-muted')!.textContent).toMatch(/^the first 400 of 500 images of 2×2 pixels/);
  });
});
