/**
 * The tape: the recorded computational graph, stored flat.
 *
 * Every recorded node is a row in a few typed arrays (op code, flags, scalar
 * value, where its inputs start) plus one slot in a plain array for what a
 * row cannot hold (a non-scalar's shape and data, op attributes, a leaf's
 * handle). A 0-d node costs about 40 bytes and no object, which is what lets a
 * million-op chain fit in a few tens of megabytes and keeps the micrograd demo
 * network (≈66,000 scalar nodes a step) out of the garbage collector's way.
 *
 * Node ids on a tape are increasing in creation order, which is a topological
 * order; tapes themselves are ordered by serial number, and an op only ever
 * reads nodes of its own tape or of older ones. A new tape starts after each
 * first-order backward pass (and when a tape grows past TAPE_CAP nodes), so an
 * old graph is garbage-collected once the user drops the tensors that point at
 * it.
 */
import type { Arr } from './kernels';

/** Flags of a node. */
export const F_SCALAR = 1; // value in `val`, 0-d
export const F_REQ = 2; // requires grad
export const F_F32 = 4; // float32
export const F_FREED = 8; // a backward pass without retainGraph went through it
export const F_FAST = 16; // elementwise op whose inputs are all 0-d: scalar backward rule

/** Op code of a node that stands for a tensor held elsewhere: a leaf, or a result on an older tape. */
export const OP_REF = -1;
/** Op code of a constant operand. */
export const OP_CONST = -2;

/**
 * Name of each op code ≥ 0, in code order. Filled by definePrimitive (ops/primitive.ts) as each
 * primitive is defined, so that code below ops/ (a tensor naming the op that made it) can name one.
 */
export const OP_NAMES: string[] = [];

/** Name of op code `op` (`op#<code>` for a code no primitive has). */
export function opName(op: number): string {
  return OP_NAMES[op] ?? `op#${op}`;
}

/** What a non-scalar (or attributed) node keeps besides its row. */
export interface NodeInfo {
  shape: readonly number[];
  data: Arr | null;
  attrs: unknown;
  saved: unknown;
}

/** Gradients of one backward pass through a tape. */
export interface GradState {
  G: Float64Array; // scalar gradients
  GT: unknown[]; // Tensor gradients (non-scalars, and everything in createGraph mode)
  reached: Uint8Array;
}

/** Grow a typed array. */
function grow<T extends Int32Array | Uint8Array | Float64Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

/** @internal Nodes per tape before a new one starts. */
export const TAPE_CAP = 1 << 20;
let tapeSerial = 0;

// Bits of a double, for hashing constants by their exact value (NaN equals NaN, -0 differs from +0).
const BITS_F = new Float64Array(1);
const BITS_I = new Int32Array(BITS_F.buffer);

/**
 * Ids of scalar constants by exact value: an open-addressing hash table on the
 * double's bits (a Map would box every key and conflate -0 with +0).
 */
class ConstTable {
  lo: Int32Array;
  hi: Int32Array;
  id: Int32Array;
  count = 0;

  /** Room for `expected` constants without rehashing. */
  constructor(expected = 0) {
    let n = 64;
    while (n < 2 * (expected + 1)) n *= 2;
    this.lo = new Int32Array(n);
    this.hi = new Int32Array(n);
    this.id = new Int32Array(n).fill(-1);
  }

  /** Id of constant `v`, or -1. Leaves the bits of `v` in BITS_I. */
  get(v: number): number {
    BITS_F[0] = v;
    const lo = BITS_I[0];
    const hi = BITS_I[1];
    const mask = this.id.length - 1;
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) >>> 7;
    for (;;) {
      h &= mask;
      const id = this.id[h];
      if (id < 0 || (this.lo[h] === lo && this.hi[h] === hi)) return id;
      h++;
    }
  }

  set(v: number, id: number): void {
    if (2 * (this.count + 1) > this.id.length) this.rehash();
    BITS_F[0] = v;
    const lo = BITS_I[0];
    const hi = BITS_I[1];
    const mask = this.id.length - 1;
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) >>> 7;
    for (;;) {
      h &= mask;
      if (this.id[h] < 0) break;
      h++;
    }
    this.lo[h] = lo;
    this.hi[h] = hi;
    this.id[h] = id;
    this.count++;
  }

  private rehash(): void {
    const { lo, hi, id } = this;
    const n = id.length * 2;
    this.lo = new Int32Array(n);
    this.hi = new Int32Array(n);
    this.id = new Int32Array(n).fill(-1);
    this.count = 0;
    for (let i = 0; i < id.length; i++) {
      if (id[i] < 0) continue;
      BITS_I[0] = lo[i];
      BITS_I[1] = hi[i];
      this.set(BITS_F[0], id[i]);
    }
  }
}

