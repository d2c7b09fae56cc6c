"""The sans-I/O core against a real aiosmtpd server over loopback.

A few lines of blocking socket code move the bytes; everything else is the core.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from smtplearn.protocol import commands as c
from smtplearn.protocol import sasl
from smtplearn.protocol.connection import NEED_DATA, ClientConnection
from smtplearn.protocol.data import message_bytes
from smtplearn.protocol.errors import RemoteProtocolError
from smtplearn.protocol.replies import Reply
from smtplearn.protocol.states import ClientState

S = ClientState
USERS = {b"tim": b"tanstaaftanstaaf"}


class Handler:
    def __init__(self) -> None:
        self.messages: list[Envelope] = []

    async def handle_EHLO(  # aiosmtpd's hook name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        # aiosmtpd reads one line at a time, so pipelined commands work: say so.
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        options: list[str],
    ) -> str:
        if address == "refused@example.com":
            return "550 5.7.1 sender refused"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages.append(envelope)
        return "250 2.0.0 accepted"


def authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and USERS.get(auth_data.login) == auth_data.password
    # handled=False: aiosmtpd sends the 535 itself.
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def server() -> Iterator[tuple[int, Handler]]:
    """aiosmtpd on 127.0.0.1 and a free port, served from a background thread."""
    handler = Handler()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    ports: list[int] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        listener = loop.run_until_complete(
            loop.create_server(
                lambda: SMTP(
                    handler,
                    hostname="mx.test",
                    authenticator=authenticator,
                    auth_require_tls=False,
                    enable_SMTPUTF8=True,
                    loop=loop,
                ),
                "127.0.0.1",
                0,
            )
        )
        ports.append(listener.sockets[0].getsockname()[1])
        ready.set()
        loop.run_forever()
        listener.close()
        loop.run_until_complete(listener.wait_closed())
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(30), "aiosmtpd did not start"
    yield ports[0], handler
    loop.call_soon_threadsafe(loop.stop)
    thread.join(30)


class Wire:
    """The core plus a socket: the smallest possible client."""

    def __init__(self, port: int, *, strict: bool = True) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        # This aiosmtpd takes AUTH without TLS; the core must be told it may send it so.
        self.conn = ClientConnection(strict=strict, allow_insecure_auth=True)
        self.conn.connection_made()

    def read(self) -> Reply:
        while (reply := self.conn.next_reply()) is NEED_DATA:
            self.conn.receive_data(self.sock.recv(4096))
        assert isinstance(reply, Reply)
        return reply

    def send(self, *commands: c.Command) -> list[Reply]:
        self.sock.sendall(b"".join(self.conn.send(command) for command in commands))
        return [self.read() for _ in commands]

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def session(server: tuple[int, Handler]) -> Iterator[Wire]:
    s = Wire(server[0])
    assert s.read().code == 220
    s.send(c.ehlo("client.example"))
    yield s
    s.close()


def test_pipelined_transaction_is_stored_byte_for_byte(server: tuple[int, Handler], session: Wire) -> None:
    conn = session.conn
    assert conn.extensions.has("PIPELINING") and conn.extensions.domain == "mx.test"
    message = "Subject: dots\n\n.leading dot\n..two dots\n.\nend\n"
    replies = session.send(
        c.mail("a@example.com", size=len(message_bytes(message))),
        c.rcpt("b@example.com"),
        c.rcpt("c@example.com"),
        c.data(),
    )
    assert [r.code for r in replies] == [250, 250, 250, 354]
    assert conn.state is S.DATA
    session.sock.sendall(conn.send_data(message))
    assert session.read().code == 250
    assert conn.state is S.READY
    (envelope,) = server[1].messages
    assert envelope.rcpt_tos == ["b@example.com", "c@example.com"]
    assert envelope.original_content == message_bytes(message)


def test_refused_sender_makes_the_pipelined_rest_fail(session: Wire) -> None:
    replies = session.send(c.mail("refused@example.com"), c.rcpt("b@example.com"), c.data())
    assert [r.code for r in replies] == [550, 503, 503]
    assert session.conn.state is S.READY


def test_strict_false_shows_the_servers_503(server: tuple[int, Handler]) -> None:
    s = Wire(server[0], strict=False)
    try:
        s.read()
        (reply,) = s.send(c.mail("a@example.com"))
        assert reply.code == 503
        assert s.conn.state is S.CONNECTED
    finally:
        s.close()


@pytest.mark.parametrize("name", ["PLAIN", "LOGIN"])
@pytest.mark.parametrize(("password", "code"), [("tanstaaftanstaaf", 235), ("wrong", 535)])
def test_sasl_against_aiosmtpd(session: Wire, name: str, password: str, code: int) -> None:
    assert name in session.conn.extensions.auth_mechanisms
    mech = sasl.mechanism(name, "tim", password)
    (reply,) = session.send(mech.start())
    while reply.code == 334:
        (reply,) = session.send(mech.respond(reply))
    assert reply.code == code
    assert session.conn.authenticated is (code == 235)
    assert session.conn.state is S.READY


def test_quit_then_the_server_closes(session: Wire) -> None:
    (reply,) = session.send(c.quit())
    assert reply.code == 221 and session.conn.state is S.CLOSED
    assert session.sock.recv(4096) == b""
    session.conn.receive_data(b"")
    with pytest.raises(RemoteProtocolError, match="the server closed the connection"):
        session.conn.next_reply()
