"""W6, notebook latency: a fresh tslab kernel (nbclient, the project's .venv), then each cell timed on its own:

    1. a trivial cell (`1 + 1`), so the kernel's own first-cell costs are not counted below
    2. `import * as gl from "gradlab";`            (cold: the first import in this kernel)
    3. the README example and `gl.show(f)`         (the first show: payload, SVG fallback, display message)

A cell's time is the wall clock from sending the execute request to its reply
(nbclient's execute_cell), as a person waits for it. Prints @@RESULT like
bench/py/worker.py. Run with the project's .venv/bin/python (npm start / npm test set it up).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CELLS = [
    ("trivial_cell_ms", "1 + 1"),
    ("import_ms", 'import * as gl from "gradlab";'),
    (
        "first_show_ms",
        "const x = gl.scalar(3, {requiresGrad: true, name: 'x'});\n"
        "const y = gl.scalar(-4, {requiresGrad: true, name: 'y'});\n"
        "const f = gl.mul(2, x.mul(y));\n"
        "f.backward();\n"
        "gl.show(f);",
    ),
]


def main() -> dict:
    import nbformat
    from nbclient import NotebookClient

    # inside the project, so that `gradlab` resolves (node_modules/gradlab -> ..)
    scratch = Path(tempfile.mkdtemp(prefix="w6-", dir=ROOT / "bench" / "results"))
    try:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(src) for _, src in CELLS]
        nb.metadata["kernelspec"] = {"name": "tslab", "display_name": "TypeScript", "language": "typescript"}
        client = NotebookClient(nb, kernel_name="tslab", timeout=120, startup_timeout=60, resources={"metadata": {"path": str(scratch)}})
        metrics: dict[str, float] = {}
        t0 = time.perf_counter()
        with client.setup_kernel():
            metrics["kernel_start_ms"] = (time.perf_counter() - t0) * 1e3
            for index, (key, _) in enumerate(CELLS):
                t = time.perf_counter()
                client.execute_cell(nb.cells[index], index)
                metrics[key] = (time.perf_counter() - t) * 1e3
        outs = nb.cells[2].get("outputs", [])
        mimes = [m for o in outs for m in (o.get("data") or {})]
        errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
        checks = [
            {"name": "no cell failed", "ok": not errors, "detail": json.dumps(errors)[:500] if errors else "ok"},
            {
                "name": "gl.show sent the graph MIME bundle",
                "ok": "application/vnd.gradlab.graph.v1+json" in mimes,
                "detail": ", ".join(mimes) or "no display output",
            },
        ]
        return {"ok": True, "metrics": metrics, "checks": checks}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    try:
        result = main()
    except Exception as e:
        result = {"ok": False, "error": "".join(traceback.format_exception_only(type(e), e)).strip()[:2000], "metrics": {}, "checks": []}
    sys.stdout.write("@@RESULT " + json.dumps(result) + "\n")
