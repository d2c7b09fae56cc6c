"""smtplib's debug format and the swaks-style arrow log, from hand-built records."""

from __future__ import annotations

from render_records import PLAIN_B64, auth_session, body, ex, reply, seed_session, step

from smtplearn.protocol.replies import Reply
from smtplearn.record import Transcript
from smtplearn.render.text import arrows, smtplib_debug, smtplib_debug_lines, wire_events

# The seed's first transcript (PyMOTW, smtplib_sendmail.py) as Python 3 prints it: replies
# and the message are bytes reprs, and the retcode line shows the text joined by "\n"
# escapes instead of real newlines. Everything else is the seed's text, line for line.
SEED_DEBUG = r"""send: 'ehlo localhost.local\r\n'
reply: b'250-mail.example.com Hello [192.168.1.17], pleased to meet you\r\n'
reply: b'250-ENHANCEDSTATUSCODES\r\n'
reply: b'250-PIPELINING\r\n'
reply: b'250-8BITMIME\r\n'
reply: b'250-SIZE\r\n'
reply: b'250-DSN\r\n'
reply: b'250-ETRN\r\n'
reply: b'250-AUTH GSSAPI DIGEST-MD5 CRAM-MD5\r\n'
reply: b'250-DELIVERBY\r\n'
reply: b'250 HELP\r\n'
reply: retcode (250); Msg: b'mail.example.com Hello [192.168.1.17], pleased to meet you\nENHANCEDSTATUSCODES\nPIPELINING\n8BITMIME\nSIZE\nDSN\nETRN\nAUTH GSSAPI DIGEST-MD5 CRAM-MD5\nDELIVERBY\nHELP'
send: 'mail FROM:<author@example.com> size=266\r\n'
reply: b'250 2.1.0 <author@example.com>... Sender ok\r\n'
reply: retcode (250); Msg: b'2.1.0 <author@example.com>... Sender ok'
send: 'rcpt TO:<recipient@example.com>\r\n'
reply: b'250 2.1.5 <recipient@example.com>... Recipient ok\r\n'
reply: retcode (250); Msg: b'2.1.5 <recipient@example.com>... Recipient ok'
send: 'data\r\n'
reply: b'354 Enter mail, end with "." on a line by itself\r\n'
reply: retcode (354); Msg: b'Enter mail, end with "." on a line by itself'
data: (354, b'Enter mail, end with "." on a line by itself')
send: b'From nobody Sun Sep 28 10:02:48 2008\r\nContent-Type: text/plain; charset="us-ascii"\r\nMIME-Version: 1.0\r\nContent-Transfer-Encoding: 7bit\r\nTo: Recipient <recipient@example.com>\r\nFrom: Author <author@example.com>\r\nSubject: Simple test message\r\n\r\nThis is the body of the message.\r\n.\r\n'
reply: b'250 2.0.0 m8SE2mpc015614 Message accepted for delivery\r\n'
reply: retcode (250); Msg: b'2.0.0 m8SE2mpc015614 Message accepted for delivery'
data: (250, b'2.0.0 m8SE2mpc015614 Message accepted for delivery')
send: 'quit\r\n'
reply: b'221 2.0.0 mail.example.com closing connection\r\n'
reply: retcode (221); Msg: b'2.0.0 mail.example.com closing connection'"""  # noqa: E501


def test_seed_session_debug_text_line_by_line() -> None:
    ours = seed_session().debug_text().splitlines()
    expected = SEED_DEBUG.splitlines()
    for number, (got, want) in enumerate(zip(ours, expected, strict=True), start=1):
        assert got == want, f"line {number}"


def test_connect_lines_come_from_the_peer_detail() -> None:
    text = auth_session()[:1].debug_text().splitlines()
    assert text == [
        "connect: to ('127.0.0.1', 8025) None",
        r"reply: b'220 smtp.example.com ESMTP ready\r\n'",
        "reply: retcode (220); Msg: b'smtp.example.com ESMTP ready'",
        "connect: b'smtp.example.com ESMTP ready'",
    ]
    peer = step("connect", "", ex("", reply(220, "hi")), peer="[::1]:2525")
    assert smtplib_debug([peer]).splitlines()[0] == "connect: to ('[::1]', 2525) None"
    no_peer = step("connect", "", ex("", reply(220, "hi")))
    assert smtplib_debug([no_peer]).splitlines()[0] == r"reply: b'220 hi\r\n'"


