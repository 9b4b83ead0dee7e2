"""Lecture notebooks 4-6 through the real tslab kernel, in the teacher's and the student's version.

For each notebook: the solution version runs without error and every check prints ✓; the values the
text talks about are checked numerically; the rich bundles (graph, gradient check, Jacobian chain,
loss curve) are present with their static fallbacks; the student version (the nbgrader release, scripts/student.sh) runs
to the end with every check printing "✗ not yet: label — hint".
"""

from __future__ import annotations

import re

import pytest

from harness import Run
from lectures import (
    CHAIN, CURVE, GRADCHECK, GRAPH, assert_solution_passes, assert_student_all_not_yet, check_cells, checks,
    hints, run_solution, run_student,
)

NB4 = "04-backprop-patterns.ipynb"
NB5 = "05-modular-layers.ipynb"
NB6 = "06-training.ipynb"
BOUNDARY = "application/vnd.gradlab.decision-boundary.v1+json"
CONFUSION = "application/vnd.gradlab.confusion-matrix.v1+json"
GRID = "application/vnd.gradlab.image-grid.v1+json"


def graph_of(run: Run, tag: str) -> dict:
    """The graph payload a cell showed (exactly one), after checking its bundle carries the SVG fallback."""
    [out] = [d for d in run.displays(tag) if GRAPH in d["data"]]
    data = out["data"]
    assert data["image/svg+xml"].lstrip().startswith("<svg") and data["text/plain"]
    return data[GRAPH]


def grads_by_name(payload: dict) -> dict[str, float]:
    return {n["name"]: n["grad"]["values"][0] for n in payload["nodes"] if n["name"] and n["grad"] is not None}


def assert_checks_print_only_verdicts(run: Run) -> None:
    """A check cell's text is its verdict lines and nothing else (no CheckResult object echoed by tslab)."""
    for i in check_cells(run):
        for line in run.stream(i).splitlines():
            assert line.startswith(("✓ ", "✗ not yet: ")), f"cell {i} printed {line!r}"


def gradchecks(run: Run, tag: str) -> list[dict]:
    outs = [d for d in run.displays(tag) if GRADCHECK in d["data"]]
    for o in outs:
        assert "text/html" in o["data"] and "text/plain" in o["data"]
    return [o["data"][GRADCHECK] for o in outs]


# ---------------------------------------------------------------- 4. backprop patterns

@pytest.fixture(scope="module")
def nb4() -> Run:
    return run_solution(NB4)


def test_nb4_solution_passes_every_check(nb4: Run) -> None:
    assert_solution_passes(nb4)
    assert_checks_print_only_verdicts(nb4)
    assert [label for label, _ in checks(nb4)] == [
        "gradients at (x, y, z) = (1, 2, −3)",
        "gradients at (x, y, z) = (1, −2, 0.5), where z wins the max",
    ]


def test_nb4_each_gate_pattern_on_its_graph(nb4: Run) -> None:
    # upstream gradient 2 into each gate
    assert grads_by_name(graph_of(nb4, "add-gate")) == {"x": 2, "y": 2, "z = x + y": 2}
    assert grads_by_name(graph_of(nb4, "max-gate")) == {"a": 2, "b": 0, "z = max(a, b)": 2}
    assert grads_by_name(graph_of(nb4, "mul-gate")) == {"u": -8, "v": 6, "z = u·v": 2}
    assert nb4.stream("add-gate").startswith("add: dL/dx = 2, dL/dy = 2")
    assert nb4.stream("max-gate").startswith("max: dL/da = 2, dL/db = 0")
    assert nb4.stream("mul-gate").startswith("mul: dL/du = -8 (= 2·v), dL/dv = 6 (= 2·u)")


def test_nb4_gradients_add_at_branches(nb4: Run) -> None:
    sq = graph_of(nb4, "branch-square")
    [leaf] = [n for n in sq["nodes"] if n["name"] == "s"]
    [mul] = [n for n in sq["nodes"] if n["op"] == "mul"]
    assert mul["inputs"] == [leaf["id"], leaf["id"]]          # two edges from s into one gate
    assert leaf["grad"]["values"] == [6]
    assert grads_by_name(graph_of(nb4, "branch-twice"))["p"] == -3   # q + 1
    assert grads_by_name(graph_of(nb4, "branch-twice"))["q"] == 3
    text = nb4.stream("broadcast")
    m = re.search(r"b\.grad = \[(.*?)\]\s+column sums of G = \[(.*?)\]", text)
    assert m and m.group(1) == m.group(2), text


