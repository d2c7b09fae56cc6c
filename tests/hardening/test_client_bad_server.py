"""The smtplearn Client against misbehaving servers: a scripted raw-socket server per case.

Each case must end in a clear smtplearn exception (never a hang, never some other
exception type), and a server that sends without end must not make the client's memory
grow with it. "No hang" is checked with a generous wall-clock bound (timeout + 5 s): it is a
hang guard, not a benchmark.
"""

from __future__ import annotations

import base64
import contextlib
import email
import socket
import ssl
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pytest
import trustme

from smtplearn.client import Client, SendError
from smtplearn.protocol.errors import LocalProtocolError, RemoteProtocolError, SMTPLearnError, SMTPReplyError
from smtplearn.protocol.states import MAX_AUTH_CHALLENGES, ClientState
from smtplearn.record import Step
from smtplearn.transport import ConnectionClosedError, SMTPTimeoutError, TLSError

Script = Callable[[socket.socket], None]

#: What the scripted server may send in all before giving up on a client that keeps reading.
STREAM_CAP = 32 * 1024 * 1024
#: The most the client may allocate while a server streams without end (its limits are 64 KiB).
MEMORY_BOUND = 2 * 1024 * 1024
TIMEOUT = 1.0
HANG_GUARD = TIMEOUT + 5.0


class ScriptedServer:
    """Accept one connection on 127.0.0.1 and play `script` on it in a thread."""

    def __init__(self, script: Script) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._script = script
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._listener.close()
        self._thread.join(HANG_GUARD)
        assert not self._thread.is_alive(), "the scripted server did not finish"

    def _serve(self) -> None:
        self._listener.settimeout(HANG_GUARD)
        try:
            conn, _ = self._listener.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(HANG_GUARD)
            # OSError: the client hung up on us, as it should.
            with contextlib.suppress(OSError):
                self._script(conn)


def read_line(conn: socket.socket) -> bytes:
    """One CRLF-terminated line from the client (byte by byte: scripts stay simple)."""
    line = b""
    while not line.endswith(b"\r\n"):
        byte = conn.recv(1)
        if not byte:
            break
        line += byte
    return line


def wait_for_close(conn: socket.socket) -> None:
    while conn.recv(4096):
        pass


def stream(conn: socket.socket, first: bytes, chunk: bytes) -> None:
    conn.sendall(first)
    sent = len(first)
    while sent < STREAM_CAP:
        conn.sendall(chunk)
        sent += len(chunk)


@contextmanager
def scripted(script: Script, **client_options: Any) -> Iterator[Client]:
    with ScriptedServer(script) as server:
        client = Client("127.0.0.1", server.port, timeout=TIMEOUT, **client_options)
        try:
            yield client
        finally:
            client.close()