def test_per_exchange_lines_leave_connect_and_data_lines_to_the_caller() -> None:
    data = seed_session()[3]
    first, message = data.exchanges
    assert smtplib_debug_lines(first) == [
        r"send: 'data\r\n'",
        r"""reply: b'354 Enter mail, end with "." on a line by itself\r\n'""",
        """reply: retcode (354); Msg: b'Enter mail, end with "." on a line by itself'""",
    ]
    assert smtplib_debug_lines(message)[0].startswith("send: b'From nobody")


def test_reply_without_raw_is_rebuilt_and_missing_reply_prints_only_the_send() -> None:
    hand = Reply(250, ("first", "second"))
    lines = smtplib_debug_lines(ex("noop", hand))
    assert lines[1:] == [
        r"reply: b'250-first\r\n'",
        r"reply: b'250 second\r\n'",
        r"reply: retcode (250); Msg: b'first\nsecond'",
    ]
    assert smtplib_debug_lines(ex("QUIT", None)) == [r"send: 'QUIT\r\n'"]
    # RFC 5321 allows a bare code; smtplib's text is then empty.
    bare = Reply(250, ("",), b"250\r\n")
    assert smtplib_debug_lines(ex("noop", bare))[1:] == [
        r"reply: b'250\r\n'",
        "reply: retcode (250); Msg: b''",
    ]


def test_non_ascii_reply_text_is_escaped_like_smtplib() -> None:
    r = Reply(250, ("héllo",), "250 héllo\r\n".encode())
    assert smtplib_debug_lines(ex("noop", r))[-1] == r"reply: retcode (250); Msg: b'h\xc3\xa9llo'"


SESSION_ARROWS = """\
<-  220 smtp.example.com ESMTP ready
 -> EHLO client.example
<-  250-smtp.example.com
<-  250-PIPELINING
<-  250-STARTTLS
<-  250 AUTH PLAIN LOGIN
 -> STARTTLS
<-  220 2.0.0 Ready to start TLS
 ~> EHLO client.example
<~  250-smtp.example.com
<~  250-PIPELINING
<~  250 AUTH PLAIN LOGIN
 ~> AUTH PLAIN <redacted>
<~  235 2.7.0 Authentication successful
 ~> MAIL FROM:<user@isp.net>
 ~> RCPT TO:<a@example.com>
 ~> RCPT TO:<nobody@example.com>
 ~> DATA
<~  250 2.1.0 OK
<~  250 2.1.5 OK
<~  550 5.1.1 <nobody@example.com>: no such user
<~  354 End data with <CR><LF>.<CR><LF>
 ~> Subject: hi
 ~> \n ~> Hello <b>&amp;</b>
 ~> .
<~  250 2.0.0 queued
 ~> QUIT
<~  221 2.0.0 Bye"""


def test_arrows_tls_pipelining_and_message_lines() -> None:
    session = auth_session()
    assert str(session) == SESSION_ARROWS
    assert session.arrows() == SESSION_ARROWS


def test_arrows_reveal_shows_the_real_line() -> None:
    revealed = auth_session().arrows(reveal=True)
    assert f" ~> AUTH PLAIN {PLAIN_B64}" in revealed.splitlines()


def test_unpipelined_steps_alternate_send_and_reply() -> None:
    steps = [
        step("mail", "MAIL", ex("MAIL FROM:<a@b>", reply(250, "OK"))),
        step("rcpt", "RCPT", ex("RCPT TO:<c@d>", reply(250, "OK"))),
    ]
    assert [e.outgoing for e in wire_events(steps)] == [True, False, True, False]
    # Same steps, marked as one pipelined group: both sends first.
    grouped = [
        step("mail", "MAIL", ex("MAIL FROM:<a@b>", reply(250, "OK")), pipeline="g"),
        step("rcpt", "RCPT", ex("RCPT TO:<c@d>", reply(250, "OK")), pipeline="g"),
    ]
    assert [e.outgoing for e in wire_events(grouped)] == [True, True, False, False]


def test_message_body_in_arrows_is_the_wire_text_line_by_line() -> None:
    data = step(
        "data",
        "DATA",
        ex("DATA", reply(354, "go")),
        body(b"a\r\n..dot\r\n.\r\n", reply(250, "ok")),
    )
    assert arrows(Transcript([data])).splitlines() == [
        " -> DATA",
        "<-  354 go",
        " -> a",
        " -> ..dot",
        " -> .",
        "<-  250 ok",
    ]


def test_step_text_form_is_its_arrow_log() -> None:
    session = auth_session()
    login = session[4]
    assert str(login) == " ~> AUTH PLAIN <redacted>\n<~  235 2.7.0 Authentication successful"
    assert "\n".join(str(s) for s in session[:5]) == "\n".join(session.arrows().splitlines()[:14])
