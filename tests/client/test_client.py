"""The blocking client end to end against a real, plain aiosmtpd server over loopback."""

from __future__ import annotations

import email.policy
import re
from email.message import EmailMessage

import pytest
from aiosmtpd_peer import USERS, Peer, b64

from smtplearn import Client, ClientState, LocalProtocolError
from smtplearn.client import SendError
from smtplearn.transport import ConnectError, TLSError

PASSWORD = USERS["alice"]


def test_connect_reads_the_greeting(aiosmtpd_peer: Peer) -> None:
    client = Client(aiosmtpd_peer.host, aiosmtpd_peer.port, timeout=5)
    assert client.state is ClientState.DISCONNECTED
    step = client.connect()
    assert (step.name, step.reply.code if step.reply else None) == ("connect", 220)
    assert step.state_before is ClientState.DISCONNECTED
    assert client.state is ClientState.CONNECTED
    client.quit()
    assert client.state is ClientState.CLOSED


@pytest.mark.parametrize("mechanism", ["CRAM-MD5", "PLAIN", "LOGIN"])
def test_full_session_byte_for_byte(aiosmtpd_peer: Peer, mechanism: str) -> None:
    body = (
        "From: Alice <alice@example.com>\r\n"
        "To: Jürgen <jürgen@example.com>\r\n"
        "Subject: dots and line ends\r\n"
        "\r\n"
        ".a line that starts with a dot\r\n"
        "a bare LF follows\n"
        "..two dots\r\n"
    )
    with Client(aiosmtpd_peer.host, aiosmtpd_peer.port, tls_context=aiosmtpd_peer.client_context) as client:
        assert client.ehlo().ok
        assert client.extensions.has("STARTTLS")
        starttls = client.starttls()
        assert starttls.ok and client.tls_active
        assert not starttls.tls  # the STARTTLS line itself went out in cleartext
        assert starttls.details["tls_version"].startswith("TLSv1")
        assert client.state is ClientState.CONNECTED  # RFC 3207 §4.2: EHLO again
        assert not client.extensions.has("AUTH")  # forgotten until the next EHLO
        assert client.ehlo().raise_for_reply().tls
        assert not client.extensions.has("STARTTLS")
        login = client.login("alice", PASSWORD, mechanism=mechanism)
        assert login.ok, login.reply
        assert client.authenticated
        assert client.mail("alice@example.com", smtputf8=True).ok
        assert client.rcpt("jürgen@example.com").ok
        assert client.rcpt("bob@example.com").ok
        data = client.data(body)
        assert data.ok, data.reply
    assert client.state is ClientState.CLOSED
    [received] = aiosmtpd_peer.handler.received
    assert received.mail_from == "alice@example.com"
    assert received.rcpt_tos == ["jürgen@example.com", "bob@example.com"]
    assert "SMTPUTF8" in received.mail_options
    # aiosmtpd un-stuffs the dots; the bare LF arrives as CRLF because the client normalised it.
    assert received.content == body.replace("a bare LF follows\n", "a bare LF follows\r\n").encode()


@pytest.mark.parametrize("mechanism", ["CRAM-MD5", "PLAIN", "LOGIN"])
def test_password_never_shown(aiosmtpd_peer: Peer, mechanism: str) -> None:
    with Client(aiosmtpd_peer.host, aiosmtpd_peer.port, tls_context=aiosmtpd_peer.client_context) as client:
        client.ehlo()
        client.starttls()
        client.ehlo()
        step = client.login("alice", PASSWORD, mechanism=mechanism)
    secrets = [PASSWORD, b64(PASSWORD), b64(f"\0alice\0{PASSWORD}")]
    renderings = [repr(step), step.shown, str(client.transcript), client.transcript.debug_text()]
    renderings += [note for exchange in step.exchanges for note in exchange.notes]
    for text in renderings:
        for secret in secrets:
            assert secret not in text
    # ...while the wire really carried them (the redaction is of the view, not the protocol).
    assert any(exchange.has_secret for exchange in step.exchanges) == (mechanism != "CRAM-MD5")


def test_wrong_password_is_data_not_an_exception(aiosmtpd_peer: Peer) -> None:
    with Client(aiosmtpd_peer.host, aiosmtpd_peer.port, tls_context=aiosmtpd_peer.client_context) as client:
        client.ehlo()
        client.starttls()
        client.ehlo()
        step = client.login("alice", "not-the-password", mechanism="PLAIN")
        assert not step.ok and step.reply is not None and step.reply.code == 535
        assert not client.authenticated
        assert client.state is ClientState.READY


def test_refuses_credentials_in_cleartext(cleartext_auth_peer: Peer) -> None:
    with Client(cleartext_auth_peer.host, cleartext_auth_peer.port) as client:
        client.ehlo()
        sent_before = len(client.transcript)
        with pytest.raises(LocalProtocolError, match="starttls"):
            client.login("alice", PASSWORD)
        assert len(client.transcript) == sent_before


