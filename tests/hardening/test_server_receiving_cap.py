"""Messages being received at once are capped: 400 sessions each sending 10 MiB hold no 4 GiB.

Each session may send up to the SIZE limit; `max_receiving_bytes` caps what all of them hold
together while their DATA is coming in. The session whose message would go over is told
``421 4.3.1`` and closed, nothing of its message is stored, the others carry on, and the room
is given back as each message ends. Real sockets against a real DebugServer.
"""

from __future__ import annotations

import pytest
from hardening_support import RawSession, wait_until

from smtplearn.server import DebugServer

CAP = 100_000
#: 600 lines of 100 octets: 60,000 octets, more than half the cap.
BODY = (b"x" * 98 + b"\r\n") * 600


def _start_data(session: RawSession, subject: str) -> None:
    session.greet()
    session.command(b"MAIL FROM:<a@example.test>", 250)
    session.command(b"RCPT TO:<b@example.test>", 250)
    session.command(b"DATA", 354)
    session.send(f"Subject: {subject}\r\n\r\n".encode())


def _receiving(server: DebugServer) -> int:
    # What the server counts is its own; the test reads it only to know the first upload
    # has arrived before the second one starts.
    return server._state.receiving_bytes


def test_the_session_that_would_go_over_the_cap_is_told_421_and_the_others_carry_on() -> None:
    with DebugServer(tls=False, max_receiving_bytes=CAP) as server:
        with RawSession(server.address) as first, RawSession(server.address) as second:
            _start_data(first, "first")
            first.send(BODY)
            wait_until(lambda: _receiving(server) >= len(BODY), what="the first upload to arrive")
            _start_data(second, "second")
            second.send(BODY)
            code, text = second.reply() or (0, b"")
            assert (code, text) == (
                421,
                b"421 4.3.1 mail.example.test Too much mail being received at once (over 0.0953674 MiB), "
                b"closing the connection; try again later\r\n",
            )
            assert second.closed_by_server()
            first.send(b".\r\n")
            first.expect(250)
        assert [m.subject for m in server.mailbox] == ["first"]
        wait_until(lambda: all(s.closed for s in server.sessions), what="both sessions to end")
        assert _receiving(server) == 0
        assert "S: 421 4.3.1" in str(server.sessions[1])
        # The room came back: one more message of the same size gets in.
        with RawSession(server.address) as third:
            _start_data(third, "third")
            third.send(BODY + b".\r\n")
            third.expect(250)
        assert [m.subject for m in server.mailbox] == ["first", "third"]


def test_messages_one_after_another_never_add_up() -> None:
    with DebugServer(tls=False, max_receiving_bytes=CAP) as server, RawSession(server.address) as session:
        session.greet()
        for number in range(5):
            session.command(b"MAIL FROM:<a@example.test>", 250)
            session.command(b"RCPT TO:<b@example.test>", 250)
            session.command(b"DATA", 354)
            session.send(f"Subject: {number}\r\n\r\n".encode() + BODY + b".\r\n")
            session.expect(250)
        assert len(server.mailbox) == 5


def test_the_cap_is_a_setting_checked_when_given() -> None:
    with pytest.raises(ValueError, match="max_receiving_bytes must be at least 1, not 0"):
        DebugServer(max_receiving_bytes=0)
