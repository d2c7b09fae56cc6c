"""The world's mail hosts: `MailHost` (an address and its SMTP services) and `DeliveredMessage`.

A host's services are `DebugServer`s with the rules of their role given as fault rules (the
server's public extension point): an MX accepts only its own mailboxes and checks SPF, DKIM
and DMARC at the end of DATA. Submission refuses MAIL until the client has logged in
(``DebugServer(auth_required=True)``, RFC 6409 §4.3) and relays what it accepts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import TYPE_CHECKING

from smtplearn.server import DebugServer, Fault, ReceivedMessage
from smtplearn.world.authcheck import DkimKey, Verdicts, check_message
from smtplearn.world.trace import received_header

if TYPE_CHECKING:
    from smtplearn.world.world import World

SMTP_PORT = 25
#: Message submission (RFC 6409 §3.1).
SUBMISSION_PORT = 587


@dataclass(frozen=True)
class DeliveredMessage:
    """A message in a mailbox, as the receiving host stored it (trace headers on top)."""

    recipient: str
    mail_from: str
    raw: bytes = field(repr=False)
    verdicts: Verdicts | None
    host: str

    @property
    def message(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.raw.replace(b"\r\n", b"\n"))

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def is_bounce(self) -> bool:
        return self.mail_from == ""

    def __repr__(self) -> str:
        return f"<DeliveredMessage for {self.recipient} at {self.host}: {self.subject!r}>"


class _LocalRecipients(Fault):
    """An MX accepts RCPT only for its own mailboxes and forwarding aliases (else 550 5.1.1)."""

    def __init__(self, host: MailHost) -> None:
        self.host = host

    def at_recipient(self, client: str, mail_from: str, address: str) -> str | None:
        local = address.strip("<>").lower()
        if self.host.world.has_mailbox(local) or local in self.host.forwards:
            return None
        domain = local.rpartition("@")[2]
        if domain in self.host.domains:
            return f"550 5.1.1 <{local}>: Recipient address rejected: User unknown in {domain}"
        return f"554 5.7.1 <{local}>: Relay access denied: {self.host.name} is no MX for {domain}"


class _AuthenticationChecks(Fault):
    """The receiving MX's checks at the end of DATA, as a milter runs them."""

    def __init__(self, host: MailHost) -> None:
        self.host = host

    def at_message(self, message: ReceivedMessage) -> str | None:
        world = self.host.world
        verdicts = check_message(
            world.resolver,
            raw=message.raw,
            ip=world.address_of_peer(message.peer),
            mail_from=message.mail_from.strip("<>"),
            helo=message.helo or "unknown",
            authserv_id=self.host.name,
        )
        if verdicts.rejected:
            return (
                f"550 5.7.1 Rejected: {verdicts.from_domain} publishes a DMARC policy of reject "
                "and this message fails DMARC (RFC 7489 §6.3)"
            )
        # Read back (and dropped) when the message is stored, just after the 250.
        self.host._verdicts[message.queue_id] = verdicts
        return None


