"""Nobody can lock a class out: connection caps, and idle sessions closed with 421 4.4.2.

Over raw sockets; every wait is for an event (a reply, the server closing), bounded by
pytest-timeout, never a timed assertion.
"""

from __future__ import annotations

import argparse
import select
import smtplib
import socket
import subprocess
import sys
import threading
import time
from typing import Literal

import pytest
from held_loop import loop_held

from smtplearn.server import DebugServer
from smtplearn.server import controller as controller_module
from smtplearn.server.console import add_arguments, build_server
from smtplearn.server.limits import ConnectionLimits


def _connect(server: DebugServer, source: str = "127.0.0.1") -> socket.socket:
    return socket.create_connection(server.address, timeout=60, source_address=(source, 0))


def _read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while data := sock.recv(65536):
        received += data
    return received


def _send_one(server: DebugServer, source: str) -> tuple[int, bytes]:
    with smtplib.SMTP(*server.address, timeout=30, source_address=(source, 0)) as client:
        client.ehlo("pc")
        client.sendmail("a@example.com", ["b@example.com"], b"Subject: got through\r\n\r\nhi\r\n")
        return client.noop()


@pytest.mark.timeout(30)
def test_idle_sockets_holding_every_place_of_an_address_do_not_lock_the_class_out() -> None:
    # One student (or a whole class behind the same NAT address) holds every session one
    # address may have, idle. The crowd has an address of its own (all of 127/8 is loopback),
    # so nothing else this process runs from 127.0.0.1 can take one of its places; the caps
    # are the test's own, the defaults from before they were sized for a class of 300.
    crowd, nat = 100, "127.0.0.3"
    with DebugServer(max_sessions_per_address=crowd, max_sessions=2 * crowd) as server:
        idle = [_connect(server, source=nat) for _ in range(crowd)]
        greetings = [sock.makefile("rb").readline() for sock in idle]
        # CI twice saw one connection too many counted here: if it comes back, name it.
        strangers = [str(s) for s in server.sessions if s.peer[0] != nat]
        assert all(g.startswith(b"220 ") for g in greetings), (greetings, strangers)
        let_go: dict[socket.socket, bytes] = {}
        try:
            # A normal client gets in at once, or is told why not and gets in as soon as
            # some of the crowd is let go: the server is under stress, so idle sessions
            # have seconds, not minutes.
            while True:
                try:
                    assert _send_one(server, source=nat)[0] == 250
                    break
                except smtplib.SMTPConnectError as refused:
                    assert refused.smtp_code == 421
                    assert b"Too many concurrent sessions from 127.0.0.3" in refused.smtp_error
                    waiting = [sock for sock in idle if sock not in let_go]
                    readable, _, _ = select.select(waiting, [], [])
                    let_go.update((sock, _read_all(sock)) for sock in readable)
            assert [m.subject for m in server.mailbox] == ["got through"]
            # Never a silent close: each session let go heard why.
            assert let_go
            for heard in let_go.values():
                assert heard.startswith(b"421 4.4.2 mail.example.test No command for 10 s while the")
                assert heard.endswith(b"server is busy, closing the connection\r\n")
        finally:
            for sock in idle:
                sock.close()


def test_over_the_per_address_cap_gets_421_and_other_addresses_get_in() -> None:
    with DebugServer(max_sessions_per_address=2, stress_timeout=60) as server:
        held = [_connect(server) for _ in range(2)]
        for sock in held:
            assert sock.recv(1024).startswith(b"220 ")
        with _connect(server) as third:
            assert _read_all(third) == (
                b"421 4.7.0 mail.example.test Too many concurrent sessions from 127.0.0.1 "
                b"(at most 2), try again later\r\n"
            )
        with _connect(server, source="127.0.0.2") as neighbour:
            assert neighbour.recv(1024).startswith(b"220 ")
        for sock in held:
            sock.close()


