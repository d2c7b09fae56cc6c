"""The DebugServer against bad input over raw sockets: named cases, each checked three ways.

Every case must get the right reply or a clean close; afterwards the mailbox holds exactly
the complete messages the case meant to deliver (nothing partial), and a normal client
(the standard library's smtplib, an independent peer) succeeds at once on the same server.
The smtplib-level behaviour and the happy paths are in `tests/server/`.
"""

from __future__ import annotations

import base64
import smtplib
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from hardening_support import RawSession, wait_until

from smtplearn.server import DEMO_PASSWORD, DEMO_USER, DebugServer

SIZE_LIMIT = 20_000
GOOD_MESSAGE = b"Subject: fine\r\n\r\nA complete message.\r\n"


@dataclass(frozen=True)
class Case:
    name: str
    run: Callable[[RawSession, DebugServer], None]
    #: The exact raw bytes of each message the case should leave in the mailbox.
    stores: tuple[bytes, ...] = ()
    #: Why the server still gets this case wrong (a strict xfail: it fails once fixed).
    defect: str = ""


CASES: list[Case] = []


def case(*stores: bytes, defect: str = "") -> Callable[[Callable[[RawSession, DebugServer], None]], None]:
    def register(run: Callable[[RawSession, DebugServer], None]) -> None:
        CASES.append(Case(run.__name__, run, stores, defect))

    return register


def transaction(s: RawSession) -> None:
    s.command(b"MAIL FROM:<author@example.test>", 250)
    s.command(b"RCPT TO:<reader@example.test>", 250)
    s.command(b"DATA", 354)


def tls(s: RawSession, server: DebugServer) -> None:
    s.starttls(server.client_tls_context(), server.host)


def b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def still_serving(s: RawSession) -> None:
    """The same session answers a plain command after the bad one."""
    s.command(b"NOOP", 250)


# -- overlong lines ----------------------------------------------------------------------


@case()
def command_line_of_513_octets(s: RawSession, server: DebugServer) -> None:
    s.greet()
    # RFC 5321 §4.5.3.1.4: 512 octets including CRLF; this line has 513.
    s.command(b"VRFY " + b"x" * 506, 500)
    still_serving(s)


@case()
def command_line_of_70_kilobytes(s: RawSession, server: DebugServer) -> None:
    s.greet()
    s.command(b"NOOP " + b"x" * 70_000, 500)
    still_serving(s)


@case()
def text_line_over_1000_octets(s: RawSession, server: DebugServer) -> None:
    s.greet()
    transaction(s)
    # RFC 5321 §4.5.3.1.6: a text line is at most 1000 octets including CRLF.
    s.send(b"Subject: long\r\n\r\n" + b"y" * 1500 + b"\r\n.\r\n")
    s.expect(500)
    still_serving(s)


# -- NUL and invalid UTF-8 ---------------------------------------------------------------


@case()
def nul_in_command(s: RawSession, server: DebugServer) -> None:
    s.greet()
    s.send(b"NOOP\x00\r\n")
    s.expect_class(5)
    still_serving(s)


@case()
def nul_in_mail_from(s: RawSession, server: DebugServer) -> None:
    s.greet()
    s.send(b"MAIL FROM:<au\x00thor@example.test>\r\n")
    s.expect_class(5)
    still_serving(s)


@case()
def invalid_utf8_in_command(s: RawSession, server: DebugServer) -> None:
    s.greet()
    s.command(b"NOOP \xff\xfe", 500)
    still_serving(s)


@case()
def invalid_utf8_in_ehlo(s: RawSession, server: DebugServer) -> None:
    s.expect(220)
    s.command(b"EHLO \xc3\x28.example", 500)
    s.command(b"EHLO fine.example", 250)


@case()
def invalid_utf8_in_rcpt(s: RawSession, server: DebugServer) -> None:
    s.greet()
    s.command(b"MAIL FROM:<author@example.test>", 250)
    s.command(b"RCPT TO:<\xe9\xff@example.test>", 500)
    s.command(b"RSET", 250)


# -- bare CR / LF in DATA and SMTP smuggling ---------------------------------------------


@case()
def bare_lf_in_data(s: RawSession, server: DebugServer) -> None:
    s.greet()
    transaction(s)
    s.send(b"Subject: lf\r\n\r\none\ntwo\r\n.\r\n")
    s.expect(554)
    still_serving(s)


