"""Exercise checks for the seed lessons: 00 start here, 01 sending, 02 TLS and AUTH, 03 VRFY.

Each check reads what really happened — the client's transcript, or the server's mailbox
and session log — and compares it with the learner's prediction. None of them trusts what
the learner says they did: a prediction is only right if the session shows it. A blank
answer (``...``, the student edition's placeholder) gets a prompt to answer, checked
before anything else, so a student edition's Run All neither raises nor gives an answer away.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import EllipsisType
from typing import TYPE_CHECKING

from smtplearn.exercises import (
    CheckResult,
    StepSource,
    all_of,
    check_prediction,
    correct,
    is_unanswered,
    needs_own_server,
    not_yet,
    skipped_in_classroom,
    steps_of,
    your_turn,
)
from smtplearn.explain.catalogue import REPLY_CLASSES
from smtplearn.lesson import ClassroomStandIn
from smtplearn.protocol import sasl
from smtplearn.protocol.replies import Reply
from smtplearn.protocol.states import ClientState
from smtplearn.record import Step

if TYPE_CHECKING:
    from smtplearn.lesson import LessonServer
    from smtplearn.server.mailbox import ReceivedMessage
    from smtplearn.server.sessions import SessionLog

__all__ = [
    "REPLY_CLASS_NAMES",
    "check_auth_challenges",
    "check_bcc",
    "check_enumeration",
    "check_expn",
    "check_lone_dot",
    "check_out_of_order",
    "check_reply_class",
    "check_tls_changes",
    "check_vrfy",
    "check_vrfy_refused",
    "check_wrong_password",
]

#: How long a check waits for the server to finish logging a session the learner just ended.
SESSION_END_TIMEOUT = 5.0


def _as_code(predicted: object) -> object:
    """A reply code typed as text ("503") compares as the number it names."""
    if isinstance(predicted, str) and predicted.strip().isdigit():
        return int(predicted.strip())
    return predicted


# -- 00: start here ------------------------------------------------------------------------

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


# -- 01: sending a message --------------------------------------------------------------


def _delivered_by(source: StepSource, mailbox: Sequence[ReceivedMessage]) -> ReceivedMessage | None:
    """The newest message of `mailbox` that `source`'s session delivered.

    The server's 250 after the message names its queue id (RFC 5321 §4.1.1.4 lets the
    text say anything; ours says ``2.0.0 <queue id> Message accepted``).
    """
    words = {
        word
        for step in steps_of(source)
        for reply in step.replies
        if reply.code == 250
        for word in reply.text.split()
    }
    return next((message for message in reversed(mailbox) if message.queue_id in words), None)


@needs_own_server(
    "this check reads the server's mailbox, which is the instructor's: the Bcc address is in the "
    "'to <…>' of your message's '---------- message' line there, and in none of the printed headers."
)
def check_bcc(source: StepSource, server: LessonServer, bcc_address: str) -> CheckResult:
    """The message `source` sent reached `bcc_address` through the envelope and names it in no header.

    Every header is searched, not only the address headers of RFC 5322 §3.6.3: a blind copy
    named in a Subject or a Comments header is no longer blind.
    """
    if is_unanswered(source):
        return your_turn("send the message with its blind copy in the cell above, then run it.")
    mailbox = server.mailbox
    if isinstance(mailbox, ClassroomStandIn):  # only if in_classroom() changed mid-check
        return skipped_in_classroom(str(mailbox))
    message = _delivered_by(source, mailbox)
    if message is None:
        return your_turn(
            "send the message with its blind copy in the cell above (the server has nothing "
            "from that session yet), then run it."
        )
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
    if is_unanswered(predicted_code):
        return your_turn("predict the reply code in the cell above (replace the ...), then run it.")
    in_transaction = (ClientState.MAIL, ClientState.RCPT)
    early = [s for s in steps_of(source, command="RCPT") if s.state_before not in in_transaction]
    if not early:
        return not_yet(
            "no RCPT TO was sent outside a mail transaction yet.",
            "create the client with strict=False (otherwise it stops you before sending), send "
            "EHLO and then RCPT TO without MAIL FROM.",
        )
    reply = early[-1].reply
    return check_prediction(
        "the reply to RCPT before MAIL",
        _as_code(predicted_code),
        None if reply is None else reply.code,
        hint="the first digit says how it went, the rest says why: which class is a command "
        "given at the wrong time in?",
        why="503 means 'bad sequence of commands': MAIL must open the transaction (RFC 5321 §4.1.4).",
    )


@dataclass(frozen=True)
class _DataSection:
    """The lines one DATA section of a session carried, as the server read them."""

    #: Client lines read as message data; the last is "." when the message ended.
    lines: tuple[str, ...]
    #: The first client line read after the ending ".", and the server's reply to it.
    next_line: str | None = None
    next_reply: str | None = None

    @property
    def ended(self) -> bool:
        return bool(self.lines) and self.lines[-1] == "."

    @property
    def stuffed_dot(self) -> bool:
        # RFC 5321 §4.5.2: a line that is a single "." inside the message is sent as "..".
        return ".." in self.lines[:-1]

    @property
    def cut_short(self) -> bool:
        # After the ending dot the server reads commands again; the rest of a body that was
        # cut at an unstuffed dot arrives as lines it cannot read as commands (500).
        return self.next_reply is not None and self.next_reply.startswith("500")


def _data_sections(session: SessionLog) -> list[_DataSection]:
    sections: list[_DataSection] = []
    lines: list[str] = []
    waiting_for_reply: str | None = None
    for event in session.events:
        if event.direction == "C" and event.kind == "data":
            lines.append(event.text)
            if event.text == ".":
                sections.append(_DataSection(tuple(lines)))
                lines = []
        elif event.direction == "C" and sections and sections[-1].next_line is None:
            waiting_for_reply = event.text
            last = sections[-1]
            sections[-1] = _DataSection(last.lines, waiting_for_reply)
        elif event.direction == "S" and waiting_for_reply is not None:
            last = sections[-1]
            sections[-1] = _DataSection(last.lines, last.next_line, event.text)
            waiting_for_reply = None
    if lines:
        sections.append(_DataSection(tuple(lines)))
    return sections


def _newest_data_session(sessions: Sequence[SessionLog]) -> SessionLog | None:
    def sent_data(session: SessionLog) -> bool:
        return any(e.kind == "command" and e.text.strip().upper() == "DATA" for e in session.events)

    session = next((s for s in reversed(sessions) if sent_data(s)), None)
    if session is not None and not session.closed:
        # Still open after that: judge what it has sent so far.
        with contextlib.suppress(TimeoutError):
            session.wait_closed(SESSION_END_TIMEOUT)
    return session


@needs_own_server(
    "this check reads the server's session log, which is the instructor's: look in their terminal "
    "for your 'Dots' message, and whether a line holding only '.' ended it early."
)
def check_lone_dot(server: LessonServer, predicted_kept: object) -> CheckResult:
    """The newest message sent had a line holding only "."; did the learner predict its fate?

    What happened is read from the server's session log, not assumed: a client that doubles
    the dot (dot-stuffing, RFC 5321 §4.5.2) keeps the whole message (True); one that sends
    the dot as it is ends the message there, and the server reads the rest as commands
    (False). The mailbox alone cannot tell that from a message that simply had no dot.
    """
    if is_unanswered(predicted_kept):
        return your_turn("predict True or False in the cell above (replace the ...), then run it.")
    sessions = server.sessions
    if isinstance(sessions, ClassroomStandIn):  # only if in_classroom() changed mid-check
        return skipped_in_classroom(str(sessions))
    session = _newest_data_session(sessions)
    if session is None:
        return not_yet("no message has been sent to the server yet.", "run your sending cell first.")
    sections = _data_sections(session)
    if not sections or not sections[-1].ended:
        return not_yet(
            "the server is still reading your message: no line holding only a dot has ended it.",
            'end the message with a line that is just "." (b".\\r\\n" on a raw socket).',
        )
    section = sections[-1]
    if section.cut_short:
        actual, why = (
            False,
            f"the server ended the message at your lone dot and read the next line, "
            f"{section.next_line!r}, as a command it did not know ({section.next_reply}). A client "
            "must double a dot that starts a line, and the server removes it (RFC 5321 §4.5.2).",
        )
    elif section.stuffed_dot:
        actual, why = (
            True,
            "the client sent it as '..' (dot-stuffing) and the server removed the extra dot, "
            "so the message was not cut short (RFC 5321 §4.5.2).",
        )
    else:
        return not_yet(
            "the newest message had no line made of a single dot before its end.",
            'put a line that is just "." in the middle of the body, e.g. "before\\n.\\nafter".',
        )
    return check_prediction(
        "whether the whole message arrived",
        predicted_kept,
        actual,
        hint="compare the server's copy, server.mailbox[-1].raw, with what you sent; "
        "print(server.sessions[-1]) shows each line as the server read it.",
        why=why,
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
        _as_code(predicted),
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
        _as_code(predicted_code),
        None if reply is None else reply.code,
        hint="read the reply to AUTH in the transcript: the code is its first three digits.",
        why=f"{reply} means the credentials were wrong (RFC 4954 §6); the server does not say "
        "whether the user or the password was wrong, so nobody can learn from it which "
        "user names exist.",
    )


# -- 03: verifying addresses ------------------------------------------------------------


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
        _as_code(predicted_code),
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
        _as_code(predicted_code),
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
