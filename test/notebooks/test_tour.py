"""notebooks/00-tour.ipynb through the real tslab kernel: each view's bundle, its values, the live curve."""

from pathlib import Path

import pytest

from harness import Run, describe, run_notebook

ROOT = Path(__file__).resolve().parents[2]
GRAPH = "application/vnd.gradlab.graph.v1+json"
GRADCHECK = "application/vnd.gradlab.gradcheck.v1+json"
CHAIN = "application/vnd.gradlab.jacobian-chain.v1+json"
CURVE = "application/vnd.gradlab.loss-curve.v1+json"


@pytest.fixture(scope="module")
def run() -> Run:
    result = run_notebook(ROOT / "notebooks" / "00-tour.ipynb", timeout=180)
    assert result.error is None, describe(result)
    return result


def test_graph_bundle_has_the_circuit_values_and_gradients(run: Run) -> None:
    [out] = run.displays("graph")
    data = out["data"]
    assert set(data) == {GRAPH, "image/svg+xml", "text/plain"}
    nodes = {n["name"]: n for n in data[GRAPH]["nodes"] if n["name"]}
    assert nodes["f"]["value"]["values"] == [-20]
    assert {k: nodes[k]["grad"]["values"][0] for k in "xyzw"} == {"x": -8, "y": 6, "z": 2, "w": 0}
    # the fallback draws the same figure: every name and gradient is in the SVG
    svg = data["image/svg+xml"]
    assert svg.lstrip().startswith("<svg") and all(f">{k}<" in svg or f"{k} " in svg for k in "xyzwf")
    assert "-20" in svg and "-8" in svg
    assert run.stream("graph-values") == "f = -20, df/dx = -8, df/dy = 6, df/dz = 2, df/dw = 0\n"


def test_gradcheck_bundle_passes(run: Run) -> None:
    [out] = run.displays("gradcheck")
    p = out["data"][GRADCHECK]
    assert p["ok"] is True and p["maxRelError"] < 1e-6
    assert [i["name"] for i in p["inputs"]] == ["W", "v"] and p["totalEntries"] == 12 + 4
    assert "✓" in out["data"]["text/html"] and "✓" in out["data"]["text/plain"]


def test_jacobian_chain_bundle_answers_reverse(run: Run) -> None:
    [out] = run.displays("jacobian-chain")
    p = out["data"][CHAIN]
    assert [(s["label"], s["rows"], s["cols"]) for s in p["steps"]] == [
        ("FC 784→64", 64, 784), ("ReLU", 64, 64), ("FC 64→10", 10, 64), ("loss", 1, 10),
    ]
    assert p["winner"] == "reverse" and p["reverseCost"] < p["forwardCost"]


def test_loss_curve_updates_live_and_the_saved_notebook_has_every_point(run: Run) -> None:
    cell = run.index("loss-curve")
    [shown] = run.sent(cell, "display_data")
    updates = run.sent(cell, "update_display_data")
    # several updates while the loop ran, all on the display the curve opened
    assert len(updates) >= 3, describe(run)
    assert {m.display_id for m in updates} == {shown.display_id}
    counts = [len(m.data[CURVE]["series"][0]["x"]) for m in updates]
    assert counts == sorted(counts) and counts[-1] == 150
    assert updates[-1].data[CURVE]["done"] is True
    # the saved notebook holds the final state (close() was awaited inside the cell)
    [out] = run.displays(cell)
    p = out["data"][CURVE]
    assert p["done"] is True and len(p["series"][0]["x"]) == 150
    assert [s["name"] for s in p["series"]] == ["loss", "accuracy"]
    assert p["series"][0]["y"][-1] < p["series"][0]["y"][0] / 2
    assert p["series"][1]["y"][-1] > 0.9
    assert run.stream(cell).startswith("final loss ")
