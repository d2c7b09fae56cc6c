"""ClientConnection: whole sessions replayed byte for byte, pipelining and errors."""

from __future__ import annotations

import base64
from email.message import EmailMessage

import pytest

from smtplearn.protocol import commands as c
from smtplearn.protocol import sasl
from smtplearn.protocol.connection import NEED_DATA, ClientConnection
from smtplearn.protocol.errors import EndlessAuthError, LocalProtocolError, RemoteProtocolError
from smtplearn.protocol.replies import Reply
from smtplearn.protocol.states import MAX_AUTH_CHALLENGES, ClientState

S = ClientState

EHLO_PIPELINING = (
    b"250-elasmtp-isp.net Hello localhost.local [<your IP here>]\r\n"
    b"250-SIZE 14680064\r\n"
    b"250-PIPELINING\r\n"
    b"250-AUTH PLAIN LOGIN CRAM-MD5\r\n"
    b"250-STARTTLS\r\n"
    b"250 HELP\r\n"
)


def reply(conn: ClientConnection, data: bytes) -> Reply:
    """Feed one reply's bytes and return the reply they make."""
    conn.receive_data(data)
    got = conn.next_reply()
    assert isinstance(got, Reply), got
    return got


def greeted(extensions: bytes | None = b"250 mx.example\r\n") -> ClientConnection:
    # These byte tables run without TLS: AUTH exchanges go out only if allowed in the clear.
    conn = ClientConnection(allow_insecure_auth=True)
    conn.connection_made()
    reply(conn, b"220 mx.example ESMTP\r\n")
    if extensions is not None:
        conn.send(c.ehlo("client.example"))
        reply(conn, extensions)
    return conn


def test_seed_sendmail_session_byte_for_byte() -> None:
    """The first transcript of the PyMOTW article, sent and received by the core."""
    conn = ClientConnection()
    assert conn.state is S.DISCONNECTED
    conn.connection_made()
    assert (conn.state, conn.pending) == (S.CONNECTED, 1)
    assert conn.next_reply() is NEED_DATA
    reply(conn, b"220 mail.example.com ESMTP Sendmail\r\n")
    assert (conn.state, conn.pending) == (S.CONNECTED, 0)
    script = [
        (
            c.raw("ehlo localhost.local"),
            b"ehlo localhost.local\r\n",
            b"250-mail.example.com Hello [192.168.1.17], pleased to meet you\r\n"
            b"250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE\r\n"
            b"250-DSN\r\n250-ETRN\r\n250-AUTH GSSAPI DIGEST-MD5 CRAM-MD5\r\n250-DELIVERBY\r\n"
            b"250 HELP\r\n",
            S.READY,
        ),
        (
            c.raw("mail FROM:<author@example.com> size=266"),
            b"mail FROM:<author@example.com> size=266\r\n",
            b"250 2.1.0 <author@example.com>... Sender ok\r\n",
            S.MAIL,
        ),
        (
            c.raw("rcpt TO:<recipient@example.com>"),
            b"rcpt TO:<recipient@example.com>\r\n",
            b"250 2.1.5 <recipient@example.com>... Recipient ok\r\n",
            S.RCPT,
        ),
        (c.raw("data"), b"data\r\n", b'354 Enter mail, end with "." on a line by itself\r\n', S.DATA),
    ]
    for command, wire, answer, after in script:
        assert conn.send(command) == wire
        assert conn.pending == 1
        reply(conn, answer)
        assert conn.state is after
    assert conn.extensions.has("PIPELINING")
    assert conn.extensions.auth_mechanisms == ("GSSAPI", "DIGEST-MD5", "CRAM-MD5")
    body = (
        "From nobody Sun Sep 28 10:02:48 2008\n"
        'Content-Type: text/plain; charset="us-ascii"\nMIME-Version: 1.0\n'
        "Content-Transfer-Encoding: 7bit\nTo: Recipient <recipient@example.com>\n"
        "From: Author <author@example.com>\nSubject: Simple test message\n\n"
        "This is the body of the message.\n"
    )
    assert conn.send_data(body) == (
        b"From nobody Sun Sep 28 10:02:48 2008\r\n"
        b'Content-Type: text/plain; charset="us-ascii"\r\nMIME-Version: 1.0\r\n'
        b"Content-Transfer-Encoding: 7bit\r\nTo: Recipient <recipient@example.com>\r\n"
        b"From: Author <author@example.com>\r\nSubject: Simple test message\r\n\r\n"
        b"This is the body of the message.\r\n.\r\n"
    )
    done = reply(conn, b"250 2.0.0 m8SE2mpc015614 Message accepted for delivery\r\n")
    assert done.enhanced_code == "2.0.0"
    assert conn.state is S.READY
    assert conn.send(c.raw("quit")) == b"quit\r\n"
    reply(conn, b"221 2.0.0 mail.example.com closing connection\r\n")
    assert (conn.state, conn.pending) == (S.CLOSED, 0)


