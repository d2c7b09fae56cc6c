"""AUTH at its edges: odd answers, long lines, the wrong moment, raw passwords, lower case.

Plain-text servers with ``auth_require_tls=False`` keep the raw sockets simple; what is
checked does not depend on TLS.
"""

from __future__ import annotations

import base64
import logging
import smtplib
from collections.abc import Iterator

import pytest

from smtplearn.server import DEMO_PASSWORD, DEMO_USER, DebugServer


@pytest.fixture
def server() -> Iterator[DebugServer]:
    with DebugServer(tls=False, auth_require_tls=False) as running:
        yield running


def b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def greeted(raw, server: DebugServer):  # type: ignore[no-untyped-def]
    peer = raw(server.address)
    assert peer.command(b"EHLO client.example")[0] == 250
    return peer


def test_cram_md5_answer_with_non_ascii_gets_535(server: DebugServer, raw, caplog) -> None:  # type: ignore[no-untyped-def]
    peer = greeted(raw, server)
    assert peer.command(b"AUTH CRAM-MD5")[0] == 334
    caplog.set_level(logging.DEBUG)
    code, lines = peer.command(b64(f"{DEMO_USER} ü{'0' * 31}".encode()))
    assert code == 535, lines
    assert not [r for r in caplog.records if r.exc_info], "no traceback for a wrong answer"
    assert peer.command(b"NOOP")[0] == 250


