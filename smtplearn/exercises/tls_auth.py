"""Exercise checks for lesson 02, TLS and authentication: what STARTTLS changes, AUTH's
challenges, a wrong password.

Each check reads what really happened (the client's transcript, or the server's mailbox
and session log) and compares it with the learner's prediction; a blank answer gets a prompt.
"""

from __future__ import annotations

from collections.abc import Iterable

from smtplearn.exercises import (
    CheckResult,
    StepSource,
    all_of,
    as_reply_code,
    check_prediction,
    is_unanswered,
    not_yet,
    steps_of,
    your_turn,
)
from smtplearn.protocol import sasl
from smtplearn.record import Step


def _keywords(step: Step) -> set[str]:
    reply = step.reply
    if reply is None or reply.code != 250:
        return set()
    # RFC 5321 §4.1.1.1: the first line names the server, each later line is one keyword.
    return {line.split(" ", 1)[0].split("=", 1)[0].upper() for line in reply.lines[1:] if line}


def _as_set(value: object) -> set[str] | None:
    if isinstance(value, str):
        return {value.upper()}
    if isinstance(value, Iterable):
        return {str(item).upper() for item in value}
    return None


def check_tls_changes(source: StepSource, appeared: object, disappeared: object) -> CheckResult:
    """Compare the learner's prediction of how EHLO's keywords change once TLS is on."""
    if is_unanswered(appeared) or is_unanswered(disappeared):
        return your_turn("predict both sets of keywords in the cell above (replace each ...), then run it.")
    ehlos = [s for s in steps_of(source, command="EHLO") if s.ok]
    before = next((s for s in ehlos if not s.tls), None)
    after = next((s for s in reversed(ehlos) if s.tls), None)
    if before is None or after is None:
        return not_yet(
            "the transcript needs an EHLO before STARTTLS and another one after it.",
            "connect(), ehlo(), starttls(), then ehlo() again (RFC 3207 §4.2).",
        )
    new, gone = _keywords(after) - _keywords(before), _keywords(before) - _keywords(after)
    return all_of(
        [
            check_prediction(
                "the keywords that appear after STARTTLS",
                _as_set(appeared),
                new,
                hint="compare the two EHLO replies line by line.",
                why="the server offers AUTH only once the password would be encrypted.",
            ),
            check_prediction(
                "the keywords that disappear after STARTTLS",
                _as_set(disappeared),
                gone,
                hint="compare the two EHLO replies line by line.",
                why="TLS cannot be started twice (RFC 3207 §4.2).",
            ),
        ],
        summary=f"after STARTTLS the server added {sorted(new)} and dropped {sorted(gone)}: "
        "AUTH is only offered over TLS, and STARTTLS cannot be repeated (RFC 3207 §4.2).",
    )


def _auth_steps(source: StepSource) -> list[Step]:
    return steps_of(source, command="AUTH")


def _user_of(step: Step) -> str | None:
    """Who an AUTH step logged in as, read from the lines it sent (never the password)."""
    return sasl.identity([exchange.sent for exchange in step.exchanges])


def check_auth_challenges(source: StepSource, mechanism: str, predicted: object) -> CheckResult:
    """The newest AUTH with `mechanism` succeeded; how many 334 challenges did it take?"""
    if is_unanswered(predicted):
        return your_turn("predict the number of challenges in the cell above (replace the ...), then run it.")
    wanted = mechanism.upper()
    steps = [s for s in _auth_steps(source) if s.details.get("mechanism", "").upper() == wanted]
    if not steps:
        return not_yet(
            f"no AUTH {wanted} in this session yet.",
            f'log in with client.login(DEMO_USER, DEMO_PASSWORD, mechanism="{wanted}") after STARTTLS.',
        )
    step = steps[-1]
    if not step.ok:
        return not_yet(
            f"AUTH {wanted} failed with {step.reply}.",
            "use the demo account (DEMO_USER, DEMO_PASSWORD), after STARTTLS and a new EHLO.",
        )
    challenges = sum(1 for reply in step.replies if reply.code == 334)
    return check_prediction(
        f"the number of 334 challenges in AUTH {wanted}",
        as_reply_code(predicted),
        challenges,
        hint="count the 334 replies in show() of the login step, and decode each one.",
        why="LOGIN asks twice, for the user name and then the password (LOGIN is not in "
        "RFC 4954: it is described in draft-murchison-sasl-login); PLAIN can send everything "
        "in its first line (RFC 4616); CRAM-MD5 needs one challenge to answer (RFC 2195).",
    )


def check_wrong_password(source: StepSource, user: str, predicted_code: object) -> CheckResult:
    """The newest login as `user` was refused; did the learner predict its reply code?

    Only a login as `user` counts: the AUTH exchange names who it was for, so a wrong
    password for another account is not this exercise.
    """
    if is_unanswered(predicted_code):
        return your_turn("predict the reply code in the cell above (replace the ...), then run it.")
    steps = [step for step in _auth_steps(source) if _user_of(step) == user]
    if not steps:
        others = sorted({name for step in _auth_steps(source) if (name := _user_of(step)) is not None})
        tried = f" (it logged in as {', '.join(others)})" if others else ""
        return not_yet(
            f"this session has no AUTH as {user!r}{tried}.", f'log in as "{user}", with any password.'
        )
    step = steps[-1]
    if step.ok:
        return not_yet(f"the login as {user!r} succeeded.", "use a password that is not the account's.")
    reply = step.reply
    return check_prediction(
        f"the reply to a login as {user!r}",
        as_reply_code(predicted_code),
        None if reply is None else reply.code,
        hint="read the reply to AUTH in the transcript: the code is its first three digits.",
        why=f"{reply} means the credentials were wrong (RFC 4954 §6); the server does not say "
        "whether the user or the password was wrong, so nobody can learn from it which "
        "user names exist.",
    )
