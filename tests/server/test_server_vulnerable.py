"""The deliberately vulnerable switch: SMTP smuggling works with it and only with it.

Each end-of-data look-alike is sent over a raw socket to a real DebugServer, once with
``vulnerable=("smuggling",)`` (the forged second message lands in the mailbox) and once
without (the whole message is refused, nothing is stored).
"""

from __future__ import annotations

import logging

import pytest

from smtplearn.server import DebugServer
from smtplearn.server.vulnerable import SMUGGLING_VARIANTS, lax_end_of_data

FORGED = (
    b"MAIL FROM:<ceo@example.com>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\n"
    b"From: ceo@example.com\r\nSubject: forged\r\n\r\nwire the money\r\n.\r\n"
)


def _send_smuggled(peer, end: bytes) -> None:  # type: ignore[no-untyped-def]
    assert peer.command(b"EHLO attacker.example")[0] == 250
    assert peer.command(b"MAIL FROM:<attacker@example.com>")[0] == 250
    assert peer.command(b"RCPT TO:<victim@example.com>")[0] == 250
    assert peer.command(b"DATA")[0] == 354
    peer.send(b"Subject: first\r\n\r\nhello" + end + FORGED)


@pytest.mark.parametrize("end", SMUGGLING_VARIANTS.values(), ids=SMUGGLING_VARIANTS.keys())
def test_vulnerable_server_takes_the_smuggled_message(raw, end: bytes) -> None:  # type: ignore[no-untyped-def]
    with DebugServer(vulnerable=("smuggling",)) as server:
        peer = raw(server.address)
        _send_smuggled(peer, end)
        # The first message ends at the look-alike; the rest is read as commands.
        assert [peer.reply()[0] for _ in range(5)] == [250, 250, 250, 354, 250]
        assert peer.command(b"QUIT")[0] == 221
        server.mailbox.wait_for(2)
        first, forged = server.mailbox[:]
        assert first.mail_from == "attacker@example.com"
        assert first.raw == b"Subject: first\r\n\r\nhello\r\n"
        assert forged.mail_from == "ceo@example.com"
        assert forged.rcpt_tos == ("victim@example.com",)
        assert b"wire the money" in forged.raw
        # The note explaining the lax end comes right before the "." it stands for.
        (session,) = [s for s in server.sessions if s.peer == peer.sock.getsockname()[:2]]
        texts = [event.text for event in session.events]
        took = next(i for i, text in enumerate(texts) if text.startswith("VULNERABLE: took"))
        assert texts[took + 1] == "."
        assert repr(end.decode()) in texts[took]


@pytest.mark.parametrize("end", SMUGGLING_VARIANTS.values(), ids=SMUGGLING_VARIANTS.keys())
def test_default_server_refuses_every_smuggling_variant(raw, end: bytes) -> None:  # type: ignore[no-untyped-def]
    with DebugServer() as server:
        peer = raw(server.address)
        _send_smuggled(peer, end)
        assert peer.reply()[0] == 554
        assert peer.command(b"NOOP")[0] == 250
        assert server.mailbox[:] == []


def test_vulnerable_server_still_reads_ordinary_messages_whole(raw) -> None:  # type: ignore[no-untyped-def]
    with DebugServer(vulnerable=("smuggling",)) as server:
        peer = raw(server.address)
        assert peer.command(b"EHLO pc")[0] == 250
        assert peer.command(b"MAIL FROM:<a@example.com>")[0] == 250
        assert peer.command(b"RCPT TO:<b@example.com>")[0] == 250
        assert peer.command(b"DATA")[0] == 354
        # Dots inside lines and dot-stuffed lines are not an end, even for a lax server.
        assert peer.command(b"a. b.\r\n..\r\n...x\r\nend\r\n.")[0] == 250
        assert server.mailbox[0].raw == b"a. b.\r\n.\r\n..x\r\nend\r\n"


def test_vulnerable_is_loud_in_greeting_repr_and_log(raw, caplog) -> None:  # type: ignore[no-untyped-def]
    with (
        caplog.at_level(logging.WARNING, "smtplearn.server"),
        DebugServer(vulnerable=("smuggling",)) as server,
    ):
        peer = raw(server.address, greeting=False)
        code, lines = peer.reply()
        assert code == 220 and "DELIBERATELY VULNERABLE to smuggling" in lines[0]
        assert "DELIBERATELY VULNERABLE to smuggling" in repr(server)
        assert server.vulnerable == ("smuggling",)
        peer.command(b"QUIT")
    assert any("DELIBERATELY VULNERABLE" in record.getMessage() for record in caplog.records)
    assert "DELIBERATELY VULNERABLE" in server.sessions[0].events[1].text


def test_not_vulnerable_by_default(raw) -> None:  # type: ignore[no-untyped-def]
    with DebugServer() as server:
        assert server.vulnerable == ()
        assert "VULNERABLE" not in repr(server)
        peer = raw(server.address, greeting=False)
        assert "VULNERABLE" not in peer.reply()[1][0]


@pytest.mark.parametrize("bad", ["smuggling", ("smuggle",), ("lenient",)])
def test_vulnerable_takes_known_names_only(bad: object) -> None:
    with pytest.raises((TypeError, ValueError), match="vulnerab"):
        DebugServer(vulnerable=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("chunk", "expected"),
    [
        (b"hello\n.\nMAIL\r\n", (b"hello\r\n", b"\n.\n", b"MAIL\r\n")),
        (b".\nMAIL\r\n", (b"", b"\r\n.\n", b"MAIL\r\n")),
        (b"hi\r.\r\n", (b"hi\r\n", b"\r.\r\n", b"")),
        (b"a.b\r\n", None),
        (b"..\r\n", None),
    ],
)
def test_lax_end_of_data(chunk: bytes, expected: object) -> None:
    assert lax_end_of_data(chunk) == expected


def test_vulnerable_server_smuggles_inside_starttls_too(raw) -> None:  # type: ignore[no-untyped-def]
    # The smuggling reader sits under aiosmtpd's STARTTLS switch: it must follow the new transport.
    with DebugServer(vulnerable=("smuggling",)) as server:
        peer = raw(server.address)
        assert peer.command(b"EHLO attacker.example")[0] == 250
        assert peer.command(b"STARTTLS")[0] == 220
        peer._file.close()
        peer.sock = server.client_tls_context().wrap_socket(peer.sock, server_hostname=server.host)
        peer._file = peer.sock.makefile("rb")
        _send_smuggled(peer, b"\n.\n")
        assert [peer.reply()[0] for _ in range(5)] == [250, 250, 250, 354, 250]
        server.mailbox.wait_for(2)
        assert [m.tls_version is not None for m in server.mailbox] == [True, True]
        assert server.mailbox[1].mail_from == "ceo@example.com"
