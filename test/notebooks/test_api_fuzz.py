"""Bad inputs to the public API, through the real tslab kernel (issue #10).

A seeded generator picks bad calls for every public function: tensor creation with
wrong, negative, fractional and huge shapes; every op with wrong shapes and wrong
types (strings, objects, undefined, functions, arrays where tensors go); bad axes
and options; layers with the wrong input width; losses with wrong labels;
optimisers with bad settings and a NaN gradient; grad/jacfwd/jacrev/hessian with
bad functions and inputs; train with bad data. Each call runs inside try/catch in
a cell (a failed cell would make tslab drop the next requests, see harness.py), so
the kernel reports every outcome. For each call the test asserts:

- it threw an ``Error`` (``instanceof Error``) whose message names the op the user
  called (``zeros``, ``sum``, ``hessian``, ``Linear``, ``SGD.step``, ...);
- it did not hang: every cell has a timeout, and each call took under 10 s;
- the kernel answers afterwards: later cells run, differentiate and train;
- nothing changed: the model's parameters and the input tensors are bit-identical
  before and after all the bad calls, and gradient mode is still on.

It also type-checks the options-object forms (``gl.sum(t, {axis})``,
``t.sum({axis, keepdims})``, ``step({allowNonFinite})``) with tslab's own
TypeScript 5.0. ``GRADLAB_FUZZ_SEED`` picks another sample of cases.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from harness import ROOT, Run, describe, run_notebook

SEED = int(os.environ.get("GRADLAB_FUZZ_SEED", "0"))
#: Calls per cell: a cell that hangs or dies takes only its own calls with it.
PER_CELL = 30
#: What one bad call may take at most (they are refused before any real work).
MAX_CALL_MS = 10_000


@dataclass
class Case:
    id: int
    #: the call, as TypeScript (fixtures are typed `any`, so bad types compile)
    code: str
    #: what the message must contain: the op as the user called it
    names: str


# ---- the fixtures the calls use (typed any: the point is to pass what the types forbid) ---------

SETUP = """\
import * as gl from "gradlab";
const G: any = gl;
const A: any = gl.tensor([[1, 2, 3], [4, 5, 6]]);        // [2, 3]
const B: any = gl.tensor([1, 2, 3, 4]);                  // [4]
const C3: any = gl.zeros([2, 2, 3]);                     // 3-d
const S: any = gl.scalar(2);                             // 0-d
const E: any = gl.zeros([0, 3]);                         // empty
const COL: any = gl.zeros([100000, 1]);
const ROW: any = gl.zeros([100000]);
const ROW1: any = gl.zeros([1, 100000]);
const BIG: any = gl.zeros([100000]);
const SC: any = gl.tensor([[1, 0], [0, 1], [2, 2]]);    // scores [3, 2]
const f1: any = (t: gl.Tensor) => gl.sum(gl.mul(t, t));       // a good scalar function
const fvec: any = (t: gl.Tensor) => gl.mul(t, 2);             // not scalar
const fstr: any = (_t: any) => "not a tensor";
const net: any = gl.nn.mlp([3, 4, 2], {seed: 0});
const W: any = net.parameters()[0];                      // a leaf parameter, [3, 4]
const opt: any = new gl.optim.SGD(net, {lr: 0.1, momentum: 0.9});
const data: any = {X: gl.randn([80, 3], {rng: new gl.Rng(1)}), y: Array.from({length: 80}, (_, i) => i % 2)};
const bits = (ts: any[]) => ts.map((t) => Buffer.from(t.toTypedArray().buffer).toString("base64")).join("|");
const watched = () => [...net.parameters(), A, B, C3, S, SC, W];
const before = bits(watched());
const netOut = bits([gl.noGrad(() => net.forward(A))]);
async function probe(id: number, fn: () => unknown): Promise<void> {
  const t0 = Date.now();
  const r: any = {id};
  try {
    let v: any = fn();
    if (v && typeof v.then === "function") v = await v;
    r.threw = false;
    r.got = String(v).slice(0, 120);
  } catch (e: any) {
    r.threw = true;
    r.isError = e instanceof Error;
    r.name = e?.name;
    r.message = e instanceof Error ? e.message : String(e);
  }
  r.ms = Date.now() - t0;
  console.log("FUZZ " + JSON.stringify(r));
}
console.log("ready", gl.isGradEnabled());"""

# Runs after every bad call: the kernel still answers, computes, differentiates and trains,
# and nothing the bad calls touched has changed.
AFTER = """\
const after = bits(watched());
const g = gl.grad(f1)(gl.tensor([1, 2, 3])).toArray();
const J = gl.jacfwd(fvec)(gl.tensor([1, 2])).toArray();
const H = gl.hessian(f1)(gl.tensor([1, 2])).toArray();
const same = after === before && bits([gl.noGrad(() => net.forward(A))]) === netOut;
const fresh = gl.nn.mlp([3, 4, 2], {seed: 0});
const h = await gl.nn.train(fresh, data, {steps: 3, batchSize: 3, curve: false});
console.log("AFTER " + JSON.stringify({same, gradEnabled: gl.isGradEnabled(), g, J, H, trainedSteps: h.steps,
  lossFinite: h.losses.every(Number.isFinite)}));"""

# The options-object forms must type-check under tslab's TypeScript 5.0 (no `any` here).
TYPED = """\
const T = gl.tensor([[1, 5, 3], [4, 2, 6]]);
const r1 = gl.sum(T, {axis: 1});
const r2 = T.sum({axis: 0, keepdims: true});
const r3 = gl.mean(T, {axis: [0, 1]});
const r4 = T.max({axis: -1});
const r5 = gl.logsumexp(T, {keepdims: true});
const r6 = gl.softmax(T, {axis: 0});
const r7 = T.logSoftmax({axis: 1});
const r8 = gl.min(T, 1, true);
const opts: gl.ReduceOptions = {axis: 1};
const p = gl.tensor([1, 2], {requiresGrad: true});
const o = new gl.optim.Adam([p], {lr: 0.1, allowNonFinite: false});
p.grad = gl.tensor([NaN, 1]);
let refused = "";
try { o.step(); } catch (e) { refused = (e as Error).message; }
o.step({allowNonFinite: true});
console.log("TYPED " + JSON.stringify({r1: r1.toArray(), r2: r2.toArray(), r3: r3.item(), r4: r4.toArray(), r5: r5.toArray(),
  r6: r6.shape, r7: r7.shape, r8: r8.toArray(), r9: gl.sum(T, opts).toArray(), refused}));"""


# ---- the generator -----------------------------------------------------------------------------

BAD_VALUES = ["'abc'", "undefined", "null", "{}", "{a: 1}", "() => 1", "[[1, 2], [3]]"]
BAD_SHAPES = ["[1e6, 1e6]", "[2 ** 31]", "[-1, 2]", "[1.5]", "[NaN]", "[Infinity]", "'abc'", "3", "undefined", "{}", "[2, 'a']"]
BAD_AXES = ["5", "-7", "0.5", "'a'", "[0, 0]", "{axes: 1}", "{axis: 9}", "{axis: 1, keepDims: true}", "1, 'yes'", "{axis: 0}, true"]
BINARY = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "gt", "ge", "lt", "le", "eq", "ne"]
UNARY = ["neg", "exp", "log", "sqrt", "abs", "sigmoid", "tanh", "relu", "sin", "cos", "sign", "square"]
REDUCTIONS = ["sum", "mean", "max", "min", "logsumexp"]


def candidates() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every bad call we know, by op: (op, [(code, the name the message must contain)])."""
    ops: list[tuple[str, list[tuple[str, str]]]] = []

    def add(op: str, calls: list[str], names: str | None = None) -> None:
        ops.append((op, [(c, names or op) for c in calls]))

    for op in ["zeros", "ones", "rand", "randn"]:
        add(op, [f"G.{op}({s})" for s in BAD_SHAPES])
    add("full", [f"G.full({s}, 1)" for s in BAD_SHAPES[:6]] + [f"G.full([2], {v})" for v in BAD_VALUES[:4]])
    add("randint", ["G.randint(3, 1, [2])", "G.randint('a', 2, [2])", "G.randint(0, 2, [1e6, 1e6])", "G.randint(0, 2, 'a')"])
    add("arange", ["G.arange('a')", "G.arange(0, 1e12)", "G.arange(0, 1, 0)", "G.arange(NaN)", "G.arange(0, Infinity)", "G.arange(0, 5, 'a')"])
    add("linspace", ["G.linspace(0, 1, 1e12)", "G.linspace(0, 1, -1)", "G.linspace(0, 1, 1.5)", "G.linspace(0, 1, 'a')", "G.linspace('a', 1, 3)"])
    add("eye", ["G.eye(1e6)", "G.eye(-2)", "G.eye(1.5)", "G.eye('a')", "G.eye(3, -1)"])
    add("tensor", [f"G.tensor({v})" for v in BAD_VALUES] + ["G.tensor([1, 'a'])", "G.tensor([1, 2, 3], {shape: [2, 2]})",
                                                            "G.tensor([1], {dtype: 'int8'})"])
    add("scalar", ["G.scalar('a')", "G.scalar(undefined)", "G.scalar([1])", "G.scalar({})"])
    for op in ["zerosLike", "onesLike"]:
        add(op, [f"G.{op}({v})" for v in ["'a'", "[1, 2]", "undefined", "{}"]])

    for op in BINARY:
        add(op, [f"G.{op}(A, B)", f"G.{op}(COL, ROW)", f"A.{op}(B)"] + [f"G.{op}(A, {v})" for v in BAD_VALUES]
            + [f"G.{op}({v}, A)" for v in BAD_VALUES[:3]])
    for op in UNARY:
        add(op, [f"G.{op}({v})" for v in BAD_VALUES])
    add("where", ["G.where(A, B, A)", "G.where('a', A, A)", "G.where(A, undefined, A)"])

    for op in REDUCTIONS:
        add(op, [f"G.{op}(A, {a})" for a in BAD_AXES] + [f"A.{op}({a})" for a in BAD_AXES[:6]] + [f"G.{op}({v})" for v in BAD_VALUES[:4]])
    add("max", ["G.max(E)", "E.max()"])
    add("min", ["G.min(E, 1)"])
    for op in ["softmax", "logSoftmax"]:
        add(op, [f"G.{op}(A, {a})" for a in ["5", "'a'", "[0, 1]", "{keepdims: true}", "{axis: 7}"]] + [f"G.{op}(S)", f"G.{op}('a')", f"A.{op}(3)"])

    add("matmul", ["G.matmul(A, A)", "G.matmul(C3, A)", "G.matmul(A, 3)", "G.matmul('a', A)", "G.matmul(COL, ROW1)", "A.matmul(B)"])
    add("transpose", ["G.transpose(A, [0, 0])", "G.transpose(A, [0, 1, 2])", "G.transpose(A, 'a')", "G.transpose(A, [5, 0])", "G.transpose('a')"])
    add("reshape", ["G.reshape(A, [4, 2])", "G.reshape(A, 'a')", "G.reshape(A, [-1, -1])", "G.reshape(A, [1e6, 1e6])",
                    "G.reshape(A, [2.5, 2])", "A.reshape(undefined)"])
    add("broadcastTo", ["G.broadcastTo(A, [3, 3])", "G.broadcastTo(B, [2 ** 31, 4])", "G.broadcastTo(A, 'a')", "G.broadcastTo('a', [2])"])
    add("squeeze", ["G.squeeze(A, 0)", "G.squeeze(A, 9)", "G.squeeze(A, 'a')", "G.squeeze({})"])
    add("expandDims", ["G.expandDims(A, 5)", "G.expandDims(A, 'a')", "G.expandDims(undefined, 0)"])
    add("detach", ["G.detach('a')", "G.detach(undefined)", "G.detach({})"])
    add("take", ["G.take(A, [5])", "G.take(A, 'a')", "G.take(A, [0.5])", "G.take(A, [0], 5)", "G.take(S, [0])", "A.take(undefined)"])
    add("pick", ["G.pick(A, [0, 1, 2])", "G.pick(A, [0, 7])", "G.pick(A, 'ab')", "G.pick(B, [0])", "G.pick(A, undefined)"])
    add("slice", ["G.slice(A, 'a')", "G.slice(A, 0, 1.5)", "G.slice(A, 0, 1, 5)", "G.slice(S, 0)", "G.slice('a', 0)"])
    add("concat", ["G.concat([A, B])", "G.concat([])", "G.concat(A)", "G.concat([A, 'a'])", "G.concat([S, S])", "G.concat([A, A], 4)"])

    add("grad", ["G.grad(3)(A)", "G.grad(fvec)(A)", "G.grad(fstr)(A)", "G.grad(f1, 3)(A)", "G.grad(f1)('a')", "G.grad(f1)()"])
    add("valueAndGrad", ["G.valueAndGrad(undefined)", "G.valueAndGrad(fvec)(A)"])
    add("jacfwd", ["G.jacfwd(undefined)", "G.jacfwd(fstr)(A)", "G.jacfwd(fvec)('a')", "G.jacfwd(fvec)(BIG)", "G.jacfwd(fvec)(E)"])
    add("jacrev", ["G.jacrev(null)", "G.jacrev(fstr)(A)", "G.jacrev(fvec)('a')", "G.jacrev(fvec)(BIG)"])
    add("hessian", ["G.hessian(fvec)(A)", "G.hessian('f')", "G.hessian(fstr)(A)", "G.hessian(f1)(undefined)"])
    add("jacobian", ["G.jacobian(fvec, A, {mode: 'x'})", "G.jacobian(A, A)"])
    add("vjp", ["G.vjp(fvec, [A], [1, 2])", "G.vjp(fvec, A, A)", "G.vjp(1, [A], A)"])
    add("jvp", ["G.jvp(fvec, [A], [B])", "G.jvp(fvec, [A], [])", "G.jvp(fvec, A, A)"])
    add("gradCheck", ["G.gradCheck(3, [A])", "G.gradCheck(f1, 'a')", "G.gradCheck(f1, [])"])
    add("numericalGrad", ["G.numericalGrad('f', A)", "G.numericalGrad(f1, 'a')", "G.numericalGrad(f1, A, {method: 'x'})"])
    add("backward", ["gl.tensor([1, 2], {requiresGrad: true}).mul(2).backward()", "A.mul(2).sum().backward()",
                     "gl.tensor([1, 2], {requiresGrad: true}).mul(2).backward([1, 2, 3])"])

    add("forward", ["net.forward(gl.zeros([2, 5]))", "net.forward('a')", "net.forward(C3)", "net.forward(undefined)", "net.forward(S)"],
        names="Linear")
    add("Linear", ["new G.nn.Linear(0, 3)", "new G.nn.Linear('a', 3)", "new G.nn.Linear(3, -1)", "new G.nn.Linear(2, 2, {init: 'x'})"])
    add("mlp", ["G.nn.mlp(3)", "G.nn.mlp([2, -1])", "G.nn.mlp([2, 1.5])", "G.nn.mlp('a')", "G.nn.mlp([2, 3], {activation: 'x'})"])
    add("softmaxCrossEntropy", [f"G.nn.softmaxCrossEntropy(SC, {y})" for y in ["[0, 1]", "'abc'", "undefined", "[0, 1, 5]", "[0, 1.5, 1]"]]
        + ["G.nn.softmaxCrossEntropy(B, [0, 1, 0, 1])"])
    add("svmLoss", [f"G.nn.svmLoss(SC, {y})" for y in ["[0, 1]", "'abc'", "[0, 1, 5]"]])
    add("logisticLoss", ["G.nn.logisticLoss(SC, [0, 1, 1])", "G.nn.logisticLoss(B, [0, 1])"])
    add("mse", ["G.nn.mse(SC, gl.zeros([4, 2]))", "G.nn.mse(SC, 'a')", "G.nn.mse('a', SC)"])
    add("l2", ["G.nn.l2('a', 1)", "G.nn.l2(net, -1)", "G.nn.l2(net, 'a')"])
    add("accuracy", ["G.nn.accuracy(SC, [0, 1])", "G.nn.accuracy(SC, 'abc')"])
    add("SGD", ["new G.optim.SGD([], {lr: 0.1})", "new G.optim.SGD('a', {lr: 1})", "new G.optim.SGD(net, {lr: 'a'})",
                "new G.optim.SGD(net)", "new G.optim.SGD(net, {lr: 0.1, momentum: 1})", "new G.optim.SGD(net, {lr: 0.1, weightDecay: 'a'})",
                "new G.optim.SGD([W.mul(2)], {lr: 0.1})"])
    add("Adam", ["new G.optim.Adam(net, {beta1: 2})", "new G.optim.Adam(net, {eps: 'a'})", "new G.optim.Adam([])"])
    # a NaN or infinite gradient: the step is refused and no parameter changes
    add("SGD.step", [f"(() => {{ for (const p of net.parameters()) p.grad = gl.full(p.shape.slice(), {v}); return opt.step(); }})()"
                     for v in ["NaN", "Infinity", "-Infinity"]])
    add("train", ["G.nn.train(net, {}, {curve: false})", "G.nn.train(net, {X: A, y: [0, 1]}, {curve: false})",
                  "G.nn.train(net, data, {batchSize: 0, curve: false})", "G.nn.train('a', data)",
                  "G.nn.train(net, data, {loss: 'x', curve: false})", "G.nn.train(net, {X: data.X, y: data.y.map((v: number, i: number) => (i === 79 ? 7 : v))}, {curve: false})",
                  "G.nn.train(net, data, {lr: -1, curve: false})", "G.nn.train(net, data, {optimizer: 'adam', lr: 'a', curve: false})",
                  "G.nn.train(net, data, {validation: {X: A}, curve: false})"])
    add("assign", ["W.assign([1, 2, 3])", "W.assign(gl.zeros([5, 5]))", "W.assign('a')"])
    add("item", ["A.item()"], names="item()")
    add("grad of a leaf", ["(() => { W.grad = gl.zeros([3]); })()"], names="grad")
    add("checkNode", ["G.checkNode('a')", "G.checkNode(gl.trace(gl.sum(W)), {})"])
    add("trace", ["G.trace('a')"])
    add("customOp", ["G.customOp({})", "G.customOp({name: 'f', forward: 1})"])
    add("jacobianChain", ["G.jacobianChain('a', A)", "G.jacobianChain([], A)"])
    add("show", ["G.show(undefined)"])
    return ops