class MailHost:
    """One host of the world: an address in DNS and up to two SMTP services.

    `mx` (port 25 in the world) receives mail for `domains`, checks SPF, DKIM and DMARC, and
    stores it in the world's mailboxes (or forwards it, for `forwards`); `submission` (port
    587) takes mail from authenticated users and relays it. Both are `DebugServer`s: their
    sessions and mailboxes work as in every lesson, and ``host.inject(Greylist())`` adds a
    fault rule to the MX.
    """

    def __init__(self, world: World, name: str, address: str) -> None:
        self.world = world
        self.name = name
        self.address = address
        self.domains: set[str] = set()
        #: Aliases the MX forwards: {"bob@example.net": "bob@example.org"}.
        self.forwards: dict[str, str] = {}
        self.dkim: DkimKey | None = None
        self.mx: DebugServer | None = None
        self.submission: DebugServer | None = None
        self._verdicts: dict[str, Verdicts] = {}

    # -- services ---------------------------------------------------------------------

    def start_mx(self) -> DebugServer:
        server = DebugServer(
            hostname=self.name, tls=False, faults=[_LocalRecipients(self), _AuthenticationChecks(self)]
        )
        server.start()
        server.mailbox.add_listener(self._store)
        self.mx = server
        self.world.routes.add(self.address, SMTP_PORT, server.port)
        return server

    def start_submission(self, users: dict[str, str]) -> DebugServer:
        server = DebugServer(hostname=self.name, users=users, auth_required=True)
        server.start()
        server.mailbox.add_listener(self._relay)
        self.submission = server
        self.world.routes.add(self.address, SUBMISSION_PORT, server.port)
        return server

    def inject(self, fault: Fault) -> Fault:
        """Add a fault rule (``Greylist()``, ``TemporaryFailure("RCPT")``...) to the MX."""
        if self.mx is None:
            raise ValueError(f"{self.name} runs no MX")
        return self.mx.inject(fault)

    def clear_faults(self) -> None:
        """Remove the faults added with `inject`, keeping the MX's own rules (its recipients, its checks)."""
        if self.mx is not None:
            for fault in list(self.mx.faults):
                if not isinstance(fault, _LocalRecipients | _AuthenticationChecks):
                    self.mx.faults.remove(fault)

    def take_down(self) -> None:
        """Stop the MX: connections to it are refused, relays try the next MX."""
        if self.mx is not None:
            self.mx.stop()

    def bring_up(self) -> None:
        """Start the MX again (on a new loopback port; the routing table follows)."""
        if self.mx is not None and not self.mx.running:
            faults = list(self.mx.faults)
            self.mx = None
            server = self.start_mx()
            for fault in faults:
                if not isinstance(fault, _LocalRecipients | _AuthenticationChecks):
                    server.inject(fault)

    # -- what the services do with a message ------------------------------------------

    def _received(self, message: ReceivedMessage, recipient: str, protocol: str) -> bytes:
        ip = self.world.address_of_peer(message.peer)
        header = received_header(
            helo=message.helo,
            ip=ip,
            reverse_name=self.world.reverse_name(ip, asker=self.name),
            by=self.name,
            protocol=protocol,
            queue_id=message.queue_id,
            recipient=recipient,
            when=message.received_at,
        )
        return header.encode()

    def _relay(self, message: ReceivedMessage) -> None:
        """Submission took the message: trace it, sign it, queue it (server thread)."""
        raw = message.raw
        if self.dkim is not None:
            raw = self.dkim.sign(raw)
        journey = self.world.journal.journey_for(message)
        journey.add(
            self.world.journal.hop("submitted", self.name, f"250 {message.queue_id}: queued for delivery")
        )
        for recipient in message.rcpt_tos:
            trace = self._received(message, recipient, "ESMTPSA" if message.tls_version else "ESMTPA")
            self.world.journal.enqueue(
                self.name, message.mail_from, recipient, trace + raw, journey, message.received_at
            )

    def _store(self, message: ReceivedMessage) -> None:
        """The MX accepted the message: deliver to mailboxes, forward aliases (server thread)."""
        verdicts = self._verdicts.pop(message.queue_id, None)
        journey = self.world.journal.journey_for(message)
        for recipient in message.rcpt_tos:
            local = recipient.strip("<>").lower()
            trace = self._received(message, local, "ESMTPS" if message.tls_version else "ESMTP")
            if local in self.forwards:
                target = self.forwards[local]
                self.world.journal.enqueue(
                    self.name,
                    message.mail_from,
                    target,
                    trace + message.raw,
                    journey,
                    message.received_at,
                    forwarded_from=local,
                )
                continue
            results = verdicts.header.encode() if verdicts else b""
            # RFC 5321 §4.4: the delivering server records the envelope sender in Return-Path.
            return_path = f"Return-Path: <{message.mail_from.strip('<>')}>\r\n".encode()
            stored = DeliveredMessage(
                local,
                message.mail_from.strip("<>"),
                return_path + results + trace + message.raw,
                verdicts,
                self.name,
            )
            self.world.mail.store(stored)

    def __repr__(self) -> str:
        roles = [r for r, s in (("mx", self.mx), ("submission", self.submission)) if s is not None]
        return f"<MailHost {self.name} [{self.address}] {'+'.join(roles) or 'no services'}>"
