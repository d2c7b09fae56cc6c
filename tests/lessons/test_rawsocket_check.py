"""Lesson 07's checks: read_reply, and the raw-socket session judged step by step.

Sessions are real: a socket talks to a real DebugServer, the check reads its session log.
"""

from __future__ import annotations

import socket
import threading

import pytest
from held_loop import loop_held

from smtplearn.exercises.rawsocket import check_raw_session, check_read_reply
from smtplearn.server import DebugServer

# -- read_reply -------------------------------------------------------------------------------


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


def test_read_reply_check_passes_a_correct_reader() -> None:
    assert check_read_reply(good_read_reply).passed


def test_read_reply_check_prompts_when_unanswered() -> None:
    def stub(sock: socket.socket) -> None:
        return None

    for blank in (..., stub):
        assert check_read_reply(blank).unanswered  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("reader", "says"),
    [
        (one_recv, "multi-line"),
        (space_only_read_reply, "optional"),
        (lambda sock: (str(good_read_reply(sock)[0]), ""), "integer"),
    ],
)
def test_read_reply_check_rejects_wrong_readers(reader: object, says: str) -> None:
    result = check_read_reply(reader)  # type: ignore[arg-type]
    assert not result.passed and not result.unanswered
    assert says in str(result) and result.hint, result
    assert "buffer.split" not in str(result)  # a hint, not the reader


# -- the raw-socket session -------------------------------------------------------------------

SENDER, RECIPIENT, SUBJECT = "student@example.test", "teacher@example.test", "Raw socket lab"
MESSAGE = (
    f"From: {SENDER}\r\nTo: {RECIPIENT}\r\nSubject: {SUBJECT}\r\n\r\n"
    "Hello from a client made of nothing but a socket.\r\n.\r\n"
).encode()


def good_lines() -> list[bytes]:
    return [
        b"EHLO student.example\r\n",
        f"MAIL FROM:<{SENDER}>\r\n".encode(),
        f"RCPT TO:<{RECIPIENT}>\r\n".encode(),
        b"DATA\r\n",
        MESSAGE,
    ]


def raw_session(server: DebugServer, lines: list[bytes], *, quit: bool = True) -> None:
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        good_read_reply(sock)
        for line in lines:
            sock.sendall(line)
            good_read_reply(sock)
        if quit:
            sock.sendall(b"QUIT\r\n")
            good_read_reply(sock)
    server.sessions[-1].wait_closed()


def check(server: DebugServer, **options: object) -> str:
    return str(check_raw_session(server, sender=SENDER, recipient=RECIPIENT, subject=SUBJECT, **options))  # type: ignore[arg-type]


def test_the_solution_passes(server: DebugServer) -> None:
    raw_session(server, good_lines())
    assert check(server).startswith("✔ Correct: All seven steps")


def test_no_session_at_all_is_step_1(server: DebugServer) -> None:
    assert "Step 1 (connect)" in check(server)


def test_a_session_with_nothing_sent_gets_a_prompt_from_the_final_check(server: DebugServer) -> None:
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        good_read_reply(sock)
    server.sessions[-1].wait_closed()
    assert check(server).startswith("✎ Your turn:")


def test_a_connection_the_server_has_not_taken_yet_is_not_called_missing(server: DebugServer) -> None:
    # A learner's connect() returns as soon as the kernel has the connection; the server
    # takes it a moment later (a long moment on a loaded machine: it failed in CI as "the
    # server saw no connection at all"). The check waits for it.
    with loop_held(server) as release, socket.create_connection((server.host, server.port), timeout=5):
        threading.Timer(0.3, release.set).start()
        assert check(server).startswith("✎ Your turn:")


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
def test_the_wrong_step_is_named(server: DebugServer, index: int, line: bytes, step: str) -> None:
    lines = good_lines()
    lines[index] = line
    raw_session(server, lines[: index + 1])
    assert check(server).startswith(f"✘ Not yet: {step} is wrong"), check(server)


@pytest.mark.parametrize(
    ("index", "line", "step"),
    [
        (1, f"MAIL FROM: <{SENDER}>\r\n".encode(), "Step 3 (MAIL FROM)"),
        (1, f"MAIL FROM: {SENDER}\r\n".encode(), "Step 3 (MAIL FROM)"),
        (2, f"RCPT TO:{RECIPIENT}\r\n".encode(), "Step 4 (RCPT TO)"),
    ],
)
def test_what_the_lenient_server_accepted_is_still_wrong(
    server: DebugServer, index: int, line: bytes, step: str
) -> None:
    lines = good_lines()
    lines[index] = line
    server.lenient = True  # the documented switch: a lesson shows what a lenient server lets by
    try:
        raw_session(server, lines)
    finally:
        server.lenient = False
    said = check(server)
    assert len(server.mailbox) == 1  # the lenient server did accept it
    assert said.startswith(f"✘ Not yet: {step} is wrong"), said
    assert "lenient" in said and "RFC 5321 §3.3" in said and "no space" in said


