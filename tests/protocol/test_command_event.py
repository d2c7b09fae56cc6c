"""`Command` is a structured event that checks itself when built (issue 11).

Whatever builds it (a builder, a caller by hand, `dataclasses.replace`), a control character
or an over-long line is refused before any byte exists; the wire bytes are derived from the
fields, and the core reads the fields, never the bytes.
"""

from __future__ import annotations

import dataclasses
from email.message import EmailMessage

import pytest

from smtplearn.protocol import commands as c
from smtplearn.protocol import grammar
from smtplearn.protocol.commands import AUTH_RESPONSE, Command
from smtplearn.protocol.connection import ClientConnection
from smtplearn.protocol.errors import LocalProtocolError


@pytest.mark.parametrize("char", sorted(grammar.REFUSED_IN_ARGUMENTS))
def test_a_hand_built_command_refuses_every_control_character(char: str) -> None:
    with pytest.raises(LocalProtocolError, match="RFC 5321"):
        Command("NOOP", (f"x{char}RSET",))


def test_replace_cannot_smuggle_a_second_line_into_a_built_command() -> None:
    with pytest.raises(LocalProtocolError, match=r"RFC 5321 §2\.3\.8"):
        dataclasses.replace(c.rcpt("a@example.com"), arguments=("TO:<a@example.com>\r\nDATA",))


def test_a_hand_built_command_keeps_the_line_limit() -> None:
    fits = "x" * (grammar.MAX_COMMAND_LINE - len("NOOP \r\n"))
    assert len(Command("NOOP", (fits,)).line) == grammar.MAX_COMMAND_LINE
    with pytest.raises(LocalProtocolError, match=r"RFC 5321 §4\.5\.3\.1\.4"):
        Command("NOOP", (fits + "x",))


def test_a_commands_fields_must_agree() -> None:
    with pytest.raises(LocalProtocolError, match="upper case"):
        Command("noop")
    with pytest.raises(LocalProtocolError, match="secret"):
        Command("AUTH", ("PLAIN", "abc"), secret="xyz")
    with pytest.raises(LocalProtocolError, match="SMTPUTF8"):
        Command("MAIL", ("FROM:<a@b>",), smtputf8=True)
    with pytest.raises(LocalProtocolError, match="spell"):
        Command("MAIL", ("FROM:<a@b>",), spelling="rcpt")


def test_the_wire_bytes_and_views_are_derived_from_the_fields() -> None:
    command = c.raw("mail FROM:<a@b> SMTPUTF8")
    assert (command.verb, command.arguments, command.smtputf8) == ("MAIL", ("FROM:<a@b>", "SMTPUTF8"), True)
    assert command.line == b"mail FROM:<a@b> SMTPUTF8\r\n"
    auth = c.auth("PLAIN", "c2VjcmV0", secret=True)
    assert (auth.shown, auth.redacted, auth.has_initial_response) == (
        "AUTH PLAIN <redacted>",
        b"AUTH PLAIN <redacted>\r\n",
        True,
    )
    answer = c.auth_response("c2VjcmV0", secret=True)
    assert (answer.verb, answer.line, answer.shown) == (AUTH_RESPONSE, b"c2VjcmV0\r\n", "<redacted>")


@pytest.mark.parametrize("address", ["SMTPUTF8@example.com", "a@example.com"])
def test_the_core_reads_smtputf8_from_the_field_not_the_bytes(address: str) -> None:
    # A sender whose address spells the parameter does not make the transaction SMTPUTF8:
    # the message's non-ASCII header is still encoded (RFC 2047), not sent as raw UTF-8.
    message = EmailMessage()
    message["Subject"] = "ünïcode"
    message.set_content("body")
    for command, raw_utf8 in ((c.mail(address), False), (c.mail(address, smtputf8=True), True)):
        connection = ClientConnection(strict=False)
        connection.connection_made()
        connection.send(command)
        assert ("ünïcode".encode() in connection.send_data(message)) is raw_utf8
