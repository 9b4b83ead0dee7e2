"""A real JupyterHub for a class, on this machine: what test/hub's tests, the browser test
test/hub/students.browser.ts and the load benchmark (bench/hub/) start.

- JupyterHub 6.1.1 and its idle culler run as root from the project's .venv (requirements.txt),
  with configurable-http-proxy 5.3.0 from node_modules, all bound to 127.0.0.1.
- The students' servers run the class image: the prefix scripts/class-image.sh built from binder/
  (default /opt/gradlab-class). Each server is started by LocalProcessSpawner as the student's own
  Unix user, through the image's binder/start (it links ~/node_modules) then jupyterhub-singleuser.
- Students are real Unix users that the hub itself creates at start (LocalAuthenticator's
  create_system_users: `adduser`, 0700 homes) and that `stop()` removes again (`userdel -r`),
  as it removes leftovers of an earlier run with the same names first (only those: several class
  hubs may run at once, each with its own students and ports). They log in with one shared
  class password (SharedPasswordAuthenticator), as a test login page would; a course's real login
  (LTI, OAuth) is named in docs/class.md.
- The homework comes from an instructor's git repository served by `git daemon` on 127.0.0.1,
  pulled by nbgitpuller (installed in the image) through the student's own server.

Run by hand (root):  .venv/bin/python test/hub/classhub.py serve --students 3
It prints one JSON line (the hub's URL, the password, each student's API token, the homework
link) and serves until stdin closes or SIGTERM arrives, then removes everything it made.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PREFIX = Path(os.environ.get("GRADLAB_CLASS_PREFIX", "/opt/gradlab-class"))
ENV = PREFIX / "env"
VENV = ROOT / ".venv"
PROXY = ROOT / "node_modules" / ".bin" / "configurable-http-proxy"
OUTPUT = ROOT / "test-output" / "hub"
USER_PREFIX = "gl-"  # every student this harness makes is named gl-<something>


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def image_ready() -> bool:
    """True when scripts/class-image.sh has built the class image."""
    return (ENV / "bin" / "jupyterhub-singleuser").exists() and (ENV / "node_modules" / "gradlab").is_dir()


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def remove_users(names) -> None:
    """Ends every process of these users and removes them with their homes (userdel -r)."""
    for name in names:
        if not name.startswith(USER_PREFIX):
            raise ValueError(f"refusing to remove {name!r}: not a class test user ({USER_PREFIX}*)")
        if not user_exists(name):
            continue
        subprocess.run(["pkill", "-KILL", "-u", name], check=False)
        for _ in range(50):  # pkill returns before the processes are gone; userdel refuses a busy user
            if subprocess.run(["pgrep", "-u", name], capture_output=True).returncode != 0:
                break
            time.sleep(0.1)
        subprocess.run(["/usr/sbin/userdel", "-r", name], check=False, capture_output=True)
        if user_exists(name):
            raise RuntimeError(f"could not remove user {name}")


class HubError(RuntimeError):
    pass


class Hub:
    """One JupyterHub with `students` allowed; `start()` then `stop()` (or use it as a context manager)."""

    def __init__(self, students: list[str], *, cull_timeout: int | None = None, name: str = "hub"):
        for s in students:
            if not s.startswith(USER_PREFIX):
                raise ValueError(f"student names start with {USER_PREFIX!r}: {s!r}")
        self.students = list(students)
        self.cull_timeout = cull_timeout
        self.workdir = OUTPUT / name
        self.port, self.api_port, self.hub_port = free_port(), free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.password = secrets.token_urlsafe(12)
        self.admin_token = secrets.token_hex(24)
        self.process: subprocess.Popen | None = None
        self.git: GitServer | None = None
        self._tokens: dict[str, str] = {}

    # --- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> "Hub":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self, timeout: float = 60) -> None:
        if os.geteuid() != 0:
            raise HubError("the class hub runs as root (LocalProcessSpawner switches to each student)")
        if not image_ready():
            raise HubError(f"no class image in {PREFIX}: run `bash scripts/class-image.sh build` first")
        if not PROXY.exists():
            raise HubError(f"{PROXY} is missing: run `bash scripts/setup.sh`")
        remove_users(self.students)  # an interrupted run's leftovers of these names; other hubs' students stay
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.workdir.mkdir(parents=True)
        (self.workdir / "jupyterhub_config.py").write_text(self.config())
        env = {
            "PATH": f"{ENV}/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
            "LANG": "C.UTF-8",
            "HOME": "/root",
        }
        log = open(self.workdir / "hub.log", "w")
        # Its own session, SIGINT not ignored: the hub stops its proxy, culler and servers on SIGTERM.
        self.process = subprocess.Popen(
            [str(VENV / "bin" / "jupyterhub"), "-f", str(self.workdir / "jupyterhub_config.py")],
            cwd=self.workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HubError(f"JupyterHub exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.api("GET", "/hub/api/")
                if all(user_exists(s) for s in self.students):
                    return
            except (urllib.error.URLError, ConnectionError, HubError):
                pass
            time.sleep(0.3)
        raise HubError(f"JupyterHub did not answer within {timeout} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.git:
            self.git.stop()
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        remove_users(s for s in self.students if user_exists(s))

    def log_tail(self, n: int = 4000) -> str:
        try:
            return (self.workdir / "hub.log").read_text()[-n:]
        except OSError:
            return ""

    def config(self) -> str:
        cfg = {
            "students": self.students, "port": self.port, "api_port": self.api_port, "hub_port": self.hub_port,
            "proxy": str(PROXY), "env": str(ENV), "start": str(PREFIX / "repo" / "binder" / "start"),
            "password": self.password, "admin_token": self.admin_token, "cull_timeout": self.cull_timeout,
            "python": str(VENV / "bin" / "python"), "workdir": str(self.workdir),
        }
        return f"CLASS = {cfg!r}\n" + (Path(__file__).parent / "hub_config.py").read_text()

    # --- REST ------------------------------------------------------------------------------
    def api(self, method: str, path: str, token: str | None = None, body=None, expect=(200, 201, 202, 204)):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", f"token {token or self.admin_token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, text = r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read().decode(errors="replace")
        if status not in expect:
            raise HubError(f"{method} {path} → {status}: {text[:500]}")
        return json.loads(text) if text.strip() else None

    def token(self, student: str) -> str:
        """An API token of the student's own (what JupyterLab's page gets after login)."""
        if student not in self._tokens:
            reply = self.api("POST", f"/hub/api/users/{student}/tokens", body={"note": "class test"})
            self._tokens[student] = reply["token"]
        return self._tokens[student]

    def start_server(self, student: str, timeout: float = 120) -> float:
        """Starts the student's server through the hub's API; returns the seconds until it was ready."""
        t0 = time.monotonic()
        self.api("POST", f"/hub/api/users/{student}/server", expect=(201, 202, 400))
        while time.monotonic() - t0 < timeout:
            server = self.api("GET", f"/hub/api/users/{student}")["servers"].get("")
            if server and server.get("ready"):
                return time.monotonic() - t0
            time.sleep(0.25)
        raise HubError(f"{student}'s server was not ready within {timeout} s:\n{self.log_tail()}")

    def server_running(self, student: str) -> bool:
        return "" in self.api("GET", f"/hub/api/users/{student}")["servers"]

    def server_url(self, student: str) -> str:
        return f"{self.url}/user/{student}/"

    def serve_homework(self, files: dict[str, bytes]) -> "GitServer":
        """The instructor's homework repository, served by git daemon; see GitServer."""
        self.git = GitServer(self.workdir / "git", files)
        return self.git

    def pull_link(self, path: str = "") -> str:
        """The nbgitpuller link a course hands out (relative to the hub), opening `path` in JupyterLab."""
        assert self.git, "serve_homework() first"
        query = {"repo": self.git.url, "branch": "main", "targetpath": "homework"}
        if path:
            query["urlpath"] = f"lab/tree/homework/{path}"
        return "/hub/user-redirect/git-pull?" + urllib.parse.urlencode(query)


