"""How big a class one machine serves: a ramp of students running notebook 6 at once through a real JupyterHub.

    npm run bench:hub [-- --cap 32 --level-timeout 600 --budget 25]
    (= .venv/bin/python bench/hub/ramp.py ...; root, after `bash scripts/class-image.sh build`)

Issue #13, point 4. Levels of 1, 2, 4, 8, … students (up to ``--cap``, default 32). Each level is
a fresh JupyterHub 6.1.1 (test/hub/classhub.py: real Unix users gl-s01…, LocalProcessSpawner,
the class image in /opt/gradlab-class) with only that level's students, so a student's memory is
measured with exactly the level's servers and kernels running. In each level:

1. the hub starts and makes the users; every student's server is spawned at once (spawn time:
   the API request until the hub says ready);
2. the solved notebooks/06-training.ipynb (a student who finished the homework, outputs cleared)
   is uploaded into each home as hw6.ipynb (``PUT api/contents``);
3. at the same moment every student runs it the way JupyterLab's "restart kernel and run all" then
   "save" does, through the hub's proxy and the server's websocket (test/hub/client.py): a kernel
   session for the notebook, every code cell in order. Time to first output (TTFO) counts from the
   start of that student's run, the notebook's load and the kernel's start included; notebook wall
   time until the last cell ended;
4. when every run has ended (kernels still alive) the students' processes are read from /proc
   (bench/hub/procfs.py): memory per student = PSS and RSS summed over every process of the
   student's uid (server + kernel), the kernel alone too; CPU seconds per notebook = the growth of
   utime + stime of those processes since before the run (the kernel is read before it exits);
5. each notebook is saved, the kernels shut down, and each saved notebook is read back from the
   student's home, as root, from disk: every code cell has its execution count (1, 2, 3, … in order)
   and its outputs (the same outputs, cell by cell, as the first student's run of the ramp), no error
   and nothing on stderr, and the three loss curves in their final state: done, not stopped, every
   step there (spiral: 300 epochs × ⌈300/64⌉ steps, as the cell prints; digits: 20 × ⌈train/64⌉).

The tslab kernel alone is also read at three moments of each run: started (it answered
``kernel_info``, nothing compiled yet), after the import cell, and after the whole notebook.

Stops by itself: after a level whose slowest TTFO passed ``--ttfo`` (10 s), whose memory in use
passed ``--memory`` (75 %) of the machine's, where a run failed, a cell timed out or an output was
lost; at the cap; when the next level would not fit in the ``--budget`` (25 min, estimated as this
level's time × the next level's size / this one's); and within a level at ``--level-timeout`` or
the moment memory passes the limit (the runs are cancelled). The hub and its users are removed after
every level, also on an error, Ctrl-C or SIGTERM.

The class image is not built here: without it the ramp says to run `bash scripts/class-image.sh
build` first (3 min), and stays read-only towards it.

Output: a table on stdout, bench/results/hub-ramp-<date>.md (machine, command, levels, the largest
class that fits, the sizing derived from it) and the same numbers per student in a .json beside it.
The load generator (this process: websockets, JSON of every message, the contents saves) runs on the
same cores as the class; its CPU seconds are reported per level.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import pwd
import re
import resource
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "test" / "hub"))
sys.path.insert(0, str(HERE))

import classhub  # noqa: E402
import procfs  # noqa: E402
from client import ClientError, KernelSession, ServerClient, first_line  # noqa: E402
from procfs import MB, Memory  # noqa: E402

NOTEBOOK = ROOT / "notebooks" / "06-training.ipynb"
PATH = "hw6.ipynb"  # in the student's home
CURVE = "application/vnd.gradlab.loss-curve.v1+json"
#: The only names this benchmark uses (tests running at the same time use other gl-* names).
STUDENTS = [f"gl-s{i:02d}" for i in range(1, 33)]
HUB_NAME = "bench-ramp"  # test-output/hub/bench-ramp


class Stop(Exception):
    """A level ended early (timeout, memory): the reason, said in the report."""


# ---------------------------------------------------------------------------------------------------------------
# Results


@dataclass
class StudentRun:
    name: str
    spawn_seconds: float | None = None
    kernel_start_seconds: float | None = None
    ttfo_seconds: float | None = None
    """From the start of the run (notebook load and kernel start included) until the first output of any cell."""
    wall_seconds: float | None = None
    """From the start of the run until the last cell ended."""
    save_seconds: float | None = None
    completed: bool = False
    saved: bool = False
    verified: bool = False
    problem: str = ""
    cpu_seconds: float | None = None
    """utime + stime of the student's processes (server + kernel) during the run."""
    server_idle: Memory | None = None
    """The server alone, spawned and idle, before the notebook."""
    after: Memory | None = None
    """Every process of the student (server + kernel) after the notebook, kernel still running."""
    peak_rss: int = 0
    """Largest sum of resident memory of the student's processes seen during the run (sampled every 0.25 s)."""
    kernel_started: Memory | None = None
    kernel_import: Memory | None = None
    kernel_after: Memory | None = None
    processes: list[str] = field(default_factory=list)
    """The student's processes after the notebook (command lines, cut)."""