def test_seed_starttls_then_cram_md5_session() -> None:
    """The second transcript: STARTTLS, EHLO again, AUTH CRAM-MD5."""
    conn = greeted(EHLO_PIPELINING)
    assert conn.extensions.has("STARTTLS") and not conn.tls_active
    conn.send(c.starttls())
    # A man in the middle appends a command to the 220 (CVE-2011-0411 style).
    conn.receive_data(b"220 TLS go ahead\r\n250 injected\r\n")
    assert conn.next_reply() == Reply(220, ("TLS go ahead",), b"220 TLS go ahead\r\n")
    assert conn.state is S.TLS_HANDSHAKE
    with pytest.raises(LocalProtocolError, match="TLS handshake must come before"):
        conn.send(c.ehlo("localhost.local"))
    assert conn.discard_buffer() == b"250 injected\r\n"
    conn.starttls_done()
    assert (conn.state, conn.tls_active, len(conn.extensions)) == (S.CONNECTED, True, 0)
    conn.send(c.raw("ehlo localhost.local"))
    reply(conn, EHLO_PIPELINING.replace(b"250-STARTTLS\r\n", b""))
    assert conn.state is S.READY and not conn.extensions.has("STARTTLS")
    with pytest.raises(LocalProtocolError, match=r"TLS is already active \(RFC 3207 §4.2\)"):
        conn.send(c.starttls())

    mech = sasl.mechanism(
        sasl.choose(conn.extensions.auth_mechanisms), "dhellmann@earthlink.net", "not-the-real-one"
    )
    assert conn.send(mech.start()) == b"AUTH CRAM-MD5\r\n"
    seed_challenge = b"PDExNjkyLjEyMjI2MTI1NzlAZWxhc210cC1tZWFseS5hdGwuc2EuZWFydGhsaW5rLm5ldD4="
    challenge = reply(conn, b"334 " + seed_challenge + b"\r\n")
    assert conn.state is S.AUTH
    answer = mech.respond(challenge)
    assert base64.b64decode(conn.send(answer)).startswith(b"dhellmann@earthlink.net ")
    reply(conn, b"235 Authentication succeeded\r\n")
    assert conn.state is S.READY and conn.authenticated
    with pytest.raises(LocalProtocolError, match="already authenticated"):
        conn.send(c.auth("PLAIN"))


def test_starttls_done_resets_what_was_learnt_and_drops_stray_bytes() -> None:
    conn = greeted(EHLO_PIPELINING)
    conn.send(c.starttls())
    conn.receive_data(b"220 go\r\n250-sneaky\r\n")
    reply_220 = conn.next_reply()
    assert isinstance(reply_220, Reply) and reply_220.code == 220
    conn.starttls_done()  # the client forgot discard_buffer(): the core drops it anyway
    conn.send(c.ehlo("client.example"))
    assert reply(conn, b"250 mx.example\r\n").lines == ("mx.example",)


def test_starttls_done_outside_the_handshake_is_a_local_error() -> None:
    with pytest.raises(LocalProtocolError, match="starttls_done"):
        greeted().starttls_done()


def test_starttls_refused_stays_ready() -> None:
    conn = greeted(EHLO_PIPELINING)
    conn.send(c.starttls())
    reply(conn, b"454 4.7.0 TLS not available\r\n")
    assert conn.state is S.READY and not conn.tls_active


def test_failed_auth_is_not_authenticated() -> None:
    conn = greeted(EHLO_PIPELINING)
    mech = sasl.mechanism("PLAIN", "tim", "wrong")
    conn.send(mech.start())
    reply(conn, b"535 5.7.8 Authentication credentials invalid\r\n")
    assert conn.state is S.READY and not conn.authenticated


