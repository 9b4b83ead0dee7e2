"""What the ramp reads from /proc (Linux, as root): a user's processes, their memory and CPU time.

- Memory of a process: ``Pss`` and ``Rss`` from ``/proc/<pid>/smaps_rollup``. PSS splits each
  shared page among the processes that map it, so summing PSS over every process on the machine
  gives the machine's use: it is the fair "cost of one more student" on one server (TLJH). RSS
  counts shared pages (the Python and Node binaries, the image's libraries) in full for each one:
  what a container's memory limit sees when nothing is shared with other containers.
- Cheap peak tracking: ``/proc/<pid>/statm`` (resident pages), read many times a second.
- CPU time: ``utime + stime`` of ``/proc/<pid>/stat`` (fields 14 and 15, in clock ticks). A process
  that has exited is gone from /proc and its time with it (its parent's ``cutime`` only counts it
  once the parent has waited for it), so the ramp reads a student's processes while the kernel
  still runs.
- The machine: ``MemTotal`` and ``MemAvailable`` of ``/proc/meminfo``.

A process may exit between listing /proc and reading its files: every reader skips it then.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
MB = 1024 * 1024


@dataclass
class Memory:
    """Bytes of one process, or summed over several."""

    pss: int = 0
    rss: int = 0

    def __add__(self, other: "Memory") -> "Memory":
        return Memory(self.pss + other.pss, self.rss + other.rss)


def _pids() -> list[int]:
    return [int(p.name) for p in PROC.iterdir() if p.name.isdigit()]


def real_uid(pid: int) -> int | None:
    """The process's real uid (``Uid:`` in /proc/<pid>/status), None if it is gone."""
    try:
        with open(PROC / str(pid) / "status") as f:
            for line in f:
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def pids_of_uids(uids: set[int]) -> dict[int, list[int]]:
    """Every running process of each of these uids, by uid (one pass over /proc)."""
    out: dict[int, list[int]] = {u: [] for u in uids}
    for pid in _pids():
        uid = real_uid(pid)
        if uid in out:
            out[uid].append(pid)
    return out


def cmdline(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def memory(pid: int) -> Memory:
    """PSS and RSS of one process (smaps_rollup); zero if it is gone."""
    m = Memory()
    try:
        with open(PROC / str(pid) / "smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    m.pss = int(line.split()[1]) * 1024
                elif line.startswith("Rss:"):
                    m.rss = int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return m


def resident(pid: int) -> int:
    """Resident bytes from statm: as RSS, at a fraction of smaps_rollup's cost (for frequent sampling)."""
    try:
        return int((PROC / str(pid) / "statm").read_text().split()[1]) * PAGE
    except (OSError, ValueError, IndexError):
        return 0


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process, all its threads, in seconds; zero if it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return 0.0
    # the command name (field 2) may hold spaces and parentheses: split after the last ')'
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # fields 14 and 15 of the whole line


def session_id(pid: int) -> int | None:
    try:
        text = (PROC / str(pid) / "stat").read_text()
        return int(text[text.rindex(")") + 2 :].split()[3])  # field 6
    except (OSError, ValueError, IndexError):
        return None


def pids_of_session(sid: int, uid: int = 0) -> list[int]:
    """Processes of session ``sid`` owned by ``uid``: the hub (started in its own session), its proxy and services."""
    return [p for p in _pids() if session_id(p) == sid and real_uid(p) == uid]


def busy_seconds() -> float:
    """CPU seconds the whole machine has been busy since boot, all cores (/proc/stat: all but idle and iowait)."""
    with open(PROC / "stat") as f:
        fields = [int(x) for x in f.readline().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / TICKS


def meminfo() -> tuple[int, int]:
    """(MemTotal, MemAvailable) in bytes."""
    values: dict[str, int] = {}
    with open(PROC / "meminfo") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("MemTotal", "MemAvailable"):
                values[key] = int(rest.split()[0]) * 1024
    return values["MemTotal"], values["MemAvailable"]


def used_fraction() -> float:
    """The machine's memory in use: 1 − MemAvailable / MemTotal."""
    total, available = meminfo()
    return 1 - available / total


def machine() -> dict[str, object]:
    """Cores, memory and CPU model of this machine, and its load when asked."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    total, available = meminfo()
    return {
        "cores": os.cpu_count() or 1,
        "memory_gb": total / 1024**3,
        "available_gb": available / 1024**3,
        "cpu": model or "unknown",
        "loadavg": os.getloadavg(),
        "kernel": os.uname().release,
    }