@dataclass
class Level:
    students: int
    runs: list[StudentRun] = field(default_factory=list)
    used_before: float = 0.0
    used_peak: float = 0.0
    seconds: float = 0.0
    run_seconds: float = 0.0
    hub_cpu_seconds: float = 0.0
    client_cpu_seconds: float = 0.0
    other_cpu_seconds: float = 0.0
    """CPU the machine spent during the runs on anything but the students, the hub and this script (other work)."""
    loadavg_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    error: str = ""
    stop: str = ""
    other_hub: str = ""
    """Another class hub that ran during this level (a test of test/hub): a failed level is then run again."""
    attempt: int = 1

    @property
    def all_ok(self) -> bool:
        return not self.error and len(self.runs) == self.students and all(r.completed and r.saved and r.verified for r in self.runs)

    def values(self, key: str) -> list[float]:
        return [v for v in (getattr(r, key) for r in self.runs) if v is not None]

    def mem(self, key: str, kind: str) -> list[float]:
        return [getattr(m, kind) / MB for m in (getattr(r, key) for r in self.runs) if m is not None]


def med(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def top(xs: list[float]) -> float | None:
    return max(xs) if xs else None


# ---------------------------------------------------------------------------------------------------------------
# Reading the students' processes


def uid_of(name: str) -> int:
    return pwd.getpwnam(name).pw_uid


def kernel_pid(pids: list[int]) -> int | None:
    """The tslab kernel among a student's processes (node running …/tslab kernel)."""
    return next((p for p in pids if "tslab" in procfs.cmdline(p)), None)


def kernel_memory(uid: int) -> Memory | None:
    pid = kernel_pid(procfs.pids_of_uids({uid})[uid])
    return procfs.memory(pid) if pid else None


def uid_cpu(uid: int) -> float:
    return sum(procfs.cpu_seconds(p) for p in procfs.pids_of_uids({uid})[uid])


class Monitor(threading.Thread):
    """Samples the machine's memory in use and each student's resident memory every 0.25 s, in its own thread
    (so a busy event loop cannot delay it); ``over`` is set once the machine passes ``limit``."""

    def __init__(self, uids: dict[str, int], limit: float) -> None:
        super().__init__(name="memory-monitor", daemon=True)
        self.uids = uids
        self.limit = limit
        self.peak_used = procfs.used_fraction()
        self.peak_rss = {s: 0 for s in uids}
        self.over = threading.Event()
        self.other_hub = ""
        """Another class hub seen running during the level (its start removes every gl-* user, ours too)."""
        self._halt = threading.Event()

    def run(self) -> None:
        by_uid = {u: s for s, u in self.uids.items()}
        ticks = 0
        while not self._halt.is_set():
            if ticks % 8 == 0 and not self.other_hub:
                self.other_hub = disturbed(self.uids)
            ticks += 1
            used = procfs.used_fraction()
            self.peak_used = max(self.peak_used, used)
            if used > self.limit:
                self.over.set()
            for uid, pids in procfs.pids_of_uids(set(by_uid)).items():
                name = by_uid[uid]
                self.peak_rss[name] = max(self.peak_rss[name], sum(procfs.resident(p) for p in pids))
            self._halt.wait(0.25)

    def stop(self) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(5)


# ---------------------------------------------------------------------------------------------------------------
# One student's run, through the hub


@dataclass
class Live:
    """A student's run in progress: their client, kernel session and the notebook being filled."""

    run: StudentRun
    uid: int
    client: ServerClient
    ks: KernelSession | None = None
    nb: Any = None
    cpu_before: float = 0.0


async def run_cells(live: Live, cell_timeout: float, startup_timeout: float) -> None:
    """Loads the notebook, starts its kernel and runs every code cell, as client.run_notebook does, and leaves the
    kernel up. A copy of its loop because the kernel is also read after the first code cell (the import), which
    run_notebook(keep_kernel=True) has no hook for."""
    run = live.run
    t0 = time.monotonic()
    live.nb = await live.client.get_notebook(PATH)
    live.ks = await live.client.start_kernel("tslab", path=PATH, timeout=startup_timeout)
    run.kernel_start_seconds = live.ks.start_seconds
    run.kernel_started = await asyncio.to_thread(kernel_memory, live.uid)
    first_code = True
    for i, cell in enumerate(live.nb.cells):
        if cell.get("cell_type") != "code":
            continue
        cell.outputs, cell.execution_count = [], None
        if not cell.source.strip():
            continue
        started = time.monotonic()
        res = await live.ks.execute(cell.source, cell_timeout, cell_index=i)
        # the session keeps updating this list (display updates of the live curves)
        cell.outputs, cell.execution_count = res.outputs, res.execution_count
        if res.first_output_seconds is not None and run.ttfo_seconds is None:
            run.ttfo_seconds = started - t0 + res.first_output_seconds
        if res.status != "ok":
            run.problem = f"cell {i} ({first_line(cell.source)!r}) ended {res.status}: {res.ename}: {res.evalue}"
            break
        if first_code:
            first_code = False
            run.kernel_import = await asyncio.to_thread(kernel_memory, live.uid)
    else:
        run.completed = True
    run.wall_seconds = time.monotonic() - t0


def read_after(live: Live) -> None:
    """Memory and CPU of the student's processes now, the kernel still running (after the notebook)."""
    run = live.run
    pids = procfs.pids_of_uids({live.uid})[live.uid]
    run.after = sum((procfs.memory(p) for p in pids), Memory())
    k = kernel_pid(pids)
    run.kernel_after = procfs.memory(k) if k else None
    run.cpu_seconds = sum(procfs.cpu_seconds(p) for p in pids) - live.cpu_before
    run.processes = [procfs.cmdline(p)[:120] for p in pids]


async def save(live: Live) -> None:
    if live.nb is None or live.ks is None:
        return
    t = time.monotonic()
    await live.client.save_notebook(PATH, live.nb)
    live.run.save_seconds = time.monotonic() - t
    live.run.saved = True


async def run_class(hub: classhub.Hub, lives: list[Live], args: argparse.Namespace, monitor: Monitor) -> None:
    """Every student of the level at once; bounded by the level timeout and the memory limit."""
    try:
        nb = nbformat.read(NOTEBOOK, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        await asyncio.gather(*(lv.client.save_notebook(PATH, nb) for lv in lives))
        for lv in lives:
            lv.cpu_before = uid_cpu(lv.uid)
        tasks = [asyncio.create_task(run_cells(lv, args.level_timeout, args.level_timeout), name=lv.run.name) for lv in lives]
        deadline = time.monotonic() + args.level_timeout
        pending: set[asyncio.Task[None]] = set(tasks)
        stop = ""
        while pending and not stop:
            _, pending = await asyncio.wait(pending, timeout=0.25)
            if monitor.over.is_set():
                stop = f"memory passed {args.memory:.0%} of the machine's during the level"
            elif time.monotonic() > deadline:
                stop = f"level timeout ({args.level_timeout:g} s) with {len(pending)} runs unfinished"
        for t in pending:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for lv, t in zip(lives, tasks):
            if not t.cancelled() and t.exception() is not None:
                lv.run.problem = lv.run.problem or f"{type(t.exception()).__name__}: {t.exception()}"
            elif t.cancelled():
                lv.run.problem = lv.run.problem or "cancelled (" + stop + ")"
        for lv in lives:
            read_after(lv)
        results = await asyncio.gather(*(save(lv) for lv in lives), return_exceptions=True)
        for lv, r in zip(lives, results):
            if isinstance(r, BaseException):
                lv.run.problem = lv.run.problem or f"save failed: {r}"
        if stop:
            raise Stop(stop)
    finally:
        await asyncio.gather(*(lv.client.shutdown() for lv in lives), return_exceptions=True)


# ---------------------------------------------------------------------------------------------------------------
# Checking what was saved, from disk


def curves(cell: Any) -> list[dict[str, Any]]:
    return [o["data"][CURVE] for o in cell.outputs if CURVE in (o.get("data") or {})]


def tagged(nb: Any, tag: str) -> Any:
    return next(c for c in nb.cells if tag in c.get("metadata", {}).get("tags", []))


def stdout_of(cell: Any) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream" and o.get("name") == "stdout")


def shape(nb: Any) -> list[list[tuple[str, ...]]]:
    """Each code cell's outputs by kind: ('stream', name) or (output_type, MIME types…)."""
    out = []
    for c in nb.cells:
        if c.cell_type == "code":
            out.append([("stream", o.name) if o.output_type == "stream" else (o.output_type, *sorted(o.get("data", {}))) for o in c.outputs])
    return out


def curve_values(nb: Any) -> list[Any]:
    """Every loss curve's series (names, steps, values): the same seeds give the same numbers to every student."""
    return [[(s["name"], s["x"], s["y"]) for s in cv["series"]] for c in nb.cells if c.cell_type == "code" for cv in curves(c)]


def check_saved(path: Path, uid: int, reference: dict[str, Any] | None) -> str:
    """What is wrong with the saved notebook ('' if nothing): read as root from the student's home."""
    if not path.exists():
        return f"{path} is missing"
    if path.stat().st_uid != uid:
        return f"{path} is not owned by the student"
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    counts = [c.execution_count for c in code]
    if counts != list(range(1, len(code) + 1)):
        return f"execution counts {counts}"
    for c in code:
        for o in c.outputs:
            if o.output_type == "error" or (o.output_type == "stream" and o.name == "stderr"):
                return f"cell {first_line(c.source)!r} has {o.output_type} {o.get('name', '')}: {str(o.get('text') or o.get('evalue'))[:200]}"
    try:
        spiral, digits = tagged(nb, "spiral"), tagged(nb, "digits")
        steps = int(re.search(r"after (\d+) steps", stdout_of(spiral)).group(1))  # type: ignore[union-attr]
        train = int(re.search(r"train (\d+),", stdout_of(digits)).group(1))  # type: ignore[union-attr]
    except (StopIteration, AttributeError):
        return "the spiral or digits cell printed nothing (or no tagged cell)"
    expect = {"spiral": 300 * math.ceil(300 / 64), "digits": 20 * math.ceil(train / 64)}
    if steps != expect["spiral"]:
        return f"spiral ran {steps} steps, not {expect['spiral']}"
    for tag in ("logreg", "spiral", "digits"):
        cs = curves(tagged(nb, tag))
        if len(cs) != 1:
            return f"{tag}: {len(cs)} loss curves"
        cv = cs[0]
        if cv.get("done") is not True or "stopped" in cv or "updatedAt" in cv:
            return f"{tag}: the loss curve is not in its final state (done {cv.get('done')}, stopped {cv.get('stopped')})"
        loss = next(s for s in cv["series"] if s["name"] == "loss")
        if tag in expect and loss["x"] != list(range(1, expect[tag] + 1)):
            return f"{tag}: the loss curve has {len(loss['x'])} of {expect[tag]} steps"
    if reference is not None:
        if shape(nb) != reference["shape"]:
            return "the outputs differ, cell by cell, from the first run's"
        if curve_values(nb) != reference["curves"]:
            return "the loss curves' values differ from the first run's (same seeds)"
    return ""


# ---------------------------------------------------------------------------------------------------------------
# A level


def spawn_all(hub: classhub.Hub, names: list[str], timeout: float) -> dict[str, float | str]:
    """Starts every student's server at once (one thread each: the hub's API waits up to its slow-spawn timeout
    before answering); returns seconds or the error, by student."""
    out: dict[str, float | str] = {}

    def one(name: str) -> None:
        try:
            out[name] = hub.start_server(name, timeout=timeout)
        except Exception as e:  # noqa: BLE001 — reported per student
            out[name] = f"{type(e).__name__}: {str(e)[:300]}"

    threads = [threading.Thread(target=one, args=(n,), daemon=True) for n in names]
    for t in threads:
        t.start()
    end = time.monotonic() + timeout + 30
    for t in threads:
        while t.is_alive() and time.monotonic() < end:
            t.join(0.2)  # short joins: Ctrl-C reaches the main thread
    return out


def hub_cpu(hub: classhub.Hub) -> float:
    """CPU seconds of the hub's own processes (JupyterHub, configurable-http-proxy): root, in the hub's session."""
    if hub.process is None:
        return 0.0
    return sum(procfs.cpu_seconds(p) for p in procfs.pids_of_session(hub.process.pid))


def verify(lv: Live, reference: dict[str, Any], n: int) -> None:
    """Checks the student's saved notebook; the first one that passes becomes the reference of all later ones."""
    path = Path(pwd.getpwnam(lv.run.name).pw_dir) / PATH
    problem = check_saved(path, lv.uid, reference or None)
    lv.run.verified = not problem
    lv.run.problem = lv.run.problem or problem
    if lv.run.verified and not reference:
        nb = nbformat.read(path, as_version=4)
        reference.update(shape=shape(nb), curves=curve_values(nb), source=f"{lv.run.name} at {n} student(s)")


def run_level(n: int, args: argparse.Namespace, reference: dict[str, Any]) -> Level:
    names = STUDENTS[:n]
    level = Level(students=n)
    hub = classhub.Hub(names, name=HUB_NAME)
    monitor: Monitor | None = None
    t_level = time.monotonic()
    try:
        wait_for_other_hubs(args.wait)
        t_level = time.monotonic()
        level.used_before, level.loadavg_before = procfs.used_fraction(), os.getloadavg()
        hub.start()
        uids = {s: uid_of(s) for s in names}
        tokens = {s: hub.token(s) for s in names}
        monitor = Monitor(uids, args.memory)
        monitor.start()
        spawned = spawn_all(hub, names, args.spawn_timeout)
        level.runs = [StudentRun(s) for s in names]
        for r in level.runs:
            got = spawned.get(r.name, "no answer")
            if isinstance(got, float):
                r.spawn_seconds = got
            else:
                r.problem = f"spawn failed: {got}"
        if any(r.spawn_seconds is None for r in level.runs):
            raise Stop("not every server started: " + "; ".join(f"{r.name}: {r.problem}" for r in level.runs if r.problem))
        time.sleep(2)  # the servers settle (their first activity report, the extensions' late imports)
        for r in level.runs:
            pids = procfs.pids_of_uids({uids[r.name]})[uids[r.name]]
            r.server_idle = sum((procfs.memory(p) for p in pids), Memory())
        lives = [Live(r, uids[r.name], ServerClient(hub.server_url(r.name), tokens[r.name], request_timeout=120)) for r in level.runs]
        hub0, client0, busy0, t_run = hub_cpu(hub), client_cpu(), procfs.busy_seconds(), time.monotonic()
        try:
            asyncio.run(run_class(hub, lives, args, monitor))
        finally:
            level.run_seconds = time.monotonic() - t_run
            level.hub_cpu_seconds = hub_cpu(hub) - hub0
            level.client_cpu_seconds = client_cpu() - client0
            ours = sum(level.values("cpu_seconds")) + level.hub_cpu_seconds + level.client_cpu_seconds
            level.other_cpu_seconds = max(0.0, procfs.busy_seconds() - busy0 - ours)
            monitor.stop()
            level.used_peak = monitor.peak_used
            for r in level.runs:
                r.peak_rss = monitor.peak_rss.get(r.name, 0)
            for lv in lives:  # from disk, before the hub removes the homes
                if lv.run.saved:
                    verify(lv, reference, n)
    except Stop as e:
        level.error = str(e)
    except (classhub.HubError, ClientError, OSError) as e:
        level.error = f"{type(e).__name__}: {str(e)[:1500]}"
    finally:
        if monitor is not None:
            monitor.stop()
            level.other_hub = monitor.other_hub or disturbed(monitor.uids)
        hub.stop()
        level.seconds = time.monotonic() - t_level
    return level


def client_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


# ---------------------------------------------------------------------------------------------------------------
# The ramp


def levels_up_to(cap: int) -> list[int]:
    out, n = [], 1
    while n < cap:
        out.append(n)
        n *= 2
    return out + [cap]


def stop_reason(level: Level, args: argparse.Namespace) -> str:
    if level.error:
        return level.error
    if not level.all_ok:
        bad = [r for r in level.runs if not (r.completed and r.saved and r.verified)]
        return f"{len(bad)} of {level.students} runs lost or incomplete: " + "; ".join(f"{r.name}: {r.problem}" for r in bad[:3])
    ttfo = top(level.values("ttfo_seconds")) or 0
    if ttfo > args.ttfo:
        return f"slowest time to first output {ttfo:.1f} s > {args.ttfo:g} s"
    if level.used_peak > args.memory:
        return f"memory in use {level.used_peak:.0%} > {args.memory:.0%}"
    return ""


def fits(level: Level, args: argparse.Namespace) -> bool:
    return level.all_ok and (top(level.values("ttfo_seconds")) or 0) <= args.ttfo and level.used_peak <= args.memory


def ramp(args: argparse.Namespace, done: list[Level]) -> None:
    """Runs the levels into ``done`` (filled as they end, so an interrupted ramp still reports the finished ones)."""
    reference: dict[str, Any] = {}
    t0 = time.monotonic()
    plan = levels_up_to(args.cap)
    for i, n in enumerate(plan):
        print(f"\n== level {n}: {n} student(s) run notebook 6 at once ==", flush=True)
        level = run_level(n, args, reference)
        for attempt in (2, 3):
            if level.all_ok or not level.other_hub:
                break
            print_level(level)
            print(f"  disturbed from outside ({level.other_hub[:120]}): another class hub's start removes every gl-* user; the level runs again", flush=True)
            level = run_level(n, args, reference)
            level.attempt = attempt
        done.append(level)
        print_level(level)
        level.stop = stop_reason(level, args)
        if level.stop:
            break
        if i + 1 == len(plan):
            level.stop = f"cap of {args.cap} students reached"
            break
        nxt = plan[i + 1]
        estimate = level.seconds * nxt / n
        elapsed = time.monotonic() - t0
        if elapsed + estimate > args.budget * 60:
            level.stop = f"time budget: {nxt} students would take ~{estimate / 60:.1f} min more, past {args.budget:g} min"
            break


# ---------------------------------------------------------------------------------------------------------------
# Reporting


def f1(x: float | None, unit: str = "") -> str:
    return "–" if x is None else f"{x:.1f}{unit}"


def f0(x: float | None) -> str:
    return "–" if x is None else f"{x:.0f}"


def level_row(lv: Level) -> list[str]:
    ok = sum(1 for r in lv.runs if r.completed)
    saved = sum(1 for r in lv.runs if r.saved and r.verified)
    return [
        str(lv.students),
        f"{ok}/{lv.students} / {saved}/{lv.students}",
        f"{f1(med(lv.values('spawn_seconds')))} / {f1(top(lv.values('spawn_seconds')))}",
        f"{f1(med(lv.values('ttfo_seconds')))} / {f1(top(lv.values('ttfo_seconds')))}",
        f"{f1(med(lv.values('wall_seconds')))} / {f1(top(lv.values('wall_seconds')))}",
        f1(med(lv.values("cpu_seconds"))),
        f"{f0(med(lv.mem('after', 'pss')))} / {f0(med(lv.mem('after', 'rss')))}",
        f0(med([r.peak_rss / MB for r in lv.runs if r.peak_rss])),
        f"{lv.used_peak:.0%}",
        f"{lv.client_cpu_seconds:.1f} / {lv.hub_cpu_seconds:.1f}",
        f"{lv.loadavg_before[0]:.1f} / {lv.other_cpu_seconds:.0f}",
        f"{lv.seconds:.0f}",
        lv.stop or "–",
    ]


HEADER = [
    "students", "completed / saved+verified", "spawn s (median / max)", "TTFO s (median / max)", "notebook wall s (median / max)",
    "CPU s per notebook (median)", "PSS / RSS MB per student after (median)", "peak RSS MB per student (median)",
    "memory used at peak", "load generator / hub+proxy CPU s", "load avg before / other work's CPU s during the runs", "level s", "stop reason",
]  # fmt: skip

KERNEL_HEADER = [
    "students", "server idle PSS / RSS", "server after notebook 6 PSS / RSS",
    "kernel started PSS / RSS", "kernel after import PSS / RSS", "kernel after notebook 6 PSS / RSS",
]  # fmt: skip


def kernel_row(lv: Level) -> list[str]:
    def pair(key: str) -> str:
        return f"{f0(med(lv.mem(key, 'pss')))} / {f0(med(lv.mem(key, 'rss')))}"

    # the server after the notebook: everything of the student's but the kernel (one server process here)
    server = [(r.after.pss - r.kernel_after.pss, r.after.rss - r.kernel_after.rss) for r in lv.runs if r.after and r.kernel_after]
    server_after = f"{f0(med([p / MB for p, _ in server]))} / {f0(med([q / MB for _, q in server]))}"
    return [str(lv.students), pair("server_idle"), server_after, pair("kernel_started"), pair("kernel_import"), pair("kernel_after")]


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows])


