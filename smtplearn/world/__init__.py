"""smtplearn.world: a small internet of mail on loopback, for lessons 08 and 09.

::

    from smtplearn.world import World

    with World.standard() as world:         # DNS, 4 mail hosts, a queue: well under a second
        journey = world.send("alice@example.com", "bob@example.org", "Hi", "Hello Bob")
        world.settle()                       # wait until the queue has done what it can now
        print(journey)                       # every hop: DNS lookups, SMTP sessions, outcome
        world.inbox("bob@example.org")[0].verdicts   # SPF, DKIM, DMARC as mx1 saw them

The parts: `Zone` (the DNS data), the name server (dnslib) and `WorldResolver` (dnspython,
every query kept as a `DnsQuery`), `MailHost`s whose services are `DebugServer`s, the relay
`Queue` with its `RetrySchedule` on a `WorldClock`, the `Journal` where hosts and relay
report each message's hops, DSN bounces, and DKIM/SPF/DMARC checks
(dkimpy, pyspf, authheaders, authres). See `smtplearn.world.world` for how host names reach
loopback ports, and how that differs from port 25 on the internet.
"""

from __future__ import annotations

from smtplearn.world.authcheck import DkimKey, Verdicts
from smtplearn.world.clock import ManualClock, WorldClock
from smtplearn.world.hosts import DeliveredMessage, MailHost
from smtplearn.world.queue import RetrySchedule
from smtplearn.world.resolver import DnsQuery
from smtplearn.world.trace import Hop, Journey
from smtplearn.world.world import ALICE, OUTSIDE_ADDRESS, World
from smtplearn.world.zone import Record, Zone

__all__ = [
    "ALICE",
    "OUTSIDE_ADDRESS",
    "DeliveredMessage",
    "DkimKey",
    "DnsQuery",
    "Hop",
    "Journey",
    "MailHost",
    "ManualClock",
    "Record",
    "RetrySchedule",
    "Verdicts",
    "World",
    "WorldClock",
    "Zone",
    "lesson_world",
]


def lesson_world() -> World:
    """The lessons' world: `World.standard` on a clock that moves only with ``world.advance``.

    Retries then happen exactly when the lesson says, so every run prints the same times.
    The world stops when the kernel exits.
    """
    return World.standard(clock=ManualClock())
