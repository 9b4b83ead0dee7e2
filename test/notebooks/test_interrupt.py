"""The stop button during gl.nn.train, in the real tslab kernel.

How tslab 1.0.22 interrupts (see engine/nn/interrupt.ts): its kernel spec has no
``interrupt_mode``, so ``KernelManager.interrupt_kernel()`` sends SIGINT to the
kernel process; tslab's SIGINT listener only rejects the promise the cell awaits.
``train`` adds its own SIGINT listener while it runs and yields to the event
loop every step, so it stops within one step, closes its live curve with
"interrupted at step N" and leaves the partial history in ``model.history``.

This test presses the stop button (``interrupt_kernel``) once the curve has
updated a few times, then checks, from later cells, that the loop really stopped
and what it kept; and, from the kernel's messages, that the curve was closed
with the reason.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path
from queue import Empty
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
CURVE = "application/vnd.gradlab.loss-curve.v1+json"

SETUP = """\
import * as gl from "gradlab";
const net = gl.nn.mlp([64, 100, 10], {seed: 0});
const {train} = gl.data.digits({scale: true});
console.log("ready");"""

# Far more steps than the test waits for: only the interrupt can end it in time.
TRAIN = """\
await gl.nn.train(net, train, {epochs: 100000, batchSize: 32, lr: 0.05, curve: {minInterval: 50}});
console.log("not interrupted");"""

AFTER = """\
await new Promise((r) => setTimeout(r, 300));
const h = net.history!;
const before = h.steps;
await new Promise((r) => setTimeout(r, 700));
console.log(JSON.stringify({stopped: h.stopped, steps: h.steps, losses: h.losses.length, done: h.done,
  stillAfter700ms: h.steps === before, seconds: h.seconds}));"""

# The kernel is usable after the interrupt, and the trained-so-far network still works.
USE = """\
const acc = gl.nn.evaluate(net, train);
// NOTE: counted after an await: during a cell's synchronous part tslab's vm (breakOnSigint) hides every SIGINT listener
await new Promise((r) => setImmediate(r));
console.log(JSON.stringify({accuracy: acc, sigintListeners: process.listeners("SIGINT").map((f) => f.name)}));"""


class _InterruptingClient(NotebookClient):
    """Records every iopub message per cell and presses the stop button during the training cell."""

    def __init__(self, *args: Any, train_cell: int, updates_before_stop: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.train_cell = train_cell
        self.updates_before_stop = updates_before_stop
        self.messages: dict[int, list[dict[str, Any]]] = {}
        self.interrupted_at: float | None = None

    def process_message(self, msg: dict[str, Any], cell: Any, cell_index: int) -> Any:
        if msg["msg_type"] != "status":
            self.messages.setdefault(cell_index, []).append(msg)
        if (
            cell_index == self.train_cell
            and self.interrupted_at is None
            and msg["msg_type"] == "update_display_data"
            and len([m for m in self.messages[cell_index] if m["msg_type"] == "update_display_data"]) >= self.updates_before_stop
        ):
            self.interrupted_at = time.monotonic()
            # the stop button: KernelManager.interrupt_kernel() (SIGINT, as the kernel spec has no interrupt_mode)
            asyncio.ensure_future(self.km.interrupt_kernel())
        return super().process_message(msg, cell, cell_index)

    async def drain(self, seconds: float) -> list[dict[str, Any]]:
        """iopub messages still arriving after a cell ended (nbclient stops reading at idle)."""
        got = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                msg = await self.kc.iopub_channel.get_msg(timeout=0.1)
            except Empty:
                continue
            if msg["msg_type"] != "status":
                got.append(msg)
        return got


def _nb() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(SETUP),
        nbformat.v4.new_code_cell(TRAIN, metadata={"tags": ["raises-exception"]}),
        nbformat.v4.new_code_cell(AFTER),
        nbformat.v4.new_code_cell(USE),
    ]
    return nb


@pytest.fixture(scope="module")
def run() -> dict[str, Any]:
    nb = _nb()
    client = _InterruptingClient(
        nb, train_cell=1, updates_before_stop=3, timeout=120, startup_timeout=60, kernel_name="tslab",
        resources={"metadata": {"path": str(ROOT / "test" / "notebooks")}},
    )
    out: dict[str, Any] = {"nb": nb, "client": client}

    async def go() -> None:
        async with client.async_setup_kernel():
            await client.async_execute_cell(nb.cells[0], 0)
            t0 = time.monotonic()
            await client.async_execute_cell(nb.cells[1], 1)
            out["train_cell_seconds"] = time.monotonic() - t0
            # what the loop sent after the cell's promise was rejected (the curve's close)
            out["late"] = await client.drain(1.5)
            # after a failed cell tslab drops requests for 200 ms: the drain above waited longer
            await client.async_execute_cell(nb.cells[2], 2)
            await client.async_execute_cell(nb.cells[3], 3)

    asyncio.run(go())
    return out


def _stdout(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream" and o.get("name") == "stdout")


def test_the_cell_is_interrupted_soon_after_the_stop_button(run: dict[str, Any]) -> None:
    client: _InterruptingClient = run["client"]
    assert client.interrupted_at is not None, "the curve never updated: nothing to interrupt"
    train_cell = run["nb"].cells[1]
    assert "not interrupted" not in _stdout(train_cell)
    # nor later: train throws after an interrupt, so the code after it in the cell never runs
    late = "".join(m["content"].get("text", "") for m in run["late"] if m["msg_type"] == "stream")
    assert "not interrupted" not in late, late
    errors = "".join(o.get("text", "") for o in train_cell.outputs if o.get("name") == "stderr")
    assert "Interrupted asynchronously" in errors, train_cell.outputs
    assert run["train_cell_seconds"] < 60


def test_the_loop_stops_within_one_step_and_keeps_its_history(run: dict[str, Any]) -> None:
    state = json.loads(_stdout(run["nb"].cells[2]).strip().splitlines()[-1])
    assert state["done"] is True
    assert state["stillAfter700ms"] is True  # the loop is not running in the background
    n = state["steps"]
    assert state["stopped"] == f"interrupted at step {n}"
    assert state["losses"] == n and 0 < n < 100000
    # the stop came after >= 3 curve updates, each >= 50 ms apart: the loop had run a while
    assert state["seconds"] > 0.1


def test_the_curve_is_closed_with_the_reason(run: dict[str, Any]) -> None:
    client: _InterruptingClient = run["client"]
    shown = [m for m in client.messages[1] if m["msg_type"] == "display_data" and CURVE in m["content"]["data"]]
    assert len(shown) == 1
    display_id = shown[0]["content"]["transient"]["display_id"]
    updates = [
        m for m in client.messages[1] + run["late"]
        if m["msg_type"] == "update_display_data" and m["content"].get("transient", {}).get("display_id") == display_id
    ]
    last = updates[-1]["content"]["data"][CURVE]
    state = json.loads(_stdout(run["nb"].cells[2]).strip().splitlines()[-1])
    assert last["done"] is True
    assert last["stopped"] == f"interrupted at step {state['steps']}"
    # every step's loss is on the curve, up to the stop
    assert len(last["series"][0]["x"]) == state["steps"]
    assert "interrupted at step" in updates[-1]["content"]["data"]["text/plain"] or "interrupted" in json.dumps(last)
    # the static fallback (what a saved notebook shows without the extension) has the status and every point
    n = state["steps"]
    svg = updates[-1]["content"]["data"]["image/svg+xml"]
    assert f"stopped: interrupted at step {n}" in svg
    loss_line = re.search(r'<polyline points="([^"]*)"', svg)
    assert loss_line is not None, svg[:500]
    assert len(loss_line.group(1).split()) == min(n, 4000)
    assert f"loss: {n:,} points" in updates[-1]["content"]["data"]["text/plain"]


def test_the_kernel_and_the_network_still_work_afterwards(run: dict[str, Any]) -> None:
    res = json.loads(_stdout(run["nb"].cells[3]).strip().splitlines()[-1])
    assert 0 <= res["accuracy"] <= 1
    # train removed its listener (onSigint): left are tslab's own (anonymous) and the one gradlab keeps to
    # tell the stop button from an exception at the end of a cell (engine/display/kernel.ts)
    assert res["sigintListeners"] == ["", "gradlabCellWatchSigint"]


def test_the_stopped_curve_reaches_the_cell_before_it_is_reported_idle(run: dict[str, Any]) -> None:
    # nbclient, like any client, stops listening to a request at its idle: what train's close() sends
    # after that is lost to a saved notebook. The end of the cell (engine/display/kernel.ts) sends it first.
    client: _InterruptingClient = run["client"]
    state = json.loads(_stdout(run["nb"].cells[2]).strip().splitlines()[-1])
    n = state["steps"]
    curve = [m for m in client.messages[1] if m["msg_type"] in ("display_data", "update_display_data") and CURVE in m["content"]["data"]]
    last = curve[-1]["content"]["data"][CURVE]
    assert last["stopped"] == f"interrupted at step {n}"
    assert len(last["series"][0]["x"]) == n
    [saved] = [o for o in run["nb"].cells[1].outputs if CURVE in o.get("data", {})]
    assert saved["data"][CURVE]["stopped"] == f"interrupted at step {n}"
    assert len(saved["data"][CURVE]["series"][0]["x"]) == n