def test_a_12288_octet_auth_response_is_read_and_judged(server: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    peer = greeted(raw, server)
    assert peer.command(b"AUTH PLAIN")[0] == 334
    # RFC 4954 §4: responses up to 12288 octets must be handled (CRLF included here).
    blob = b64(b"\0" + DEMO_USER.encode() + b"\0" + b"p" * 9200)
    assert 512 < len(blob) + 2 <= 12288
    assert peer.command(blob)[0] == 535  # a wrong password, judged as one
    assert peer.command(b"NOOP")[0] == 250


def test_an_auth_response_over_12288_octets_gets_500_5_5_6(server: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    peer = greeted(raw, server)
    assert peer.command(b"AUTH LOGIN")[0] == 334
    code, lines = peer.command(b"QUFB" * 3100)  # 12400 octets
    assert code == 500 and lines[0].startswith("5.5.6"), lines
    assert peer.command(b"NOOP")[0] == 250  # the whole over-long line was consumed


def test_an_auth_command_over_512_octets_gets_500(server: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    # RFC 4954 §4: the AUTH command itself keeps the 512-octet limit of RFC 5321.
    peer = greeted(raw, server)
    assert peer.command(b"AUTH PLAIN " + b"QUFB" * 200)[0] == 500
    assert peer.command(b"AUTH PLAIN " + b"QUFB" * 3000)[0] == 500
    assert peer.command(b"NOOP")[0] == 250


@pytest.mark.parametrize("during", [b"MAIL FROM:<a@example.test>", b"RCPT TO:<b@example.test>"])
def test_auth_inside_a_mail_transaction_gets_503(server: DebugServer, raw, during: bytes) -> None:  # type: ignore[no-untyped-def]
    peer = greeted(raw, server)
    assert peer.command(b"MAIL FROM:<a@example.test>")[0] == 250
    if during.startswith(b"RCPT"):
        assert peer.command(during)[0] == 250
    plain = b64(b"\0" + DEMO_USER.encode() + b"\0" + DEMO_PASSWORD.encode())
    code, lines = peer.command(b"AUTH PLAIN " + plain)
    assert code == 503 and "RFC 4954 §4" in lines[0]
    assert peer.command(b"RSET")[0] == 250
    assert peer.command(b"AUTH PLAIN " + plain)[0] == 235


@pytest.mark.parametrize("mechanism", ["plain", "login", "cram-md5", "Plain"])
def test_mechanism_names_are_case_insensitive(server: DebugServer, raw, mechanism: str) -> None:  # type: ignore[no-untyped-def]
    peer = greeted(raw, server)
    code, _ = peer.command(f"auth {mechanism}".encode())
    assert code == 334
    assert peer.command(b"*")[0] == 501


def test_smtplib_logs_in_with_a_lowercase_auth_line(server: DebugServer) -> None:
    with smtplib.SMTP(*server.address, timeout=10) as client:
        client.ehlo("pc")
        plain = b64(b"\0" + DEMO_USER.encode() + b"\0" + DEMO_PASSWORD.encode()).decode()
        assert client.docmd("auth", f"plain {plain}")[0] == 235


RAW_PASSWORD_DIALOGS = {
    # The password typed in clear at the Password: prompt.
    "at the password prompt": [
        (b"AUTH LOGIN", 334),
        (b64(DEMO_USER.encode()), 334),
        (DEMO_PASSWORD.encode(), 501),
    ],
    # Username and password typed raw, pipelined: the password line arrives as a command.
    "pipelined after a refused username": [
        (b"AUTH LOGIN", 334),
        (b"student", 501),
        (DEMO_PASSWORD.encode(), 500),
    ],
    # Both typed as the AUTH line's arguments.
    "on the AUTH line": [(f"AUTH PLAIN {DEMO_USER} {DEMO_PASSWORD}".encode(), 501)],
    "on a lowercase auth line": [(f"auth plain {DEMO_USER} {DEMO_PASSWORD}".encode(), 501)],
    # PLAIN's base64 after AUTH was refused (503: inside a transaction).
    "after a refused AUTH": [
        (b"MAIL FROM:<a@example.test>", 250),
        (b"AUTH PLAIN", 503),
        (b64(b"\0" + DEMO_USER.encode() + b"\0" + DEMO_PASSWORD.encode()), 500),
    ],
}


@pytest.mark.parametrize("dialog", list(RAW_PASSWORD_DIALOGS), ids=list(RAW_PASSWORD_DIALOGS))
def test_a_password_typed_raw_reaches_no_log(server: DebugServer, raw, caplog, dialog: str) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    server.sessions.add_listener(lambda session, event: seen.append(event.text))
    peer = greeted(raw, server)
    for line, code in RAW_PASSWORD_DIALOGS[dialog]:
        assert peer.command(line)[0] == code, line
    assert peer.command(b"QUIT")[0] == 221
    server.sessions[-1].wait_closed()
    plain = b64(b"\0" + DEMO_USER.encode() + b"\0" + DEMO_PASSWORD.encode()).decode().rstrip("=")
    secrets = (
        DEMO_PASSWORD,
        DEMO_PASSWORD.upper(),
        b64(DEMO_PASSWORD.encode()).decode(),
        plain,
        plain.upper(),
    )
    logged = [r.getMessage() for r in caplog.records]
    for text in (str(server.sessions[-1]), *seen, *logged):
        for secret in secrets:
            assert secret not in text, text


def test_redaction_finds_a_password_in_any_plain_answer() -> None:
    from smtplearn.server.auth import redact_passwords

    users = {DEMO_USER: DEMO_PASSWORD, "nobody": ""}
    other_authzid = b64(b"admin\0" + DEMO_USER.encode() + b"\0" + DEMO_PASSWORD.encode()).decode()
    assert redact_passwords(f"C: {other_authzid}", users) == "C: <redacted>"
    assert redact_passwords(f"typed {DEMO_PASSWORD.title()} here", users) == "typed <redacted> here"
    assert redact_passwords("MAIL FROM:<author@example.test> SIZE=1234", users) == (
        "MAIL FROM:<author@example.test> SIZE=1234"
    )


def test_an_auth_answer_ending_in_a_bare_lf_gets_500(server: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    peer = greeted(raw, server)
    assert peer.command(b"AUTH LOGIN")[0] == 334
    peer.send(b64(DEMO_USER.encode()) + b"\n")
    code, lines = peer.reply()
    assert code == 500 and "CRLF" in lines[0]
    server.lenient = True
    assert peer.command(b"AUTH LOGIN")[0] == 334
    peer.send(b64(DEMO_USER.encode()) + b"\n")
    assert peer.reply()[0] == 334  # the lenient server reads on: Password:


# RFC 4954 §4: "If the client is transmitting an initial response of zero length, it MUST
# instead transmit the response as a single equals sign ("=")."
@pytest.mark.parametrize("line", [b"AUTH PLAIN =", b"auth plain ="])
def test_plain_with_an_empty_initial_response_is_refused_as_holding_no_credentials(
    server: DebugServer,
    raw,  # type: ignore[no-untyped-def]
    line: bytes,
) -> None:
    peer = greeted(raw, server)
    code, lines = peer.command(line)
    # Not "can't decode base64": "=" is valid, and empty. A PLAIN message needs a user name
    # and a password (RFC 4616 §2); an empty one is malformed, which aiosmtpd answers 501.
    assert code == 501, lines
    assert lines[0].startswith("5.5.2") and "is empty" in lines[0] and "decode" not in lines[0], lines
    plain = b64(b"\0" + DEMO_USER.encode() + b"\0" + DEMO_PASSWORD.encode())
    assert peer.command(b"AUTH PLAIN " + plain)[0] == 235  # the refused exchange left no trace


def test_login_with_an_empty_initial_response_asks_for_the_password(server: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    # LOGIN's initial response is the user name: "=" sends an empty one, and the exchange
    # goes on to the password; no account has an empty name, so it ends in 535.
    peer = greeted(raw, server)
    code, lines = peer.command(b"AUTH LOGIN =")
    assert code == 334 and base64.b64decode(lines[0]) == b"Password:", lines
    assert peer.command(b64(DEMO_PASSWORD.encode()))[0] == 535
    assert peer.command(b"NOOP")[0] == 250


def test_cram_md5_with_an_empty_initial_response_is_refused(server: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    # The server speaks first in CRAM-MD5 (RFC 2195 §2): no initial response, empty or not.
    peer = greeted(raw, server)
    code, lines = peer.command(b"AUTH CRAM-MD5 =")
    assert code == 501 and "initial response" in lines[0], lines
