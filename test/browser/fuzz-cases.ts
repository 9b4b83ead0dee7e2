/**
 * The renderer fuzz cases (issue #10): one valid payload of each kind,
 * mutated with a seeded RNG. Shared by the browser fuzz test
 * (fuzz.browser.ts), which writes them into a notebook for JupyterLab.
 */
import * as gl from '../../engine';
import { MIME, type GradlabPayload } from '../../engine/display/contract';
import { bundleOf, payloadOf } from '../../engine/display/show';
import { circuitGraph, lossCurvePayload } from '../fixtures/payloads';
import { fourWaysPayload } from '../fixtures/payloads';

export const SEED = Number(process.env.GRADLAB_FUZZ_SEED ?? 20261202);
/** Mutants per kind. */
const PER_KIND = 20;
/** Outputs per notebook cell: one cell is one batch, scrolled into view and checked together. */
export const BATCH = 8;

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = any;
const clone = (v: Json): Json => JSON.parse(JSON.stringify(v));

/** One valid payload of each kind, built by the engine (the graph, the curve: hand-built fixtures), with its text fallback. */
function bases(): { payload: GradlabPayload; text: string }[] {
  const W = gl.tensor([
    [0.5, -1, 2],
    [1, 0.25, -0.5],
  ]);
  const chain = gl.jacobianChain([(x) => W.matmul(x), (h) => h.tanh(), (h) => h.sum()], gl.tensor([1, 2, 3]), { labels: ['FC', 'tanh', 'sum'] });
  const X = gl.tensor([
    [-1, -1],
    [1, 1],
    [0.5, -1],
    [0.2, 0.8],
  ]);
  const linear = (Z: gl.Tensor) =>
    gl.matmul(
      Z,
      gl.tensor([
        [0, 1],
        [0, 1],
      ]),
    );
  const payloads: GradlabPayload[] = [
    circuitGraph,
    payloadOf(gl.gradCheck((x: gl.Tensor) => x.exp().mul(x).sum(), gl.tensor([0.5, -1, 2]), { nodes: true })),
    payloadOf(chain),
    lossCurvePayload(60),
    payloadOf(gl.decisionBoundary(linear, X, [0, 1, 1, 0], { classes: ['no', 'yes'], resolution: 12 })),
    payloadOf(gl.confusionMatrix([0, 0, 1, 1, 2, 0], [0, 0, 1, 2, 2, 2], { classes: ['a', 'b', 'c'] })),
    payloadOf(
      gl.imageGrid(
        gl.tensor([
          [
            [0, 1],
            [1, 0],
          ],
          [
            [-1, 0.5],
            [0, 1],
          ],
        ]),
        { captions: ['one', 'two'] },
      ),
    ),
    payloadOf(gl.plot({ f: (x) => x * x, "f'": (x) => 2 * x }, { x: { from: 0.1, to: 2, n: 12 }, logY: true, title: 'a plot' })),
    fourWaysPayload('failed'),
  ];
  return payloads.map((p) => ({ payload: clone(p), text: String(bundleOf(p).data['text/plain']) }));
}

const MARKUP = [
  '<img src=x onerror=window.__pwned=1>',
  '<script>window.__pwned=1</script>',
  '<svg onload=window.__pwned=1></svg>',
  '"><iframe srcdoc="<script>parent.__pwned=1</script>">',
  'javascript:window.__pwned=1',
];
const WRONG = [null, true, false, 'text', 42, -1, 0.5, 0, [], {}, [1, 'a', null], { a: 1 }];
const HUGE = [1e9, 1e308, -1e9, 2 ** 53 + 2, 1e18];
const NAN = ['NaN', 'Infinity', '-Infinity', null];
const SIZES = new Set(['cols', 'rows', 'height', 'width', 'columns', 'output', 'size', 'total', 'totalEntries', 'input', 'ruleRef', 'count']);

interface Place {
  parent: Json;
  key: string | number;
  path: string;
}

/** Every place in `p` (objects' keys and arrays' entries), at most a few thousand. */
function places(p: Json): Place[] {
  const out: Place[] = [];
  const visit = (v: Json, path: string) => {
    if (out.length > 4000 || typeof v !== 'object' || v === null) return;
    const keys: (string | number)[] = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
    for (const k of keys) {
      const sub = Array.isArray(v) ? `${path}[${k}]` : path ? `${path}.${k}` : String(k);
      out.push({ parent: v, key: k, path: sub });
      visit(v[k], sub);
    }
  };
  visit(p, '');
  return out;
}

function deep(levels: number, r: () => number): Json {
  let v: Json = 1;
  for (let i = 0; i < levels; i++) v = r() < 0.5 ? [v] : { a: v };
  return v;
}