def test_login_exchange_through_the_connection() -> None:
    conn = greeted(EHLO_PIPELINING)
    mech = sasl.mechanism("LOGIN", "tim", "tanstaaftanstaaf")
    conn.send(mech.start())
    assert conn.send(mech.respond(reply(conn, b"334 VXNlcm5hbWU6\r\n"))) == b"dGlt\r\n"
    assert conn.state is S.AUTH
    conn.send(mech.respond(reply(conn, b"334 UGFzc3dvcmQ6\r\n")))
    reply(conn, b"235 2.7.0 Authentication successful\r\n")
    assert conn.authenticated and conn.state is S.READY


def test_helo_means_no_extensions() -> None:
    conn = greeted(None)
    conn.send(c.helo("client.example"))
    reply(conn, b"250 mx.example\r\n")
    assert conn.state is S.READY and len(conn.extensions) == 0


def test_out_of_order_command_raises_before_any_byte() -> None:
    conn = greeted(None)
    with pytest.raises(
        LocalProtocolError,
        match=r"MAIL is not allowed in state CONNECTED: send "
        r"EHLO \(or HELO\) first \(RFC 5321 §4.1.4\)",
    ):
        conn.send(c.mail("a@b"))
    assert conn.pending == 0


def test_strict_false_lets_a_learner_see_the_503() -> None:
    conn = ClientConnection(strict=False)
    conn.connection_made()
    reply(conn, b"220 mx.example\r\n")
    assert conn.send(c.mail("a@b")) == b"MAIL FROM:<a@b>\r\n"
    assert reply(conn, b"503 5.5.1 Error: send HELO/EHLO first\r\n").code == 503
    assert conn.state is S.CONNECTED


def test_command_before_the_greeting_is_refused() -> None:
    conn = ClientConnection()
    conn.connection_made()
    with pytest.raises(LocalProtocolError, match="waiting for the reply to <greeting>"):
        conn.send(c.ehlo("client.example"))


def test_554_greeting_closes() -> None:
    conn = ClientConnection()
    conn.connection_made()
    reply(conn, b"554 5.3.2 mx.example no service for you\r\n")
    assert conn.state is S.CLOSED
    with pytest.raises(LocalProtocolError, match="state CLOSED"):
        conn.send(c.ehlo("client.example"))


def test_connection_made_twice_is_a_local_error() -> None:
    conn = greeted()
    with pytest.raises(LocalProtocolError):
        conn.connection_made()


def test_implicit_tls_connection() -> None:
    conn = ClientConnection()
    conn.connection_made(tls=True)
    assert conn.tls_active


def test_421_closes_and_forgets_pending_commands() -> None:
    conn = greeted(EHLO_PIPELINING)
    conn.send(c.mail("a@b"))
    conn.send(c.rcpt("c@d"))
    reply(conn, b"421 4.3.2 Service shutting down\r\n")
    assert (conn.state, conn.pending) == (S.CLOSED, 0)


def test_unsolicited_421_is_a_reply() -> None:
    conn = greeted()
    assert reply(conn, b"421 4.4.2 mx.example Error: timeout exceeded\r\n").code == 421
    assert conn.state is S.CLOSED


def test_unsolicited_reply_is_a_remote_error() -> None:
    conn = greeted()
    conn.receive_data(b"250 nobody asked\r\n")
    with pytest.raises(RemoteProtocolError, match="unsolicited"):
        conn.next_reply()
    assert conn.state is S.CLOSED


def test_garbage_reply_is_a_remote_error_and_closes() -> None:
    conn = greeted()
    conn.send(c.noop())
    conn.receive_data(b"HTTP/1.1 400 Bad Request\r\n")
    with pytest.raises(RemoteProtocolError, match="3-digit code"):
        conn.next_reply()
    assert conn.state is S.CLOSED


def test_eof_while_waiting() -> None:
    conn = greeted()
    conn.send(c.noop())
    conn.receive_data(b"")
    with pytest.raises(RemoteProtocolError, match="the server closed the connection"):
        conn.next_reply()
    assert conn.state is S.CLOSED


def test_eof_in_the_middle_of_a_reply() -> None:
    conn = greeted()
    conn.send(c.noop())
    conn.receive_data(b"250-par")
    assert conn.next_reply() is NEED_DATA
    conn.receive_data(b"")
    with pytest.raises(RemoteProtocolError, match="in the middle of a reply"):
        conn.next_reply()


def test_need_data_is_a_readable_singleton() -> None:
    assert repr(NEED_DATA) == str(NEED_DATA) == "NEED_DATA"


