"""A live loss curve that is never closed still ends with every point and the right status.

Students write the lecture's loop and stop it with the stop button or an
exception, not with ``close()``. nbclient stops reading a cell's messages once
the kernel reports it idle, which is what a Jupyter client does with a finished
request, so what these tests read is what a saved notebook gets: the points
must all be sent *before* the cell's idle (engine/display/kernel.ts onCellEnd).

Loops (30 points each, none closed): awaiting a 20 ms timer per step, pushing
without awaiting anything, and ``await c.push(...)``; a loop that throws at its
20th step; and a later cell that goes on pushing to a curve whose cell ended.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest

from harness import OUTPUT_DIR, Message, Run, describe, run_notebook

CURVE = "application/vnd.gradlab.loss-curve.v1+json"

CELLS: list[tuple[str, str]] = [
    ("import", 'import * as gl from "gradlab";'),
    (
        "timer",
        """const c1 = gl.lossCurve({title: "timer"});
for (let i = 0; i < 30; i++) {
  c1.push(i, Math.exp(-i / 10));
  await new Promise((r) => setTimeout(r, 20));
}""",
    ),
    (
        "sync",
        """const c2 = gl.lossCurve({title: "sync"});
for (let i = 0; i < 30; i++) c2.push(i, Math.exp(-i / 10));
console.log("length " + c2.length);""",
    ),
    (
        "awaited",
        """const c3 = gl.lossCurve({title: "awaited"});
for (let i = 0; i < 30; i++) await c3.push(i, Math.exp(-i / 10));""",
    ),
    # training goes on in a later cell: the curve is drawn again there, and both drawings get every point
    ("later", "for (let i = 30; i < 40; i++) c2.push(i, Math.exp(-i / 10));"),
    # last: after a failed cell tslab aborts the requests that arrive within 200 ms
    (
        "throws",
        """const c4 = gl.lossCurve({title: "throws"});
for (let i = 0; i < 30; i++) {
  await c4.push(i, Math.exp(-i / 10));
  if (i === 19) throw new Error("boom at step 19");
}""",
    ),
]


@pytest.fixture(scope="module")
def run() -> Run:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "tslab", "display_name": "TypeScript", "language": "typescript"}
    nb.cells = [nbformat.v4.new_code_cell(src, metadata={"tags": [tag]}) for tag, src in CELLS]
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUTPUT_DIR / "live_curve_source.ipynb"  # inside the project, so `gradlab` resolves
    nbformat.write(nb, path)
    t0 = time.time() * 1000
    result = run_notebook(path)
    result.t0 = t0  # type: ignore[attr-defined]
    result.t1 = time.time() * 1000  # type: ignore[attr-defined]
    assert result.error is not None and "boom at step 19" in str(result.error), describe(result)
    return result


def _curve_messages(run: Run, tag: str) -> list[Message]:
    """The curve messages a cell's request carried, up to its idle (what nbclient and a saved notebook got)."""
    return [m for m in run.sent(tag) if m.msg_type in ("display_data", "update_display_data") and CURVE in m.data]


def _points(p: dict[str, Any]) -> list[float]:
    return p["series"][0]["x"]


def _saved_curve(run: Run, tag: str) -> dict[str, Any]:
    [out] = [o for o in run.displays(tag) if CURVE in o["data"]]
    return out


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else value


@pytest.mark.parametrize("tag", ["timer", "sync", "awaited"])
def test_an_unclosed_curve_ends_with_every_point_and_done(run: Run, tag: str) -> None:
    sent = _curve_messages(run, tag)
    assert sent, describe(run)
    last = sent[-1].data[CURVE]
    assert _points(last) == list(range(30)), f"{tag}: the cell's messages carried {len(_points(last))} of 30 points"
    assert last["done"] is True and "stopped" not in last
    assert "updatedAt" not in last and "staleAfter" not in last  # a finished curve makes no liveness claim
    # one display, and every later message updates it
    assert [m.msg_type for m in sent] == ["display_data"] + ["update_display_data"] * (len(sent) - 1)
    assert len({m.display_id for m in sent}) == 1
    # the saved notebook (the update applied to the output) and its static fallbacks say the same
    out = _saved_curve(run, tag)
    if tag != "sync":  # the sync curve is continued by a later cell: see below
        assert _points(out["data"][CURVE]) == list(range(30))
        assert out["data"][CURVE]["done"] is True
        assert f"{tag} (done)" in _text(out["data"]["text/plain"])
        assert "loss: 30 points, last 0.05502 at step 29" in _text(out["data"]["text/plain"])


def test_the_sync_loop_really_pushed_30_points_before_the_cell_ended(run: Run) -> None:
    assert run.stream("sync") == "length 30\n"


def test_while_live_each_update_says_when_it_was_sent_and_how_long_to_wait(run: Run) -> None:
    # the timer loop runs ~0.6 s: its updates while running are live payloads
    live = [m.data[CURVE] for m in _curve_messages(run, "timer") if m.data[CURVE]["done"] is False]
    assert len(live) >= 2, "the 20 ms loop sent no update while it ran"
    for p in live:
        assert run.t0 <= p["updatedAt"] <= run.t1  # type: ignore[attr-defined]
        assert p["staleAfter"] == 60_000  # steps of 20 ms: the one-minute floor
    times = [p["updatedAt"] for p in live]
    assert times == sorted(times)
    points = [len(_points(p)) for p in live]
    assert points == sorted(points) and points[-1] <= 30


def test_a_live_static_fallback_does_not_claim_training(run: Run) -> None:
    first = _curve_messages(run, "timer")[0]
    assert first.data[CURVE]["done"] is False
    svg = _text(first.data["image/svg+xml"])
    assert "training…" not in svg
    assert re.search(r"not finished — last update \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, no points yet", svg), svg[:600]
    assert "not finished — last update" in _text(first.data["text/plain"])


def test_a_loop_that_throws_keeps_its_points_and_reads_stopped(run: Run) -> None:
    last = _curve_messages(run, "throws")[-1].data[CURVE]
    assert _points(last) == list(range(20))
    assert last["done"] is True
    assert last["stopped"] == "the cell failed at step 19"
    out = _saved_curve(run, "throws")
    assert out["data"][CURVE]["stopped"] == "the cell failed at step 19"
    assert "stopped: the cell failed at step 19" in _text(out["data"]["image/svg+xml"])


def test_a_later_cell_goes_on_with_the_curve_and_draws_it_again(run: Run) -> None:
    sent = _curve_messages(run, "later")
    [sync_id] = {m.display_id for m in _curve_messages(run, "sync")}
    assert sent and {m.display_id for m in sent} == {sync_id}
    assert sent[0].msg_type == "display_data"  # drawn again in this cell
    last = sent[-1].data[CURVE]
    assert _points(last) == list(range(40))
    assert last["done"] is True and "stopped" not in last
    # both drawings, the first cell's and this one's, hold all 40 points in the saved notebook
    assert _points(_saved_curve(run, "later")["data"][CURVE]) == list(range(40))
    assert _points(_saved_curve(run, "sync")["data"][CURVE]) == list(range(40))