def generate(seed: int) -> list[Case]:
    """A seeded sample: for every op, up to 4 of its bad calls (all of them when it has fewer)."""
    rng = random.Random(seed)
    cases: list[Case] = []
    for _op, calls in candidates():
        for code, names in rng.sample(calls, min(4, len(calls))):
            cases.append(Case(len(cases), code, names))
    rng.shuffle(cases)
    return cases


def notebook(cases: list[Case]) -> nbformat.NotebookNode:
    cells = [SETUP]
    for i in range(0, len(cases), PER_CELL):
        cells.append("\n".join(f"await probe({c.id}, () => {c.code});" for c in cases[i:i + PER_CELL]))
    cells += [AFTER, TYPED]
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "tslab", "display_name": "TypeScript", "language": "typescript"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    return nb


def lines(run: Run, prefix: str) -> list[dict]:
    out = []
    for i in range(len(run.nb.cells)):
        out += [json.loads(l[len(prefix):]) for l in run.stream(i).splitlines() if l.startswith(prefix)]
    return out


@pytest.fixture(scope="module")
def fuzz() -> tuple[list[Case], Run]:
    cases = generate(SEED)
    folder = ROOT / "test-output" / "fuzz"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "api_fuzz.ipynb"
    nbformat.write(notebook(cases), path)
    try:
        # a timeout per cell: a call that hangs fails the run instead of blocking it
        return cases, run_notebook(path, timeout=90)
    except (CellTimeoutError, DeadKernelError) as e:
        pytest.fail(f"seed {SEED}: a bad call hung or killed the kernel ({type(e).__name__}); the cells are in {path}:\n{e}")


