"""`npm start` (scripts/start.sh): JupyterLab on notebooks/ at 127.0.0.1 with a token that no other
local user can read — it is not on the server's command line (``ps`` shows that to everyone), only
in its environment (readable by its owner alone) and in the URL printed to the terminal."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True, check=True).stdout
    children: dict[int, list[int]] = {}
    for line in out.splitlines():
        p, pp = map(int, line.split())
        children.setdefault(pp, []).append(p)
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found


def test_npm_start_serves_the_notebooks_on_loopback_without_the_token_on_any_command_line() -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("JUPYTER_TOKEN", "GRADLAB_TOKEN")}
    env["PORT"] = str(port)
    proc = subprocess.Popen(
        ["bash", "scripts/start.sh"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )
    try:
        url = None
        deadline = time.time() + 180
        lines = []
        assert proc.stdout is not None
        while time.time() < deadline and url is None:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            m = re.search(rf"(http://127\.0\.0\.1:{port}/lab\?token=([0-9a-f]+))", line)
            if m:
                url, token = m.group(1), m.group(2)
        assert url is not None, "".join(lines)[-3000:]
        assert len(token) >= 32

        # it answers with the token, and refuses without it
        body = None
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=5) as r:
                    body = r.read().decode()
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        assert body is not None and "started" in body
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=5)
            raise AssertionError("the server answered /api/status without the token")
        except urllib.error.HTTPError as e:
            assert e.code == 403

        # the token is on no command line of the process tree (what `ps` shows every user) ...
        pids = descendants(proc.pid)
        cmdlines = {}
        for pid in pids:
            try:
                cmdlines[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except FileNotFoundError:
                pass
        assert any("jupyter" in c and "lab" in c for c in cmdlines.values()), cmdlines
        assert not [c for c in cmdlines.values() if token in c], "token visible on a command line"
        # ... only in the server's environment, which /proc keeps readable by its owner alone
        server = next(pid for pid, c in cmdlines.items() if "jupyter" in c and "lab" in c)
        environ = Path(f"/proc/{server}/environ")
        assert f"JUPYTER_TOKEN={token}".encode() in environ.read_bytes().split(b"\0")
        assert environ.stat().st_mode & 0o077 == 0
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
