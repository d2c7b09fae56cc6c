"""The facade against misbehaving servers: it must return or raise exactly what smtplib does.

Each case runs the real `smtplib.SMTP` and `smtplearn.compat.SMTP` against the same scripted
server (real sockets on 127.0.0.1) and compares the outcomes: the same return value, or an
exception of the same smtplib (or socket) type with the same arguments (`smtp_code`,
`smtp_error`, message). Code written for smtplib must never meet an smtplearn exception.
"""

from __future__ import annotations

import contextlib
import io
import re
import smtplib
import ssl
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import pytest
from scripted_peer import CLOSE, SILENT, ScriptedPeer, scripted_peer

from smtplearn import compat

GREETING = b"220 peer.example ESMTP\r\n"
EHLO = b"250-peer.example\r\n250-SIZE 1000\r\n250 8BITMIME\r\n"
MESSAGE = "Subject: hi\r\n\r\nbody\r\n"
#: Long enough for any reply from 127.0.0.1; the silent cases use SHORT.
TIMEOUT = 10.0
SHORT = 0.5

Action = Callable[[ModuleType, ScriptedPeer], Any]


def connect(module: ModuleType, peer: ScriptedPeer, timeout: float = TIMEOUT) -> Any:
    return module.SMTP(peer.host, peer.port, timeout=timeout)


def call(method: str, *args: Any, timeout: float = TIMEOUT) -> Action:
    """Connect, call `method(*args)`, close; the result is what the method returned."""

    def action(module: ModuleType, peer: ScriptedPeer) -> Any:
        with contextlib.closing(connect(module, peer, timeout)) as client:
            return getattr(client, method)(*args)

    action.__name__ = method
    return action


def ehlo_and_features(module: ModuleType, peer: ScriptedPeer) -> Any:
    with contextlib.closing(connect(module, peer)) as client:
        return client.ehlo(), client.esmtp_features, client.does_esmtp, client.ehlo_resp


def connect_only(module: ModuleType, peer: ScriptedPeer) -> Any:
    return connect(module, peer, SHORT).close()


def connect_explicitly(module: ModuleType, peer: ScriptedPeer) -> Any:
    client = module.SMTP(timeout=TIMEOUT)
    try:
        return client.connect(peer.host, peer.port)
    finally:
        client.close()


def connect_then_ehlo(module: ModuleType, peer: ScriptedPeer) -> Any:
    client = module.SMTP(timeout=TIMEOUT)
    try:
        return client.connect(peer.host, peer.port), client.ehlo()
    finally:
        client.close()


def implicit_tls_to_a_plain_server(module: ModuleType, peer: ScriptedPeer) -> Any:
    return module.SMTP_SSL(peer.host, peer.port, context=ssl.create_default_context(), timeout=TIMEOUT)


def login(module: ModuleType, peer: ScriptedPeer) -> Any:
    with contextlib.closing(connect(module, peer)) as client:
        return client.login("alice", "secret")


def sendmail(module: ModuleType, peer: ScriptedPeer) -> Any:
    with contextlib.closing(connect(module, peer)) as client:
        return client.sendmail("a@example.com", ["b@example.com"], MESSAGE)


def putcmd_twice_then_getreply_twice(module: ModuleType, peer: ScriptedPeer) -> Any:
    with contextlib.closing(connect(module, peer)) as client:
        client.putcmd("noop")
        client.putcmd("rset")
        return client.getreply(), client.getreply()


def ehlo_with_auth(mechanism: bytes) -> bytes:
    return b"250-peer.example\r\n250 AUTH " + mechanism + b"\r\n"


#: A server that answers every AUTH line with another challenge (smtplib gives up after 5).
ENDLESS_CHALLENGES = [b"334 " + b"VXNlcm5hbWU6" + b"\r\n"] * 8
LONG_TEXT = b"x" * 9000

