"""The server-side session log: what each connection sent and what the server replied.

`SessionLog` is one connection, `SessionLogs` all of them. `RecordingReader` sits between
aiosmtpd and its stream reader and reports every line aiosmtpd consumes; the SMTP protocol
class (`smtplearn.server.protocol`) decides what kind of line it was and redacts credentials
before anything is stored here.
"""

from __future__ import annotations

import asyncio
import collections
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal, overload

from smtplearn.protocol.visible import visible
from smtplearn.server.aiosmtpd_adapter import has_buffered_data
from smtplearn.server.listeners import ServerThreadGuard, notify, wait_until

#: Who produced an event: the client ("C"), the server ("S"), or a note from the log ("*").
Direction = Literal["C", "S", "*"]
#: What the event is: a command line, a line of message data, a line of an AUTH exchange
#: (always redacted), a reply, or a note (connection opened, TLS started, closed...).
EventKind = Literal["command", "data", "auth", "reply", "note"]

#: Longest line text kept in the log; the rest is summarised by its length.
SHOWN_CHARS = 200
#: Events kept per session by default: a lesson's session has tens; a flood of 100,000
#: NOOPs would otherwise keep 200,000 (32 MiB measured).
KEEP_EVENTS = 500
#: Sessions kept by default: the last hour or two of a class. At worst (every session full
#: of 200-character lines) the log then holds about 100 MiB; a normal day, a few.
KEEP_SESSIONS = 500


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """One line of a session as the server saw it, credentials redacted, controls escaped."""

    direction: Direction
    kind: EventKind
    text: str
    #: True when the line travelled inside TLS.
    tls: bool
    #: How a client line ended on the wire: "\r\n", a bare "\n" (which RFC 5321 §2.3.8
    #: forbids), or "" (cut short); "" for replies and notes too.
    ending: str = ""

    def __str__(self) -> str:
        return f"{self.direction}: {self.text}" if self.direction != "*" else f"-- {self.text}"


