"""Where a DebugServer session stands: what the next line the client sends is, and how replies look.

One enum instead of separate flags ("greeted", "answering hello", "reading mode"), so that
no combination of them can describe a place the session cannot be in. Whether TLS is on is
not a phase: it is a fact about the connection, true in any phase after STARTTLS.
"""

from __future__ import annotations

import enum


class SessionPhase(enum.Enum):
    """The server side of one session, from connection to the end."""

    #: Connected; the first reply (the 220 greeting, a cap's 421 or a fault's) is not sent yet.
    CONNECTED = "CONNECTED"
    #: Reading command lines.
    COMMANDS = "COMMANDS"
    #: Answering EHLO or HELO: a 250 reply carries no enhanced status code (RFC 2034 §3).
    HELLO = "HELLO"
    #: In an AUTH exchange: the client's lines are SASL answers, never logged (RFC 4954 §4).
    AUTH = "AUTH"
    #: Reading the message after DATA's 354, up to the lone "." (RFC 5321 §4.1.1.4).
    DATA = "DATA"

    def __repr__(self) -> str:
        return f"SessionPhase.{self.name}"

    def after_reply(self) -> SessionPhase:
        """The phase once a reply has been sent: the first one ends CONNECTED."""
        return SessionPhase.COMMANDS if self is SessionPhase.CONNECTED else self

    def carries_enhanced_code(self, reply: str) -> bool:
        """True when `reply`, sent in this phase, gets an enhanced status code (RFC 2034 §3).

        Every reply does, except the greeting and the 250 replies to EHLO and HELO (their
        error replies get one all the same).
        """
        if self is SessionPhase.CONNECTED:
            return False
        return not (self is SessionPhase.HELLO and reply.startswith("250"))


def phase_of_command(verb: str) -> SessionPhase:
    """The phase while the server handles the command `verb` (upper case)."""
    if verb in ("EHLO", "HELO"):
        return SessionPhase.HELLO
    if verb == "AUTH":
        return SessionPhase.AUTH
    if verb == "DATA":
        return SessionPhase.DATA
    return SessionPhase.COMMANDS
