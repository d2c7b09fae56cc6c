"""The DebugServer sends small replies at once (TCP_NODELAY), so pipelined replies are not held back.

Without it, each reply of a pipelined group after the first waited ~40 ms for the client's
delayed ACK (Nagle's algorithm), and PIPELINING was slower than none; bench/run.py B1–B3
showed it. The socket option is what is checked here: tests do not time.
"""

from __future__ import annotations

import socket

import pytest
from hardening_support import RawSession

from smtplearn.server import DebugServer


@pytest.mark.parametrize("tls", ["starttls", "implicit", False])
def test_every_accepted_connection_has_nagle_off(tls: str | bool) -> None:
    with DebugServer(tls=tls) as server, RawSession(server.address) as session:  # type: ignore[arg-type]
        if tls == "implicit":
            session.sock = server.client_tls_context().wrap_socket(session.sock, server_hostname=server.host)
        session.expect(220)
        (connection,) = server._state.connections
        sock = connection.transport.get_extra_info("socket")
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
