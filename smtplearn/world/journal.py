"""`Journal`: what a `World`'s hosts and relay report, and where they hand a message on.

Each message has a `Journey`; each thing that happens to it is a `Hop` at world time; a
message that moves on becomes a `QueueEntry`. The world's mail hosts (`hosts.py`: submission
took a message, an MX forwards an alias) and its relay (`relay.py`: each DNS lookup,
attempt, deferral, delivery and bounce) report here, through this one narrow object, rather
than into the `World` itself.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from email.parser import BytesHeaderParser

from smtplearn.record import Transcript
from smtplearn.server import ReceivedMessage
from smtplearn.world.clock import WorldClock
from smtplearn.world.queue import Queue, QueueEntry
from smtplearn.world.resolver import DnsQuery
from smtplearn.world.trace import Hop, Journey


class Journal:
    """The journeys of a world's messages, stamped with its clock, and the door to its queue.

    Thread-safe: the submission and MX servers report from their own threads, the relay from
    the queue runner's.
    """

    def __init__(self, clock: WorldClock, queue: Queue) -> None:
        self.clock = clock
        self.queue = queue
        #: Every journey, oldest first (`World.journeys`).
        self.journeys: list[Journey] = []
        self._lock = threading.Lock()

    def start(self, message_id: str, mail_from: str, recipients: Sequence[str], subject: str) -> Journey:
        """A new journey, for a message the world is about to submit (`World.submit`)."""
        journey = Journey(message_id, mail_from, recipients, subject)
        with self._lock:
            self.journeys.append(journey)
        return journey

    def journey_for(self, message: ReceivedMessage) -> Journey:
        """The journey of a message a host's server just took (found by Message-ID, else new).

        A message submitted with `World.submit` or relayed on keeps its journey; one the
        learner's own `Client` sent straight to an MX starts one here.
        """
        message_id = BytesHeaderParser().parsebytes(message.raw)["Message-ID"]
        with self._lock:
            found = next((j for j in reversed(self.journeys) if j.message_id == message_id), None)
        if found is not None:
            return found
        return self.start(
            str(message.message["Message-ID"] or message.queue_id),
            message.mail_from,
            message.rcpt_tos,
            message.subject or "",
        )

    def hop(
        self,
        kind: str,
        host: str,
        summary: str,
        *,
        transcript: Transcript | None = None,
        queries: tuple[DnsQuery, ...] = (),
        recipient: str = "",
    ) -> Hop:
        """An event of `kind` (one of `trace.HOP_KINDS`) at `host`, stamped with the world's time now."""
        return Hop(
            self.clock.now(), kind, host, summary, transcript=transcript, queries=queries, recipient=recipient
        )

    def enqueue(
        self,
        host: str,
        mail_from: str,
        recipient: str,
        raw: bytes,
        journey: Journey,
        arrived: datetime,
        *,
        forwarded_from: str = "",
    ) -> None:
        """Queue `raw` at `host` for one `recipient`, due now (the queue runner tries it next)."""
        entry = QueueEntry(
            self.queue.next_id(),
            host,
            mail_from.strip("<>"),
            recipient.strip("<>"),
            raw,
            arrived,
            journey,
            self.clock.now(),
            forwarded_from=forwarded_from,
        )
        self.queue.put(entry)
