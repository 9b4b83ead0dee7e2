"""Notebook 7 (the four ways) through the real tslab kernel, in the teacher's and the student's version.

The solution version runs with every check ✓; the numbers the text reads are checked here, independently
where they have a closed form (the lecture's gradient in Python, the written-out size of the logistic map);
the typeset expressions, the four-ways figures and the swell plot are present with their static fallbacks;
the student version (the nbgrader release, scripts/student.sh) runs to the end with every check "✗ not yet"
and still draws every figure (the manual way says why it has no values).
"""

from __future__ import annotations

import math
import re

import pytest

from harness import Run
from lectures import (
    assert_solution_passes, assert_student_all_not_yet, check_cells, checks, hints, run_solution, run_student, solution_cells,
)

NB7 = "07-four-ways.ipynb"
FOUR_WAYS = "application/vnd.gradlab.four-ways.v1+json"
PLOT = "application/vnd.gradlab.plot.v1+json"
NAMES = ["x1", "x2", "x3", "x4", "x5", "x6"]
X0 = [1.5, -0.5, 2, 3, 0.4, 0.3]
X_KINK = [1.5, 1.5, 2, 3, 0.4, 0.3]
LABELS = [
    "lectureGradient equals the symbolic derivatives at x0",
    "lectureGradient equals the symbolic derivatives where x2 > x1",
    "kinkNumerical(a) predicts the numerical column at the kink",
    "writtenOutSize(n) matches the table for n = 1…12",
    "writtenOutSize(30) is the size of the 30-step expression",
    "tapeSize(n) matches the AD tape for n = 1…12 and n = 100",
]


def lecture_gradient(x: list[float]) -> list[float]:
    """The lecture's gradient in closed form (max's gradient to x1 at a tie, as the engine's rule)."""
    x1, x2, x3, x4, x5, x6 = x
    a = max(x1, x2)
    g = 5 * (a * x3 / x4 - (x5 + x6))
    s = 1 / (1 + math.exp(-(math.log(g) + 0.5)))
    k = s * (1 - s) * 5 / g
    w = 1.0 if x1 >= x2 else 0.0
    return [k * w * x3 / x4, k * (1 - w) * x3 / x4, k * a / x4, -k * a * x3 / x4**2, -k, -k]


def rel(a: float, b: float) -> float:
    return 0.0 if a == b else abs(a - b) / max(abs(a), abs(b))


def four_ways(run: Run, tag: str) -> dict:
    """The four-ways payload a cell showed (exactly one), after checking its static fallbacks."""
    [out] = [d for d in run.displays(tag) if FOUR_WAYS in d["data"]]
    html, text = out["data"]["text/html"], out["data"]["text/plain"]
    assert "<table" in html and "gradlab-four-ways" in html and "<script" not in html
    assert text.startswith(out["data"][FOUR_WAYS].get("title", "")) and "AD reverse mode" in text
    return out["data"][FOUR_WAYS]


def way(p: dict, id: str) -> dict:
    [w] = [w for w in p["ways"] if w["id"] == id]
    return w


def table(run: Run, tag: str) -> dict[int, list[int]]:
    """The swell table a cell printed: n → [f, f′ written out, f′ simplified, f′ shared, AD tape]."""
    rows = {}
    for line in run.stream(tag).splitlines():
        m = re.fullmatch(r"\s*(\d+)((?:\s+[\d,]+){5})", line)
        if m:
            rows[int(m.group(1))] = [int(v.replace(",", "")) for v in m.group(2).split()]
    assert sorted(rows) == list(range(1, 13)), run.stream(tag)
    return rows


@pytest.fixture(scope="module")
def nb7() -> Run:
    return run_solution(NB7)


@pytest.fixture(scope="module")
def student() -> Run:
    return run_student(NB7)


# ---------------------------------------------------------------- both versions

def test_solution_passes_every_check(nb7: Run) -> None:
    assert_solution_passes(nb7)
    assert [label for label, _ in checks(nb7)] == LABELS
    assert len(solution_cells(nb7)) == 3 and len(check_cells(nb7)) == 3
    for i in check_cells(nb7):
        assert all(line.startswith("✓ ") for line in nb7.stream(i).splitlines()), nb7.stream(i)


def test_graded_cells_give_one_point_per_check(nb7: Run) -> None:
    points = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in nb7.nb.cells
              if c.metadata.get("nbgrader", {}).get("grade")}
    assert points == {"fw-ex1-check": 2, "fw-ex2-check": 1, "fw-ex3-check": 3}
    import_cell = nb7.nb.cells[nb7.index("import")]
    assert import_cell.metadata["nbgrader"]["locked"] and "".join(import_cell.source) == 'import * as gl from "gradlab";'