def print_level(lv: Level) -> None:
    row = dict(zip(HEADER, level_row(lv)))
    for k, v in row.items():
        if k != "stop reason":
            print(f"  {k}: {v}")
    if lv.error:
        print(f"  error: {lv.error}")
    for r in lv.runs:
        if r.problem:
            print(f"  {r.name}: {r.problem}")
    if lv.attempt > 1:
        print(f"  attempt {lv.attempt} (an earlier one was disturbed by another class hub)")
    print("  server and kernel (median MB): " + ", ".join(f"{h}: {v}" for h, v in zip(KERNEL_HEADER[1:], kernel_row(lv)[1:])), flush=True)


def plural(n: int) -> str:
    return f"{n} student" + ("" if n == 1 else "s")


def round_up(x: float, step: float) -> float:
    return math.ceil(x / step) * step


def sizing(levels: list[Level], args: argparse.Namespace, cores: int, memory_gb: float) -> tuple[str, dict[str, Any]]:
    fitting = [lv for lv in levels if fits(lv, args)]
    if not fitting:
        return "No level fits: even one student passed a limit (see the stop reason).", {}
    best = fitting[-1]
    capped = best is levels[-1] and levels[-1].stop.startswith(("cap", "time budget", "interrupted"))
    largest = f"{best.students}" + (" (or more: the ramp stopped before reaching a limit)" if capped else "")
    pss = med(best.mem("after", "pss")) or 0
    rss_peak = max(r.peak_rss for r in best.runs) / MB
    rss_after = top(best.mem("after", "rss")) or 0
    cpu = med(best.values("cpu_seconds")) or 0
    per_core = best.students / cores
    numbers = {
        "largest_class": best.students, "pss_mb": pss, "rss_peak_mb": rss_peak, "cpu_s": cpu,
        "students_per_gb_30": 1024 / (pss * 1.3), "students_per_gb_50": 1024 / (pss * 1.5),
        "students_per_core": per_core,
        "memory_guarantee_mb": round_up(pss * 1.5, 64), "memory_limit_mb": round_up(max(rss_peak, rss_after) * 2, 128),
        "cpu_guarantee": round_up(1 / per_core, 0.05), "cpu_limit": 1.0,
    }  # fmt: skip
    text = f"""**Largest class that fits** (every run completed and saved, slowest TTFO ≤ {args.ttfo:g} s, memory ≤ {args.memory:.0%}): **{largest}** students on this machine ({cores} cores, {memory_gb:.1f} GB), all pressing "run all" on notebook 6 in the same second.

Derived sizing (from the largest fitting level, {plural(best.students)}):

- Memory per student after notebook 6 (server + kernel, PSS, median): {pss:.0f} MB; RSS peak during the run (largest student): {rss_peak:.0f} MB.
- **Students per GB (TLJH, one server):** 1 GB ÷ (PSS × headroom) = {numbers['students_per_gb_30']:.1f} with 30 % headroom, {numbers['students_per_gb_50']:.1f} with 50 % (the rule: provision PSS × 1.3–1.5 per student for bigger models than notebook 6, a second notebook open, and the operating system's own use).
- **Students per core (everyone running at once):** {plural(best.students)} with TTFO ≤ {args.ttfo:g} s ÷ {cores} cores = {per_core:.1f}. A class that does not press "run all" together shares a core among more: notebook 6 costs {cpu:.1f} CPU s, so one core runs it ~{3600 / cpu if cpu else 0:.0f} times an hour.
- **Zero to JupyterHub** `singleuser` values: `memory.guarantee: {numbers['memory_guarantee_mb']:.0f}M` (PSS × 1.5, rounded up to 64 MB: what the scheduler packs by), `memory.limit: {numbers['memory_limit_mb']:.0f}M` (the largest RSS × 2, rounded up to 128 MB: a pod's cgroup charges every page it touches, and a student may train a bigger model before the kernel is killed), `cpu.guarantee: {numbers['cpu_guarantee']:.2f}` (one student's share when {best.students} ran at once within {args.ttfo:g} s on {cores} cores), `cpu.limit: {numbers['cpu_limit']:.0f}` (a tslab kernel runs a notebook on one thread).
"""
    return text, numbers


