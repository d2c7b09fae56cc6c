"""Exercise checks for lesson 03, verifying addresses: VRFY, EXPN, a refused VRFY, enumeration.

Each check reads what really happened (the client's transcript, or the server's mailbox
and session log) and compares it with the learner's prediction; a blank answer gets a prompt.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import EllipsisType

from smtplearn.exercises import (
    CheckResult,
    StepSource,
    as_reply_code,
    check_prediction,
    correct,
    is_unanswered,
    needs_own_server,
    not_yet,
    steps_of,
    your_turn,
)
from smtplearn.record import Step


def _lookup_steps(source: StepSource, query: str | None = None, *, command: str = "VRFY") -> list[Step]:
    steps = steps_of(source, command=command)
    if query is None:
        return steps
    wanted = query.strip().strip("<>").casefold()
    return [s for s in steps if _query_of(s).casefold() == wanted]


def _vrfy_steps(source: StepSource, query: str | None = None) -> list[Step]:
    return _lookup_steps(source, query)


def _query_of(step: Step) -> str:
    """What a VRFY or EXPN step asked about: ``VRFY <dhellmann>`` → ``dhellmann``."""
    return step.shown.partition(" ")[2].strip().strip("<>")


def check_vrfy(source: StepSource, query: str, predicted_code: object) -> CheckResult:
    """The learner sent ``VRFY query`` and predicted its reply code."""
    if is_unanswered(predicted_code):
        return your_turn("predict the reply code in the cell above (replace the ...), then run it.")
    steps = _vrfy_steps(source, query)
    if not steps:
        return not_yet(f"no VRFY {query} in this session yet.", f'run client.vrfy("{query}").')
    reply = steps[-1].reply
    return check_prediction(
        f"the reply to VRFY {query}",
        as_reply_code(predicted_code),
        None if reply is None else reply.code,
        hint=f"read the reply to VRFY {query}: the code is its first three digits.",
        why="250 names the user and 550 says it is unknown; 553 means ambiguous (RFC 5321 "
        "§3.5.1); 252 means the server will not say (§3.5.3, §7.3).",
    )


def check_expn(source: StepSource, name: str, predicted_code: object) -> CheckResult:
    """The learner sent ``EXPN name`` and predicted its reply code."""
    if is_unanswered(predicted_code):
        return your_turn("predict the reply code in the cell above (replace the ...), then run it.")
    steps = _lookup_steps(source, name, command="EXPN")
    if not steps:
        return not_yet(f"no EXPN {name} in this session yet.", f'run client.expn("{name}").')
    reply = steps[-1].reply
    return check_prediction(
        f"the reply to EXPN {name}",
        as_reply_code(predicted_code),
        None if reply is None else reply.code,
        hint="is the command unknown to the server, or known but switched off? Each has its "
        "own code in RFC 5321 §4.2.2.",
        why="502 means the server knows the command but does not implement it (RFC 5321 "
        "§4.2.4); 500 would mean it did not recognise it at all.",
    )


@needs_own_server(
    "this exercise needs the server's VRFY switch, which is the instructor's: their server answers "
    "VRFY as they started it (`smtplearn server --vrfy refuse` answers 252)."
)
@needs_own_server(
    "this exercise needs the server's VRFY switch, which is the instructor's: their server answers "
    "VRFY as they started it (`smtplearn server --vrfy refuse` answers 252)."
)
def check_vrfy_refused(source: StepSource, query: str, predicted_code: object) -> CheckResult:
    """Like `check_vrfy`, but the newest ``VRFY query`` must have been asked in refusing mode.

    A 252 in the transcript is the proof: without it the learner has not switched the
    server to ``server.vrfy = "refuse"``, whatever they predict.
    """
    if is_unanswered(predicted_code):
        return your_turn("predict the reply code in the cell above (replace the ...), then run it.")
    steps = _vrfy_steps(source, query)
    if not steps:
        return not_yet(f"no VRFY {query} in this session yet.", f'run client.vrfy("{query}").')
    reply = steps[-1].reply
    if reply is None or reply.code != 252:
        return not_yet(
            f"the newest VRFY {query} was not asked in refusing mode.",
            'set server.vrfy = "refuse" before asking, and "directory" again afterwards.',
        )
    return check_vrfy(steps, query, predicted_code)


def check_enumeration(
    found: object, source: StepSource, candidates: Iterable[str] | EllipsisType | None = None
) -> CheckResult:
    """`found` lists exactly the names that VRFY confirmed with 250 in `source`.

    With `candidates`, only the VRFY steps for those names count, and each must have been asked.
    At least three *different* names must have been tried: asking one name three times is
    not a harvest.
    """
    if is_unanswered(found) or candidates is ...:
        return your_turn("write your guesses and the loop that keeps what VRFY confirmed, then run it.")
    steps = _vrfy_steps(source)
    if candidates is not None:
        if isinstance(candidates, str):
            return not_yet("guesses should be a list of names, not one string.")
        wanted = {name.strip().strip("<>").casefold() for name in candidates}
        steps = [s for s in steps if _query_of(s).casefold() in wanted]
        missing = wanted - {_query_of(s).casefold() for s in steps}
        if missing:
            return not_yet(f"no VRFY was sent for {sorted(missing)}.", "loop over every guess.")
    tried = {_query_of(s).casefold() for s in steps}
    if len(tried) < 3:
        return not_yet(
            f"you tried {len(tried)} different name(s); try at least three different guesses with VRFY.",
            "loop over a list of different guesses.",
        )
    confirmed = sorted({_query_of(s) for s in steps if s.reply is not None and s.reply.code == 250})
    if isinstance(found, str) or not isinstance(found, Iterable):
        return not_yet("found should be a list of the names the server confirmed.")
    names = sorted(str(name) for name in found)
    if {name.casefold() for name in names} != {name.casefold() for name in confirmed}:
        return not_yet(
            f"found holds {names}, which is not what the server confirmed.",
            "keep a name only when its VRFY reply code is 250.",
        )
    return correct(
        f"the server confirmed {confirmed} out of {len(tried)} guesses: that is address "
        "enumeration, and why most servers answer 252 or 502 instead (RFC 5321 §7.3)."
    )
