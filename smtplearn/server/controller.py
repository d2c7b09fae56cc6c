"""`DebugController`: the thread that runs one DebugServer's aiosmtpd loop on its bound socket."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from contextlib import ExitStack, suppress
from typing import Any

from smtplearn.server.aiosmtpd_adapter import SocketController
from smtplearn.server.handler import DebugHandler
from smtplearn.server.protocol import DebugSMTP
from smtplearn.server.quiet import forget_thread, quiet_loop
from smtplearn.server.state import ServerState

#: How long start() waits for the server thread; generous for a busy shared JupyterHub.
READY_TIMEOUT = 10.0


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
        # against our own CA, and the check's session is no learner's: it is hidden.
        # aiosmtpd's start() swallows a timeout here, so the session is hidden whatever the
        # outcome, and the wait is long: a 5 s wait that timed out on a loaded machine would
        # leave the check's connection counted against the caps (the likely cause of a 301st
        # connection counted once in CI).
        with ExitStack() as stack:
            conn = stack.enter_context(socket.create_connection((self.hostname, self.port), READY_TIMEOUT))
            check_peer = conn.getsockname()[:2]
            try:
                if self.ssl_context is not None and self._check_context is not None:
                    conn = stack.enter_context(
                        self._check_context.wrap_socket(conn, server_hostname=self.hostname)
                    )
                conn.recv(1024)
            finally:
                stack.close()
                self._hide_session_from(check_peer)

    def _hide_session_from(self, peer: tuple[str, int]) -> None:
        for session in self._state.sessions:
            if session.peer == peer:
                # Until the server has seen the check's connection end, it holds one of
                # max_sessions' places: a class arriving at once was refused one too many.
                # On a machine too busy for that, it is still no learner's session: hidden.
                with suppress(TimeoutError):
                    session.wait_closed(READY_TIMEOUT)
                self._state.sessions._forget(session)