def write_report(levels: list[Level], args: argparse.Namespace, machine: dict[str, Any], started: datetime, command: str) -> Path:
    cores, mem_gb = int(machine["cores"]), float(machine["memory_gb"])
    text, numbers = sizing(levels, args, cores, mem_gb)
    rows = [level_row(lv) for lv in levels]
    out = Path(args.out) if args.out else ROOT / "bench" / "results" / f"hub-ramp-{started:%Y-%m-%d}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    problems = [f"- level {lv.students}, {r.name}: {r.problem}" for lv in levels for r in lv.runs if r.problem]
    errors = [f"- level {lv.students}: {lv.error}" for lv in levels if lv.error]
    md = f"""# Hub load ramp, {started:%Y-%m-%d %H:%M}

- Machine: {cores} cores ({machine['cpu']}), {mem_gb:.1f} GB memory, Linux {machine['kernel']}; load average before: {' '.join(f'{x:.2f}' for x in machine['loadavg'])} (the machine is shared with other work).
- Command: `{command}`
- Hub: JupyterHub 6.1.1 + configurable-http-proxy 5.3.0 (test/hub/classhub.py), LocalProcessSpawner, the class image in {classhub.PREFIX}; a fresh hub and fresh Unix users per level.
- Each student: notebook 6 (solved, outputs cleared) uploaded as hw6.ipynb, then every student at once: a kernel session, every cell in order through the proxy's websocket, the kernel read from /proc, then save; the saved file read back from disk and checked (execution counts, every output the same as the first run's, the three loss curves complete).
- Limits: slowest TTFO ≤ {args.ttfo:g} s, memory ≤ {args.memory:.0%}, cap {args.cap}, level timeout {args.level_timeout:g} s, budget {args.budget:g} min; total {sum(lv.seconds for lv in levels) / 60:.1f} min.

## Levels

TTFO: time to first output, from the start of a student's run (notebook load and kernel start included). Memory after: summed over every process of the student's uid (server + kernel), kernel still running; PSS shares common pages among all students, RSS counts them per student. CPU: utime + stime of those processes during the run. The load generator (this script) and the hub share the same cores. Other work: the machine's busy CPU seconds during the runs (/proc/stat) minus the students', the hub's and this script's (approximate; this machine is shared with other jobs, and such CPU time slows the class down).

{markdown_table(HEADER, rows)}

The tslab kernel alone and the idle server (median MB per student; started = the kernel answered kernel_info, nothing compiled):

{markdown_table(KERNEL_HEADER, [kernel_row(lv) for lv in levels])}

{"## Problems" + chr(10) + chr(10) + chr(10).join(errors + problems) + chr(10) if errors or problems else ""}
## Sizing

{text}
"""
    out.write_text(md)
    data = {
        "started": started.isoformat(), "command": command, "machine": machine, "limits": vars(args), "sizing": numbers,
        "levels": [{**{k: v for k, v in asdict(lv).items() if k != "runs"}, "runs": [asdict(r) for r in lv.runs]} for lv in levels],
    }  # fmt: skip
    out.with_suffix(".json").write_text(json.dumps(data, indent=1, default=str))
    print("\n" + markdown_table(HEADER, rows) + "\n\n" + markdown_table(KERNEL_HEADER, [kernel_row(lv) for lv in levels]) + "\n\n" + text)
    print(f"written: {out} (and {out.with_suffix('.json').name})")
    return out