class SessionLog:
    """One client connection: its events in order and the facts the server learned.

    The server thread appends while the connection lives; reading from another thread
    is safe and gives a snapshot. At most `keep_events` events are kept: the first nine
    tenths and the last tenth, with a note in between saying how many were dropped.
    """

    def __init__(self, number: int, peer: tuple[str, int], keep_events: int = KEEP_EVENTS) -> None:
        #: 1 for the server's first session, 2 for the next...
        self.number = number
        self.peer = peer
        self.started_at = datetime.now(timezone.utc)
        self.ended_at: datetime | None = None
        self.helo: str | None = None
        self.tls_version: str | None = None
        self.user: str | None = None
        self._events: list[SessionEvent] = []
        # Once the head is full, the newest events, of which the oldest fall out.
        self._head_size = keep_events - keep_events // 10
        self._tail: collections.deque[SessionEvent] = collections.deque(maxlen=keep_events // 10)
        #: How many events were not kept.
        self.dropped = 0
        self._lock = threading.Lock()
        self._ended = threading.Event()
        self._listeners: list[Callable[[SessionLog, SessionEvent], None]] = []

    def _add(self, event: SessionEvent) -> None:
        with self._lock:
            if len(self._events) < self._head_size:
                self._events.append(event)
                shown: SessionEvent | None = event
            else:
                if len(self._tail) == self._tail.maxlen:
                    self.dropped += 1
                self._tail.append(event)
                # Past the head, listeners (a console) hear the server's own notes only,
                # and once that the log is full.
                first = len(self._tail) == 1
                shown = self._notice(event.tls) if first else event if event.direction == "*" else None
            listeners = list(self._listeners) if shown is not None else []
        if shown is not None:
            notify(listeners, self, shown, what="session log")

    def _remove_listener(self, listener: Callable[[SessionLog, SessionEvent], None]) -> None:
        with self._lock:
            self._listeners = [kept for kept in self._listeners if kept != listener]

    def _notice(self, tls: bool) -> SessionEvent:
        kept = f"its first {self._head_size:,} and last {self._tail.maxlen or 0:,} events"
        if self.dropped:
            text = f"{self.dropped:,} events not kept: this session's log keeps {kept}"
        else:
            text = f"session log full: from here on it keeps only {kept}"
        return SessionEvent("*", "note", f"{text} (DebugServer(log_events_per_session=...))", tls)

    @property
    def events(self) -> tuple[SessionEvent, ...]:
        """The events kept so far, oldest first (see the class for what is dropped)."""
        with self._lock:
            if not self.dropped:
                return (*self._events, *self._tail)
            return (*self._events, self._notice(self._tail[0].tls), *self._tail)

    @property
    def received(self) -> tuple[str, ...]:
        """The text of each line the client sent (commands, data, redacted AUTH lines)."""
        return tuple(e.text for e in self.events if e.direction == "C")

    @property
    def replies(self) -> tuple[str, ...]:
        """The text of each reply line the server sent."""
        return tuple(e.text for e in self.events if e.direction == "S")

    @property
    def closed(self) -> bool:
        return self._ended.is_set()

    def _close(self) -> None:
        self.ended_at = datetime.now(timezone.utc)
        self._ended.set()

    def wait_closed(self, timeout: float = 5.0) -> None:
        """Block until the connection is gone; `TimeoutError` after `timeout` seconds."""
        if not self._ended.wait(timeout):
            raise TimeoutError(f"session #{self.number} still open after {timeout} s")

    def __str__(self) -> str:
        return "\n".join(str(event) for event in self.events)

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return (
            f"<SessionLog #{self.number} from {self.peer[0]}:{self.peer[1]}, {state}, "
            f"{len(self.events)} events{f' ({self.dropped:,} dropped)' if self.dropped else ''}, "
            f"helo={self.helo!r}, user={self.user!r}, "
            f"tls={self.tls_version!r}>"
        )


class SessionLogs(Sequence[SessionLog]):
    """The sessions the server has seen, oldest first; list-like and thread-safe.

    At most `keep_sessions` are kept: beyond that the oldest closed session is dropped
    (`dropped` counts them, the repr says so); each keeps at most `keep_events` events.
    """

    def __init__(self, keep_sessions: int = KEEP_SESSIONS, keep_events: int = KEEP_EVENTS) -> None:
        for name, value in (("log_sessions", keep_sessions), ("log_events_per_session", keep_events)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 10:
                raise ValueError(f"{name} must be a whole number of at least 10, not {value!r}")
        self.keep_sessions = keep_sessions
        self.keep_events = keep_events
        #: How many sessions were dropped to stay within `keep_sessions`.
        self.dropped = 0
        self._sessions: list[SessionLog] = []
        self._changed = threading.Condition()
        self._count = 0
        self._listeners: list[Callable[[SessionLog, SessionEvent], None]] = []
        #: Set by `DebugServer.start`: `wait_for` refuses to run where listeners run.
        self.server_thread = ServerThreadGuard()

    def _open(self, peer: tuple[str, int]) -> SessionLog:
        with self._changed:
            self._count += 1
            session = SessionLog(self._count, peer, self.keep_events)
            session._listeners = list(self._listeners)
            self._sessions.append(session)
            if len(self._sessions) > self.keep_sessions:
                oldest = next((s for s in self._sessions if s.closed), self._sessions[0])
                self._sessions.remove(oldest)
                self.dropped += 1
            self._changed.notify_all()
        return session

    def add_listener(self, listener: Callable[[SessionLog, SessionEvent], None]) -> None:
        """Call `listener(session, event)` on the server thread for each event of new sessions."""
        with self._changed:
            self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[SessionLog, SessionEvent], None]) -> None:
        """Stop calling `listener`, for new sessions and the ones already open; no error if absent."""
        with self._changed:
            sessions = list(self._sessions)
            if listener in self._listeners:
                self._listeners.remove(listener)
        for session in sessions:
            session._remove_listener(listener)

    def clear(self) -> None:
        """Forget every session logged so far (numbering continues)."""
        with self._changed:
            self._sessions.clear()
            self.dropped = 0

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[SessionLog]:
        """Block until at least `count` sessions have begun; return those kept.

        A client's ``connect()`` returns before the server has taken the connection, so
        a session can be missing for a moment after it. Raises `TimeoutError` saying how
        many began when `timeout` seconds pass first, and `RuntimeError` at once when called
        from a listener (on the server's thread).
        """
        self.server_thread.refuse_wait("each session's events")
        with self._changed:
            wait_until(
                self._changed,
                lambda: len(self._sessions) + self.dropped >= count,
                timeout,
                lambda: (
                    f"waited {timeout} s for {count} session(s), the server has seen {len(self._sessions)}"
                ),
            )
            return list(self._sessions)

    @overload
    def __getitem__(self, index: int) -> SessionLog: ...
    @overload
    def __getitem__(self, index: slice) -> list[SessionLog]: ...
    def __getitem__(self, index: int | slice) -> SessionLog | list[SessionLog]:
        with self._changed:
            return self._sessions[index]

    def __len__(self) -> int:
        with self._changed:
            return len(self._sessions)

    def __iter__(self) -> Iterator[SessionLog]:
        with self._changed:
            return iter(list(self._sessions))

    def __repr__(self) -> str:
        dropped = (
            f"; {self.dropped:,} older ones dropped, it keeps {self.keep_sessions:,} "
            "(DebugServer(log_sessions=...))"
            if self.dropped
            else ""
        )
        return f"<SessionLogs with {len(self)} session(s){dropped}>"


