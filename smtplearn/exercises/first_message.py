"""Exercise checks for lesson 01, sending a message: Bcc, commands out of order, a lone dot.

Each check reads what really happened (the client's transcript, or the server's mailbox
and session log) and compares it with the learner's prediction; a blank answer gets a prompt.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smtplearn.exercises import (
    CheckResult,
    StepSource,
    as_reply_code,
    check_prediction,
    correct,
    is_unanswered,
    needs_own_server,
    not_yet,
    skipped_in_classroom,
    steps_of,
    your_turn,
)
from smtplearn.lesson import ClassroomStandIn
from smtplearn.protocol.states import ClientState

if TYPE_CHECKING:
    from smtplearn.lesson import LessonServer
    from smtplearn.server.mailbox import ReceivedMessage
    from smtplearn.server.sessions import SessionLog


#: How long a check waits for the server to finish logging a session the learner just ended.
SESSION_END_TIMEOUT = 5.0


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
        as_reply_code(predicted_code),
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