def fails_cleanly(call: Callable[[], object], expected: type[SMTPLearnError]) -> SMTPLearnError:
    """Run `call`; it must raise `expected` promptly and without a memory spike."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(expected) as raised:
            call()
    finally:
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < HANG_GUARD, f"took {elapsed:.1f} s: the client hung"
    assert peak < MEMORY_BOUND, f"the client allocated {peak:,} bytes"
    assert str(raised.value), "the exception must say what went wrong"
    return raised.value


def greet_then(script: Script) -> Script:
    """Send a proper greeting and EHLO reply, then play `script`."""

    def run(conn: socket.socket) -> None:
        conn.sendall(b"220 scripted.example ESMTP\r\n")
        read_line(conn)
        conn.sendall(b"250-scripted.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
        script(conn)

    return run


# -- garbage and impossible replies ------------------------------------------------------


@pytest.mark.parametrize(
    "greeting",
    [
        pytest.param(b"HELLO I AM NOT SMTP\r\n", id="garbage"),
        pytest.param(b"999 nine nine nine\r\n", id="code-999"),
        pytest.param(b"100 too low\r\n", id="code-100"),
        pytest.param(b"2\xff0 not a number\r\n", id="non-ascii-code"),
        pytest.param(b"22 short\r\n", id="two-digit-code"),
        pytest.param(b"220-first line\r\n250 mixed codes\r\n", id="mixed-codes"),
        pytest.param(b"220_bad separator\r\n", id="bad-separator"),
    ],
)
def test_garbage_greeting(greeting: bytes) -> None:
    def script(conn: socket.socket) -> None:
        conn.sendall(greeting)
        wait_for_close(conn)

    with scripted(script) as client:
        fails_cleanly(client.connect, RemoteProtocolError)


def test_multiline_reply_that_never_ends() -> None:
    def script(conn: socket.socket) -> None:
        stream(conn, b"", b"220-and there is more\r\n" * 1000)

    with scripted(script) as client:
        fails_cleanly(client.connect, RemoteProtocolError)


def test_reply_line_of_100_kilobytes() -> None:
    def script(conn: socket.socket) -> None:
        conn.sendall(b"220 " + b"x" * 100_000 + b"\r\n")
        wait_for_close(conn)

    with scripted(script) as client:
        fails_cleanly(client.connect, RemoteProtocolError)


def test_line_without_end_streaming_forever() -> None:
    def script(conn: socket.socket) -> None:
        stream(conn, b"220 ", b"y" * 65536)

    with scripted(script) as client:
        fails_cleanly(client.connect, RemoteProtocolError)


def test_huge_reply_to_ehlo_after_a_good_greeting() -> None:
    def script(conn: socket.socket) -> None:
        conn.sendall(b"220 scripted.example ESMTP\r\n")
        read_line(conn)
        stream(conn, b"", b"250-AN-EXTENSION-THAT-NEVER-ENDS\r\n" * 1000)

    with scripted(script) as client:
        client.connect()
        fails_cleanly(client.ehlo, RemoteProtocolError)


# -- silence and hang-ups ----------------------------------------------------------------


def test_silence_at_the_greeting() -> None:
    with scripted(wait_for_close) as client:
        error = fails_cleanly(client.connect, SMTPTimeoutError)
    assert "127.0.0.1" in str(error)


def test_silence_after_ehlo() -> None:
    def script(conn: socket.socket) -> None:
        conn.sendall(b"220 scripted.example ESMTP\r\n")
        wait_for_close(conn)

    with scripted(script) as client:
        client.connect()
        fails_cleanly(client.ehlo, SMTPTimeoutError)


def test_silence_in_the_middle_of_a_multiline_reply() -> None:
    def script(conn: socket.socket) -> None:
        conn.sendall(b"220-one\r\n220-two\r\n")
        wait_for_close(conn)

    with scripted(script) as client:
        fails_cleanly(client.connect, SMTPTimeoutError)


def test_hang_up_at_once() -> None:
    with scripted(lambda conn: None) as client:
        fails_cleanly(client.connect, ConnectionClosedError)


def test_hang_up_in_the_middle_of_a_reply() -> None:
    def script(conn: socket.socket) -> None:
        conn.sendall(b"220-the first line of two\r\n")

    with scripted(script) as client:
        fails_cleanly(client.connect, ConnectionClosedError)


def test_hang_up_while_waiting_for_the_data_reply() -> None:
    def script(conn: socket.socket) -> None:
        conn.sendall(b"220 scripted.example ESMTP\r\n")
        read_line(conn)
        conn.sendall(b"250 scripted.example\r\n")
        for reply in (b"250 ok\r\n", b"250 ok\r\n", b"354 go ahead\r\n"):
            read_line(conn)
            conn.sendall(reply)
        while read_line(conn) not in (b".\r\n", b""):
            pass

    with scripted(script) as client:
        client.connect()
        client.ehlo()
        client.mail("a@example.test")
        client.rcpt("b@example.test")
        fails_cleanly(lambda: client.data("Subject: x\r\n\r\nbody\r\n"), ConnectionClosedError)


# -- TLS ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def server_context(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    return context


def client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def starttls_with(context: ssl.SSLContext, after_220: bytes = b"") -> Script:
    def script(conn: socket.socket) -> None:
        read_line(conn)  # STARTTLS
        conn.sendall(b"220 2.0.0 go ahead\r\n" + after_220)
        try:
            tls = context.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            return  # the client refused the handshake
        with tls:
            while line := read_line(tls):
                if line.upper().startswith(b"EHLO"):
                    tls.sendall(b"250-protected.example\r\n250 AUTH PLAIN\r\n")
                elif line.upper().startswith(b"QUIT"):
                    tls.sendall(b"221 bye\r\n")
                    return

    return greet_then(script)


def test_cleartext_after_starttls_220_is_never_read_as_protected(ca: trustme.CA) -> None:
    injected = b"250-injected.example\r\n250 AUTH PLAIN LOGIN\r\n"
    with scripted(starttls_with(server_context(ca, "127.0.0.1"), injected)) as client:
        client.connect()
        client.ehlo()
        try:
            step = client.starttls(client_context(ca))
        except TLSError:
            return  # the stray bytes reached the handshake and broke it: also safe
        assert step.details.get("discarded_cleartext_bytes") == str(len(injected))
        reply = client.ehlo().reply
        assert reply is not None and b"injected" not in reply.raw
        assert reply.lines[0] == "protected.example"


def test_starttls_to_a_certificate_from_an_unknown_ca(ca: trustme.CA) -> None:
    stranger = trustme.CA()
    with scripted(starttls_with(server_context(stranger, "127.0.0.1"))) as client:
        client.connect()
        client.ehlo()
        error = fails_cleanly(lambda: client.starttls(client_context(ca)), TLSError)
    assert "verif" in str(error)


def test_starttls_to_a_certificate_for_another_name(ca: trustme.CA) -> None:
    with scripted(starttls_with(server_context(ca, "elsewhere.example"))) as client:
        client.connect()
        client.ehlo()
        error = fails_cleanly(lambda: client.starttls(client_context(ca)), TLSError)
    assert "verif" in str(error)


@pytest.mark.parametrize("names", [("127.0.0.1",), ("elsewhere.example",)], ids=["unknown-ca", "wrong-name"])
def test_implicit_tls_refuses_an_untrusted_certificate(ca: trustme.CA, names: tuple[str, ...]) -> None:
    issuer = trustme.CA() if names == ("127.0.0.1",) else ca
    context = server_context(issuer, *names)

    def script(conn: socket.socket) -> None:
        with context.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(b"220 never seen\r\n")

    with scripted(script, implicit_tls=True, tls_context=client_context(ca)) as client:
        fails_cleanly(client.connect, TLSError)


def test_a_trusted_certificate_works_so_the_cases_above_can_fail(ca: trustme.CA) -> None:
    with scripted(starttls_with(server_context(ca, "127.0.0.1"))) as client:
        client.connect()
        client.ehlo()
        assert client.starttls(client_context(ca)).ok
        assert client.tls_active
        assert client.ehlo().ok
        client.quit()


# -- replies that do not fit the command (issue 10: trust at the edges) -------------------

MESSAGE = "From: a@example.test\r\nTo: b@example.test\r\nSubject: precious\r\n\r\nkeep me\r\n"
EHLO_REPLY = b"250-scripted.example\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN CRAM-MD5\r\n250 STARTTLS\r\n"
KEEP_GOING = b"334 " + base64.b64encode(b"go on") + b"\r\n"


Answer = bytes | tuple[bytes, ...]


def dialog(
    answers: Mapping[str, Answer],
    received: list[bytes],
    *,
    greeting: bytes = b"",
    tls: ssl.SSLContext | None = None,
    implicit_tls: bool = False,
    answered: threading.Event | None = None,
) -> Script:
    """Greet, then answer each line by its verb from `answers` (default ``250 ok``).

    Every line the client sends is kept in `received`, so a test can check that a message
    body never crossed the wire. ``"*"`` answers every verb not listed (the AUTH-loop
    server). An answer given as a tuple goes out in separate writes, and `answered` is set
    once a whole answer is out, so a test can wait for a late extra reply. With `tls` the
    server speaks TLS from the start (`implicit_tls`) or after answering STARTTLS with 220.
    """

    def run(conn: socket.socket) -> None:
        # Without this, Nagle's algorithm would hold a second write until the client ACKs.
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls is not None and implicit_tls:
            conn = tls.wrap_socket(conn, server_side=True)
        conn.sendall(greeting or b"220 scripted.example ESMTP\r\n")
        if greeting.startswith(b"421"):
            wait_for_close(conn)  # RFC 5321 §3.8: the server closes after 421 (here: once read)
            return
        while line := read_line(conn):
            received.append(line)
            verb = line.split(b" ", 1)[0].strip().upper().decode("ascii", "replace")
            if verb == "QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            if verb == "STARTTLS" and tls is not None and verb not in answers:
                conn.sendall(b"220 2.0.0 go ahead\r\n")
                conn = tls.wrap_socket(conn, server_side=True)
                continue
            answer = answers.get(verb, answers.get("*", EHLO_REPLY if verb == "EHLO" else b"250 ok\r\n"))
            chunks = _chunks(answer)
            for chunk in chunks:
                conn.sendall(chunk)
            if answered is not None:
                answered.set()
            if chunks[0].startswith(b"421"):
                wait_for_close(conn)  # closing at once could reset the connection before the 421 is read
                return
            if verb == "DATA" and chunks[0].startswith(b"354"):
                while (line := read_line(conn)) not in (b".\r\n", b""):
                    received.append(line)
                for chunk in _chunks(answers.get(".", b"250 queued\r\n")):
                    conn.sendall(chunk)

    return run


def _chunks(answer: Answer) -> tuple[bytes, ...]:
    return answer if isinstance(answer, tuple) else (answer,)


def body_was_sent(received: list[bytes]) -> bool:
    return any(b"keep me" in line or b"Subject" in line for line in received)


@pytest.mark.parametrize("pipelining", [False, True], ids=["stepwise", "pipelined"])
@pytest.mark.parametrize("answer", [b"250 2.0.0 pretend it arrived\r\n", b"221 bye\r\n"])
def test_data_answered_without_354_is_never_reported_sent(pipelining: bool, answer: bytes) -> None:
    received: list[bytes] = []
    with scripted(dialog({"DATA": answer}, received)) as client:
        client.connect()
        client.ehlo()
        with pytest.raises(SendError) as raised:
            client.send_message(email.message_from_string(MESSAGE), pipelining=pipelining)
        error = raised.value
        data_step = error.failed_step
        assert data_step.name == "data" and not data_step.ok
        assert error.reply is not None and error.reply.code == int(answer[:3])
        assert [s.name for s in error.steps][-1] == "data"
        assert client.state is ClientState.CLOSED, "the server is out of step: nothing after can be trusted"
        assert "354" in " ".join(data_step.exchanges[0].notes)
    assert not body_was_sent(received)


def test_data_step_answered_250_is_not_ok_and_sends_nothing() -> None:
    received: list[bytes] = []
    with scripted(dialog({"DATA": b"250 ok\r\n"}, received)) as client:
        client.connect()
        client.ehlo()
        client.mail("a@example.test")
        client.rcpt("b@example.test")
        step = client.data(MESSAGE)
        assert not step.ok
        with pytest.raises(SMTPReplyError):
            step.raise_for_reply()
        assert step.state_after is ClientState.CLOSED
        assert len(step.exchanges) == 1
    assert not body_was_sent(received)


@pytest.mark.parametrize(
    ("method", "verb", "answer"),
    [
        ("mail", "MAIL", b"354 go ahead\r\n"),
        ("rcpt", "RCPT", b"354 go ahead\r\n"),
        ("noop", "NOOP", b"334 " + base64.b64encode(b"what?") + b"\r\n"),
        ("ehlo", "EHLO", b"354 go ahead\r\n"),
        ("bdat", "BDAT", b"354 go ahead\r\n"),
        ("rset", "RSET", b"354 go ahead\r\n"),
        ("vrfy", "VRFY", b"354 go ahead\r\n"),
        ("help", "HELP", b"354 go ahead\r\n"),
    ],
)
def test_a_request_for_more_input_to_a_command_that_takes_none_closes(
    method: str, verb: str, answer: bytes
) -> None:
    received: list[bytes] = []
    with scripted(dialog({verb: answer}, received)) as client:
        client.connect()
        if verb != "EHLO":
            client.ehlo()
        if verb == "RCPT":
            client.mail("a@example.test")
        calls: dict[str, Callable[[], Step]] = {
            "mail": lambda: client.mail("a@example.test"),
            "rcpt": lambda: client.rcpt("b@example.test"),
            "noop": client.noop,
            "ehlo": client.ehlo,
            "bdat": lambda: client.send_raw("BDAT 10 LAST"),
            "rset": client.rset,
            "vrfy": lambda: client.vrfy("someone"),
            "help": client.help,
        }
        step = calls[method]()
        assert not step.ok
        assert client.state is ClientState.CLOSED
        assert step.exchanges[0].notes, "the step says why the session ended"


@pytest.mark.parametrize("pipelining", [False, True], ids=["stepwise", "pipelined"])
def test_354_to_mail_in_send_message_sends_nothing_more(pipelining: bool) -> None:
    received: list[bytes] = []
    with scripted(dialog({"MAIL": b"354 go ahead\r\n"}, received)) as client:
        client.connect()
        client.ehlo()
        with pytest.raises(SendError) as raised:
            client.send_message(email.message_from_string(MESSAGE), pipelining=pipelining)
        assert raised.value.reply is not None and raised.value.reply.code == 354
        assert client.state is ClientState.CLOSED
    assert not body_was_sent(received)
    if not pipelining:
        assert not any(line.startswith((b"RCPT", b"RSET")) for line in received)


def test_starttls_answered_250_is_not_ok_and_tls_is_not_active() -> None:
    with scripted(dialog({"STARTTLS": b"250 sure\r\n"}, [])) as client:
        client.connect()
        client.ehlo()
        step = client.starttls()
        assert not step.ok
        assert not client.tls_active


def test_auth_answered_250_is_not_ok_and_not_authenticated() -> None:
    with scripted(dialog({"AUTH": b"250 welcome\r\n"}, []), allow_insecure_auth=True) as client:
        client.connect()
        client.ehlo()
        step = client.login("alice", "a-long-password", mechanism="PLAIN")
        assert not step.ok
        assert not client.authenticated


# -- AUTH that never ends --------------------------------------------------------------


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_auth_that_keeps_asking_gives_up_after_five_challenges(mechanism: str) -> None:
    received: list[bytes] = []
    answers = {"AUTH": KEEP_GOING, "*": KEEP_GOING, "EHLO": EHLO_REPLY}
    with scripted(dialog(answers, received), allow_insecure_auth=True) as client:
        client.connect()
        client.ehlo()
        error = fails_cleanly(
            lambda: client.login("alice", "a-long-password", mechanism), RemoteProtocolError
        )
        assert "smtplib" in str(error) and "challenge" in str(error)
        assert client.state is ClientState.CLOSED
        step = client.transcript[-1]
        assert step.name == "login" and not step.ok
    # smtplib's count: an initial response (PLAIN's) is the first of at most six answers; the
    # challenge that arrives after the sixth is never answered.
    initial = mechanism == "PLAIN"
    assert len(step.replies) == MAX_AUTH_CHALLENGES + (0 if initial else 1)
    auth_lines = received[received.index(next(x for x in received if x.startswith(b"AUTH"))) :]
    assert len(auth_lines) == MAX_AUTH_CHALLENGES + (1 if initial else 2)


def test_answering_challenges_by_hand_also_stops_after_five() -> None:
    answers = {"AUTH": KEEP_GOING, "*": KEEP_GOING, "EHLO": EHLO_REPLY}
    with scripted(dialog(answers, []), allow_insecure_auth=True) as client:
        client.connect()
        client.ehlo()
        client.send_raw("AUTH LOGIN")
        for _ in range(MAX_AUTH_CHALLENGES):
            assert client.send_raw("YWxpY2U=").reply.code == 334  # type: ignore[union-attr]
        fails_cleanly(lambda: client.send_raw("YWxpY2U="), RemoteProtocolError)
        assert client.state is ClientState.CLOSED


# -- 421: the server is closing --------------------------------------------------------


def test_421_at_the_greeting_is_a_send_error_never_a_local_one() -> None:
    with scripted(dialog({}, [], greeting=b"421 4.3.2 too many students, try later\r\n")) as client:
        with pytest.raises(SendError) as raised:
            client.send_message(email.message_from_string(MESSAGE))
        assert raised.value.reply is not None and raised.value.reply.code == 421
        assert client.state is ClientState.CLOSED
        assert "421" in str(raised.value)


def test_421_at_the_greeting_closes_the_client() -> None:
    with scripted(dialog({}, [], greeting=b"421 busy\r\n")) as client:
        step = client.connect()
        assert not step.ok and step.state_after is ClientState.CLOSED
        with pytest.raises(LocalProtocolError, match="session is over"):
            client.ehlo()


@pytest.mark.parametrize("pipelining", [False, True], ids=["stepwise", "pipelined"])
@pytest.mark.parametrize("verb", ["EHLO", "MAIL", "RCPT", "DATA"])
def test_421_to_any_command_of_send_message_ends_closed_with_the_421(verb: str, pipelining: bool) -> None:
    received: list[bytes] = []
    answers = {verb: b"421 4.3.2 shutting down\r\n"}
    with scripted(dialog(answers, received)) as client:
        with pytest.raises(SendError) as raised:
            client.send_message(email.message_from_string(MESSAGE), pipelining=pipelining)
        assert raised.value.reply is not None and raised.value.reply.code == 421
        assert client.state is ClientState.CLOSED
    assert not body_was_sent(received)


def test_421_to_the_message_is_a_send_error() -> None:
    received: list[bytes] = []

    with scripted(dialog({"DATA": b"354 go\r\n", ".": b"421 4.3.2 bye\r\n"}, received)) as client:
        with pytest.raises(SendError) as raised:
            client.send_message(email.message_from_string(MESSAGE), pipelining=False)
        assert raised.value.reply is not None and raised.value.reply.code == 421
        assert client.state is ClientState.CLOSED


def test_a_failed_starttls_handshake_leaves_the_client_closed(ca: trustme.CA) -> None:
    stranger = trustme.CA()
    with scripted(starttls_with(server_context(stranger, "127.0.0.1"))) as client:
        client.connect()
        client.ehlo()
        fails_cleanly(lambda: client.starttls(client_context(ca)), TLSError)
        assert client.state is ClientState.CLOSED
        assert client.transcript[-1].name == "starttls"


def test_a_failed_implicit_tls_handshake_leaves_the_client_closed(ca: trustme.CA) -> None:
    context = server_context(trustme.CA(), "127.0.0.1")

    def script(conn: socket.socket) -> None:
        with context.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(b"220 never seen\r\n")

    with scripted(script, implicit_tls=True, tls_context=client_context(ca)) as client:
        fails_cleanly(client.connect, TLSError)
        assert client.state is ClientState.CLOSED


def test_a_reply_that_times_out_closes_the_session() -> None:
    # A late reply would otherwise be read as the answer to the next command.
    def script(conn: socket.socket) -> None:
        conn.sendall(b"220 scripted.example ESMTP\r\n")
        wait_for_close(conn)

    with scripted(script) as client:
        client.connect()
        fails_cleanly(client.ehlo, SMTPTimeoutError)
        assert client.state is ClientState.CLOSED


# -- one reply too many ------------------------------------------------------------------


def test_an_extra_reply_in_the_same_packet_fails_the_next_step() -> None:
    received: list[bytes] = []
    answers = {"NOOP": b"250 ok\r\n250 and another thing\r\n"}
    with scripted(dialog(answers, received)) as client:
        client.connect()
        client.ehlo()
        assert client.noop().ok
        error = fails_cleanly(lambda: client.mail("a@example.test"), RemoteProtocolError)
        assert "another thing" in str(error)
        assert client.state is ClientState.CLOSED
    assert not any(line.startswith(b"MAIL") for line in received)


@pytest.mark.parametrize("tls_mode", ["plain", "starttls", "implicit"])
def test_an_extra_reply_that_arrives_later_fails_the_next_step(ca: trustme.CA, tls_mode: str) -> None:
    received: list[bytes] = []
    answered = threading.Event()
    answers = {"NOOP": (b"250 ok\r\n", b"250 and another thing\r\n")}
    script = dialog(
        answers,
        received,
        tls=server_context(ca, "127.0.0.1"),
        implicit_tls=tls_mode == "implicit",
        answered=answered,
    )
    options: dict[str, Any] = {"tls_context": client_context(ca), "implicit_tls": tls_mode == "implicit"}
    with scripted(script, **options) as client:
        client.connect()
        client.ehlo()
        if tls_mode == "starttls":
            client.starttls()
            client.ehlo()
        answered.clear()
        assert client.noop().ok
        assert answered.wait(HANG_GUARD)  # both writes are out: the extra one is on its way or here
        error = fails_cleanly(client.rset, RemoteProtocolError)
        assert "another thing" in str(error)
        assert client.state is ClientState.CLOSED
    assert not any(line.startswith(b"RSET") for line in received)


@pytest.mark.parametrize("tls_mode", ["starttls", "implicit"])
def test_the_trust_rules_hold_under_tls(ca: trustme.CA, tls_mode: str) -> None:
    received: list[bytes] = []
    script = dialog(
        {"DATA": b"250 pretend\r\n"},
        received,
        tls=server_context(ca, "127.0.0.1"),
        implicit_tls=tls_mode == "implicit",
    )
    options: dict[str, Any] = {"tls_context": client_context(ca), "implicit_tls": tls_mode == "implicit"}
    with scripted(script, **options) as client:
        client.connect()
        client.ehlo()
        if tls_mode == "starttls":
            client.starttls()
        with pytest.raises(SendError):
            client.send_message(email.message_from_string(MESSAGE))
        assert client.tls_active and client.state is ClientState.CLOSED
    assert not body_was_sent(received)


def test_421_at_an_implicit_tls_greeting_is_a_send_error(ca: trustme.CA) -> None:
    script = dialog({}, [], greeting=b"421 busy\r\n", tls=server_context(ca, "127.0.0.1"), implicit_tls=True)
    with scripted(script, tls_context=client_context(ca), implicit_tls=True) as client:
        with pytest.raises(SendError) as raised:
            client.send_message(email.message_from_string(MESSAGE))
        assert raised.value.reply is not None and raised.value.reply.code == 421
        assert client.state is ClientState.CLOSED


def test_an_extra_reply_after_354_never_lets_the_body_out() -> None:
    received: list[bytes] = []
    answers = {"DATA": b"354 go ahead\r\n250 surprise\r\n"}
    with scripted(dialog(answers, received)) as client:
        client.connect()
        client.ehlo()
        client.mail("a@example.test")
        client.rcpt("b@example.test")
        fails_cleanly(lambda: client.data(MESSAGE), RemoteProtocolError)
        assert client.state is ClientState.CLOSED
    assert not body_was_sent(received)


def test_an_extra_reply_in_a_pipelined_group_never_reports_the_message_sent() -> None:
    received: list[bytes] = []
    answers = {"MAIL": b"250 ok\r\n250 one more\r\n", "DATA": b"354 go ahead\r\n"}
    with scripted(dialog(answers, received)) as client:
        client.connect()
        client.ehlo()
        with pytest.raises(SendError):
            client.send_message(email.message_from_string(MESSAGE), pipelining=True)
        assert client.state is ClientState.CLOSED
    assert not body_was_sent(received)


def test_an_oversized_size_does_not_break_ehlo_or_sending() -> None:
    ehlo = b"250-scripted.example\r\n250-SIZE " + b"9" * 5000 + b"\r\n250 PIPELINING\r\n"
    received: list[bytes] = []
    with scripted(dialog({"EHLO": ehlo, "DATA": b"354 go\r\n"}, received)) as client:
        client.connect()
        assert client.ehlo().ok
        assert client.extensions.size_limit is None
        assert client.send_message(email.message_from_string(MESSAGE)).ok


def test_the_explanation_of_a_data_step_answered_250_does_not_say_accepted() -> None:
    with scripted(dialog({"DATA": b"250 ok\r\n"}, [])) as client:
        client.connect()
        client.ehlo()
        client.mail("a@example.test")
        client.rcpt("b@example.test")
        explanation = str(client.data(MESSAGE).explain())
    assert "accepted" not in explanation
    assert "NOT sent" in explanation


@pytest.mark.parametrize("verb", ["STARTTLS", "AUTH", "NOOP", "VRFY", "RSET", "HELP", "EXPN", "HELO"])
def test_421_to_any_single_command_ends_the_session_and_says_why(verb: str) -> None:
    with scripted(dialog({verb: b"421 4.3.2 shutting down\r\n"}, []), allow_insecure_auth=True) as client:
        client.connect()
        client.ehlo()
        calls: dict[str, Callable[[], Step]] = {
            "STARTTLS": client.starttls,
            "AUTH": lambda: client.login("alice", "a-long-password", "PLAIN"),
            "NOOP": client.noop,
            "VRFY": lambda: client.vrfy("someone"),
            "RSET": client.rset,
            "HELP": client.help,
            "EXPN": lambda: client.expn("staff"),
            "HELO": client.helo,
        }
        step = calls[verb]()
        assert not step.ok and step.reply is not None and step.reply.code == 421
        assert client.state is ClientState.CLOSED
        assert any("RFC 5321 §3.8" in note for note in step.exchanges[-1].notes)
        with pytest.raises(LocalProtocolError, match="session is over"):
            client.noop()
