"""The path of a user with their own JupyterLab, from the npm tarball as they would get it.

npm pack → a fresh folder with `npm install <tarball> tslab` → a fresh Python
environment standing for the user's Jupyter → `npx gradlab install --python`
→ a notebook there runs `import * as gl from "gradlab"` in that kernel and
shows a graph → `npx gradlab uninstall` removes exactly what install added.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tarfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "notebooks"))
from harness import ROOT, describe, run_notebook  # noqa: E402

GRAPH = "application/vnd.gradlab.graph.v1+json"
TSLAB_VERSION = json.loads((ROOT / "node_modules" / "tslab" / "package.json").read_text())["version"]


LABEXTENSION_LIST = "import sys; from jupyterlab.labextensions import main; sys.argv = ['jupyter-labextension', 'list']; main()"


def sh(*args: str | os.PathLike[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr  # jupyter's list commands log to stderr


@pytest.fixture(scope="module")
def tarball(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("pack")
    sh("npm", "pack", "--pack-destination", dest, cwd=ROOT)
    [packed] = dest.glob("gradlab-*.tgz")
    return packed


@pytest.fixture(scope="module")
def user(tmp_path_factory: pytest.TempPathFactory, tarball: Path) -> dict[str, Path]:
    """A user's notebook folder with gradlab and tslab npm-installed, and a Jupyter environment of their own."""
    base = tmp_path_factory.mktemp("user")
    project = base / "project"
    project.mkdir()
    (project / "package.json").write_text('{"name": "homework", "private": true}\n')
    sh("npm", "install", "--prefer-offline", "--no-audit", "--no-fund", tarball, f"tslab@{TSLAB_VERSION}", cwd=project)

    # The user's own Jupyter environment: a fresh venv (its own sys.prefix, so its own
    # share/jupyter) that borrows the packages of the project's .venv instead of downloading them.
    env = base / "env"
    sh(sys.executable, "-m", "venv", "--without-pip", env, cwd=base)
    python = env / "bin" / "python"
    site = sh(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=base).strip()
    Path(site, "borrowed_from_gradlab_venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return {"project": project, "env": env, "python": python}


def test_the_tarball_holds_the_built_engine_the_prebuilt_extension_and_the_cli(tarball: Path) -> None:
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
    for needed in [
        "package/package.json",
        "package/install.json",
        "package/bin/gradlab.js",
        "package/dist/engine/index.js",
        "package/dist/engine/index.d.ts",
        "package/dist/engine/display/kernel.js",
        "package/gradlab/labextension/package.json",
    ]:
        assert needed in names, needed
    assert any(n.startswith("package/gradlab/labextension/static/remoteEntry.") for n in names)
    assert not any(n.startswith(("package/node_modules/", "package/.venv/", "package/test/")) for n in names)


def test_install_lets_a_notebook_show_a_graph_in_the_users_own_jupyter_and_uninstall_reverses_it(user: dict[str, Path]) -> None:
    project, env, python = user["project"], user["env"], user["python"]
    share = env / "share" / "jupyter"
    before = sorted(str(p.relative_to(env)) for p in (env / "share").rglob("*")) + [str(p) for p in [env / "share"] if p.exists()]

    out = sh("npx", "gradlab", "install", "--python", python, cwd=project)
    assert "Installed the gradlab extension" in out
    installed = share / "labextensions" / "gradlab"
    assert json.loads((installed / "install.json").read_text())["uninstallInstructions"] == "npx gradlab uninstall"
    assert "_build" in json.loads((installed / "package.json").read_text())["jupyterlab"]
    kernel = json.loads((share / "kernels" / "tslab" / "kernel.json").read_text())
    assert Path(kernel["argv"][0]).resolve() == (project / "node_modules" / "tslab" / "bin" / "tslab").resolve()
    listing = sh(python, "-c", LABEXTENSION_LIST, cwd=project)
    assert "gradlab v" in listing and str(share) in listing

    # A notebook in the user's folder, in that environment's tslab kernel.
    notebook = project / "check.ipynb"
    nbformat.write(
        new_notebook(
            cells=[
                new_code_cell(
                    'import * as gl from "gradlab";\n'
                    'const x = gl.scalar(3, { requiresGrad: true, name: "x" });\n'
                    "const y = x.mul(x);\n"
                    "y.backward();\n"
                    "gl.show(y);"
                )
            ],
            metadata={"kernelspec": {"name": "tslab", "display_name": "TypeScript", "language": "typescript"}},
        ),
        notebook,
    )
    saved_path = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(share)  # find kernels in the user's environment first
    try:
        run = run_notebook(notebook, save=False)
    finally:
        if saved_path is None:
            os.environ.pop("JUPYTER_PATH")
        else:
            os.environ["JUPYTER_PATH"] = saved_path
    assert run.error is None, describe(run)
    [shown] = run.displays(0)
    assert GRAPH in shown["data"] and "image/svg+xml" in shown["data"]
    names = [n["name"] for n in shown["data"][GRAPH]["nodes"]]
    assert "x" in names

    out = sh("npx", "gradlab", "uninstall", "--python", python, cwd=project)
    assert not installed.exists()
    assert not (share / "kernels" / "tslab").exists() and not (share / "kernels" / "jslab").exists()
    assert "gradlab v" not in sh(python, "-c", LABEXTENSION_LIST, cwd=project)
    # nothing left behind: not even the empty share/jupyter/... folders install made
    after = sorted(str(p.relative_to(env)) for p in (env / "share").rglob("*")) + [str(p) for p in [env / "share"] if p.exists()]
    assert after == before, sorted(set(after) ^ set(before))
