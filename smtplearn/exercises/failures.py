"""The check of lesson 04's exercise: a retry loop for temporary failures.

The learner's ``deliver(server, message, *, attempts, first_delay, sleep)`` runs against the
lesson's real DebugServer in five situations, each made by a fault. The check then reads
what the server saw (one session per attempt) and *when* each wait happened: the `sleep` it
hands over records, at every call, how many attempts the server had seen so far. So a wait
before the first attempt, after the last one or before giving up on a 5xx is caught, and so
is any backoff other than `first_delay`, doubled each time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from smtplearn.exercises import CheckResult, correct, is_unanswered, not_yet, your_turn
from smtplearn.server.faults import MESSAGE, Action, Fault, Greylist, RejectRecipient, TemporaryFailure

if TYPE_CHECKING:
    from smtplearn.server import DebugServer

__all__ = ["check_retry_loop"]

#: The learner's function: deliver(server, message, *, attempts, first_delay, sleep).
Deliver = Callable[..., Any]

#: The first wait the check asks for; every later wait doubles the one before.
FIRST_DELAY = 0.5


@dataclass
class DropOnce(Fault):
    """Hang up once the first message has arrived, before answering it; then behave.

    A server that crashed mid-transaction and came back: the client got no reply, so it
    cannot know whether the message was stored and must try again (RFC 5321 §6.1).
    """

    _dropped: bool = field(default=False, init=False, repr=False)

    def at_step(self, step: str) -> Action | None:
        if step != MESSAGE or self._dropped:
            return None
        self._dropped = True
        return Action(close=True)


@dataclass(frozen=True)
class Situation:
    """One run of the learner's loop: the fault, and what a right loop does against it."""

    name: str
    what_happens: str
    faults: Callable[[], Sequence[Fault]]
    recipient: str
    attempts: int
    #: How many attempts (connections) a right loop makes.
    expected_attempts: int
    #: True when the last attempt succeeds; False when the loop must give up by raising.
    delivers: bool
    #: What the learner is told when the loop made the wrong number of attempts.
    rule: str


SITUATIONS = (
    Situation(
        "Greylisting",
        "the first RCPT got 451 4.7.1 (greylisted); a second attempt is accepted",
        lambda: [Greylist()],
        "grey@example.com",
        attempts=4,
        expected_attempts=2,
        delivers=True,
        rule="a 4xx reply means 'try again later': wait, then make a new attempt (RFC 5321 §4.5.4.1).",
    ),
    Situation(
        "Temporary failures",
        "MAIL got 451 4.3.0 three times and works the fourth time",
        lambda: [TemporaryFailure("MAIL", times=3)],
        "later@example.com",
        attempts=5,
        expected_attempts=4,
        delivers=True,
        rule="keep trying after each 4xx reply, as long as attempts are left.",
    ),
    Situation(
        "Dropped connection",
        "the server hung up after the message arrived, without answering it; it works next time",
        lambda: [DropOnce()],
        "dropped@example.com",
        attempts=4,
        expected_attempts=2,
        delivers=True,
        rule=(
            "no reply at all (ConnectionClosedError) leaves the message's fate unknown, so treat it "
            "like a 4xx: wait and try again (RFC 5321 §6.1)."
        ),
    ),
    Situation(
        "Permanent failure",
        "RCPT TO:<nobody@example.com> got 550 5.1.1 (no such user)",
        lambda: [RejectRecipient("nobody@*")],
        "nobody@example.com",
        attempts=4,
        expected_attempts=1,
        delivers=False,
        rule="a 5xx reply will not change: give up at once, by raising (RFC 5321 §4.2.1).",
    ),
    Situation(
        "Giving up",
        "MAIL got 451 4.3.0 every time, and attempts=3",
        lambda: [TemporaryFailure("MAIL")],
        "never@example.com",
        attempts=3,
        expected_attempts=3,
        delivers=False,
        rule="make exactly `attempts` attempts, then give up by raising.",
    ),
)


class RecordingSleep:
    """Stands in for `time.sleep`: records each wait, and when it came, without waiting."""

    def __init__(self, server: DebugServer) -> None:
        self._server = server
        #: (attempts the server had seen when `sleep` was called, seconds).
        self.waits: list[tuple[int, float]] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append((len(self._server.sessions), seconds))


@dataclass(frozen=True)
class Run:
    """What one situation showed: the attempts the server saw, the waits, the outcome."""

    attempts: int
    delivered: int
    waits: list[tuple[int, float]]
    returned: object
    error: BaseException | None