def test_nb4_exercise_graph_shows_the_answer(nb4: Run) -> None:
    g = grads_by_name(graph_of(nb4, "exercise-graph"))
    assert (g["x"], g["y"], g["z"], g["s"], g["m"]) == (2, 5, 0, 2, 3)
    assert nb4.stream("exercise-graph").startswith("f = 6: df/dx = 2, df/dy = 5, df/dz = 0")


def test_nb4_per_node_check_points_at_the_wrong_gate(nb4: Run) -> None:
    text = nb4.stream("wrong-gate")
    assert text.startswith("whole function: wrong; gates checked: 4; wrong gate: cube (relative error 2.00e-1)"), text
    [report] = gradchecks(nb4, "wrong-gate")
    assert report["ok"] is False
    checked = [n for n in report["graph"]["nodes"] if "check" in n]
    assert sorted(n["op"] for n in checked) == ["cube", "mul", "sum", "tanh"]
    assert [n["op"] for n in checked if not n["check"]["ok"]] == ["cube"]
    [cube] = [n for n in checked if n["op"] == "cube"]
    assert abs(cube["check"]["relError"] - 0.2) < 1e-4       # 2x² against 3x²: |2−3| / (2+3)
    assert all(n["check"]["relError"] < 1e-6 for n in checked if n["op"] != "cube")


def test_nb4_student_version_runs_with_every_check_not_yet() -> None:
    run = run_student(NB4)
    assert_student_all_not_yet(run)
    got = hints(run)
    assert len(got) == 2 and all("not implemented yet" in rest and "max gate" in rest for _, _, rest in got), got
    # the demonstrations still ran: the graph after the exercise is there
    assert graph_of(run, "exercise-graph")


# ---------------------------------------------------------------- 5. modular layers

@pytest.fixture(scope="module")
def nb5() -> Run:
    return run_solution(NB5)


def test_nb5_solution_passes_every_check(nb5: Run) -> None:
    assert_solution_passes(nb5)
    assert_checks_print_only_verdicts(nb5)
    assert [label for label, _ in checks(nb5)] == [
        "sigmoidGate(x) equals σ(x)",
        "sigmoidGate passes the gradient check",
        "fcLayer(x, W, b) equals x·W + b",
        "fcLayer passes the gradient check for x, W and b",
        "a network of your gates has the built-in gradients",
    ]


def test_nb5_gradient_checks_of_the_students_gates(nb5: Run) -> None:
    [sig] = gradchecks(nb5, "check-sigmoid")
    assert sig["ok"] and sig["maxRelError"] < 1e-7 and sig["totalEntries"] == 6
    [fc] = gradchecks(nb5, "check-fc")
    assert fc["ok"] and fc["maxRelError"] < 1e-7
    assert [(i["name"], i["shape"]) for i in fc["inputs"]] == [("x", [5, 3]), ("W", [3, 4]), ("b", [4])]
    assert fc["totalEntries"] == 15 + 12 + 4


def test_nb5_the_wrong_backward_is_caught_worst_first(nb5: Run) -> None:
    [bad] = gradchecks(nb5, "buggy-gradcheck")
    assert bad["ok"] is False and bad["maxRelError"] > 0.1
    errs = [e["relError"] for e in bad["entries"]]
    assert errs == sorted(errs, reverse=True) and not bad["entries"][0]["ok"]
    [out] = [d for d in nb5.displays("buggy-gradcheck") if GRADCHECK in d["data"]]
    assert "✗" in out["data"]["text/plain"] and "✗" in out["data"]["text/html"]
    assert nb5.stream("buggy-gradcheck").startswith("ok: false")