@case()
def bare_cr_in_data(s: RawSession, server: DebugServer) -> None:
    s.greet()
    transaction(s)
    s.send(b"Subject: cr\r\n\r\none\rtwo\r\n.\r\n")
    s.expect(554)
    still_serving(s)


SMUGGLED = (
    b"MAIL FROM:<admin@example.test>\r\nRCPT TO:<victim@example.test>\r\nDATA\r\n"
    b"Subject: smuggled\r\n\r\nI am not from admin.\r\n"
)


def smuggle(end_of_data: bytes) -> Callable[[RawSession, DebugServer], None]:
    """A message whose text hides a second transaction behind a fake end of data."""

    def run(s: RawSession, server: DebugServer) -> None:
        s.greet()
        transaction(s)
        s.send(b"Subject: first\r\n\r\nhello" + end_of_data + SMUGGLED + b".\r\n")
        # One reply for one (refused) message: the smuggled commands were only text.
        s.expect(554)
        still_serving(s)

    return run


for _name, _end in {
    "smuggling_lf_dot_lf": b"\n.\n",
    "smuggling_cr_dot_cr": b"\r.\r",
    "smuggling_lf_dot_crlf": b"\n.\r\n",
    "smuggling_crlf_dot_lf": b"\r\n.\n",
    "smuggling_cr_dot_crlf": b"\r.\r\n",
}.items():
    CASES.append(Case(_name, smuggle(_end)))


# -- commands out of order ---------------------------------------------------------------


@case()
def mail_before_ehlo(s: RawSession, server: DebugServer) -> None:
    s.expect(220)
    s.command(b"MAIL FROM:<author@example.test>", 503)
    s.command(b"EHLO late.example", 250)


@case()
def rcpt_before_mail(s: RawSession, server: DebugServer) -> None:
    s.greet()
    s.command(b"RCPT TO:<reader@example.test>", 503)
    still_serving(s)


@case()
def data_before_rcpt(s: RawSession, server: DebugServer) -> None:
    s.greet()
    s.command(b"MAIL FROM:<author@example.test>", 250)
    s.command(b"DATA", 503)
    s.command(b"RSET", 250)


@case()
def second_mail_in_a_transaction(s: RawSession, server: DebugServer) -> None:
    s.greet()
    s.command(b"MAIL FROM:<author@example.test>", 250)
    s.command(b"MAIL FROM:<other@example.test>", 503)
    s.command(b"RSET", 250)


@case()
def unknown_command(s: RawSession, server: DebugServer) -> None:
    s.greet()
    s.command(b"FROB the widget", 500)
    still_serving(s)


@case()
def empty_line(s: RawSession, server: DebugServer) -> None:
    s.greet()
    s.command(b"", 500)
    still_serving(s)


@case()
def ehlo_without_a_name(s: RawSession, server: DebugServer) -> None:
    s.expect(220)
    s.command(b"EHLO", 501)
    s.command(b"EHLO named.example", 250)


@case()
def mail_with_an_unknown_parameter(s: RawSession, server: DebugServer) -> None:
    s.greet()
    # RFC 5321 §4.1.1.11: 555 for MAIL/RCPT parameters not recognised.
    s.command(b"MAIL FROM:<author@example.test> FROB=1", 555)
    still_serving(s)


@case()
def rcpt_with_a_malformed_path(s: RawSession, server: DebugServer) -> None:
    s.greet()
    s.command(b"MAIL FROM:<author@example.test>", 250)
    s.send(b"RCPT TO:<<reader@example.test>>\r\n")
    s.expect_class(5)
    s.command(b"RSET", 250)


@case(GOOD_MESSAGE)
def garbage_inside_a_pipelined_group(s: RawSession, server: DebugServer) -> None:
    s.greet()
    s.send(b"MAIL FROM:<author@example.test>\r\nFROB\r\nRCPT TO:<reader@example.test>\r\nDATA\r\n")
    for code in (250, 500, 250, 354):
        s.expect(code)
    s.send(GOOD_MESSAGE + b".\r\n")
    s.expect(250)


@case()
def flood_of_unread_commands(s: RawSession, server: DebugServer) -> None:
    s.greet()
    s.send(b"NOOP\r\n" * 2000)
    for _ in range(2000):
        s.expect(250)


# -- STARTTLS and AUTH -------------------------------------------------------------------