def _message(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "author@example.com"
    message["To"] = to
    message["Subject"] = "Retry check"
    message.set_content("If at first you don't succeed...\n")
    return message


def _run(deliver: Deliver, server: DebugServer, situation: Situation) -> Run:
    server.faults.clear()
    server.mailbox.clear()
    server.sessions.clear()
    for fault in situation.faults():
        server.inject(fault)
    sleep = RecordingSleep(server)
    returned: object = None
    error: BaseException | None = None
    try:
        returned = deliver(
            server,
            _message(situation.recipient),
            attempts=situation.attempts,
            first_delay=FIRST_DELAY,
            sleep=sleep,
        )
    except Exception as raised:  # the learner's code may raise anything; judge what the server saw
        error = raised
    delivered = sum(1 for m in server.mailbox if situation.recipient in m.rcpt_tos)
    return Run(len(server.sessions), delivered, sleep.waits, returned, error)


def _is_stub(run: Run) -> bool:
    """A `deliver` not written yet: it touched nothing and returned a blank, or raised 'not yet'."""
    untouched = run.attempts == 0 and not run.waits
    blank = run.error is None and is_unanswered(run.returned)
    return untouched and (blank or isinstance(run.error, NotImplementedError))


def _expected_waits(count: int) -> list[tuple[int, float]]:
    """(attempts made so far, seconds) of each right wait: after attempt n, FIRST_DELAY·2ⁿ⁻¹."""
    return [(n, FIRST_DELAY * 2 ** (n - 1)) for n in range(1, count + 1)]


def _close(got: object, want: float) -> bool:
    # A small tolerance, so 0.5 * 2 ** n and repeated `delay *= 2` both pass; 0.51 does not.
    return isinstance(got, (int, float)) and math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-9)


def _judge(situation: Situation, run: Run) -> CheckResult | None:
    """What is wrong with `run`, or None when the loop did the right thing."""
    name, happened = situation.name, situation.what_happens
    raised = f" (it raised {run.error!r})" if run.error is not None else ""
    if situation.delivers and run.delivered != 1:
        return not_yet(
            f"{name}: {happened}, but the message never arrived; the server saw {run.attempts} "
            f"attempt(s){raised}.",
            situation.rule,
        )
    if run.delivered > 1:
        return not_yet(f"{name}: the message arrived {run.delivered} times.", situation.rule)
    if run.attempts != situation.expected_attempts:
        return not_yet(f"{name}: {happened}, and the server saw {run.attempts} attempt(s).", situation.rule)

    # One wait between each two attempts: never before the first, never after the last.
    expected = _expected_waits(situation.expected_attempts - 1)
    if run.waits and run.waits[0][0] == 0:
        return not_yet(
            f"{name}: your loop waited before its first attempt.",
            "wait only after a failed attempt, and only when another attempt follows.",
        )
    after_last = [wait for wait in run.waits if wait[0] >= run.attempts]
    if after_last and not situation.delivers:
        return not_yet(
            f"{name}: {happened}; your loop waited after its last attempt, then gave up.",
            "when no attempt follows (a 5xx reply, or no attempts left), raise at once: a wait "
            "before giving up only delays the bad news.",
        )
    if expected and not run.waits:
        return not_yet(
            f"{name}: {happened}; your loop made {run.attempts} attempts without calling `sleep`.",
            "wait with the `sleep` function you were given (the check records each call instead of "
            "waiting), never with time.sleep directly.",
        )
    if [n for n, _ in run.waits] != [n for n, _ in expected]:
        return not_yet(
            f"{name}: {happened}; your loop waited {len(run.waits)} time(s) over {run.attempts} attempts.",
            "wait exactly once between two attempts: after each failure that will be retried.",
        )
    seconds = [s for _, s in run.waits]
    if not all(_close(got, want) for got, (_, want) in zip(seconds, expected, strict=True)):
        return not_yet(
            f"{name}: your waits were {seconds}, but with first_delay={FIRST_DELAY} they should be "
            f"{[s for _, s in expected]}.",
            "wait `first_delay` after the first failure, then double the wait each time, so a "
            "busy server gets room to recover.",
        )
    if not situation.delivers and run.error is None:
        return not_yet(
            f"{name}: {happened}, but your function returned as if all went well.",
            "raise (or re-raise the error) so the caller knows the message was not delivered.",
        )
    return None


def check_retry_loop(deliver: Deliver, server: DebugServer) -> CheckResult:
    """Judge a retry loop by what the server saw in five situations, and when it waited.

    `deliver(server, message, *, attempts, first_delay, sleep)` must send `message`,
    retrying after 4xx replies and dropped connections (waiting with `sleep`: `first_delay`,
    then double each time) and never after 5xx replies (RFC 5321 §4.2.1, §4.5.4.1, §6.1).
    After a permanent failure, or when the attempts run out, it must raise.

    The check clears the server's faults, mailbox and session log before each situation,
    and its faults after the last.
    """
    if is_unanswered(deliver):
        return your_turn("write `deliver` in the cell above (replace the ...), then run this check.")
    try:
        for number, situation in enumerate(SITUATIONS):
            run = _run(deliver, server, situation)
            if number == 0 and _is_stub(run):
                return your_turn("write the body of `deliver` in the cell above, then run this check.")
            problem = _judge(situation, run)
            if problem is not None:
                return problem
    finally:
        server.faults.clear()
    return correct(
        "your retry loop retried after 451 (greylisting, a temporary failure) and after a dropped "
        "connection, waiting 0.5 s, then 1 s, then 2 s between attempts and never before the first "
        "or after the last; it gave up at once on 550, and stopped after 3 attempts."
    )
