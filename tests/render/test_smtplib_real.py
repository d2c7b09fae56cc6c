"""Our `smtplib_debug` against the real thing: the standard library's smtplib at debug level 1,
talking to a real aiosmtpd server on loopback. Steps are rebuilt from the bytes smtplib
really sent and read, and our rendering must equal smtplib's stderr line for line."""

from __future__ import annotations

import contextlib
import io
import smtplib
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from aiosmtpd.smtp import AuthResult
from render_records import PASSWORD, PLAIN_B64, USER

from smtplearn.protocol.replies import Reply
from smtplearn.protocol.states import ClientState
from smtplearn.record import Exchange, Step
from smtplearn.render.text import smtplib_debug, smtplib_debug_lines


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok)


@pytest.fixture
def server() -> Iterator[tuple[str, int]]:
    port = _free_port()
    controller = Controller(
        Sink(),
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield "127.0.0.1", port
    finally:
        controller.stop()


class _Tap:
    """Wraps smtplib's socket file and keeps every line read, exactly as read."""

    def __init__(self, file: Any) -> None:
        self.file, self.lines = file, []  # type: list[bytes]

    def readline(self, size: int = -1) -> bytes:
        line: bytes = self.file.readline(size)
        self.lines.append(line)
        return line

    def close(self) -> None:
        self.file.close()


class RecordingSMTP(smtplib.SMTP):
    """smtplib.SMTP that keeps what it sends and reads, to rebuild our records from."""

    def __init__(self) -> None:
        super().__init__()
        self.pending: list[Exchange] = []
        self._sent: bytes = b""

    def send(self, s: str | bytes) -> None:  # type: ignore[override]
        self._sent += s.encode("ascii") if isinstance(s, str) else s
        super().send(s)

    def getreply(self) -> tuple[int, bytes]:
        if self.file is None:
            self.file = _Tap(self.sock.makefile("rb"))  # type: ignore[union-attr,assignment]
        tap: _Tap = self.file  # type: ignore[assignment]
        tap.lines.clear()
        code, message = super().getreply()
        raw = b"".join(tap.lines)
        lines = tuple(line[4:].rstrip(b"\r\n").decode() for line in tap.lines)
        wire, self._sent = self._sent, b""
        shown = wire.decode().removesuffix("\r\n")
        redacted = wire.replace(PLAIN_B64.encode(), b"<redacted>")
        self.pending.append(
            Exchange(shown.replace(PLAIN_B64, "<redacted>"), wire, redacted, Reply(code, lines, raw))
        )
        return code, message

    def take(self, name: str, verb: str, **details: str) -> Step:
        exchanges, self.pending = tuple(self.pending), []
        return Step(name, verb, exchanges, ClientState.READY, ClientState.READY, 0.0, False, details)


def test_smtplib_debug_equals_real_smtplib_stderr(server: tuple[str, int]) -> None:
    host, port = server
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = USER, "b@example.com", "hi"
    message.set_content("Hello.\n.a line that starts with a dot\n")
    smtp = RecordingSMTP()
    smtp.set_debuglevel(1)
    steps: list[Step] = []
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        smtp.connect(host, port)
        steps.append(smtp.take("connect", "", peer=f"{host}:{port}"))
        smtp.ehlo("localhost.local")
        steps.append(smtp.take("ehlo", "EHLO"))
        smtp.login(USER, PASSWORD)  # smtplib picks AUTH PLAIN from "AUTH LOGIN PLAIN"
        steps.append(smtp.take("login", "AUTH"))
        smtp.mail(USER, [f"size={len(message.as_bytes())}"])
        steps.append(smtp.take("mail", "MAIL"))
        for address in ("b@example.com", "c@example.com"):
            smtp.rcpt(address)
            steps.append(smtp.take("rcpt", "RCPT"))
        smtp.data(message.as_bytes())
        steps.append(smtp.take("data", "DATA"))
        for name in ("verify", "noop", "rset", "help"):
            getattr(smtp, name)(*(["nobody"] if name == "verify" else []))
            steps.append(smtp.take(name, name.upper()))
        smtp.docmd("XFOO")  # an unknown command: a 500 reply is rendered the same way
        steps.append(smtp.take("send_raw", "XFOO"))
        smtp.quit()
        steps.append(smtp.take("quit", "QUIT"))
    real = stderr.getvalue().splitlines()

    assert any(PLAIN_B64 in line for line in real), "smtplib itself prints the credentials"
    assert smtplib_debug(steps, reveal=True).splitlines() == real

    ours = smtplib_debug(steps).splitlines()
    differing = [(a, b) for a, b in zip(ours, real, strict=True) if a != b]
    # The one deliberate difference: the AUTH line is redacted.
    assert differing == [("send: 'AUTH PLAIN <redacted>\\r\\n'", f"send: 'AUTH PLAIN {PLAIN_B64}\\r\\n'")]
    assert PASSWORD not in "\n".join(ours)


def test_facade_lines_cover_send_and_getreply_only(server: tuple[str, int]) -> None:
    """The per-exchange helper prints what smtplib's send()/getreply() print, nothing more."""
    host, port = server
    smtp = RecordingSMTP()
    smtp.set_debuglevel(1)
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        smtp.connect(host, port)
        smtp.pending.clear()
        stderr.seek(0)
        stderr.truncate()
        smtp.noop()
        smtp.quit()
    lines = [line for x in smtp.take("noop+quit", "").exchanges for line in smtplib_debug_lines(x)]
    assert lines == stderr.getvalue().splitlines()