@case()
def cleartext_command_after_starttls(s: RawSession, server: DebugServer) -> None:
    s.expect(220)
    s.command(b"EHLO raw.example.test", 250)
    # RFC 3207 §5 / CVE-2011-0411: a command sent before the handshake must never be run.
    s.send(b"STARTTLS\r\nNOOP\r\n")
    s.expect(220)
    try:
        s.sock = server.client_tls_context().wrap_socket(s.sock, server_hostname=server.host)
    except (ssl.SSLError, OSError):
        return  # the server took the stray bytes as a broken handshake and hung up: fine
    # If the handshake worked, the stray NOOP was discarded: the next reply answers EHLO.
    reply = s.command(b"EHLO raw.example.test", 250)
    assert reply.startswith(b"250-"), reply


@case()
def garbage_instead_of_a_tls_handshake(s: RawSession, server: DebugServer) -> None:
    s.greet()
    s.command(b"STARTTLS", 220)
    s.send(b"this is not a TLS ClientHello\r\n")
    assert s.closed_by_server()


@case()
def starttls_twice(s: RawSession, server: DebugServer) -> None:
    s.greet()
    tls(s, server)
    s.send(b"STARTTLS\r\n")
    s.expect_class(5)
    still_serving(s)


@case()
def auth_before_starttls(s: RawSession, server: DebugServer) -> None:
    s.greet()
    s.send(b"AUTH PLAIN " + b64(b"\0" + DEMO_USER.encode() + b"\0" + DEMO_PASSWORD.encode()) + b"\r\n")
    s.expect_class(5)
    still_serving(s)


@case()
def auth_plain_not_base64(s: RawSession, server: DebugServer) -> None:
    s.greet()
    tls(s, server)
    s.command(b"AUTH PLAIN !!!not-base64!!!", 501)
    still_serving(s)


@case()
def auth_plain_wrong_shape(s: RawSession, server: DebugServer) -> None:
    s.greet()
    tls(s, server)
    s.send(b"AUTH PLAIN " + b64(b"only-one-field") + b"\r\n")
    s.expect_class(5)
    still_serving(s)


@case()
def auth_plain_invalid_utf8(s: RawSession, server: DebugServer) -> None:
    s.greet()
    tls(s, server)
    s.send(b"AUTH PLAIN " + b64(b"\0" + DEMO_USER.encode() + b"\0\xff\xfe\xfd") + b"\r\n")
    s.expect_class(5)
    still_serving(s)


@case()
def auth_login_not_base64(s: RawSession, server: DebugServer) -> None:
    s.greet()
    tls(s, server)
    s.command(b"AUTH LOGIN", 334)
    s.command(b"%%%", 501)
    still_serving(s)


@case()
def auth_cancelled_with_a_star(s: RawSession, server: DebugServer) -> None:
    s.greet()
    tls(s, server)
    s.command(b"AUTH LOGIN", 334)
    # RFC 4954 §4: "*" cancels the exchange and the server answers 501.
    s.command(b"*", 501)
    still_serving(s)


@case()
def auth_unknown_mechanism(s: RawSession, server: DebugServer) -> None:
    s.greet()
    tls(s, server)
    s.command(b"AUTH FROBNICATE", 504)
    still_serving(s)


@case()
def auth_wrong_password(s: RawSession, server: DebugServer) -> None:
    s.greet()
    tls(s, server)
    s.command(b"AUTH PLAIN " + b64(b"\0" + DEMO_USER.encode() + b"\0not-the-password"), 535)
    still_serving(s)


@case()
def auth_response_over_12288_octets(s: RawSession, server: DebugServer) -> None:
    s.greet()
    tls(s, server)
    s.command(b"AUTH LOGIN", 334)
    # RFC 4954 §4: answers up to 12288 octets are read; a longer one fails AUTH with 500 5.5.6.
    assert b"5.5.6" in s.command(b"QUFB" * 4000, 500)
    still_serving(s)


@case()
def auth_response_of_70_kilobytes(s: RawSession, server: DebugServer) -> None:
    s.greet()
    tls(s, server)
    s.command(b"AUTH PLAIN", 334)
    s.command(b"QUFB" * 17_500, 500)
    still_serving(s)


@case()
def cram_md5_answer_not_ascii(s: RawSession, server: DebugServer) -> None:
    s.greet()
    tls(s, server)
    s.command(b"AUTH CRAM-MD5", 334)
    s.command(b64(DEMO_USER.encode() + b" \xc3\xbc" + b"0" * 31), 535)
    still_serving(s)


