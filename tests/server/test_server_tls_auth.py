"""STARTTLS, implicit TLS and AUTH, with the standard library's smtplib as the client."""

from __future__ import annotations

import base64
import hmac
import smtplib
import socket
import ssl
from collections.abc import Callable

import pytest

from smtplearn.server import DEMO_PASSWORD, DEMO_USER, DebugServer


def _extensions(client: smtplib.SMTP) -> set[str]:
    return set(client.esmtp_features)


def test_starttls_verifies_with_the_servers_context(server: DebugServer) -> None:
    with smtplib.SMTP(*server.address, timeout=10) as client:
        client.ehlo("pc")
        assert "starttls" in _extensions(client)
        assert "auth" not in _extensions(client)
        client.starttls(context=server.client_tls_context())
        client.ehlo("pc")
        assert "starttls" not in _extensions(client)
        assert client.esmtp_features["auth"].split() == ["CRAM-MD5", "LOGIN", "PLAIN"]
        assert isinstance(client.sock, ssl.SSLSocket)
        assert client.sock.version() in ("TLSv1.2", "TLSv1.3")


def test_client_context_checks_hostnames_and_trusts_only_the_local_ca(server: DebugServer) -> None:
    context = server.client_tls_context()
    assert context.check_hostname
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert len(context.get_ca_certs()) == 1
    # The certificate names 127.0.0.1, localhost and the server's hostname ...
    for name in ("127.0.0.1", "localhost", "mail.example.test"):
        with socket.create_connection(server.address, timeout=10) as sock:
            sock.recv(1024)
            sock.sendall(b"STARTTLS\r\n")
            sock.recv(1024)
            with context.wrap_socket(sock, server_hostname=name) as tls:
                assert tls.getpeercert() is not None
    # ... and nothing else, so verification is real.
    with socket.create_connection(server.address, timeout=10) as sock:
        sock.recv(1024)
        sock.sendall(b"STARTTLS\r\n")
        sock.recv(1024)
        with pytest.raises(ssl.SSLCertVerificationError):
            context.wrap_socket(sock, server_hostname="mail.example.com")


