"""The smtplib facade runs the PyMOTW scripts and prints what the real smtplib prints."""

from __future__ import annotations

import contextlib
import email.utils
import io
import re
import smtplib
import socket
import ssl
import sys
from email.mime.text import MIMEText
from types import ModuleType
from typing import Any

import pytest
from aiosmtpd_peer import USERS, Peer, b64
from scripted_peer import scripted_peer

from smtplearn import compat

PASSWORD = USERS["alice"]
GREETING = b"220 peer.example ESMTP\r\n"


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
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    server = compat.SMTP(source_address=("127.0.0.1", free))
    server.connect(aiosmtpd_peer.host, aiosmtpd_peer.port)
    sock = server._client._transport._sock  # type: ignore[union-attr]
    assert sock is not None and sock.getsockname() == ("127.0.0.1", free)
    server.quit()


def test_untrusted_certificate_raises_smtplibs_ssl_error(aiosmtpd_peer: Peer) -> None:
    def starttls_script(module: Any, peer: Peer, context: ssl.SSLContext | None) -> Any:
        server = module.SMTP(peer.host, peer.port)
        try:
            server.ehlo()
            server.starttls(context=context)  # the default context does not trust the test's CA
        finally:
            server.close()

    # The facade verifies by default (a documented difference); smtplib does when asked to.
    with pytest.raises(ssl.SSLError) as real:
        starttls_script(smtplib, aiosmtpd_peer, ssl.create_default_context())
    with pytest.raises(ssl.SSLError) as facade:
        starttls_script(compat, aiosmtpd_peer, None)
    from_smtplib, from_facade = real.value, facade.value
    # The very type smtplib lets through (not smtplearn's TLSError), so
    # ``except ssl.SSLCertVerificationError`` works as before; the advice rides along as a note.
    assert type(from_facade) is type(from_smtplib) is ssl.SSLCertVerificationError
    assert from_facade.verify_code == from_smtplib.verify_code  # type: ignore[attr-defined]
    if sys.version_info >= (3, 11):
        assert any("client_tls_context()" in note for note in from_facade.__notes__)


def test_starttls_in_the_middle_of_a_transaction_works_as_with_smtplib(aiosmtpd_peer: Peer) -> None:
    def late_starttls(module: Any, peer: Peer) -> Any:
        server = module.SMTP(peer.host, peer.port)
        try:
            server.ehlo()
            mail = server.mail("author@example.com")
            started = server.starttls(context=peer.client_context)
            return mail, started, server.ehlo()[0], server.rcpt("recipient@example.com")
        finally:
            server.close()

    # smtplib just does it (and the server forgets the transaction); the facade leaked
    # LocalProtocolError("starttls_done() in state MAIL") after a successful handshake.
    assert late_starttls(compat, aiosmtpd_peer) == late_starttls(smtplib, aiosmtpd_peer)


def test_refused_connection_raises_the_socket_error_smtplib_raises() -> None:
    # A port nobody listens on, held (not listening) so that no other process can start a
    # server there meanwhile: the suite runs beside the other interpreters' suites.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        raised = []
        for module in (smtplib, compat):
            with pytest.raises(OSError) as caught:
                module.SMTP("127.0.0.1", port)
            raised.append(caught.value)
    assert type(raised[1]) is type(raised[0]) is ConnectionRefusedError
    assert raised[1].args == raised[0].args


def test_timeout_zero_is_refused_as_smtplib_refuses_it(aiosmtpd_peer: Peer) -> None:
    for module in (smtplib, compat):
        with pytest.raises(ValueError, match=r"^Non-blocking socket \(timeout=0\) is not supported$"):
            module.SMTP(aiosmtpd_peer.host, aiosmtpd_peer.port, timeout=0)


def test_timeout_none_waits_as_smtplib_does(aiosmtpd_peer: Peer) -> None:
    server = compat.SMTP(aiosmtpd_peer.host, aiosmtpd_peer.port, timeout=None)
    assert server.timeout is None  # as given, like smtplib's
    assert server.noop() == (250, b"OK")
    server.quit()


# -- the attributes smtplib code touches ----------------------------------------------------