@case()
def auth_inside_a_mail_transaction(s: RawSession, server: DebugServer) -> None:
    s.greet()
    tls(s, server)
    s.command(b"MAIL FROM:<author@example.test>", 250)
    s.command(b"AUTH PLAIN " + b64(b"\0" + DEMO_USER.encode() + b"\0" + DEMO_PASSWORD.encode()), 503)
    s.command(b"RSET", 250)


@case()
def auth_mechanism_in_lower_case(s: RawSession, server: DebugServer) -> None:
    s.greet()
    tls(s, server)
    s.command(b"auth plain " + b64(b"\0" + DEMO_USER.encode() + b"\0" + DEMO_PASSWORD.encode()), 235)
    still_serving(s)


# -- strict syntax (refused unless the server is lenient) ---------------------------------


@case()
def command_ending_in_a_bare_lf(s: RawSession, server: DebugServer) -> None:
    s.greet()
    s.send(b"MAIL FROM:<author@example.test>\n")
    assert b"CRLF" in s.expect(500)
    # The refused MAIL started nothing: RCPT is out of sequence.
    s.command(b"RCPT TO:<reader@example.test>", 503)


@case()
def tab_in_an_argument(s: RawSession, server: DebugServer) -> None:
    s.greet()
    s.command(b"MAIL FROM:<author@example.test>\tSIZE=10", 501)
    still_serving(s)


@case()
def mail_without_the_closing_bracket(s: RawSession, server: DebugServer) -> None:
    s.greet()
    s.command(b"MAIL FROM:<author@example.test", 501)
    s.command(b"RCPT TO:<reader@example.test>", 503)


@case()
def mail_with_size_twice(s: RawSession, server: DebugServer) -> None:
    s.greet()
    s.command(b"MAIL FROM:<author@example.test> SIZE=10 SIZE=99999999", 501)
    still_serving(s)


@case()
def local_part_of_65_octets(s: RawSession, server: DebugServer) -> None:
    s.greet()
    s.command(b"MAIL FROM:<" + b"x" * 65 + b"@example.test>", 501)
    s.command(b"MAIL FROM:<author@example.test>", 250)
    s.command(b"RCPT TO:<" + b"x" * 65 + b"@example.test>", 501)
    s.command(b"RSET", 250)


@case()
def utf8_address_without_smtputf8(s: RawSession, server: DebugServer) -> None:
    s.greet()
    assert b"5.6.7" in s.command("MAIL FROM:<jürgen@example.test>".encode(), 550)
    s.command(b"MAIL FROM:<author@example.test>", 250)
    assert b"5.6.7" in s.command("RCPT TO:<jürgen@example.test>".encode(), 553)
    s.command(b"RSET", 250)


@case()
def eight_bit_data_without_body_8bitmime(s: RawSession, server: DebugServer) -> None:
    s.greet()
    transaction(s)
    s.send("Subject: 8bit\r\n\r\nCrème brûlée\r\n.\r\n".encode())
    s.expect(554)
    still_serving(s)


# A message of exactly SIZE_LIMIT octets whose every body line starts with a dot.
DOTTED = b"Subject: dots\r\n\r\n" + b".dot\r\n" * 3330 + b".\r\n"


@case(DOTTED)
def dot_stuffed_message_of_exactly_the_size_limit(s: RawSession, server: DebugServer) -> None:
    # RFC 1870 §5: the transparency dots (3331 here) are not part of the message's size.
    assert len(DOTTED) == SIZE_LIMIT
    s.greet()
    transaction(s)
    s.send(DOTTED.replace(b"\r\n.", b"\r\n..") + b".\r\n")
    s.expect(250)


# -- size --------------------------------------------------------------------------------


@case()
def mail_declares_a_size_over_the_limit(s: RawSession, server: DebugServer) -> None:
    s.greet()
    # RFC 1870 §6.1: a declared SIZE over the limit is refused at MAIL with 552.
    s.command(b"MAIL FROM:<author@example.test> SIZE=%d" % (SIZE_LIMIT + 1), 552)
    still_serving(s)


@case()
def data_beyond_size_undeclared(s: RawSession, server: DebugServer) -> None:
    s.greet()
    transaction(s)
    body = b"".join(b"%05d %s\r\n" % (i, b"z" * 70) for i in range(400))  # ~31 KB
    s.send(b"Subject: big\r\n\r\n" + body + b".\r\n")
    s.expect(552)
    still_serving(s)


