"""Lecture notebooks 1–3 through the real tslab kernel, in the teacher's version and in the student version.

Teacher: every check prints ✓, the key numbers are right (checked here independently, in Python), and the
views' rich bundles are there. Student (the nbgrader release, scripts/student.sh): runs to the end, every check prints "not yet"
with its hint.
"""

from __future__ import annotations

import math
import re

import pytest

from lectures import (
    CHAIN, GRADCHECK, GRAPH, assert_solution_passes, assert_student_all_not_yet, check_cells, checks, hints, mimes,
    run_solution, run_student, solution_cells,
)

NB1 = "01-computational-graphs.ipynb"
NB2 = "02-numerical-vs-analytic.ipynb"
NB3 = "03-forward-vs-reverse.ipynb"
ALL = [NB1, NB2, NB3]


# ---------------------------------------------------------------- both versions of every notebook

@pytest.mark.parametrize("name", ALL)
def test_solution_passes_every_check(name: str) -> None:
    run = run_solution(name)
    assert_solution_passes(run)
    assert len(solution_cells(run)) >= 2, "each lecture notebook has at least two exercises"
    # a check cell prints its verdicts and nothing else (no CheckResult object after the last one)
    for i in check_cells(run):
        assert all(line.startswith("✓ ") for line in run.stream(i).splitlines()), run.stream(i)


@pytest.mark.parametrize("name", ALL)
def test_student_version_runs_and_every_check_says_not_yet(name: str) -> None:
    student = run_student(name)
    assert_student_all_not_yet(student)
    # the same checks as the teacher's version, each with a hint after the TodoError's message
    assert [label for label, _ in checks(student)] == [label for label, _ in checks(run_solution(name))]
    for label, ok, rest in hints(student):
        assert not ok and "is not implemented yet" in rest and "Hint: " in rest, (label, rest)
    # nbgrader's stub replaced each solution region; the hint above it stays
    for i in solution_cells(student):
        src = "".join(student.nb.cells[i].source)
        assert "// YOUR CODE HERE\n" in src and "return gl.todo();" in src and "SOLUTION" not in src, src
        hint_line = src.split("// YOUR CODE HERE")[0].rstrip().splitlines()[-1].strip()
        assert hint_line.startswith("//"), f"no hint comment above the stub: {src}"


# ---------------------------------------------------------------- 1 · computational graphs

X0 = [1.5, -0.5, 2, 3, 0.4, 0.3]


def lecture(x: list[float]) -> float:
    x1, x2, x3, x4, x5, x6 = x
    m = math.log(5 * (max(x1, x2) * x3 / x4 - (x5 + x6))) + 0.5
    return 1 / (1 + math.exp(-m))


def central(f, x: list[float], h: float = 1e-6) -> list[float]:
    out = []
    for i in range(len(x)):
        xp, xm = list(x), list(x)
        xp[i] += h
        xm[i] -= h
        out.append((f(xp) - f(xm)) / (2 * h))
    return out


def graph_nodes(display) -> dict:
    return {n["name"]: n for n in display["data"][GRAPH]["nodes"] if n["name"]}


def test_nb1_forward_graph_has_the_values_and_no_gradients() -> None:
    run = run_solution(NB1)
    [out] = run.displays("forward")
    assert set(out["data"]) == {GRAPH, "image/svg+xml", "text/plain"}
    nodes = graph_nodes(out)
    assert set("abcdeglmf") | {f"x{i}" for i in range(1, 7)} <= set(nodes)
    assert nodes["f"]["value"]["values"][0] == pytest.approx(lecture(X0), abs=1e-15)
    assert nodes["g"]["value"]["values"][0] == pytest.approx(1.5, abs=1e-12)
    assert all(n.get("grad") is None for n in nodes.values())


def test_nb1_backward_gradients_match_numerical_ones_to_1e_8() -> None:
    run = run_solution(NB1)
    [out] = run.displays("backward")
    nodes = graph_nodes(out)
    got = [nodes[f"x{i}"]["grad"]["values"][0] for i in range(1, 7)]
    numerical = central(lecture, X0)
    assert got == pytest.approx(numerical, abs=1e-8)
    assert got[1] == 0  # the max gate routes everything to x1
    assert got[4] == got[5]  # the add gate distributes
    assert nodes["f"]["grad"]["values"][0] == 1
    printed = [float(v) for v in re.findall(r"∂f/∂x\d = (\S+)", run.stream("backward"))]
    assert printed == pytest.approx(numerical, abs=1e-8)