def test_nb5_network_of_custom_gates_in_the_graph(nb5: Run) -> None:
    g = graph_of(nb5, "check-net")
    ops = [n["op"] for n in g["nodes"]]
    assert ops.count("myFC") == 2 and ops.count("mySigmoid") == 1
    assert all(n["grad"] is not None for n in g["nodes"] if n["name"] in ("W1", "b1", "W2", "b2"))


def test_nb5_fc_jacobians(nb5: Run) -> None:
    assert nb5.stream("jacobians").splitlines() == [
        "∂y/∂x: shape [2,4,2,3], 48 entries, 24 of them zero",
        "∂y/∂W: shape [2,4,3,4], 96 entries, 72 of them zero",
        "∂y/∂b: shape [2,4,4], 32 entries, 24 of them zero",
    ]
    rows = nb5.stream("jacobian-x").splitlines()
    # 8×6 block diagonal: the first 4 rows end in three zeros, the last 4 start with three
    assert len(rows) == 8 + 1 + 4
    assert all(r.split()[3:] == ["."] * 3 for r in rows[:4]) and all(r.split()[:3] == ["."] * 3 for r in rows[4:8])
    assert [r.split()[:3] for r in rows[:4]] == [r.split() for r in rows[9:]]   # the blocks are Wᵀ
    assert nb5.stream("vjp").strip() == "Jᵀ·gy equals xᵀ·gy: true"


def test_nb5_jacobian_chain_of_a_real_layer(nb5: Run) -> None:
    [out] = nb5.displays("jacobian-chain")
    p = out["data"][CHAIN]
    assert "text/html" in out["data"] and "text/plain" in out["data"]
    assert [(s["rows"], s["cols"]) for s in p["steps"]] == [(6400, 78400), (6400, 6400), (640, 6400), (1, 640)]
    assert p["winner"] == "reverse"
    text = nb5.stream("chain-costs")
    assert "501,760,000 entries, 4.0 GB" in text and "5,017,600 multiply-adds, 100× fewer" in text


def test_nb5_fc_layer_full_jacobian_next_to_what_backprop_computes(nb5: Run) -> None:
    assert nb5.stream("fc-jacobian").splitlines()[0] == (
        "fc.weight: ∂y/∂fc.weight is 256 × 200,704 = 51,380,224 entries (200,704 non-zero);"
        " backprop: gW = xᵀ · gy, shape [784,256], 200,704 multiply-adds")
    [out] = nb5.displays("jacobian-chain")
    assert [q["name"] for q in out["data"][CHAIN]["steps"][0]["params"]] == ["W1", "b1"]


def test_nb5_student_version_runs_with_every_check_not_yet() -> None:
    run = run_student(NB5)
    assert_student_all_not_yet(run)
    got = hints(run)
    assert len(got) == 5, got
    assert all("not implemented yet" in rest for _, _, rest in got), got
    # the demonstrations that use gradlab's own ops still ran
    assert gradchecks(run, "buggy-gradcheck") and run.displays("jacobian-chain")


# ---------------------------------------------------------------- 6. training

def curve_of(run: Run, tag: str) -> dict:
    """The final payload of the loss curve a cell drew (closed before the cell ended), with its SVG fallback."""
    [out] = [d for d in run.displays(tag) if CURVE in d["data"]]
    assert out["data"]["image/svg+xml"].lstrip().startswith("<svg")
    p = out["data"][CURVE]
    assert p["done"] is True
    return p


def series(p: dict) -> dict[str, list[float]]:
    return {s["name"]: s["y"] for s in p["series"]}


def percent_and_seconds(text: str, what: str) -> tuple[float, float]:
    m = re.search(rf"{what} (\d+\.\d)%.* in (\d+\.\d) s", text)
    assert m, text
    return float(m.group(1)) / 100, float(m.group(2))


@pytest.fixture(scope="module")
def nb6() -> Run:
    return run_solution(NB6)


def test_nb6_solution_passes_every_check(nb6: Run) -> None:
    assert_solution_passes(nb6)
    assert_checks_print_only_verdicts(nb6)
    assert [label for label, _ in checks(nb6)] == [
        "softmaxCE equals gl.nn.softmaxCrossEntropy",
        "its gradient passes the gradient check",
        "it is stable for scores around 1000",
        "sgdStep moves each parameter against its gradient",
    ]


