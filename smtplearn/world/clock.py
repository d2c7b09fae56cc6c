"""The world's clock: real time plus however far a lesson has skipped ahead.

Mail servers retry after minutes and give up after days (RFC 5321 §4.5.4.1). A lesson
cannot wait that long, so the queue reads this clock and ``clock.advance(minutes=30)``
makes half an hour pass at once. Tests use `ManualClock`, which never moves by itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class WorldClock:
    """Seconds since the world started: real elapsed time plus every `advance`."""

    #: The queue may sleep until the next retry falls due (False: only `advance` moves time).
    moves_by_itself = True

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._start = time.monotonic()
        self._skipped = 0.0
        self._listeners: list[Callable[[], None]] = []

    def _elapsed(self) -> float:
        return time.monotonic() - self._start

    def now(self) -> float:
        with self._lock:
            return self._elapsed() + self._skipped

    def advance(self, seconds: float = 0.0, *, minutes: float = 0.0, hours: float = 0.0) -> float:
        """Skip ahead; returns the new time. Anything that falls due now runs."""
        step = seconds + 60 * minutes + 3600 * hours
        if step < 0:
            raise ValueError("the world's clock only moves forward")
        with self._lock:
            self._skipped += step
        for listener in list(self._listeners):
            listener()
        return self.now()

    def add_listener(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)


class ManualClock(WorldClock):
    """A clock that stands still until `advance` is called (for tests)."""

    moves_by_itself = False

    def _elapsed(self) -> float:
        return 0.0