/** Applies one random mutation to `p` (in place, or returns a replacement root) and says what it did. */
function mutateOnce(p: Json, r: () => number): { p: Json; what: string } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const all = places(p);
  const sized = all.filter((q) => SIZES.has(String(q.key)));
  const arrays = all.filter((q) => Array.isArray(q.parent[q.key]));
  const strings = all.filter((q) => typeof q.parent[q.key] === 'string');
  const kind = pick(['type', 'type', 'missing', 'missing', 'huge', 'huge', 'nan', 'deep', 'long', 'markup', 'markup', 'array', 'root'] as const);
  if (kind === 'root' || all.length === 0) {
    const v = pick(['a string', 5, [], null, [p]]);
    return { p: v, what: `the payload replaced by ${JSON.stringify(v)?.slice(0, 40)}` };
  }
  // Size fields for huge numbers, arrays to blow up, and mostly real string fields (names, titles, captions) for
  // markup and long strings: those payloads stay drawable, so the views themselves meet the hostile text.
  const at =
    kind === 'huge' && sized.length && r() < 0.7
      ? pick(sized)
      : kind === 'array' && arrays.length
        ? pick(arrays)
        : (kind === 'markup' || kind === 'long') && strings.length && r() < 0.85
          ? pick(strings)
          : pick(all);
  const set = (v: Json, what: string) => {
    at.parent[at.key] = v;
    return { p, what: `${at.path}: ${what}` };
  };
  switch (kind) {
    case 'type': {
      const v = pick(WRONG);
      return set(clone(v), `wrong type ${JSON.stringify(v)}`);
    }
    case 'missing':
      if (Array.isArray(at.parent)) {
        at.parent.splice(Number(at.key), 1);
        return { p, what: `${at.path}: removed from its array` };
      }
      delete at.parent[at.key];
      return { p, what: `${at.path}: missing` };
    case 'huge': {
      const v = pick(HUGE);
      return set(v, `huge ${v}`);
    }
    case 'nan': {
      const v = pick(NAN);
      return set(v, `${JSON.stringify(v)}`);
    }
    case 'deep':
      return set(deep(100 + Math.floor(r() * 150), r), 'nested 100–250 levels deep');
    case 'long':
      return set('A'.repeat(60_000) + '\u{1F600}'.repeat(20_000), '100,000-character string');
    case 'markup': {
      const v = pick(MARKUP);
      return set(v, `markup ${v}`);
    }
    case 'array': {
      // Long, not heavy: about 300 kB of JSON at most, so the notebook stays a few MB (JupyterLab parses and
      // deep-copies every output before any view runs: a 50 MB notebook freezes the page without our help).
      const a = at.parent[at.key] as Json[];
      const first = a.length ? a[0] : 0;
      const n = Math.max(2, Math.min(30_000, Math.floor(300_000 / (JSON.stringify(first)?.length ?? 1))));
      return set(new Array(n).fill(first), `array blown up to ${n.toLocaleString('en-US')} entries`);
    }
  }
}

export interface Case {
  mime: string;
  data: Json;
  text: string;
  what: string;
}

/** The issue's own examples, first, then random mutants of each kind. */
export function cases(): Case[] {
  const r = rng(SEED);
  const out: Case[] = [];
  const base = bases();
  const mimeOf = (kind: string) => Object.values(MIME).find((m) => m.includes(`.${kind}.`))!;
  const [graph, , , , boundary, , grid] = base.map((b) => b.payload as Json);
  const fixed: [Json, string][] = [
    [{ ...boundary, cols: 1e9, rows: 1e9 }, 'decision boundary of 1e9 × 1e9 cells'],
    [{ ...grid, height: 1e6, width: 1e6 }, 'image grid of 1e6 × 1e6 pixels'],
    [(({ nodes: _, ...g }) => g)(graph), 'graph without nodes'],
    [{ ...graph, nodes: { 0: 'x' } }, 'graph whose nodes are not an array'],
    [{ ...clone(graph), nodes: clone(graph).nodes.map((n: Json, i: number) => (i === 4 ? { ...n, inputs: [0, 99] } : n)) }, 'graph edge to a missing node'],
    [{ ...graph, nodes: clone(graph).nodes.map((n: Json) => ({ ...n, inputs: n.id === 0 ? [8] : n.inputs })) }, 'graph with a cycle'],
  ];
  for (const [data, what] of fixed) out.push({ mime: mimeOf(data.kind), data, text: `${what} (text fallback)`, what });
  for (const b of base) {
    out.push({ mime: mimeOf(b.payload.kind), data: b.payload, text: b.text, what: `valid ${b.payload.kind}` });
    for (let i = 0; i < PER_KIND; i++) {
      let p = clone(b.payload);
      const whats: string[] = [];
      const n = 1 + Math.floor(r() * 2);
      for (let k = 0; k < n && typeof p === 'object' && p !== null; k++) {
        const m = mutateOnce(p, r);
        p = m.p;
        whats.push(m.what);
      }
      const text = r() < 0.2 ? pickMarkup(r) : b.text;
      out.push({ mime: mimeOf(b.payload.kind), data: p, text, what: `${b.payload.kind}: ${whats.join('; ')}` });
    }
  }
  return out;
}

function pickMarkup(r: () => number): string {
  return MARKUP[Math.floor(r() * MARKUP.length)];
}

export function notebook(batches: Case[][]): object {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    // No cell runs: the lightest kernel there is, only so JupyterLab does not ask which one to start.
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    cells: batches.map((batch, i) => ({
      cell_type: 'code',
      id: `fuzz-${i}`,
      metadata: {},
      execution_count: null,
      source: `// fuzz batch ${i}`,
      outputs: batch.map((c) => ({ output_type: 'display_data', data: { [c.mime]: c.data, 'text/plain': c.text }, metadata: {} })),
    })),
  };
}