CASES: list[tuple[str, bytes, Sequence[bytes], Action]] = [
    # -- a reply line that is not a reply ------------------------------------------------
    ("garbage-greeting", b"HELLO I AM NOT SMTP\r\n", [], connect_only),
    ("garbage-reply", GREETING, [b"I am not SMTP\r\n"], call("noop")),
    ("garbage-ehlo-reply", GREETING, [b"garbage\r\n"], ehlo_and_features),
    ("empty-line-to-ehlo", GREETING, [b"\r\n"], ehlo_and_features),
    ("code-out-of-range", GREETING, [b"199 odd\r\n"], call("noop")),
    ("code-with-bad-separator", GREETING, [b"250_ok\r\n"], call("noop")),
    ("bare-cr-inside-a-line", GREETING, [b"250 a\rb\r\n"], call("noop")),
    ("short-code", GREETING, [b"25\r\n"], call("noop")),
    (
        "garbage-after-message",
        GREETING,
        [EHLO, b"250 ok\r\n", b"250 ok\r\n", b"354 go\r\n", b"junk\r\n"],
        sendmail,
    ),
    # -- a multi-line reply whose code changes (RFC 5321 §4.2: it MUST NOT) ---------------
    ("code-changes-on-last-line", GREETING, [b"250-peer.example\r\n251 SIZE 10\r\n"], ehlo_and_features),
    (
        "code-changes-mid-way",
        GREETING,
        [b"250-peer.example\r\n251-SIZE 10\r\n250 8BITMIME\r\n"],
        ehlo_and_features,
    ),
    # -- EHLO replies real servers send: old-style AUTH=, lower case, repeats ----------------
    (
        "ehlo-old-style-auth",
        GREETING,
        [b"250-peer.example\r\n250-AUTH=LOGIN PLAIN\r\n250-AUTH CRAM-MD5\r\n250-size 10\r\n250 SIZE 20\r\n"],
        ehlo_and_features,
    ),
    # -- endings -------------------------------------------------------------------------
    ("221-without-crlf", GREETING, [b"221 bye"], call("quit")),
    ("reply-without-crlf-then-close", GREETING, [b"250 ok"], call("noop")),
    ("closed-mid-reply", GREETING, [b"250-peer.example\r\n250-SIZE"], ehlo_and_features),
    ("closed-after-continuation-line", GREETING, [b"250-peer.example\r\n"], ehlo_and_features),
    ("closed-instead-of-reply", GREETING, [CLOSE], call("noop")),
    ("closed-instead-of-greeting", b"", [], connect_only),
    ("silent-after-command", GREETING, [SILENT], call("noop", timeout=SHORT)),
    ("silent-greeting", SILENT, [], connect_only),
    # -- over-long lines -------------------------------------------------------------------
    ("long-line", GREETING, [b"250 " + LONG_TEXT + b"\r\n"], call("noop")),
    ("long-line-never-ended", GREETING, [b"250 " + LONG_TEXT, SILENT], call("noop")),
    ("long-continuation-line", GREETING, [b"250-" + LONG_TEXT + b"\r\n250 ok\r\n"], call("noop")),
    ("line-of-exactly-8192", GREETING, [b"250 " + b"x" * 8186 + b"\r\n"], call("noop")),
    # -- AUTH that never ends (smtplib: SMTPException after 5 challenges) -------------------
    ("endless-334-plain", GREETING, [ehlo_with_auth(b"PLAIN"), *ENDLESS_CHALLENGES], login),
    ("endless-334-login", GREETING, [ehlo_with_auth(b"LOGIN"), *ENDLESS_CHALLENGES], login),
    ("endless-334-cram-md5", GREETING, [ehlo_with_auth(b"CRAM-MD5"), *ENDLESS_CHALLENGES], login),
    # -- DATA not answered by 354 (smtplib: SMTPDataError, nothing sent) -------------------
    ("data-answered-250", GREETING, [EHLO, b"250 ok\r\n", b"250 ok\r\n", b"250 2.0.0 ok\r\n"], sendmail),
    ("data-answered-554", GREETING, [EHLO, b"250 ok\r\n", b"250 ok\r\n", b"554 5.5.1 no\r\n"], sendmail),
    # -- 421: the server is going away ----------------------------------------------------
    ("421-greeting", b"421 4.3.2 too busy\r\n", [], connect_only),
    ("421-greeting-explicit-connect", b"421 4.3.2 too busy\r\n", [], connect_explicitly),
    ("421-greeting-then-ehlo", b"421 4.3.2 too busy\r\n", [], connect_then_ehlo),
    ("421-to-mail", GREETING, [EHLO, b"421 4.3.2 bye\r\n"], sendmail),
    ("421-to-rcpt", GREETING, [EHLO, b"250 ok\r\n", b"421 4.3.2 bye\r\n"], sendmail),
    # -- the lower layer ---------------------------------------------------------------------
    (
        "putcmd-getreply-pipelined",
        GREETING,
        [b"250 one\r\n", b"250 two\r\n"],
        putcmd_twice_then_getreply_twice,
    ),
    ("unknown-command-via-docmd", GREETING, [b"500 what\r\n"], call("docmd", "XYZZY")),
    ("newline-in-docmd", GREETING, [], call("docmd", "NOOP\r\nRSET")),
    ("newline-in-putcmd", GREETING, [], call("putcmd", "NOOP", "x\ny")),
    ("non-ascii-in-docmd", GREETING, [], call("docmd", "VRFY", "jörg")),
    (
        "message-not-ascii",
        GREETING,
        [EHLO],
        call("sendmail", "a@example.com", "b@example.com", "Subject: é\r\n\r\n"),
    ),
]


