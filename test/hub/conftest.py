"""pytest setup for the class-hub tests: the class image (scripts/class-image.sh), built here when
missing and then removed again at the end (npm test's hub stage builds and removes it itself)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import classhub  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def class_image():
    if os.geteuid() != 0:
        pytest.fail("the class-hub tests make Unix users and run JupyterHub's LocalProcessSpawner: run them as root")
    built_here = not classhub.image_ready()
    if built_here:
        subprocess.run(["bash", str(classhub.ROOT / "scripts" / "class-image.sh"), "build"], check=True)
    yield
    if built_here:
        subprocess.run(["bash", str(classhub.ROOT / "scripts" / "class-image.sh"), "remove"], check=True)
