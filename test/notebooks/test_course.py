"""The homework as an nbgrader course, end to end, through the real tslab kernel (issue 12).

The instructor generates and releases hw1 (notebook 1: three exercises, test cells worth 2 + 1 + 2
points) to an exchange; five students fetch it, work, and submit; the instructor collects,
autogrades and generates feedback — every step with the `nbgrader` command, as a course runs it.

The five students and the scores asserted, per graded cell (cg-ex1-check, cg-ex2-check, cg-ex3-check):
- ``ada``: every exercise solved → 2, 1, 2.
- ``bo``: submits the release untouched → 0, 0, 0 (each check writes "✗ not yet" to stderr).
- ``cy``: solves exercises 1 and 3 → 2, 0, 2.
- ``dee``: solves everything, but lectureForward loops forever (``while (true) {}``) → 2, 0, 2: the
  check that calls it is interrupted after the timeout and records a CellTimeoutError; the
  cells after it still run.
- ``eve``: solves exercise 1 and edits the locked test cell of exercise 2 to pass → 2, 0, 0: nbgrader
  puts the original cell back (logging "Attribute 'checksum' for cell cg-ex2-check has changed!")
  and grades with it.
Also a sixth, ``fox``, whose scratch cell at the top fails before gradlab is imported (tslab then
aborts the next cells, the import among them): grading still runs every cell (course/grading.py),
so fox, who solved everything, gets 5 — not a mix of zeros and free full marks.

Everything lives in a course folder under test-output/ with its own exchange; nothing outside the
project is touched.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from course import nbgrader, make_course
from lectures import ROOT

HW = "hw1"
NB = "01-computational-graphs"
TESTS = ["cg-ex1-check", "cg-ex2-check", "cg-ex3-check"]
POINTS = {"cg-ex1-check": 2.0, "cg-ex2-check": 1.0, "cg-ex3-check": 2.0}
EXPECTED = {
    "ada": {"cg-ex1-check": 2, "cg-ex2-check": 1, "cg-ex3-check": 2},
    "bo": {"cg-ex1-check": 0, "cg-ex2-check": 0, "cg-ex3-check": 0},
    "cy": {"cg-ex1-check": 2, "cg-ex2-check": 0, "cg-ex3-check": 2},
    "dee": {"cg-ex1-check": 2, "cg-ex2-check": 0, "cg-ex3-check": 2},
    "eve": {"cg-ex1-check": 2, "cg-ex2-check": 0, "cg-ex3-check": 0},
    "fox": {"cg-ex1-check": 2, "cg-ex2-check": 1, "cg-ex3-check": 2},
}
VERDICT = re.compile(r"^(✓|✗ not yet:) ", re.M)


def solutions() -> dict[str, str]:
    """The instructor's solution of each exercise cell (the source notebook's, without the region markers)."""
    nb = nbformat.read(ROOT / "notebooks" / f"{NB}.ipynb", as_version=4)
    return {
        c.metadata.nbgrader.grade_id: "\n".join(l for l in c.source.splitlines() if "BEGIN SOLUTION" not in l and "END SOLUTION" not in l)
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }


def work(path: Path, student: str) -> None:
    """What each student does to the fetched notebook before submitting."""
    nb = nbformat.read(path, as_version=4)
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    sol = solutions()
    solved = {"ada": sol, "bo": {}, "cy": {k: sol[k] for k in ("cg-ex1-solution", "cg-ex3-solution")}, "dee": sol, "eve": {"cg-ex1-solution": sol["cg-ex1-solution"]}, "fox": sol}[student]
    for grade_id, source in solved.items():
        by_id[grade_id].source = source
    if student == "dee":
        src = by_id["cg-ex2-solution"].source
        by_id["cg-ex2-solution"].source = src.replace("  const a = Math.max(x1, x2);", "  while (true) {}  // stuck\n  const a = Math.max(x1, x2);")
        assert "while (true) {}" in by_id["cg-ex2-solution"].source
    if student == "eve":
        by_id["cg-ex2-check"].source = 'gl.check("lectureForward matches the engine\'s forward pass", () => true);'
    if student == "fox":
        nb.cells.insert(0, nbformat.v4.new_code_cell('const scratch: number = "oops";  // a type error, before the import'))
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def course() -> dict:
    """Runs the whole loop once; returns the course folder, the autograde log and every student's grades."""
    course = make_course("loop")
    exchange = f"--Exchange.root={course / 'exchange'}"
    nbgrader(course, "generate_assignment", HW, "--force")
    nbgrader(course, "release_assignment", HW, "--force")
    for student in EXPECTED:
        home = course / "homes" / student
        home.mkdir(parents=True)
        # a student has no course config: course id and exchange on the command line, as a hub's global config would give them
        nbgrader(course, "fetch_assignment", HW, "--course=gradlab", exchange, cwd=home)
        work(home / HW / f"{NB}.ipynb", student)
        nbgrader(course, "submit", HW, "--course=gradlab", f"--student={student}", exchange, cwd=home)
    nbgrader(course, "collect", HW)
    graded = nbgrader(course, "autograde", HW, "--create", timeout=900)
    nbgrader(course, "generate_feedback", HW)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        grades = {
            s: {g.name: g.score for g in gb.find_submission_notebook(NB, HW, s).grades if g.name in TESTS} for s in EXPECTED
        }
        max_scores = {g.name: g.max_score for g in gb.find_notebook(NB, HW).grade_cells}
    return {"root": course, "log": graded.stdout + graded.stderr, "grades": grades, "max": max_scores}


