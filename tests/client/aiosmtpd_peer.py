"""A plain aiosmtpd server, independent of smtplearn's DebugServer, for the client's tests.

Checking the client against aiosmtpd itself (and the DebugServer against smtplib) means
neither side is only ever tested against its own sibling.
"""

from __future__ import annotations

import base64
import hmac
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import trustme
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from smtplearn.server.aiosmtpd_adapter import SocketController

USERS = {"alice": "wonderland-secret-7"}


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    mail_options: list[str]


@dataclass
class RecordingHandler:
    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert envelope.mail_from is not None
        assert isinstance(envelope.original_content, bytes)
        self.received.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.original_content,
                list(envelope.mail_options),
            )
        )
        return "250 OK stored"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.endswith("@refused.example"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        # aiosmtpd's line reader serves pipelined commands in order; it just does not say so.
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def auth_CRAM__MD5(self, server: SMTP, args: list[str]) -> AuthResult:
        # aiosmtpd has no CRAM-MD5 of its own: a handler method named auth_<MECH> adds one.
        challenge = b"<1896.697170952@postoffice.example>"
        answer = await server.challenge_auth(challenge)
        if not isinstance(answer, bytes):
            return AuthResult(success=False, handled=False)
        user, _, digest = answer.decode().partition(" ")
        password = USERS.get(user, "")
        expected = hmac.new(password.encode(), challenge, "md5").hexdigest()
        ok = bool(password) and hmac.compare_digest(digest, expected)
        # handled=False makes aiosmtpd send its 535 itself; handled=True would mean we replied.
        return AuthResult(success=ok, handled=False)


def authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    if isinstance(data, LoginPassword):
        user, password = data.login.decode(), data.password.decode()
        return AuthResult(success=USERS.get(user) == password, handled=False)
    return AuthResult(success=False, handled=False)


class BoundController(SocketController):
    """aiosmtpd's Controller on a socket we bound ourselves, so port 0 gives a free port.

    The binding goes through smtplearn's aiosmtpd adapter, the one place that overrides
    aiosmtpd's private methods; the sessions are aiosmtpd's own, unchanged SMTP class.
    """

    def __init__(self, handler: Any, tls: ssl.SSLContext | None, **smtp_kwargs: Any) -> None:
        super().__init__(handler, socket.create_server(("127.0.0.1", 0)))
        self._tls = tls
        self._smtp_kwargs = smtp_kwargs

    def factory(self) -> SMTP:
        return SMTP(self.handler, tls_context=self._tls, **self._smtp_kwargs)


@dataclass
class Peer:
    host: str
    port: int
    handler: RecordingHandler
    client_context: ssl.SSLContext


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


def start_peer(
    ca: trustme.CA, handler: RecordingHandler | None = None, **smtp_kwargs: Any
) -> tuple[BoundController, Peer]:
    """Start an aiosmtpd server (stop it with the controller); `handler` may add behaviour."""
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    handler = handler or RecordingHandler()
    controller = BoundController(
        handler,
        server_context,
        authenticator=authenticator,
        enable_SMTPUTF8=True,
        **smtp_kwargs,
    )
    controller.start()
    return controller, Peer("127.0.0.1", controller.port, handler, client_context)


@pytest.fixture
def aiosmtpd_peer(ca: trustme.CA) -> Iterator[Peer]:
    controller, peer = start_peer(ca)
    try:
        yield peer
    finally:
        controller.stop()


@pytest.fixture
def cleartext_auth_peer(ca: trustme.CA) -> Iterator[Peer]:
    """A server that (unwisely) accepts AUTH before TLS, to show why the client refuses."""
    controller, peer = start_peer(ca, auth_require_tls=False)
    try:
        yield peer
    finally:
        controller.stop()


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
