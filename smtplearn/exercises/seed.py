"""Exercise checks for the seed lessons: 01 sending, 02 TLS and AUTH, 03 VRFY.

Each check reads what really happened — the client's transcript or the server's
mailbox — and compares it with the learner's prediction. None of them trusts what the
learner says they did: a prediction is only right if the session shows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from smtplearn.exercises import (
    CheckResult,
    StepSource,
    all_of,
    check_prediction,
    correct,
    needs_own_server,
    not_yet,
    steps_of,
)
from smtplearn.protocol.states import ClientState
from smtplearn.record import Step

if TYPE_CHECKING:
    from smtplearn.server.mailbox import ReceivedMessage

__all__ = [
    "check_auth_challenges",
    "check_bcc",
    "check_enumeration",
    "check_lone_dot",
    "check_out_of_order",
    "check_tls_changes",
    "check_vrfy",
    "check_vrfy_refused",
    "check_wrong_password",
]

# -- 01: sending a message --------------------------------------------------------------


@needs_own_server(
    "this check reads the server's mailbox, which is the instructor's: the Bcc address is in the "
    "'to <…>' of your message's '---------- message' line there, and in none of the printed headers."
)
def check_bcc(mailbox: Sequence[ReceivedMessage], bcc_address: str) -> CheckResult:
    """The newest message reached `bcc_address` through the envelope and names it in no header.

    Every header is searched, not only the address headers of RFC 5322 §3.6.3: a blind copy
    named in a Subject or a Comments header is no longer blind.
    """
    if not mailbox:
        return not_yet("the server has not received any message yet.", "run your sending cell first.")
    message = mailbox[-1]
    wanted = bcc_address.casefold()
    if wanted not in (rcpt.casefold() for rcpt in message.rcpt_tos):
        return not_yet(
            f"{bcc_address} is not among the envelope recipients {list(message.rcpt_tos)}.",
            "a blind copy needs its own RCPT TO: add the address to to_addrs, or put it in a Bcc "
            "header and use send_message(), which turns it into a RCPT and drops the header.",
        )
    visible = [name for name, value in message.message.items() if wanted in str(value).casefold()]
    if visible:
        return not_yet(
            f"{bcc_address} got the message, but every recipient can read it in the {visible[0]} header.",
            "leave it out of the headers: the envelope alone delivers it (RFC 5321 §3.3).",
        )
    return correct(
        f"{bcc_address} is in the envelope ({len(message.rcpt_tos)} RCPT TO) but in none of the "
        f"{len(message.message.keys())} headers: "
        "the other recipients cannot see the blind copy."
    )


def check_out_of_order(source: StepSource, predicted_code: object) -> CheckResult:
    """A RCPT TO was sent with no MAIL FROM before it, and the learner predicted its reply code."""
    in_transaction = (ClientState.MAIL, ClientState.RCPT)
    early = [s for s in steps_of(source, command="RCPT") if s.state_before not in in_transaction]
    if not early:
        return not_yet(
            "no RCPT TO was sent outside a mail transaction yet.",
            "create the client with strict=False (otherwise it stops you before sending), send "
            "EHLO and then RCPT TO without MAIL FROM.",
        )
    reply = early[-1].reply
    actual = None if reply is None else reply.code
    return check_prediction(
        "the reply to RCPT before MAIL",
        predicted_code,
        actual,
        hint="read the reply to that RCPT in the transcript: the code is its first three digits.",
        why="503 means 'bad sequence of commands': MAIL must open the transaction (RFC 5321 §4.1.4).",
    )


@needs_own_server(
    "this check reads the server's mailbox, which is the instructor's: look in their terminal for "
    "your 'Dots' message and whether its line holding only '.' arrived."
)
def check_lone_dot(mailbox: Sequence[ReceivedMessage], predicted_kept: object) -> CheckResult:
    """The newest message has a line holding only "."; did the learner predict it arrives intact?"""
    if not mailbox:
        return not_yet("the server has not received any message yet.", "run your sending cell first.")
    lines = mailbox[-1].raw.split(b"\r\n")
    body = lines[lines.index(b"") + 1 :] if b"" in lines else lines
    if b"." not in body:
        return not_yet(
            "the newest message has no line made of a single dot.",
            'put a line that is just "." in the body, e.g. "before\\n.\\nafter".',
        )
    return check_prediction(
        "whether the lone dot survives",
        predicted_kept,
        True,
        hint="look at the newest message in server.mailbox: is the line with the dot still there?",
        why="the client sent it as '..' (dot-stuffing) and the server removed the extra dot, "
        "so the message was not cut short (RFC 5321 §4.5.2).",
    )


# -- 02: TLS and authentication ---------------------------------------------------------


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
                _as_set(appeared) if appeared is not ... else ...,
                new,
                hint="compare the two EHLO replies of section 4, line by line.",
                why="the server offers AUTH only once the password would be encrypted.",
            ),
            check_prediction(
                "the keywords that disappear after STARTTLS",
                _as_set(disappeared) if disappeared is not ... else ...,
                gone,
                hint="compare the two EHLO replies of section 4, line by line.",
                why="TLS cannot be started twice (RFC 3207 §4.2).",
            ),
        ],
        summary=f"after STARTTLS the server added {sorted(new)} and dropped {sorted(gone)}: "
        "AUTH is only offered over TLS, and STARTTLS cannot be repeated (RFC 3207 §4.2).",
    )


def _auth_steps(source: StepSource) -> list[Step]:
    return steps_of(source, command="AUTH")


def check_auth_challenges(source: StepSource, mechanism: str, predicted: object) -> CheckResult:
    """The newest AUTH with `mechanism` succeeded; how many 334 challenges did it take?"""
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
        predicted,
        challenges,
        hint="count the 334 replies in show() of the login step, and decode each one.",
        why="LOGIN asks twice, for the user name and then the password (LOGIN is not in "
        "RFC 4954: it is described in draft-murchison-sasl-login); PLAIN can send everything "
        "in its first line (RFC 4616); CRAM-MD5 needs one challenge to answer (RFC 2195).",
    )


def check_wrong_password(source: StepSource, predicted_code: object) -> CheckResult:
    """The newest AUTH was refused; did the learner predict its reply code?"""
    steps = _auth_steps(source)
    if not steps or steps[-1].ok:
        return not_yet(
            "the newest AUTH in this session did not fail.",
            'log in with the demo user and a wrong password, e.g. "not-the-password".',
        )
    reply = steps[-1].reply
    return check_prediction(
        "the reply to a wrong password",
        predicted_code,
        None if reply is None else reply.code,
        hint="read the reply to AUTH in the transcript: the code is its first three digits.",
        why="535 5.7.8 means the credentials were wrong (RFC 4954 §6); the server does not "
        "say whether the user or the password was wrong, so nothing can be guessed from it.",
    )


# -- 03: verifying addresses ------------------------------------------------------------


def _vrfy_steps(source: StepSource, query: str | None = None) -> list[Step]:
    steps = steps_of(source, command="VRFY")
    if query is None:
        return steps
    wanted = query.strip().strip("<>").casefold()
    return [s for s in steps if _query_of(s).casefold() == wanted]


def _query_of(step: Step) -> str:
    """What a VRFY step asked about: ``VRFY <dhellmann>`` → ``dhellmann``."""
    return step.shown.partition(" ")[2].strip().strip("<>")


def check_vrfy(source: StepSource, query: str, predicted_code: object) -> CheckResult:
    """The learner sent ``VRFY query`` and predicted its reply code."""
    steps = _vrfy_steps(source, query)
    if not steps:
        return not_yet(f"no VRFY {query} in this session yet.", f'run client.vrfy("{query}").')
    reply = steps[-1].reply
    return check_prediction(
        f"the reply to VRFY {query}",
        predicted_code,
        None if reply is None else reply.code,
        hint=f"read the reply to VRFY {query}: the code is its first three digits.",
        why="250 names the user, 550 means unknown, 553 ambiguous, and 252 means the server "
        "will not say (RFC 5321 §3.5.3).",
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
    steps = _vrfy_steps(source, query)
    if not steps:
        return not_yet(f"no VRFY {query} in this session yet.", f'run client.vrfy("{query}").')
    reply = steps[-1].reply
    if reply is None or reply.code != 252:
        return not_yet(
            f"the newest VRFY {query} got {reply}, not the refusing mode's answer: the server was "
            "not in refusing mode.",
            'set server.vrfy = "refuse" before asking, and "directory" again afterwards.',
        )
    return check_vrfy(steps, query, predicted_code)


def check_enumeration(
    found: object, source: StepSource, candidates: Iterable[str] | None = None
) -> CheckResult:
    """`found` lists exactly the names that VRFY confirmed with 250 in `source`.

    With `candidates`, only the VRFY steps for those names count, and each must have been asked.
    At least three *different* names must have been tried: asking one name three times is
    not a harvest.
    """
    steps = _vrfy_steps(source)
    if candidates is not None:
        wanted = {name.strip().strip("<>").casefold() for name in candidates}
        steps = [s for s in steps if _query_of(s).casefold() in wanted]
        missing = wanted - {_query_of(s).casefold() for s in steps}
        if missing:
            return not_yet(f"no VRFY was sent for {sorted(missing)}.", "loop over every candidate.")
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
            f"you found {names}, but the server confirmed {confirmed}.",
            "keep a name only when its VRFY reply code is 250.",
        )
    return correct(
        f"the server confirmed {confirmed} out of {len(tried)} guesses: that is address "
        "enumeration, and why most servers answer 252 instead (RFC 5321 §7.3)."
    )
