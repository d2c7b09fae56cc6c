"""Exercise checks for the notebooks: the shared `CheckResult` and the helpers checks are made of.

A check looks at what really happened — the client's transcript, the server's mailbox or
session log — and answers with one friendly line::

    ✔ Correct: the Bcc recipient is in the envelope but in no header.
    ✘ Not yet: RCPT got 250, not 503. Hint: send RCPT before MAIL with strict=False.

The checks for each lesson live beside this module (`seed` for lessons 01–03; `failures`,
`pipelining`, `security` and `rawsocket` for 04–07, reading the server through
`server_view`); this module holds only what they share. Nothing here prints or
raises on a wrong answer: a wrong answer is a `CheckResult` whose `passed` is False.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import ParamSpec, Protocol, TypeAlias

from smtplearn.record import Step, Transcript
from smtplearn.render.theme import BORDER, TEXT, Accent

__all__ = [
    "CheckResult",
    "HasTranscript",
    "StepSource",
    "all_of",
    "as_reply_code",
    "check_prediction",
    "correct",
    "is_unanswered",
    "needs_own_server",
    "not_yet",
    "skipped_in_classroom",
    "steps_of",
    "your_turn",
]

CORRECT_MARK = "✔ Correct:"
NOT_YET_MARK = "✘ Not yet:"
#: The mark of a check whose exercise is still unanswered (the student edition's stored output).
YOUR_TURN_MARK = "✎ Your turn:"
#: The mark of a check that cannot run in classroom mode (the server is the instructor's).
SKIPPED_MARK = "○ Skipped in classroom mode:"
#: What a student edition's blank answer holds; a check seeing it asks for an answer.
UNANSWERED = Ellipsis


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one exercise check: passed or not, why, and a hint when not.

    Its repr *is* the friendly line, so a check as the last expression of a notebook
    cell shows exactly that line (and nbval compares exactly that line).
    """

    passed: bool
    message: str
    hint: str = ""
    #: True when the learner has not answered yet: not a wrong answer, a prompt to answer.
    unanswered: bool = False
    #: True when the check could not run here (classroom mode): neither right nor wrong.
    skipped: bool = False

    def __str__(self) -> str:
        if self.passed:
            return f"{CORRECT_MARK} {self.message}"
        if self.skipped:
            return f"{SKIPPED_MARK} {self.message}"
        if self.unanswered:
            return f"{YOUR_TURN_MARK} {self.message}"
        line = f"{NOT_YET_MARK} {self.message}"
        return f"{line} Hint: {self.hint}" if self.hint else line

    def __repr__(self) -> str:
        return str(self)

    def __bool__(self) -> bool:
        return self.passed

    def _repr_html_(self) -> str:
        # The mark (✔, ✘, ✎, ○) and its words say how it went; the edge only repeats it.
        edge = Accent.GOOD if self.passed else BORDER if self.skipped else Accent.LATER
        style = f"color:{TEXT};font-weight:bold;border-left:4px solid {edge};padding-left:6px"
        return f'<p style="{style}">{html.escape(str(self))}</p>'


def correct(message: str) -> CheckResult:
    """A passed check."""
    return CheckResult(True, message)


def not_yet(message: str, hint: str = "") -> CheckResult:
    """A failed check: what is not right yet, and a hint towards it."""
    return CheckResult(False, message, hint)


def your_turn(prompt: str = "make your prediction in the cell above, then run it.") -> CheckResult:
    """The check of an exercise not answered yet: a prompt, never a mark of right or wrong.

    A student edition's Run All stores this line as the check's output, so nothing
    there gives the answer away and nothing raises.
    """
    return CheckResult(False, prompt, unanswered=True)


def skipped_in_classroom(why: str) -> CheckResult:
    """The result of a check that needs what only the instructor's server has: `why`, not a verdict."""
    return CheckResult(False, why, skipped=True)


_P = ParamSpec("_P")


def needs_own_server(why: str) -> Callable[[Callable[_P, CheckResult]], Callable[_P, CheckResult]]:
    """Mark a check that reads the lesson's own mailbox or session log, or needs a switch flipped.

    In classroom mode (`SMTPLEARN_SERVER` set, see `smtplearn.lesson`) those belong to
    the instructor's server, so the check answers `skipped_in_classroom(why)` instead of
    judging (or raising on) the stand-ins the notebook holds. `why` says what the check
    needed and where the learner can see it instead.
    """

    def decorate(check: Callable[_P, CheckResult]) -> Callable[_P, CheckResult]:
        @functools.wraps(check)
        def classroom_aware(*args: _P.args, **kwargs: _P.kwargs) -> CheckResult:
            from smtplearn.lesson import in_classroom

            if in_classroom():
                return skipped_in_classroom(why)
            return check(*args, **kwargs)

        return classroom_aware

    return decorate


def as_reply_code(predicted: object) -> object:
    """A reply code typed as text ("503") compares as the number it names."""
    if isinstance(predicted, str) and predicted.strip().isdigit():
        return int(predicted.strip())
    return predicted


def is_unanswered(answer: object) -> bool:
    """Whether `answer` is still the student edition's blank (``...``) or nothing at all."""
    return answer is UNANSWERED or answer is None


def all_of(results: Iterable[CheckResult], *, summary: str) -> CheckResult:
    """The first failed result, or one passed result saying `summary` when all passed."""
    for result in results:
        if not result.passed:
            return result
    return correct(summary)


def check_prediction(
    what: str, predicted: object, actual: object, *, why: str, hint: str = ""
) -> CheckResult:
    """Compare a learner's prediction with what really happened.

    `what` names the thing predicted ("the reply code to RCPT"), `why` is the lesson
    the right answer teaches; both appear in the line the learner reads.
    """
    if is_unanswered(predicted):
        return your_turn(f"make your prediction for {what} in the cell above (replace the ...), then run it.")
    if predicted == actual:
        return correct(f"{what} was {actual!r}, as you predicted: {why}")
    return not_yet(f"you predicted {predicted!r} for {what}, but it was {actual!r}.", hint or why)


class HasTranscript(Protocol):
    """Anything that carries a transcript: a `Client`, a `SendResult`, the smtplib facade."""

    @property
    def transcript(self) -> Transcript: ...


#: What the checks accept where they need steps: a client (or anything with a
#: transcript), a transcript, or a plain sequence of steps.
StepSource: TypeAlias = HasTranscript | Transcript | Sequence[Step]


def steps_of(source: StepSource, *, command: str | None = None) -> list[Step]:
    """The steps of `source`, oldest first; only those whose SMTP verb is `command` if given."""
    steps = list(source) if isinstance(source, (Transcript, Sequence)) else list(source.transcript)
    if command is None:
        return steps
    return [step for step in steps if step.command.upper() == command.upper()]
