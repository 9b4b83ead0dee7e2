"""Runs code and whole notebooks in a Jupyter kernel through a Jupyter server's HTTP and websocket API.

This is what JupyterLab does, without a browser: start a kernel (a session tied
to the notebook's path), talk Jupyter messaging v5.3 over the server's
``api/kernels/<id>/channels`` websocket, build each cell's outputs the way the
page does, and save the notebook back through ``api/contents``. It works
against a plain ``jupyter server`` and against a single-user server behind
JupyterHub's proxy (``http://127.0.0.1:18000/user/<name>/``), so the hub tests
and the load benchmark (issue #13) measure what a student's page would see.

Why not nbclient: nbclient talks ZeroMQ to a kernel it starts itself; a
student's kernel lives inside their single-user server, reachable only through
the server's API. Why plain JSON on the websocket: jupyter_server 2.21 picks
the binary ``v1.kernel.websocket.jupyter.org`` subprotocol only when the client
offers it (websocket.py ``select_subprotocol``); a client that offers none gets
one JSON text frame per message, ``channel`` inside (connection/channels.py).

Outputs follow JupyterLab's rules (and nbclient's, where they agree):
- consecutive ``stream`` messages of one name are merged into one output;
- ``clear_output(wait=True)`` clears just before the next output arrives;
- ``update_display_data`` replaces data and metadata of every output shown
  under its display id, in any cell of the run, and so does a ``display_data``
  with a display id already shown (JupyterLab's ``_handleDisplayId``): the
  saved output holds the last update;
- a request is finished when its ``execute_reply`` *and* the iopub ``idle``
  with it as parent have arrived (messages of one request come on two sockets
  in either order).

Every wait is bounded: a cell that does not finish in time raises
:class:`CellTimeoutError` naming the cell and its first line.

Use it async (many students at once on one event loop)::

    client = ServerClient("http://127.0.0.1:8888/", token)
    run = await client.run_notebook("hw/06-training.ipynb")
    await client.shutdown()

or from synchronous code through :class:`SyncServerClient` (its own event loop
in a thread).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import struct
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Coroutine, TypeVar
from urllib.parse import quote, urlencode

import nbformat
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.websocket import WebSocketClientConnection, WebSocketClosedError, websocket_connect

PROTOCOL_VERSION = "5.3"
#: Largest websocket message accepted (tornado's default is 10 MiB; a big graph payload may pass it).
MAX_MESSAGE_SIZE = 512 * 1024 * 1024
#: iopub message types that put something into a cell's outputs.
OUTPUT_TYPES = frozenset({"stream", "display_data", "execute_result", "error"})

T = TypeVar("T")


class ClientError(Exception):
    """Anything that went wrong between this client and the server or kernel."""


class ServerError(ClientError):
    """An HTTP request to the server failed (status, method and URL in the message)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class KernelConnectionError(ClientError):
    """The kernel's websocket closed, or the kernel died or restarted, while a request was waiting."""


class CellTimeoutError(ClientError, TimeoutError):
    """A cell did not finish in time. ``run`` holds the notebook run up to it, when it came from :meth:`ServerClient.run_notebook`."""

    def __init__(self, message: str, cell_index: int | None, first_line: str) -> None:
        super().__init__(message)
        self.cell_index = cell_index
        self.first_line = first_line
        self.run: NotebookRun | None = None


def first_line(code: str, width: int = 80) -> str:
    """The first non-blank line of ``code``, cut to ``width`` characters, for messages."""
    for line in code.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= width else line[: width - 1] + "…"
    return "(empty)"


def _describe(cell_index: int | None, code: str) -> str:
    where = f"cell {cell_index}" if cell_index is not None else "code"
    return f"{where} ({first_line(code)!r})"


# ---------------------------------------------------------------------------------------------------------------
# Results