def test_every_bad_call_gets_an_error_naming_the_op(fuzz: tuple[list[Case], Run]) -> None:
    cases, run = fuzz
    assert run.error is None, describe(run)
    got = {r["id"]: r for r in lines(run, "FUZZ ")}
    assert len(got) == len(cases), f"seed {SEED}: {len(cases) - len(got)} calls reported nothing (a cell was cut short?)"
    bad = []
    for c in cases:
        r = got[c.id]
        if not r["threw"]:
            bad.append(f"{c.code}: no error (returned {r['got']})")
        elif not r["isError"]:
            bad.append(f"{c.code}: threw a non-Error: {r['message']}")
        elif c.names not in r["message"]:
            bad.append(f"{c.code}: the message does not name {c.names!r}: {r['name']}: {r['message']}")
        elif r["ms"] > MAX_CALL_MS:
            bad.append(f"{c.code}: took {r['ms']} ms")
    assert not bad, f"seed {SEED}, {len(bad)} of {len(cases)} bad calls:\n" + "\n".join(bad)
    # they are refused, not attempted: a huge allocation is not tried and then failed slowly
    assert max(r["ms"] for r in got.values()) < MAX_CALL_MS


def test_the_kernel_answers_afterwards_and_nothing_changed(fuzz: tuple[list[Case], Run]) -> None:
    _, run = fuzz
    assert run.error is None, describe(run)
    assert run.stream(0).strip() == "ready true"
    [after] = lines(run, "AFTER ")
    assert after == {
        "same": True,
        "gradEnabled": True,
        "g": [2, 4, 6],
        "J": [[2, 0], [0, 2]],
        "H": [[2, 0], [0, 2]],
        "trainedSteps": 3,
        "lossFinite": True,
    }