class GitServer:
    """An instructor's repository (branch main) with a work tree to commit from, exported read-only
    by `git daemon` on 127.0.0.1 (git://), as a course's repository host would serve it."""

    def __init__(self, base: Path, files: dict[str, bytes]):
        self.base = base
        self.work = base / "instructor"
        self.bare = base / "class.git"
        self.port = free_port()
        self.url = f"git://127.0.0.1:{self.port}/class.git"
        base.mkdir(parents=True, exist_ok=True)
        self._git("init", "-q", "-b", "main", str(self.work), cwd=base)
        self.commit(files, "homework")
        self._git("clone", "-q", "--bare", str(self.work), str(self.bare), cwd=base)
        self._git("remote", "add", "origin", str(self.bare))
        self.daemon = subprocess.Popen(
            ["git", "daemon", "--export-all", "--reuseaddr", f"--base-path={base}", "--listen=127.0.0.1",
             f"--port={self.port}", str(base)],
            stdout=subprocess.DEVNULL, stderr=open(base / "daemon.log", "w"),
        )
        deadline = time.monotonic() + 10
        while subprocess.run(["git", "ls-remote", self.url], capture_output=True).returncode != 0:
            if time.monotonic() > deadline:
                raise HubError("git daemon did not serve the homework repository")
            time.sleep(0.2)

    def _git(self, *args: str, cwd: Path | None = None) -> str:
        env = {**os.environ, "GIT_AUTHOR_NAME": "Instructor", "GIT_AUTHOR_EMAIL": "instructor@example.org",
               "GIT_COMMITTER_NAME": "Instructor", "GIT_COMMITTER_EMAIL": "instructor@example.org"}
        r = subprocess.run(["git", *args], cwd=cwd or self.work, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            raise HubError(f"git {' '.join(args)}: {r.stderr}")
        return r.stdout

    def commit(self, files: dict[str, bytes], message: str) -> None:
        """Writes these files in the instructor's tree, commits, and pushes (after the first commit)."""
        for rel, data in files.items():
            path = self.work / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        self._git("add", "-A")
        self._git("commit", "-q", "-m", message)
        if self.bare.exists():
            self._git("push", "-q", "origin", "main")

    def stop(self) -> None:
        if self.daemon.poll() is None:
            self.daemon.terminate()
            self.daemon.wait(10)


def homework_files() -> dict[str, bytes]:
    """The homework as the image carries it: the students' versions from the class image's repo."""
    notebooks = PREFIX / "repo" / "notebooks"
    return {f"notebooks/{p.name}": p.read_bytes() for p in sorted(notebooks.glob("*.ipynb"))}


def serve(args) -> None:
    students = [f"{USER_PREFIX}{n}" for n in args.names] if args.names else [f"{USER_PREFIX}s{i:02d}" for i in range(1, args.students + 1)]
    hub = Hub(students, cull_timeout=args.cull, name=args.name)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    try:
        hub.start()
        hub.serve_homework(homework_files())
        info = {"url": hub.url, "password": hub.password, "students": students,
                "tokens": {s: hub.token(s) for s in students}, "pull": hub.pull_link(args.open or ""),
                "workdir": str(hub.workdir)}
        print(json.dumps(info), flush=True)
        # serve until stdin closes (the parent ended) or SIGTERM
        import selectors
        sel = selectors.DefaultSelector()
        sel.register(sys.stdin, selectors.EVENT_READ)
        while not stopping:
            if sel.select(timeout=0.5) and not sys.stdin.buffer.read1(4096):
                break
    finally:
        hub.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="start a hub with students and serve until stdin closes")
    p.add_argument("--students", type=int, default=3)
    p.add_argument("--names", nargs="*", help="student names without the gl- prefix (instead of --students)")
    p.add_argument("--cull", type=int, default=None, help="idle-culler timeout in seconds")
    p.add_argument("--open", default="", help="notebook the pull link opens, e.g. notebooks/01-computational-graphs.ipynb")
    p.add_argument("--name", default="hub-serve", help="work folder under test-output/hub/")
    serve(parser.parse_args())
