"""What the DebugServer keeps: the mailbox, the Maildir and the session log."""

from __future__ import annotations

import mailbox
import smtplib
from datetime import datetime, timezone
from email.message import EmailMessage

import pytest

from smtplearn.server import DEMO_PASSWORD, DEMO_USER, DebugServer, ReceivedMessage

RAW = (
    b"From: Author <author@example.com>\r\n"
    b"To: Recipient <recipient@example.com>\r\n"
    b"Subject: Simple test message\r\n"
    b"\r\n"
    b"This is the body of the message.\r\n"
    b".a line that starts with a dot\r\n"
    b"..and one with two\r\n"
)


def test_sendmail_with_a_bcc_recipient_is_stored_exactly(server: DebugServer) -> None:
    before = datetime.now(timezone.utc)
    with smtplib.SMTP(*server.address, timeout=10) as client:
        client.ehlo("localhost.local")
        client.starttls(context=server.client_tls_context())
        client.ehlo("localhost.local")
        client.login(DEMO_USER, DEMO_PASSWORD)
        local = client.sock.getsockname()
        refused = client.sendmail("author@example.com", ["recipient@example.com", "hidden@example.com"], RAW)
    assert refused == {}
    [message] = server.mailbox.wait_for(1)
    assert message.mail_from == "author@example.com"
    assert message.rcpt_tos == ("recipient@example.com", "hidden@example.com")
    # smtplib dot-stuffed the two dotted lines; the server took the extra dots off again.
    assert message.raw == RAW
    assert b"hidden@" not in message.raw
    assert message.message["Subject"] == "Simple test message"
    assert message.message.get_content() == (
        "This is the body of the message.\n.a line that starts with a dot\n..and one with two\n"
    )
    assert message.peer == local
    assert message.helo == "localhost.local"
    assert message.tls_version in ("TLSv1.2", "TLSv1.3")
    assert message.user == DEMO_USER
    assert before <= message.received_at <= datetime.now(timezone.utc)
    assert message.mail_options == (f"SIZE={len(RAW)}",)
    assert message.queue_id == "DS00001"
    assert message.session == server.sessions[-1].number


def test_send_message_strips_bcc_from_the_text_but_not_the_envelope(server: DebugServer) -> None:
    email = EmailMessage()
    email["From"] = "author@example.com"
    email["To"] = "recipient@example.com"
    email["Bcc"] = "secret@example.com"
    email["Subject"] = "Bcc"
    email.set_content("hello\n")
    with smtplib.SMTP(*server.address, timeout=10) as client:
        client.send_message(email)
    [message] = server.mailbox.wait_for(1)
    assert message.rcpt_tos == ("recipient@example.com", "secret@example.com")
    assert "Bcc" not in message.message
    assert message.user is None and message.tls_version is None


def test_reply_to_data_names_the_queue_id(server: DebugServer) -> None:
    with smtplib.SMTP(*server.address, timeout=10) as client:
        client.ehlo("pc")
        client.mail("a@example.com")
        client.rcpt("b@example.com")
        code, text = client.data(b"Subject: one\r\n\r\nx\r\n")
        assert (code, text) == (250, b"2.0.0 DS00001 Message accepted for delivery")
        client.mail("a@example.com")
        client.rcpt("b@example.com")
        assert client.data(b"Subject: two\r\n\r\nx\r\n")[1].startswith(b"2.0.0 DS00002 ")
    assert [m.subject for m in server.mailbox] == ["one", "two"]
    assert [m.queue_id for m in server.mailbox[0:2]] == ["DS00001", "DS00002"]


def test_mailbox_is_oldest_first_and_clears(server: DebugServer) -> None:
    with smtplib.SMTP(*server.address, timeout=10) as client:
        for n in range(3):
            client.sendmail("a@example.com", [f"r{n}@example.com"], f"Subject: {n}\r\n\r\n".encode())
    assert [m.rcpt_tos[0] for m in server.mailbox.wait_for(3)] == [
        "r0@example.com",
        "r1@example.com",
        "r2@example.com",
    ]
    assert len(server.mailbox) == 3 and server.mailbox[-1].subject == "2"
    server.mailbox.clear()
    assert list(server.mailbox) == []
    assert repr(server.mailbox) == "<Mailbox with 0 message(s)>"


def test_wait_for_says_how_many_arrived_when_it_gives_up(server: DebugServer) -> None:
    with pytest.raises(TimeoutError, match=r"for 2 message\(s\), the mailbox has 0"):
        server.mailbox.wait_for(2, timeout=0.05)


def test_received_message_repr_abbreviates_the_raw_bytes() -> None:
    message = ReceivedMessage(
        queue_id="DS00007",
        mail_from="a@example.com",
        rcpt_tos=("b@example.com",),
        raw=b"Subject: Hi\r\n\r\n" + b"x" * 5000,
        peer=("127.0.0.1", 1234),
        helo="pc",
        tls_version=None,
        user=None,
        received_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
    )
    assert repr(message) == (
        "<ReceivedMessage DS00007 from 'a@example.com' to ['b@example.com'], 5015 bytes, "
        "subject 'Hi', raw=b'Subject: Hi\\r\\n\\r\\nxxxxxxxxxxxxxxxxxxxxxxxxx'…>"
    )
    with pytest.raises(AttributeError):
        message.mail_from = "x"  # type: ignore[misc]