def test_nb1_topological_order_lists_each_node_after_its_inputs() -> None:
    run = run_solution(NB1)
    lines = run.stream("topo-order").splitlines()
    assert len(lines) == 17  # 6 inputs, 2 constants, 9 operations
    seen: set[str] = set()
    for line in lines:
        m = re.match(r"\s*\d+\s+(\S+)\s+= (\w+)(?:\(([^)]*)\))?", line)
        assert m, line
        name, _, args = m.groups()
        assert all(a.strip() in seen for a in (args or "").split(",") if a.strip()), line
        seen.add(name)
    assert lines[-1].split()[1] == "f"


def test_nb1_numerical_check_and_gradcheck_report() -> None:
    run = run_solution(NB1)
    diffs = [float(d) for d in re.findall(r"\|difference\| (\S+)", run.stream("numerical"))]
    assert len(diffs) == 6 and max(diffs) < 1e-6
    [out] = run.displays("gradcheck")
    p = out["data"][GRADCHECK]
    assert p["ok"] is True and p["maxRelError"] < 1e-6 and p["totalEntries"] == 6
    assert {GRAPH, GRADCHECK} <= mimes(run)


# ---------------------------------------------------------------- 2 · numerical vs analytic

def test_nb2_nudging_walkthrough() -> None:
    run = run_solution(NB2)
    lines = run.stream("nudge").splitlines()
    assert len(lines) == 10
    L0 = float(re.search(r"loss (\S+)", run.stream("setup")).group(1))
    for i, line in enumerate(lines):
        m = re.match(rf"W\[{i}\]\s+(\S+) →\s+(\S+):\s+loss (\S+) → (\S+)\s+dW\[{i}\] ≈ .* = (\S+)$", line)
        assert m, line
        w, wh, before, after, g = (float(v) for v in m.groups())
        assert wh == pytest.approx(w + 1e-4, abs=1e-9) and before == L0
        assert g == pytest.approx((after - before) / 1e-4, abs=2e-4)  # printed to 8 and 5 decimals
    # numerical (forward differences) against backprop: close, not equal
    rows = [l.split() for l in run.stream("analytic").splitlines()[1:]]
    assert len(rows) == 10
    diffs = [float(r[3]) for r in rows]
    assert max(diffs) < 1e-4 and min(diffs) > 0


def test_nb2_numerical_gradient_is_much_slower_than_backprop() -> None:
    run = run_solution(NB2)
    rows = [l.split() for l in run.stream("timing").splitlines()[1:]]
    assert [int(r[0]) for r in rows] == [40, 160, 640, 1280]
    assert [int(r[1]) for r in rows] == [80, 320, 1280, 2560]
    assert float(rows[-1][4]) > 20  # timings vary; an order of magnitude does not


PLOT = "application/vnd.gradlab.plot.v1+json"


def test_nb2_error_vs_h_plot() -> None:
    run = run_solution(NB2)
    [out] = run.displays("error-vs-h")
    p = out["data"][PLOT]
    assert p["logX"] is True and p["logY"] is True and p["xLabel"] == "step h"
    fwd, ctr = p["series"]
    assert fwd["name"] == "forward" and ctr["name"] == "central"
    assert fwd["x"] == ctr["x"] and fwd["x"] == pytest.approx([10.0 ** -k for k in range(1, 13)], rel=1e-12)
    assert "image/svg+xml" in out["data"]  # the static figure, for places without the extension
    # the printed table: log10 of the same errors
    rows = [l.split() for l in run.stream("error-vs-h").splitlines()[1:]]
    assert [int(r[0]) for r in rows] == list(range(-1, -13, -1))
    assert [float(r[1]) for r in rows] == pytest.approx([math.log10(v) for v in fwd["y"]], abs=0.006)
    lf = [math.log10(v) for v in fwd["y"]]
    lc = [math.log10(v) for v in ctr["y"]]
    # slope 1 and 2 while truncation dominates, a V with the central minimum near 1e-10 at h = 1e-4..1e-5
    assert lf[1] - lf[2] == pytest.approx(1, abs=0.05)
    assert lc[1] - lc[2] == pytest.approx(2, abs=0.05)
    assert min(lc) < -9 and lc.index(min(lc)) in (3, 4)
    assert min(lf) > min(lc) and lf[-1] > min(lf) + 3