def attribute_tour(module: Any, peer: Peer) -> list[tuple[str, dict[str, Any]]]:
    """The public attributes after each step of a session, for comparing two modules."""
    seen: list[tuple[str, dict[str, Any]]] = []

    def look(label: str, result: Any = None) -> None:
        sock = server.sock
        seen.append(
            (
                label,
                {
                    "result": result,
                    "sock": None if sock is None else (isinstance(sock, ssl.SSLSocket), sock.getpeername()),
                    "ehlo_resp": server.ehlo_resp,
                    "helo_resp": server.helo_resp,
                    "does_esmtp": server.does_esmtp,
                    "esmtp_features": dict(server.esmtp_features),
                    "command_encoding": server.command_encoding,
                    "local_hostname": server.local_hostname,
                    "debuglevel": server.debuglevel,
                    "timeout": server.timeout,
                    "source_address": server.source_address,
                    "default_port": server.default_port,
                },
            )
        )

    server = module.SMTP(timeout=7.5)
    look("created")
    server.close()
    # smtplib's starttls() checks the name given to the constructor, not to connect().
    server = module.SMTP(peer.host, peer.port, timeout=7.5)
    look("connected")
    look("ehlo", server.ehlo())
    look("starttls", server.starttls(context=peer.client_context))
    look("helo", server.helo())
    look("ehlo again", server.ehlo())
    look("mail with SMTPUTF8", server.mail("author@example.com", ["SMTPUTF8"]))
    look("rset", server.rset())
    server.putcmd("noop")
    look("putcmd, getreply", server.getreply())
    server.send("NOOP\r\n")
    server.send(b"RSET\r\nNOOP\r\n")
    look("send, getreply x2", (server.getreply(), server.getreply()))
    look("has_extn", (server.has_extn("STARTTLS"), server.has_extn("size")))
    look("quit", server.quit())
    return seen


def test_attributes_match_smtplibs_at_every_step(aiosmtpd_peer: Peer) -> None:
    expected = attribute_tour(smtplib, aiosmtpd_peer)
    got = attribute_tour(compat, aiosmtpd_peer)
    for (label, facade), (_, real) in zip(got, expected, strict=True):
        assert facade == real, label
    assert expected[3][1]["sock"][0] is True  # the comparison covered a TLS socket


def test_sock_is_the_live_socket(aiosmtpd_peer: Peer) -> None:
    server = compat.SMTP(aiosmtpd_peer.host, aiosmtpd_peer.port)
    server.starttls(context=aiosmtpd_peer.client_context)
    assert isinstance(server.sock, ssl.SSLSocket)
    assert server.sock.getpeercert()["subjectAltName"]  # what people use it for
    server.quit()
    assert server.sock is None


def test_putcmd_send_and_getreply_print_what_smtplib_prints(aiosmtpd_peer: Peer) -> None:
    def lower_layer_script(module: Any, peer: Peer) -> Any:
        server = module.SMTP(peer.host, peer.port)
        server.set_debuglevel(1)
        server.putcmd("ehlo", "client.example")
        first = server.getreply()
        server.send(b"NOOP\r\n")
        second = server.getreply()
        server.quit()
        return first, second

    expected_result, expected = run_captured(lower_layer_script, smtplib, aiosmtpd_peer)
    result, got = run_captured(lower_layer_script, compat, aiosmtpd_peer)
    assert result == expected_result
    assert got == expected


def test_putcmd_steps_are_in_the_transcript(aiosmtpd_peer: Peer) -> None:
    server = compat.SMTP(aiosmtpd_peer.host, aiosmtpd_peer.port)
    server.putcmd("noop")
    server.putcmd("rset")
    server.getreply()
    server.getreply()
    assert [step.command for step in server.transcript][-2:] == ["NOOP", "RSET"]
    server.quit()


def test_file_is_absent_and_says_why(aiosmtpd_peer: Peer) -> None:
    server = compat.SMTP(aiosmtpd_peer.host, aiosmtpd_peer.port)
    assert not hasattr(server, "file")
    with pytest.raises(AttributeError, match=r"use getreply\(\)"):
        server.file  # noqa: B018
    server.quit()


def test_send_refuses_what_it_cannot_record(aiosmtpd_peer: Peer) -> None:
    server = compat.SMTP(aiosmtpd_peer.host, aiosmtpd_peer.port)
    with pytest.raises(ValueError, match="whole command lines"):
        server.send("NOOP")  # smtplib would send half a line; the facade records whole commands
    assert server.noop() == (250, b"OK")  # nothing was sent
    server.quit()


# -- documented differences: refused by the facade where smtplib sends anything ----------------


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("NOOP \x1b[2J", id="control-character"),
        pytest.param("NOOP " + "x" * 600, id="longer-than-512"),
    ],
)
def test_lines_rfc5321_forbids_raise_value_error(aiosmtpd_peer: Peer, line: str) -> None:
    server = compat.SMTP(aiosmtpd_peer.host, aiosmtpd_peer.port)
    with pytest.raises(ValueError, match="RFC 5321"):
        server.docmd(line)
    server.quit()


def test_after_an_unreadable_reply_the_facade_has_hung_up() -> None:
    with scripted_peer(GREETING, [b"garbage\r\n"]) as peer:
        server = compat.SMTP(peer.host, peer.port)
        assert server.noop() == (-1, b"age")  # what smtplib returns ("garbage"[4:])...
        assert server.sock is None  # ...but nothing after such a reply can be trusted
        with pytest.raises(smtplib.SMTPServerDisconnected, match="please run connect"):
            server.noop()


def test_a_reply_over_64_kib_is_a_disconnection() -> None:
    # smtplib reads any number of continuation lines; the client stops at 64 KiB.
    endless = b"250-" + b"x" * 1000 + b"\r\n"
    with scripted_peer(GREETING, [endless * 70 + b"250 end\r\n"]) as peer:
        server = compat.SMTP(peer.host, peer.port)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            server.noop()
