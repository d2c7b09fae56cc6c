"""The one place that touches aiosmtpd's (and asyncio's) private names.

aiosmtpd's public API cannot serve a socket we bound ourselves, replace its idle timer,
wrap its stream reader or its command table, nor end a session's task; its private methods
and attributes can. Each use is here, behind a small named hook or helper, so that the rest
of `smtplearn.server` reads only public names. `PRIVATE_NAMES` lists every private name
this module relies on; ``tests/server/test_aiosmtpd_adapter.py`` checks each one exists on
the installed aiosmtpd and asyncio (naming the one a release renamed) and that this module
uses no private name the list leaves out.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Session


class PrivateName(NamedTuple):
    """A private attribute of `owner` ("module:Class") that this module relies on."""

    owner: str
    name: str
    why: str


_SMTP = "aiosmtpd.smtp:SMTP"
_CONTROLLER = "aiosmtpd.controller:Controller"
_STREAM_READER = "asyncio:StreamReader"
#: Connections the kernel holds for the server to accept (capped by net.core.somaxconn).
#: asyncio's default of 100 is less than a class connecting at once: when the queue is full,
#: Linux drops the handshake's last ACK, the client believes it is connected and waits for a
#: greeting that never comes (bench B6 saw students hang until their timeout).
LISTEN_BACKLOG = 1024

#: Every private name of aiosmtpd and asyncio that this module overrides or reads.
PRIVATE_NAMES: tuple[PrivateName, ...] = (
    PrivateName(_SMTP, "_create_session", "SMTPAdapter.new_session: our Session subclass"),
    PrivateName(_SMTP, "_cb_client_connected", "SMTPAdapter.wrap_reader: wrap the stream reader"),
    PrivateName(_SMTP, "_handle_client", "SMTPAdapter.before_session: caps and CONNECT faults"),
    PrivateName(_SMTP, "_reset_timeout", "SMTPAdapter.reset_idle_timer: our idle timer"),
    PrivateName(_SMTP, "_timeout_handle", "SMTPAdapter.set_idle_timer, idle_timer_pending"),
    PrivateName(_SMTP, "_original_transport", "SMTPAdapter.socket_transport after STARTTLS"),
    PrivateName(_SMTP, "_handler_coroutine", "SMTPAdapter.cancel_session_task"),
    PrivateName(_SMTP, "_smtp_methods", "SMTPAdapter.wrap_command_methods"),
    PrivateName(_SMTP, "_reader", "SMTPAdapter.stream_reader (set per connection)"),
    PrivateName(_CONTROLLER, "_create_server", "SocketController: serve our bound socket"),
    PrivateName(_CONTROLLER, "_factory_invoker", "SocketController: the protocol factory"),
    PrivateName(_CONTROLLER, "_trigger_server", "SocketController.check_server_answers"),
    PrivateName(_CONTROLLER, "_thread", "SocketController.server_thread"),
    PrivateName(_STREAM_READER, "_buffer", "has_buffered_data"),
)


def has_buffered_data(reader: asyncio.StreamReader) -> bool:
    """True when data the client sent is waiting in `reader`: the next read will not wait."""
    # StreamReader has no public way to ask; aiosmtpd itself clears `_buffer` on STARTTLS.
    return bool(reader._buffer)  # type: ignore[attr-defined]


CommandMethod = Callable[[Any], Awaitable[None]]


class SMTPAdapter(SMTP):
    """aiosmtpd's SMTP protocol with its private seams turned into named hooks.

    Override the hooks (`new_session`, `wrap_reader`, `before_session`, `reset_idle_timer`)
    and call the helpers; never the private names themselves.
    """

    # -- hooks ------------------------------------------------------------------------

    def new_session(self) -> Session:
        """The Session object for a new connection."""
        return super()._create_session()

    def wrap_reader(self, reader: asyncio.StreamReader) -> asyncio.StreamReader:
        """The reader aiosmtpd reads the connection with (it calls readuntil, readline, read)."""
        return reader

    async def before_session(self) -> bool:
        """Runs before the greeting; True when it ended the session instead."""
        return False

    def reset_idle_timer(self, duration: float | None) -> None:
        """Called when a connection starts and after each valid command (aiosmtpd's timer)."""
        super()._reset_timeout(duration)

    # -- helpers ----------------------------------------------------------------------

    def set_idle_timer(self, when: float, callback: Callable[[], None]) -> None:
        """Call `callback` at loop time `when` instead of any earlier idle timer."""
        # Kept where aiosmtpd keeps its own, so that it cancels it when the connection goes.
        if self._timeout_handle is not None:
            self._timeout_handle.cancel()
        self._timeout_handle = self.loop.call_at(when, callback)

    def idle_timer_pending(self) -> bool:
        """True while an idle timer is set and has not fired yet."""
        handle = self._timeout_handle
        return handle is not None and not handle.cancelled() and handle.when() > self.loop.time()

    @property
    def socket_transport(self) -> asyncio.BaseTransport | None:
        """The socket's own transport: after STARTTLS it sits under the TLS one."""
        return self._original_transport or self.transport

    @property
    def stream_reader(self) -> asyncio.StreamReader:
        """The reader of this connection (as `wrap_reader` returned it)."""
        reader: asyncio.StreamReader = self._reader
        return reader

    def wrap_command_methods(self, wrap: Callable[[str, CommandMethod], CommandMethod]) -> None:
        """Replace each command method (by verb) with `wrap(verb, method)`."""
        self._smtp_methods = {verb: wrap(verb, method) for verb, method in self._smtp_methods.items()}

    def cancel_session_task(self) -> None:
        """Cancel the task that reads and answers this connection's commands."""
        assert self._handler_coroutine is not None
        self._handler_coroutine.cancel()

    # -- aiosmtpd's private methods, each handed to its hook ---------------------------

    def _create_session(self) -> Session:
        return self.new_session()

    def _cb_client_connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        super()._cb_client_connected(self.wrap_reader(reader), writer)

    async def _handle_client(self) -> None:
        if await self.before_session():
            return
        await super()._handle_client()

    def _reset_timeout(self, duration: float | None = None) -> None:
        self.reset_idle_timer(duration)


class SocketController(Controller):
    """aiosmtpd's threaded Controller serving a listening socket bound beforehand.

    The stock Controller binds ``hostname:port`` inside its thread, so port 0 cannot work:
    nobody learns which port the kernel chose. Binding first gives the real port before the
    thread starts, and no two servers can ever pick the same one.
    """

    def __init__(self, handler: Any, sock: socket.socket, **kwargs: Any) -> None:
        host, port = sock.getsockname()[:2]
        super().__init__(handler, hostname=host, port=port, **kwargs)
        self.listening_socket = sock

    # -- hooks ------------------------------------------------------------------------

    def on_server_thread(self) -> None:
        """Called on the server thread before the loop serves anyone."""

    def tls_handshake_timeout(self) -> float | None:
        """How long a TLS-from-the-first-byte handshake may take; None: asyncio's default."""
        return None

    def check_server_answers(self) -> None:
        """Called once the server runs: connect to it and check it answers."""
        super()._trigger_server()  # type: ignore[no-untyped-call]

    # -- helpers ----------------------------------------------------------------------

    @property
    def server_thread(self) -> threading.Thread | None:
        """The thread the server's loop runs on, None when it is not started."""
        return self._thread

    # -- aiosmtpd's private methods, each handed to its hook ---------------------------

    def _create_server(self) -> Any:
        self.on_server_thread()
        if self.ssl_context is None:
            return self.loop.create_server(
                self._factory_invoker, sock=self.listening_socket, backlog=LISTEN_BACKLOG
            )
        return self.loop.create_server(
            self._factory_invoker,
            sock=self.listening_socket,
            backlog=LISTEN_BACKLOG,
            ssl=self.ssl_context,
            ssl_handshake_timeout=self.tls_handshake_timeout(),
        )

    def _trigger_server(self) -> None:
        self.check_server_answers()
