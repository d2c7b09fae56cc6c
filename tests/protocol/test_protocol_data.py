"""DATA encoding: CRLF line endings, dot-stuffing and the terminating dot."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from smtplearn.protocol.data import encode_data, message_bytes, needs_8bitmime

ENCODED = [
    (b"Subject: x\r\n\r\nbody\r\n", b"Subject: x\r\n\r\nbody\r\n.\r\n"),
    (b"a\nb\n", b"a\r\nb\r\n.\r\n"),  # bare LF
    (b"a\rb\r", b"a\r\nb\r\n.\r\n"),  # bare CR
    (b"a\r\r\nb", b"a\r\n\r\nb\r\n.\r\n"),  # CR then CRLF: two line ends
    (b"a\n\rb", b"a\r\n\r\nb\r\n.\r\n"),  # LF then CR: two line ends
    (b"no final newline", b"no final newline\r\n.\r\n"),
    (b".starts with a dot\r\n", b"..starts with a dot\r\n.\r\n"),
    (b"a\r\n.\r\nb\r\n", b"a\r\n..\r\nb\r\n.\r\n"),  # a lone dot would end the message
    (b"a\n..two\n.", b"a\r\n...two\r\n..\r\n.\r\n"),
    (b"a\r\n.\r\n.\r\n", b"a\r\n..\r\n..\r\n.\r\n"),
    (b"", b".\r\n"),
    (b"\r\n", b"\r\n.\r\n"),
    (b"x.y\r\n", b"x.y\r\n.\r\n"),  # dots elsewhere stay alone
]


@pytest.mark.parametrize(("message", "wire"), ENCODED, ids=[repr(m) for m, _ in ENCODED])
def test_encode_data(message: bytes, wire: bytes) -> None:
    assert encode_data(message) == wire
    assert encode_data(message.decode()) == wire


def test_message_bytes_normalises_but_does_not_stuff() -> None:
    assert message_bytes(b".a\n.b") == b".a\r\n.b"
    assert message_bytes("é\n") == "é\r\n".encode()


def test_seed_message_as_sent_by_smtplib() -> None:
    text = (
        'Content-Type: text/plain; charset="us-ascii"\nMIME-Version: 1.0\n'
        "Content-Transfer-Encoding: 7bit\nTo: Recipient <recipient@example.com>\n"
        "From: Author <author@example.com>\nSubject: Test from PyMOTW\n\n"
        "Test message from PyMOTW."
    )
    assert encode_data(text) == (
        b'Content-Type: text/plain; charset="us-ascii"\r\nMIME-Version: 1.0\r\n'
        b"Content-Transfer-Encoding: 7bit\r\nTo: Recipient <recipient@example.com>\r\n"
        b"From: Author <author@example.com>\r\nSubject: Test from PyMOTW\r\n\r\n"
        b"Test message from PyMOTW.\r\n.\r\n"
    )


def make_message(subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Author <author@example.com>"
    msg["To"] = "Recipient <recipient@example.com>"
    msg["Subject"] = subject
    msg.set_content(body)
    return msg


def test_email_message_uses_the_smtp_policy() -> None:
    wire = encode_data(make_message("Hi", ".hidden line\nsecond\n"))
    assert wire.endswith(b"\r\n\r\n..hidden line\r\nsecond\r\n.\r\n")
    assert b"\r\nSubject: Hi\r\n" in wire
    assert b"\n" not in wire.replace(b"\r\n", b"")


def test_email_message_non_ascii_header_encoded_unless_smtputf8() -> None:
    msg = make_message("Grüße", "hallo\n")
    assert b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n" in encode_data(msg)
    assert "Subject: Grüße\r\n".encode() in encode_data(msg, smtputf8=True)


def test_message_bytes_of_email_message_has_no_terminator() -> None:
    msg = make_message("Hi", "text\n")
    content = message_bytes(msg)
    assert content.endswith(b"\r\n\r\ntext\r\n")
    assert encode_data(msg) == content + b".\r\n"


@pytest.mark.parametrize(
    ("content", "needed"),
    [(b"plain ascii\r\n", False), (b"", False), ("café".encode(), True), (b"\x80", True), (b"\x7f", False)],
)
def test_needs_8bitmime(content: bytes, needed: bool) -> None:
    assert needs_8bitmime(content) is needed
