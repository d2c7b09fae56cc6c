"""The checks of lessons 04 and 07 pass the solutions and name the step a wrong answer breaks.

Everything runs against a real DebugServer over loopback; the learners' answers are
written here the way a learner would write them (right, and wrong in typical ways).
"""

from __future__ import annotations

import base64
import socket
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any

import pytest

from smtplearn.client import Client, SendError
from smtplearn.exercises.advanced import (
    check_plain_decoder,
    check_raw_session,
    check_read_reply,
    check_retry_loop,
    check_round_trips,
    lab_message,
)
from smtplearn.server import DebugServer


@pytest.fixture(scope="module")
def server() -> Iterator[DebugServer]:
    with DebugServer(tls=False) as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(server: DebugServer) -> None:
    server.faults.clear()
    server.mailbox.clear()
    server.sessions.clear()
    server.lenient = False


# -- lesson 04: retry loops -------------------------------------------------------------


def good_deliver(
    server: Any, message: EmailMessage, *, attempts: int, first_delay: float, sleep: Callable[[float], None]
) -> Any:
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            with Client(server.host, server.port) as client:
                return client.send_message(message)
        except SendError as error:
            failure = next(step for step in error.steps if not step.ok)
            if failure.reply is None or not failure.reply.is_transient or attempt == attempts:
                raise
        sleep(delay)
        delay *= 2
    return None


def test_retry_check_passes_a_correct_loop(server: DebugServer) -> None:
    result = check_retry_loop(good_deliver, server)
    assert result.passed, result
    assert len(server.faults) == 0  # the check leaves the server as it found it


def no_retry(server: Any, message: EmailMessage, **_: Any) -> Any:
    with Client(server.host, server.port) as client:
        return client.send_message(message)


def retries_everything(
    server: Any, message: EmailMessage, *, attempts: int, first_delay: float, sleep: Callable[[float], None]
) -> Any:
    for _ in range(attempts):
        try:
            with Client(server.host, server.port) as client:
                return client.send_message(message)
        except SendError:
            sleep(first_delay * 2)  # and the same wait each time
    raise RuntimeError("gave up")


def fixed_wait(
    server: Any, message: EmailMessage, *, attempts: int, first_delay: float, sleep: Callable[[float], None]
) -> Any:
    for _ in range(attempts):
        try:
            with Client(server.host, server.port) as client:
                return client.send_message(message)
        except SendError as error:
            if not any(s.reply and s.reply.is_transient for s in error.steps):
                raise
            sleep(first_delay)
    raise RuntimeError("gave up")


@pytest.mark.parametrize(
    ("deliver", "says"),
    [(no_retry, "Greylisting"), (fixed_wait, "each wait should be longer"), (retries_everything, "Backoff")],
)
def test_retry_check_names_what_is_wrong(server: DebugServer, deliver: Any, says: str) -> None:
    result = check_retry_loop(deliver, server)
    assert not result.passed
    assert says in str(result)


def waits(*delays: float) -> Callable[..., Any]:
    """A loop that retries 4xx right, but waits `delays` instead of first_delay, doubled."""

    def deliver(server: Any, message: EmailMessage, *, attempts: int, first_delay: float, sleep: Any) -> Any:
        for attempt in range(attempts):
            try:
                with Client(server.host, server.port) as client:
                    return client.send_message(message)
            except SendError as error:
                if not any(s.reply and s.reply.is_transient for s in error.steps):
                    raise
                sleep(delays[min(attempt, len(delays) - 1)])
        raise RuntimeError("gave up")

    return deliver


@pytest.mark.parametrize("delays", [(0.5, 0.51), (30, 300)])
def test_retry_check_requires_first_delay_then_doubling(
    server: DebugServer, delays: tuple[float, ...]
) -> None:
    result = check_retry_loop(waits(*delays), server)
    assert not result.passed
    assert "[0.5, 1.0]" in str(result) and "double" in str(result)


def test_retry_check_accepts_exact_doubling_written_differently(server: DebugServer) -> None:
    assert check_retry_loop(waits(0.5, 1, 2), server).passed


def test_retry_check_catches_retrying_a_permanent_failure(server: DebugServer) -> None:
    def stubborn(server: Any, message: EmailMessage, *, attempts: int, first_delay: float, sleep: Any) -> Any:
        delay = first_delay
        for _ in range(attempts):
            try:
                with Client(server.host, server.port) as client:
                    return client.send_message(message)
            except SendError:
                sleep(delay)
                delay *= 2
        raise RuntimeError("gave up")

    result = check_retry_loop(stubborn, server)
    assert not result.passed
    assert "550" in str(result) and "4 times" in str(result)


# -- lesson 07: read_reply ----------------------------------------------------------------


def good_read_reply(sock: socket.socket) -> tuple[int, str]:
    buffer = b""
    lines: list[str] = []
    while True:
        while b"\r\n" not in buffer:
            buffer += sock.recv(1024)
        line, buffer = buffer.split(b"\r\n", 1)
        lines.append(line[4:].decode())
        if line[3:4] != b"-":  # a space, or nothing: the text is optional (RFC 5321 §4.2)
            return int(line[:3]), "\n".join(lines)


