"""How much memory a tslab kernel with gradlab takes (issue #13, point 4), as a table.

    .venv/bin/python bench/kernel-memory.py [--runs N] [--node-flags "--max-semi-space-size=2"]
                                            [--env KEY=VALUE] [--gradlab DIR] [--json FILE]

Starts the project's tslab kernel (the kernelspec in .venv) through jupyter_client, runs cells,
and after each stage reads the kernel's node process (the process the kernel manager started):
RSS and its peak from /proc/<pid>/status (VmRSS, VmHWM), the CPU seconds it has used since it
started from /proc/<pid>/stat (load on a shared machine hardly changes them, unlike the cells'
wall times), and V8's heap from ``process.memoryUsage()`` in a cell, before and after a full
garbage collection (after: what is really kept, not garbage waiting for the collector).

Stages, in one kernel: bare (one trivial cell) -> import (``import * as gl from "gradlab"``) ->
nb1 (notebook 1's graph, forward + gl.show, backward + gl.show). In a second, fresh kernel: nb6
(every code cell of notebooks/06-training.ipynb, to the end), then the same kernel 30 s later.

``--node-flags`` runs node with those flags in front of tslab and ``--env KEY=VALUE`` sets a
variable in the kernel's environment (a temporary kernelspec, as a kernel.json with
``node <flags> .../tslab kernel`` and an ``env`` entry would), to see what a setting saves.
``--gradlab DIR`` loads another built gradlab (a package root with package.json and dist/engine,
e.g. a worktree of another commit after ``npm run build``) through a temporary node_modules.
``--runs N`` repeats everything and prints medians. It also times ``require('gradlab')`` in plain
node (median of 7 fresh processes). Bounded: each cell times out (120 s; 600 s in notebook 6),
each kernel is shut down at the end, also on an error or Ctrl-C; one run takes about a minute.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
MARK = "KMEM "

# One cell that reports the heap before and after a full collection (gc exposed at run time,
# so the kernel needs no --expose-gc), as one JSON line on stdout.
PROBE = """{
  const v8_ = require("v8") as typeof import("v8");
  const before_ = process.memoryUsage();
  v8_.setFlagsFromString("--expose-gc");
  (require("vm") as typeof import("vm")).runInNewContext("gc")();
  const after_ = process.memoryUsage();
  const hs_ = v8_.getHeapStatistics();
  console.log("%MARK%" + JSON.stringify({before: before_, after: after_, heapLimit: hs_.heap_size_limit,
    contexts: hs_.number_of_native_contexts}));
}""".replace("%MARK%", MARK)

MB = 1024 * 1024
IDLE_SECONDS = 30


def kernel_pid(km: KernelManager) -> int:
    """The kernel's node process: the process the kernel manager started (tslab runs in it)."""
    return km.provisioner.process.pid


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of ``pid`` in bytes, and its thread count."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) * 1024
        elif key == "Threads":
            out[key] = int(value)
    return out


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_cell(kc, code: str, timeout: float) -> tuple[str, float]:
    """Runs ``code`` and returns (stdout, seconds); raises on an error or a timeout."""
    t0 = time.perf_counter()
    msg_id = kc.execute(code, store_history=False, stop_on_error=True)
    stdout: list[str] = []
    stderr: list[str] = []  # tslab reports a type error here, with an error reply but no error message
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"cell did not finish in {timeout} s:\n{code[:200]}")
        try:
            msg = kc.get_iopub_msg(timeout=min(left, 5))
        except queue.Empty:  # keep waiting until the deadline
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            (stdout if content.get("name") == "stdout" else stderr).append(content["text"])
        elif kind == "error":
            raise RuntimeError(f"cell failed: {content.get('ename')}: {content.get('evalue')}\n{code[:300]}")
        elif kind == "status" and content.get("execution_state") == "idle":
            break
    reply = kc.get_shell_msg(timeout=30)
    while reply["parent_header"].get("msg_id") != msg_id:  # e.g. wait_for_ready's kernel_info_reply
        reply = kc.get_shell_msg(timeout=30)
    if reply["content"].get("status") != "ok":
        c = reply["content"]
        why = f"{c.get('ename')}: {c.get('evalue')}" if c.get("ename") else "".join(stderr).strip()
        raise RuntimeError(f"cell replied {c.get('status')}: {why}\n{code[:200]}")
    return "".join(stdout), time.perf_counter() - t0


