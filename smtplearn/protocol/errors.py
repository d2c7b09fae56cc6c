"""The protocol core's errors: local (we were about to do something wrong) and remote.

Modelled on h11's LocalProtocolError / RemoteProtocolError split.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smtplearn.protocol.replies import Reply


class SMTPLearnError(Exception):
    """Base class of every error smtplearn raises on purpose."""


class LocalProtocolError(SMTPLearnError):
    """Our side was about to break the protocol: nothing has been sent."""


class RemoteProtocolError(SMTPLearnError):
    """The server sent something that is not valid SMTP."""

    #: The bytes received but not yet parsed when the error was found: the bad reply
    #: and whatever followed it (the smtplib facade reads them as smtplib would).
    received: bytes = b""


class EndlessAuthError(RemoteProtocolError):
    """The server kept answering 334 past `states.MAX_AUTH_CHALLENGES`: the session was closed.

    `reply` is the challenge that went over the bound (smtplib names it in its own error).
    """

    def __init__(self, message: str, reply: Reply) -> None:
        super().__init__(message)
        self.reply = reply


class SMTPReplyError(SMTPLearnError):
    """A step got a negative reply and the caller asked for an exception."""

    def __init__(self, command: str, reply: Reply | None) -> None:
        self.command = command
        self.reply = reply
        got = "no reply" if reply is None else f"{reply.code} {reply.text}"
        super().__init__(f"{command!r} failed: {got}")
