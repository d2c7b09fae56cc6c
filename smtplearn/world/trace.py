"""What happened to a message on its way: `Hop` events, the `Journey`, `Received:` headers.

Records are plain data; the widgets and lessons draw them.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime

from smtplearn.record import Transcript
from smtplearn.world.resolver import DnsQuery

#: What each kind of hop event means.
HOP_KINDS = {
    "submitted": "the submission server took responsibility (250 to the final dot)",
    "dns": "a DNS lookup to find where the mail goes",
    "attempt": "one SMTP session to a mail exchanger",
    "deferred": "a temporary failure: the message waits in the queue for a retry",
    "delivered": "the receiving server accepted the message",
    "bounced": "the message cannot be delivered: a bounce (DSN) goes back to the sender",
    "rejected": "the server refused the message in the SMTP dialog",
    "forwarded": "the receiving server sent the message on to another address",
}


@dataclass(frozen=True)
class Hop:
    """One event on a message's way, at `at` seconds of world time."""

    at: float
    kind: str
    #: The host acting (the relay, the receiving MX...).
    host: str
    summary: str
    #: The SMTP session of an "attempt" (every hop has its transcript).
    transcript: Transcript | None = None
    #: The DNS queries of a "dns" event.
    queries: tuple[DnsQuery, ...] = ()
    recipient: str = ""

    def __str__(self) -> str:
        return f"[{self.at:8.1f} s] {self.kind:<9} {self.host}: {self.summary}"


class Journey:
    """Everything that happened to one submitted message (and its bounce, if any)."""

    def __init__(self, message_id: str, mail_from: str, recipients: Sequence[str], subject: str) -> None:
        self.message_id = message_id
        self.mail_from = mail_from
        self.recipients = tuple(recipients)
        self.subject = subject
        self._lock = threading.Lock()
        self._hops: list[Hop] = []

    def add(self, hop: Hop) -> None:
        with self._lock:
            self._hops.append(hop)

    @property
    def hops(self) -> tuple[Hop, ...]:
        with self._lock:
            return tuple(self._hops)

    @property
    def attempts(self) -> tuple[Hop, ...]:
        """Every SMTP session made for this message (its bounce's included)."""
        return tuple(h for h in self.hops if h.kind == "attempt")

    def attempts_for(self, recipient: str) -> tuple[Hop, ...]:
        return tuple(h for h in self.attempts if h.recipient == recipient)

    def outcome(self, recipient: str) -> str:
        """The last decisive event for `recipient`: delivered, bounced, deferred or in queue."""
        for hop in reversed(self.hops):
            if hop.recipient == recipient and hop.kind in ("delivered", "bounced", "deferred", "rejected"):
                return hop.kind
        return "queued"

    def __str__(self) -> str:
        head = f"{self.message_id} from <{self.mail_from}> to {', '.join(self.recipients)}: {self.subject!r}"
        return "\n".join([head, *(f"  {hop}" for hop in self.hops)])

    def __repr__(self) -> str:
        return f"<Journey {self.message_id}, {len(self.hops)} events>"


def received_header(
    *,
    helo: str | None,
    ip: str,
    reverse_name: str | None,
    by: str,
    protocol: str,
    queue_id: str,
    recipient: str,
    when: datetime | None = None,
) -> str:
    """The trace line a server prepends when it accepts a message (RFC 5321 §4.4).

    ``from`` names the client as it introduced itself, then as the server saw it: the name
    its address maps back to in DNS (PTR, "unknown" without one) and the address itself;
    ``by`` the server, ``with`` the protocol (ESMTP, ESMTPS with TLS, ESMTPSA with TLS and
    AUTH: RFC 3848), ``id`` the queue id and ``for`` the recipient, then the date.
    """
    stamp = format_datetime(when or datetime.now(timezone.utc))
    return (
        f"Received: from {helo or 'unknown'} ({reverse_name or 'unknown'} [{ip}])\r\n"
        f"\tby {by} with {protocol} id {queue_id}\r\n"
        f"\tfor <{recipient}>; {stamp}\r\n"
    )
