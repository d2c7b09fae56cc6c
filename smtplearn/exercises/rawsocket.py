"""The checks of lesson 07, the raw-socket lab: reading a reply, and the seven steps of a session.

`check_read_reply` feeds the learner's reader real replies over a socket pair.
`check_raw_session` judges the DebugServer's latest session step by step, from a table of
steps: each row finds the line that carries its step in the session log and says what is
wrong with it (the command, its reply code, or how the line ended: CRLF, RFC 5321 §2.3.8).
Given the reply the learner read, it also checks that the learner really read that step's
reply — the only thing the server cannot see.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smtplearn.exercises import CheckResult, correct, is_unanswered, not_yet, your_turn
from smtplearn.exercises.server_view import Conversation, conversation, greeting

if TYPE_CHECKING:
    from smtplearn.server import DebugServer
    from smtplearn.server.mailbox import ReceivedMessage
    from smtplearn.server.sessions import SessionLog

__all__ = ["check_raw_session", "check_read_reply"]

#: How long the session check waits for the server to take a connection just made.
SESSION_START_TIMEOUT = 2.0


# -- reading a reply from a socket ----------------------------------------------------------

#: Reply bytes the reader check sends, the chunks it splits them into, and the right result.
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

    The text is every line's text joined by newlines, as smtplib returns it. One case splits
    the reply into pieces, because TCP does not keep `send` boundaries.
    """
    if is_unanswered(read_reply):
        return your_turn("write `read_reply` in the cell above (replace the ...), then run this check.")
    for number, (name, chunks, code, text) in enumerate(_READER_CASES):
        ours, theirs = socket.socketpair()
        ours.settimeout(5)
        feeder = threading.Thread(target=_feed, args=(ours, theirs, chunks), daemon=True)
        feeder.start()
        try:
            got = read_reply(ours)
        except TimeoutError:
            return not_yet(
                f"{name}: read_reply waited for more bytes that never came.",
                "stop reading when a line has a space after its code, or nothing at all after it "
                "(RFC 5321 §4.2: the text is optional): that is the last line.",
            )
        except NotImplementedError:
            return your_turn("write the body of `read_reply` in the cell above, then run this check.")
        except Exception as error:  # a learner's bug, reported rather than raised
            return not_yet(
                f"{name}: read_reply raised {error!r}.",
                "recv() may return part of a line: keep what you have in a buffer and recv more "
                "until it holds a whole line ending in \\r\\n.",
            )
        finally:
            ours.close()
            theirs.close()
            feeder.join(5)
        if number == 0 and is_unanswered(got):
            return your_turn("write the body of `read_reply` in the cell above, then run this check.")
        if not isinstance(got, tuple) or len(got) != 2:
            return not_yet(
                f"{name}: read_reply should return (code, text), it returned {got!r}.",
                "return a pair: the reply code as an int, and the text of all lines.",
            )
        if got[0] != code:
            return not_yet(
                f"{name}: the code should be the integer {code}, read_reply gave {got[0]!r}.",
                "the code is the first three characters of a reply line, turned into an int.",
            )
        if got[1] != text:
            return not_yet(
                f"{name}: the text should be {text!r}, read_reply gave {got[1]!r}.",
                "a reply goes on until a line whose fourth character is not '-'; join the text "
                "after each line's code and separator with '\\n'.",
            )
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


# -- the whole raw-socket session -----------------------------------------------------------


@dataclass(frozen=True)
class Lab:
    """The session being judged and what the lab asks for."""

    server: DebugServer
    session: SessionLog
    talk: list[Conversation]
    sender: str
    recipient: str
    subject: str

    @property
    def commands(self) -> list[Conversation]:
        return [c for c in self.talk if c.kind == "command"]

    def stored(self) -> list[ReceivedMessage]:
        return [m for m in self.server.mailbox if m.session == self.session.number]


@dataclass(frozen=True)
class Outcome:
    """A step judged: what is wrong with it (None: nothing), and the reply the server sent for it."""

    problem: str | None
    replies: tuple[str, ...] = ()


def _said(c: Conversation) -> str:
    answer = c.replies[-1] if c.replies else "no reply"
    return f"the server received {c.text!r} and answered {answer!r}"


def _ending_problem(c: Conversation) -> str | None:
    """Rule 1 of the lab: every line ends with CR LF (RFC 5321 §2.3.8)."""
    if c.ending == "\r\n":
        return None
    how = "a bare '\\n' (LF without CR)" if c.ending == "\n" else "no line ending at all"
    return (
        f"the server received {c.text!r} ending in {how}. Every line you send must end with "
        "'\\r\\n' (RFC 5321 §2.3.8); a lenient server may answer anyway, a strict one refuses."
    )


