"""`DebugController`: the thread that runs one DebugServer's aiosmtpd loop on its bound socket."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from contextlib import ExitStack
from typing import Any

from smtplearn.server.aiosmtpd_adapter import SocketController
from smtplearn.server.handler import DebugHandler
from smtplearn.server.protocol import DebugSMTP
from smtplearn.server.quiet import forget_thread, quiet_loop
from smtplearn.server.state import ServerState

#: How long start() waits for the server thread; generous for a busy shared JupyterHub.
READY_TIMEOUT = 10.0
#: Where start() checks a server listening on every address from.
_WILDCARD_LOOPBACK = {"0.0.0.0": "127.0.0.1", "::": "::1"}


class DebugController(SocketController):
    """aiosmtpd's threaded Controller serving a DebugServer's socket with `DebugSMTP` sessions.

    Binding the socket before the thread starts (port 0 allowed) gives the real port at
    once, and no two servers can ever pick the same one.
    """

    def __init__(
        self,
        state: ServerState,
        sock: socket.socket,
        *,
        implicit_tls: ssl.SSLContext | None,
        check_context: ssl.SSLContext | None,
        **smtp_kwargs: Any,
    ) -> None:
        super().__init__(
            DebugHandler(state),
            sock,
            ssl_context=implicit_tls,
            ready_timeout=READY_TIMEOUT,
            **smtp_kwargs,
        )
        self._state = state
        self._check_context = check_context
        self._loop_thread: int | None = None

    def factory(self) -> DebugSMTP:
        kwargs = dict(self.SMTP_kwargs)
        # Read per connection, so a SizeLimit fault added at run time applies to the next one.
        kwargs["data_size_limit"] = self._state.faults.size_limit(self._state.size_limit)
        return DebugSMTP(self.handler, self._state, loop=self.loop, **kwargs)

    def on_server_thread(self) -> None:
        self._loop_thread = threading.get_ident()
        quiet_loop(self.loop)

    def tls_handshake_timeout(self) -> float:
        # Until its TLS handshake is done a connection is no session: it counts against no
        # cap and has no idle timer. A handshake takes milliseconds; one that takes longer
        # than a stressed server's idle allowance is a client holding a socket (asyncio's
        # default would let it for 60 s).
        return self._state.limits.stress_timeout

    def stop(self, no_assert: bool = False) -> None:
        # aiosmtpd's stop cancels the sessions and stops the loop at once, which leaves a
        # TLS connection's socket open (its close needs the loop) and warns at exit. Drop
        # every connection first, while the loop still runs.
        if self.server_thread is not None and self.loop.is_running():
            closing = asyncio.run_coroutine_threadsafe(self._drop_connections(), self.loop)
            closing.result(READY_TIMEOUT)
        super().stop(no_assert)
        forget_thread(self._loop_thread)

    async def _drop_connections(self) -> None:
        if self.server is not None:
            self.server.close()
        connections = list(self._state.connections)
        for connection in connections:
            connection.abort()
        if connections:
            await asyncio.wait([c.lost for c in connections], timeout=READY_TIMEOUT)

    def runs_this_thread(self) -> bool:
        """True when called on the server's own thread (a listener's code runs there)."""
        return self.server_thread is threading.current_thread()

    def check_server_answers(self) -> None:
        # Same check as aiosmtpd's (read the greeting), but the TLS handshake is verified
        # against our own CA, and the check's connection is no learner's: the server is told
        # its address before it connects, so it never counts against a cap or opens a session.
        # (Hiding it afterwards raced: until the server saw it end, it held a place.)
        host = self.hostname
        # Bound before it connects, so its address is known first: to a wildcard's loopback.
        local = _WILDCARD_LOOPBACK.get(host, host)
        with ExitStack() as stack:
            conn = stack.enter_context(socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET))
            conn.settimeout(READY_TIMEOUT)
            conn.bind((local, 0))
            # The server clears it when it takes the connection (see DebugSMTP.connection_made).
            self._state.start_up_check = conn.getsockname()[:2]
            try:
                conn.connect((local, self.port))
            except BaseException:
                self._state.start_up_check = None  # never connected: the server will not see it
                raise
            if self.ssl_context is not None and self._check_context is not None:
                conn = stack.enter_context(self._check_context.wrap_socket(conn, server_hostname=host))
            conn.recv(1024)