def test_nb2_gradient_checks_pass_and_catch_the_bug() -> None:
    run = run_solution(NB2)
    [good] = run.displays("gradcheck")
    assert good["data"][GRADCHECK]["ok"] is True and good["data"][GRADCHECK]["totalEntries"] == 10
    [bad] = run.displays("gradcheck-bug")
    p = bad["data"][GRADCHECK]
    assert p["ok"] is False and p["maxRelError"] > 1e-2
    assert "✗" in bad["data"]["text/plain"]


# ---------------------------------------------------------------- 3 · forward vs reverse

def chain_costs(sizes: list[int]) -> tuple[int, int]:
    k = len(sizes) - 1
    fwd = sum(sizes[i] * sizes[i - 1] * sizes[0] for i in range(2, k + 1))
    rev = sum(sizes[k] * sizes[i] * sizes[i - 1] for i in range(1, k))
    return fwd, rev


def test_nb3_jvp_vjp_and_jacobians() -> None:
    run = run_solution(NB3)
    text = run.stream("jvp-vjp")
    assert f"J·e0  = [3.0000, {math.cos(2):.4f}, 0.0000]" in text
    assert "e0ᵀ·J = [3.0000, 2.0000]" in text
    jac = run.stream("jacobians")
    assert "jacfwd: shape [3,2]" in jac and "jacrev: shape [3,2], the same: true" in jac
    assert "shape [3,3,4]" in jac


def test_nb3_measured_winner_follows_the_shape() -> None:
    run = run_solution(NB3)
    rows = {(int(r[0]), int(r[1])): r for r in (l.split() for l in run.stream("timing").splitlines()[1:])}
    assert set(rows) == {(4, 256), (256, 4), (4, 4), (256, 256)}
    assert rows[(4, 256)][6].startswith("forward")  # tall: forward mode
    assert rows[(256, 4)][6].startswith("reverse")  # wide: reverse mode


def test_nb3_reverse_mode_memory_grows_with_depth_forward_records_nothing() -> None:
    run = run_solution(NB3)
    rows = [l.split() for l in run.stream("memory").splitlines()[1:4]]
    assert [(int(r[0]), int(r[1]), int(r[2]), int(r[4])) for r in rows] == [
        (10, 41, 1281, 0), (100, 401, 12801, 0), (1000, 4001, 128001, 0),
    ]


@pytest.mark.parametrize("tag,sizes,winner", [
    ("chain", [784, 64, 64, 10, 1], "reverse"),
    ("chain-decoder", [2, 64, 64, 784, 784], "forward"),
])
def test_nb3_jacobian_chains(tag: str, sizes: list[int], winner: str) -> None:
    run = run_solution(NB3)
    [out] = run.displays(tag)
    assert set(out["data"]) == {CHAIN, "text/html", "text/plain"}
    p = out["data"][CHAIN]
    assert [s["cols"] for s in p["steps"]][0] == sizes[0] and [s["rows"] for s in p["steps"]] == sizes[1:]
    assert (p["forwardCost"], p["reverseCost"]) == chain_costs(sizes)
    assert p["winner"] == winner


def test_nb3_cheapest_order_of_the_autoencoder_is_neither_end() -> None:
    run = run_solution(NB3)
    text = run.stream("chain-orders")
    auto = text[text.index("autoencoder"):].splitlines()
    orders = {l.split()[0]: l.split() for l in auto[1:4]}
    assert orders["optimal"][1] == "(J4·J3)·(J2·J1)" and orders["optimal"][2] == "16,257,024", auto
    assert orders["forward"][2] == orders["reverse"][2] == "163,774,464", auto
    [out] = [d for d in run.displays("chain-orders") if CHAIN in d["data"]]
    p = out["data"][CHAIN]
    by = {o["name"]: o for o in p["orders"]}
    assert by["optimal"]["cost"] == 16_257_024 and by["forward"]["cost"] == by["reverse"]["cost"] == 163_774_464
    assert by["reverse"]["memory"] > by["forward"]["memory"]   # reverse keeps the activations

