"""The client's state machine: its states and the one table of allowed moves.

Everything that decides whether a command may be sent now lives in this module.
"""

from __future__ import annotations

import enum


class ClientState(enum.Enum):
    """Where the client stands in an SMTP session (RFC 5321 §4.1.4 orders the commands)."""

    #: No connection yet: call connect().
    DISCONNECTED = "DISCONNECTED"
    #: Connected; the server's 220 greeting must arrive and be answered with EHLO or HELO.
    CONNECTED = "CONNECTED"
    #: Greeted with EHLO/HELO: a mail transaction, STARTTLS or AUTH may begin.
    READY = "READY"
    #: AUTH sent; the SASL exchange is under way (334 challenges until 235 or 535).
    AUTH = "AUTH"
    #: MAIL FROM accepted: one or more RCPT TO come next.
    MAIL = "MAIL"
    #: At least one RCPT TO accepted: more RCPT TO, or DATA.
    RCPT = "RCPT"
    #: DATA got 354: the message content, ended by a lone ".", comes next.
    DATA = "DATA"
    #: STARTTLS got 220: the TLS handshake must happen before any other byte.
    TLS_HANDSHAKE = "TLS_HANDSHAKE"
    #: QUIT sent or the connection closed: nothing more can be sent.
    CLOSED = "CLOSED"

    def __repr__(self) -> str:
        return f"ClientState.{self.name}"
