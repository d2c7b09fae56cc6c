"""Command builders: byte-exact wire lines, learner views, and refused arguments."""

from __future__ import annotations

import pytest

from smtplearn.protocol import commands as c
from smtplearn.protocol.commands import Command
from smtplearn.protocol.errors import LocalProtocolError

# (command, verb, exact wire bytes)
WIRE = [
    (c.ehlo("localhost.local"), "EHLO", b"EHLO localhost.local\r\n"),
    (c.ehlo("[127.0.0.1]"), "EHLO", b"EHLO [127.0.0.1]\r\n"),
    (c.helo("client.example"), "HELO", b"HELO client.example\r\n"),
    (c.mail("author@example.com"), "MAIL", b"MAIL FROM:<author@example.com>\r\n"),
    (c.mail("<author@example.com>"), "MAIL", b"MAIL FROM:<author@example.com>\r\n"),
    (c.mail(""), "MAIL", b"MAIL FROM:<>\r\n"),
    (c.mail("<>"), "MAIL", b"MAIL FROM:<>\r\n"),
    (c.mail("a@b", size=266), "MAIL", b"MAIL FROM:<a@b> SIZE=266\r\n"),
    (
        c.mail("a@b", size=266, body="8bitmime", smtputf8=True),
        "MAIL",
        b"MAIL FROM:<a@b> SIZE=266 BODY=8BITMIME SMTPUTF8\r\n",
    ),
    (c.mail("a@b", body="7BIT"), "MAIL", b"MAIL FROM:<a@b> BODY=7BIT\r\n"),
    (
        c.mail("a@b", params=("RET=HDRS", "ENVID=QQ314159")),
        "MAIL",
        b"MAIL FROM:<a@b> RET=HDRS ENVID=QQ314159\r\n",
    ),
    (
        c.mail("jörg@bücher.example", smtputf8=True),
        "MAIL",
        "MAIL FROM:<jörg@bücher.example> SMTPUTF8\r\n".encode(),
    ),
    (c.rcpt("recipient@example.com"), "RCPT", b"RCPT TO:<recipient@example.com>\r\n"),
    (c.rcpt("Postmaster"), "RCPT", b"RCPT TO:<Postmaster>\r\n"),
    (c.rcpt("a@b", params=("NOTIFY=NEVER",)), "RCPT", b"RCPT TO:<a@b> NOTIFY=NEVER\r\n"),
    (c.rcpt("zoë@example.com", smtputf8=True), "RCPT", "RCPT TO:<zoë@example.com>\r\n".encode()),
    (c.rcpt('"john doe"@example.com'), "RCPT", b'RCPT TO:<"john doe"@example.com>\r\n'),
    (c.data(), "DATA", b"DATA\r\n"),
    (c.rset(), "RSET", b"RSET\r\n"),
    (c.noop(), "NOOP", b"NOOP\r\n"),
    (c.vrfy("<dhellmann>"), "VRFY", b"VRFY <dhellmann>\r\n"),
    (c.vrfy("dhellmann"), "VRFY", b"VRFY dhellmann\r\n"),
    (c.expn("staff"), "EXPN", b"EXPN staff\r\n"),
    (c.help(), "HELP", b"HELP\r\n"),
    (c.help("MAIL"), "HELP", b"HELP MAIL\r\n"),
    (c.quit(), "QUIT", b"QUIT\r\n"),
    (c.starttls(), "STARTTLS", b"STARTTLS\r\n"),
    (c.auth("cram-md5"), "AUTH", b"AUTH CRAM-MD5\r\n"),
    (c.auth("PLAIN", "AHRpbQB0YW5zdGFhZg=="), "AUTH", b"AUTH PLAIN AHRpbQB0YW5zdGFhZg==\r\n"),
    (c.auth("EXTERNAL", ""), "AUTH", b"AUTH EXTERNAL =\r\n"),
    (c.auth_response("dGlt", secret=False), "AUTH-RESPONSE", b"dGlt\r\n"),
    (c.auth_response("*", secret=False), "AUTH-RESPONSE", b"*\r\n"),
    (
        c.raw("mail FROM:<author@example.com> size=266"),
        "MAIL",
        b"mail FROM:<author@example.com> size=266\r\n",
    ),
    (c.raw("ehlo localhost.local"), "EHLO", b"ehlo localhost.local\r\n"),
    (c.raw("XYZZY"), "XYZZY", b"XYZZY\r\n"),
]


@pytest.mark.parametrize(("command", "verb", "wire"), WIRE, ids=[w.decode() for _, _, w in WIRE])
def test_builder_wire_bytes(command: Command, verb: str, wire: bytes) -> None:
    assert command.verb == verb
    assert command.line == wire
    # Without a secret, every view is the wire line.
    assert command.shown == wire.decode().removesuffix("\r\n")
    assert command.redacted == wire
    assert not command.has_secret


SECRETS = [
    (c.auth("PLAIN", "AHRpbQBzM2NyM3Q=", secret=True), "AUTH PLAIN <redacted>"),
    (c.auth_response("czNjcjN0", secret=True), "<redacted>"),
    (c.raw("AUTH PLAIN AHRpbQBzM2NyM3Q=", secret=True), "AUTH PLAIN <redacted>"),
    (c.raw("czNjcjN0", secret=True), "<redacted>"),
    (c.raw("XAUTH s3cr3t token", secret=True), "XAUTH <redacted>"),
]


