"""What the DebugServer received: `ReceivedMessage` records, the `Mailbox` and Maildir storage.

The server thread appends; the notebook's thread reads and waits. Nothing here speaks SMTP.
"""

from __future__ import annotations

import mailbox as stdlib_mailbox
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from functools import cached_property
from typing import overload

from smtplearn.server.listeners import ServerThreadGuard, notify, wait_until


@dataclass(frozen=True)
class ReceivedMessage:
    """One message the server accepted (it replied 250 to the end of DATA).

    `raw` holds the message bytes exactly as received, after the transparency dots were
    removed (RFC 5321 §4.5.2); it has no Received or Return-Path header added.
    """

    #: The id given in the 250 reply ("250 2.0.0 <queue_id> Message accepted for delivery").
    queue_id: str
    #: The reverse-path from MAIL FROM ("" for the null sender ``<>``).
    mail_from: str
    #: Every forward-path accepted with RCPT TO, in order, Bcc recipients included.
    rcpt_tos: tuple[str, ...]
    raw: bytes = field(repr=False)
    #: The client's address as (host, port).
    peer: tuple[str, int]
    #: The name the client gave in EHLO or HELO.
    helo: str | None
    #: "TLSv1.3" and the like, or None when the message came over plain text.
    tls_version: str | None
    #: The AUTH user, or None when the client did not authenticate.
    user: str | None
    received_at: datetime
    #: MAIL FROM parameters such as "SIZE=266" or "BODY=8BITMIME", upper-cased.
    mail_options: tuple[str, ...] = ()
    #: The `SessionLog.number` of the session that delivered it.
    session: int = 0

    @cached_property
    def message(self) -> EmailMessage:
        """`raw` parsed with the modern email policy (parsed once, on first use)."""
        # The server refuses bare CR and LF, so every line ends in CRLF; parsing with plain
        # newlines gives the same message without "\r" left in every body line.
        return BytesParser(policy=policy.default).parsebytes(self.raw.replace(b"\r\n", b"\n"))

    @property
    def subject(self) -> str | None:
        """The Subject header, or None."""
        subject = self.message["Subject"]
        return None if subject is None else str(subject)

    def __repr__(self) -> str:
        head = self.raw[:40]
        more = "…" if len(self.raw) > len(head) else ""
        return (
            f"<ReceivedMessage {self.queue_id} from {self.mail_from!r} to {list(self.rcpt_tos)!r}"
            f", {len(self.raw)} bytes, subject {self.subject!r}, raw={head!r}{more}>"
        )


#: Messages a mailbox keeps by default (a day of class sends a few thousand).
KEEP_MESSAGES = 10_000
#: Octets of raw messages a mailbox keeps by default.
KEEP_BYTES = 100 * 1024 * 1024


class Mailbox(Sequence[ReceivedMessage]):
    """The messages the server accepted, oldest first; list-like and safe to read while it grows.

    Use `wait_for` rather than sleeping: the 250 a client sees and the message appearing
    here happen in the same step on the server thread, but the client may be another thread.
    It keeps at most `keep_messages` messages of `keep_bytes` octets in all (the newest
    always): older ones are dropped, `dropped` counts them and the repr says so. A Maildir
    on disk keeps every message.
    """

    def __init__(self, keep_messages: int = KEEP_MESSAGES, keep_bytes: int = KEEP_BYTES) -> None:
        for name, value in (("mailbox_messages", keep_messages), ("mailbox_bytes", keep_bytes)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive whole number, not {value!r}")
        self.keep_messages = keep_messages
        self.keep_bytes = keep_bytes
        #: How many messages were dropped to stay within the limits (since the last `clear`).
        self.dropped = 0
        self._bytes = 0
        self._messages: list[ReceivedMessage] = []
        self._changed = threading.Condition()
        self._listeners: list[Callable[[ReceivedMessage], None]] = []
        #: Set by `DebugServer.start`: `wait_for` refuses to run where listeners run.
        self.server_thread = ServerThreadGuard()

    def _append(self, message: ReceivedMessage) -> None:
        with self._changed:
            self._messages.append(message)
            self._bytes += len(message.raw)
            while len(self._messages) > 1 and (
                len(self._messages) > self.keep_messages or self._bytes > self.keep_bytes
            ):
                self._bytes -= len(self._messages.pop(0).raw)
                self.dropped += 1
            listeners = list(self._listeners)
            self._changed.notify_all()
        notify(listeners, message, what="mailbox")

    def add_listener(self, listener: Callable[[ReceivedMessage], None]) -> None:
        """Call `listener(message)` on the server thread for each message from now on."""
        with self._changed:
            self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[ReceivedMessage], None]) -> None:
        """Stop calling `listener`; no error if it was not added."""
        with self._changed:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Block until at least `count` messages have arrived; return those kept.

        Raises `TimeoutError` saying how many arrived when `timeout` seconds pass first, and
        `RuntimeError` at once when called from a listener (on the server's thread).
        """
        self.server_thread.refuse_wait("each message")
        with self._changed:
            wait_until(
                self._changed,
                lambda: len(self._messages) + self.dropped >= count,
                timeout,
                lambda: f"waited {timeout} s for {count} message(s), the mailbox has {len(self._messages)}",
            )
            return list(self._messages)

    def clear(self) -> None:
        """Forget every message (a Maildir on disk is left alone)."""
        with self._changed:
            self._messages.clear()
            self._bytes = 0
            self.dropped = 0

    @overload
    def __getitem__(self, index: int) -> ReceivedMessage: ...
    @overload
    def __getitem__(self, index: slice) -> list[ReceivedMessage]: ...
    def __getitem__(self, index: int | slice) -> ReceivedMessage | list[ReceivedMessage]:
        with self._changed:
            return self._messages[index]

    def __len__(self) -> int:
        with self._changed:
            return len(self._messages)

    def __iter__(self) -> Iterator[ReceivedMessage]:
        with self._changed:
            return iter(list(self._messages))

    def __repr__(self) -> str:
        dropped = (
            f"; {self.dropped:,} older ones dropped, it keeps {self.keep_messages:,} messages "
            f"of {self.keep_bytes:,} octets (DebugServer(mailbox_messages=..., mailbox_bytes=...))"
            if self.dropped
            else ""
        )
        return f"<Mailbox with {len(self)} message(s){dropped}>"


def store_in_maildir(path: str, message: ReceivedMessage) -> str:
    """Deliver `message` into the Maildir at `path` (created if missing); return its key.

    The caller replies 250 only after this returns, so a 250 means the message is on disk:
    `mailbox.Maildir.add` fsyncs the file, and we fsync the ``new/`` directory so the
    rename into it survives a crash too.
    """
    # `Maildir(create=True)` makes tmp/, new/ and cur/ only when `path` itself is missing, so
    # an instructor's fresh `mkdir class-mail` would fail every delivery: make them here.
    for folder in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(path, folder), exist_ok=True)
    maildir = stdlib_mailbox.Maildir(path, create=True)
    # A delivery agent records the envelope sender in Return-Path (RFC 5321 §4.4).
    # On disk a Maildir message has the local line ending, as every delivery agent writes it.
    text = b"Return-Path: <" + message.mail_from.encode() + b">\n"
    key = maildir.add(text + message.raw.replace(b"\r\n", b"\n"))
    new_dir = os.open(os.path.join(path, "new"), os.O_RDONLY)
    try:
        os.fsync(new_dir)
    finally:
        os.close(new_dir)
    return key
