"""How a lesson notebook gets its mail server: its own `DebugServer`, or the one the environment names.

By default every notebook starts a `DebugServer` inside its own kernel, on loopback, so
nothing leaves the machine. In a classroom an instructor can run ``smtplearn server`` once
and point every notebook at it::

    SMTPLEARN_SERVER=192.0.2.10:8025 SMTPLEARN_CA=/path/to/ca.pem jupyter lab

`SMTPLEARN_SERVER` is ``host:port`` (``[v6-address]:port`` for IPv6); `SMTPLEARN_CA` is
the CA file ``smtplearn server`` prints at start, so that STARTTLS can verify the
instructor's certificate. A remote server's mailbox, session log and switches live in
the instructor's terminal, not in the notebook: `RemoteServer` gives stand-ins that say so
(and where to look), so Run All of a lesson still completes in a classroom.
Lessons that need those, or a server configured their way, ask for their own with
``lesson_server(shared=False)`` or by passing `DebugServer` options.

A lesson's own server runs until the kernel exits, not until the notebook's last cell:
its widgets still need it when a learner clicks them after Run All.
"""

from __future__ import annotations

import atexit
import html
import logging
import os
import ssl
import warnings
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeAlias

from smtplearn.record import Step
from smtplearn.render.theme import MUTED_TEXT
from smtplearn.server.classroom import ENV_CA, ENV_SERVER

if TYPE_CHECKING:
    from smtplearn.client import Client
    from smtplearn.server import DebugServer

__all__ = [
    "ENV_CA",
    "ENV_SERVER",
    "ClassroomStandIn",
    "ClassroomWarning",
    "LessonError",
    "LessonServer",
    "RemoteServer",
    "StepView",
    "client_for",
    "describe",
    "in_classroom",
    "lesson_server",
    "parse_address",
    "show",
    "stand_in",
]

log = logging.getLogger("smtplearn.lesson")


class LessonError(ValueError):
    """The environment names a server, or a CA file, in a form the lesson cannot use."""


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


class ClassroomWarning(UserWarning):
    """A notebook asked to change something that, in classroom mode, only the instructor can change."""


#: What a notebook reads from its server, and where the instructor's terminal shows it
#: (``smtplearn server`` prints each message between "---------- message" lines and each
#: session line as ``[#N] C: ...`` for the client, ``[#N] S: ...`` for the server).
_TERMINAL_SHOWS = {
    "mailbox": ("the mailbox", "your message between its '---------- message … from <…>' and "
                "'---------- end of message' lines"),
    "message": ("the message you sent", "it printed whole between '---------- message' lines"),
    "sessions": ("the session log", "your session's lines: '[#N] C:' what your client sent, "
                 "'[#N] S:' what the server answered"),
    "vrfy": ("the VRFY switch", "'--vrfy refuse' on the command that started the server: "
             "the instructor sets it for the whole class"),
    "mail_from": ("the envelope sender", "'from <…>' in your message's '---------- message' line"),
    "rcpt_tos": ("the envelope recipients", "'to <…>' in your message's '---------- message' line"),
    "subject": ("the Subject", "the 'Subject:' line of your printed message"),
    "raw": ("the message as received", "it printed whole between '---------- message' lines"),
    "tls_version": ("the TLS version", "'C: STARTTLS' then 'S: 220' among your session's lines"),
    "user": ("the logged-in user", "'C: AUTH …' then 'S: 235' among your session's lines"),
}  # fmt: skip


class ClassroomStandIn:
    """What a notebook holds, in classroom mode, for a part of the server that lives elsewhere.

    In classroom mode the mailbox, the session log and the switches belong to the
    instructor's ``smtplearn server``. A lesson cell that reads them still runs: it gets
    this stand-in, whose text says where the real thing is shown and what to look for.
    Reading a field of it, indexing it or calling it gives another stand-in, so
    ``server.mailbox[-1].rcpt_tos`` prints that sentence instead of raising.
    """

    def __init__(self, what: str, look_for: str, yours: str = "") -> None:
        self.what = what
        self.look_for = look_for
        #: The server's reply accepting this notebook's latest message, "" if none is known:
        #: in a class of 300 identical lesson messages, its queue id tells which is yours.
        self.yours = yours

    def __str__(self) -> str:
        yours = f"; the server accepted yours with {self.yours!r}: look for that id" if self.yours else ""
        return (
            f"(classroom mode: for {self.what}, see the instructor's terminal: look for {self.look_for}"
            f"{yours})"
        )

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return f'<p style="color:{MUTED_TEXT}"><em>{html.escape(str(self))}</em></p>'

    def __getattr__(self, name: str) -> ClassroomStandIn:
        if name.startswith("_"):  # Python's and IPython's protocols (_repr_png_, __array__...): absent
            raise AttributeError(name)
        # A field the terminal shows gets its own sentence; anything else (.decode) says the same.
        return stand_in(name, self.yours) if name in _TERMINAL_SHOWS else self

    def __getitem__(self, key: object) -> ClassroomStandIn:
        if isinstance(key, str):  # received.message["To"]
            return ClassroomStandIn(
                f"the {key}: header", f"the '{key}:' line of your printed message", self.yours
            )
        if self.what == _TERMINAL_SHOWS["mailbox"][0]:  # server.mailbox[-1]
            return stand_in("message", self.yours)
        return self

    def __call__(self, *args: object, **kwargs: object) -> ClassroomStandIn:
        return self

    def __iter__(self) -> Iterator[ClassroomStandIn]:
        # list(received.rcpt_tos) shows the sentence once instead of raising.
        return iter([self])

    def __contains__(self, item: object) -> bool:
        return False


