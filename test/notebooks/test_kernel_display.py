"""engine/display/kernel.ts in the real tslab kernel: bundles, display ids, updates, the static fallback."""

from pathlib import Path

import pytest

from harness import Run, describe, run_notebook

FIXTURES = Path(__file__).parent / "fixtures"
GRAPH = "application/vnd.gradlab.graph.v1+json"
SVG = "image/svg+xml"


@pytest.fixture(scope="module")
def run() -> Run:
    result = run_notebook(FIXTURES / "kernel_display.ipynb")
    assert result.error is None, describe(result)
    return result


def test_finds_the_running_kernel(run: Run) -> None:
    assert run.stream("probe") == "inKernel=true mode=bundle\n"


def test_one_message_carries_the_whole_bundle_under_a_display_id(run: Run) -> None:
    [sent] = run.sent("display", "display_data")
    assert sent.display_id == "probe-display"
    assert set(sent.data) == {GRAPH, SVG, "text/plain"}
    assert sent.content["metadata"] == {"probe": True}
    # JSON MIME types travel as JSON objects, not strings.
    assert sent.data[GRAPH]["kind"] == "graph"


def test_updates_from_later_cells_and_from_an_awaiting_loop_arrive_in_order(run: Run) -> None:
    titles = [m.data[GRAPH]["title"] for m in run.updates("probe-display")]
    assert titles == ["second", "step 0", "step 1", "step 2"]
    assert [m.msg_type for m in run.sent("update")] == ["update_display_data"]
    assert run.stream("loop") == "loop done\n"


def test_the_saved_notebook_shows_the_last_update_in_the_original_output(run: Run) -> None:
    [output] = run.displays("display")
    assert output["data"][GRAPH]["title"] == "step 2"
    assert output["data"]["text/plain"] == "step 2"
    assert run.displays("update") == [] and run.displays("loop") == []


def test_without_the_writer_only_the_static_figure_is_sent_with_one_warning(run: Run) -> None:
    assert run.stream("static") == "mode=static\nrestored mode=bundle\n"
    assert run.stream("static", "stderr").count("gradlab:") == 1
    shown = run.sent("static", "display_data")
    updated = run.sent("static", "update_display_data")
    assert [set(m.data) for m in shown + updated] == [{SVG}, {SVG}]
    assert shown[0].display_id == updated[0].display_id
    [output] = run.displays("static")
    assert "static again" in output["data"][SVG]