@dataclass
class ExecResult:
    """What one execute request produced. Times are seconds from sending the request."""

    status: str
    """``ok``, ``error`` or ``aborted`` (the kernel's ``abort``, the spec's ``aborted``)."""
    outputs: list[Any]
    """nbformat v4 outputs, as a notebook cell holds them (later display updates land here too)."""
    execution_count: int | None
    first_output_seconds: float | None
    """Until the first message that changed the outputs (stream, display, result, error or display update); None if none."""
    wall_seconds: float
    """Until both the reply and the idle had arrived."""
    reply_seconds: float
    ename: str | None = None
    evalue: str | None = None
    traceback: list[str] = field(default_factory=list)
    reply: dict[str, Any] = field(default_factory=dict)
    msg_id: str = ""

    def text(self, name: str = "stdout") -> str:
        """All text printed on ``name`` (``stdout`` or ``stderr``)."""
        return "".join(o["text"] for o in self.outputs if o.get("output_type") == "stream" and o.get("name") == name)


@dataclass
class CellRun:
    """One code cell of a notebook run. Seconds are from sending that cell, ``started`` from the start of the run."""

    index: int
    first_line: str
    status: str
    execution_count: int | None
    started: float
    seconds: float
    first_output_seconds: float | None
    ename: str | None = None
    evalue: str | None = None


@dataclass
class NotebookRun:
    """A notebook run through the server, as JupyterLab's "run all" then "save" would leave it. Seconds from the start of the run."""

    path: str
    nb: Any
    """The executed notebook (nbformat NotebookNode), as it was saved."""
    cells: list[CellRun]
    kernel_name: str
    kernel_start_seconds: float
    """From the session request until the kernel answered ``kernel_info`` over the websocket."""
    first_output_seconds: float | None
    """Until the first output of any cell, counting the notebook's load and the kernel start."""
    total_seconds: float
    """Until the notebook was saved (or the last cell ended, without saving)."""
    completed: bool
    """Every code cell ran and ended ``ok``."""
    saved: bool = False
    load_seconds: float = 0.0
    save_seconds: float = 0.0
    session: KernelSession | None = None
    """The kernel, still running, when ``run_notebook(keep_kernel=True)``; else None (shut down)."""

    @property
    def failed(self) -> CellRun | None:
        """The first cell that did not end ``ok``, if any."""
        return next((c for c in self.cells if c.status != "ok"), None)


# ---------------------------------------------------------------------------------------------------------------
# Outputs


class _DisplayRegistry:
    """Outputs shown under each display id, across all the cells run in one kernel session."""

    def __init__(self) -> None:
        self._by_id: dict[str, list[dict[str, Any]]] = {}

    def register(self, display_id: str, output: dict[str, Any]) -> None:
        self._by_id.setdefault(display_id, []).append(output)

    def forget(self, outputs: list[dict[str, Any]]) -> None:
        gone = {id(o) for o in outputs}
        for key, targets in list(self._by_id.items()):
            kept = [o for o in targets if id(o) not in gone]
            if kept:
                self._by_id[key] = kept
            else:
                del self._by_id[key]

    def update(self, display_id: str, content: dict[str, Any]) -> int:
        """Replaces data and metadata of every output shown under ``display_id``; returns how many."""
        targets = self._by_id.get(display_id, [])
        for out in targets:
            out["data"] = nbformat.from_dict(content.get("data", {}))
            out["metadata"] = nbformat.from_dict(content.get("metadata", {}))
        return len(targets)


class _CellOutputs:
    """One request's output area: merging streams, deferred clears, display ids."""

    def __init__(self, registry: _DisplayRegistry) -> None:
        self.outputs: list[Any] = []
        self._registry = registry
        self._clear_on_next = False

    def clear(self, wait: bool) -> None:
        if wait:
            self._clear_on_next = True
            return
        self._clear_now()

    def _clear_now(self) -> None:
        self._clear_on_next = False
        self._registry.forget(self.outputs)
        # NOTE: cleared in place: a notebook cell holding this list sees the clear too.
        del self.outputs[:]

    def add(self, msg: dict[str, Any]) -> None:
        if self._clear_on_next:
            self._clear_now()
        out = nbformat.v4.output_from_msg(msg)
        last = self.outputs[-1] if self.outputs else None
        if out.output_type == "stream" and last is not None and last.get("output_type") == "stream" and last.get("name") == out.name:
            last["text"] += out.text
            return
        self.outputs.append(out)
        display_id = (msg["content"].get("transient") or {}).get("display_id")
        if display_id and out.output_type in ("display_data", "execute_result"):
            self._registry.register(display_id, out)