def _wrong_path(c: Conversation, keyword: str, address: str) -> str:
    """Why a MAIL or RCPT line is wrong, even when the lenient server said 250 to it."""
    argument = c.text[len(keyword) :] if c.text.upper().startswith(keyword) else ""
    if argument.strip().strip("<>").lower() == address.lower():
        # aiosmtpd accepts "MAIL FROM: a@b" and "MAIL FROM:a@b"; many servers refuse them:
        # RFC 5321 §3.3 says "no spaces are permitted on either side of the colon", and the
        # grammar (§4.1.1.2, §4.1.1.3, §4.1.2) requires the angle brackets.
        return (
            f"{_said(c)}. This server is lenient and accepted it, but RFC 5321 §3.3 and §4.1.2 "
            f"require exactly '{keyword}<{address}>': no space after the colon, and angle "
            "brackets around the address. Stricter servers refuse anything else."
        )
    return f"the address should be <{address}>, but {_said(c)}."


@dataclass(frozen=True)
class CommandStep:
    """A lab step that is one command line: which verbs, the exact line, the reply code wanted."""

    verbs: tuple[str, ...]
    #: The exact line for MAIL and RCPT (without CRLF, {sender}/{recipient} filled in); "" otherwise.
    line: str
    code: int
    #: Where the grammar of the command is (RFC 5321).
    section: str
    #: "first" for EHLO, "last" for QUIT (where the line must be), "any" for the others.
    position: str = "any"

    def find(self, lab: Lab) -> Conversation | None:
        commands = lab.commands
        if self.position == "first":
            return commands[0] if commands else None
        if self.position == "last":
            return commands[-1] if commands and commands[-1].verb in self.verbs else None
        return next((c for c in commands if c.verb in self.verbs), None)

    def judge(self, lab: Lab) -> Outcome:
        line = self.line.format(sender=lab.sender, recipient=lab.recipient)
        found = self.find(lab)
        if found is None:
            if self.position == "last" and lab.session.closed:
                return Outcome(f"you closed the socket without sending {self.verbs[0]}.")
            return Outcome(f"the server has not received {self.verbs[0]} yet ({self.section}).")
        if found.verb not in self.verbs:
            return Outcome(f"the first command must be {' or '.join(self.verbs)}, but {_said(found)}.")
        problem = _ending_problem(found)
        if problem is None and found.code != self.code:
            problem = f"{_said(found)}; the step expects {self.code} ({self.section})."
        if problem is None and "<" in line and found.text.upper() != line.upper():
            keyword = line.split(":", 1)[0] + ":"
            problem = _wrong_path(found, keyword, line.split("<", 1)[1].rstrip(">"))
        return Outcome(problem, found.replies)


def _connect(lab: Lab) -> Outcome:
    return Outcome(None, greeting(lab.session))


def _message(lab: Lab) -> Outcome:
    stored = lab.stored()
    data = [c for c in lab.talk if c.kind == "data"]
    if not stored:
        answered = [c for c in data if c.code is not None]
        if answered:
            refusal = answered[-1].replies[-1]
            hint = (
                " Every line must end with '\\r\\n'; a bare '\\n' is refused because it is how "
                "SMTP smuggling hides a second message (RFC 5321 §2.3.8)."
                if "bare" in refusal
                else ""
            )
            return Outcome(f"the server refused the message: {refusal!r}.{hint}")
        waiting = (
            "the connection closed before the message was complete"
            if lab.session.closed
            else "the server is still waiting for the end of the message"
        )
        return Outcome(
            f"the server got {len(data)} line(s) of message text but no end: {waiting}. A message "
            "ends with a line holding a single dot (RFC 5321 §4.1.1.4)."
        )
    received = stored[-1]
    end = data[-1].replies if data else ()
    for header in ("From", "To"):
        if received.message[header] is None:
            return Outcome(
                f"the message arrived without a {header}: header. Headers come first, one per "
                "line, then an empty line, then the body (RFC 5322 §2.1).",
                end,
            )
    if received.subject != lab.subject:
        return Outcome(
            f"the message arrived, but its Subject is {received.subject!r}, not {lab.subject!r}. "
            "Headers come first, then an empty line, then the body.",
            end,
        )
    return Outcome(None, end)