@pytest.mark.parametrize(("command", "shown"), SECRETS, ids=[s for _, s in SECRETS])
def test_secret_views_are_redacted(command: Command, shown: str) -> None:
    assert command.has_secret
    assert command.shown == shown
    assert command.redacted == shown.encode() + b"\r\n"
    for secret in ("AHRpbQBzM2NyM3Q=", "czNjcjN0", "s3cr3t"):
        assert secret not in command.shown
        assert secret.encode() not in command.redacted
        assert secret not in repr(command)
    assert command.line.endswith(b"\r\n") and command.line != command.redacted


def test_secret_wire_bytes_are_the_real_ones() -> None:
    assert c.auth("PLAIN", "AHRpbQ==", secret=True).line == b"AUTH PLAIN AHRpbQ==\r\n"
    assert c.auth_response("czNjcjN0", secret=True).line == b"czNjcjN0\r\n"


def test_line_feed_message_names_argument_character_position_and_rfc() -> None:
    with pytest.raises(LocalProtocolError) as info:
        c.mail("a@b.c\nRCPT TO:<victim@example.com>")
    assert str(info.value) == (
        "address contains a line feed (\\n) at position 5: SMTP commands end at CRLF, "
        "so this would smuggle a second command (RFC 5321 §2.3.8)"
    )


BAD_ARGUMENTS = [
    (lambda: c.ehlo("host\r\nMAIL FROM:<x@y>"), "domain contains a carriage return (\\r) at position 4"),
    (lambda: c.helo("a\x00b"), "domain contains a NUL (\\x00) at position 1"),
    (lambda: c.rcpt("a@b\r"), "address contains a carriage return (\\r) at position 3"),
    (lambda: c.vrfy("x\x7f"), "address contains a control character (U+007F) at position 1"),
    (lambda: c.expn("\tlist"), "name contains a control character (U+0009) at position 0"),
    (lambda: c.help("a\nb"), "topic contains a line feed (\\n) at position 1"),
    (lambda: c.mail("a@b", params=("X=1\r\nRSET",)), "parameter contains a carriage return"),
    (lambda: c.auth("PLAIN", "abc\n"), "initial_response contains a line feed"),
    (lambda: c.auth_response("abc\r\n", secret=True), "response contains a carriage return"),
    (lambda: c.raw("NOOP\r\nQUIT"), "line contains a carriage return (\\r) at position 4"),
    (lambda: c.ehlo(""), "domain must be one non-empty word"),
    (lambda: c.ehlo("two words"), "domain must be one non-empty word"),
    (lambda: c.rcpt(""), "only MAIL FROM may use the null path <>"),
    (lambda: c.rcpt("<>"), "only MAIL FROM may use the null path <>"),
    (lambda: c.mail("a@b> SIZE=1"), "address contains '>' at position 3"),
    (lambda: c.rcpt("a b@c"), "address contains ' ' at position 1"),
    (lambda: c.mail("jörg@example.com"), "use SMTPUTF8"),
    (lambda: c.rcpt("zoë@example.com"), "RFC 6531"),
    (lambda: c.mail("a@b", size=-1), "size must be a whole number"),
    (lambda: c.mail("a@b", body="BINARYMIME"), "body must be 7BIT or 8BITMIME"),
    (lambda: c.mail("a@b", params=("bad param",)), "is not keyword[=value]"),
    (lambda: c.auth("NOT A MECH"), "is not a SASL mechanism name"),
]


@pytest.mark.parametrize(("build", "message"), BAD_ARGUMENTS, ids=[m for _, m in BAD_ARGUMENTS])
def test_bad_arguments_are_refused_before_any_byte(build: object, message: str) -> None:
    assert callable(build)
    with pytest.raises(LocalProtocolError) as info:
        build()
    assert message in str(info.value)


def test_command_line_limit_is_512_octets_with_crlf() -> None:
    # "MAIL FROM:<" + ">" + CRLF is 14 octets: the address may fill the rest.
    longest = "a" * (512 - 14 - len("@b")) + "@b"
    assert len(c.mail(longest).line) == 512
    with pytest.raises(LocalProtocolError, match=r"513 octets .*RFC 5321 §4\.5\.3\.1\.4"):
        c.mail("a" + longest)


def test_auth_line_keeps_512_but_a_sasl_response_may_be_12288() -> None:
    with pytest.raises(LocalProtocolError, match="without an initial response"):
        c.auth("PLAIN", "A" * 600, secret=True)
    assert len(c.auth_response("A" * 12286, secret=True).line) == 12288
    with pytest.raises(LocalProtocolError, match="RFC 4954 §4"):
        c.auth_response("A" * 12287, secret=True)


def test_secret_error_message_does_not_echo_the_secret() -> None:
    with pytest.raises(LocalProtocolError) as info:
        c.auth("PLAIN", "A" * 600, secret=True)
    assert "AAAA" not in str(info.value)


def test_command_repr_hides_wire_bytes() -> None:
    command = c.auth("PLAIN", "c2VjcmV0", secret=True)
    assert "c2VjcmV0" not in repr(command)
    assert repr(command).startswith("Command(verb='AUTH', shown='AUTH PLAIN <redacted>'")


@pytest.mark.parametrize("line", ["  auth plain c2VjcmV0", "AUTH PLAIN c2VjcmV0", "   Auth Login c2VjcmV0"])
def test_a_raw_auth_line_is_an_auth_line_whatever_its_indent(line: str) -> None:
    # Leading spaces once made the verb "" and left the initial response unredacted.
    command = c.raw(line)
    assert command.verb == "AUTH" and command.has_initial_response and command.carries_credentials
    assert command.line == line.encode() + b"\r\n"  # sent exactly as typed
    assert "c2VjcmV0" not in command.shown and command.shown.endswith("<redacted>")
