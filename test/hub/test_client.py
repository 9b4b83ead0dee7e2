"""test/hub/client.py against a real Jupyter server from .venv, with the real tslab kernel.

The server's root is a fresh folder under test-output/ (inside the checkout,
so a notebook's `import * as gl from "gradlab"` finds node_modules/gradlab by
walking up). The protocol details the page depends on (stream merging,
display ids updated from a later cell, clear_output with and without wait,
timeouts) are checked with the python3 kernel, whose outputs can be made
exactly; tslab is used for what gradlab's notebooks do: a print, a failed cell,
and notebook 6 with its live loss curves, whose saved outputs must hold the
final state of every curve.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from client import CellTimeoutError, ServerClient, SyncServerClient  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv"
CURVE = "application/vnd.gradlab.loss-curve.v1+json"


@pytest.fixture(scope="session", autouse=True)
def class_image() -> Iterator[None]:
    """Overrides conftest.py's fixture of this name: these tests use the project's .venv, not the class image.

    Without this, running this file alone would build /opt/gradlab-class (and
    its build first kills the image user's processes: another run's build).
    """
    yield


@dataclass
class Server:
    url: str
    token: str
    root: Path
    log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(url: str, token: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            req = urllib.request.Request(url + "api/status", headers={"Authorization": f"token {token}"})
            with urllib.request.urlopen(req, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"jupyter server not ready within {timeout} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    root = ROOT / "test-output" / f"hub-client-{secrets.token_hex(4)}"
    root.mkdir(parents=True)
    # tslab resolves `gradlab` by walking up from the notebook's folder. setup.sh's node_modules/gradlab link
    # above would do, but an `npm install` prunes it; a link of our own keeps this test independent of that.
    (root / "node_modules").mkdir()
    (root / "node_modules" / "gradlab").symlink_to(ROOT, target_is_directory=True)
    port, token = _free_port(), secrets.token_hex(16)
    log = root.parent / "hub-client.log"  # the last run's server log, kept for a look after a failure
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(root.parent / f"{root.name}-runtime"))
    env["PATH"] = f"{VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    cmd = [
        str(VENV / "bin" / "jupyter"), "server", "--ServerApp.ip=127.0.0.1", f"--port={port}",
        f"--ServerApp.token={token}", "--allow-root", f"--ServerApp.root_dir={root}", "--no-browser",
    ]  # fmt: skip
    with open(log, "wb") as out:
        # cwd: a bare kernel (api/kernels, no path) starts in the server's working folder, not in root_dir
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=root, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_ready(url, token, proc, log)
        yield Server(url, token, root, log)
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(root.parent / f"{root.name}-runtime", ignore_errors=True)


def _api(server: Server, path: str) -> Any:
    req = urllib.request.Request(server.url + path, headers={"Authorization": f"token {server.token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def _write_notebook(server: Server, rel: str, sources: list[str], kernel: str) -> Path:
    nb = nbformat.v4.new_notebook()
    names = {"tslab": ("TypeScript", "typescript"), "python3": ("Python 3", "python")}[kernel]
    nb.metadata["kernelspec"] = {"name": kernel, "display_name": names[0], "language": names[1]}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in sources]
    path = server.root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _report(what: str, **numbers: float | None) -> None:
    """Timings for the report; shown by `pytest -rA` (captured stdout of passed tests)."""
    print(what + ": " + ", ".join(f"{k} {v:.2f} s" if isinstance(v, float) else f"{k} {v}" for k, v in numbers.items()))


# --- tslab through the synchronous client ----------------------------------------------------------------------


def test_tslab_print_and_failed_cell(server: Server) -> None:
    with SyncServerClient(server.url, server.token) as c:
        k = c.start_kernel("tslab")
        r = k.execute("console.log(1+1)", timeout=60)
        assert r.status == "ok", r
        assert r.outputs == [{"output_type": "stream", "name": "stdout", "text": "2\n"}]
        assert r.execution_count == 1
        assert r.first_output_seconds is not None and 0 < r.first_output_seconds <= r.wall_seconds
        _report("tslab bare kernel", kernel_start=k.start_seconds, first_output=r.first_output_seconds, wall=r.wall_seconds)

        # gradlab's kernel fix completes tslab's error reply (ename, evalue) once gradlab is imported
        r = k.execute('import * as gl from "gradlab";', timeout=60)
        assert r.status == "ok", r
        # stop_on_error false (run on, as nbclient with allow_errors): gradlab resets tslab's queue at once
        r = k.execute('throw new Error("boom in a cell");', timeout=60, cell_index=2, stop_on_error=False)
        assert r.status == "error", r
        assert (r.ename, r.evalue) == ("Error", "boom in a cell")
        assert "boom in a cell" in r.text("stderr")  # tslab prints the error itself
        # so the next request, sent right after the failure, runs (tslab would abort it within 200 ms otherwise)
        r = k.execute("console.log(gl.scalar(3).mul(2).item())", timeout=60)
        assert (r.status, r.text()) == ("ok", "6\n")
        kernel_id = k.session.kernel_id
        assert kernel_id in {m["id"] for m in c.request("GET", "api/kernels")}
    assert kernel_id not in {m["id"] for m in _api(server, "api/kernels")}, "close() shuts the kernel down"


# --- the protocol, exactly, with the python3 kernel ------------------------------------------------------------


def test_outputs_like_jupyterlab(server: Server) -> None:
    async def main() -> None:
        client = ServerClient(server.url, server.token)
        try:
            k = await client.start_kernel("python3")
            r = await k.execute("print('a', flush=True)\nprint('b', flush=True)")
            assert r.outputs == [{"output_type": "stream", "name": "stdout", "text": "a\nb\n"}], "one stream, merged"

            shown = await k.execute(
                "from IPython.display import display, clear_output\n"
                "h = display({'text/plain': 'v0'}, raw=True, display_id=True)\n"
                "for i in range(1, 4): h.update({'text/plain': f'v{i}'}, raw=True)",
                cell_index=1,
            )
            assert [o["data"] for o in shown.outputs] == [{"text/plain": "v3"}], "the last update is what stays"
            later = await k.execute("h.update({'text/plain': 'v9'}, raw=True)")
            assert later.outputs == [] and later.first_output_seconds is not None
            assert shown.outputs[0]["data"] == {"text/plain": "v9"}, "an update from a later cell reaches the earlier output"
            again = await k.execute("display({'text/plain': 'v10'}, raw=True, display_id=h.display_id);")
            assert [o["data"]["text/plain"] for o in shown.outputs + again.outputs] == ["v10", "v10"]

            r = await k.execute("print('x', flush=True)\nclear_output(wait=True)\nprint('y', flush=True)")
            assert r.outputs == [{"output_type": "stream", "name": "stdout", "text": "y\n"}]
            r = await k.execute("print('x', flush=True)\nclear_output(wait=True)")
            assert r.text() == "x\n", "wait=True keeps the output until something replaces it"
            r = await k.execute("print('x', flush=True)\nclear_output()")
            assert r.outputs == []

            r = await k.execute("1/0")
            assert (r.status, r.ename, r.evalue) == ("error", "ZeroDivisionError", "division by zero")
            assert [o["output_type"] for o in r.outputs] == ["error"]

            with pytest.raises(CellTimeoutError) as e:
                await k.execute("import time\ntime.sleep(30)", timeout=0.5, cell_index=7)
            assert e.value.cell_index == 7 and "cell 7" in str(e.value) and "import time" in str(e.value)
        finally:
            await client.shutdown()

    asyncio.run(main())
    assert _api(server, "api/kernels") == []


def test_students_at_once_on_one_loop(server: Server) -> None:
    """What the load benchmark does: several kernels and clients on one event loop, each waiting on its own."""

    async def student(i: int, ready: asyncio.Barrier) -> tuple[str, float, float]:
        client = ServerClient(server.url, server.token)
        try:
            k = await client.start_kernel("python3")
            await ready.wait()  # kernels start at their own pace on a busy machine; the cells then run together
            t0 = time.monotonic()
            r = await k.execute(f"import time\nfor j in range(3):\n    print({i}, j, flush=True)\n    time.sleep(0.4)")
            return r.text(), t0, t0 + r.wall_seconds
        finally:
            await client.shutdown()

    async def main() -> list[tuple[str, float, float]]:
        ready = asyncio.Barrier(3)
        return await asyncio.gather(*(student(i, ready) for i in range(3)))

    got = asyncio.run(main())
    assert [text for text, _, _ in got] == [f"{i} 0\n{i} 1\n{i} 2\n" for i in range(3)]
    assert max(t0 for _, t0, _ in got) < min(t1 for _, _, t1 in got), f"the three cells ran one after another: {got}"
    assert _api(server, "api/kernels") == []


def test_run_notebook_stops_or_goes_on(server: Server) -> None:
    _write_notebook(server, "py/errors.ipynb", ["print(1)", "", "1/0", "print(3)"], "python3")

    async def main() -> None:
        client = ServerClient(server.url, server.token)
        try:
            run = await client.run_notebook("py/errors.ipynb", kernel=None)  # the notebook's own kernelspec
            assert (run.kernel_name, run.completed, run.saved) == ("python3", False, True)
            assert [(c.index, c.status) for c in run.cells] == [(0, "ok"), (2, "error")]
            assert run.failed is not None and run.failed.ename == "ZeroDivisionError"
            saved = nbformat.read(server.root / "py/errors.ipynb", as_version=4)
            assert [c.execution_count for c in saved.cells] == [1, None, 2, None]
            assert saved.cells[3].outputs == []

            run = await client.run_notebook("py/errors.ipynb", kernel="python3", stop_on_error=False)
            assert [c.status for c in run.cells] == ["ok", "error", "ok"] and not run.completed
            saved = nbformat.read(server.root / "py/errors.ipynb", as_version=4)
            assert saved.cells[3].outputs[0]["text"] == "3\n"

            _write_notebook(server, "py/slow.ipynb", ["print('hi')", "import time\ntime.sleep(30)"], "python3")
            with pytest.raises(CellTimeoutError) as e:
                await client.run_notebook("py/slow.ipynb", kernel="python3", timeout_per_cell=1)
            assert e.value.cell_index == 1 and "import time" in str(e.value)
            assert e.value.run is not None and [c.status for c in e.value.run.cells] == ["ok"]
        finally:
            await client.shutdown()

    asyncio.run(main())
    assert _api(server, "api/sessions") == [] and _api(server, "api/kernels") == []


# --- notebook 6: live loss curves saved in their final state ---------------------------------------------------


def _curves(cell: Any) -> list[dict[str, Any]]:
    return [o["data"][CURVE] for o in cell.outputs if CURVE in (o.get("data") or {})]


def _tagged(nb: Any, tag: str) -> Any:
    return next(c for c in nb.cells if tag in c.get("metadata", {}).get("tags", []))


def test_notebook_6_saved_with_final_curves(server: Server) -> None:
    nb = nbformat.read(ROOT / "notebooks" / "06-training.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    target = server.root / "hw" / "06-training.ipynb"
    target.parent.mkdir(parents=True)
    nbformat.write(nb, target)

    async def main() -> Any:
        client = ServerClient(server.url, server.token)
        try:
            run = await client.run_notebook("hw/06-training.ipynb", timeout_per_cell=90, keep_kernel=True)
            # the session JupyterLab would have: tied to the notebook, its kernel still running after the save
            sessions = await client.request("GET", "api/sessions")
            assert [(m["path"], m["kernel"]["name"]) for m in sessions] == [("hw/06-training.ipynb", "tslab")]
            assert run.session is not None and sessions[0]["kernel"]["id"] == run.session.kernel_id
            await run.session.shutdown()
            return run
        finally:
            await client.shutdown()

    run = asyncio.run(main())
    assert _api(server, "api/sessions") == []
    assert run.completed and run.saved, [(c.index, c.status, c.evalue) for c in run.cells]
    slowest = max(run.cells, key=lambda c: c.seconds)
    _report(
        "notebook 6", kernel_start=run.kernel_start_seconds, first_output=run.first_output_seconds,
        total=run.total_seconds, save=run.save_seconds, slowest_cell=f"{slowest.index} ({slowest.seconds:.2f} s)",
    )  # fmt: skip
    print("notebook 6 cells (index: seconds): " + ", ".join(f"{c.index}: {c.seconds:.2f}" for c in run.cells))

    saved = nbformat.read(target, as_version=4)
    nbformat.validate(saved)
    code = [c for c in saved.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    assert [c.get("outputs") for c in saved.cells] == [c.get("outputs") for c in run.nb.cells]
    assert "trusted" not in saved.cells[1].metadata  # the server strips it (and signs the notebook)

    # the hand-written loop: a point every 10 of 300 steps, loss and accuracy
    (logreg,) = _curves(_tagged(saved, "logreg"))
    series = {s["name"]: s for s in logreg["series"]}
    assert series["loss"]["x"] == list(range(10, 301, 10)) and series["accuracy"]["x"] == list(range(10, 301, 10))
    # gl.nn.train: a loss point every step; the spiral cell prints its step count
    (spiral,) = _curves(_tagged(saved, "spiral"))
    text = "".join(o.get("text", "") for o in _tagged(saved, "spiral").outputs if o["output_type"] == "stream")
    steps = int(re.search(r"after (\d+) steps", text).group(1))  # type: ignore[union-attr]
    assert steps == 300 * math.ceil(300 / 64)
    assert {s["name"]: len(s["x"]) for s in spiral["series"]}["loss"] == steps
    (digits,) = _curves(_tagged(saved, "digits"))
    lengths = {s["name"]: len(s["x"]) for s in digits["series"]}
    assert lengths["loss"] == 20 * math.ceil(1438 / 64) and lengths["validation accuracy"] == 20, lengths
    for curve in (logreg, spiral, digits):
        # the final update: done, no liveness stamp, not stopped
        assert curve["done"] is True and "updatedAt" not in curve and "stopped" not in curve, curve.get("title")
