"""Checks for the exercises of lessons 04–07: retry loops, round trips, PLAIN, the raw-socket lab.

Each check runs the learner's code against real parts (the lesson's DebugServer, a real
socket pair) and then judges what the *server* saw — its session log and its mailbox —
so a check can name the exact step that went wrong. Checks never raise for a wrong
answer: they return a result whose message says what to fix.
"""

from __future__ import annotations

import math
import select
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from smtplearn.exercises import CheckResult, correct, not_yet

if TYPE_CHECKING:
    from smtplearn.server import DebugServer
    from smtplearn.server.sessions import SessionLog

__all__ = [
    "Conversation",
    "check_plain_decoder",
    "check_raw_session",
    "check_read_reply",
    "check_retry_loop",
    "check_round_trips",
    "conversation",
    "lab_message",
]


# -- what the server saw, as command/reply pairs -------------------------------------------


@dataclass(frozen=True)
class Conversation:
    """One client line the server received, and the reply lines it sent back."""

    #: "command" for SMTP commands, "data" for message lines, "auth" for AUTH lines.
    kind: str
    text: str
    replies: tuple[str, ...]

    @property
    def code(self) -> int | None:
        """The reply code of the last reply line, or None when the server did not answer."""
        if not self.replies or not self.replies[-1][:3].isdigit():
            return None
        return int(self.replies[-1][:3])

    @property
    def verb(self) -> str:
        return self.text.split(" ", 1)[0].split(":", 1)[0].upper() if self.kind == "command" else ""


def conversation(session: SessionLog) -> list[Conversation]:
    """Pair every line the client sent with the reply lines that followed it."""
    pairs: list[Conversation] = []
    pending: tuple[str, str] | None = None
    replies: list[str] = []
    for event in session.events:
        if event.direction == "C":
            if pending is not None:
                pairs.append(Conversation(pending[0], pending[1], tuple(replies)))
            pending, replies = (event.kind, event.text), []
        elif event.direction == "S" and pending is not None:
            replies.append(event.text)
    if pending is not None:
        pairs.append(Conversation(pending[0], pending[1], tuple(replies)))
    return pairs


def _sends(session: SessionLog, verb: str) -> int:
    return sum(1 for c in conversation(session) if c.verb == verb)


# -- lesson 04: a retry loop for temporary failures ---------------------------------------

#: The learner's function: deliver(server, message, *, attempts, first_delay, sleep).
Deliver = Callable[..., Any]