@pytest.mark.timeout(30)
def test_an_idle_session_is_told_before_it_is_closed() -> None:
    with DebugServer(idle_timeout=0.5) as server, _connect(server) as sock:
        assert _read_all(sock).split(b"\r\n")[1:] == [
            b"421 4.4.2 mail.example.test No command for 0.5 s, closing the connection",
            b"",
        ]
        server.sessions[-1].wait_closed()
        assert str(server.sessions[-1]).splitlines()[-3:] == [
            "S: 421 4.4.2 mail.example.test No command for 0.5 s, closing the connection",
            "-- server closes an idle connection",
            "-- connection closed",
        ]


@pytest.mark.timeout(30)
def test_a_session_that_talks_stays_and_patience_returns_after_the_stress() -> None:
    with DebugServer(max_sessions=5, stress_timeout=0.5, idle_timeout=60) as server:
        crowd = [_connect(server) for _ in range(3)]
        for sock in crowd:
            assert sock.recv(1024).startswith(b"220 ")
        with _connect(server, source="127.0.0.2") as busy:  # 4 of 5: under stress
            reader = busy.makefile("rb")
            assert reader.readline().startswith(b"220 ")
            # A command every 0.1 s keeps a session alive under stress...
            for _ in range(15):
                busy.sendall(b"NOOP\r\n")
                assert reader.readline() == b"250 2.0.0 OK\r\n"
                time.sleep(0.1)
            # ...while the crowd, silent for more than 0.5 s, is told and let go until the
            # stress is over (3 of 5 sessions): those left may idle for 60 s again.
            let_go, _, _ = select.select(crowd, [], [])
            for sock in let_go:
                assert _read_all(sock).startswith(b"421 4.4.2 mail.example.test No command for 0.5 s")
            for log in server.sessions:
                if "-- server closes an idle connection" in str(log).splitlines():
                    log.wait_closed()
            # Not a timed assertion: a stressed server would close this session after 0.5 s.
            time.sleep(1)
            busy.sendall(b"NOOP\r\n")
            assert reader.readline() == b"250 2.0.0 OK\r\n"
            reader.close()
        for sock in crowd:
            sock.close()


@pytest.mark.timeout(30)
def test_a_slow_drip_counts_as_idle() -> None:
    # One byte at a time never completes a line: the client is idle however busy it looks.
    with DebugServer(idle_timeout=1) as server, _connect(server) as sock:
        sock.recv(1024)
        with pytest.raises(OSError):
            for byte in b"NOOP" * 100:
                sock.send(bytes([byte]))
                time.sleep(0.1)
        server.sessions[-1].wait_closed()
        assert (
            "S: 421 4.4.2 mail.example.test No command for 1 s, closing the connection"
            in str(server.sessions[-1]).splitlines()
        )


@pytest.mark.timeout(30)
def test_a_half_finished_data_is_closed_and_stores_nothing() -> None:
    with DebugServer(idle_timeout=0.5) as server, _connect(server) as sock:
        sock.sendall(
            b"EHLO pc\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n"
            b"Subject: never finished\r\n\r\nhalf\r\n"
        )
        replies = _read_all(sock)
        assert replies.endswith(
            b"354 End data with <CR><LF>.<CR><LF>\r\n" + b"421 4.4.2 mail.example.test "
            b"No command for 0.5 s, closing the connection\r\n"
        )
        server.sessions[-1].wait_closed()
        assert server.mailbox[:] == []


@pytest.mark.timeout(60)
def test_a_client_that_never_reads_cannot_keep_its_slot() -> None:
    with DebugServer(idle_timeout=0.5, stress_timeout=0.5) as server, socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(server.address)
        sock.settimeout(30)
        # Commands, never reading a reply: the server's writes back up until it stops
        # reading too, idles, and (its 421 undeliverable) drops the connection.
        with pytest.raises(ConnectionResetError):
            while True:
                sock.sendall(b"EHLO pc\r\n" * 1000)
        server.sessions[-1].wait_closed()
        assert str(server.sessions[-1]).splitlines()[-2:] == [
            "-- server closes an idle connection",
            "-- connection closed",
        ]