# ---------------------------------------------------------------------------------------------------------------


def other_hubs() -> list[str]:
    """Other class hubs running on this machine (test/hub's tests): their students' work would share the cores."""
    r = subprocess.run(["pgrep", "-af", "bin/jupyterhub -f"], capture_output=True, text=True)
    return [line for line in r.stdout.splitlines() if f"/{HUB_NAME}/" not in line]


def disturbed(uids: dict[str, int]) -> str:
    """Why the level's students may have been disturbed from outside ('' if not): one of them was removed or
    made again (another hub's start), or another class hub runs."""
    for name, uid in uids.items():
        try:
            if pwd.getpwnam(name).pw_uid != uid or not Path(f"/home/{name}").is_dir():
                return f"student {name} was removed and made again by someone else"
        except KeyError:
            return f"student {name} was removed by someone else"
    return next(iter(other_hubs()), "")


def wait_for_other_hubs(limit: float) -> None:
    """Waits (at most ``limit`` s) while another class hub runs, so that its students do not share the cores with a level."""
    end = time.monotonic() + limit
    others = other_hubs()
    if others:
        print(f"  waiting for {len(others)} other class hub(s) to end (at most {limit:g} s): {others[0][:160]}", flush=True)
    while others and time.monotonic() < end:
        time.sleep(2)
        others = other_hubs()
    if others:
        raise Stop(f"another class hub kept running for {limit:g} s: {others[0][:160]}")