class _Request:
    """A request waiting for its reply (and, for execute, its idle)."""

    def __init__(self, msg_id: str, registry: _DisplayRegistry, wants_idle: bool) -> None:
        self.msg_id = msg_id
        self.sent = time.monotonic()
        self.area = _CellOutputs(registry)
        self.reply: dict[str, Any] | None = None
        self.reply_at: float | None = None
        self.idle = not wants_idle
        self.first_output_at: float | None = None
        self.execution_count: int | None = None
        self.done = asyncio.get_running_loop().create_future()

    def check_done(self) -> None:
        if self.reply is not None and self.idle and not self.done.done():
            self.done.set_result(time.monotonic())

    def fail(self, exc: Exception) -> None:
        if not self.done.done():
            self.done.set_exception(exc)

    def touched(self) -> None:
        if self.first_output_at is None:
            self.first_output_at = time.monotonic()


# ---------------------------------------------------------------------------------------------------------------
# Wire format


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def _decode_ws(raw: str | bytes) -> dict[str, Any]:
    """One websocket frame of the legacy protocol: JSON text, or (with buffers) jupyter_server's binary framing."""
    if isinstance(raw, str):
        return json.loads(raw)
    # serialize_binary_message: !I count, !I offsets, then the JSON message and its buffers
    (count,) = struct.unpack("!I", raw[:4])
    offsets = list(struct.unpack("!" + "I" * count, raw[4 : 4 * (count + 1)])) + [len(raw)]
    msg = json.loads(raw[offsets[0] : offsets[1]].decode("utf8"))
    msg["buffers"] = [raw[offsets[i] : offsets[i + 1]] for i in range(1, count)]
    return msg


# ---------------------------------------------------------------------------------------------------------------
# Kernel session


