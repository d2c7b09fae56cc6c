"""The STARTTLS-stripping man in the middle, with a real DebugServer and smtplearn's Client.

The account is made up for these tests (never the demo account): what the proxy captures
is exactly what a real attacker on the path would read.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import pytest

from smtplearn.client import Client
from smtplearn.protocol.errors import LocalProtocolError
from smtplearn.server import CapturedLogin, DebugServer, StripTlsProxy
from smtplearn.server.striptls import impostor_context
from smtplearn.transport import TransportError

USER, PASSWORD = "alice", "made-up-for-the-attack-lab"


@pytest.fixture
def server() -> Iterator[DebugServer]:
    # A server that, like many, lets AUTH through without TLS: the client must protect itself.
    with DebugServer(users={USER: PASSWORD}, auth_require_tls=False) as running:
        yield running


def opportunistic(client: Client, context: ssl.SSLContext | None = None) -> None:
    """What many real clients do: STARTTLS if the server offers it, then AUTH regardless."""
    client.ehlo()
    if client.extensions.has("STARTTLS"):
        client.starttls(context)
        client.ehlo()
    client.login(USER, PASSWORD, mechanism="PLAIN")


def test_the_proxy_removes_starttls_from_the_ehlo_reply(server: DebugServer) -> None:
    with StripTlsProxy(server.address) as proxy, Client(proxy.host, proxy.port) as client:
        reply = client.ehlo().reply
        assert reply is not None and not client.extensions.has("STARTTLS")
        assert client.extensions.has("PIPELINING")
        assert reply.lines[-1] == "HELP"  # the new last line ends the reply with a space
    with Client(*server.address) as direct:
        direct.ehlo()
        assert direct.extensions.has("STARTTLS")
    assert "removed STARTTLS from the EHLO reply" in proxy.notes


def test_a_default_client_refuses_auth_in_the_clear(server: DebugServer) -> None:
    with StripTlsProxy(server.address) as proxy, Client(proxy.host, proxy.port) as client:
        client.ehlo()
        with pytest.raises(LocalProtocolError, match="unencrypted"):
            client.login(USER, PASSWORD)
    assert proxy.captured == []


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_an_opportunistic_client_hands_its_password_to_the_proxy(server: DebugServer, mechanism: str) -> None:
    with StripTlsProxy(server.address) as proxy:
        with Client(proxy.host, proxy.port, allow_insecure_auth=True) as client:
            client.ehlo()
            assert not client.extensions.has("STARTTLS")
            assert client.login(USER, PASSWORD, mechanism=mechanism).ok
            assert not client.tls_active
        assert proxy.captured == [CapturedLogin(mechanism, USER, PASSWORD)]


def test_the_same_client_without_the_proxy_uses_tls(server: DebugServer) -> None:
    with Client(*server.address, allow_insecure_auth=True, tls_context=server.client_tls_context()) as client:
        opportunistic(client)
        assert client.tls_active and client.authenticated


def test_require_tls_beats_the_stripping_proxy(server: DebugServer) -> None:
    with StripTlsProxy(server.address) as proxy:
        with Client(proxy.host, proxy.port, allow_insecure_auth=True, require_tls=True) as client:
            client.ehlo()
            with pytest.raises(LocalProtocolError, match="RFC 3207"):
                client.login(USER, PASSWORD, mechanism="PLAIN")
            with pytest.raises(LocalProtocolError, match="RFC 3207"):
                client.mail("a@example.com")
        assert proxy.captured == []
    assert server.mailbox[:] == []


def test_a_client_that_asks_for_starttls_anyway_gets_454_from_the_proxy(server: DebugServer) -> None:
    with StripTlsProxy(server.address) as proxy, Client(proxy.host, proxy.port) as client:
        client.ehlo()
        reply = client.starttls(server.client_tls_context()).reply
        assert reply is not None and reply.code == 454
        assert not client.tls_active
    assert any("454" in note for note in proxy.notes)


def test_a_verifying_client_refuses_the_impostor_certificate(server: DebugServer) -> None:
    impostor = impostor_context(server.hostname)
    with StripTlsProxy(server.address, impostor=impostor) as proxy:
        with (
            Client(
                proxy.host, proxy.port, allow_insecure_auth=True, tls_context=server.client_tls_context()
            ) as client,
            pytest.raises(TransportError),
        ):
            opportunistic(client)
        assert proxy.captured == []
    assert any("refused the impostor" in note for note in proxy.notes)


def test_a_client_that_skips_verification_talks_tls_to_the_attacker(server: DebugServer) -> None:
    unverified = ssl.create_default_context()
    unverified.check_hostname = False
    unverified.verify_mode = ssl.CERT_NONE
    with StripTlsProxy(server.address, impostor=impostor_context(server.hostname)) as proxy:
        with Client(proxy.host, proxy.port, tls_context=unverified) as client:
            opportunistic(client)
            assert client.tls_active and client.authenticated
        assert proxy.captured == [CapturedLogin("PLAIN", USER, PASSWORD)]
