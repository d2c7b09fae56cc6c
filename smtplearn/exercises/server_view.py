"""What the server saw, as the checks of lessons 04–07 read it: client lines paired with replies.

A check judges the learner by the DebugServer's session log, not by the learner's own
report, so it can name the exact line that went wrong and how it ended on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smtplearn.server.sessions import SessionLog

__all__ = ["Conversation", "conversation", "greeting", "sends"]


@dataclass(frozen=True)
class Conversation:
    """One client line the server received, how it ended, and the reply lines sent back."""

    #: "command" for SMTP commands, "data" for message lines, "auth" for AUTH lines.
    kind: str
    text: str
    replies: tuple[str, ...]
    #: The line's ending on the wire: "\r\n", a bare "\n", or "" (cut short).
    ending: str = "\r\n"

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
    for event in session.events:
        if event.direction == "C":
            pairs.append(Conversation(event.kind, event.text, (), event.ending))
        elif event.direction == "S" and pairs:
            last = pairs[-1]
            pairs[-1] = Conversation(last.kind, last.text, (*last.replies, event.text), last.ending)
    return pairs


def greeting(session: SessionLog) -> tuple[str, ...]:
    """The reply lines the server sent before the client's first line: its 220 greeting."""
    lines: list[str] = []
    for event in session.events:
        if event.direction == "C":
            break
        if event.direction == "S":
            lines.append(event.text)
    return tuple(lines)


def sends(session: SessionLog, verb: str) -> int:
    """How many times the client sent the command `verb` in `session`."""
    return sum(1 for c in conversation(session) if c.verb == verb.upper())