def autograded(course: dict, student: str) -> nbformat.NotebookNode:
    return nbformat.read(course["root"] / "autograded" / student / HW / f"{NB}.ipynb", as_version=4)


def cell(nb: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    [c] = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    return c


def text(c: nbformat.NotebookNode, name: str | None = None) -> str:
    return "".join(o.get("text", "") for o in c.get("outputs", []) if o.output_type == "stream" and (name is None or o.name == name))


def test_points_are_the_checks_of_each_test_cell(course: dict) -> None:
    assert course["max"] == POINTS


@pytest.mark.parametrize("student", list(EXPECTED))
def test_each_student_gets_exactly_the_points_of_what_they_solved(course: dict, student: str) -> None:
    assert course["grades"][student] == EXPECTED[student], course["log"][-3000:]


@pytest.mark.parametrize("student", list(EXPECTED))
def test_no_cell_of_a_graded_run_was_aborted(course: dict, student: str) -> None:
    """Every test cell really ran: a verdict per check (✓ on stdout, ✗ on stderr) or the timeout's error; the demonstrations drew their figures."""
    nb = autograded(course, student)
    for grade_id in TESTS:
        c = cell(nb, grade_id)
        verdicts = VERDICT.findall(text(c))
        errors = [o for o in c.outputs if o.output_type == "error"]
        checks = len(re.findall(r"gl\.check\(", c.source))
        if student == "dee" and grade_id == "cg-ex2-check":
            assert [e.ename for e in errors] == ["CellTimeoutError"], c.outputs
        else:
            assert len(verdicts) == checks and not errors, (student, grade_id, c.outputs)
    assert "application/vnd.gradlab.graph.v1+json" in json.dumps([c.get("outputs") for c in nb.cells])
    assert "CellAbortedError" not in json.dumps(nb.cells)


def test_verdicts_go_to_stdout_when_right_and_stderr_when_not(course: dict) -> None:
    ada, bo = autograded(course, "ada"), autograded(course, "bo")
    for grade_id in TESTS:
        assert text(cell(ada, grade_id), "stderr") == "" and text(cell(ada, grade_id), "stdout").startswith("✓ ")
        wrong = text(cell(bo, grade_id), "stderr")
        assert text(cell(bo, grade_id), "stdout") == "" and wrong.startswith("✗ not yet: ")
    assert "— topoOrder is not implemented yet (replace gl.todo(...) with your code). Hint: every node must appear exactly once" in text(cell(bo, "cg-ex1-check"))


def test_an_endless_loop_costs_its_exercise_only(course: dict) -> None:
    dee = autograded(course, "dee")
    assert "while (true) {}" in cell(dee, "cg-ex2-solution").source
    assert text(cell(dee, "cg-ex3-check"), "stdout").count("✓ ") == 2
    assert "Timeout waiting for execute reply (30s)" in course["log"] or "CellTimeoutError" in course["log"]


def test_an_edited_test_cell_is_put_back_and_graded_as_written(course: dict) -> None:
    eve = autograded(course, "eve")
    original = cell(nbformat.read(ROOT / "notebooks" / f"{NB}.ipynb", as_version=4), "cg-ex2-check").source
    assert cell(eve, "cg-ex2-check").source == original
    assert "Attribute 'checksum' for cell cg-ex2-check has changed!" in course["log"]
    assert text(cell(eve, "cg-ex2-check"), "stderr").startswith("✗ not yet: lectureForward matches the engine's forward pass")


def test_a_failing_cell_before_the_import_does_not_empty_the_test_cells(course: dict) -> None:
    fox = autograded(course, "fox")
    assert 'const scratch: number = "oops"' in fox.cells[0].source
    assert "was aborted by the kernel" in course["log"]  # course/grading.py ran the import again


def test_feedback_shows_scores_figures_and_check_messages(course: dict) -> None:
    for student, expected in EXPECTED.items():
        html = (course["root"] / "feedback" / student / HW / f"{NB}.html").read_text()
        total = sum(expected.values())
        assert re.search(rf"Score:\s*{total}(\.0)?\s*/\s*5(\.0)?", html), (student, re.findall(r"Score:[^<]*", html)[:3])
        # the static fallbacks of gradlab's figures: the two graphs (SVG, embedded as images) and the gradient check (HTML)
        svgs = [base64.b64decode(b).decode() for b in re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", html)]
        assert [re.search(r"<title>([^<]*)</title>", s).group(1) for s in svgs] == ["forward pass: values", "backward pass: values and gradients"]
        assert "gradient check passed" in html
    assert "✓ topoOrder on the small graph" in (course["root"] / "feedback" / "ada" / HW / f"{NB}.html").read_text()
    assert "✗ not yet: topoOrder on the small graph" in (course["root"] / "feedback" / "bo" / HW / f"{NB}.html").read_text()


def teardown_module() -> None:
    """The course folders under test-output/ are kept for a person to look at; the exchange inside them goes."""
    for exchange in (ROOT / "test-output").glob("course-loop-*/exchange"):
        shutil.rmtree(exchange, ignore_errors=True)