def test_cleartext_auth_only_when_explicitly_allowed(cleartext_auth_peer: Peer) -> None:
    peer = cleartext_auth_peer
    with Client(peer.host, peer.port, allow_insecure_auth=True) as client:
        client.ehlo()
        assert client.login("alice", PASSWORD, mechanism="PLAIN").ok


def test_out_of_order_command_is_refused_locally_in_strict_mode(aiosmtpd_peer: Peer) -> None:
    with Client(aiosmtpd_peer.host, aiosmtpd_peer.port) as client:
        with pytest.raises(LocalProtocolError, match="EHLO"):
            client.mail("alice@example.com")
        assert [step.name for step in client.transcript] == ["connect"]


def test_out_of_order_command_reaches_the_server_when_not_strict(aiosmtpd_peer: Peer) -> None:
    with Client(aiosmtpd_peer.host, aiosmtpd_peer.port, strict=False) as client:
        client.ehlo()
        step = client.rcpt("bob@example.com")
        assert not step.ok and step.reply is not None and step.reply.code == 503


def _message() -> EmailMessage:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = "Alice <alice@example.com>"
    message["To"] = "Bob <bob@example.com>"
    message["Cc"] = "carol@example.com"
    message["Bcc"] = "dave@example.com"
    message["Subject"] = "Envelope is not headers"
    message.set_content("Hello.\n.a dot line\n")
    return message


@pytest.mark.parametrize("pipelining", [True, False])
def test_send_message_envelope_and_bcc(aiosmtpd_peer: Peer, pipelining: bool) -> None:
    with Client(aiosmtpd_peer.host, aiosmtpd_peer.port) as client:
        result = client.send_message(_message(), pipelining=pipelining)
        trips = client.round_trips
        after_ehlo = trips - 2  # the greeting and EHLO
    assert result.ok
    assert result.accepted == ("bob@example.com", "dave@example.com", "carol@example.com")
    assert [s.name for s in result.steps] == ["mail", "rcpt", "rcpt", "rcpt", "data"]
    groups = {step.details.get("pipeline") for step in result.steps}
    # One group id for the pipelined steps: the round trip that carried MAIL, RCPT×3 and DATA.
    assert groups == ({str(trips - 1)} if pipelining else {None})
    # RFC 2920: with pipelining, MAIL+RCPT×3+DATA are one round trip and the message a second one.
    assert after_ehlo == (2 if pipelining else 6)
    [received] = aiosmtpd_peer.handler.received
    assert received.rcpt_tos == ["bob@example.com", "dave@example.com", "carol@example.com"]
    assert b"dave@example.com" not in received.content
    assert b"\r\n.a dot line\r\n" in received.content
    assert any(option.upper().startswith("SIZE=") for option in received.mail_options)


def test_send_message_raises_with_the_transcript_when_every_recipient_is_refused(
    aiosmtpd_peer: Peer,
) -> None:
    message = _message()
    with Client(aiosmtpd_peer.host, aiosmtpd_peer.port) as client, pytest.raises(SendError) as caught:
        client.send_message(message, to_addrs=["x@refused.example", "y@refused.example"])
    assert [s.name for s in caught.value.steps] == ["mail", "rcpt", "rcpt", "data", "rset"]
    assert caught.value.failed_step is caught.value.steps[2]  # the last refused RCPT, not the RSET
    assert caught.value.reply is not None and caught.value.reply.code == 550
    assert caught.value.steps[-1].name == "rset"
    assert aiosmtpd_peer.handler.received == []


def test_header_injection_is_refused_before_any_byte(aiosmtpd_peer: Peer) -> None:
    with Client(aiosmtpd_peer.host, aiosmtpd_peer.port) as client:
        client.ehlo()
        with pytest.raises(LocalProtocolError, match=r"line feed|carriage return"):
            client.mail("alice@example.com\r\nRCPT TO:<victim@example.com>")
        with pytest.raises(LocalProtocolError):
            client.send_raw("NOOP\r\nQUIT")
        assert client.noop().ok


def test_connection_refused_names_host_and_port() -> None:
    import socket

    with socket.socket() as probe:  # held, not listening: no other process can listen there meanwhile
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        with pytest.raises(ConnectError, match=re.escape(f"127.0.0.1:{port}")):
            Client("127.0.0.1", port, timeout=2).connect()


def test_certificate_from_an_unknown_ca_is_refused(aiosmtpd_peer: Peer) -> None:
    # The default context trusts only the system's CAs, not the test's local one.
    with Client(aiosmtpd_peer.host, aiosmtpd_peer.port) as client:
        client.ehlo()
        with pytest.raises(TLSError, match="could not be verified"):
            client.starttls()


