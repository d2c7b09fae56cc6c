"""How a lesson notebook gets its mail server: its own `DebugServer`, or the one the environment names.

By default every notebook starts a `DebugServer` inside its own kernel, on loopback, so
nothing leaves the machine. In a classroom an instructor can run ``smtplearn server`` once
and point every notebook at it::

    SMTPLEARN_SERVER=192.0.2.10:8025 SMTPLEARN_CA=/path/to/ca.pem jupyter lab

`SMTPLEARN_SERVER` is ``host:port`` (``[v6-address]:port`` for IPv6); `SMTPLEARN_CA` is
the CA file ``smtplearn server`` prints at start, so that STARTTLS can verify the
instructor's certificate. A remote server's mailbox, session log and switches live in
the instructor's terminal, not in the notebook: `RemoteServer` says so when asked for them.
Lessons that need those, or a server configured their way, ask for their own with
``lesson_server(shared=False)`` or by passing `DebugServer` options.

A lesson's own server runs until the kernel exits, not until the notebook's last cell:
its widgets still need it when a learner clicks them after Run All.
"""

from __future__ import annotations

import atexit
import logging
import os
import ssl
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias

from smtplearn.record import Step

if TYPE_CHECKING:
    from smtplearn.client import Client
    from smtplearn.server import DebugServer

__all__ = [
    "ENV_CA",
    "ENV_SERVER",
    "LessonError",
    "LessonServer",
    "RemoteServer",
    "StepView",
    "client_for",
    "describe",
    "lesson_server",
    "parse_address",
    "show",
]

log = logging.getLogger("smtplearn.lesson")

#: ``host:port`` of a server to use instead of starting a DebugServer in the kernel.
ENV_SERVER = "SMTPLEARN_SERVER"
#: Path of the PEM file with the CA that signed the remote server's certificate.
ENV_CA = "SMTPLEARN_CA"


class LessonError(AttributeError):
    """A lesson asked for something its server cannot give (e.g. a remote server's mailbox).

    An `AttributeError`, so ``hasattr(server, "mailbox")`` is simply False for a remote
    server and code written for either kind of server can ask before it uses one.
    """


def parse_address(value: str) -> tuple[str, int]:
    """Split ``"host:port"`` or ``"[::1]:port"`` into a host and a port number."""
    host, sep, port_text = value.strip().rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise LessonError(
            f"{ENV_SERVER} must look like host:port (for example 127.0.0.1:8025), not {value!r}"
        )
    return host, int(port_text)


@dataclass
class RemoteServer:
    """A server someone else runs (an instructor's ``smtplearn server``), seen from a notebook.

    It has what a client needs (`host`, `port`, `client_tls_context`) and nothing the
    notebook cannot see: asking for the mailbox or a server switch raises `LessonError`.
    """

    host: str
    port: int
    #: The CA to trust for STARTTLS; None means the system's usual trust store.
    ca_pem_path: str | None = None

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    def client_tls_context(self) -> ssl.SSLContext:
        """A verifying TLS context: trusts `ca_pem_path` if given, else the system's CAs."""
        return ssl.create_default_context(cafile=self.ca_pem_path)

    @property
    def mailbox(self) -> NoReturn:
        self._lives_elsewhere("the mailbox")

    @property
    def sessions(self) -> NoReturn:
        self._lives_elsewhere("the session log")

    @property
    def vrfy(self) -> NoReturn:
        self._lives_elsewhere("the VRFY switch")

    @vrfy.setter
    def vrfy(self, mode: str) -> NoReturn:
        self._lives_elsewhere("the VRFY switch")

    def stop(self) -> None:
        """Nothing to stop: the server belongs to whoever started it."""

    def __enter__(self) -> RemoteServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _lives_elsewhere(self, what: str) -> NoReturn:
        raise LessonError(
            f"{what} lives on the server at {self.host}:{self.port}, not in this notebook: "
            f"look at the terminal running `smtplearn server`, or unset {ENV_SERVER} to have "
            "the notebook start its own DebugServer"
        )


#: What `lesson_server` returns: a running DebugServer, or a `RemoteServer`.
LessonServer: TypeAlias = "DebugServer | RemoteServer"


def lesson_server(*, shared: bool = True, **options: Any) -> LessonServer:
    """The server a lesson talks to: the one `SMTPLEARN_SERVER` names, or a `DebugServer` of its own.

    The named server is used only when the lesson can share it: ``shared=True`` (the
    default) and no `options`. A lesson that configures its server (`options`, passed to
    `DebugServer`) or needs its mailbox, session log or faults (``shared=False``) always
    gets a started `DebugServer` of its own, since nobody else's server could be set up
    for it. That server stops when the interpreter (the notebook's kernel) exits; call
    ``server.stop()`` to stop it sooner. For a remote server ``stop()`` does nothing.
    """
    named = os.environ.get(ENV_SERVER, "").strip()
    if named and shared and not options:
        host, port = parse_address(named)
        return RemoteServer(host, port, os.environ.get(ENV_CA, "").strip() or None)
    if named:
        log.info("%s is set, but this lesson needs a server of its own: starting a DebugServer", ENV_SERVER)
    from smtplearn.server import DebugServer

    server = DebugServer(**options)
    server.start()
    # No notebook cell stops the server, because Run All would run that cell and leave the
    # widgets clicking at a closed port; the kernel's exit does. The server thread is a
    # daemon, so it never holds that exit up, and stop() is safe to repeat after a manual one.
    atexit.register(server.stop)
    return server


def client_for(server: LessonServer, **options: Any) -> Client:
    """A `Client` for `server` that verifies its certificate with the server's CA.

    `options` go to `Client` (e.g. ``strict=False``); `tls_context` defaults to
    ``server.client_tls_context()``. The client is not connected yet.
    """
    from smtplearn.client import Client

    options.setdefault("tls_context", server.client_tls_context())
    return Client(server.host, server.port, **options)


def describe(server: LessonServer) -> str:
    """One line saying which server the lesson talks to (deterministic but for the port)."""
    if isinstance(server, RemoteServer):
        return (
            f"Using the server named by {ENV_SERVER}: {server.host}:{server.port} "
            "(its mailbox and switches live with whoever runs it)."
        )
    return (
        f"A DebugServer named {server.hostname} is running inside this kernel "
        f"on {server.host}:{server.port}; nothing leaves this machine."
    )


@dataclass(frozen=True)
class StepView:
    """A step as a lesson shows it: the lines sent and received, then what they mean.

    Its text form holds only what is the same on every run (a `Step`'s own repr carries
    its elapsed time), so notebooks can store it and nbval can compare it.
    """

    step: Step

    def __str__(self) -> str:
        from smtplearn.render.text import arrows

        return f"{arrows([self.step])}\n\n{self.step.explain()}"

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        from smtplearn.render.html import step_html

        # The explanation once, already open (the text form prints it under the lines too).
        return step_html(self.step, opened=True)


def show(step: Step) -> StepView:
    """Show `step` in a notebook: its wire lines with ``step.explain()`` beneath them."""
    return StepView(step)