def test_options_objects_type_check_under_tslab(fuzz: tuple[list[Case], Run]) -> None:
    _, run = fuzz
    assert run.error is None, describe(run)
    [typed] = lines(run, "TYPED ")
    assert typed["r1"] == [9, 12] and typed["r2"] == [[5, 7, 9]] and typed["r3"] == 3.5 and typed["r4"] == [5, 6]
    assert typed["r6"] == [2, 3] and typed["r7"] == [2, 3] and typed["r8"] == [[1], [2]] and typed["r9"] == [9, 12]
    assert typed["refused"] == (
        "Adam.step: gradient of '#0' has NaN at [0]; no parameter was changed (pass {allowNonFinite: true} to step anyway)"
    )


def test_the_generator_covers_every_op_and_is_seeded() -> None:
    ops = {op for op, _ in candidates()}
    for name in ["zeros", "tensor", "add", "exp", "sum", "softmax", "matmul", "reshape", "take", "concat", "grad", "jacfwd",
                 "hessian", "Linear", "mlp", "softmaxCrossEntropy", "mse", "SGD", "SGD.step", "Adam", "train"]:
        assert name in ops
    assert [c.code for c in generate(SEED)] == [c.code for c in generate(SEED)]
    assert [c.code for c in generate(SEED)] != [c.code for c in generate(SEED + 1)]