def measure(km: KernelManager, kc) -> dict[str, float]:
    """RSS from /proc and the heap from a cell, in MB."""
    out, _ = run_cell(kc, PROBE, 60)
    line = next(ln for ln in out.splitlines() if ln.startswith(MARK))
    heap = json.loads(line[len(MARK):])
    st = proc_status(kernel_pid(km))  # after the probe's collection
    b, a = heap["before"], heap["after"]
    return {
        "cpu": proc_cpu(kernel_pid(km)),
        "rss": st["VmRSS"] / MB,
        "peak": st["VmHWM"] / MB,
        "threads": st["Threads"],
        "heapTotal": b["heapTotal"] / MB,
        "heapUsed": b["heapUsed"] / MB,
        "heapUsedGC": a["heapUsed"] / MB,
        "external": a["external"] / MB,
        "arrayBuffers": a["arrayBuffers"] / MB,
    }


def code_cells(name: str, tags: set[str] | None = None) -> list[str]:
    [path] = NOTEBOOKS.glob(name)
    nb = nbformat.read(path, as_version=4)
    return [
        c.source
        for c in nb.cells
        if c.cell_type == "code" and (tags is None or tags & set(c.metadata.get("tags", [])))
    ]


def start_kernel(kernel_dirs: list[str] | None, cwd: Path) -> tuple[KernelManager, object]:
    ksm = KernelSpecManager(kernel_dirs=kernel_dirs) if kernel_dirs else KernelSpecManager()
    km = KernelManager(kernel_name="tslab", kernel_spec_manager=ksm)
    km.start_kernel(cwd=str(cwd))
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return km, kc


def stop_kernel(km: KernelManager, kc) -> None:
    try:
        kc.stop_channels()
    finally:
        km.shutdown_kernel(now=True)


def one_run(kernel_dirs: list[str] | None, cwd: Path) -> dict[str, dict[str, float]]:
    rows: dict[str, dict[str, float]] = {}
    km, kc = start_kernel(kernel_dirs, cwd)
    try:
        run_cell(kc, "1 + 1", 60)
        rows["bare"] = measure(km, kc)
        _, secs = run_cell(kc, 'import * as gl from "gradlab";', 120)
        rows["import"] = measure(km, kc) | {"seconds": secs}
        t = 0.0
        for src in code_cells("01-*.ipynb", {"define", "forward", "backward"}):
            t += run_cell(kc, src, 120)[1]
        rows["nb1 graph+backward"] = measure(km, kc) | {"seconds": t}
    finally:
        stop_kernel(km, kc)
    km, kc = start_kernel(kernel_dirs, cwd)
    try:
        t = 0.0
        for src in code_cells("06-*.ipynb"):
            t += run_cell(kc, src, 600)[1]
        rows["nb6 to the end"] = measure(km, kc) | {"seconds": t}
        time.sleep(IDLE_SECONDS)  # V8's memory reducer and glibc give memory back only after a while idle
        rows[f"nb6 + {IDLE_SECONDS} s idle"] = measure(km, kc)
    finally:
        stop_kernel(km, kc)
    return rows


def flagged_kernel_dir(flags: str, env: list[str]) -> str:
    """A temporary kernelspec folder whose tslab runs as ``node <flags> <tslab>`` with ``env`` (KEY=VALUE) set."""
    spec = KernelSpecManager().get_kernel_spec("tslab")
    tslab = spec.argv[0]
    tmp = tempfile.mkdtemp(prefix="kmem-")
    (Path(tmp) / "tslab").mkdir()
    argv = [shutil.which("node") or "node", *flags.split(), tslab, *spec.argv[1:]] if flags else spec.argv
    kernel = {"argv": argv, "display_name": spec.display_name, "language": spec.language}
    if env:
        kernel["env"] = dict(e.split("=", 1) for e in env)
    (Path(tmp) / "tslab" / "kernel.json").write_text(json.dumps(kernel))
    return tmp


