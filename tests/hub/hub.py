"""A real JupyterHub for tests: start it, drive it through its REST API, run code in users' kernels.

`running_hub` starts ``jupyterhub`` (which starts configurable-http-proxy) with
``jupyterhub_config.py`` beside this file, on loopback ports chosen here. `HubAPI` speaks
the Hub's REST API with a service token, the way an instructor's tool would: it creates
users, starts their servers and waits on the progress event stream. `UserServer` then
talks to one user's Jupyter server *through the Hub's proxy*: the contents API, the
sessions API (what JupyterLab calls when it opens a notebook) and the kernel's websocket,
over which `Kernel.run` executes a cell and collects its outputs.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

import psutil
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

CONFIG_FILE = Path(__file__).with_name("jupyterhub_config.py")
#: Where `.ci/run` installs configurable-http-proxy from npm (``npm install --prefix``).
PROXY_PREFIX = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "smtplearn-ci" / "chp"
#: How long one cell, one request or the Hub's start may take on a busy 2-core runner before
#: the test gives up naming what hung. A deadline against hanging, not a speed check.
PATIENCE_S = 240.0


def find_proxy() -> Path | None:
    """configurable-http-proxy from PATH, else the one `.ci/run` installed under `PROXY_PREFIX`."""
    on_path = shutil.which("configurable-http-proxy")
    if on_path:
        return Path(on_path)
    installed = PROXY_PREFIX / "node_modules" / ".bin" / "configurable-http-proxy"
    return installed if installed.is_file() else None


def find_singleuser() -> Path | None:
    """``jupyterhub-singleuser`` beside this interpreter: what the config's Spawner.cmd runs."""
    path = Path(sys.executable).with_name("jupyterhub-singleuser")
    return path if path.is_file() else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class RunningHub:
    """A started ``jupyterhub`` process, its public URL and service token, and its log lines."""

    process: subprocess.Popen[str]
    url: str
    token: str
    lines: list[str] = field(default_factory=list)
    up: threading.Event = field(default_factory=threading.Event)

    def read(self, stdout: IO[str]) -> None:
        for line in stdout:
            self.lines.append(line.rstrip("\n"))
            if "JupyterHub is now running at" in line:
                self.up.set()
        self.up.set()  # the process ended: stop waiting either way

    def log_tail(self, count: int = 40) -> str:
        return "\n".join(self.lines[-count:])


@contextmanager
def running_hub(state_dir: Path, proxy: Path) -> Iterator[RunningHub]:
    """A JupyterHub on 127.0.0.1 whose state (database, users' homes) lives in *state_dir*."""
    settings = {
        "state_dir": str(state_dir),
        "public_port": _free_port(),
        "hub_port": _free_port(),
        "proxy_api_port": _free_port(),
        "proxy_command": str(proxy),
        "proxy_token": secrets.token_hex(16),
        "api_token": secrets.token_hex(16),
    }
    # No Jupyter paths from the developer's shell: the users' servers find their own, at home.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_"))}
    env["SMTPLEARN_HUB_SETTINGS"] = json.dumps(settings)
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyterhub", "-f", str(CONFIG_FILE)],
        cwd=state_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    hub = RunningHub(process, f"http://127.0.0.1:{settings['public_port']}", str(settings["api_token"]))
    reader = threading.Thread(target=hub.read, args=(process.stdout,), daemon=True)
    reader.start()
    try:
        assert hub.up.wait(PATIENCE_S) and process.poll() is None, (
            f"JupyterHub did not start:\n{hub.log_tail()}"
        )
        yield hub
    finally:
        # SIGTERM: the Hub stops every user's server (cleanup_servers) and the proxy it started.
        process.terminate()
        try:
            process.wait(timeout=PATIENCE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=30)
        _end_leftovers(state_dir)


def _end_leftovers(state_dir: Path) -> None:
    """Kill what the Hub left behind: a kernel whose server died while it started outlives it.

    Only processes that belong to this Hub are touched: those working in, or naming, a
    path under its *state_dir* (the users' homes, the kernels' connection files).
    """
    marker = f"{state_dir}{os.sep}"
    leftovers = []
    for process in psutil.process_iter(["cmdline", "cwd"]):
        cwd, cmdline = process.info["cwd"] or "", process.info["cmdline"] or []
        if process.pid != os.getpid() and (cwd.startswith(marker) or any(marker in arg for arg in cmdline)):
            leftovers.append(process)
    for process in leftovers:
        with suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(leftovers, timeout=30)


