"""No credentials (and, with ``require_tls``, no AUTH or mail) go out in the clear, whatever path.

`login()` refuses before a byte is sent; so must every other way to put a line on the wire:
`send_raw` (any case, leading spaces), the AUTH continuation lines, `send_only`,
`pipeline`. The rule lives once, in the protocol core. A real DebugServer that (unwisely)
takes AUTH in the clear records what reached it, so "nothing was sent" is seen, not assumed.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from smtplearn import Client, LocalProtocolError
from smtplearn.compat import SMTP
from smtplearn.protocol import commands
from smtplearn.server import DEMO_PASSWORD, DEMO_USER, DebugServer

PLAIN = base64.b64encode(f"\0{DEMO_USER}\0{DEMO_PASSWORD}".encode()).decode()
CREDENTIALS_REFUSED = "refusing to send credentials over an unencrypted connection: call starttls()"
TLS_REQUIRED = "this client requires TLS, but the connection is not encrypted"
# Spelled as a learner may type them: commands are case-insensitive (RFC 5321 §2.4).
AUTH_LINES = [f"AUTH PLAIN {PLAIN}", f"auth plain {PLAIN}", f"  AUTH PLAIN {PLAIN}", f"Auth Login {PLAIN}"]
BARE_AUTH_LINES = ["AUTH LOGIN", "auth login", "   AUTH PLAIN", "aUtH cram-md5"]


@pytest.fixture
def server() -> Iterator[DebugServer]:
    with DebugServer(auth_require_tls=False) as running:
        yield running


def _received(server: DebugServer) -> tuple[str, ...]:
    session = server.sessions.wait_for(1)[-1]
    session.wait_closed()
    return session.received


def _connected(server: DebugServer, **options: bool) -> Client:
    client = Client(server.host, server.port, tls_context=server.client_tls_context(), **options)
    client.connect()
    client.ehlo().raise_for_reply()
    return client


@pytest.mark.parametrize("line", AUTH_LINES)
def test_send_raw_refuses_credentials_in_the_clear(server: DebugServer, line: str) -> None:
    with _connected(server) as client:
        with pytest.raises(LocalProtocolError, match=CREDENTIALS_REFUSED):
            client.send_raw(line)
        assert [step.name for step in client.transcript] == ["connect", "ehlo"]
        assert client.noop().ok  # the session goes on: nothing half-sent
    assert _received(server) == ("EHLO localhost", "NOOP", "QUIT")


@pytest.mark.parametrize("line", AUTH_LINES + BARE_AUTH_LINES)
def test_send_raw_refuses_any_auth_line_when_tls_is_required(server: DebugServer, line: str) -> None:
    with (
        _connected(server, require_tls=True) as client,
        pytest.raises(LocalProtocolError, match=TLS_REQUIRED),
    ):
        client.send_raw(line)
    assert _received(server) == ("EHLO localhost", "QUIT")


def test_require_tls_outranks_allow_insecure_auth_for_send_raw(server: DebugServer) -> None:
    with (
        _connected(server, require_tls=True, allow_insecure_auth=True) as client,
        pytest.raises(LocalProtocolError, match=TLS_REQUIRED),
    ):
        client.send_raw(f"AUTH PLAIN {PLAIN}")
    assert _received(server) == ("EHLO localhost", "QUIT")


def test_bare_auth_may_go_but_its_answer_may_not(server: DebugServer) -> None:
    # Lesson 02 sends a bare "AUTH PLAIN" in the clear to show the server's refusal: it holds
    # no credential. The answer to the server's 334 does, and stays home.
    with _connected(server) as client:
        assert client.send_raw("AUTH LOGIN").reply.code == 334
        user = base64.b64encode(DEMO_USER.encode()).decode()
        with pytest.raises(LocalProtocolError, match=CREDENTIALS_REFUSED):
            client.send_raw(user)
        assert client.send_raw("*").reply.code == 501  # cancelling carries nothing secret
    # One line after AUTH LOGIN: the "*" (the server logs every AUTH answer redacted).
    assert _received(server) == ("EHLO localhost", "AUTH LOGIN", "<redacted>", "QUIT")


def test_send_only_and_pipeline_refuse_credentials_in_the_clear(server: DebugServer) -> None:
    with _connected(server) as client:
        auth = commands.auth("PLAIN", PLAIN, secret=True)
        with pytest.raises(LocalProtocolError, match=CREDENTIALS_REFUSED):
            client.send_only(auth)
        with pytest.raises(LocalProtocolError, match=CREDENTIALS_REFUSED):
            client.pipeline([("login", auth)])
    assert _received(server) == ("EHLO localhost", "QUIT")


@pytest.mark.parametrize("line", ["MAIL FROM:<a@example.com>", "  mail FROM:<a@example.com>"])
def test_send_raw_refuses_mail_in_the_clear_when_tls_is_required(server: DebugServer, line: str) -> None:
    with (
        _connected(server, require_tls=True) as client,
        pytest.raises(LocalProtocolError, match=TLS_REQUIRED),
    ):
        client.send_raw(line)
    assert _received(server) == ("EHLO localhost", "QUIT")


def test_allow_insecure_auth_lets_send_raw_authenticate(server: DebugServer) -> None:
    with _connected(server, allow_insecure_auth=True) as client:
        assert client.send_raw(f"auth plain {PLAIN}").reply.code == 235
    assert _received(server) == ("EHLO localhost", "auth plain <redacted>", "QUIT")


def test_under_tls_send_raw_authenticates(server: DebugServer) -> None:
    with _connected(server, require_tls=True) as client:
        client.starttls().raise_for_reply()
        client.ehlo().raise_for_reply()
        assert client.send_raw(f"auth plain {PLAIN}").reply.code == 235


def test_compat_sends_auth_in_the_clear_as_smtplib_does(server: DebugServer) -> None:
    # smtplib has no such guard (its login works over cleartext); the facade matches it.
    with SMTP(server.host, server.port, local_hostname="localhost") as smtp:
        smtp.ehlo()
        assert smtp.docmd("AUTH", f"PLAIN {PLAIN}")[0] == 235
    assert _received(server) == ("ehlo localhost", "AUTH PLAIN <redacted>", "QUIT")