class _RecordingSleep:
    """Stands in for `time.sleep` so a check sees the backoff without waiting for it."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def _retry_message(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "author@example.com"
    message["To"] = to
    message["Subject"] = "Retry check"
    message.set_content("If at first you don't succeed...\n")
    return message


def _run_deliver(
    deliver: Deliver, server: DebugServer, to: str, attempts: int
) -> tuple[_RecordingSleep, BaseException | None]:
    sleep = _RecordingSleep()
    try:
        deliver(server, _retry_message(to), attempts=attempts, first_delay=0.5, sleep=sleep)
    except Exception as error:  # the learner's code may raise anything; judge what the server saw
        return sleep, error
    return sleep, None


def _stored_for(server: DebugServer, to: str) -> int:
    return sum(1 for m in server.mailbox if to in m.rcpt_tos)


def check_retry_loop(deliver: Deliver, server: DebugServer) -> CheckResult:
    """Judge a retry loop by what the server saw in four situations.

    `deliver(server, message, *, attempts, first_delay, sleep)` must send `message`,
    retrying after 4xx replies (waiting with `sleep`, longer each time) and never after
    5xx replies (RFC 5321 §4.2.1, §4.5.4.1). It may return anything; after a permanent
    failure, or when the attempts run out, it should raise.

    The check needs a clean slate to count what the function did: it clears the
    server's faults, mailbox and session log before each situation, and its faults after.
    """
    from smtplearn.server.faults import Greylist, RejectRecipient, TemporaryFailure

    def fresh() -> None:
        server.faults.clear()
        server.mailbox.clear()
        server.sessions.clear()

    try:
        # 1. Greylisting: the first RCPT gets 451, a retry is accepted.
        fresh()
        server.inject(Greylist())
        _sleep, error = _run_deliver(deliver, server, "grey@example.com", attempts=4)
        if _stored_for(server, "grey@example.com") != 1:
            rcpts = sum(_sends(s, "RCPT") for s in server.sessions)
            why = f" (it raised {error!r})" if error else ""
            return not_yet(
                "Greylisting: the server answered the first RCPT with 451 4.7.1, but the message "
                f"never arrived; the server saw RCPT {rcpts} time(s){why}. A 4xx reply means "
                "'try again later': start a new attempt (RFC 5321 §4.5.4.1)."
            )

        # 2. Two temporary failures at MAIL, then success: the waits must grow.
        fresh()
        server.inject(TemporaryFailure("MAIL", times=2))
        sleep, error = _run_deliver(deliver, server, "later@example.com", attempts=4)
        mails = sum(_sends(s, "MAIL") for s in server.sessions)
        if _stored_for(server, "later@example.com") != 1:
            why = f" (it raised {error!r})" if error else ""
            return not_yet(
                "Temporary failure: MAIL got 451 twice and would have worked the third time, but "
                f"the message never arrived; the server saw MAIL {mails} time(s){why}."
            )
        if len(sleep.delays) < 2:
            return not_yet(
                f"Backoff: after two 451 replies your loop called sleep {len(sleep.delays)} time(s); "
                "wait (with the `sleep` you were given) before every new attempt."
            )
        if not all(b > a for a, b in zip(sleep.delays, sleep.delays[1:], strict=False)):
            return not_yet(
                f"Backoff: your waits were {sleep.delays}; each wait should be longer than the last "
                "(double it, say), so a busy server gets room to recover."
            )
        expected = [0.5 * 2**n for n in range(len(sleep.delays))]
        if not all(_close(got, want) for got, want in zip(sleep.delays, expected, strict=True)):
            return not_yet(
                f"Backoff: your waits were {sleep.delays}, but with first_delay=0.5 they should be "
                f"{expected}: wait `first_delay` after the first failure, then double the wait each time."
            )

        # 3. A permanent failure must not be retried.
        fresh()
        server.inject(RejectRecipient("nobody@*"))
        _sleep, error = _run_deliver(deliver, server, "nobody@example.com", attempts=4)
        rcpts = sum(_sends(s, "RCPT") for s in server.sessions)
        if rcpts != 1:
            return not_yet(
                f"Permanent failure: RCPT TO:<nobody@example.com> got 550 5.1.1, and your loop sent it "
                f"{rcpts} times. A 5xx reply will not change: give up at once (RFC 5321 §4.2.1)."
            )
        if error is None:
            return not_yet(
                "Permanent failure: the recipient was refused with 550, but your function returned "
                "as if all went well. Raise (or re-raise the SendError) so the caller knows."
            )

        # 4. A failure that never ends: stop after `attempts`.
        fresh()
        server.inject(TemporaryFailure("MAIL"))
        _sleep, error = _run_deliver(deliver, server, "never@example.com", attempts=3)
        mails = sum(_sends(s, "MAIL") for s in server.sessions)
        if mails != 3:
            return not_yet(
                f"Giving up: MAIL always got 451 and attempts=3, but the server saw MAIL {mails} "
                "time(s). Make exactly `attempts` attempts, then give up."
            )
        if error is None:
            return not_yet(
                "Giving up: every attempt failed, but your function returned as if all went well. "
                "Raise after the last attempt."
            )
    finally:
        server.faults.clear()
    return correct(
        "Your retry loop works: it retried after 451 (greylisting and a temporary failure), waited "
        f"longer each time ({sleep.delays}), gave up at once on 550, and stopped after 3 attempts."
    )


def _close(got: object, want: float) -> bool:
    # A small tolerance, so 0.5 * 2 ** n and repeated `delay *= 2` both pass; 0.51 does not.
    return isinstance(got, (int, float)) and math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-9)


# -- lesson 07: reading a reply from a socket ---------------------------------------------

#: Reply bytes the reader check sends, and the chunks it splits them into.
_READER_CASES: tuple[tuple[str, tuple[bytes, ...], int, str], ...] = (
    ("a one-line reply", (b"220 mail.example.com ESMTP ready\r\n",), 220, "mail.example.com ESMTP ready"),
    (
        "a multi-line EHLO reply",
        (b"250-mail.example.com\r\n250-SIZE 33554432\r\n250 HELP\r\n",),
        250,
        "mail.example.com\nSIZE 33554432\nHELP",
    ),
    (
        "a reply that arrives in pieces",
        (b"25", b"0-first\r\n250", b"-second\r", b"\n250 last\r\n"),
        250,
        "first\nsecond\nlast",
    ),
    # RFC 5321 §4.2: the text after the code is optional, so a last line may be the code alone.
    ("a reply with no text, just '250\\r\\n'", (b"250\r\n",), 250, ""),
)


def check_read_reply(read_reply: Callable[[socket.socket], Any]) -> CheckResult:
    """Feed `read_reply(sock)` real replies over a socket pair; it must return (code, text).

    The text is every line's text joined by newlines, as smtplib returns it. The last
    case splits the reply into pieces, because TCP does not keep `send` boundaries.
    """
    for name, chunks, code, text in _READER_CASES:
        ours, theirs = socket.socketpair()
        ours.settimeout(5)
        feeder = threading.Thread(target=_feed, args=(ours, theirs, chunks), daemon=True)
        feeder.start()
        try:
            got = read_reply(ours)
        except TimeoutError:
            return not_yet(
                f"{name}: read_reply waited for more bytes that never came. Stop reading when a "
                "line has a space after its code, or nothing at all after it (RFC 5321 §4.2: the text "
                "is optional): that is the last line."
            )
        except Exception as error:
            return not_yet(f"{name}: read_reply raised {error!r}.")
        finally:
            ours.close()
            theirs.close()
            feeder.join(5)
        if not isinstance(got, tuple) or len(got) != 2:
            return not_yet(f"{name}: read_reply should return (code, text), it returned {got!r}.")
        if got[0] != code:
            return not_yet(f"{name}: the code should be the integer {code}, read_reply gave {got[0]!r}.")
        if got[1] != text:
            return not_yet(f"{name}: the text should be {text!r}, read_reply gave {got[1]!r}.")
    return correct(
        "read_reply reads one-line and multi-line replies, even when they arrive in pieces or "
        "have no text after the code."
    )


def _feed(reader: socket.socket, writer: socket.socket, chunks: Sequence[bytes]) -> None:
    for chunk in chunks:
        # Send the next piece only once the reader has taken the last one, so a reader that
        # calls recv() once fails every time instead of only when the pieces happen to merge.
        deadline = time.monotonic() + 5
        while _unread(reader) and time.monotonic() < deadline:
            time.sleep(0.001)
        try:
            writer.sendall(chunk)
        except OSError:
            return


def _unread(sock: socket.socket) -> bool:
    try:
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return False


# -- lesson 07: the whole raw-socket session ----------------------------------------------


def lab_message(sender: str, recipient: str, subject: str) -> str:
    """The message text the lab sends, with CRLF line endings as SMTP wants (RFC 5321 §2.3.8)."""
    return (
        f"From: {sender}\r\nTo: {recipient}\r\nSubject: {subject}\r\n\r\n"
        "Hello from a client made of nothing but a socket.\r\n"
    )


_STEP_NAMES = ("connect", "EHLO", "MAIL FROM", "RCPT TO", "DATA", "message", "QUIT")


def _step(number: int, problem: str) -> CheckResult:
    return not_yet(f"Step {number} ({_STEP_NAMES[number - 1]}) is wrong: {problem}")


def _said(c: Conversation) -> str:
    answer = c.replies[-1] if c.replies else "no reply"
    return f"the server received {c.text!r} and answered {answer!r}"


def _wrong_path(c: Conversation, keyword: str, address: str) -> str:
    """Why a MAIL or RCPT line is wrong, even when the lenient server said 250 to it."""
    argument = c.text[len(keyword) :] if c.text.upper().startswith(keyword) else ""
    if argument.strip().strip("<>").lower() == address.lower():
        # aiosmtpd accepts "MAIL FROM: a@b" and "MAIL FROM:a@b"; many servers refuse them,
        # because the grammar has no space and requires the brackets (RFC 5321 §4.1.2).
        return (
            f"{_said(c)}. This server is lenient and accepted it, but RFC 5321 §4.1.2 requires "
            f"exactly '{keyword}<{address}>': no space after the colon, and angle brackets around "
            "the address. Stricter servers refuse anything else."
        )
    return f"the address should be <{address}>, but {_said(c)}."


def _so_far(done: int) -> CheckResult:
    steps = "Step 1 is" if done == 1 else f"Steps 1–{done} are"
    return correct(f"{steps} right so far; go on with step {done + 1} ({_STEP_NAMES[done]}).")


def check_raw_session(
    server: DebugServer, *, sender: str, recipient: str, subject: str, upto: int = 7
) -> CheckResult:
    """Judge the latest session on `server` as the raw-socket lab: which step went wrong?

    Expected, in order: EHLO (or HELO) → 250, ``MAIL FROM:<sender>`` → 250,
    ``RCPT TO:<recipient>`` → 250, DATA → 354, the message ending in a lone "." → 250
    (and in the mailbox with `subject`), QUIT → 221. With `upto` below 7 only the
    steps up to that one are judged, so a learner can check each step as it is done.
    """
    if not 1 <= upto <= len(_STEP_NAMES):
        raise ValueError(f"upto must be a step number from 1 to {len(_STEP_NAMES)}, not {upto!r}")
    sessions = list(server.sessions)
    if not sessions:
        return _step(1, f"the server saw no connection at all. Connect to ({server.host!r}, {server.port}).")
    session = sessions[-1]
    if upto == 1:
        return _so_far(1)
    talk = conversation(session)
    commands = [c for c in talk if c.kind == "command"]
    if not commands:
        return _step(
            2, "you connected, but sent no command. Read the 220 greeting, then send 'EHLO name\\r\\n'."
        )

    greeting = commands[0]
    if greeting.verb not in ("EHLO", "HELO"):
        return _step(2, f"the first command must be EHLO (or HELO), but {_said(greeting)}.")
    if greeting.code != 250:
        return _step(2, f"{_said(greeting)}. Send 'EHLO' and a name, e.g. 'EHLO student.example'.")
    if upto == 2:
        return _so_far(2)

    mail = next((c for c in commands if c.verb == "MAIL"), None)
    if mail is None:
        return _step(3, f"the server never received MAIL. Send 'MAIL FROM:<{sender}>\\r\\n'.")
    if mail.code != 250:
        return _step(3, f"{_said(mail)}. The exact form is 'MAIL FROM:<{sender}>' (RFC 5321 §4.1.1.2).")
    if mail.text.upper() != f"MAIL FROM:<{sender}>".upper():
        return _step(3, _wrong_path(mail, "MAIL FROM:", sender))
    if upto == 3:
        return _so_far(3)

    rcpt = next((c for c in commands if c.verb == "RCPT"), None)
    if rcpt is None:
        return _step(4, f"the server never received RCPT. Send 'RCPT TO:<{recipient}>\\r\\n' after MAIL.")
    if rcpt.code != 250:
        return _step(4, f"{_said(rcpt)}. The exact form is 'RCPT TO:<{recipient}>' (RFC 5321 §4.1.1.3).")
    if rcpt.text.upper() != f"RCPT TO:<{recipient}>".upper():
        return _step(4, _wrong_path(rcpt, "RCPT TO:", recipient))
    if upto == 4:
        return _so_far(4)

    data = next((c for c in commands if c.verb == "DATA"), None)
    if data is None:
        return _step(5, "the server never received DATA. Send 'DATA\\r\\n' and wait for 354.")
    if data.code != 354:
        return _step(5, f"{_said(data)}; DATA must come after an accepted MAIL and RCPT.")
    if upto == 5:
        return _so_far(5)

    stored = [m for m in server.mailbox if m.session == session.number]
    if not stored:
        answered = [c for c in talk if c.kind == "data" and c.code is not None]
        if answered:
            refusal = answered[-1].replies[-1]
            hint = (
                " Every line must end with '\\r\\n'; a bare '\\n' is refused because it is how "
                "SMTP smuggling hides a second message (RFC 5321 §2.3.8)."
                if "bare" in refusal
                else ""
            )
            return _step(6, f"the server refused the message: {refusal!r}.{hint}")
        lines = sum(1 for c in talk if c.kind == "data")
        if session.closed:
            hint = "the connection closed before the message was complete"
        else:
            hint = "the server is still waiting for the end of the message"
        return _step(
            6,
            f"the server got {lines} line(s) of message text but no end: {hint}. End the message "
            "with a line holding a single dot: send '\\r\\n.\\r\\n' (RFC 5321 §4.1.1.4).",
        )
    received = stored[-1]
    if received.subject != subject:
        return _step(
            6,
            f"the message arrived, but its Subject is {received.subject!r}, not {subject!r}. "
            "Headers come first, then an empty line, then the body.",
        )
    if upto == 6:
        return _so_far(6)

    last = commands[-1]
    if last.verb != "QUIT":
        if session.closed:
            return _step(7, "you closed the socket without saying QUIT. Send 'QUIT\\r\\n' and read 221.")
        return _step(7, "the server has not received QUIT yet. Send 'QUIT\\r\\n', read 221, then close.")
    if last.code != 221:
        return _step(7, f"{_said(last)}.")
    return correct(
        f"All seven steps are right: the server received your message {received.queue_id} from "
        f"<{sender}> to <{recipient}> with the subject {subject!r}, and you said goodbye properly."
    )


# -- lesson 05: predicting round trips ------------------------------------------------------


def _count_round_trips(server: DebugServer, recipients: int, *, pipelining: bool) -> int:
    from smtplearn.client import Client

    message = EmailMessage()
    message["From"] = "author@example.com"
    message["To"] = ", ".join(f"reader{n}@example.com" for n in range(1, recipients + 1))
    message["Subject"] = "Counting round trips"
    message.set_content("How many times did the client wait?\n")
    with Client(server.host, server.port, tls_context=server.client_tls_context()) as client:
        client.ehlo()
        before = client.round_trips
        client.send_message(message, pipelining=pipelining)
        return client.round_trips - before


def check_round_trips(
    without: object, with_pipelining: object, server: DebugServer, *, recipients: int
) -> CheckResult:
    """Compare predicted round trips for one message to `recipients` with real sends to `server`.

    A round trip is one wait for the server after sending (the client counts them in
    `Client.round_trips`); the transaction is counted from MAIL FROM to the final reply.
    """
    if without in (None, Ellipsis) or with_pipelining in (None, Ellipsis):
        return not_yet("replace both ... with your predictions (whole numbers) first.")
    actual_without = _count_round_trips(server, recipients, pipelining=False)
    actual_with = _count_round_trips(server, recipients, pipelining=True)
    if without != actual_without:
        return not_yet(
            f"without PIPELINING you predicted {without!r} round trips, the client waited {actual_without} "
            "times.",
            "one wait for MAIL, one per RCPT, one for DATA's 354, one for the message's 250.",
        )
    if with_pipelining != actual_with:
        return not_yet(
            f"with PIPELINING you predicted {with_pipelining!r} round trips, the client waited "
            f"{actual_with} times.",
            "MAIL, every RCPT and DATA go in one write (RFC 2920 §3.1); the message must wait for 354.",
        )
    return correct(
        f"{actual_without} round trips without PIPELINING and {actual_with} with it. Pipelined, the "
        f"count stays {actual_with} however many recipients there are: here it saves "
        f"{actual_without - actual_with} waits."
    )


# -- lesson 06: base64 is not encryption --------------------------------------------------

#: (authorization identity, user, password) triples the PLAIN decoder check encodes.
_PLAIN_CASES = (
    # Made-up accounts only: a wrong decoder's message shows these, so never the demo password.
    ("", "bob", "tr0ub4dor&3"),
    ("", "renée", "pässwörd with spaces"),
    ("admin", "student", "x:y\u00a0z"),
)


def check_plain_decoder(decode_plain: Callable[[str], Any]) -> CheckResult:
    """`decode_plain(token)` must turn an AUTH PLAIN token back into (authzid, user, password).

    RFC 4616 §2: the token is base64 of ``authzid NUL authcid NUL passwd`` in UTF-8.
    """
    import base64

    for authzid, user, password in _PLAIN_CASES:
        token = base64.b64encode(f"{authzid}\0{user}\0{password}".encode()).decode("ascii")
        try:
            got = decode_plain(token)
        except Exception as error:  # a learner's bug, reported rather than raised
            return not_yet(
                f"decode_plain({token!r}) raised {error!r}.", "base64.b64decode, then split on '\\0'."
            )
        expected = (authzid, user, password)
        if got != expected:
            return not_yet(
                f"decode_plain({token!r}) gave {got!r}, expected {expected!r}.",
                "decode the bytes as UTF-8 and return a tuple of three strings; the first may be ''.",
            )
    return correct(
        "you can read anyone's password from an AUTH PLAIN line: base64 is an encoding, not encryption. "
        "Only TLS around it protects the password (RFC 4954 §4)."
    )