def test_timeout_bounds_a_whole_reply_not_each_read() -> None:
    # A server that drips its greeting one byte every 0.2 s: every read succeeds, but the
    # reply as a whole takes far longer than the client's timeout of 1 s.
    import socket
    import threading
    import time

    from smtplearn.transport import SMTPTimeoutError

    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip() -> None:
        conn, _ = listener.accept()
        with conn:
            for byte in b"220 " + b"x" * 100:
                if stop.wait(0.2):
                    return
                conn.sendall(bytes([byte]))

    thread = threading.Thread(target=drip)
    thread.start()
    try:
        client = Client("127.0.0.1", listener.getsockname()[1], timeout=1)
        started = time.monotonic()
        with pytest.raises(SMTPTimeoutError, match="the greeting"):
            client.connect()
        # A hang guard, not a benchmark: the dripping would take 20 s to finish.
        assert time.monotonic() - started < 10
        client.close()
    finally:
        stop.set()
        thread.join()
        listener.close()


@pytest.mark.parametrize("pipelining", [True, False])
def test_require_tls_refuses_to_send_in_the_clear(aiosmtpd_peer: Peer, pipelining: bool) -> None:
    # As if an attacker had stripped STARTTLS from the EHLO reply (RFC 3207 §6).
    with Client(aiosmtpd_peer.host, aiosmtpd_peer.port, require_tls=True) as client:
        client.ehlo()
        with pytest.raises(LocalProtocolError, match="requires TLS"):
            client.send_message(_message(), pipelining=pipelining)
        with pytest.raises(LocalProtocolError, match="requires TLS"):
            client.mail("alice@example.com")
        assert [step.name for step in client.transcript] == ["connect", "ehlo"]


@pytest.mark.parametrize("pipelining", [True, False])
def test_partial_success_and_total_refusal(aiosmtpd_peer: Peer, pipelining: bool) -> None:
    with Client(aiosmtpd_peer.host, aiosmtpd_peer.port) as client:
        result = client.send_message(
            _message(), to_addrs=["bob@example.com", "x@refused.example"], pipelining=pipelining
        )
        assert result.accepted == ("bob@example.com",)
        assert result.refused["x@refused.example"].code == 550
        with pytest.raises(SendError, match="every recipient") as caught:
            client.send_message(_message(), to_addrs=["y@refused.example"], pipelining=pipelining)
        assert caught.value.reply is not None and caught.value.reply.code == 550
        assert caught.value.steps[-1].name == "rset"
    assert len(aiosmtpd_peer.handler.received) == 1


def test_auth_typed_by_hand_is_redacted_everywhere(
    aiosmtpd_peer: Peer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG", logger="smtplearn")
    with Client(aiosmtpd_peer.host, aiosmtpd_peer.port, tls_context=aiosmtpd_peer.client_context) as client:
        client.ehlo()
        client.starttls()
        client.ehlo()
        plain = client.send_raw("AUTH PLAIN " + b64(f"\0alice\0{PASSWORD}"))
        assert plain.ok and client.authenticated
    with Client(aiosmtpd_peer.host, aiosmtpd_peer.port, tls_context=aiosmtpd_peer.client_context) as client:
        client.ehlo()
        client.starttls()
        client.ehlo()
        # AUTH LOGIN stepped through by hand, in strict mode: each line answers a 334.
        assert client.send_raw("AUTH LOGIN").reply.code == 334  # type: ignore[union-attr]
        assert client.send_raw(b64("alice")).reply.code == 334  # type: ignore[union-attr]
        login = client.send_raw(b64(PASSWORD))
        assert login.ok and client.authenticated
        transcript = client.transcript
    texts = [str(transcript), transcript.debug_text(), transcript._repr_html_(), repr(list(transcript))]
    texts += [str(plain), repr(plain), plain._repr_html_(), str(plain.explain()), caplog.text]
    for secret in (PASSWORD, b64(PASSWORD), b64(f"\0alice\0{PASSWORD}")):
        assert not any(secret in text for text in texts)
    assert "<redacted>" in str(transcript)


def test_a_client_holds_one_session(aiosmtpd_peer: Peer) -> None:
    client = Client(aiosmtpd_peer.host, aiosmtpd_peer.port)
    client.connect()
    with pytest.raises(LocalProtocolError, match="new Client"):
        client.connect()
    client.quit()
    with pytest.raises(LocalProtocolError, match="new Client"):
        client.connect()


def test_server_gone_is_a_clear_error(aiosmtpd_peer: Peer) -> None:
    from smtplearn.transport import ConnectionClosedError

    with Client(aiosmtpd_peer.host, aiosmtpd_peer.port, strict=False) as client:
        client.send_raw("QUIT")  # the server says 221 and hangs up; so does the client
        assert client.state is ClientState.CLOSED
        with pytest.raises(ConnectionClosedError, match="the connection is closed"):
            client.noop()