def one_recv(sock: socket.socket) -> tuple[int, str]:
    data = sock.recv(1024).decode()
    return int(data[:3]), data[4:].strip()


def test_read_reply_check_passes_a_correct_reader() -> None:
    assert check_read_reply(good_read_reply).passed


def test_read_reply_check_fails_a_single_recv_reader() -> None:
    result = check_read_reply(one_recv)
    assert not result.passed
    assert "multi-line" in str(result)


def space_only_read_reply(sock: socket.socket) -> tuple[int, str]:
    """The old model solution: it took only '250 text' as a last line, never a bare '250'."""
    sock.settimeout(2)  # so the check's wait for a reply that never ends is short here
    buffer = b""
    lines: list[str] = []
    while True:
        while b"\r\n" not in buffer:
            buffer += sock.recv(1024)
        line, buffer = buffer.split(b"\r\n", 1)
        lines.append(line[4:].decode())
        if line[3:4] == b" ":
            return int(line[:3]), "\n".join(lines)


def test_read_reply_check_fails_a_reader_that_needs_text_after_the_code() -> None:
    result = check_read_reply(space_only_read_reply)
    assert not result.passed
    assert "no text" in str(result) and "optional" in str(result)


def test_read_reply_check_fails_a_reader_that_returns_a_string_code() -> None:
    result = check_read_reply(lambda sock: (str(good_read_reply(sock)[0]), good_read_reply(sock)[1]))
    assert not result.passed


# -- lesson 07: the raw-socket session ------------------------------------------------------

SENDER, RECIPIENT, SUBJECT = "student@example.test", "teacher@example.test", "Raw socket lab"


def raw_session(server: DebugServer, lines: list[bytes], *, quit: bool = True) -> None:
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        good_read_reply(sock)
        for line in lines:
            sock.sendall(line)
            if line != b"":
                good_read_reply(sock)
        if quit:
            sock.sendall(b"QUIT\r\n")
            good_read_reply(sock)
    # The server logs the close on its own thread; wait for it rather than for a time.
    deadline = time.monotonic() + 5
    while not server.sessions[-1].closed and time.monotonic() < deadline:
        time.sleep(0.01)


def good_lines() -> list[bytes]:
    return [
        b"EHLO student.example\r\n",
        f"MAIL FROM:<{SENDER}>\r\n".encode(),
        f"RCPT TO:<{RECIPIENT}>\r\n".encode(),
        b"DATA\r\n",
        (lab_message(SENDER, RECIPIENT, SUBJECT) + ".\r\n").encode(),
    ]


def check(server: DebugServer) -> str:
    result = check_raw_session(server, sender=SENDER, recipient=RECIPIENT, subject=SUBJECT)
    return str(result)


def test_raw_session_check_passes_the_solution(server: DebugServer) -> None:
    raw_session(server, good_lines())
    assert check(server).startswith("✔")


def test_raw_session_check_with_no_session(server: DebugServer) -> None:
    assert "Step 1 (connect)" in check(server)


@pytest.mark.parametrize(
    ("index", "line", "step"),
    [
        (0, b"HELLO there\r\n", "Step 2 (EHLO)"),
        (1, f"MAIL FROM: {SENDER}\r\n".encode(), "Step 3 (MAIL FROM)"),
        (1, b"MAIL FROM:<someone.else@example.test>\r\n", "Step 3 (MAIL FROM)"),
        (2, b"RCPT TO:<>\r\n", "Step 4 (RCPT TO)"),
        (3, b"DATE\r\n", "Step 5 (DATA)"),
    ],
)
def test_raw_session_check_names_the_wrong_step(
    server: DebugServer, index: int, line: bytes, step: str
) -> None:
    lines = good_lines()
    lines[index] = line
    if step != "Step 3 (MAIL FROM)" or b"<" not in line:
        lines = lines[: index + 1]  # after a refused command a learner's later steps fail too
    raw_session(server, lines)
    assert check(server).startswith(f"✘ Not yet: {step} is wrong"), check(server)


@pytest.mark.parametrize(
    ("index", "line", "step"),
    [
        (1, f"MAIL FROM: <{SENDER}>\r\n".encode(), "Step 3 (MAIL FROM)"),
        (1, f"MAIL FROM: {SENDER}\r\n".encode(), "Step 3 (MAIL FROM)"),
        (2, f"RCPT TO:{RECIPIENT}\r\n".encode(), "Step 4 (RCPT TO)"),
    ],
)
def test_raw_session_check_explains_what_the_lenient_server_accepted(
    server: DebugServer, index: int, line: bytes, step: str
) -> None:
    server.lenient = True  # the DebugServer refuses these lines unless told to be lenient
    lines = good_lines()
    lines[index] = line
    raw_session(server, lines)
    said = check(server)
    assert server.sessions[-1].closed and len(server.mailbox) == 1  # the lenient server accepted it
    assert said.startswith(f"✘ Not yet: {step} is wrong"), said
    assert "lenient" in said and "RFC 5321 §4.1.2" in said and "no space" in said


