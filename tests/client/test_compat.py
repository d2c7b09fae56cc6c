"""The smtplib facade runs the PyMOTW scripts and prints what the real smtplib prints."""

from __future__ import annotations

import contextlib
import email.utils
import io
import re
import smtplib
from email.mime.text import MIMEText
from types import ModuleType
from typing import Any

import pytest
from aiosmtpd_peer import USERS, Peer, b64

from smtplearn import compat

PASSWORD = USERS["alice"]


def _message(subject: str) -> MIMEText:
    # The seed's smtplib_sendmail.py, verbatim but for the addresses' server.
    msg = MIMEText("This is the body of the message.")
    msg["To"] = email.utils.formataddr(("Recipient", "recipient@example.com"))
    msg["From"] = email.utils.formataddr(("Author", "author@example.com"))
    msg["Subject"] = subject
    return msg


def sendmail_script(module: Any, peer: Peer) -> Any:
    server = module.SMTP(peer.host, peer.port)
    server.set_debuglevel(True)
    try:
        return server.sendmail(
            "author@example.com", ["recipient@example.com"], _message("Simple test message").as_string()
        )
    finally:
        server.quit()


def authenticated_script(module: Any, peer: Peer, password: str = PASSWORD) -> Any:
    server = module.SMTP(peer.host, peer.port)
    try:
        server.set_debuglevel(True)
        server.ehlo()
        if server.has_extn("STARTTLS"):
            server.starttls(context=peer.client_context)
            server.ehlo()
        server.login("alice", password)
        return server.sendmail(
            "author@example.com", ["recipient@example.com"], _message("Test from PyMOTW").as_string()
        )
    finally:
        server.quit()


def verify_script(module: Any, peer: Peer) -> list[Any]:
    server = module.SMTP(peer.host, peer.port)
    server.set_debuglevel(True)
    try:
        return [server.verify("dhellmann"), server.verify("notthere")]
    finally:
        server.quit()


def run_captured(script: Any, module: ModuleType, peer: Peer) -> tuple[Any, list[str]]:
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        result = script(module, peer)
    # The port of the client's own socket differs between two runs, nothing else should.
    text = re.sub(r"\b127\.0\.0\.1\]?:\d+", "127.0.0.1:PORT", stderr.getvalue())
    return result, text.splitlines()


@pytest.mark.parametrize("script", [sendmail_script, authenticated_script, verify_script])
def test_facade_prints_what_smtplib_prints(aiosmtpd_peer: Peer, script: Any) -> None:
    expected_result, expected = run_captured(script, smtplib, aiosmtpd_peer)
    result, got = run_captured(script, compat, aiosmtpd_peer)
    assert got == expected
    assert result == expected_result
    assert len(expected) >= 9  # the comparison covered a real session


def test_the_transcript_holds_the_same_session(aiosmtpd_peer: Peer) -> None:
    server = compat.SMTP(aiosmtpd_peer.host, aiosmtpd_peer.port)
    server.sendmail("author@example.com", ["recipient@example.com"], _message("x").as_string())
    server.quit()
    names = [step.name for step in server.transcript]
    assert names == ["connect", "ehlo", "mail", "rcpt", "data", "message", "quit"]
    assert [step.command for step in server.transcript][1:5] == ["EHLO", "MAIL", "RCPT", "DATA"]
    [received] = aiosmtpd_peer.handler.received
    assert b"Subject: x" in received.content


def test_plain_password_is_redacted_where_smtplib_prints_it(aiosmtpd_peer: Peer) -> None:
    def plain_script(module: Any, peer: Peer) -> Any:
        server = module.SMTP(peer.host, peer.port)
        server.set_debuglevel(1)
        server.ehlo()
        server.starttls(context=peer.client_context)
        server.ehlo()
        server.esmtp_features["auth"] = "PLAIN"  # force PLAIN, as a learner might
        result = server.login("alice", PASSWORD)
        server.quit()
        return result

    secret = b64(f"\0alice\0{PASSWORD}")
    expected_result, expected = run_captured(plain_script, smtplib, aiosmtpd_peer)
    result, got = run_captured(plain_script, compat, aiosmtpd_peer)
    assert result == expected_result
    assert any(secret in line for line in expected)
    assert not any(secret in line or PASSWORD in line for line in got)
    assert len(got) == len(expected)


def test_exceptions_are_smtplibs_own(aiosmtpd_peer: Peer) -> None:
    server = compat.SMTP(aiosmtpd_peer.host, aiosmtpd_peer.port)
    server.ehlo()
    server.starttls(context=aiosmtpd_peer.client_context)
    server.ehlo()
    with pytest.raises(smtplib.SMTPAuthenticationError) as caught:
        server.login("alice", "wrong")
    assert caught.value.smtp_code == 535
    assert caught.value.transcript is server.transcript  # type: ignore[attr-defined]
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        server.sendmail("author@example.com", ["x@refused.example"], "Subject: x\r\n\r\nbody\r\n")
    server.quit()


def test_debuglevel_two_adds_a_timestamp_to_every_line(aiosmtpd_peer: Peer) -> None:
    def noop_script(module: Any, peer: Peer) -> Any:
        server = module.SMTP(peer.host, peer.port)
        server.set_debuglevel(2)
        result = server.noop()
        server.quit()
        return result

    expected_result, expected = run_captured(noop_script, smtplib, aiosmtpd_peer)
    result, got = run_captured(noop_script, compat, aiosmtpd_peer)
    stamp = re.compile(r"^\d\d:\d\d:\d\d\.\d+ ")
    assert result == expected_result
    assert all(stamp.match(line) for line in got)
    assert [stamp.sub("", line) for line in got] == [stamp.sub("", line) for line in expected]


def test_auth_through_docmd_is_redacted(aiosmtpd_peer: Peer) -> None:
    def docmd_script(module: Any, peer: Peer) -> Any:
        server = module.SMTP(peer.host, peer.port)
        server.set_debuglevel(1)
        server.ehlo()
        server.starttls(context=peer.client_context)
        server.ehlo()
        result = server.docmd("AUTH", "PLAIN " + b64(f"\0alice\0{PASSWORD}"))
        server.quit()
        return result

    expected_result, expected = run_captured(docmd_script, smtplib, aiosmtpd_peer)
    result, got = run_captured(docmd_script, compat, aiosmtpd_peer)
    assert result == expected_result == (235, b"2.7.0 Authentication successful")
    assert len(got) == len(expected)
    assert not any(b64(f"\0alice\0{PASSWORD}") in line for line in got)


def test_source_address_is_used(aiosmtpd_peer: Peer) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    server = compat.SMTP(source_address=("127.0.0.1", free))
    server.connect(aiosmtpd_peer.host, aiosmtpd_peer.port)
    sock = server._client._transport._sock  # type: ignore[union-attr]
    assert sock is not None and sock.getsockname() == ("127.0.0.1", free)
    server.quit()


def test_untrusted_certificate_is_an_ssl_error_as_with_smtplib(aiosmtpd_peer: Peer) -> None:
    import ssl

    server = compat.SMTP(aiosmtpd_peer.host, aiosmtpd_peer.port)
    server.ehlo()
    with pytest.raises(ssl.SSLError, match="could not be verified"):
        server.starttls()  # the default context does not trust the test's local CA
    server.close()
