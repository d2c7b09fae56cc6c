"""The envelope of a message: who it is from and to, as SMTP sees it (not the headers).

RFC 5321 §2.3.1: the envelope (MAIL FROM, RCPT TO) is separate from the message's
headers. That is why a Bcc recipient receives a message whose headers never name them.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.utils import getaddresses

from smtplearn.protocol.errors import LocalProtocolError


@dataclass(frozen=True)
class Envelope:
    sender: str
    recipients: tuple[str, ...]
    #: The message to transmit: a copy with Bcc and Resent-Bcc removed.
    message: EmailMessage | Message

    @property
    def needs_smtputf8(self) -> bool:
        """True when an address is not ASCII, which only SMTPUTF8 allows (RFC 6531 §3.2)."""
        return not all(address.isascii() for address in (self.sender, *self.recipients))


def envelope_of(
    message: EmailMessage | Message,
    from_addr: str | None = None,
    to_addrs: str | Sequence[str] | None = None,
) -> Envelope:
    """Work out the envelope the way `smtplib.SMTP.send_message` does.

    The sender comes from Sender (or From); the recipients from To, Bcc and Cc. When
    the message has a single Resent- block (it is being resent), the Resent- headers
    are used instead (RFC 5322 §3.6.6).
    """
    resent = message.get_all("Resent-Date")
    if resent is not None and len(resent) > 1:
        raise LocalProtocolError(
            "the message has more than one Resent- header block: pass from_addr and to_addrs"
        )
    prefix = "Resent-" if resent else ""
    if from_addr is None:
        header = message[prefix + "Sender"] or message[prefix + "From"]
        if header is None:
            raise LocalProtocolError(f"the message has no {prefix}From header: add one or pass from_addr")
        from_addr = getaddresses([str(header)])[0][1]
    if to_addrs is None:
        fields = [str(message[prefix + name]) for name in ("To", "Bcc", "Cc") if message[prefix + name]]
        to_addrs = [address for _name, address in getaddresses(fields) if address]
    elif isinstance(to_addrs, str):
        to_addrs = [to_addrs]
    if not to_addrs:
        raise LocalProtocolError("the message has no recipients: add To, Cc or Bcc headers or pass to_addrs")
    stripped = copy.copy(message)
    # Bcc means "blind": the recipients stay in the envelope but leave the headers.
    del stripped["Bcc"]
    del stripped["Resent-Bcc"]
    return Envelope(sender=from_addr, recipients=tuple(to_addrs), message=stripped)
