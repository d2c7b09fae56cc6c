"""Limits and bad input, over raw sockets: long lines, SIZE, smuggling, garbage, session cap."""

from __future__ import annotations

import smtplib

import pytest

from smtplearn.server import DebugServer


def _start_data(peer) -> None:  # type: ignore[no-untyped-def]
    assert peer.command(b"EHLO pc")[0] == 250
    assert peer.command(b"MAIL FROM:<a@example.com>")[0] == 250
    assert peer.command(b"RCPT TO:<b@example.com>")[0] == 250
    assert peer.command(b"DATA")[0] == 354


def test_command_line_limit_is_512_octets_with_crlf(server: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    peer = raw(server.address)
    longest = b"NOOP " + b"x" * (510 - 5)
    assert peer.command(longest) == (250, ["2.0.0 OK"])
    assert peer.command(longest + b"x") == (500, ["5.5.2 Command line too long"])
    # Far beyond the reader's buffer too; the session goes on afterwards.
    assert peer.command(b"NOOP " + b"x" * 5000) == (500, ["5.5.2 Command line too long"])
    assert peer.command(b"NOOP")[0] == 250


def test_text_line_over_1000_octets_is_refused(server: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    peer = raw(server.address)
    _start_data(peer)
    peer.send(b"Subject: long\r\n\r\n" + b"y" * 1000 + b"\r\n.\r\n")
    assert peer.reply() == (500, ["5.5.2 Line too long (see RFC5321 4.5.3.1.6)"])
    _start_data(peer)
    # 998 characters and CRLF is the longest line RFC 5322 §2.1.1 allows.
    peer.send(b"Subject: ok\r\n\r\n" + b"y" * 998 + b"\r\n.\r\n")
    assert peer.reply()[0] == 250
    assert [m.subject for m in server.mailbox.wait_for(1)] == ["ok"]


def test_message_over_size_gets_552() -> None:
    with DebugServer(size_limit=1000) as server, smtplib.SMTP(*server.address, timeout=10) as c:
        c.ehlo("pc")
        # Declared too big in MAIL FROM (RFC 1870 §6.1) ...
        assert c.mail("a@example.com", ["SIZE=1001"]) == (
            552,
            b"5.3.4 Error: message size exceeds fixed maximum message size",
        )
        # ... or undeclared and found too big in DATA.
        c.mail("a@example.com")
        c.rcpt("b@example.com")
        assert c.data(b"Subject: big\r\n\r\n" + b"z\r\n" * 500) == (
            552,
            b"5.3.4 Error: Too much mail data",
        )
        assert server.mailbox[:] == []
        c.mail("a@example.com")
        c.rcpt("b@example.com")
        assert c.data(b"Subject: small\r\n\r\nz\r\n")[0] == 250


@pytest.mark.parametrize(
    "smuggle",
    [b"\n.\n", b"\r.\r", b"\r\n.\n", b"\n.\r\n", b"\r.\r\n", b"\r\n.\r"],
    ids=["LF.LF", "CR.CR", "CRLF.LF", "LF.CRLF", "CR.CRLF", "CRLF.CR"],
)
def test_bare_line_endings_cannot_smuggle_a_second_message(  # type: ignore[no-untyped-def]
    server: DebugServer, raw, smuggle: bytes
) -> None:
    peer = raw(server.address)
    _start_data(peer)
    peer.send(
        b"Subject: first\r\n\r\nhello"
        + smuggle
        + b"MAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\n"
        b"Subject: smuggled\r\n\r\nevil\r\n.\r\n"
    )
    # One reply for the whole thing, refusing it; no 250s for the smuggled commands.
    assert peer.reply() == (
        554,
        ["5.6.0 Message refused: bare CR or LF in the text (RFC 5321 §2.3.8)"],
    )
    assert peer.command(b"NOOP") == (250, ["2.0.0 OK"])
    assert peer.command(b"QUIT")[0] == 221
    assert server.mailbox[:] == []


@pytest.mark.parametrize("text", [b"a bare LF\nhere", b"a bare CR\rhere"])
def test_any_bare_cr_or_lf_refuses_the_message(server: DebugServer, raw, text: bytes) -> None:  # type: ignore[no-untyped-def]
    peer = raw(server.address)
    _start_data(peer)
    peer.send(b"Subject: x\r\n\r\n" + text + b"\r\n.\r\n")
    assert peer.reply()[0] == 554
    assert server.mailbox[:] == []


def test_disconnect_during_data_stores_nothing(server: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    peer = raw(server.address)
    _start_data(peer)
    peer.send(b"Subject: cut off\r\n\r\nhalf a message\r\n")
    peer.close()
    server.sessions[-1].wait_closed()
    assert server.mailbox[:] == []
    assert str(server.sessions[-1]).endswith("C: half a message\n-- connection closed")


def test_garbage_gets_500_and_other_sessions_go_on(server: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    bystander = raw(server.address)
    assert bystander.command(b"EHLO pc")[0] == 250
    peer = raw(server.address)
    assert peer.command(b"\x00\x01\x02\xff\xfe") == (500, ["5.5.2 Error: bad syntax"])
    assert peer.command(b"EHLO pc")[0] == 250
    assert peer.command(b"MAIL FROM:<\xff\xfe@example.com>") == (
        500,
        ["5.5.2 Error: command line is not valid UTF-8"],
    )
    assert peer.command(b"VRFY \xc3") == (500, ["5.5.2 Error: command line is not valid UTF-8"])
    # UTF-8 that is valid is fine (SMTPUTF8, RFC 6531).
    assert peer.command(b"MAIL FROM:<j\xc3\xb6rg@example.com> SMTPUTF8")[0] == 250
    # After five unknown commands aiosmtpd gives up on the client.
    for _ in range(4):
        assert peer.command(b"FROB")[0] == 500
    assert peer.command(b"FROB") == (502, ["5.5.1 Too many unrecognized commands, goodbye."])
    assert peer.at_eof()
    # The bystander never noticed.
    assert bystander.command(b"MAIL FROM:<a@example.com>")[0] == 250
    assert bystander.command(b"NOOP")[0] == 250


def test_session_log_escapes_invalid_utf8(server: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    peer = raw(server.address)
    peer.command(b"NOOP \xff")
    assert "C: NOOP \\xff" in str(server.sessions[-1]).splitlines()


def test_concurrent_session_limit_answers_421(raw) -> None:  # type: ignore[no-untyped-def]
    with DebugServer(max_sessions=2) as server:
        first = raw(server.address)
        raw(server.address)
        refused = raw(server.address, greeting=False)
        assert refused.reply() == (
            421,
            ["4.7.0 mail.example.test Too many concurrent sessions, try again later"],
        )
        assert refused.at_eof()
        first.command(b"QUIT")
        server.sessions[0].wait_closed()
        server.sessions[-1].wait_closed()
        assert raw(server.address).command(b"NOOP")[0] == 250
