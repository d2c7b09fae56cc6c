"""The client core and the smtplib facade agree with `smtplearn.protocol.grammar` (issue 11).

One table of characters and line lengths, driven through `Client` and `compat.SMTP` against a
real DebugServer: what grammar.py refuses, both refuse before a byte is sent, and what it
allows, both send. (The server's side of the same table comes with the server's switch-over.)
Where the facade used to differ from the core (ASCII-only AUTH, its own abandon rule), the
core's rule now holds, and a test below says so.
"""

from __future__ import annotations

import hmac
import smtplib
import socket
from collections.abc import Iterator

import pytest

from smtplearn import compat
from smtplearn.client import Client
from smtplearn.protocol import grammar
from smtplearn.protocol.errors import LocalProtocolError
from smtplearn.server import DebugServer, RejectRecipient

#: Every ASCII character, then a few beyond (a Latin-1 letter, NBSP, LINE SEPARATOR).
CHARACTERS = [chr(code) for code in range(0x80)]
ASCII_TABLE = {char: char in grammar.REFUSED_IN_ARGUMENTS for char in CHARACTERS}
UTF8_PASSWORD = "pässwörd-ünïcode"


@pytest.fixture(scope="module")
def server() -> Iterator[DebugServer]:
    with DebugServer(
        users={"tim": UTF8_PASSWORD},
        auth_require_tls=False,
        faults=[RejectRecipient("refused*")],
    ) as running:
        yield running


def _refuses(send: object, error: type[BaseException], char: str) -> bool:
    try:
        send(f"a{char}b")  # type: ignore[operator]
    except error:
        return True
    return False


def test_the_table_is_the_grammar() -> None:
    refused = {char for char, no in ASCII_TABLE.items() if no}
    # RFC 5321 §4.1.2: no argument grammar admits a C0 control or DEL; TAB is no exception.
    assert refused == {chr(code) for code in range(0x20)} | {"\x7f"}
    assert all(grammar.find_control(char) for char in refused)
    assert not any(grammar.find_control(char) for char in CHARACTERS if char not in refused)


def test_the_client_refuses_exactly_what_the_grammar_refuses(server: DebugServer) -> None:
    with Client(server.host, server.port) as client:
        client.ehlo().raise_for_reply()
        session = server.sessions[-1]
        seen = len(session.received)
        verdicts = {char: _refuses(client.vrfy, LocalProtocolError, char) for char in CHARACTERS}
        sent = session.received[seen:]
    assert verdicts == ASCII_TABLE
    # Refused means not one byte sent: the server saw one VRFY per allowed character only.
    assert len(sent) == sum(not no for no in ASCII_TABLE.values())


def test_the_facade_refuses_exactly_what_the_grammar_refuses(server: DebugServer) -> None:
    smtp = compat.SMTP(server.host, server.port, local_hostname="localhost")
    try:
        smtp.ehlo()
        session = server.sessions[-1]
        seen = len(session.received)
        # docmd sends the argument as given (verify() first reduces it with email.utils.parseaddr,
        # as smtplib does, which drops folding whitespace before the grammar is asked).
        verdicts = {
            char: _refuses(lambda arg: smtp.docmd("vrfy", arg), ValueError, char) for char in CHARACTERS
        }
        sent = session.received[seen:]
    finally:
        smtp.quit()
    assert verdicts == ASCII_TABLE
    assert len(sent) == sum(not no for no in ASCII_TABLE.values())


@pytest.mark.parametrize("spare", [0, 1])
def test_both_sides_take_the_command_line_limit_from_the_grammar(server: DebugServer, spare: int) -> None:
    # "NOOP " + argument + CRLF: exactly MAX_COMMAND_LINE octets is allowed, one more is not.
    line = "NOOP " + "x" * (grammar.MAX_COMMAND_LINE - len("NOOP ") - 2 + spare)
    too_long = spare > 0
    with Client(server.host, server.port) as client:
        client.ehlo()
        if too_long:
            with pytest.raises(LocalProtocolError, match=rf"at most {grammar.MAX_COMMAND_LINE}"):
                client.send_raw(line)
        else:
            assert client.send_raw(line).reply is not None
    smtp = compat.SMTP(server.host, server.port, local_hostname="localhost")
    try:
        if too_long:
            with pytest.raises(ValueError, match=rf"at most {grammar.MAX_COMMAND_LINE}"):
                smtp.docmd(line)
        else:
            assert smtp.docmd(line)[0] > 0
    finally:
        smtp.quit()


