"""Helpers shared by the lecture-notebook tests (test_lectures.py, test_lectures_4_6.py).

- ``run_solution(name)``: executes ``notebooks/<name>`` (the teacher's version, with solutions).
- ``run_student(name)``: executes the release (student) version of ``notebooks/<name>``, made once
  per test session by nbgrader (``scripts/student.sh``, what ``npm run student`` runs) in a copy of
  the course folder inside the project, under test-output/, so the release resolves
  ``import "gradlab"`` and the project's tslab like the original.
- ``checks(run)``: the verdicts the check cells printed, ``[(label, ok), ...]`` in order (``✓`` on
  stdout, ``✗ not yet`` on stderr: nbgrader scores a test cell that wrote to stderr 0).
- ``hints(run)``: the same with the text after the label (the hint / error), ``[(label, ok, rest)]``.

Runs are cached per notebook and version, so several tests of one module share one kernel run.
Executed copies are saved under test-output/notebooks/ (student ones as ``student-<name>``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import nbformat

from course import ASSIGNMENTS, make_course, release_path, student_release
from harness import OUTPUT_DIR, Run, describe, run_notebook

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"

GRAPH = "application/vnd.gradlab.graph.v1+json"
GRADCHECK = "application/vnd.gradlab.gradcheck.v1+json"
CHAIN = "application/vnd.gradlab.jacobian-chain.v1+json"
CURVE = "application/vnd.gradlab.loss-curve.v1+json"

_VERDICT = re.compile(r"^(✓|✗ not yet:) (.*)$")


@lru_cache(maxsize=None)
def student_course() -> Path:
    """A course folder whose release/ holds every assignment's student version (nbgrader generate_assignment, once per session)."""
    course = make_course("release")
    student_release(course)
    return course


def _save_as(run: Run, name: str) -> None:
    """Saves the executed notebook as test-output/notebooks/<name> (beside, not over, the teacher's run)."""
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    run.saved_to = OUTPUT_DIR / name
    nbformat.write(run.nb, run.saved_to)


@lru_cache(maxsize=None)
def run_solution(name: str, timeout: int = 300) -> Run:
    """Executes notebooks/<name> through the tslab kernel (stops at the first error: ``run.error``)."""
    return run_notebook(NOTEBOOKS / name, timeout=timeout)


@lru_cache(maxsize=None)
def run_student(name: str, timeout: int = 300) -> Run:
    """Executes the release version of notebooks/<name> (nbgrader generate_assignment)."""
    path = release_path(student_course(), name)
    if not path.exists():
        raise FileNotFoundError(f"nbgrader wrote no release version of {name} (is it in course/source?)")
    run = run_notebook(path, timeout=timeout, save=False)
    _save_as(run, f"student-{name}")
    return run


def hints(run: Run) -> list[tuple[str, bool, str]]:
    """(label, ok, rest) for every verdict line printed by a cell tagged ``check``; rest is the hint after ' — '."""
    found = []
    for cell in run.nb.cells:
        if "check" not in cell.get("metadata", {}).get("tags", []):
            continue
        for line in verdict_text(cell).splitlines():
            m = _VERDICT.match(line)
            if not m:
                continue
            ok = m.group(1) == "✓"
            label, _, rest = m.group(2).partition(" — ")
            found.append((label, ok, rest))
    return found


def verdict_text(cell: dict) -> str:
    """What a cell printed on stdout and stderr, in order (a check prints ✓ on stdout and ✗ on stderr)."""
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") in ("stdout", "stderr"))


def checks(run: Run) -> list[tuple[str, bool]]:
    """(label, ok) for every verdict printed by the check cells, in notebook order."""
    return [(label, ok) for label, ok, _ in hints(run)]


def check_cells(run: Run) -> list[int]:
    """Indices of the cells tagged ``check``."""
    return [i for i, c in enumerate(run.nb.cells) if "check" in c.get("metadata", {}).get("tags", [])]


def solution_cells(run: Run) -> list[int]:
    """Indices of the cells tagged ``solution``."""
    return [i for i, c in enumerate(run.nb.cells) if "solution" in c.get("metadata", {}).get("tags", [])]


def assert_ran(run: Run) -> None:
    """Every cell ran without error (the harness stops at the first failing cell)."""
    assert run.error is None, describe(run)
    errors = [i for i, c in enumerate(run.nb.cells) for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"cells {errors} have error outputs\n{describe(run)}"


def assert_solution_passes(run: Run) -> None:
    """The teacher's version ran and every check printed ✓ (and each check cell printed at least one verdict)."""
    assert_ran(run)
    got = hints(run)
    assert got, "no check cell printed a verdict"
    bad = [(label, rest) for label, ok, rest in got if not ok]
    assert not bad, f"checks not passing in the solution: {bad}"
    for i in check_cells(run):
        text = run.stream(i)
        assert any(_VERDICT.match(l) for l in text.splitlines()), f"check cell {i} printed no verdict: {text!r}"
        assert run.stream(i, "stderr") == "", f"check cell {i} wrote to stderr (nbgrader would score it 0): {run.stream(i, 'stderr')!r}"


def assert_student_all_not_yet(run: Run) -> None:
    """The student version ran to the end, and every check cell printed '✗ not yet: label — hint'."""
    assert_ran(run)
    for i in check_cells(run):
        text = run.stream(i, "stderr")
        lines = [l for l in text.splitlines() if _VERDICT.match(l)]
        assert lines, f"check cell {i} printed no verdict on stderr: {text!r}"
        assert run.stream(i) == "", f"check cell {i} printed on stdout: {run.stream(i)!r}"
        for l in lines:
            assert l.startswith("✗ not yet: ") and " — " in l, f"check cell {i}: expected 'not yet' with a hint, got {l!r}"


def mimes(run: Run) -> set[str]:
    """Every MIME type present in the run's saved outputs."""
    return {m for o in run.all_outputs() for m in (o.get("data") or {})}
