"""The class hub (test/hub/classhub.py): a real JupyterHub 6.1.1 with configurable-http-proxy on
127.0.0.1, three students who are real Unix users made by the hub, LocalProcessSpawner running
each student's server as that student from the class image (scripts/class-image.sh ← binder/).
What a course relies on: the students' servers start on empty homes and `import "gradlab"` works
there with types and hover docs; students cannot read each other's files or use each other's
tokens; nbgitpuller brings the homework and later fixes without losing a student's work; the
idle culler stops an idle server. The browser side (three students in Chromium at once) is
test/hub/students.browser.ts."""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import stat
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

import classhub
import client

STUDENTS = ["gl-ada", "gl-bo", "gl-cy"]


@pytest.fixture(scope="module")
def hub():
    with classhub.Hub(STUDENTS, name="test-hub") as h:
        h.serve_homework(classhub.homework_files())
        for s in STUDENTS:
            h.start_server(s)
        yield h


def request(url: str, token: str, method: str = "GET", body: bytes | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, method=method, headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def git_pull(hub: classhub.Hub, student: str) -> list[dict]:
    """Follows the homework link through nbgitpuller's API (what its page does), to the end."""
    query = urllib.parse.urlencode({"repo": hub.git.url, "branch": "main", "targetpath": "homework"})
    url = f"{hub.server_url(student)}git-pull/api?{query}"
    req = urllib.request.Request(url, headers={"Authorization": f"token {hub.token(student)}"})
    events = []
    with urllib.request.urlopen(req, timeout=120) as r:
        for raw in r:
            line = raw.decode().strip()
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
                if events[-1].get("phase") in ("finished", "error"):
                    break
    assert events and events[-1]["phase"] == "finished", f"nbgitpuller did not finish: {events[-3:]}"
    return events


def processes_of(user: str) -> list[str]:
    out = subprocess.run(["ps", "-ww", "-u", user, "-o", "args="], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line.strip()]


def test_students_are_unix_users_with_private_homes_and_own_servers(hub):
    for s in STUDENTS:
        entry = pwd.getpwnam(s)
        mode = os.stat(entry.pw_dir).st_mode
        assert entry.pw_dir == f"/home/{s}"
        assert stat.S_IMODE(mode) == 0o700, f"{s}'s home is {oct(stat.S_IMODE(mode))}"
        assert os.stat(entry.pw_dir).st_uid == entry.pw_uid
        server = [p for p in processes_of(s) if "jupyterhub-singleuser" in p]
        assert server and str(classhub.ENV) in server[0], f"{s} runs no server of the class image: {processes_of(s)}"
        # binder/start linked the image's node_modules into the empty home
        assert os.readlink(f"{entry.pw_dir}/node_modules") == str(classhub.ENV / "node_modules")


def test_a_students_token_reaches_only_their_own_server(hub):
    ada, bo = hub.token("gl-ada"), hub.token("gl-bo")
    assert request(hub.server_url("gl-bo") + "api/contents", bo)[0] == 200
    assert request(hub.server_url("gl-ada") + "api/contents", bo)[0] == 403
    assert request(hub.server_url("gl-ada") + "api/kernels", bo)[0] == 403
    # nor can one start, stop or read another student's server through the hub
    assert request(f"{hub.url}/hub/api/users/gl-ada/server", bo, "DELETE")[0] in (403, 404)
    assert request(f"{hub.url}/hub/api/users/gl-ada", bo)[0] in (403, 404)
    assert hub.server_running("gl-ada")
    assert request(hub.server_url("gl-ada") + "api/contents", ada)[0] == 200


def test_students_get_nbgraders_assignments_not_the_instructors_tools(hub):
    ada = hub.token("gl-ada")
    # the formgrader's pages are not served by a student's server; JupyterLab itself is
    assert request(hub.server_url("gl-ada") + "formgrader", ada)[0] == 404
    assert request(hub.server_url("gl-ada") + "lab", ada)[0] == 200
    page = json.loads((classhub.ENV / "etc" / "jupyter" / "labconfig" / "page_config.json").read_text())
    tools = {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:course-list"}
    assert tools <= {k for k, v in page["disabledExtensions"].items() if v}
    assert tools <= {k for k, v in page["lockedExtensions"].items() if v}, "a student could switch them back on"
    assert page["disabledExtensions"].get("@jupyterlab/debugger-extension") is True
    assert "@jupyter/nbgrader:assignment-list" not in page["disabledExtensions"]


def test_import_gradlab_from_an_empty_home_with_types_and_hover_docs(hub):
    # a notebook two folders down: tslab's TypeScript walks up to ~/node_modules, which binder/start made
    for folder in ("deep", "deep/er"):
        assert request(hub.server_url("gl-cy") + f"api/contents/{folder}", hub.token("gl-cy"), "PUT",
                       json.dumps({"type": "directory"}).encode())[0] in (200, 201)

    async def session():
        server = client.ServerClient(hub.server_url("gl-cy"), hub.token("gl-cy"))
        kernel = await server.start_kernel("tslab", path="deep/er/scratch.ipynb")
        try:
            ok = await kernel.execute('import * as gl from "gradlab";\nconst x = gl.scalar(3);\n'
                                      'console.log(x.mul(x).item(), process.cwd(), process.getuid());', timeout=60)
            typed = await kernel.execute("const s: string = gl.scalar(2);", timeout=30)
            hover = await kernel.inspect("gl.scalar", 9, timeout=30)
            return ok, typed, hover
        finally:
            await server.shutdown()

    ok, typed, hover = asyncio.run(session())
    assert ok.status == "ok", ok.outputs
    assert ok.text().split() == ["9", "/home/gl-cy/deep/er", str(pwd.getpwnam("gl-cy").pw_uid)]
    assert typed.status == "error" and "Type 'Tensor' is not assignable to type 'string'" in typed.text("stderr"), typed.outputs
    doc = hover.get("data", {}).get("text/plain", "")
    assert hover.get("found") and "scalar(" in doc and "Tensor" in doc, hover
    # the hover shows gradlab's own doc comment, read from its .d.ts in the image's node_modules
    assert "A 0-d tensor." in doc, doc


def test_a_students_kernel_cannot_read_another_students_files(hub):
    secret = "/home/gl-ada/homework/notes.txt"
    assert request(hub.server_url("gl-ada") + "api/contents/homework", hub.token("gl-ada"), "PUT",
                   json.dumps({"type": "directory"}).encode())[0] in (200, 201)
    body = json.dumps({"type": "file", "format": "text", "content": "ada's answers"}).encode()
    assert request(hub.server_url("gl-ada") + "api/contents/homework/notes.txt", hub.token("gl-ada"), "PUT", body)[0] in (200, 201)
    assert os.stat(secret).st_uid == pwd.getpwnam("gl-ada").pw_uid

    async def session():
        server = client.ServerClient(hub.server_url("gl-bo"), hub.token("gl-bo"))
        kernel = await server.start_kernel("tslab")
        try:
            code = ('import * as fs from "fs";\nfor (const p of ["/home/gl-ada", %s]) {\n'
                    '  try { fs.readdirSync(p); console.log("read", p); } catch (e) {\n'
                    '    try { console.log(fs.readFileSync(p, "utf8")); } catch (e2) { console.log((e2 as any).code, p); } } }') % json.dumps(secret)
            return await kernel.execute(code, timeout=60)
        finally:
            await server.shutdown()

    result = asyncio.run(session())
    assert result.status == "ok", result.outputs
    assert result.text().splitlines() == ["EACCES /home/gl-ada", f"EACCES {secret}"]
    # and through bo's own server the contents API stays inside bo's home
    status, _ = request(hub.server_url("gl-bo") + "api/contents/..%2Fgl-ada", hub.token("gl-bo"))
    assert status in (400, 403, 404)


def notebook_source(path: str) -> list[str]:
    with open(path) as f:
        nb = json.load(f)
    return ["".join(c["source"]) for c in nb["cells"]]


def test_nbgitpuller_brings_the_homework_then_the_fix_and_keeps_the_students_work(hub):
    name = "notebooks/01-computational-graphs.ipynb"
    home = "/home/gl-bo/homework"
    git_pull(hub, "gl-bo")
    local = f"{home}/{name}"
    assert os.path.exists(local) and os.stat(local).st_uid == pwd.getpwnam("gl-bo").pw_uid
    original = json.loads(open(local).read())
    cells = original["cells"]
    stub = next(i for i, c in enumerate(cells) if "return gl.todo();" in "".join(c["source"]))
    title = 0
    assert stub > title + 3, "the test needs the student's and the instructor's edits far apart"

    # the student answers the first exercise (through their server, as JupyterLab saves)
    mine = json.loads(json.dumps(original))
    mine["cells"][stub]["source"] = "".join(mine["cells"][stub]["source"]).replace("return gl.todo();", "return [/* bo's answer */];")
    body = json.dumps({"type": "notebook", "format": "json", "content": mine}).encode()
    assert request(hub.server_url("gl-bo") + f"api/contents/homework/{name}", hub.token("gl-bo"), "PUT", body)[0] == 200

    # the instructor fixes the title far above, changes the same stub line, and adds a notebook
    theirs = json.loads(json.dumps(original))
    theirs["cells"][title]["source"] = "".join(theirs["cells"][title]["source"]) + "\n\n(Revised: week 2.)"
    theirs["cells"][stub]["source"] = "".join(theirs["cells"][stub]["source"]).replace("return gl.todo();", "return gl.todo(); // instructor's edit")
    hub.git.commit({name: (json.dumps(theirs, indent=1, ensure_ascii=False) + "\n").encode(),
                    "notebooks/extra.md": b"# Extra reading\n"}, "week 2 fixes")

    git_pull(hub, "gl-bo")
    merged = notebook_source(local)
    assert merged[title].endswith("(Revised: week 2.)"), "the instructor's fix did not arrive"
    assert "return [/* bo's answer */];" in merged[stub] and "instructor's edit" not in merged[stub], \
        "on the line both changed, the student's version must win"
    assert open(f"{home}/notebooks/extra.md").read() == "# Extra reading\n"
    assert len(merged) == len(cells)


def test_the_idle_culler_stops_an_idle_students_server():
    with classhub.Hub(["gl-dee"], cull_timeout=20, name="test-cull") as h:
        h.start_server("gl-dee")
        t0 = time.monotonic()
        while h.server_running("gl-dee") and time.monotonic() - t0 < 90:
            time.sleep(2)
        assert not h.server_running("gl-dee"), "the idle culler did not stop the server within 90 s"
        assert "Culling server gl-dee" in h.log_tail(200_000)
        assert not [p for p in processes_of("gl-dee") if "jupyterhub-singleuser" in p]


def test_the_image_carries_the_students_versions_and_no_solution():
    repo = classhub.PREFIX / "repo"
    homework = sorted((repo / "notebooks").glob("0[1-7]-*.ipynb"))
    assert [p.name[:2] for p in homework] == ["01", "02", "03", "04", "05", "06", "07"]
    for nb in homework:
        text = nb.read_text()
        assert "// YOUR CODE HERE" in text and "return gl.todo();" in text, f"{nb.name} is not the release version"
    leaks = [str(p) for p in repo.rglob("*.ipynb") if "BEGIN SOLUTION" in p.read_text()]
    assert not leaks, f"notebooks with their solutions in the image: {leaks}"
    assert not (repo / "course").exists() and not (repo / ".git").exists()
    # everything students run is world-readable and belongs to the image's user, not to them
    for path in (classhub.ENV / "node_modules" / "gradlab" / "package.json", classhub.ENV / "share" / "jupyter" / "kernels" / "tslab" / "kernel.json"):
        assert path.stat().st_mode & 0o004, f"{path} is not world-readable"
        assert pwd.getpwuid(path.stat().st_uid).pw_name == "glimage"