def test_an_auth_response_may_be_longer_than_a_command_line() -> None:
    from smtplearn.protocol import commands

    longest = "A" * (grammar.MAX_AUTH_RESPONSE_LINE - 2)
    assert len(commands.auth_response(longest, secret=True).line) == grammar.MAX_AUTH_RESPONSE_LINE
    with pytest.raises(LocalProtocolError, match="RFC 4954"):
        commands.auth_response(longest + "A", secret=True)


def test_the_reply_line_limit_is_smtplibs() -> None:
    assert grammar.MAX_REPLY_LINE == smtplib._MAXLINE  # type: ignore[attr-defined]


# -- where the facade used to restate the core, the core's rule now holds -----------------


def test_the_facade_answers_cram_md5_with_the_cores_digest_for_a_utf8_password() -> None:
    # smtplib (and the facade before) keyed the HMAC with password.encode("ascii"): a
    # UnicodeEncodeError. RFC 4422 §5 and the core: passwords are UTF-8.
    smtp = compat.SMTP()
    smtp.user, smtp.password = "tim", UTF8_PASSWORD
    challenge = b"<1896.697170952@postoffice.example.net>"
    expected = hmac.new(UTF8_PASSWORD.encode("utf-8"), challenge, "md5").hexdigest()
    assert smtp.auth_cram_md5(challenge) == f"tim {expected}"
    assert grammar.cram_md5_digest(UTF8_PASSWORD, challenge) == expected


@pytest.mark.parametrize("mechanism", ["CRAM-MD5", "PLAIN", "LOGIN"])
def test_the_facade_logs_in_with_a_utf8_password(server: DebugServer, mechanism: str) -> None:
    smtp = compat.SMTP(server.host, server.port, local_hostname="localhost")
    try:
        smtp.ehlo()
        authobject = getattr(smtp, "auth_" + mechanism.lower().replace("-", "_"))
        smtp.user, smtp.password = "tim", UTF8_PASSWORD
        assert smtp.auth(mechanism, authobject)[0] == 235
    finally:
        smtp.quit()


def test_the_facade_abandons_a_transaction_whose_every_recipient_was_refused(server: DebugServer) -> None:
    # smtplib compares len(refused) with len(to_addrs), so a refused address given twice
    # looks like one accepted recipient and it sends DATA anyway. The core's rule
    # (states.transaction_refused): every RCPT refused, so RSET instead of DATA.
    smtp = compat.SMTP(server.host, server.port, local_hostname="localhost")
    try:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            smtp.sendmail("author@example.com", ["refused@example.com"] * 2, b"Subject: x\r\n\r\nbody\r\n")
        received = server.sessions[-1].received
    finally:
        smtp.quit()
    assert "data" not in [line.lower() for line in received]
    assert received[-1].upper() == "RSET"


def _server_reply(server: DebugServer, line: bytes) -> bytes:
    """The server's reply to `line` sent raw after EHLO (a client that checks nothing)."""
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        reader = sock.makefile("rb")
        reader.readline()  # greeting
        sock.sendall(b"EHLO grammar.example\r\n")
        while reader.readline()[3:4] != b" ":
            pass
        sock.sendall(line)
        return reader.readline()


def test_the_server_refuses_exactly_what_the_grammar_refuses(server: DebugServer) -> None:
    # The server judges what it receives with the same table (strict.py imports the grammar).
    # CR and LF end the line itself, so they are the line-ending rules' business, not this one's.
    for char, refused in ASCII_TABLE.items():
        if char in grammar.LINE_BREAKS:
            continue
        reply = _server_reply(server, f"VRFY a{char}b\r\n".encode("latin-1"))
        # A refused argument is a syntax error (500/501); an allowed one is looked up (250,
        # 252, or 550/553 for an unknown or ambiguous name).
        assert (reply[:3] in (b"500", b"501")) is refused, (repr(char), reply)