class KernelSession:
    """A running kernel reached through the server's websocket (made by :meth:`ServerClient.start_kernel`)."""

    def __init__(self, client: ServerClient, kernel_id: str, name: str, path: str | None, session_id: str | None) -> None:
        self.client = client
        self.kernel_id = kernel_id
        self.kernel_name = name
        self.path = path
        self.session_id = session_id
        """The server's session id (``api/sessions``), None for a bare kernel."""
        self.client_session = uuid.uuid4().hex
        self.kernel_info: dict[str, Any] = {}
        self.start_seconds = 0.0
        """From the start request until the kernel answered ``kernel_info`` (what a page waits for)."""
        self.late_messages = 0
        """Messages that arrived for a request already finished (or not ours); display updates among them are applied."""
        self.malformed_messages = 0
        self.displays = _DisplayRegistry()
        self._ws: WebSocketClientConnection | None = None
        self._pending: dict[str, _Request] = {}
        self._reader: asyncio.Task[None] | None = None
        self._closed: str | None = None

    # -- connection ------------------------------------------------------------------------------------------

    async def _connect(self, timeout: float) -> None:
        url = self.client.ws_url(f"api/kernels/{quote(self.kernel_id)}/channels") + "?" + urlencode({"session_id": self.client_session})
        req = HTTPRequest(url, headers=self.client.headers(), connect_timeout=timeout, request_timeout=timeout)
        try:
            self._ws = await asyncio.wait_for(websocket_connect(req, max_message_size=MAX_MESSAGE_SIZE), timeout)
        except asyncio.TimeoutError:
            raise KernelConnectionError(f"kernel {self.kernel_id}: no websocket within {timeout:g} s ({url})") from None
        except HTTPClientError as e:
            raise KernelConnectionError(f"kernel {self.kernel_id}: websocket refused: HTTP {e.code} ({url})") from e
        self._reader = asyncio.create_task(self._read_loop(), name=f"kernel-{self.kernel_id[:8]}-reader")
        req_ = self._send("shell", "kernel_info_request", {}, wants_idle=False)
        try:
            await asyncio.wait_for(asyncio.shield(req_.done), timeout)
        except asyncio.TimeoutError:
            self._forget(req_)
            raise KernelConnectionError(f"kernel {self.kernel_id} ({self.kernel_name}) did not answer kernel_info within {timeout:g} s") from None
        self.kernel_info = req_.reply or {}

    async def _read_loop(self) -> None:
        assert self._ws is not None
        reason = "the websocket closed"
        try:
            while True:
                raw = await self._ws.read_message()
                if raw is None:
                    break
                try:
                    self._dispatch(_decode_ws(raw))
                except (ValueError, KeyError, TypeError, struct.error):
                    # one malformed message must not stop the reader: everything after it still counts
                    self.malformed_messages += 1
        except asyncio.CancelledError:
            reason = "the session was closed"
            raise
        finally:
            self._fail_all(f"kernel {self.kernel_id}: {reason}")

    def _forget(self, req: _Request) -> None:
        """A request given up on (timed out): later messages for it count as late, and nothing waits for its future."""
        self._pending.pop(req.msg_id, None)
        req.done.cancel()

    def _fail_all(self, reason: str) -> None:
        self._closed = self._closed or reason
        for req in list(self._pending.values()):
            req.fail(KernelConnectionError(reason))
        self._pending.clear()

    def _send(self, channel: str, msg_type: str, content: dict[str, Any], wants_idle: bool) -> _Request:
        if self._closed or self._ws is None:
            raise KernelConnectionError(f"kernel {self.kernel_id}: cannot send {msg_type}: {self._closed or 'not connected'}")
        msg_id = uuid.uuid4().hex
        msg = {
            "header": {
                "msg_id": msg_id,
                "msg_type": msg_type,
                "username": "gradlab-client",
                "session": self.client_session,
                "date": _now_iso(),
                "version": PROTOCOL_VERSION,
            },
            "parent_header": {},
            "metadata": {},
            "content": content,
            "buffers": [],
            "channel": channel,
        }
        req = _Request(msg_id, self.displays, wants_idle)
        try:
            self._ws.write_message(json.dumps(msg))
        except WebSocketClosedError:
            self._closed = self._closed or "the websocket closed"
            raise KernelConnectionError(f"kernel {self.kernel_id}: cannot send {msg_type}: the websocket closed") from None
        self._pending[msg_id] = req
        return req

    # -- messages --------------------------------------------------------------------------------------------

    def _dispatch(self, msg: dict[str, Any]) -> None:
        channel = msg.get("channel")
        msg_type = msg.get("msg_type") or msg.get("header", {}).get("msg_type", "")
        parent = (msg.get("parent_header") or {}).get("msg_id")
        req = self._pending.get(parent) if parent else None
        content = msg.get("content") or {}
        if channel == "iopub" and msg_type == "status" and not parent:
            state = content.get("execution_state")
            if state in ("restarting", "dead"):
                # the server's own status (channels.py on_kernel_restarted / on_restart_failed): no reply will come
                self._fail_all(f"kernel {self.kernel_id} {'died and is restarting' if state == 'restarting' else 'died'}")
            return
        if channel == "shell" or channel == "control":
            if req is not None and msg_type.endswith("_reply"):
                req.reply = content
                req.reply_at = time.monotonic()
                req.check_done()
                if req.done.done():
                    self._pending.pop(req.msg_id, None)
            return
        if channel != "iopub":
            return
        self._iopub(msg_type, msg, content, req)

    def _iopub(self, msg_type: str, msg: dict[str, Any], content: dict[str, Any], req: _Request | None) -> None:
        display_id = (content.get("transient") or {}).get("display_id")
        if msg_type in ("update_display_data", "display_data", "execute_result") and display_id:
            # earlier outputs under this id show the new data, wherever they are (JupyterLab's _handleDisplayId)
            updated = self.displays.update(display_id, content)
            if req is not None and (updated or msg_type != "update_display_data"):
                req.touched()
            if msg_type == "update_display_data":
                if req is None:
                    self.late_messages += 1
                return
        if req is None:
            if msg_type != "status":
                self.late_messages += 1
            return
        if msg_type == "status":
            if content.get("execution_state") == "idle":
                req.idle = True
                req.check_done()
                if req.done.done():
                    self._pending.pop(req.msg_id, None)
        elif msg_type == "execute_input":
            req.execution_count = content.get("execution_count")
        elif msg_type == "clear_output":
            req.area.clear(bool(content.get("wait")))
            if not content.get("wait"):
                req.touched()
        elif msg_type in OUTPUT_TYPES:
            req.area.add(msg)
            req.touched()

    # -- requests --------------------------------------------------------------------------------------------

    async def execute(
        self,
        code: str,
        timeout: float = 60.0,
        *,
        cell_index: int | None = None,
        stop_on_error: bool = True,
        store_history: bool = True,
        silent: bool = False,
    ) -> ExecResult:
        """Runs ``code`` and returns its outputs and timings once the kernel has replied and gone idle.

        Raises :class:`CellTimeoutError` (naming ``cell_index`` and the code's
        first line) when that takes longer than ``timeout`` seconds, and
        :class:`KernelConnectionError` if the websocket closes or the kernel
        dies first. ``stop_on_error`` goes into the request: with tslab and
        gradlab imported, False lets the next request run right after a failed
        one (tslab otherwise aborts requests arriving within 200 ms of it).
        """
        content = {
            "code": code,
            "silent": silent,
            "store_history": store_history,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": stop_on_error,
        }
        try:
            req = self._send("shell", "execute_request", content, wants_idle=True)
        except KernelConnectionError as e:
            raise KernelConnectionError(f"{_describe(cell_index, code)}: {e}") from None
        try:
            done_at = await asyncio.wait_for(asyncio.shield(req.done), timeout)
        except asyncio.TimeoutError:
            self._forget(req)
            missing = " and ".join(w for w, got in (("its execute_reply", req.reply is not None), ("its idle", req.idle)) if not got)
            raise CellTimeoutError(
                f"{_describe(cell_index, code)} did not finish within {timeout:g} s (no {missing}; kernel {self.kernel_id})",
                cell_index,
                first_line(code),
            ) from None
        except KernelConnectionError as e:
            raise KernelConnectionError(f"{_describe(cell_index, code)}: {e}") from None
        reply = req.reply or {}
        status = reply.get("status", "error")
        if status == "abort":
            status = "aborted"
        errors = [o for o in req.area.outputs if o.get("output_type") == "error"]
        ename = reply.get("ename") or (errors[0]["ename"] if errors else None)
        evalue = reply.get("evalue") if reply.get("ename") else (errors[0]["evalue"] if errors else None)
        tb = reply.get("traceback") or (errors[0].get("traceback", []) if errors else [])
        count = reply.get("execution_count", req.execution_count)
        return ExecResult(
            status=status,
            outputs=req.area.outputs,
            execution_count=count if isinstance(count, int) else None,
            first_output_seconds=None if req.first_output_at is None else req.first_output_at - req.sent,
            wall_seconds=done_at - req.sent,
            reply_seconds=(req.reply_at or done_at) - req.sent,
            ename=ename if status == "error" else None,
            evalue=evalue if status == "error" else None,
            traceback=list(tb) if status == "error" else [],
            reply=reply,
            msg_id=req.msg_id,
        )

    async def inspect(self, code: str, cursor_pos: int, timeout: float = 30.0, detail_level: int = 0) -> dict[str, Any]:
        """What JupyterLab's hover and Shift+Tab ask for: the kernel's ``inspect_reply`` (found, data) at ``cursor_pos``."""
        req = self._send("shell", "inspect_request", {"code": code, "cursor_pos": cursor_pos, "detail_level": detail_level}, wants_idle=False)
        try:
            await asyncio.wait_for(asyncio.shield(req.done), timeout)
        except asyncio.TimeoutError:
            self._forget(req)
            raise CellTimeoutError(f"inspect of {first_line(code)!r} got no reply within {timeout:g} s", None, first_line(code)) from None
        return req.reply or {}

    async def interrupt(self, timeout: float = 30.0) -> None:
        """Interrupts the kernel (``POST api/kernels/<id>/interrupt``, what the stop button does)."""
        await self.client.request("POST", f"api/kernels/{quote(self.kernel_id)}/interrupt", timeout=timeout)

    @property
    def closed(self) -> bool:
        return self._closed is not None

    async def shutdown(self, timeout: float = 30.0) -> None:
        """Closes the websocket and shuts the kernel down (deleting its session, as closing a notebook's kernel does)."""
        if self._ws is not None:
            self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            try:
                await asyncio.wait_for(self._reader, 5)
            except (asyncio.CancelledError, asyncio.TimeoutError):
                pass
        self._fail_all(f"kernel {self.kernel_id}: the session was shut down")
        self.client._sessions.discard(self)
        path = f"api/sessions/{quote(self.session_id)}" if self.session_id else f"api/kernels/{quote(self.kernel_id)}"
        try:
            await self.client.request("DELETE", path, timeout=timeout)
        except ServerError as e:
            if e.status != 404:  # already gone (culled, or shut down from elsewhere)
                raise


