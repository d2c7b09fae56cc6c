"""Exercise checks for lesson 00, start here: what a reply code's first digit says.

Each check reads what really happened (the client's transcript, or the server's mailbox
and session log) and compares it with the learner's prediction; a blank answer gets a prompt.
"""

from __future__ import annotations

from smtplearn.exercises import (
    CheckResult,
    correct,
    is_unanswered,
    not_yet,
    your_turn,
)
from smtplearn.explain.catalogue import REPLY_CLASSES
from smtplearn.protocol.replies import Reply

#: The four reply classes in lesson 00's words, by first digit (RFC 5321 §4.2.1).
REPLY_CLASS_NAMES: dict[int, str] = {
    2: "done",
    3: "go on",
    4: "failed for now",
    5: "failed for good",
}


def check_reply_class(reply: Reply | None, answer: object) -> CheckResult:
    """The learner named the class of a real `reply` with one of `REPLY_CLASS_NAMES`."""
    if is_unanswered(answer):
        return your_turn("write the class of the reply in the cell above (replace the ...), then run it.")
    if reply is None:
        return not_yet("there is no reply to judge yet.", "run the cell that talks to the server first.")
    names = sorted(REPLY_CLASS_NAMES.values())
    chosen = str(answer).strip().strip(".").casefold()
    if chosen not in names:
        return not_yet(f"{answer!r} is not one of the four classes.", f"write one of {names}.")
    actual = REPLY_CLASS_NAMES.get(reply.reply_class)
    entry = REPLY_CLASSES[reply.reply_class]
    if chosen != actual:
        return not_yet(
            f"{answer!r} is not the class of this reply.",
            "only the first digit of the code matters: find it in the table of reply classes above.",
        )
    return correct(
        f"{reply.code} starts with {reply.reply_class}: {actual}. {entry.title}: {entry.summary} "
        f"({entry.rfc})"
    )