const EMPTY_I32 = new Int32Array(0);
const EMPTY_U8 = new Uint8Array(0);
const EMPTY_F64 = new Float64Array(0);

export class Tape {
  readonly serial = ++tapeSerial;
  n = 0;
  /** Rows allocated in the row columns. */
  cap: number;
  op: Int32Array;
  flags: Uint8Array;
  val: Float64Array;
  inStart: Int32Array;
  nin: Uint8Array;
  ins: Int32Array;
  nIns = 0;
  obj: unknown[] = [];
  /** Scope id per node (into the global scope table), allocated when a scope is first used. */
  scope: Int32Array | null = null;
  names: Map<number, string> | null = null;
  /** Ids of scalar constants by value: a constant like 1.0001 used a million times is one node. */
  consts: ConstTable | null = null;
  /** Ids of ref nodes standing for results of older tapes. */
  foreign: Map<object, number> | null = null;
  /** Gradients of the last backward pass that went through this tape. */
  last: GradState | null = null;

  /** Rows to allocate at the first push. */
  private hint: number;
  /** Distinct constants expected (the table is made that large at the first constant). */
  private constHint: number;

  /**
   * `capacity`: rows to allocate at the first push (nothing is allocated for a tape that stays empty);
   * `constants`: distinct scalar constants expected.
   */
  constructor(capacity = 1024, constants = 0) {
    this.hint = Math.max(64, capacity);
    this.constHint = constants;
    this.cap = 0;
    this.op = EMPTY_I32;
    this.flags = EMPTY_U8;
    this.val = EMPTY_F64;
    this.inStart = EMPTY_I32;
    this.nin = EMPTY_U8;
    this.ins = EMPTY_I32;
  }

  private growRows(): void {
    const c = this.cap === 0 ? this.hint : this.cap * 2;
    this.cap = c;
    this.op = grow(this.op, c);
    this.flags = grow(this.flags, c);
    this.val = grow(this.val, c);
    this.inStart = grow(this.inStart, c);
    this.nin = grow(this.nin, c);
    if (this.scope) this.scope = grow(this.scope, c);
    if (this.ins.length === 0) this.ins = new Int32Array(2 * c);
  }

  private growIns(k: number): void {
    this.ins = grow(this.ins, Math.max(this.ins.length * 2, this.nIns + k));
  }

  private setScope(id: number, s: number): void {
    if (!this.scope) this.scope = new Int32Array(this.cap);
    this.scope[id] = s;
  }

  // The push methods read the global `state` (scopeId), declared below the class because it holds the
  // first Tape; they run only once the module has loaded. Reading it directly keeps them call-free.
  /* eslint-disable @typescript-eslint/no-use-before-define -- state is declared after Tape, which it holds */
  /** A node without inputs (ref or const). */
  push0(op: number, flags: number, v: number, obj: unknown): number {
    if (this.n === this.cap) this.growRows();
    const id = this.n++;
    this.op[id] = op;
    this.flags[id] = flags;
    this.val[id] = v;
    this.inStart[id] = this.nIns;
    this.nin[id] = 0;
    if (obj !== undefined) this.obj[id] = obj;
    if (state.scopeId !== 0) this.setScope(id, state.scopeId);
    return id;
  }

  // The two constants used last (a loop like y·1.0001 + 0.0001 alternates two): checked before the table.
  private c0v = NaN;
  private c0id = -1;
  private c1v = NaN;
  private c1id = -1;

