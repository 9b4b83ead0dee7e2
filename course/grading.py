"""nbgrader's Execute, made safe for the tslab kernel (read by nbgrader_config.py).

Autograde runs every cell with errors allowed and scores a graded test cell by its outputs: 0 with
an error or stderr output, full marks otherwise — also when the cell has no output at all. tslab
aborts every request that arrives within 200 ms of a failed cell (reply status "abort", no
output). gradlab, once imported, makes tslab honour nbclient's `stop_on_error: false` instead
(engine/display/kernel.ts), but a cell that fails *before* the import (a scratch cell a student put
at the top) still makes the next cells come back empty, and some of them could be test cells.

This Execute runs an aborted cell again after the abort window, so every cell of a graded run
really ran. It also completes tslab's reply to a failed cell, which lacks the `ename`, `evalue`
and `traceback` that nbgrader's Execute reads (without them the whole submission fails to grade). test/course/test_course.py asserts it: no cell of a graded notebook is left without
an execution count.
"""

from __future__ import annotations

import asyncio
from typing import Any

from jupyter_core.utils import run_sync
from nbformat.notebooknode import NotebookNode
from nbgrader.converters.autograde import Autograde
from nbgrader.preprocessors import Execute

#: tslab's status for a request it dropped (the messaging spec's word is "aborted"; accept both).
ABORTED = ("abort", "aborted")
#: tslab's abort window is 200 ms; wait past it before running the cell again.
RETRY_DELAY_S = 0.3
RETRIES = 3


class GradlabExecute(Execute):
    """nbgrader's Execute, running a cell again when the kernel aborted it."""

    _aborted = False

    async def async_execute_cell(self, cell: Any, cell_index: int, execution_count: int | None = None, store_history: bool = True) -> Any:
        for attempt in range(RETRIES + 1):
            self._aborted = False
            cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
            if not self._aborted:
                return cell
            if attempt < RETRIES:
                self.log.warning("cell %s was aborted by the kernel (a cell before it failed); running it again", cell_index)
                await asyncio.sleep(RETRY_DELAY_S)
        # Never an empty graded cell: say what happened in the cell (an error output scores it 0).
        self.log.error("cell %s was aborted by the kernel %d times; recorded as an error", cell_index, RETRIES + 1)
        cell.outputs.append(
            NotebookNode(output_type="error", ename="CellAbortedError", evalue="the kernel aborted this cell", traceback=["CellAbortedError: the kernel aborted this cell"])
        )
        return cell

    # nbconvert's preprocess_cell calls the sync execute_cell, which nbclient binds to its own async_execute_cell
    execute_cell = run_sync(async_execute_cell)

    def on_cell_executed(self, **kwargs: Any) -> None:
        content = kwargs["execute_reply"]["content"]
        if content.get("status") in ABORTED:
            self._aborted = True
        if content.get("status") == "error":
            # tslab's error reply is only {status, execution_count} (gradlab completes it once imported):
            # nbgrader's Execute reads ename/evalue/traceback and would fail the whole submission on a KeyError.
            content.setdefault("ename", "Error")
            content.setdefault("evalue", "the cell failed (its error is printed above)")
            content.setdefault("traceback", [f"{content['ename']}: {content['evalue']}"])
        super().on_cell_executed(**kwargs)


def autograde_preprocessors() -> list[type]:
    """nbgrader's autograde steps with Execute replaced by GradlabExecute (everything else as shipped)."""
    default = Autograde.class_traits()["autograde_preprocessors"].default()
    return [GradlabExecute if pp is Execute else pp for pp in default]