def test_send_data_only_after_354() -> None:
    conn = greeted()
    with pytest.raises(LocalProtocolError, match="after DATA got its 354 reply"):
        conn.send_data("hi")


def test_send_data_with_smtputf8_keeps_utf8_headers() -> None:
    conn = greeted(b"250-mx.example\r\n250 SMTPUTF8\r\n")
    msg = EmailMessage()
    msg["Subject"] = "Grüße"
    msg.set_content("hallo\n")
    for command, answer in [
        (c.mail("jörg@example.com", smtputf8=True), b"250 ok\r\n"),
        (c.rcpt("zoë@example.com", smtputf8=True), b"250 ok\r\n"),
        (c.data(), b"354 go\r\n"),
    ]:
        conn.send(command)
        reply(conn, answer)
    assert "Subject: Grüße\r\n".encode() in conn.send_data(msg)


def test_send_data_without_smtputf8_encodes_headers() -> None:
    conn = greeted()
    msg = EmailMessage()
    msg["Subject"] = "Grüße"
    msg.set_content("hallo\n")
    for command, answer in [
        (c.mail("a@example.com"), b"250 ok\r\n"),
        (c.rcpt("b@example.com"), b"250 ok\r\n"),
        (c.data(), b"354 go\r\n"),
    ]:
        conn.send(command)
        reply(conn, answer)
    assert b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n" in conn.send_data(msg)


def test_repr() -> None:
    assert repr(greeted()) == ("<ClientConnection state=READY pending=0 tls=False authenticated=False>")


# --- PIPELINING (RFC 2920) ---------------------------------------------------


def test_second_command_needs_pipelining() -> None:
    conn = greeted()
    conn.send(c.mail("a@b"))
    with pytest.raises(LocalProtocolError, match=r"did not announce PIPELINING \(RFC 2920 §3.1\)"):
        conn.send(c.rcpt("c@d"))
    assert conn.pending == 1


