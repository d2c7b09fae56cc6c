"""What the DebugServer refuses by default, and what its one `lenient` switch lets through.

Driven over raw sockets (what smtplib will not send) and with smtplib (the happy paths).
Every refusal here is a rule the lessons teach; `lenient=True` is for a lesson that shows
what a forgiving server accepts.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator

import pytest

from smtplearn.protocol.commands import MAX_COMMAND_LINE
from smtplearn.protocol.grammar import MAX_DOMAIN, MAX_LOCAL_PART, MAX_PATH
from smtplearn.server import DebugServer

Raw = Callable[..., object]


@pytest.fixture
def plain() -> Iterator[DebugServer]:
    with DebugServer(tls=False) as running:
        yield running


@pytest.fixture
def lenient() -> Iterator[DebugServer]:
    with DebugServer(tls=False, lenient=True) as running:
        yield running


def greeted(raw, server: DebugServer):  # type: ignore[no-untyped-def]
    peer = raw(server.address)
    code, _ = peer.command(b"EHLO client.example")
    assert code == 250
    return peer


# -- bare LF command lines (RFC 5321 §2.3.8) -------------------------------------------


def test_a_command_ending_in_a_bare_lf_gets_500_naming_crlf(plain: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    peer = greeted(raw, plain)
    peer.send(b"NOOP\n")
    code, lines = peer.reply()
    assert code == 500
    assert "CRLF" in lines[0] and "RFC 5321 §2.3.8" in lines[0]
    # Nothing else changed: the next, proper line is answered normally.
    assert peer.command(b"NOOP")[0] == 250


@pytest.mark.parametrize("line", [b"EHLO bare.example\n", b"MAIL FROM:<a@example.test>\n", b"QUIT\n"])
def test_no_command_is_carried_out_from_a_bare_lf_line(plain: DebugServer, raw, line: bytes) -> None:  # type: ignore[no-untyped-def]
    peer = raw(plain.address)
    peer.send(line)
    assert peer.reply()[0] == 500
    assert peer.command(b"RSET")[0] == 250  # still connected, still served


def test_a_cr_before_the_crlf_is_not_a_line_ending(plain: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    peer = greeted(raw, plain)
    peer.send(b"NOOP\r\r\n")
    assert peer.reply()[0] == 500


def test_lenient_accepts_bare_lf_commands(lenient: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    peer = raw(lenient.address)
    peer.send(b"EHLO bare.example\n")
    assert peer.reply()[0] == 250
    peer.send(b"NOOP\n")
    assert peer.reply()[0] == 250


def test_lenient_can_be_switched_while_the_server_runs(plain: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    assert plain.lenient is False
    plain.lenient = True
    peer = raw(plain.address)
    peer.send(b"NOOP\n")
    assert peer.reply()[0] == 250
    plain.lenient = False
    peer.send(b"NOOP\n")
    assert peer.reply()[0] == 500


# -- control characters: the client core's rule -----------------------------------------


def test_tab_in_an_argument_is_refused_as_the_client_refuses_it(plain: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    from smtplearn.protocol import commands
    from smtplearn.protocol.errors import LocalProtocolError

    with pytest.raises(LocalProtocolError):
        commands.vrfy("student\tx")
    peer = greeted(raw, plain)
    code, lines = peer.command(b"VRFY student\tx")
    assert code == 501 and "U+0009" in lines[0]
    # Trailing whitespace is part of the line too: aiosmtpd strips it, the rule does not.
    assert peer.command(b"VRFY student\t")[0] == 501


# -- MAIL and RCPT syntax (RFC 5321 §4.1.2, §3.3) --------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        b"MAIL FROM:<a@example.test",  # no closing bracket
        b"MAIL FROM:a@example.test",  # no brackets
        b"MAIL FROM: <a@example.test>",  # space after the colon (RFC 5321 §3.3)
        b"MAIL FROM:<a@example.test>SIZE=10",  # no space before the parameter
        b"MAIL FROM:<a@example.test> SIZE=10 SIZE=20",  # one SIZE only (RFC 1870 §6)
        b"MAIL FROM:<a@example.test> size=10 SIZE=20",  # keywords are case-insensitive
    ],
)
def test_malformed_mail_is_refused_with_501(plain: DebugServer, raw, line: bytes) -> None:  # type: ignore[no-untyped-def]
    peer = greeted(raw, plain)
    assert peer.command(line)[0] == 501
    # No transaction was started: a correct MAIL is accepted next.
    assert peer.command(b"MAIL FROM:<a@example.test>")[0] == 250


@pytest.mark.parametrize(
    "line", [b"RCPT TO:<b@example.test", b"RCPT TO:b@example.test", b"RCPT TO: <b@x.test>"]
)
def test_malformed_rcpt_is_refused_with_501(plain: DebugServer, raw, line: bytes) -> None:  # type: ignore[no-untyped-def]
    peer = greeted(raw, plain)
    assert peer.command(b"MAIL FROM:<a@example.test>")[0] == 250
    assert peer.command(line)[0] == 501
    assert peer.command(b"RCPT TO:<b@example.test>")[0] == 250


def test_sequence_errors_still_come_first(plain: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    peer = raw(plain.address)
    assert peer.command(b"MAIL FROM:<a@example.test")[0] == 503  # no EHLO yet
    peer = greeted(raw, plain)
    assert peer.command(b"MAIL FROM:<a@example.test>")[0] == 250
    assert peer.command(b"MAIL FROM:<a@example.test")[0] == 503  # nested MAIL


# -- length limits (RFC 5321 §4.5.3.1.1-3, replies per §4.5.3.1.9) ----------------------


def test_the_limits_are_the_rfcs() -> None:
    assert (MAX_LOCAL_PART, MAX_DOMAIN, MAX_PATH, MAX_COMMAND_LINE) == (64, 255, 256, 512)


def _address(local: int, domain: int) -> bytes:
    """``l...l@d...d`` with the given octet counts; the domain has labels of 60 octets at most."""
    name = bytearray(b"d" * domain)
    for dot in range(60, domain - 1, 61):
        name[dot] = ord(".")
    return b"l" * local + b"@" + bytes(name)


@pytest.mark.parametrize(
    ("local", "domain", "accepted"),
    [
        (64, 20, True),
        (65, 20, False),
        (20, 233, True),  # <20@233> is 256 octets with its brackets: the path limit
        (20, 234, False),  # the path is 257 octets
    ],
)
def test_path_limits(plain: DebugServer, raw, local: int, domain: int, accepted: bool) -> None:  # type: ignore[no-untyped-def]
    address = _address(local, domain)
    assert len(address) == local + 1 + domain
    peer = greeted(raw, plain)
    code, lines = peer.command(b"MAIL FROM:<" + address + b">")
    assert code == (250 if accepted else 501), lines
    if not accepted:
        assert "RFC 5321 §4.5.3.1" in lines[0]
        peer.command(b"MAIL FROM:<a@example.test>")
    code, _ = peer.command(b"RCPT TO:<" + address + b">")
    assert code == (250 if accepted else 501)


def test_a_domain_over_255_octets_is_refused(plain: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    # Only reachable inside a path over 256 octets, so both rules speak: the domain's is named.
    peer = greeted(raw, plain)
    code, lines = peer.command(b"MAIL FROM:<a@" + _address(0, 256)[1:] + b">")
    assert code == 501 and "§4.5.3.1.2" in lines[0]


def test_lenient_accepts_long_paths_and_sloppy_syntax(lenient: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    peer = greeted(raw, lenient)
    assert peer.command(b"MAIL FROM:<" + _address(70, 20) + b">")[0] == 250
    assert peer.command(b"RCPT TO:<b@example.test")[0] == 250
    assert peer.command(b"RSET")[0] == 250
    assert peer.command(b"MAIL FROM: a@example.test SIZE=10 SIZE=20")[0] == 250


# -- SMTPUTF8 (RFC 6531 §3.4, replies per §3.5) -----------------------------------------


def test_a_utf8_sender_needs_the_smtputf8_parameter(plain: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    peer = greeted(raw, plain)
    code, lines = peer.command("MAIL FROM:<jürgen@example.test>".encode())
    assert code == 550 and lines[0].startswith("5.6.7") and "SMTPUTF8" in lines[0]
    assert peer.command("MAIL FROM:<jürgen@example.test> SMTPUTF8".encode())[0] == 250


def test_a_utf8_recipient_needs_the_smtputf8_parameter_on_mail(plain: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    peer = greeted(raw, plain)
    assert peer.command(b"MAIL FROM:<a@example.test>")[0] == 250
    code, lines = peer.command("RCPT TO:<用户@例子.test>".encode())
    assert code == 553 and lines[0].startswith("5.6.7")
    assert peer.command(b"RSET")[0] == 250
    assert peer.command(b"MAIL FROM:<a@example.test> SMTPUTF8")[0] == 250
    assert peer.command("RCPT TO:<用户@例子.test>".encode())[0] == 250


def test_smtplib_sends_an_international_message(plain: DebugServer) -> None:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "jürgen@example.test"
    message["To"] = "用户@例子.test"
    message["Subject"] = "Grüße"
    message.set_content("Hallo.\n")
    with smtplib.SMTP(*plain.address, timeout=10) as client:
        client.send_message(message)
    assert plain.mailbox.wait_for(1)[0].rcpt_tos == ("用户@例子.test",)


def test_lenient_accepts_utf8_without_smtputf8(lenient: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    peer = greeted(raw, lenient)
    assert peer.command("MAIL FROM:<jürgen@example.test>".encode())[0] == 250


# RFC 6531 §3.7.4.2: vrfy = "VRFY" SP String [ SP "SMTPUTF8" ] CRLF ("String may include
# Non-ASCII characters"), and a reply that needs UTF-8 for a client that did not send the
# parameter "MUST use either the reply-code 252 or 550", enhanced code X.6.8.
@pytest.mark.parametrize("verb", ["VRFY", "EXPN", "vrfy"])
@pytest.mark.parametrize("argument", ["jürgen", "<用户@例子.test>", "Jürgen Müller"])
def test_vrfy_and_expn_with_non_ascii_need_the_smtputf8_parameter(
    plain: DebugServer,
    raw,  # type: ignore[no-untyped-def]
    verb: str,
    argument: str,
) -> None:
    peer = greeted(raw, plain)
    code, lines = peer.command(f"{verb} {argument}".encode())
    assert code == 550 and lines[0].startswith("5.6.8") and "SMTPUTF8" in lines[0], lines
    # Even after an SMTPUTF8 transaction: the parameter counts "for that command only".
    assert peer.command(b"MAIL FROM:<a@example.test> SMTPUTF8")[0] == 250
    assert peer.command(f"{verb} {argument}".encode())[0] == 550


def test_vrfy_with_non_ascii_and_the_smtputf8_parameter_is_looked_up(plain: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    peer = greeted(raw, plain)
    code, lines = peer.command("VRFY jürgen SMTPUTF8".encode())
    assert code == 550 and lines[0].startswith("5.1.1"), lines  # not in the directory
    assert peer.command(b"VRFY dhellmann")[0] == 250  # ASCII needs no parameter


def test_lenient_answers_vrfy_with_non_ascii(lenient: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    peer = greeted(raw, lenient)
    code, lines = peer.command("VRFY jürgen".encode())
    assert code == 550 and lines[0].startswith("5.1.1"), lines


# -- 8-bit data needs BODY=8BITMIME (RFC 5321 §2.4, RFC 6152) ----------------------------


def _send(peer, mail: bytes, body: bytes) -> tuple[int, list[str]]:  # type: ignore[no-untyped-def]
    assert peer.command(mail)[0] == 250
    assert peer.command(b"RCPT TO:<b@example.test>")[0] == 250
    assert peer.command(b"DATA")[0] == 354
    peer.send(b"Subject: eight\r\n\r\n" + body + b"\r\n.\r\n")
    return peer.reply()  # type: ignore[no-any-return]


def test_8bit_data_without_body_8bitmime_is_refused(plain: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    peer = greeted(raw, plain)
    code, lines = _send(peer, b"MAIL FROM:<a@example.test>", "Crème brûlée".encode())
    assert code == 554 and "BODY=8BITMIME" in lines[0]
    assert len(plain.mailbox) == 0
    for mail in (b"MAIL FROM:<a@example.test> BODY=8BITMIME", b"MAIL FROM:<a@example.test> SMTPUTF8"):
        assert _send(peer, mail, "Crème brûlée".encode())[0] == 250
    assert len(plain.mailbox) == 2


def test_lenient_accepts_8bit_data_without_body(lenient: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    peer = greeted(raw, lenient)
    assert _send(peer, b"MAIL FROM:<a@example.test>", "Crème brûlée".encode())[0] == 250


# -- SIZE counts the message, not the transparency dots (RFC 1870 §5) --------------------

SIZE = 1000


@pytest.fixture
def sized() -> Iterator[DebugServer]:
    with DebugServer(tls=False, size_limit=SIZE) as running:
        yield running


def _dotted(size: int) -> bytes:
    """A message of exactly `size` octets in which every line starts with a dot."""
    head = b"Subject: dots\r\n\r\n"
    line = b"." + b"x" * 47 + b"\r\n"  # 50 octets
    body = line * ((size - len(head)) // len(line))
    rest = size - len(head) - len(body)
    message = head + body + (b"." + b"y" * (rest - 3) + b"\r\n" if rest else b"")
    assert len(message) == size
    return message


def _stuffed(message: bytes) -> bytes:
    # RFC 5321 §4.5.2, done by hand: a leading dot is doubled on every line.
    lead = b"." if message.startswith(b".") else b""
    return lead + message.replace(b"\r\n.", b"\r\n..") + b".\r\n"


@pytest.mark.parametrize(("size", "code"), [(SIZE, 250), (SIZE + 1, 552)])
def test_size_excludes_the_transparency_dots(sized: DebugServer, raw, size: int, code: int) -> None:  # type: ignore[no-untyped-def]
    message = _dotted(size)
    peer = greeted(raw, sized)
    # No SIZE= on MAIL: the limit is judged on the data itself.
    for line, expected in (
        (b"MAIL FROM:<a@example.test>", 250),
        (b"RCPT TO:<b@example.test>", 250),
        (b"DATA", 354),
    ):
        assert peer.command(line)[0] == expected
    peer.send(_stuffed(message))
    assert peer.reply()[0] == code
    assert [m.raw for m in sized.mailbox] == ([message] if code == 250 else [])


def test_smtplib_sends_a_dotted_message_of_exactly_the_limit(sized: DebugServer) -> None:
    message = _dotted(SIZE)
    with smtplib.SMTP(*sized.address, timeout=10) as client:
        client.sendmail("a@example.test", ["b@example.test"], message)  # declares SIZE=1000 too
    assert sized.mailbox.wait_for(1)[0].raw == message


def test_lenient_on_the_command_line() -> None:
    import argparse

    from smtplearn.server.console import add_arguments, banner, build_server

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert build_server(parser.parse_args(["--port", "0"])).lenient is False
    lenient = build_server(parser.parse_args(["--port", "0", "--lenient", "--no-tls"]))
    assert lenient.lenient is True
    with lenient:
        assert "lenient:" in banner(lenient)


@pytest.mark.parametrize("verb", [b"EHLO", b"HELO"])
def test_a_non_ascii_greeting_name_is_refused(plain: DebugServer, raw, verb: bytes) -> None:  # type: ignore[no-untyped-def]
    # RFC 6531 §3.7.1: before the EHLO reply no client knows of SMTPUTF8, so the name is ASCII.
    peer = raw(plain.address)
    code, lines = peer.command(verb + " jürgen.example".encode())
    assert code == 501 and "RFC 6531 §3.7.1" in lines[-1]
    assert peer.command(verb + b" xn--jrgen-kva.example")[0] == 250
    plain.lenient = True
    assert peer.command(verb + " jürgen.example".encode())[0] == 250