class HubAPI:
    """The Hub's REST API (``/hub/api``) with the test service's token."""

    def __init__(self, hub: RunningHub) -> None:
        self.hub = hub
        # Ten progress streams stay open while the servers start: room for them and more.
        self.http = AsyncHTTPClient(force_instance=True, max_clients=64)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.hub.token}"}

    async def request(self, method: str, path: str, body: Any = None) -> Any:
        """*method* ``{hub.url}{path}``, JSON in and out; an error status raises, naming the reply."""
        request = HTTPRequest(
            self.hub.url + path,
            method=method,
            headers={**self.headers(), "Content-Type": "application/json"},
            body=None if body is None and method in {"GET", "DELETE"} else json.dumps(body or {}),
            request_timeout=PATIENCE_S,
        )
        try:
            response = await self.http.fetch(request)
        except HTTPClientError as error:
            detail = error.response.body.decode(errors="replace") if error.response else ""
            raise AssertionError(f"{method} {path} -> {error.code}: {detail}") from error
        return json.loads(response.body) if response.body else None

    async def create_users(self, names: list[str]) -> None:
        await self.request("POST", "/hub/api/users", {"usernames": names})

    async def start_server(self, name: str, user_options: dict[str, str] | None = None) -> UserServer:
        """Start *name*'s default server and wait until the Hub says it is ready."""
        await self.request("POST", f"/hub/api/users/{name}/server", {"user_options": user_options or {}})
        events: list[dict[str, Any]] = []
        buffer = b""

        def on_chunk(chunk: bytes) -> None:
            nonlocal buffer
            buffer += chunk
            *complete, buffer = buffer.split(b"\n")
            events.extend(json.loads(line[5:]) for line in complete if line.startswith(b"data:"))

        # The progress API is an event stream that ends once the server is ready (or failed).
        await self.http.fetch(
            HTTPRequest(
                f"{self.hub.url}/hub/api/users/{name}/server/progress",
                headers=self.headers(),
                streaming_callback=on_chunk,
                request_timeout=PATIENCE_S,
            )
        )
        ready = [event for event in events if event.get("ready")]
        assert ready, f"{name}'s server never became ready: {events[-3:]}\n{self.hub.log_tail()}"
        return UserServer(self, name, self.hub.url + ready[-1]["url"].rstrip("/"))

    async def stop_server(self, name: str) -> None:
        """Ask the Hub to stop *name*'s server (it finishes in the background)."""
        await self.request("DELETE", f"/hub/api/users/{name}/server")


@dataclass
class UserServer:
    """One user's Jupyter server, reached through the Hub's proxy at ``/user/<name>/``."""

    api: HubAPI
    name: str
    url: str

    async def request(self, method: str, path: str, body: Any = None) -> Any:
        return await self.api.request(method, self.url.removeprefix(self.api.hub.url) + path, body)

    async def read_notebook(self, path: str) -> dict[str, Any]:
        """The notebook at *path* (relative to the user's home), via the contents API."""
        model = await self.request("GET", f"/api/contents/{path}?content=1&type=notebook")
        content: dict[str, Any] = model["content"]
        return content

    async def open_notebook(self, path: str) -> Kernel:
        """Open *path* as JupyterLab does (a session: a new kernel whose cwd is the notebook's folder)."""
        session = await self.request(
            "POST", "/api/sessions", {"path": path, "type": "notebook", "kernel": {"name": "python3"}}
        )
        return await Kernel.connect(self, session["kernel"]["id"], session["id"])

    async def close(self, kernel: Kernel) -> None:
        """Shut the kernel down (and end its notebook session), as closing the tab and kernel does."""
        kernel.socket.close()
        await self.request("DELETE", f"/api/sessions/{kernel.session_id}")


@dataclass
class CellRun:
    """What one executed cell printed or returned, and its error if it raised."""

    text: str
    error: dict[str, Any] | None


@dataclass
class Kernel:
    """A kernel's websocket (``/api/kernels/<id>/channels``), through the proxy."""

    server: UserServer
    kernel_id: str
    #: The notebook session's id (the sessions API's, not the websocket client's).
    session_id: str
    socket: WebSocketClientConnection
    #: This client's id in the messages' headers, as each JupyterLab tab has its own.
    client_session: str

    @classmethod
    async def connect(cls, server: UserServer, kernel_id: str, session_id: str) -> Kernel:
        client_session = uuid.uuid4().hex
        url = server.url.replace("http://", "ws://", 1) + f"/api/kernels/{kernel_id}/channels"
        socket = await websocket_connect(
            # The handshake waits for the kernel to be ready: slow when ten start at once.
            HTTPRequest(
                f"{url}?session_id={client_session}",
                headers=server.api.headers(),
                connect_timeout=PATIENCE_S,
                request_timeout=PATIENCE_S,
            ),
            max_message_size=64 * 1024 * 1024,
        )
        return cls(server, kernel_id, session_id, socket, client_session)

    async def run(self, code: str) -> CellRun:
        """Execute *code* like a notebook cell; return once the kernel is idle again."""
        msg_id = uuid.uuid4().hex
        self.socket.write_message(
            json.dumps(
                {
                    "channel": "shell",
                    "header": {
                        "msg_id": msg_id,
                        "msg_type": "execute_request",
                        "username": self.server.name,
                        "session": self.client_session,
                        "date": datetime.now(timezone.utc).isoformat(),
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "content": {
                        "code": code,
                        "silent": False,
                        "store_history": True,
                        "user_expressions": {},
                        "allow_stdin": False,
                        "stop_on_error": True,
                    },
                    "buffers": [],
                }
            )
        )
        texts: list[str] = []
        error: dict[str, Any] | None = None
        replied = idle = False
        while not (replied and idle):
            raw = await asyncio.wait_for(self.socket.read_message(), PATIENCE_S)
            if raw is None:
                raise AssertionError(f"{self.server.name}'s kernel websocket closed while running:\n{code}")
            if isinstance(raw, bytes):
                continue  # binary frames carry widget buffers, never our reply or outputs
            message = json.loads(raw)
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["header"]["msg_type"], message["content"]
            if kind == "stream":
                texts.append(content["text"])
            elif kind in {"execute_result", "display_data"}:
                texts.append(content["data"].get("text/plain", "") + "\n")
            elif kind == "error":
                error = content
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
            elif kind == "execute_reply":
                replied = True
                if content["status"] == "error" and error is None:
                    error = content
        return CellRun("".join(texts), error)


def code_cells(notebook: dict[str, Any]) -> list[str]:
    """The source of every code cell, in order."""
    cells = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    return [cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"]) for cell in cells]
