"""The server never prints: hostile endings of a session leave stderr empty, in every TLS mode.

Each case runs a DebugServer in a child process (so nothing of pytest's own logging capture
stands between the server and the real stderr), lets a raw client misbehave, and asserts the
child wrote nothing at all to stderr.
"""

from __future__ import annotations

import logging
import socket
import struct
import subprocess
import sys
import textwrap

import pytest
from hardening_support import RawSession

from smtplearn.server import DebugServer

# The child: a server in the given TLS mode, and a client that reaches a state where it can
# pipeline (after STARTTLS in that mode), then runs the named misbehaviour.
CHILD = textwrap.dedent(
    """
    import socket, struct, sys
    from smtplearn.server import DebugServer

    mode, case = sys.argv[1], sys.argv[2]
    with DebugServer(tls=False if mode == "none" else mode) as server:
        context = server.client_tls_context() if mode != "none" else None
        sock = socket.create_connection(server.address)
        if mode == "implicit":
            sock = context.wrap_socket(sock, server_hostname="127.0.0.1")
        received = b""

        def reply():
            global received
            while b"\\r\\n" not in received or received.split(b"\\r\\n")[-2][3:4] == b"-":
                received += sock.recv(65536)
            line, received = received, b""
            return line

        reply()
        if mode == "starttls":
            sock.sendall(b"EHLO pc\\r\\n"); reply()
            sock.sendall(b"STARTTLS\\r\\n"); reply()
            sock = context.wrap_socket(sock, server_hostname="127.0.0.1")
        if case == "pipeline-then-close":
            sock.sendall(b"EHLO pc\\r\\n" + b"NOOP\\r\\n" * 3000)
        elif case == "pipeline-then-reset":
            sock.sendall(b"EHLO pc\\r\\n" + b"NOOP\\r\\n" * 3000)
            # SO_LINGER 0: close() sends a TCP reset instead of a goodbye.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif case == "close-inside-data":
            sock.sendall(
                b"EHLO pc\\r\\nMAIL FROM:<a@example.com>\\r\\nRCPT TO:<b@example.com>\\r\\n"
                b"DATA\\r\\nSubject: cut\\r\\n\\r\\n" + b"line\\r\\n" * 2000
            )
        sock.close()
        server.sessions[-1].wait_closed(30)
    """
)


@pytest.mark.parametrize("case", ["pipeline-then-close", "pipeline-then-reset", "close-inside-data"])
@pytest.mark.parametrize("mode", ["none", "starttls", "implicit"])
def test_a_client_that_goes_away_makes_the_server_print_nothing(mode: str, case: str) -> None:
    child = subprocess.run(
        [sys.executable, "-c", CHILD, mode, case], capture_output=True, text=True, timeout=120
    )
    assert child.returncode == 0, child.stderr[-2000:]
    assert child.stderr == ""


@pytest.mark.parametrize("mode", ["none", "starttls", "implicit"])
def test_after_a_reset_the_server_stops_answering_at_once(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Not only quiet: the server notices the reset before its next reply. asyncio reports
    # writes to a lost connection from the fifth on, so any record at all means the
    # server went on answering buffered commands for a client that had gone.
    caplog.set_level(logging.DEBUG, logger="smtplearn.server")
    with DebugServer(tls=False if mode == "none" else mode) as server:
        with RawSession(server.address) as session:
            if mode == "implicit":
                context = server.client_tls_context()
                session.sock = context.wrap_socket(session.sock, server_hostname="127.0.0.1")
            session.greet()
            if mode == "starttls":
                session.starttls(server.client_tls_context(), "127.0.0.1")
            session.send(b"NOOP\r\n" * 3000)
            session.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        server.sessions[-1].wait_closed(30)
    assert [r.getMessage() for r in caplog.records if r.getMessage().startswith("asyncio")] == []
