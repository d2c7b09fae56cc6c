"""`World`: DNS, mail hosts, a relay queue and authentication checks, all on loopback.

On the internet a relay finds a domain's mail exchanger in DNS and connects to port 25 of its
address. In the world, DNS publishes addresses from the documentation ranges (192.0.2.0/24,
RFC 5737) and every host's services are DebugServers on 127.0.0.1 at ports the operating
system picked. The world's *routing table* maps ``(address, 25)`` (an MX) and
``(address, 587)`` (submission, RFC 6409) to those loopback ports — the part a real network
does with routes and well-known ports, which a notebook cannot have: ports below 1024 need
root, and one machine has one port 25. Everything else — which host to try, in which order,
what to do when it is down — is decided from DNS, as on the internet.

The same table works backwards for SPF: a relay opens each connection from a loopback port
the world remembers, so the receiving server learns the sending host's address. A connection
the world did not open (the learner's own `Client`) comes from `OUTSIDE_ADDRESS`, a laptop
somewhere on the internet.
"""

from __future__ import annotations

import logging
import threading
import uuid
import weakref
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from types import TracebackType

from smtplearn.client import Client
from smtplearn.record import Transcript
from smtplearn.world.authcheck import DkimKey, Verdicts, check_message
from smtplearn.world.clock import WorldClock
from smtplearn.world.hosts import SMTP_PORT, DeliveredMessage, MailHost
from smtplearn.world.journal import Journal
from smtplearn.world.mailstore import MailStore
from smtplearn.world.nameserver import NameServer
from smtplearn.world.queue import Queue, RetrySchedule
from smtplearn.world.relay import HOP_TIMEOUT, Relay
from smtplearn.world.resolver import WorldResolver
from smtplearn.world.routing import OUTSIDE_ADDRESS as OUTSIDE_ADDRESS  # re-exported for lessons
from smtplearn.world.routing import RoutingTable
from smtplearn.world.trace import Journey
from smtplearn.world.zone import Zone, normalize_name

log = logging.getLogger("smtplearn.world")

#: How long a lookup may take. Generous: on a busy shared machine the name server's thread may
#: wait for the CPU, and a timeout defers mail; the lessons never make a name server hang.
DNS_TIMEOUT = 5.0
#: The Received count that marks a mail loop (RFC 5321 §6.3 asks for a threshold of at least 100).
MAX_RECEIVED = 100


