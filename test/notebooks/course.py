"""The nbgrader course (course/) in a test's own folder: copies of its config and source notebooks, and
nbgrader run the way an instructor runs it (the `nbgrader` command of .venv, in the course folder).

A course made here lives under test-output/ (inside the project, so its notebooks resolve
``import "gradlab"`` and the project's tslab like the originals); its exchange is a folder of its own
beside it (``GRADLAB_EXCHANGE``), so nothing outside the project is touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "course"
NBGRADER = ROOT / ".venv" / "bin" / "nbgrader"

#: assignment id → its notebook, as course/source lays them out (hw1 → 01-computational-graphs.ipynb, ...).
ASSIGNMENTS: dict[str, str] = {
    d.name: next(p.name for p in d.glob("*.ipynb")) for d in sorted((COURSE / "source").iterdir()) if d.is_dir()
}


def make_course(tag: str) -> Path:
    """A fresh course folder under test-output/: nbgrader_config.py, grading.py and source/ (copies, not links)."""
    base = ROOT / "test-output"
    base.mkdir(parents=True, exist_ok=True)
    course = Path(tempfile.mkdtemp(prefix=f"course-{tag}-", dir=base))
    for f in ("nbgrader_config.py", "grading.py"):
        shutil.copy(COURSE / f, course / f)
    for hw, name in ASSIGNMENTS.items():
        (course / "source" / hw).mkdir(parents=True)
        shutil.copy(COURSE / "source" / hw / name, course / "source" / hw / name)
    (course / "exchange").mkdir()
    return course


def course_env(course: Path, **extra: str) -> dict[str, str]:
    """The environment nbgrader runs in for this course: its own exchange, the project's node on PATH."""
    env = dict(os.environ, GRADLAB_EXCHANGE=str(course / "exchange"), **extra)
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def nbgrader(course: Path, *args: str, cwd: Path | None = None, timeout: int = 600, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Runs ``nbgrader <args>`` in ``cwd`` (default: the course folder); output kept for assertions."""
    proc = subprocess.run(
        [str(NBGRADER), *args], cwd=cwd or course, env=course_env(course), capture_output=True, text=True, timeout=timeout
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def student_release(course: Path) -> None:
    """Every assignment's release version, by ``scripts/student.sh`` (what ``npm run student`` runs)."""
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "student.sh"), "--course", str(course)],
        cwd=ROOT, env=course_env(course), capture_output=True, text=True, timeout=300,
    )
    if proc.returncode != 0:
        raise AssertionError(f"scripts/student.sh failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


def release_path(course: Path, name: str) -> Path:
    """The release version of notebook ``name`` in ``course``."""
    hw = next(hw for hw, nb in ASSIGNMENTS.items() if nb == name)
    return course / "release" / hw / name