def test_student_version_runs_with_every_check_not_yet(student: Run) -> None:
    assert_student_all_not_yet(student)
    got = hints(student)
    assert [label for label, _, _ in got] == LABELS
    assert all("is not implemented yet" in rest and "Hint: " in rest for _, _, rest in got), got
    for i in solution_cells(student):
        src = "".join(student.nb.cells[i].source)
        assert "// YOUR CODE HERE\n" in src and "return gl.todo();" in src and "SOLUTION" not in src, src
    # every figure still draws; the manual way says why it has no values
    p = four_ways(student, "four-ways")
    manual = way(p, "manual")
    assert manual["values"] is None and "lectureGradient is not implemented yet" in manual["error"]
    assert way(p, "reverse")["values"] and four_ways(student, "kink")
    assert [d for d in student.displays("swell-plot") if PLOT in d["data"]]
    assert table(student, "swell-table") == table(run_solution(NB7), "swell-table")


# ---------------------------------------------------------------- the lecture's function

def test_the_expression_and_two_partials_are_typeset(nb7: Run) -> None:
    [f] = nb7.displays("expression")
    assert f["data"]["text/plain"] == "lecture(x1, x2, x3, x4, x5, x6) = σ(log(5*(max(x1, x2)*x3/x4 - (x5 + x6))) + 0.5)"
    assert f["data"]["text/latex"].startswith("$$") and r"\sigma" in f["data"]["text/latex"]
    # max alone: its partials are the two Iverson brackets, typeset
    m1, m2 = nb7.displays("max-rule")
    assert m1["data"]["text/plain"] == "∂max/∂x1 = [x1 >= x2]" and m2["data"]["text/plain"] == "∂max/∂x2 = [x1 < x2]"
    assert r"\left[x_{1} \ge x_{2}\right]" in m1["data"]["text/latex"]
    assert r"\left[x_{1} < x_{2}\right]" in m2["data"]["text/latex"]
    [d1] = nb7.displays("partials")
    assert d1["data"]["text/plain"].startswith("∂lecture/∂x1 = ") and "[x1 >= x2]" in d1["data"]["text/plain"]
    assert d1["data"]["text/latex"].startswith(r"$$\frac{\partial \mathrm{lecture}}{\partial x_{1}} = ")
    assert r"\left[x_{1} \ge x_{2}\right]" in d1["data"]["text/latex"]
    # the sizes the text reads: each partial 3–4× f's 17 nodes written out, under half of that with sharing
    assert "17 nodes" in nb7.stream("expression")
    for line in nb7.stream("partials").splitlines()[1:]:
        written, simplified, shared = map(int, line.split()[1:])
        assert 3 * 17 <= written <= 4 * 17 and simplified <= written and shared < written / 2, line


def test_symbolic_values_agree_with_backprop_and_the_closed_form(nb7: Run) -> None:
    exact = lecture_gradient(X0)
    rows = [line.split() for line in nb7.stream("values").splitlines()[1:]]
    assert [r[0] for r in rows] == NAMES
    for (name, sym, back, diff), e in zip(rows, exact):
        assert abs(float(sym) - float(back)) <= 1e-12 and float(diff) <= 1e-15
        assert abs(float(sym) - e) <= 1e-11, (name, sym, e)


# ---------------------------------------------------------------- the four ways

def test_the_four_ways_at_x0(nb7: Run) -> None:
    p = four_ways(nb7, "four-ways")
    assert [w["id"] for w in p["ways"]] == ["manual", "symbolic", "numerical", "forward", "reverse"]
    assert [i["name"] for i in p["inputs"]] == NAMES and [i["value"] for i in p["inputs"]] == X0
    sym = way(p, "symbolic")["values"]
    assert all(rel(s, e) <= 1e-12 for s, e in zip(sym, lecture_gradient(X0)))
    for id, tol in [("manual", 1e-12), ("forward", 1e-12), ("reverse", 1e-12), ("numerical", 1e-6)]:
        values = way(p, id)["values"]
        assert all(rel(v, s) <= tol for v, s in zip(values, sym)), (id, values, sym)
    # what the text says: numerical is off by ~1e-8 (truncation at h = 1e-4), not by rounding alone
    assert 1e-9 < max(way(p, "numerical")["relErrors"]) < 1e-6
    assert [way(p, id)["cost"]["fEvals"] for id in ("numerical", "forward", "reverse")] == [12, 6, 1]
    assert way(p, "reverse")["cost"]["ops"] < way(p, "forward")["cost"]["ops"] < way(p, "symbolic")["cost"]["ops"]
    assert p["notes"] == [] and all(3 * 17 <= d["size"] <= 4 * 17 for d in p["derivatives"])
    # the cell that reads the figure prints the same numbers
    text = nb7.stream("read-four-ways")
    assert re.search(r"numerical\s+largest relative error\s+\S+\s+evaluations of f: 12", text), text
    assert re.search(r"AD reverse mode\s+largest relative error\s+\S+\s+evaluations of f: 1\b", text), text


