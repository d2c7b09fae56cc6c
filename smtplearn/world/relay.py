"""One delivery attempt of a queued message: find the MX, talk SMTP, then deliver, defer or bounce.

RFC 5321 §5.1: the MX records in preference order (the address record when there is none),
each tried until one answers; a temporary failure (4xx, no answer, a DNS timeout) waits for
a retry on the world's `RetrySchedule`; a permanent one (5xx, a domain with no mail server)
bounces at once, as a DSN from ``MAIL FROM:<>`` (never for a message that is itself a bounce).
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from smtplearn.client import Client
from smtplearn.protocol.data import needs_8bitmime
from smtplearn.protocol.states import ClientState
from smtplearn.record import Step
from smtplearn.transport import TransportError
from smtplearn.world.dsn import Failure, build_bounce
from smtplearn.world.queue import QueueEntry
from smtplearn.world.resolver import DnsLookupError, DnsQuery
from smtplearn.world.trace import Hop

if TYPE_CHECKING:
    from smtplearn.world.hosts import MailHost
    from smtplearn.world.world import World

log = logging.getLogger("smtplearn.world")

#: How long a relay waits for a server: short, every server is on this machine.
HOP_TIMEOUT = 10.0


class Relay:
    """The queue runner's hands: delivers one `QueueEntry` at a time for a `World`."""

    def __init__(self, world: World) -> None:
        self.world = world
        #: Where each attempt, deferral, delivery and bounce is reported, and bounces queued.
        self.journal = world.journal

    def deliver(self, entry: QueueEntry) -> None:
        """Try `entry` once: deliver it, defer it for a retry, or bounce it."""
        try:
            self._deliver(entry)
        except Exception as error:  # a bug here must not lose the message: it waits, and says why
            log.exception("delivery of %s failed", entry.queue_id)
            self._defer(
                entry, f"4.3.0 the relay failed ({type(error).__name__}: {error}), a bug in smtplearn"
            )

    def _deliver(self, entry: QueueEntry) -> None:
        origin = self.world.host(entry.host)
        if entry.forwarded_from and entry.failures == 0:
            summary = f"{entry.forwarded_from} → {entry.recipient}"
            entry.journey.add(
                self.journal.hop("forwarded", origin.name, summary, recipient=entry.forwarded_from)
            )
        header_block = b"\r\n" + entry.raw.split(b"\r\n\r\n", 1)[0]  # not the body (a DSN quotes headers)
        hops = header_block.count(b"\r\nReceived:")
        if hops >= self.world.max_received:
            # RFC 5321 §6.3: count the Received headers to catch a mail loop (two forwards
            # pointing at each other); the message bounces instead of circling for ever.
            self._bounce(entry, Failure(entry.recipient, "5.4.6", f"routing loop: {hops} Received headers"))
            return
        domain = entry.recipient.rpartition("@")[2]
        try:
            exchangers, queries = self.world.resolver.mail_exchangers(domain, purpose=origin.name)
        except DnsLookupError as error:
            entry.journey.add(
                self.journal.hop(
                    "dns", origin.name, str(error.query), queries=(error.query,), recipient=entry.recipient
                )
            )
            self._defer(entry, f"4.4.3 DNS lookup failed for {domain}: {error.query.status}")
            return
        entry.journey.add(
            self._dns_hop(origin.name, f"mail exchangers for {domain}", queries, entry.recipient)
        )
        if not exchangers:
            self._bounce(
                entry,
                Failure(
                    entry.recipient,
                    "5.1.2",
                    f"no mail server for {domain}: no MX and no A record (RFC 5321 §5.1)",
                ),
            )
            return
        last_error = "4.4.1 no mail exchanger answered"
        unroutable = 0
        for preference, exchanger in exchangers:
            address = self.world.resolver.lookup(exchanger, "A", f"{origin.name}: address of {exchanger}")
            entry.journey.add(
                self._dns_hop(
                    origin.name,
                    f"address of MX {exchanger} (preference {preference})",
                    [address],
                    entry.recipient,
                )
            )
            if address.status in ("NXDOMAIN", "NODATA"):
                unroutable += 1
                last_error = f"5.4.4 MX {exchanger} has no address ({address.status})"
                continue
            route = self.world.route(address.answers[0]) if address.ok else None
            where = address.answers[0] if address.ok else address.status
            outcome = (
                f"4.4.1 no answer from {exchanger} ({where})"
                if route is None
                else self._attempt(entry, origin, exchanger, route, where)
            )
            if isinstance(outcome, str):  # no session with this MX: try the next one (RFC 5321 §5.1)
                last_error = outcome
                continue
            code, text = outcome
            if code < 400:
                entry.journey.add(self.journal.hop("delivered", exchanger, text, recipient=entry.recipient))
            elif code < 500:
                self._defer(entry, text, exchanger)
            else:
                self._bounce(entry, Failure(entry.recipient, _status(text, "5.0.0"), text, exchanger))
            return
        if unroutable == len(exchangers):
            # Every MX names a host that does not exist: waiting will not help.
            self._bounce(entry, Failure(entry.recipient, "5.4.4", f"{last_error}: unable to route"))
            return
        self._defer(entry, last_error)

    def _dns_hop(self, host: str, what: str, queries: Sequence[DnsQuery], recipient: str) -> Hop:
        answers = "; ".join(f"{q.type} {', '.join(q.answers) or q.status}" for q in queries)
        return self.journal.hop(
            "dns", host, f"{what}: {answers}", queries=tuple(queries), recipient=recipient
        )

    def _attempt(
        self, entry: QueueEntry, origin: MailHost, exchanger: str, route: tuple[str, int], where: str
    ) -> tuple[int, str] | str:
        """One SMTP session with `exchanger`: the reply that decides the message's fate, or
        (a str) why there was no session, kept as the error if no other MX takes it."""
        source_port = _free_port()
        self.world.routes.connecting(source_port, origin.address)
        client = Client(
            *route, local_hostname=origin.name, timeout=HOP_TIMEOUT, source_address=("127.0.0.1", source_port)
        )
        try:
            outcome = self._session(client, entry)
        finally:
            client.close()
            self.world.routes.disconnected(source_port)
        result: tuple[int, str] | str
        if outcome is None:
            said, result = "connection refused", f"4.4.1 no answer from {exchanger} ({where})"
        elif isinstance(outcome, str):
            said = result = outcome
        else:
            said, result = outcome[1], outcome
        entry.journey.add(
            self.journal.hop(
                "attempt",
                origin.name,
                f"→ {exchanger}: {said}",
                transcript=client.transcript,
                recipient=entry.recipient,
            )
        )
        return result

    def _session(self, client: Client, entry: QueueEntry) -> tuple[int, str] | str | None:
        """(code, reply) for the reply that decides; a refusing greeting (a str); None: no connection."""
        try:
            greeting = client.connect()
        except TransportError:
            return None
        if not greeting.ok:
            # A 421 or 554 greeting (RFC 5321 §3.1, §3.8) is no session either: the next MX.
            return _reply(greeting) or "4.4.2 no greeting"
        try:
            # RFC 6152 §3: a message with 8-bit octets (a DSN quoting "§", a UTF-8 body) is
            # relayed with BODY=8BITMIME; a strict next hop refuses it otherwise.
            body = "8BITMIME" if needs_8bitmime(entry.raw) else None
            steps = [client.ehlo()]
            if steps[-1].ok:
                steps.append(client.mail(entry.mail_from, body=body))
            if steps[-1].ok:
                steps.append(client.rcpt(entry.recipient))
            if steps[-1].ok:
                steps.append(client.data(entry.raw))
        except TransportError as error:
            return 451, f"451 4.4.2 connection lost: {error}"
        if client.state is not ClientState.CLOSED:  # a 421 has closed it (RFC 5321 §3.8)
            # The reply to the final dot has decided (RFC 5321 §6.1: a 250 hands the message
            # over): a QUIT that goes unanswered must not make the relay send it twice.
            with contextlib.suppress(TransportError):
                client.quit()
        reply = _reply(steps[-1]) or "451 4.4.2 no reply"
        return int(reply[:3]), reply

    def _defer(self, entry: QueueEntry, error: str, exchanger: str = "") -> None:
        entry.failures += 1
        entry.last_error = error
        delay = self.world.retry.next_delay(entry.failures)
        if delay is None:
            reason = f"4.4.7 gave up after {entry.failures} attempts; last error: {error}"
            self._bounce(entry, Failure(entry.recipient, "4.4.7", reason, exchanger))
            return
        entry.due = self.world.clock.now() + delay
        entry.journey.add(
            self.journal.hop(
                "deferred", entry.host, f"{error}; next try in {delay:g} s", recipient=entry.recipient
            )
        )
        self.world.queue.put(entry)

    def _bounce(self, entry: QueueEntry, failure: Failure) -> None:
        entry.journey.add(self.journal.hop("bounced", entry.host, _said(failure), recipient=entry.recipient))
        if not entry.mail_from:
            # RFC 5321 §4.5.5: never bounce a bounce (its reverse-path is null).
            return
        reporter = self.world.host(entry.host)
        report = build_bounce(
            reporting_mta=reporter.name,
            original=entry.raw,
            original_from=entry.mail_from,
            failure=failure,
            arrived=entry.arrived,
        )
        raw = report.as_bytes()
        if reporter.dkim is not None:
            # Signed like any mail the host sends, so the bounce passes DMARC at its destination.
            raw = reporter.dkim.sign(raw)
        self.journal.enqueue(
            reporter.name, "", entry.mail_from, raw, entry.journey, datetime.now(timezone.utc)
        )


def _reply(step: Step) -> str:
    """A step's reply as ``code text`` ("" when there was none)."""
    return "" if step.reply is None else f"{step.reply.code} {step.reply.text}"


def _free_port() -> int:
    # The relay connects from a port the world knows, so the receiving MX can tell which
    # host is calling (the SPF check needs its address). The kernel picks a free one.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _status(reply: str, default: str) -> str:
    parts = reply.split()
    return parts[1] if len(parts) > 1 and parts[1][:1] in "245" and parts[1].count(".") == 2 else default


def _said(failure: Failure) -> str:
    if failure.status in failure.diagnostic:
        return failure.diagnostic
    return f"{failure.status} {failure.diagnostic}"