def test_raw_session_check_bare_lf_message(server: DebugServer) -> None:
    lines = good_lines()
    lines[4] = (lab_message(SENDER, RECIPIENT, SUBJECT).replace("\r\n", "\n") + "\r\n.\r\n").encode()
    raw_session(server, lines)
    assert "Step 6 (message)" in check(server) and "554" in check(server)


def test_raw_session_check_missing_quit(server: DebugServer) -> None:
    raw_session(server, good_lines(), quit=False)
    assert "Step 7 (QUIT)" in check(server)


def test_raw_session_check_wrong_subject(server: DebugServer) -> None:
    lines = good_lines()
    lines[4] = (lab_message(SENDER, RECIPIENT, "hello") + ".\r\n").encode()
    raw_session(server, lines)
    assert "Step 6 (message)" in check(server) and "'hello'" in check(server)


def test_raw_session_check_step_by_step(server: DebugServer) -> None:
    """Checked after each step, the lab says how far it got; a step not taken yet fails."""
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        good_read_reply(sock)
        assert str(
            check_raw_session(server, sender=SENDER, recipient=RECIPIENT, subject=SUBJECT, upto=1)
        ) == ("✔ Correct: Step 1 is right so far; go on with step 2 (EHLO).")
        for number, line in enumerate(good_lines(), start=2):
            early = check_raw_session(
                server, sender=SENDER, recipient=RECIPIENT, subject=SUBJECT, upto=number
            )
            assert not early.passed and f"Step {number} " in str(early)
            sock.sendall(line)
            good_read_reply(sock)
            result = check_raw_session(
                server, sender=SENDER, recipient=RECIPIENT, subject=SUBJECT, upto=number
            )
            assert result.passed and f"Steps 1–{number} are right" in str(result), result
        sock.sendall(b"QUIT\r\n")
        good_read_reply(sock)
    assert check(server).startswith("✔ Correct: All seven steps")


def test_raw_session_check_refuses_a_step_that_does_not_exist(server: DebugServer) -> None:
    with pytest.raises(ValueError, match="upto"):
        check_raw_session(server, sender=SENDER, recipient=RECIPIENT, subject=SUBJECT, upto=8)


# -- lesson 05: round trips ------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_server() -> Iterator[DebugServer]:
    with DebugServer() as running:
        yield running


def test_round_trip_prediction_right(tls_server: DebugServer) -> None:
    result = check_round_trips(13, 2, tls_server, recipients=10)
    assert result.passed, result
    assert "saves 11 waits" in str(result)


@pytest.mark.parametrize(
    ("without", "with_", "says"), [(10, 2, "without PIPELINING"), (13, 1, "with PIPELINING")]
)
def test_round_trip_prediction_wrong(tls_server: DebugServer, without: int, with_: int, says: str) -> None:
    result = check_round_trips(without, with_, tls_server, recipients=10)
    assert not result.passed and says in str(result)


def test_round_trip_prediction_missing(tls_server: DebugServer) -> None:
    assert "first" in str(check_round_trips(..., 2, tls_server, recipients=10))


# -- lesson 06: PLAIN decoding ----------------------------------------------------------------


def good_decode_plain(token: str) -> tuple[str, str, str]:
    authzid, user, password = base64.b64decode(token).decode("utf-8").split("\0")
    return authzid, user, password


def test_plain_decoder_right() -> None:
    assert check_plain_decoder(good_decode_plain).passed


@pytest.mark.parametrize(
    "wrong",
    [
        lambda token: tuple(base64.b64decode(token).decode("latin-1").split("\0")),  # not UTF-8
        lambda token: tuple(base64.b64decode(token).decode().split("\0")[1:]),  # drops authzid
        lambda token: base64.b64decode(token),  # bytes, not strings
    ],
)
def test_plain_decoder_wrong(wrong: Callable[[str], Any]) -> None:
    result = check_plain_decoder(wrong)
    assert not result.passed and "decode_plain(" in str(result)


@pytest.mark.parametrize(
    "wrong",
    [
        lambda token: token,  # echoes the token
        lambda token: base64.b64decode(token),  # the raw bytes, every field in them
        lambda token: tuple(base64.b64decode(token).decode().split("\0"))[::-1],  # reversed
        lambda token: 1 / 0,  # raises
    ],
)
def test_plain_decoder_messages_never_show_the_demo_password(wrong: Callable[[str], Any]) -> None:
    from smtplearn.server.auth import DEMO_PASSWORD

    result = check_plain_decoder(wrong)
    assert not result.passed
    shown = " ".join([str(result), repr(result), result._repr_html_(), result.hint])
    encoded = base64.b64encode(DEMO_PASSWORD.encode()).decode()
    assert DEMO_PASSWORD not in shown and encoded.rstrip("=") not in shown
    # the check does show what the decoder gave, so the test above is not vacuous:
    assert "decode_plain(" in shown