def test_limits_are_validated() -> None:
    # DebugServer checks every setting as it is given (smtplearn.server.settings), naming it.
    for bad in ({"max_sessions": 0}, {"max_sessions_per_address": -1}, {"stress_timeout": 0}):
        (name,) = bad
        with pytest.raises(ValueError, match=rf"^{name} must be (at least 1|more than 0)"):
            DebugServer(**bad)  # type: ignore[arg-type]
    # ConnectionLimits built on its own checks itself too.
    with pytest.raises(ValueError, match="must be a positive number"):
        ConnectionLimits(max_sessions=0)


def test_command_line_options_reach_the_limits() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert build_server(parser.parse_args([])).limits == ConnectionLimits()
    args = ["--max-sessions", "40", "--max-sessions-per-address", "30", "--idle-timeout", "120"]
    server = build_server(parser.parse_args([*args, "--stress-timeout", "5"]))
    assert server.limits == ConnectionLimits(40, 30, 120.0, 5.0)
    usage = subprocess.run(
        [sys.executable, "-m", "smtplearn.server.console", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    for option in ("--max-sessions", "--max-sessions-per-address", "--idle-timeout", "--stress-timeout"):
        assert option in usage


@pytest.mark.timeout(30)
def test_a_tls_handshake_that_never_comes_does_not_hold_a_socket() -> None:
    # With implicit TLS a connection is no session until its handshake is done, so no cap
    # or idle timer covers it: the handshake itself must not wait long.
    with DebugServer(tls="implicit", stress_timeout=0.5) as server, _connect(server) as sock:
        assert _read_all(sock) == b""


@pytest.mark.parametrize("tls", [False, "implicit"])
def test_the_start_up_check_holds_no_place_once_start_returns(tls: Literal[False, "implicit"]) -> None:
    # start() connects once to check the server answers. Until the server had seen that
    # connection end it counted against max_sessions, so the first of a class arriving
    # at once could be refused (it was, in CI). What the server counts is private; the
    # refusal it caused was a race, so the count is what this test reads. A listener added
    # before start() hears nothing of the check either: it was never a session.
    heard: list[str] = []
    server = DebugServer(max_sessions=1, tls=tls)
    server.sessions.add_listener(lambda session, event: heard.append(event.text))
    with server:
        assert len(server._state.connections) == 0
        assert len(server.sessions) == 0
        assert heard == []
        with _connect(server) as first:
            if not tls:
                assert first.makefile("rb").readline().startswith(b"220 ")


def test_a_start_up_check_the_server_takes_late_is_still_no_session(monkeypatch: pytest.MonkeyPatch) -> None:
    # On a busy machine start()'s check may give up waiting for the greeting (aiosmtpd then
    # goes on); the server takes that connection later, and it must still be no session.
    # The same check is made here while the server's loop is held, with a short wait.
    monkeypatch.setattr(controller_module, "READY_TIMEOUT", 0.2)
    with DebugServer() as server:
        controller = server._controller
        assert controller is not None
        with loop_held(server), pytest.raises(TimeoutError):
            controller.check_server_answers()
        with _connect(server) as learner:
            assert learner.recv(1024).startswith(b"220 ")
            (session,) = server.sessions.wait_for(1)
            assert session.number == 1 and session.peer == learner.getsockname()[:2]


def test_sessions_wait_for_a_connection_the_server_has_not_taken_yet() -> None:
    with DebugServer() as server:
        with loop_held(server) as release, _connect(server):
            assert len(server.sessions) == 0  # connected, and not yet a session
            threading.Timer(0.3, release.set).start()
            (session,) = server.sessions.wait_for(1)
            assert session.events[0].text.startswith("connection from 127.0.0.1:")
        with pytest.raises(TimeoutError, match=r"waited 0.1 s for 2 session\(s\), the server has seen 1"):
            server.sessions.wait_for(2, timeout=0.1)
        server.sessions.clear()
        with pytest.raises(TimeoutError, match="the server has seen 0"):
            server.sessions.wait_for(1, timeout=0.1)