# ---------------------------------------------------------------------------------------------------------------
# Server client


class ServerClient:
    """A Jupyter server (plain, or a single-user server behind JupyterHub) reached with a token."""

    def __init__(self, base_url: str, token: str, *, request_timeout: float = 60.0, max_clients: int = 8) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.token = token
        self.request_timeout = request_timeout
        self.max_clients = max_clients
        self._http: AsyncHTTPClient | None = None
        self._sessions: set[KernelSession] = set()

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def url(self, path: str) -> str:
        return self.base_url + path.lstrip("/")

    def ws_url(self, path: str) -> str:
        url = self.url(path)
        return "ws" + url[4:] if url.startswith("http") else url

    def _client(self) -> AsyncHTTPClient:
        # NOTE: AsyncHTTPClient() is one shared instance per event loop with 10 connections; the benchmark runs many
        # students on one loop, so each client gets its own instance and one student cannot queue behind another.
        if self._http is None:
            self._http = AsyncHTTPClient(force_instance=True, max_clients=self.max_clients)
        return self._http

    async def request(self, method: str, path: str, body: Any = None, *, timeout: float | None = None) -> Any:
        """One API request; returns the decoded JSON body (None when empty). Raises :class:`ServerError`."""
        timeout = self.request_timeout if timeout is None else timeout
        headers = self.headers()
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        elif method in ("POST", "PUT", "PATCH"):
            data = ""
        url = self.url(path)
        req = HTTPRequest(url, method=method, headers=headers, body=data, connect_timeout=timeout, request_timeout=timeout)
        try:
            resp = await asyncio.wait_for(self._client().fetch(req, raise_error=False), timeout + 5)
        except asyncio.TimeoutError:
            raise ServerError(f"{method} {url}: no answer within {timeout:g} s") from None
        if resp.code == 599:
            raise ServerError(f"{method} {url}: {resp.error}", None)
        if resp.code >= 400:
            text = (resp.body or b"")[:500].decode("utf8", "replace")
            raise ServerError(f"{method} {url}: HTTP {resp.code}: {text}", resp.code)
        return json.loads(resp.body) if resp.body else None

    # -- kernels ---------------------------------------------------------------------------------------------

    async def start_kernel(self, name: str = "tslab", path: str | None = None, *, timeout: float = 120.0) -> KernelSession:
        """Starts a kernel and connects to it; returns once it answered ``kernel_info``.

        With ``path`` (a notebook path relative to the server's root) it is a
        session tied to that notebook (``POST api/sessions``, as JupyterLab
        opens one): the kernel starts in the notebook's folder. Without, a bare
        kernel (``POST api/kernels``), which jupyter_server starts in its own
        working folder (not its root_dir; a single-user server's is the home).
        """
        t0 = time.monotonic()
        if path is not None:
            body = {"path": path, "name": path.rsplit("/", 1)[-1], "type": "notebook", "kernel": {"name": name}}
            model = await self.request("POST", "api/sessions", body, timeout=timeout)
            ks = KernelSession(self, model["kernel"]["id"], name, path, model["id"])
        else:
            model = await self.request("POST", "api/kernels", {"name": name}, timeout=timeout)
            ks = KernelSession(self, model["id"], name, None, None)
        self._sessions.add(ks)
        try:
            await ks._connect(max(1.0, timeout - (time.monotonic() - t0)))
        except BaseException:
            await asyncio.shield(self._quiet_shutdown(ks))
            raise
        ks.start_seconds = time.monotonic() - t0
        return ks

    async def _quiet_shutdown(self, ks: KernelSession) -> None:
        try:
            await ks.shutdown()
        except ClientError:
            pass

    async def shutdown(self) -> None:
        """Shuts down every kernel this client started and still runs, and closes its connections."""
        await asyncio.gather(*(self._quiet_shutdown(ks) for ks in list(self._sessions)))
        if self._http is not None:
            self._http.close()
            self._http = None

    # -- contents --------------------------------------------------------------------------------------------

    async def get_notebook(self, path: str, *, timeout: float | None = None) -> Any:
        """The notebook at ``path`` (``GET api/contents``) as an nbformat v4 NotebookNode."""
        model = await self.request("GET", f"api/contents/{quote(path)}?type=notebook&content=1", timeout=timeout)
        return nbformat.from_dict(model["content"])

    async def save_notebook(self, path: str, nb: Any, *, timeout: float | None = None) -> dict[str, Any]:
        """Saves ``nb`` at ``path`` (``PUT api/contents``, as JupyterLab's save does); returns the server's model."""
        body = {"type": "notebook", "format": "json", "content": nb}
        return await self.request("PUT", f"api/contents/{quote(path)}", body, timeout=timeout)

    async def run_notebook(
        self,
        path: str,
        kernel: str | None = "tslab",
        *,
        timeout_per_cell: float = 120.0,
        startup_timeout: float = 120.0,
        stop_on_error: bool = True,
        save: bool = True,
        keep_kernel: bool = False,
    ) -> NotebookRun:
        """Runs every code cell of the notebook at ``path`` in a new kernel session, in order, and saves it back.

        Like JupyterLab's "restart and run all" followed by "save": outputs
        and execution counts go into the cells, empty cells are skipped (and
        cleared), and the notebook is PUT back through ``api/contents``.
        ``stop_on_error`` stops at the first cell that does not end ``ok``
        (nbclient's default); False runs on (and says so to the kernel). The
        kernel is ``kernel``, or the notebook's own kernelspec when None. The
        session is shut down after the save, also on failure, unless
        ``keep_kernel`` (then it is in ``NotebookRun.session``, to measure the
        kernel after the notebook, and the caller shuts it down). A cell past
        ``timeout_per_cell`` raises :class:`CellTimeoutError` with the run so
        far in its ``run`` (nothing is saved then, and the kernel is shut down).
        """
        t0 = time.monotonic()
        nb = await self.get_notebook(path)
        load_seconds = time.monotonic() - t0
        name = kernel or nb.get("metadata", {}).get("kernelspec", {}).get("name") or "tslab"
        ks = await self.start_kernel(name, path=path, timeout=startup_timeout)
        run = NotebookRun(
            path=path, nb=nb, cells=[], kernel_name=name, kernel_start_seconds=ks.start_seconds,
            first_output_seconds=None, total_seconds=0.0, completed=False, load_seconds=load_seconds,
        )
        kept = False
        try:
            run.completed = await self._run_cells(ks, run, t0, timeout_per_cell, stop_on_error)
            if save:
                t1 = time.monotonic()
                await self.save_notebook(path, nb)
                run.save_seconds = time.monotonic() - t1
                run.saved = True
            run.total_seconds = time.monotonic() - t0
            if keep_kernel:
                run.session, kept = ks, True
            return run
        except CellTimeoutError as e:
            run.total_seconds = time.monotonic() - t0
            e.run = run
            raise
        finally:
            if not kept:
                await asyncio.shield(self._quiet_shutdown(ks))

    async def _run_cells(self, ks: KernelSession, run: NotebookRun, t0: float, timeout: float, stop_on_error: bool) -> bool:
        ok = True
        for i, cell in enumerate(run.nb.cells):
            if cell.get("cell_type") != "code":
                continue
            cell.outputs = []
            cell.execution_count = None
            if not cell.source.strip():
                continue
            started = time.monotonic()
            res = await ks.execute(cell.source, timeout, cell_index=i, stop_on_error=stop_on_error)
            # the same list the session keeps updating: a display update from a later cell lands in this cell
            cell.outputs = res.outputs
            cell.execution_count = res.execution_count
            # outputs made in this session are trusted, as in JupyterLab (cell metadata, which the server reads to
            # sign the notebook on save and strips from the file)
            cell.metadata["trusted"] = True
            run.cells.append(
                CellRun(i, first_line(cell.source), res.status, res.execution_count, started - t0, res.wall_seconds,
                        res.first_output_seconds, res.ename, res.evalue)
            )
            if res.first_output_seconds is not None and run.first_output_seconds is None:
                run.first_output_seconds = started - t0 + res.first_output_seconds
            if res.status != "ok":
                ok = False
                if stop_on_error:
                    break
        return ok