def test_pipelined_transaction_replies_matched_in_order() -> None:
    conn = greeted(EHLO_PIPELINING)
    sent = b"".join(conn.send(cmd) for cmd in (c.mail("a@b"), c.rcpt("c@d"), c.rcpt("e@f"), c.data()))
    assert sent == b"MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nRCPT TO:<e@f>\r\nDATA\r\n"
    # The state moves only with real replies; legality follows the expected state.
    assert (conn.state, conn.expected_state, conn.pending) == (S.READY, S.DATA, 4)
    conn.receive_data(b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 no such user\r\n354 go\r\n")
    seen = []
    while (got := conn.next_reply()) is not NEED_DATA:
        assert isinstance(got, Reply)
        seen.append((got.code, conn.state, conn.pending))
    assert seen == [(250, S.MAIL, 3), (250, S.RCPT, 2), (550, S.RCPT, 1), (354, S.DATA, 0)]


def test_pipelined_rcpts_after_a_failed_mail_are_just_data() -> None:
    conn = greeted(EHLO_PIPELINING)
    for cmd in (c.mail("a@b"), c.rcpt("c@d"), c.data()):
        conn.send(cmd)
    conn.receive_data(b"550 5.7.1 sender refused\r\n503 5.5.1 need MAIL\r\n503 5.5.1 need RCPT\r\n")
    codes = []
    while (got := conn.next_reply()) is not NEED_DATA:
        assert isinstance(got, Reply)
        codes.append(got.code)
        assert conn.state is S.READY
    assert codes == [550, 503, 503]
    assert conn.expected_state is S.READY
    with pytest.raises(LocalProtocolError, match="after DATA got its 354"):
        conn.send_data("never")


def test_message_may_be_followed_by_pipelined_commands() -> None:
    # RFC 2920 §3.1: message content "is explicitly allowed to be the first command in a group".
    conn = greeted(EHLO_PIPELINING)
    for cmd, answer in [
        (c.mail("a@b"), b"250 ok\r\n"),
        (c.rcpt("c@d"), b"250 ok\r\n"),
        (c.data(), b"354 go\r\n"),
    ]:
        conn.send(cmd)
        reply(conn, answer)
    conn.send_data("hi")
    conn.send(c.mail("x@y"))
    conn.send(c.quit())
    conn.receive_data(b"250 queued\r\n250 ok\r\n221 bye\r\n")
    states_seen = []
    while conn.next_reply() is not NEED_DATA:
        states_seen.append(conn.state)
    assert states_seen == [S.READY, S.MAIL, S.CLOSED]


@pytest.mark.parametrize(
    ("first", "then", "message"),
    [
        (c.noop(), c.mail("a@b"), "must end a group"),  # NOOP only last in a group
        (c.vrfy("x"), c.rset(), "must end a group"),
        (c.rset(), c.starttls(), "must end a group"),  # STARTTLS never pipelines
        (c.rset(), c.auth("LOGIN"), "must end a group"),
        (c.rset(), c.help(), "must end a group"),  # RFC 2920 does not list HELP
        (c.mail("a@b"), c.mail("c@d"), "a mail transaction is already open"),
    ],
)
def test_pipelining_limits(first: c.Command, then: c.Command, message: str) -> None:
    conn = greeted(EHLO_PIPELINING)
    conn.send(first)
    with pytest.raises(LocalProtocolError, match=message):
        conn.send(then)


def test_data_ends_a_group() -> None:
    conn = greeted(EHLO_PIPELINING)
    for cmd in (c.mail("a@b"), c.rcpt("c@d"), c.data()):
        conn.send(cmd)
    with pytest.raises(LocalProtocolError, match="RSET is not allowed in state DATA"):
        conn.send(c.rset())
    with pytest.raises(LocalProtocolError):
        conn.send_data("too early")


@pytest.mark.parametrize("last", [c.noop(), c.vrfy("x"), c.expn("y"), c.quit(), c.ehlo("z")])
def test_group_enders_may_follow_rset(last: c.Command) -> None:
    conn = greeted(EHLO_PIPELINING)
    conn.send(c.rset())
    conn.send(last)
    assert conn.pending == 2


# -- trust at the edges (issue 10) ------------------------------------------------------------

KEEP_GOING = b"334 " + base64.b64encode(b"more?") + b"\r\n"


@pytest.mark.parametrize("first", [c.auth("LOGIN"), c.auth("PLAIN", "AGEAYg==", secret=True)])
def test_the_core_gives_up_on_an_auth_exchange_after_five_challenges(first: c.Command) -> None:
    conn = greeted(EHLO_PIPELINING)
    conn.send(first)
    # smtplib's count: an initial response is the first of at most MAX_AUTH_CHALLENGES + 1 answers.
    initial = len(first.line.split()) > 2
    for _ in range(MAX_AUTH_CHALLENGES + (0 if initial else 1)):
        assert reply(conn, KEEP_GOING).code == 334
        assert conn.state is S.AUTH
        conn.send(c.auth_response("*", secret=False))
    conn.receive_data(KEEP_GOING)
    with pytest.raises(EndlessAuthError, match="gives up"):
        conn.next_reply()
    assert conn.state is S.CLOSED


def test_the_challenge_count_starts_again_with_each_auth() -> None:
    conn = greeted(EHLO_PIPELINING)
    for _ in range(2):
        conn.send(c.auth("LOGIN"))
        for _ in range(MAX_AUTH_CHALLENGES):
            reply(conn, KEEP_GOING)
            conn.send(c.auth_response("*", secret=False))
        assert reply(conn, b"501 5.7.0 cancelled\r\n").code == 501
        assert conn.state is S.READY


def test_bytes_nobody_asked_for_are_refused_before_the_next_command() -> None:
    conn = greeted()
    conn.send(c.noop())
    reply(conn, b"250 ok\r\n250 and one more\r\n")
    with pytest.raises(RemoteProtocolError, match="no command was waiting"):
        conn.send(c.noop())
    assert conn.state is S.CLOSED


def test_an_extra_reply_after_354_keeps_the_message_back() -> None:
    conn = greeted()
    conn.send(c.mail("a@example.test"))
    reply(conn, b"250 ok\r\n")
    conn.send(c.rcpt("b@example.test"))
    reply(conn, b"250 ok\r\n")
    conn.send(c.data())
    reply(conn, b"354 go ahead\r\n250 surprise\r\n")
    with pytest.raises(RemoteProtocolError, match="surprise"):
        conn.send_data("Subject: x\r\n\r\nbody\r\n")
    assert conn.state is S.CLOSED


@pytest.mark.parametrize(
    ("verb_command", "state", "code"),
    [(c.data(), S.RCPT, 250), (c.mail("a@example.test"), S.READY, 354), (c.noop(), S.READY, 334)],
)
def test_a_reply_out_of_step_closes_with_a_reason(
    verb_command: c.Command, state: ClientState, code: int
) -> None:
    conn = greeted()
    if state is S.RCPT:
        conn.send(c.mail("a@example.test"))
        reply(conn, b"250 ok\r\n")
        conn.send(c.rcpt("b@example.test"))
        reply(conn, b"250 ok\r\n")
    conn.send(verb_command)
    reply(conn, f"{code} hmm\r\n".encode())
    assert conn.state is S.CLOSED
    assert conn.close_reason is not None and str(code) in conn.close_reason


def test_421_gives_a_close_reason() -> None:
    conn = greeted()
    conn.send(c.noop())
    reply(conn, b"421 4.3.2 shutting down\r\n")
    assert conn.close_reason is not None and "RFC 5321 §3.8" in conn.close_reason


PASSWORD = "correct-horse-battery"
PLAIN = base64.b64encode(f"\0tim\0{PASSWORD}".encode()).decode()


@pytest.mark.parametrize(
    "echo",
    [
        f"535 5.7.8 you said {PLAIN}",
        f"535 5.7.8 you said {PASSWORD}",
        f"535 5.7.8 tim {PASSWORD}",
        "535 5.7.8 " + base64.b64encode(f"user tim pass {PASSWORD}".encode()).decode(),
        f"535-5.7.8 first\r\n535 5.7.8 {PASSWORD}",
    ],
)
def test_replies_that_echo_a_secret_come_out_scrubbed(echo: str) -> None:
    conn = greeted(EHLO_PIPELINING)
    conn.send(c.auth("PLAIN", PLAIN, secret=True))
    got = reply(conn, echo.encode() + b"\r\n")
    for text in (got.text, str(got), repr(got), got.raw.decode()):
        assert PASSWORD not in text and PLAIN not in text and "<redacted>" in text
    assert got.code == 535


def test_a_garbage_line_that_echoes_a_secret_is_scrubbed_in_the_error() -> None:
    conn = greeted(EHLO_PIPELINING)
    conn.send(c.auth("PLAIN", PLAIN, secret=True))
    conn.receive_data(f"HELLO {PASSWORD}\r\n".encode())
    with pytest.raises(RemoteProtocolError) as raised:
        conn.next_reply()
    assert PASSWORD not in str(raised.value) and raised.value.__cause__ is None
    assert raised.value.__suppress_context__


def test_hide_scrubs_a_secret_that_was_never_sent() -> None:
    conn = greeted()
    conn.hide(PASSWORD)
    conn.send(c.noop())
    assert PASSWORD not in reply(conn, f"250 the password is {PASSWORD}\r\n".encode()).text


def test_short_secrets_are_not_scrubbed_from_ordinary_words() -> None:
    conn = greeted()
    conn.hide("ok")
    conn.send(c.noop())
    assert reply(conn, b"250 ok\r\n").text == "ok"


def test_the_core_keeps_credentials_off_an_unencrypted_wire() -> None:
    conn = ClientConnection()
    conn.connection_made()
    reply(conn, b"220 mx.example ESMTP\r\n")
    conn.send(c.ehlo("client.example"))
    reply(conn, EHLO_PIPELINING)
    for command in (
        c.auth("PLAIN", PLAIN),
        c.raw(f"  auth plain {PLAIN}"),
        c.auth_response("dGlt", secret=True),
    ):
        with pytest.raises(LocalProtocolError, match="refusing to send credentials"):
            conn.send(command)
    assert conn.pending == 0
    # Nothing secret: a bare AUTH (lesson 02 shows the server's refusal) and the cancelling "*".
    assert conn.send(c.auth("LOGIN")) == b"AUTH LOGIN\r\n"
    reply(conn, b"334 VXNlcm5hbWU6\r\n")
    assert conn.send(c.auth_response("*", secret=False)) == b"*\r\n"


def test_require_tls_keeps_auth_and_mail_off_an_unencrypted_wire() -> None:
    conn = ClientConnection(strict=False, require_tls=True, allow_insecure_auth=True)
    conn.connection_made()
    reply(conn, b"220 mx.example ESMTP\r\n")
    for command in (c.auth("LOGIN"), c.mail("a@example.com"), c.rcpt("b@example.com"), c.data()):
        with pytest.raises(LocalProtocolError, match="requires TLS"):
            conn.send(command)
    with pytest.raises(LocalProtocolError, match="requires TLS"):
        conn.send_data("Subject: hi\r\n\r\nhello\r\n")
    assert conn.send(c.noop()) == b"NOOP\r\n"