#: The lab's seven steps, in order: (name, how to judge it).
STEPS: tuple[tuple[str, Callable[[Lab], Outcome]], ...] = (
    ("connect", _connect),
    ("EHLO", CommandStep(("EHLO", "HELO"), "", 250, "RFC 5321 §4.1.1.1", position="first").judge),
    ("MAIL FROM", CommandStep(("MAIL",), "MAIL FROM:<{sender}>", 250, "RFC 5321 §4.1.1.2").judge),
    ("RCPT TO", CommandStep(("RCPT",), "RCPT TO:<{recipient}>", 250, "RFC 5321 §4.1.1.3").judge),
    ("DATA", CommandStep(("DATA",), "", 354, "RFC 5321 §4.1.1.4").judge),
    ("message", _message),
    ("QUIT", CommandStep(("QUIT",), "", 221, "RFC 5321 §4.1.1.10", position="last").judge),
)

#: Marks "no reply given": the final check judges the session alone.
_NOT_GIVEN: Any = object()


def _as_reply(lines: Sequence[str]) -> tuple[int, str] | None:
    """Reply lines as (code, text), the way the lab's read_reply returns them."""
    if not lines or not lines[-1][:3].isdigit():
        return None
    return int(lines[-1][:3]), "\n".join(line[4:] for line in lines)


def _reply_problem(number: int, reply: object, replies: tuple[str, ...]) -> CheckResult | None:
    expected = _as_reply(replies)
    if expected is None or reply == expected:
        return None
    name = STEPS[number - 1][0]
    if not isinstance(reply, tuple) or len(reply) != 2:
        return not_yet(
            f"Step {number} ({name}): `reply` should be what read_reply returned, (code, text), "
            f"but it is {reply!r}."
        )
    return not_yet(
        f"Step {number} ({name}): you read {reply!r}, which is not the server's reply to this step.",
        "read exactly one whole reply after each line you send (the greeting too, in step 1), "
        "so each reply is read by the step it answers.",
    )


def check_raw_session(
    server: DebugServer,
    *,
    sender: str,
    recipient: str,
    subject: str,
    upto: int = 7,
    reply: object = _NOT_GIVEN,
) -> CheckResult:
    """Judge the latest session on `server` as the raw-socket lab: which step went wrong?

    Expected, in order: the 220 greeting read, EHLO (or HELO) → 250, ``MAIL FROM:<sender>``
    → 250, ``RCPT TO:<recipient>`` → 250, DATA → 354, the message with From, To and
    `subject`, ending in a lone "." → 250, QUIT → 221; every line ending in CRLF. With
    `upto` below 7 only the steps up to that one are judged, so a learner can check each
    step as it is done; `reply` is then what the learner read for step `upto`, and it
    must be the server's reply to that step.
    """
    if not 1 <= upto <= len(STEPS):
        raise ValueError(f"upto must be a step number from 1 to {len(STEPS)}, not {upto!r}")
    name = STEPS[upto - 1][0]
    if reply is not _NOT_GIVEN and is_unanswered(reply):
        return your_turn(
            f"write step {upto} ({name}) in the cell above, keep what read_reply returns in "
            "`reply`, then run the cell."
        )
    try:
        # The learner's connect() returns before the server has taken the connection.
        sessions = server.sessions.wait_for(1, timeout=SESSION_START_TIMEOUT)
    except TimeoutError:
        return not_yet(
            "Step 1 (connect) is wrong: the server saw no connection at all.",
            f"connect to ({server.host!r}, {server.port}).",
        )
    session = sessions[-1]
    lab = Lab(server, session, conversation(session), sender, recipient, subject)
    if reply is _NOT_GIVEN and not lab.talk:
        return your_turn("work through steps 1–7 above; this check reads the session they make.")
    outcome = Outcome(None)
    for number, (step_name, judge) in enumerate(STEPS[:upto], start=1):
        outcome = judge(lab)
        if outcome.problem is not None:
            return not_yet(f"Step {number} ({step_name}) is wrong: {outcome.problem}")
    if reply is not _NOT_GIVEN:
        problem = _reply_problem(upto, reply, outcome.replies)
        if problem is not None:
            return problem
    if upto < len(STEPS):
        steps = "Step 1 is" if upto == 1 else f"Steps 1–{upto} are"
        return correct(f"{steps} right so far; go on with step {upto + 1} ({STEPS[upto][0]}).")
    received = lab.stored()[-1]
    return correct(
        f"All seven steps are right: the server received your message {received.queue_id} from "
        f"<{sender}> to <{recipient}> with the subject {subject!r}, every line ended in CRLF, and "
        "you said goodbye properly."
    )