@pytest.mark.parametrize("index", range(4))
def test_a_command_ending_in_a_bare_lf_is_wrong_at_its_step(server: DebugServer, index: int) -> None:
    lines = good_lines()
    lines[index] = lines[index].replace(b"\r\n", b"\n")
    raw_session(server, lines[: index + 1], quit=False)
    said = check(server, upto=index + 2)
    assert said.startswith(f"✘ Not yet: Step {index + 2} "), said
    assert "bare '\\n'" in said and "RFC 5321 §2.3.8" in said


def test_quit_ending_in_a_bare_lf_fails_the_final_check(server: DebugServer) -> None:
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        good_read_reply(sock)
        for line in [*good_lines(), b"QUIT\n"]:
            sock.sendall(line)
            good_read_reply(sock)
    server.sessions[-1].wait_closed()
    assert check(server).startswith("✘ Not yet: Step 7 (QUIT) is wrong"), check(server)


def test_a_bare_lf_message_is_refused(server: DebugServer) -> None:
    lines = good_lines()
    lines[4] = MESSAGE.replace(b"\r\n", b"\n").removesuffix(b".\n") + b"\r\n.\r\n"
    raw_session(server, lines)
    assert "Step 6 (message)" in check(server) and "554" in check(server)


def test_a_missing_quit_is_step_7(server: DebugServer) -> None:
    raw_session(server, good_lines(), quit=False)
    assert "Step 7 (QUIT)" in check(server)


@pytest.mark.parametrize(
    ("message", "says"),
    [
        (MESSAGE.replace(SUBJECT.encode(), b"hello"), "'hello'"),
        (MESSAGE.replace(f"From: {SENDER}\r\n".encode(), b""), "without a From: header"),
    ],
)
def test_a_wrong_message_is_step_6(server: DebugServer, message: bytes, says: str) -> None:
    lines = good_lines()
    lines[4] = message
    raw_session(server, lines)
    assert "Step 6 (message)" in check(server) and says in check(server)


def test_step_by_step_each_check_needs_the_reply_of_its_step(server: DebugServer) -> None:
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        greeting = good_read_reply(sock)
        assert (
            check(server, upto=1, reply=greeting)
            == "✔ Correct: Step 1 is right so far; go on with step 2 (EHLO)."
        )
        for number, line in enumerate(good_lines(), start=2):
            early = check(server, upto=number, reply=greeting)
            assert early.startswith(f"✘ Not yet: Step {number} "), early
            sock.sendall(line)
            reply = good_read_reply(sock)
            assert check(server, upto=number, reply=reply).startswith(
                f"✔ Correct: Steps 1–{number} are right"
            )
        sock.sendall(b"QUIT\r\n")
        assert check(server, upto=7, reply=good_read_reply(sock)).startswith("✔ Correct: All seven steps")


def test_step_1_needs_the_greeting_read(server: DebugServer) -> None:
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.recv(1, socket.MSG_PEEK)  # the greeting has arrived (so it is logged), unread
        assert check(server, upto=1, reply=...).startswith("✎ Your turn:")
        assert check(server, upto=1, reply=None).startswith("✎ Your turn:")
        said = check(server, upto=1, reply=(250, "ok"))
        assert said.startswith("✘ Not yet: Step 1 (connect)") and "Hint: read exactly one" in said
        good_read_reply(sock)


def test_a_reply_read_one_step_late_is_caught(server: DebugServer) -> None:
    # The greeting was never read, so step 2's read_reply returns the greeting.
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(b"EHLO student.example\r\n")
        while not sock.recv(4096, socket.MSG_PEEK).endswith(b"250 HELP\r\n"):
            pass  # until EHLO's reply has arrived too: the server has handled EHLO
        late = good_read_reply(sock)
        assert late[0] == 220
        said = check(server, upto=2, reply=late)
        assert said.startswith("✘ Not yet: Step 2 (EHLO): you read (220,"), said


def test_a_reply_that_is_not_a_pair_is_explained(server: DebugServer) -> None:
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        good_read_reply(sock)
        assert "(code, text)" in check(server, upto=1, reply="220")


def test_a_step_that_does_not_exist_is_refused(server: DebugServer) -> None:
    with pytest.raises(ValueError, match="upto"):
        check_raw_session(server, sender=SENDER, recipient=RECIPIENT, subject=SUBJECT, upto=8)