def stand_in(part: str, yours: str = "") -> ClassroomStandIn:
    """The stand-in for `part` ("mailbox", "sessions", "vrfy"...) of a server that lives elsewhere.

    `yours` is the reply that accepted this notebook's latest message, if one is known.
    """
    return ClassroomStandIn(*_TERMINAL_SHOWS[part], yours)


def in_classroom() -> bool:
    """Whether this kernel's lessons share an instructor's server (`SMTPLEARN_SERVER` is set)."""
    return bool(os.environ.get(ENV_SERVER, "").strip())


@dataclass
class RemoteServer:
    """A server someone else runs (an instructor's ``smtplearn server``), seen from a notebook.

    It has what a client needs (`host`, `port`, `client_tls_context`). What the notebook
    cannot see, the mailbox, the session log and the VRFY switch, are `ClassroomStandIn`s
    saying where the instructor's terminal shows them; setting a switch changes nothing
    and warns (`ClassroomWarning`) so that Run All still completes.
    """

    host: str
    port: int
    #: The CA to trust for STARTTLS; None means the system's usual trust store.
    ca_pem_path: str | None = None
    #: The clients `client_for` made for this server, to find the replies to their messages.
    _clients: list[weakref.ref[Client]] = field(default_factory=list, init=False, repr=False, compare=False)

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    def client_tls_context(self) -> ssl.SSLContext:
        """A verifying TLS context: trusts `ca_pem_path` if given, else the system's CAs.

        Raises `LessonError` when that file cannot be read as a CA: ``smtplearn server``
        deletes its CA file when it stops and makes a new CA each time it starts, so a
        student's copy is often gone or stale, and ssl's own error does not name the file.
        """
        try:
            return ssl.create_default_context(cafile=self.ca_pem_path)
        except OSError as error:  # ssl.SSLError is an OSError too
            raise LessonError(
                f"{ENV_CA} names {self.ca_pem_path}, which cannot be used as a CA file "
                f"({error.strerror or error}): point {ENV_CA} at a copy of the CA file "
                "`smtplearn server` printed when it last started (it makes a new one each start)"
            ) from error

    def remember(self, client: Client) -> None:
        """Note `client` (made for this server) so its accepted messages can be named."""
        self._clients = [ref for ref in self._clients if ref() is not None]
        self._clients.append(weakref.ref(client))

    def accepted_replies(self) -> tuple[str, ...]:
        """The replies accepting the messages this notebook sent through `client_for`'s clients."""
        clients = [client for ref in self._clients if (client := ref()) is not None]
        return tuple(
            str(step.reply)
            for client in clients
            for step in client.transcript
            if step.command == "DATA" and step.ok and step.reply is not None
        )

    @property
    def mailbox(self) -> ClassroomStandIn:
        accepted = self.accepted_replies()
        return stand_in("mailbox", accepted[-1] if accepted else "")

    @property
    def sessions(self) -> ClassroomStandIn:
        return stand_in("sessions")

    @property
    def vrfy(self) -> ClassroomStandIn:
        return stand_in("vrfy")

    @vrfy.setter
    def vrfy(self, mode: str) -> None:
        # A warning, not an error: the lesson's next cells still run against the shared server.
        warnings.warn(
            ClassroomWarning(
                f"classroom mode: server.vrfy = {mode!r} changes nothing. The VRFY switch belongs to the "
                f"server at {self.host}:{self.port}, which answers VRFY as the instructor started it "
                "(`smtplearn server --vrfy refuse` answers 252)."
            ),
            stacklevel=2,
        )

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
    client = Client(server.host, server.port, **options)
    if isinstance(server, RemoteServer):
        server.remember(client)
    return client


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