class World:
    """A small internet of mail on loopback; starts at once, stops with the kernel or `with`.

    ``World()`` starts the name server and the queue; `add_domain` and `add_host` build the
    map. `standard` builds the map lessons 08 and 09 use.
    """

    def __init__(
        self,
        *,
        clock: WorldClock | None = None,
        retry: RetrySchedule | None = None,
        dns_timeout: float = DNS_TIMEOUT,
    ) -> None:
        self.clock = clock or WorldClock()
        self.retry = retry or RetrySchedule()
        self.zone = Zone()
        self._nameserver = NameServer(self.zone).start()
        self.resolver = WorldResolver(self._nameserver.address, timeout=dns_timeout)
        self.queue = Queue()
        #: Where the hosts and the relay report each message's hops and queue it on.
        self.journal = Journal(self.clock, self.queue)
        self.hosts: dict[str, MailHost] = {}
        self.routes = RoutingTable()
        self.mail = MailStore()
        #: A message with this many Received headers is looping (RFC 5321 §6.3: "at least 100").
        self.max_received = MAX_RECEIVED
        self._stopping = threading.Event()
        self.clock.add_listener(self.queue.wake)
        self._relay = Relay(self)
        self._worker = threading.Thread(target=self._work, name="smtplearn-world-queue", daemon=True)
        self._worker.start()
        # Runs once: on `stop`, at the end of a `with` block, or when the interpreter (the
        # kernel) exits — a finalizer's `atexit` flag is on by default.
        self._finalizer = weakref.finalize(
            self, _stop_all, self._stopping, self.queue, self._worker, self._nameserver, self.hosts
        )

    # -- building the map ---------------------------------------------------------------

    def add_host(
        self, name: str, address: str, *, mx: bool = False, submission_users: dict[str, str] | None = None
    ) -> MailHost:
        """A host with an A record (and its PTR), an MX service and/or a submission service."""
        host = MailHost(self, normalize_name(name), address)
        self.zone.add(host.name, "A", address)
        self.zone.add(".".join(reversed(address.split("."))) + ".in-addr.arpa", "PTR", host.name)
        self.hosts[host.name] = host
        if mx:
            host.start_mx()
        if submission_users is not None:
            host.start_submission(submission_users)
        return host

    def add_domain(
        self,
        domain: str,
        *,
        mx: Sequence[tuple[int, MailHost]] = (),
        mailboxes: Iterable[str] = (),
        spf: str | None = None,
        dmarc: str | None = None,
        dkim_signer: MailHost | None = None,
    ) -> None:
        """Publish a mail domain: its MX records, SPF and DMARC TXT records, DKIM key, mailboxes."""
        domain = normalize_name(domain)
        for preference, host in mx:
            self.zone.add(domain, "MX", f"{preference} {host.name}")
            host.domains.add(domain)
        self.mail.open(f"{local}@{domain}" for local in mailboxes)
        if spf is not None:
            self.zone.add(domain, "TXT", spf)
        if dmarc is not None:
            self.zone.add(f"_dmarc.{domain}", "TXT", dmarc)
        if dkim_signer is not None:
            dkim_signer.dkim = DkimKey(domain)
            self.zone.add(dkim_signer.dkim.record_name, "TXT", dkim_signer.dkim.record_value)

    @classmethod
    def standard(cls, **kwargs: object) -> World:
        """The world of lessons 08 and 09.

        - example.com, the sender's domain: ``mail.example.com`` (192.0.2.10) runs submission
          for alice and is example.com's MX; SPF allows it, it DKIM-signs, DMARC p=reject.
        - example.org, the recipient's domain: ``mx1.example.org`` (192.0.2.20, preference
          10) and ``mx2.example.org`` (192.0.2.21, preference 20); mailboxes bob and carol.
        - example.net: ``relay.example.net`` (192.0.2.30) forwards bob@example.net to
          bob@example.org, to show what forwarding does to SPF.
        """
        world = cls(**kwargs)  # type: ignore[arg-type]
        sender = world.add_host(
            "mail.example.com", "192.0.2.10", mx=True, submission_users={ALICE: ALICE_PASSWORD}
        )
        mx1 = world.add_host("mx1.example.org", "192.0.2.20", mx=True)
        mx2 = world.add_host("mx2.example.org", "192.0.2.21", mx=True)
        forwarder = world.add_host("relay.example.net", "192.0.2.30", mx=True)
        world.add_domain(
            "example.com",
            mx=[(10, sender)],
            mailboxes=["alice"],
            spf="v=spf1 ip4:192.0.2.10 -all",
            dmarc="v=DMARC1; p=reject; rua=mailto:dmarc@example.com",
            dkim_signer=sender,
        )
        world.add_domain(
            "example.org", mx=[(10, mx1), (20, mx2)], mailboxes=["bob", "carol"], spf="v=spf1 mx -all"
        )
        world.add_domain("example.net", mx=[(10, forwarder)], spf="v=spf1 ip4:192.0.2.30 -all")
        forwarder.forwards["bob@example.net"] = "bob@example.org"
        return world

    @property
    def journeys(self) -> list[Journey]:
        """Every message's `Journey`, oldest first (kept by `journal`)."""
        return self.journal.journeys

    def host(self, name: str) -> MailHost:
        return self.hosts[normalize_name(name)]

    # -- the routing table (`self.routes`) --------------------------------------------

    def route(self, address: str, port: int = SMTP_PORT) -> tuple[str, int] | None:
        """Where on loopback ``address:port`` of the world listens, or None if nothing does."""
        return self.routes.route(address, port)

    def reverse_name(self, address: str, *, asker: str = "") -> str | None:
        """The name the PTR record of `address` gives (RFC 1035 §3.5 in-addr.arpa), or None."""
        name = ".".join(reversed(address.split("."))) + ".in-addr.arpa"
        query = self.resolver.lookup(name, "PTR", f"{asker}: who is {address}?")
        return query.answers[0] if query.ok else None

    def address_of_peer(self, peer: tuple[str, int]) -> str:
        """The world address of a connection's client (`OUTSIDE_ADDRESS` if not a relay's)."""
        return self.routes.address_of_peer(peer)

    # -- sending, as a mail program would ------------------------------------------------

    def submit(
        self,
        message: EmailMessage,
        *,
        user: str = "",
        password: str = "",
        to: Sequence[str] | None = None,
        host: str = "mail.example.com",
    ) -> tuple[Journey, Transcript]:
        """Submit `message` to `host`'s submission service (STARTTLS, AUTH), as a mail client does.

        Returns the message's `Journey` (growing as the world delivers it) and the
        submission session's transcript. The password never appears in the transcript.
        """
        server = self.host(host).submission
        if server is None:
            raise ValueError(f"{host} offers no submission service")
        if message["Message-ID"] is None:
            # A random UUID: unique, and the same length every run (notebooks mask it).
            message["Message-ID"] = f"<{uuid.uuid4()}@{host}>"
        if message["Date"] is None:
            message["Date"] = format_datetime(datetime.now(timezone.utc))
        recipients = list(to) if to is not None else [a.strip() for a in str(message["To"]).split(",")]
        journey = self.journal.start(
            str(message["Message-ID"]),
            _address(str(message["From"])),
            recipients,
            str(message["Subject"] or ""),
        )
        with Client(
            *server.address,
            tls_context=server.client_tls_context(),
            local_hostname="laptop.example",
            timeout=HOP_TIMEOUT,
        ) as client:
            client.ehlo()
            client.starttls()
            client.ehlo()
            client.login(user or ALICE, password or ALICE_PASSWORD)
            client.send_message(message, from_addr=journey.mail_from, to_addrs=recipients)
            client.quit()
            return journey, client.transcript

    def send(self, from_addr: str, to: str, subject: str, body: str, **headers: str) -> Journey:
        """Write and submit a simple message from alice's account; returns its `Journey`."""
        message = EmailMessage()
        message["From"] = from_addr
        message["To"] = to
        message["Subject"] = subject
        for name, value in headers.items():
            message[name.replace("_", "-")] = value
        message.set_content(body)
        journey, _ = self.submit(message)
        return journey

    def check(
        self,
        raw: bytes,
        *,
        ip: str,
        mail_from: str,
        helo: str = "unknown",
        receiver: str = "mx1.example.org",
    ) -> Verdicts:
        """SPF, DKIM and DMARC for `raw` as `receiver` would judge it, arriving from `ip`.

        What the MX does at the end of DATA, without sending anything: for trying records.
        """
        return check_message(
            self.resolver, raw=raw, ip=ip, mail_from=mail_from, helo=helo, authserv_id=receiver
        )

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until every message due now is delivered, deferred or bounced."""
        if not self.queue.wait_settled(self.clock.now(), timeout):
            raise TimeoutError(f"the queue did not settle within {timeout} s: {self.queue.entries}")

    def advance(self, seconds: float = 0.0, *, minutes: float = 0.0, hours: float = 0.0) -> None:
        """Let time pass (retries fall due) and wait until the queue settles."""
        self.clock.advance(seconds, minutes=minutes, hours=hours)
        self.settle()

    # -- the mailboxes (`self.mail`) ---------------------------------------------------

    def inbox(self, address: str) -> list[DeliveredMessage]:
        """Messages delivered to `address`, oldest first."""
        return self.mail.inbox(address)

    def mailboxes(self) -> list[str]:
        """Every mailbox address in the world, sorted."""
        return self.mail.addresses()

    def has_mailbox(self, address: str) -> bool:
        return self.mail.has(address)

    def remove_mailbox(self, address: str) -> None:
        """Close a mailbox: mail to it now bounces with 550 5.1.1."""
        self.mail.remove(address)

    # -- the queue runner ---------------------------------------------------------------

    def _work(self) -> None:
        while not self._stopping.is_set():
            seen = self.queue.version
            for entry in self.queue.take_due(self.clock.now()):
                try:
                    self._relay.deliver(entry)
                except Exception:  # a bug must not stop the world's queue for good
                    log.exception("delivery of %s failed", entry.queue_id)
                finally:
                    self.queue.done(entry)
            next_due = self.queue.next_due()
            wait = None
            if next_due is not None and self.clock.moves_by_itself:
                wait = max(0.0, next_due - self.clock.now())
            if next_due is None or next_due > self.clock.now():
                self.queue.wait_for_change(seen, wait)

    # -- life cycle -----------------------------------------------------------------------

    def stop(self) -> None:
        """Stop every server, the queue and the name server. Safe to repeat."""
        self._finalizer()

    def __enter__(self) -> World:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<World: {len(self.hosts)} hosts, {len(self.zone)} DNS records, {len(self.queue)} queued>"


#: The demo account on example.com's submission server (published, like the DebugServer's).
ALICE = "alice@example.com"
ALICE_PASSWORD = "alice-demo-password"


def _stop_all(
    stopping: threading.Event,
    queue: Queue,
    worker: threading.Thread,
    nameserver: NameServer,
    hosts: dict[str, MailHost],
) -> None:
    stopping.set()
    queue.wake()
    # Let a delivery in progress finish its SMTP session before its servers go away.
    worker.join(HOP_TIMEOUT)
    for host in hosts.values():
        for server in (host.submission, host.mx):
            if server is not None:
                server.stop()
    nameserver.stop()


def _address(header: str) -> str:
    return parseaddr(header)[1]