# -- connections that end badly ----------------------------------------------------------


@case()
def disconnect_mid_data(s: RawSession, server: DebugServer) -> None:
    s.greet()
    transaction(s)
    s.send(b"Subject: cut\r\n\r\nThe first half of a message")
    s.close()


@case()
def reset_mid_data(s: RawSession, server: DebugServer) -> None:
    s.greet()
    transaction(s)
    s.send(b"Subject: cut\r\n\r\nThe first half, then a TCP reset\r\n")
    # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
    s.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


@case()
def half_open_mid_data(s: RawSession, server: DebugServer) -> None:
    s.greet()
    transaction(s)
    s.send(b"Subject: half\r\n\r\nno end of data follows\r\n")
    s.sock.shutdown(socket.SHUT_WR)
    assert s.closed_by_server()


@case()
def half_open_after_a_command(s: RawSession, server: DebugServer) -> None:
    s.greet()
    s.send(b"NOOP\r\n")
    s.sock.shutdown(socket.SHUT_WR)
    assert s.closed_by_server()


@case()
def disconnect_mid_command(s: RawSession, server: DebugServer) -> None:
    s.greet()
    s.send(b"MAIL FROM:<auth")
    s.close()


@case()
def connect_and_say_nothing(s: RawSession, server: DebugServer) -> None:
    s.close()


@case(b"Subject: drip\r\n\r\nslow\r\n")
def dripping_one_byte_per_100_ms(s: RawSession, server: DebugServer) -> None:
    s.expect(220)
    others: list[BaseException] = []

    def normal_client() -> None:
        try:
            send_normally(server, "during the drip")
        except BaseException as error:  # reported on the test's thread below
            others.append(error)

    meanwhile = threading.Thread(target=normal_client)
    meanwhile.start()
    for line, code in (
        (b"HELO d\r\n", 250),
        (b"MAIL FROM:<>\r\n", 250),
        (b"RCPT TO:<r@x.test>\r\n", 250),
        (b"DATA\r\n", 354),
        (b"Subject: drip\r\n\r\nslow\r\n.\r\n", 250),
    ):
        for byte in line:
            s.send(bytes([byte]))
            time.sleep(0.1)
        s.expect(code)
    meanwhile.join(30)
    assert not others, others
    assert "during the drip" in [m.subject for m in server.mailbox]


# -- the runner --------------------------------------------------------------------------


NORMAL_SENDER = "normal@example.test"


def send_normally(server: DebugServer, subject: str) -> None:
    with smtplib.SMTP(server.host, server.port, timeout=10) as smtp:
        smtp.starttls(context=server.client_tls_context())
        smtp.sendmail(NORMAL_SENDER, ["reader@example.test"], f"Subject: {subject}\r\n\r\nok\r\n")


@pytest.fixture(scope="module")
def server() -> Iterator[DebugServer]:
    with DebugServer(size_limit=SIZE_LIMIT) as server:
        yield server


def test_there_are_at_least_30_named_cases() -> None:
    assert len({c.name for c in CASES}) == len(CASES) >= 30


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(
            c, id=c.name, marks=[pytest.mark.xfail(strict=True, reason=c.defect)] if c.defect else []
        )
        for c in CASES
    ],
)
def test_bad_input(bad: Case, server: DebugServer) -> None:
    server.mailbox.clear()
    with RawSession(server.address) as session:
        bad.run(session, server)
    wait_until(lambda: all(log.closed for log in server.sessions), what="the server to end the session")
    assert tuple(m.raw for m in server.mailbox if m.mail_from != NORMAL_SENDER) == bad.stores
    before = len(server.mailbox)
    send_normally(server, f"after {bad.name}")
    assert [m.subject for m in server.mailbox.wait_for(before + 1)[before:]] == [f"after {bad.name}"]


def test_sessions_beyond_the_limit_get_421_and_the_server_recovers() -> None:
    with DebugServer(max_sessions=2) as limited:
        held = [RawSession(limited.address) for _ in range(2)]
        for session in held:
            session.expect(220)
        with RawSession(limited.address) as third:
            third.expect(421)
            assert third.closed_by_server()
        for session in held:
            session.close()
        wait_until(lambda: all(log.closed for log in limited.sessions), what="sessions to end")
        send_normally(limited, "after the crowd")
        assert [m.subject for m in limited.mailbox.wait_for(1)] == ["after the crowd"]