def test_maildir_holds_each_message_once_the_250_has_come(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "Maildir"
    with DebugServer(maildir=str(path)) as server, smtplib.SMTP(*server.address, timeout=10) as client:
        client.sendmail("author@example.com", ["recipient@example.com"], RAW)
        # Read straight after the 250, while the server still runs: it must be on disk.
        stored = list(mailbox.Maildir(str(path), create=False))
        assert len(stored) == 1
        assert stored[0]["Return-Path"] == "<author@example.com>"
        assert stored[0]["Subject"] == "Simple test message"
        assert stored[0].get_payload().endswith(".a line that starts with a dot\n..and one with two\n")
        client.sendmail("author@example.com", ["other@example.com"], b"Subject: 2\r\n\r\nx\r\n")
        assert len(mailbox.Maildir(str(path), create=False)) == 2
    assert server.maildir == str(path)


def test_maildir_may_be_an_existing_empty_directory(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # What an instructor does first: `mkdir class-mail`, then `smtplearn server --maildir class-mail`.
    with DebugServer(maildir=str(tmp_path)) as server, smtplib.SMTP(*server.address, timeout=10) as client:
        client.sendmail("author@example.com", ["recipient@example.com"], RAW)
        assert len(mailbox.Maildir(str(tmp_path), create=False)) == 1


def test_session_log_shows_the_dialog_in_order(server: DebugServer) -> None:
    with smtplib.SMTP(*server.address, timeout=10) as client:
        client.ehlo("pc")
        client.sendmail("a@example.com", ["b@example.com"], b"Subject: s\r\n\r\n.dot\r\n")
        port = client.sock.getsockname()[1]
    session = server.sessions[-1]
    lines = str(session).splitlines()
    assert lines[:3] == [
        f"-- connection from 127.0.0.1:{port}",
        "S: 220 mail.example.test ESMTP smtplearn DebugServer",
        "C: ehlo pc",
    ]
    # smtplib's spelling of the verbs varies between Python versions ("mail FROM:"/"from:").
    normal = [line.lower() if line.startswith("C: ") else line for line in lines]
    start = normal.index("c: mail from:<a@example.com> size=20")
    assert normal[start : start + 13] == [
        "c: mail from:<a@example.com> size=20",
        "S: 250 2.1.0 <a@example.com>... Sender ok",
        "c: rcpt to:<b@example.com>",
        "S: 250 2.1.5 <b@example.com>... Recipient ok",
        "c: data",
        "S: 354 End data with <CR><LF>.<CR><LF>",
        "c: subject: s",
        "c: ",
        "c: ..dot",
        "c: .",
        "S: 250 2.0.0 DS00001 Message accepted for delivery",
        "c: quit",
        "S: 221 2.0.0 mail.example.test closing connection",
    ]
    assert session.helo == "pc"
    assert [e.kind for e in session.events if e.direction == "C"][-6:] == [
        "command",
        "data",
        "data",
        "data",
        "data",
        "command",
    ]
    assert repr(session).startswith(f"<SessionLog #1 from 127.0.0.1:{port}, ")


def test_session_log_marks_tls(server: DebugServer) -> None:
    with smtplib.SMTP(*server.address, timeout=10) as client:
        client.starttls(context=server.client_tls_context())
        client.noop()
    events = server.sessions[-1].events
    note = next(e for e in events if e.text.startswith("TLS started"))
    assert not events[events.index(note) - 1].tls
    assert all(e.tls for e in events[events.index(note) :])
    assert server.sessions[-1].tls_version in ("TLSv1.2", "TLSv1.3")


def test_sessions_clear(server: DebugServer) -> None:
    with smtplib.SMTP(*server.address, timeout=10) as client:
        client.noop()
    assert len(server.sessions) == 1
    server.sessions.clear()
    assert len(server.sessions) == 0


def test_8bitmime_and_smtputf8_messages_are_kept_byte_for_byte(server: DebugServer) -> None:
    raw = "From: Jörg <jörg@example.com>\r\nSubject: Grüße\r\n\r\nÜberall 8 Bit.\r\n".encode()
    with smtplib.SMTP(*server.address, timeout=10) as client:
        client.ehlo("pc")
        refused = client.sendmail(
            "jörg@example.com", ["zoë@example.com"], raw, mail_options=["BODY=8BITMIME", "SMTPUTF8"]
        )
        assert refused == {}
    [message] = server.mailbox.wait_for(1)
    assert (message.mail_from, message.rcpt_tos, message.raw) == (
        "jörg@example.com",
        ("zoë@example.com",),
        raw,
    )
    assert {"BODY=8BITMIME", "SMTPUTF8"} <= set(message.mail_options)
    assert message.subject == "Grüße"


def test_long_messages_are_summarised_in_the_session_log(server: DebugServer) -> None:
    body = b"".join(b"line %d\r\n" % n for n in range(500))
    with smtplib.SMTP(*server.address, timeout=10) as client:
        client.sendmail("a@example.com", ["b@example.com"], b"Subject: long\r\n\r\n" + body)
    assert server.mailbox.wait_for(1)[0].raw.endswith(b"line 499\r\n")
    events = server.sessions[-1].events
    data = [e.text for e in events if e.kind == "data"]
    assert len(data) == 101 and data[-1] == "."
    assert "more message lines not logged (see the mailbox)" in [e.text for e in events]