def test_another_servers_ca_is_not_trusted(server: DebugServer) -> None:
    with (
        DebugServer() as other,
        smtplib.SMTP(*server.address, timeout=10) as client,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        client.starttls(context=other.client_tls_context())


def test_ca_pem_path_is_a_pem_file_other_clients_can_load(server: DebugServer) -> None:
    with open(server.ca_pem_path) as pem:
        assert pem.read().startswith("-----BEGIN CERTIFICATE-----")
    context = ssl.create_default_context(cafile=server.ca_pem_path)
    with smtplib.SMTP(*server.address, timeout=10) as client:
        assert client.starttls(context=context)[0] == 220


def test_implicit_tls_speaks_tls_from_the_first_byte() -> None:
    with DebugServer(tls="implicit") as server:
        with smtplib.SMTP_SSL(*server.address, context=server.client_tls_context(), timeout=10) as client:
            client.ehlo("pc")
            assert "starttls" not in _extensions(client)
            assert "auth" in _extensions(client)
            assert client.login(DEMO_USER, DEMO_PASSWORD)[0] == 235
            client.sendmail("a@example.com", ["b@example.com"], b"Subject: s\r\n\r\nx\r\n")
        [message] = server.mailbox.wait_for(1)
        assert message.tls_version in ("TLSv1.2", "TLSv1.3")
        assert message.user == DEMO_USER
        # A plain-text client gets no SMTP at all: its EHLO is a failed TLS handshake.
        with socket.create_connection(server.address, timeout=10) as sock:
            sock.sendall(b"EHLO pc\r\n")
            assert not sock.recv(1024).startswith(b"2")


def test_no_tls_offers_no_starttls_and_refuses_it() -> None:
    with DebugServer(tls=False) as server, smtplib.SMTP(*server.address, timeout=10) as client:
        client.ehlo("pc")
        assert "starttls" not in _extensions(client)
        assert client.docmd("STARTTLS") == (454, b"4.7.0 TLS not available")
        with pytest.raises(RuntimeError, match="tls=False"):
            server.client_tls_context()


def _tls_client(server: DebugServer) -> smtplib.SMTP:
    client = smtplib.SMTP(*server.address, timeout=10)
    client.starttls(context=server.client_tls_context())
    client.ehlo("pc")
    client.user, client.password = DEMO_USER, DEMO_PASSWORD
    return client


@pytest.mark.parametrize(
    ("mechanism", "initial_response"),
    [("CRAM-MD5", False), ("PLAIN", True), ("PLAIN", False), ("LOGIN", True), ("LOGIN", False)],
)
def test_each_mechanism_logs_in(server: DebugServer, mechanism: str, initial_response: bool) -> None:
    with _tls_client(server) as client:
        auth_object: Callable[..., str] = getattr(client, "auth_" + mechanism.lower().replace("-", "_"))
        code, text = client.auth(mechanism, auth_object, initial_response_ok=initial_response)
        assert (code, text) == (235, b"2.7.0 Authentication successful")
        client.sendmail("a@example.com", ["b@example.com"], b"Subject: s\r\n\r\nx\r\n")
    [message] = server.mailbox.wait_for(1)
    assert message.user == DEMO_USER
    assert server.sessions[-1].user == DEMO_USER


def test_login_prompts_are_the_usual_ones(server: DebugServer) -> None:
    with _tls_client(server) as client:
        code, challenge = client.docmd("AUTH", "LOGIN")
        assert (code, base64.b64decode(challenge)) == (334, b"Username:")
        code, challenge = client.docmd(base64.b64encode(DEMO_USER.encode()).decode())
        assert (code, base64.b64decode(challenge)) == (334, b"Password:")
        # RFC 4954 §4: "*" cancels the exchange.
        assert client.docmd("*") == (501, b"5.7.0 Auth aborted")


def test_cram_md5_challenge_has_rfc_2195_shape_and_checks_the_digest(server: DebugServer) -> None:
    with _tls_client(server) as client:
        code, challenge = client.docmd("AUTH", "CRAM-MD5")
        assert code == 334
        decoded = base64.b64decode(challenge)
        assert decoded.startswith(b"<") and decoded.endswith(b"@mail.example.test>")
        digest = hmac.new(b"not-the-password", decoded, "md5").hexdigest()
        answer = base64.b64encode(f"{DEMO_USER} {digest}".encode()).decode()
        assert client.docmd(answer) == (535, b"5.7.8 Authentication credentials invalid")
        # CRAM-MD5 has no initial response (the server speaks first).
        code, _ = client.docmd("AUTH", "CRAM-MD5 c3R1ZGVudA==")
        assert code == 501


@pytest.mark.parametrize("mechanism", ["CRAM-MD5", "PLAIN", "LOGIN"])
def test_wrong_password_gets_535_5_7_8(server: DebugServer, mechanism: str) -> None:
    with _tls_client(server) as client:
        client.password = "wrong"
        auth_object = getattr(client, "auth_" + mechanism.lower().replace("-", "_"))
        with pytest.raises(smtplib.SMTPAuthenticationError) as error:
            client.auth(mechanism, auth_object)
        assert (error.value.smtp_code, error.value.smtp_error) == (
            535,
            b"5.7.8 Authentication credentials invalid",
        )


def test_unknown_user_gets_535(server: DebugServer) -> None:
    with _tls_client(server) as client, pytest.raises(smtplib.SMTPAuthenticationError):
        client.login("nobody", DEMO_PASSWORD)


def test_auth_before_tls_is_neither_offered_nor_accepted(server: DebugServer) -> None:
    with smtplib.SMTP(*server.address, timeout=10) as client:
        client.ehlo("pc")
        with pytest.raises(smtplib.SMTPNotSupportedError):
            client.login(DEMO_USER, DEMO_PASSWORD)
        plain = base64.b64encode(f"\0{DEMO_USER}\0{DEMO_PASSWORD}".encode()).decode()
        assert client.docmd("AUTH", f"PLAIN {plain}") == (
            538,
            b"5.7.11 Encryption required for requested authentication mechanism",
        )


def test_auth_require_tls_false_allows_plain_text_auth() -> None:
    with DebugServer(auth_require_tls=False) as server, smtplib.SMTP(*server.address, timeout=10) as client:
        client.ehlo("pc")
        assert "auth" in _extensions(client)
        assert client.login(DEMO_USER, DEMO_PASSWORD)[0] == 235


def test_users_table_replaces_the_demo_account() -> None:
    with DebugServer(users={"ada": "lovelace"}, auth_require_tls=False) as server:
        with smtplib.SMTP(*server.address, timeout=10) as client:
            assert client.login("ada", "lovelace")[0] == 235
        with (
            smtplib.SMTP(*server.address, timeout=10) as client,
            pytest.raises(smtplib.SMTPAuthenticationError),
        ):
            client.login(DEMO_USER, DEMO_PASSWORD)
        server.users = {DEMO_USER: DEMO_PASSWORD}
        with smtplib.SMTP(*server.address, timeout=10) as client:
            assert client.login(DEMO_USER, DEMO_PASSWORD)[0] == 235


def test_second_auth_in_a_session_is_refused(server: DebugServer) -> None:
    with _tls_client(server) as client:
        client.login(DEMO_USER, DEMO_PASSWORD)
        assert client.docmd("AUTH", "LOGIN") == (503, b"5.5.1 Already authenticated")


@pytest.mark.parametrize("mechanism", ["CRAM-MD5", "PLAIN", "LOGIN"])
def test_credentials_never_reach_the_session_log_or_mailbox(server: DebugServer, mechanism: str) -> None:
    secret = "s3cret-Passw0rd"
    server.users = {"ada": secret}
    method = "auth_" + mechanism.lower().replace("-", "_")
    with _tls_client(server) as client:
        client.user, client.password = "ada", "wrong-" + secret
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.auth(mechanism, getattr(client, method))
    with _tls_client(server) as client:
        client.user, client.password = "ada", secret
        client.auth(mechanism, getattr(client, method))
        client.sendmail("a@example.com", ["b@example.com"], b"Subject: s\r\n\r\nx\r\n")
    [message] = server.mailbox.wait_for(1)
    failed, session = server.sessions
    everything = "".join(str(s) + repr(s) for s in (failed, session))
    everything += repr(message) + repr(message.raw)
    forbidden = [secret, base64.b64encode(f"\0ada\0{secret}".encode()).decode()]
    forbidden += [base64.b64encode(secret.encode()).decode()[:-2]]
    assert not [word for word in forbidden if word in everything]
    received = failed.received + session.received
    auth_lines = [line for line in received if line.upper().startswith("AUTH")]
    assert auth_lines and all(
        line.upper() in (f"AUTH {mechanism}", f"AUTH {mechanism} <REDACTED>") for line in auth_lines
    )
    assert any("<redacted>" in line for line in received)