def outcome(action: Action, module: ModuleType, peer: ScriptedPeer) -> tuple[str, Any]:
    """("returned", value) or ("raised", (smtplib/socket type, args, smtp_code, smtp_error))."""
    try:
        return "returned", action(module, peer)
    except Exception as error:
        return "raised", describe(error)


def describe(error: BaseException) -> tuple[type, tuple[Any, ...], Any, Any]:
    # The facade's exceptions subclass smtplib's: compare the first class that is not ours.
    kind = next(cls for cls in type(error).__mro__ if not cls.__module__.startswith("smtplearn"))
    return kind, error.args, getattr(error, "smtp_code", None), getattr(error, "smtp_error", None)


@pytest.mark.parametrize(
    ("greeting", "replies", "action"),
    [pytest.param(greeting, replies, action, id=name) for name, greeting, replies, action in CASES],
)
def test_facade_returns_or_raises_what_smtplib_does(
    greeting: bytes, replies: Sequence[bytes], action: Action
) -> None:
    with scripted_peer(greeting, replies) as peer:
        expected = outcome(action, smtplib, peer)
        got = outcome(action, compat, peer)
        smtplib_sent, facade_sent = peer.received
    assert got == expected
    assert facade_sent == smtplib_sent  # and it sent the very same lines


def test_no_smtplearn_only_exception_reaches_smtplib_code() -> None:
    # The rule the table protects, stated once: whatever a server sends, code that catches
    # smtplib's exceptions, OSError and smtplib's ValueErrors (bad arguments) catches it all.
    for name, greeting, replies, action in CASES:
        with scripted_peer(greeting, replies) as peer:
            try:
                action(compat, peer)
            except (smtplib.SMTPException, OSError, ValueError):
                pass
            except Exception as error:  # pragma: no cover - the failure this test exists for
                pytest.fail(f"{name}: {type(error).__module__}.{type(error).__name__}: {error}")


def test_implicit_tls_to_a_plain_server_raises_the_ssl_error_smtplib_raises() -> None:
    # Not in the table: the two TLS ClientHellos differ (random bytes), so "sent" cannot match.
    with scripted_peer(GREETING) as peer:
        expected = outcome(implicit_tls_to_a_plain_server, smtplib, peer)
        got = outcome(implicit_tls_to_a_plain_server, compat, peer)
    assert got == expected
    assert issubclass(expected[1][0], ssl.SSLError)


DEBUGGED = [
    "garbage-reply",
    "bare-cr-inside-a-line",
    "code-changes-on-last-line",
    "code-changes-mid-way",
    "221-without-crlf",
    "reply-without-crlf-then-close",
    "closed-mid-reply",
    "closed-after-continuation-line",
    "long-line",
    "long-line-never-ended",
    "line-of-exactly-8192",
]


@pytest.mark.parametrize("name", DEBUGGED)
def test_debug_output_on_a_bad_reply_is_smtplibs(name: str) -> None:
    [(greeting, replies, action)] = [(g, r, a) for n, g, r, a in CASES if n == name]
    printed = []
    for module in (smtplib, compat):
        with scripted_peer(greeting, replies) as peer:
            stderr = io.StringIO()
            with contextlib.redirect_stderr(stderr):
                client = module.SMTP(timeout=TIMEOUT)
                client.set_debuglevel(1)
                client.connect(peer.host, peer.port)
                command = {"noop": client.noop, "ehlo_and_features": client.ehlo, "quit": client.quit}
                with contextlib.suppress(smtplib.SMTPException):
                    command[action.__name__]()
                client.close()
        printed.append(re.sub(r"\b127\.0\.0\.1', \d+", "127.0.0.1', PORT", stderr.getvalue()).splitlines())
    expected, got = printed
    assert got == expected
    assert any(line.startswith("reply: ") for line in got)
