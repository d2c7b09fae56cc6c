"""The relay's queue: messages waiting for delivery, and when each is tried again.

A 250 at the end of DATA means the server took responsibility for the message (RFC 5321
§6.1): it must keep it until it is delivered or bounced. Temporary failures (4xx, an
unreachable server, a DNS timeout) are retried on a `RetrySchedule` (RFC 5321 §4.5.4.1: at
least 30 minutes apart and for at least 4-5 days on the internet); when the schedule runs
out the message bounces.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from smtplearn.world.trace import Journey

#: Real MTAs retry for days; this schedule (seconds after each failure) is the world's
#: default, and lessons skip through it with ``world.clock.advance``.
DEFAULT_RETRY_DELAYS = (300.0, 900.0, 1800.0, 3600.0)


@dataclass(frozen=True)
class RetrySchedule:
    """Seconds to wait after the 1st, 2nd... temporary failure; then give up and bounce."""

    delays: Sequence[float] = DEFAULT_RETRY_DELAYS

    def next_delay(self, failures: int) -> float | None:
        """The wait after `failures` failed attempts, or None when it is time to give up."""
        return self.delays[failures - 1] if failures <= len(self.delays) else None


@dataclass
class QueueEntry:
    """One message for one recipient, waiting at one host."""

    queue_id: str
    host: str
    mail_from: str
    recipient: str
    raw: bytes = field(repr=False)
    arrived: datetime
    journey: Journey
    due: float
    failures: int = 0
    last_error: str = ""
    #: Shown in the journey when the entry is first tried (e.g. "bob@example.net → bob@example.org").
    forwarded_from: str = ""


class Queue:
    """Thread-safe list of `QueueEntry`s ordered by when they fall due."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._entries: list[QueueEntry] = []
        self._ids = itertools.count(1)
        #: Entries being delivered right now (taken out of the queue, not yet settled).
        self._busy = 0
        #: Counts every change, so a waiter cannot miss one made just before it waits.
        self._version = 0

    def next_id(self) -> str:
        with self._changed:
            return f"Q{next(self._ids):05d}"

    def put(self, entry: QueueEntry) -> None:
        with self._changed:
            self._entries.append(entry)
            self._version += 1
            self._changed.notify_all()

    def take_due(self, now: float) -> list[QueueEntry]:
        """Remove and return every entry due at `now` (the caller must `done` each)."""
        with self._changed:
            due = [e for e in self._entries if e.due <= now]
            self._entries = [e for e in self._entries if e.due > now]
            self._busy += len(due)
            return sorted(due, key=lambda e: e.due)

    def done(self, entry: QueueEntry) -> None:
        with self._changed:
            self._busy -= 1
            self._version += 1
            self._changed.notify_all()

    def next_due(self) -> float | None:
        with self._changed:
            return min((e.due for e in self._entries), default=None)

    @property
    def version(self) -> int:
        """A number that changes with every put, finished delivery and `wake`."""
        with self._changed:
            return self._version

    def wait_for_change(self, seen: int, timeout: float | None) -> None:
        """Block until `version` differs from `seen` (or `timeout` seconds pass)."""
        with self._changed:
            self._changed.wait_for(lambda: self._version != seen, timeout)

    def wake(self) -> None:
        with self._changed:
            self._version += 1
            self._changed.notify_all()

    def wait_settled(self, now: float, timeout: float) -> bool:
        """Block until nothing is due at `now` and nothing is being delivered."""
        with self._changed:
            return self._changed.wait_for(
                lambda: self._busy == 0 and all(e.due > now for e in self._entries), timeout
            )

    @property
    def entries(self) -> tuple[QueueEntry, ...]:
        """What waits now (like ``mailq``)."""
        with self._changed:
            return tuple(self._entries)

    def __len__(self) -> int:
        with self._changed:
            return len(self._entries)

    def __repr__(self) -> str:
        return f"<Queue with {len(self)} waiting>"