def test_nb6_logistic_regression_is_a_line(nb6: Run) -> None:
    p = curve_of(nb6, "logreg")
    s = series(p)
    assert len(s["loss"]) == 30 and len(s["accuracy"]) == 30
    assert s["loss"][-1] < s["loss"][0]
    m = re.search(r"logistic regression: training accuracy (\d+\.\d)%", nb6.stream("logreg"))
    assert m and 80 <= float(m.group(1)) < 95    # good, but a straight line cannot separate the moons


def test_nb6_objective_graph_has_both_terms_and_the_layers(nb6: Run) -> None:
    g = graph_of(nb6, "objective-graph")
    names = {n["name"] for n in g["nodes"] if n["name"]}
    assert {"L(W)", "(1/N) Σ Li", "λ R(W)"} <= names
    assert {"fc1", "relu1", "fc2"} <= {sc for n in g["nodes"] for sc in n["scope"]}
    m = re.match(r"L\(W\) = (\d\.\d{4}) \+ (\d\.\d{4}) = (\d\.\d{4})", nb6.stream("objective-graph"))
    assert m and abs(float(m.group(1)) + float(m.group(2)) - float(m.group(3))) < 2e-4


def test_nb6_spiral_reaches_97_percent_in_under_30_s(nb6: Run) -> None:
    acc, seconds = percent_and_seconds(nb6.stream("spiral"), "training accuracy")
    assert acc >= 0.97 and seconds < 30
    s = series(curve_of(nb6, "spiral"))
    assert len(s["loss"]) == 1500 and s["accuracy"][-1] >= 0.97
    # the decision regions, drawn by gl.decisionBoundary: every class appears, the points agree with the training accuracy
    [out] = nb6.displays("boundary")
    assert "image/svg+xml" in out["data"] and "text/plain" in out["data"]
    b = out["data"][BOUNDARY]
    assert b["rows"] * b["cols"] == len(b["predicted"]) and set(b["predicted"]) == {0, 1, 2}
    pts = b["points"]
    assert len(pts["x"]) == 300
    right = sum(p == t for p, t in zip(pts["predicted"], pts["label"])) / 300
    assert right == pytest.approx(acc, abs=1e-3) and b["accuracy"] == pytest.approx(acc, abs=1e-3)


def test_nb6_digits_reach_95_percent_test_accuracy_in_under_30_s(nb6: Run) -> None:
    text = nb6.stream("digits")
    assert text.startswith("train 1438,64, test 359,64")
    test_acc, seconds = percent_and_seconds(text, "test accuracy")
    assert test_acc >= 0.95 and seconds < 30
    s = series(curve_of(nb6, "digits"))
    assert s["validation accuracy"][-1] == pytest.approx(test_acc, abs=1e-3)
    [out] = nb6.displays("confusion")
    assert "text/html" in out["data"] and "text/plain" in out["data"]
    counts = out["data"][CONFUSION]["counts"]
    assert len(counts) == 10 and sum(map(sum, counts)) == 359
    assert sum(counts[d][d] for d in range(10)) / 359 == pytest.approx(test_acc, abs=1e-3)
    assert nb6.stream("confusion") == f"test accuracy from the matrix: {100 * test_acc:.1f}%\n"
    # the first test images and the first layer's weights as image grids
    grids = [d["data"][GRID] for d in nb6.displays("digit-images")]
    assert [(len(g["images"]), g["height"], g["width"]) for g in grids] == [(20, 8, 8), (20, 8, 8)]


def test_nb6_student_version_runs_with_every_check_not_yet() -> None:
    run = run_student(NB6)
    assert_student_all_not_yet(run)
    got = hints(run)
    assert len(got) == 4 and all("not implemented yet" in rest for _, _, rest in got), got
    # the training demonstrations do not depend on the exercises: they still reach the bars
    assert percent_and_seconds(run.stream("spiral"), "training accuracy")[0] >= 0.97
    assert percent_and_seconds(run.stream("digits"), "test accuracy")[0] >= 0.95