# ---------------------------------------------------------------------------------------------------------------
# Synchronous use


class SyncServerClient:
    """:class:`ServerClient` for synchronous code: its own event loop runs in a thread, so websockets stay served between calls."""

    def __init__(self, base_url: str, token: str, **kwargs: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="jupyter-client-loop", daemon=True)
        self._thread.start()
        self.client: ServerClient = self._call(self._make(base_url, token, kwargs), 30)

    @staticmethod
    async def _make(base_url: str, token: str, kwargs: dict[str, Any]) -> ServerClient:
        return ServerClient(base_url, token, **kwargs)

    def _call(self, coro: Coroutine[Any, Any, T], timeout: float | None) -> T:
        fut = asyncio.run_coroutine_threadsafe(coro, self._loop)
        # the coroutine has its own bounds; this one only guards against a loop that stopped answering
        concurrent.futures.wait([fut], None if timeout is None else timeout + 30)
        if not fut.done():
            fut.cancel()
            raise ClientError(f"no result within {timeout:g} + 30 s")
        return fut.result()

    def start_kernel(self, name: str = "tslab", path: str | None = None, *, timeout: float = 120.0) -> SyncKernelSession:
        return SyncKernelSession(self, self._call(self.client.start_kernel(name, path, timeout=timeout), timeout))

    def run_notebook(self, path: str, kernel: str | None = "tslab", **kwargs: Any) -> NotebookRun:
        # no overall bound: every step of a run is bounded (requests, kernel start, each cell)
        return self._call(self.client.run_notebook(path, kernel, **kwargs), None)

    def request(self, method: str, path: str, body: Any = None, *, timeout: float | None = None) -> Any:
        return self._call(self.client.request(method, path, body, timeout=timeout), timeout or self.client.request_timeout)

    def close(self) -> None:
        """Shuts down this client's kernels and stops its event loop."""
        if not self._loop.is_running():
            return
        try:
            self._call(self.client.shutdown(), 60)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self) -> SyncServerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SyncKernelSession:
    """:class:`KernelSession` for synchronous code (made by :meth:`SyncServerClient.start_kernel`)."""

    def __init__(self, owner: SyncServerClient, session: KernelSession) -> None:
        self._owner = owner
        self.session = session

    @property
    def start_seconds(self) -> float:
        return self.session.start_seconds

    def execute(self, code: str, timeout: float = 60.0, **kwargs: Any) -> ExecResult:
        return self._owner._call(self.session.execute(code, timeout, **kwargs), timeout)

    def shutdown(self) -> None:
        self._owner._call(self.session.shutdown(), 30)