def test_the_kink_splits_the_numerical_gradient_in_half(nb7: Run) -> None:
    p = four_ways(nb7, "kink")
    assert any("kink" in n and "max(x1, x2)" in n for n in p["notes"])
    a = lecture_gradient(X_KINK)[0]
    for id in ("symbolic", "forward", "reverse"):
        v = way(p, id)["values"]
        assert rel(v[0], a) <= 1e-12 and v[1] == 0, (id, v)
    num = way(p, "numerical")["values"]
    assert rel(num[0], a / 2) < 1e-3 and rel(num[1], a / 2) < 1e-3
    assert way(p, "numerical")["relErrors"][:2] == pytest.approx([0.5, 1.0], abs=1e-3)


# ---------------------------------------------------------------- expression swell

def test_logistic_map_swells_exponentially_and_its_tape_grows_linearly(nb7: Run) -> None:
    rows = table(nb7, "swell-table")
    f, df, simplified, shared, tape = (list(col) for col in zip(*(rows[n] for n in range(1, 13))))
    assert f == [3 * 2 ** (n + 1) - 5 for n in range(1, 13)]          # size(l_{k+1}) = 2·size(l_k) + 5
    ratios = [b / a for a, b in zip(df, df[1:])]
    assert all(r > 2 for r in ratios) and ratios == sorted(ratios, reverse=True) and ratios[-1] < 2.25   # → 2
    assert all(s <= d for s, d in zip(simplified, df)) and simplified[-1] > df[-1] / 2     # simplify hardly helps
    assert len({b - a for a, b in zip(shared, shared[1:])}) == 1                          # linear
    assert {b - a for a, b in zip(tape, tape[1:])} == {3} and tape[0] == 6
    growth = nb7.stream("growth")
    assert "2.00, 2.00, 2.00, 2.00 → 2: it doubles each step" in growth
    assert "AD tape:         +3 nodes per step" in growth


def test_nested_sin_swells_quadratically(nb7: Run) -> None:
    rows = table(nb7, "sin-table")
    f, df, _, shared, tape = (list(col) for col in zip(*(rows[n] for n in range(1, 13))))
    steps = [b - a for a, b in zip(df, df[1:])]
    assert {b - a for a, b in zip(steps, steps[1:])} == {1}          # second differences constant: quadratic
    assert f == [n + 1 for n in range(1, 13)] and tape == f
    assert len({b - a for a, b in zip(shared, shared[1:])}) == 1


def test_the_swell_plot_has_the_table_on_a_log_axis(nb7: Run) -> None:
    [out] = [d for d in nb7.displays("swell-plot") if PLOT in d["data"]]
    assert out["data"]["image/svg+xml"].lstrip().startswith("<svg") and out["data"]["text/plain"]
    p = out["data"][PLOT]
    assert p["logY"] is True and p["logX"] is False
    series = {s["name"]: s for s in p["series"]}
    assert list(series) == ["f written out", "f′ written out", "f′ simplified", "f′ shared", "AD tape", "sin∘…∘sin: f′ written out"]
    rows = table(nb7, "swell-table")
    for k, name in enumerate(["f written out", "f′ written out", "f′ simplified", "f′ shared", "AD tape"]):
        assert series[name]["x"] == list(range(1, 13)) and series[name]["y"] == [rows[n][k] for n in range(1, 13)]
    assert series["sin∘…∘sin: f′ written out"]["y"] == [r[1] for _, r in sorted(table(nb7, "sin-table").items())]


def test_the_logistic_expression_is_shown_small(nb7: Run) -> None:
    e, d = nb7.displays("logistic-small")
    assert e["data"]["text/plain"].startswith("f(x) = ") and d["data"]["text/plain"].startswith("∂f/∂x = ")
    rows = table(nb7, "swell-table")
    assert nb7.stream("logistic-small").strip() == (
        f"n = 2: f has 19 nodes written out, f′ has {rows[2][1]};  n = 3: 43 and {rows[3][1]}")