def line_ending(line: bytes) -> str:
    """How a received line ended: "\r\n", a bare "\n", or "" when it had no line feed."""
    if line.endswith(b"\r\n"):
        return "\r\n"
    return "\n" if line.endswith(b"\n") else ""


def shown(line: bytes, size: int) -> str:
    """A received line as log text: no line ending, long lines cut, escaped for display.

    Invalid UTF-8 and control characters appear as escapes (``\\xff``, ``\\x1b``), so that
    printing a session log in a terminal shows what a client sent and never obeys it.
    `size` is the line's real length, which is more than ``len(line)`` when only the start
    of an over-long line was kept.
    """
    text = line.rstrip(b"\r\n").decode("utf-8", errors="backslashreplace")
    if len(text) > SHOWN_CHARS or size > len(line):
        return f"{visible(text[:SHOWN_CHARS])}… ({size} octets)"
    return visible(text)


class RecordingReader:
    """Wraps aiosmtpd's `asyncio.StreamReader`, reporting each line aiosmtpd reads.

    aiosmtpd reads commands with ``readuntil()``, DATA lines with ``readuntil(b"\\r\\n")``,
    AUTH answers with ``readline()``, and drains an over-long line with ``read(n)`` before
    the ``readuntil()`` that finds its end; the pieces of such a line are reported once,
    as one line. Every other attribute (aiosmtpd sets ``_transport`` and clears ``_buffer``
    on STARTTLS) passes through to the real reader.
    """

    __slots__ = ("_inner", "_on_line", "_pending", "_pending_size")
    _inner: asyncio.StreamReader
    _on_line: Callable[[bytes, int], None]
    _pending: bytes
    _pending_size: int

    def __init__(self, reader: asyncio.StreamReader, on_line: Callable[[bytes, int], None]) -> None:
        object.__setattr__(self, "_inner", reader)
        #: Called with (the line, or its start when it was over-long; its real size).
        object.__setattr__(self, "_on_line", on_line)
        object.__setattr__(self, "_pending", b"")
        object.__setattr__(self, "_pending_size", 0)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    @property
    def has_buffered(self) -> bool:
        """True when data the client sent is waiting: reading the next line will not wait."""
        return has_buffered_data(self._inner)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in RecordingReader.__slots__:
            object.__setattr__(self, name, value)
        else:
            setattr(self._inner, name, value)

    def _emit(self, data: bytes) -> None:
        line = (self._pending + data)[: SHOWN_CHARS * 4]
        size = self._pending_size + len(data)
        self._pending, self._pending_size = b"", 0
        if size:
            self._on_line(line, size)

    async def readuntil(self, separator: bytes = b"\n") -> bytes:
        data = await self._inner.readuntil(separator)
        self._emit(data)
        return data

    async def readline(self) -> bytes:
        data = await self._inner.readline()
        self._emit(data)
        return data

    async def read(self, n: int = -1) -> bytes:
        data = await self._inner.read(n)
        # Only the start of an over-long line is worth keeping: the log shows its length.
        self._pending = (self._pending + data)[: SHOWN_CHARS * 4]
        self._pending_size += len(data)
        return data