def gradlab_folder(package: Path) -> Path:
    """A temporary folder whose node_modules is the project's with gradlab → ``package`` (a built
    package root: package.json and dist/engine), for a kernel started in its subfolder ``nb``."""
    tmp = Path(tempfile.mkdtemp(prefix="kmem-gl-"))
    (tmp / "node_modules").mkdir()
    for entry in (ROOT / "node_modules").iterdir():
        if entry.name != "gradlab":
            (tmp / "node_modules" / entry.name).symlink_to(entry)
    (tmp / "node_modules" / "gradlab").symlink_to(package.resolve())
    (tmp / "nb").mkdir()
    return tmp


def node_import(package: Path, times: int = 7) -> dict[str, float]:
    """Median ms of ``require(package)`` in a fresh plain node, and the heap it adds after a GC."""
    script = (
        "const h0 = process.memoryUsage().heapUsed, t0 = performance.now();"
        f"require({json.dumps(str(package.resolve()))});"
        "const ms = performance.now() - t0; gc();"
        "console.log(JSON.stringify({ms, heap: (process.memoryUsage().heapUsed - h0) / 1048576}));"
    )
    got = []
    for _ in range(times):
        out = subprocess.run(["node", "--expose-gc", "-e", script], capture_output=True, text=True, timeout=60, check=True)
        got.append(json.loads(out.stdout))
    return {k: statistics.median(g[k] for g in got) for k in ("ms", "heap")}


COLUMNS = [
    ("rss", "RSS MB", "{:.0f}"),
    ("peak", "peak RSS MB", "{:.0f}"),
    ("heapTotal", "heap total MB", "{:.1f}"),
    ("heapUsed", "heap used MB", "{:.1f}"),
    ("heapUsedGC", "used after GC MB", "{:.1f}"),
    ("external", "external MB", "{:.1f}"),
    ("arrayBuffers", "ArrayBuffers MB", "{:.1f}"),
    ("threads", "threads", "{:.0f}"),
    ("seconds", "cells s", "{:.1f}"),
    ("cpu", "kernel CPU s", "{:.1f}"),
]


def table(rows: dict[str, dict[str, float]]) -> str:
    head = "| stage | " + " | ".join(c[1] for c in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 1)]
    for stage, row in rows.items():
        cells = [fmt.format(row[key]) if key in row else "" for key, _, fmt in COLUMNS]
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="repeat N times, print medians (default 1)")
    parser.add_argument("--node-flags", default="", help='node flags for the kernel, e.g. "--optimize-for-size"')
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE in the kernel's environment (repeatable)")
    parser.add_argument("--gradlab", type=Path, help="a built gradlab package root to load instead of this checkout")
    parser.add_argument("--json", help="also write the runs and medians to this file")
    args = parser.parse_args()
    package = args.gradlab or ROOT
    tmp = flagged_kernel_dir(args.node_flags, args.env) if args.node_flags or args.env else None
    folder = gradlab_folder(args.gradlab) if args.gradlab else None
    try:
        runs = []
        for i in range(args.runs):
            t0 = time.perf_counter()
            runs.append(one_run([tmp] if tmp else None, folder / "nb" if folder else NOTEBOOKS))
            print(f"run {i + 1}/{args.runs}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        plain = node_import(package)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
    medians = {
        stage: {k: statistics.median(r[stage][k] for r in runs) for k in runs[0][stage]} for stage in runs[0]
    }
    print(f"tslab kernel memory, gradlab {package}, node {os.popen('node --version').read().strip()}, "
          f"flags: {args.node_flags or '(none)'}, env: {' '.join(args.env) or '(none)'}, median of {args.runs} run(s)\n")
    print(table(medians))
    print(f"\nplain node, require('gradlab'): {plain['ms']:.0f} ms, +{plain['heap']:.1f} MB heap after GC (median of 7)")
    if args.json:
        doc = {"gradlab": str(package), "flags": args.node_flags, "env": args.env, "runs": runs, "median": medians,
               "node_import": plain}
        Path(args.json).write_text(json.dumps(doc, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
