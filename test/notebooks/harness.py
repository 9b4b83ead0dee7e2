"""Runs notebooks headless through the real tslab kernel (nbclient) and keeps every message.

A test calls ``run_notebook(path)`` and asserts on the result: the executed
notebook (what a saved .ipynb would hold, with ``update_display_data`` already
applied to the outputs it targets) and, per cell, every iopub message the
kernel sent while that cell ran (so updates and their order can be checked).

Two facts about tslab under nbclient shape this harness (see docs/NOTES-dev.md):
- nbclient stops reading a cell's messages once the kernel reports idle, so a
  display update sent after a cell ended is lost to the saved notebook.
- after a failed cell tslab aborts the requests that arrive within 200 ms, so
  ``allow_errors=True`` runs later cells as empty successes. We stop at the
  first error instead and report it (``Run.error``), unless ``allow_errors``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[2]
OUTPUT_DIR = ROOT / "test-output" / "notebooks"

#: The static fallbacks a gradlab bundle may carry.
STATIC_MIME_TYPES = ("image/svg+xml", "text/html", "text/plain")


@dataclass
class Message:
    """One iopub message as the kernel sent it."""

    msg_type: str
    content: dict[str, Any]

    @property
    def display_id(self) -> str | None:
        transient = self.content.get("transient") or {}
        return transient.get("display_id")

    @property
    def data(self) -> dict[str, Any]:
        return self.content.get("data") or {}


@dataclass
class Run:
    """The result of running one notebook."""

    path: Path
    nb: nbformat.NotebookNode
    #: iopub messages per cell index, in arrival order (status messages left out).
    messages: dict[int, list[Message]] = field(default_factory=dict)
    error: CellExecutionError | None = None
    saved_to: Path | None = None

    def index(self, tag: str) -> int:
        """Index of the cell carrying ``tag`` in its metadata tags."""
        for i, cell in enumerate(self.nb.cells):
            if tag in cell.get("metadata", {}).get("tags", []):
                return i
        raise KeyError(f"no cell tagged {tag!r} in {self.path.name}")

    def _cell(self, cell: int | str) -> int:
        return self.index(cell) if isinstance(cell, str) else cell

    def outputs(self, cell: int | str) -> list[dict[str, Any]]:
        """The saved outputs of a cell."""
        return self.nb.cells[self._cell(cell)].get("outputs", [])

    def displays(self, cell: int | str) -> list[dict[str, Any]]:
        """The saved ``display_data`` outputs of a cell."""
        return [o for o in self.outputs(cell) if o.get("output_type") == "display_data"]

    def stream(self, cell: int | str, name: str = "stdout") -> str:
        """All text a cell printed on ``name`` (stdout or stderr)."""
        return "".join(
            o.get("text", "") for o in self.outputs(cell) if o.get("output_type") == "stream" and o.get("name") == name
        )

    def sent(self, cell: int | str, msg_type: str | None = None) -> list[Message]:
        """The messages that arrived while a cell ran, optionally of one type."""
        got = self.messages.get(self._cell(cell), [])
        return [m for m in got if msg_type is None or m.msg_type == msg_type]

    def updates(self, display_id: str | None = None) -> list[Message]:
        """Every ``update_display_data`` of the run, in order, optionally for one display id."""
        return [
            m
            for i in sorted(self.messages)
            for m in self.messages[i]
            if m.msg_type == "update_display_data" and (display_id is None or m.display_id == display_id)
        ]

    def all_outputs(self) -> Iterable[dict[str, Any]]:
        for cell in self.nb.cells:
            yield from cell.get("outputs", [])

    def with_mime(self, mime: str) -> list[dict[str, Any]]:
        """Every saved output carrying ``mime``."""
        return [o for o in self.all_outputs() if mime in (o.get("data") or {})]


class _RecordingClient(NotebookClient):
    """An nbclient that also keeps each iopub message it processes."""

    def __init__(self, *args: Any, record: dict[int, list[Message]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._record = record

    def process_message(self, msg: dict[str, Any], cell: Any, cell_index: int) -> Any:
        if msg["msg_type"] != "status":
            self._record.setdefault(cell_index, []).append(Message(msg["msg_type"], msg["content"]))
        return super().process_message(msg, cell, cell_index)


def run_notebook(
    path: str | os.PathLike[str],
    *,
    timeout: int = 120,
    allow_errors: bool = False,
    kernel_name: str = "tslab",
    save: bool = True,
) -> Run:
    """Executes ``path`` in its own folder with the tslab kernel of this Python's environment.

    Raises nothing for a failing cell: the error is in ``Run.error`` (tests
    assert it is None). The executed notebook is saved under
    test-output/notebooks/ for a person to look at.
    """
    path = Path(path).resolve()
    nb = nbformat.read(path, as_version=4)
    record: dict[int, list[Message]] = {}
    client = _RecordingClient(
        nb,
        record=record,
        timeout=timeout,
        startup_timeout=60,
        kernel_name=kernel_name,
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(path.parent)}},
    )
    error = None
    try:
        client.execute()
    except CellExecutionError as e:
        error = e
    run = Run(path=path, nb=nb, messages=record, error=error)
    if save:
        OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
        run.saved_to = OUTPUT_DIR / path.name
        nbformat.write(nb, run.saved_to)
    return run


def describe(run: Run) -> str:
    """A short text of what each cell produced, for assertion messages."""
    lines = []
    for i, cell in enumerate(run.nb.cells):
        kinds = [o.get("output_type") + ":" + ",".join(sorted((o.get("data") or {}).keys())) for o in cell.get("outputs", [])]
        lines.append(f"[{i}] {json.dumps(kinds)}")
    if run.error is not None:
        lines.append(f"error: {run.error}")
    return "\n".join(lines)