def preflight() -> str:
    """Why the ramp cannot run here ('' if it can)."""
    if os.geteuid() != 0:
        return "run it as root: the hub makes Unix users and spawns servers as them"
    if subprocess.run(["pgrep", "-f", "scripts/class-image.sh"], capture_output=True).returncode == 0:
        return "scripts/class-image.sh is running: wait until the class image is built"
    if not classhub.image_ready():
        return f"no class image in {classhub.PREFIX}: run bash scripts/class-image.sh build first"
    if not NOTEBOOK.exists():
        return f"{NOTEBOOK} is missing"
    return ""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cap", type=int, default=32, help="most students (levels 1, 2, 4, … up to it; at most 32)")
    p.add_argument("--ttfo", type=float, default=10.0, help="stop after a level whose slowest time to first output passed this (s)")
    p.add_argument("--memory", type=float, default=0.75, help="stop when the machine's memory in use passes this fraction")
    p.add_argument("--level-timeout", type=float, default=600.0, help="a level's runs are cancelled after this (s)")
    p.add_argument("--spawn-timeout", type=float, default=180.0, help="a server not ready after this fails the level (s)")
    p.add_argument("--budget", type=float, default=25.0, help="do not start a level that would end past this many minutes")
    p.add_argument("--wait", type=float, default=600.0, help="before each level, wait at most this long for other class hubs (test/hub's tests) to end (s)")
    p.add_argument("--out", default="", help="the markdown report (default bench/results/hub-ramp-<date>.md)")
    args = p.parse_args(argv)
    if not 1 <= args.cap <= len(STUDENTS):
        p.error(f"--cap must be 1..{len(STUDENTS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    why = preflight()
    if why:
        print(f"bench:hub: {why}", file=sys.stderr)
        return 2
    # Ctrl-C and SIGTERM end the ramp the same way (also when a non-interactive shell started it with SIGINT ignored)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, on_sigterm)
    started = datetime.now()
    machine = procfs.machine()
    given = sys.argv[1:] if argv is None else argv
    command = "npm run bench:hub" + (" -- " + " ".join(given) if given else "")
    print(f"machine: {machine['cores']} cores ({machine['cpu']}), {machine['memory_gb']:.1f} GB; load {machine['loadavg']}")
    levels: list[Level] = []
    code = 0
    try:
        ramp(args, levels)
    except KeyboardInterrupt:
        print("\ninterrupted: the running level's hub and users are removed", file=sys.stderr)
        code = 130
    finally:
        # every level's hub removed its users in its own finally; this is the net for anything left
        classhub.remove_users(u for u in STUDENTS if classhub.user_exists(u))
    if code and levels:
        levels[-1].stop = levels[-1].stop or "interrupted (Ctrl-C or SIGTERM) in the next level"
    if levels:
        write_report(levels, args, machine, started, command)
    return code


def on_sigterm(*_: object) -> None:
    raise KeyboardInterrupt  # the same clean-up as Ctrl-C


if __name__ == "__main__":
    sys.exit(main())
