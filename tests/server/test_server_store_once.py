"""Storing and acknowledging are one step: a message is stored and answered 250, or neither."""

from __future__ import annotations

import smtplib
import socket
import struct
from collections.abc import Iterator

import pytest

from smtplearn.server import DebugServer, ReceivedMessage


@pytest.fixture
def server() -> Iterator[DebugServer]:
    with DebugServer(tls=False) as running:
        yield running


def broken_listener(message: ReceivedMessage) -> None:
    raise RuntimeError("a bug in the notebook's listener")


def test_a_raising_mailbox_listener_neither_refuses_nor_duplicates(server: DebugServer, caplog) -> None:  # type: ignore[no-untyped-def]
    server.mailbox.add_listener(broken_listener)
    heard: list[str] = []
    server.mailbox.add_listener(lambda message: heard.append(message.queue_id))
    with smtplib.SMTP(*server.address, timeout=10) as client:
        # A 4xx here would make a correct client retry and store the message twice.
        client.sendmail("a@example.test", ["b@example.test"], "Subject: once\r\n\r\nonce\r\n")
    stored = server.mailbox.wait_for(1)
    assert [m.subject for m in stored] == ["once"]
    assert heard == [stored[0].queue_id], "later listeners still hear of the message"
    failures = [r for r in caplog.records if r.name == "smtplearn.server" and r.exc_info]
    assert failures and "listener" in failures[0].getMessage()


def test_a_raising_session_listener_does_not_break_the_session(server: DebugServer) -> None:
    def broken(session: object, event: object) -> None:
        raise RuntimeError("a bug in the console")

    server.sessions.add_listener(broken)
    with smtplib.SMTP(*server.address, timeout=10) as client:
        client.sendmail("a@example.test", ["b@example.test"], "Subject: on\r\n\r\non\r\n")
        assert client.noop()[0] == 250
    assert [m.subject for m in server.mailbox.wait_for(1)] == ["on"]


def test_a_failed_maildir_store_answers_4xx_and_stores_nothing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the Maildir should be")
    with DebugServer(tls=False, maildir=str(blocked)) as server:
        with (
            smtplib.SMTP(*server.address, timeout=10) as client,
            pytest.raises(smtplib.SMTPDataError) as error,
        ):
            client.sendmail("a@example.test", ["b@example.test"], "Subject: disk\r\n\r\nfull\r\n")
        assert error.value.smtp_code // 100 == 4
        assert len(server.mailbox) == 0


def test_a_client_hanging_up_during_the_maildir_write_leaves_it_on_disk_and_in_the_mailbox(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Once a session has ended, its message is on disk and in the mailbox, or in neither.
    # (Writing the Maildir on a worker thread, tried for bench B6, broke this about once in
    # six runs: the session ended while the write of its message was still going on.)
    maildir = tmp_path / "class-mail"
    with DebugServer(tls=False, maildir=str(maildir)) as server:
        for number in range(20):
            with socket.create_connection(server.address, timeout=10) as sock:
                reader = sock.makefile("rb")
                for line in (b"EHLO pc", b"MAIL FROM:<a@example.test>", b"RCPT TO:<b@example.test>", b"DATA"):
                    while reader.readline()[3:4] == b"-":
                        pass
                    sock.sendall(line + b"\r\n")
                reader.readline()  # 354
                sock.sendall(f"Subject: gone {number}\r\n\r\nbye\r\n.\r\n".encode())
                # Gone at once, with a reset: the 250 is never read.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                reader.close()  # else the file keeps the socket open after the with-block
        for session in server.sessions:
            session.wait_closed()
        on_disk = sorted((maildir / "new").iterdir())
        assert len(on_disk) == len(server.mailbox)
        assert {m.subject for m in server.mailbox} <= {f"gone {n}" for n in range(20)}