  /** Id of the scalar constant `v` on this tape (one node per distinct value). */
  constant(v: number): number {
    // `===` is exact for non-zero values (NaN never matches); zeros go to the table, which tells -0 from +0
    if (v === this.c0v && v !== 0) return this.c0id;
    if (v === this.c1v && v !== 0) return this.c1id;
    const t = (this.consts ??= new ConstTable(this.constHint));
    let id = t.get(v);
    if (id < 0) {
      id = this.push0(OP_CONST, F_SCALAR, v, undefined);
      t.set(v, id);
    }
    this.c1v = this.c0v;
    this.c1id = this.c0id;
    this.c0v = v;
    this.c0id = id;
    return id;
  }

  push1(op: number, flags: number, v: number, a: number): number {
    if (this.n === this.cap) this.growRows();
    if (this.nIns + 1 > this.ins.length) this.growIns(1);
    const id = this.n++;
    this.op[id] = op;
    this.flags[id] = flags;
    this.val[id] = v;
    this.inStart[id] = this.nIns;
    this.nin[id] = 1;
    this.ins[this.nIns++] = a;
    if (state.scopeId !== 0) this.setScope(id, state.scopeId);
    return id;
  }

  push2(op: number, flags: number, v: number, a: number, b: number): number {
    if (this.n === this.cap) this.growRows();
    if (this.nIns + 2 > this.ins.length) this.growIns(2);
    const id = this.n++;
    const k = this.nIns;
    this.op[id] = op;
    this.flags[id] = flags;
    this.val[id] = v;
    this.inStart[id] = k;
    this.nin[id] = 2;
    const ins = this.ins;
    ins[k] = a;
    ins[k + 1] = b;
    this.nIns = k + 2;
    if (state.scopeId !== 0) this.setScope(id, state.scopeId);
    return id;
  }

  pushN(op: number, flags: number, v: number, inputs: readonly number[], obj: unknown): number {
    if (inputs.length > 255) throw new Error('gradlab: an op may have at most 255 inputs');
    if (this.n === this.cap) this.growRows();
    if (this.nIns + inputs.length > this.ins.length) this.growIns(inputs.length);
    const id = this.n++;
    this.op[id] = op;
    this.flags[id] = flags;
    this.val[id] = v;
    this.inStart[id] = this.nIns;
    this.nin[id] = inputs.length;
    for (const a of inputs) this.ins[this.nIns++] = a;
    if (obj !== undefined) this.obj[id] = obj;
    if (state.scopeId !== 0) this.setScope(id, state.scopeId);
    return id;
  }
  /* eslint-enable @typescript-eslint/no-use-before-define -- the push methods end here */

  /** Input ids of node `id`. */
  inputsOf(id: number): number[] {
    const s = this.inStart[id];
    const out: number[] = [];
    for (let j = 0; j < this.nin[id]; j++) out.push(this.ins[s + j]);
    return out;
  }
}

/** Global engine state: the current tape, grad mode, forward-mode levels, scopes, anomaly mode. */
export const state = {
  tape: new Tape(),
  /** Record operations for reverse mode (off inside noGrad and first-order backward rules). */
  gradEnabled: true,
  /** Active forward-mode levels (innermost last); duals are only unwrapped while this is non-empty. */
  levels: [] as number[],
  /** Check every op's output (and every gradient) for NaN/Inf. */
  anomaly: false,
  /** Current scope id (0 = top level). */
  scopeId: 0,
};

/** Start a new tape; the old one lives as long as a tensor points at it. */
export function nextTape(): void {
  // sized like the last one: a training loop records the same graph every step
  const t = state.tape;
  state.tape = new Tape(Math.min(TAPE_CAP, t.n + 64), t.consts ? t.consts.count : 0);
}

/** The tape new nodes go to (starting a fresh one when the current one is full). */
export function currentTape(): Tape {
  if (state.tape.n >= TAPE_CAP) nextTape();
  return state.tape;
}

// ---- scopes -------------------------------------------------------------

/** Scope paths by id; id 0 is the top level. Paths are interned: one entry per distinct path. */
export const scopePaths: string[][] = [[]];
const scopeIds = new Map<string, number>([['', 0]]);

/** Id of the path `parent/name`. */
export function childScope(parent: number, name: string): number {
  const path = [...scopePaths[parent], name];
  const key = path.join('\u0000');
  let id = scopeIds.get(key);
  if (id === undefined) {
    id = scopePaths.length;
    scopePaths.push(path);
    scopeIds.set(key, id);
  }
  return id;
}
