"""SMTP replies: the `Reply` record and the incremental reply parser.

No I/O lives here: the parser is fed bytes and hands back complete replies.
"""

from __future__ import annotations

from dataclasses import dataclass

from smtplearn.protocol.errors import LocalProtocolError, RemoteProtocolError
from smtplearn.protocol.grammar import (
    ENHANCED_CODE,
    MAX_REPLY,
    REPLY_CODES,
    REPLY_SEPARATORS,
)
from smtplearn.protocol.grammar import MAX_REPLY_LINE as MAX_LINE

__all__ = ["ENHANCED_CODE", "MAX_LINE", "MAX_REPLY", "Reply", "ReplyParser"]


@dataclass(frozen=True)
class Reply:
    """One complete SMTP reply, possibly spread over several lines (RFC 5321 §4.2).

    `lines` holds the text of each line without its code and separator; `raw` is
    every byte of the reply exactly as received.
    """

    code: int
    lines: tuple[str, ...]
    raw: bytes = b""

    @property
    def text(self) -> str:
        """All lines joined by newlines, as smtplib returns them."""
        return "\n".join(self.lines)

    @property
    def enhanced_code(self) -> str | None:
        """The RFC 3463 status code at the start of the first line, e.g. ``"2.1.0"``."""
        match = ENHANCED_CODE.match(self.lines[0]) if self.lines else None
        # RFC 3463 §2: the class digit repeats the reply's first digit; "550 2.1.1" is text.
        if match is None or match.group(1) != str(self.reply_class):
            return None
        return ".".join(match.groups())

    @property
    def message(self) -> str:
        """The text with the enhanced status code taken off each line."""
        return "\n".join(ENHANCED_CODE.sub("", line, count=1) for line in self.lines)

    @property
    def reply_class(self) -> int:
        """The first digit: 2 success, 3 go on, 4 try later, 5 failed (RFC 5321 §4.2.1)."""
        return self.code // 100

    @property
    def is_positive(self) -> bool:
        """True for 2xx and 3xx: the server accepted (or wants the rest of) the command."""
        return self.reply_class in (2, 3)

    @property
    def is_transient(self) -> bool:
        """True for 4xx: the command failed but the same command may work later."""
        return self.reply_class == 4

    @property
    def is_permanent(self) -> bool:
        """True for 5xx: the command failed and repeating it will not help."""
        return self.reply_class == 5

    def __str__(self) -> str:
        return "\n".join(f"{self.code} {line}" for line in self.lines)


class ReplyParser:
    """Turns bytes from the server into complete `Reply` objects, in order.

    Feed it any chunks (one byte at a time gives the same replies); ask for
    `next_reply()` until it returns None, which means "feed me more bytes".
    Anything that is not a valid reply raises `RemoteProtocolError`, and nothing else.
    """

    def __init__(self) -> None:
        # Every byte not yet handed out as a Reply: the lines of a reply in progress
        # stay here until its last line arrives, so `discard()` can drop them too.
        self._buffer = bytearray()
        # Where the next unparsed line starts inside `_buffer`.
        self._scanned = 0
        self._code: int | None = None
        self._lines: list[str] = []
        self._eof = False

    @property
    def buffered(self) -> bytes:
        """The bytes received but not yet returned as part of a reply."""
        return bytes(self._buffer)

    @property
    def eof(self) -> bool:
        """True once `feed_eof()` was called: the server closed the connection."""
        return self._eof

    def feed(self, data: bytes) -> None:
        """Add bytes received from the server."""
        if self._eof:
            raise LocalProtocolError("received data after the end of the stream")
        self._buffer += data

    def feed_eof(self) -> None:
        """Note that the server closed the connection: no more bytes will come."""
        self._eof = True

    def discard(self) -> bytes:
        """Drop every buffered byte and return it.

        RFC 3207 §5: after STARTTLS's 220, bytes that were already waiting arrived in
        clear text; treating them as part of the TLS session is the "STARTTLS command
        injection" attack (CVE-2011-0411). The client throws them away before the
        handshake.
        """
        dropped = bytes(self._buffer)
        self._buffer.clear()
        self._scanned = 0
        self._code = None
        self._lines = []
        return dropped

    def next_reply(self) -> Reply | None:
        """Return the next complete reply, or None if more bytes are needed."""
        while True:
            end = self._buffer.find(b"\n", self._scanned)
            if end == -1:
                self._check_incomplete()
                return None
            line = bytes(self._buffer[self._scanned : end + 1])
            self._scanned = end + 1
            if self._scanned > MAX_REPLY:
                raise RemoteProtocolError(f"reply longer than {MAX_REPLY} bytes")
            if self._parse_line(line):
                raw = bytes(self._buffer[: self._scanned])
                assert self._code is not None
                reply = Reply(self._code, tuple(self._lines), raw)
                del self._buffer[: self._scanned]
                self._scanned = 0
                self._code = None
                self._lines = []
                return reply

    def _check_incomplete(self) -> None:
        partial = len(self._buffer) - self._scanned
        # Raise as soon as no ending could bring the line or reply within bounds, so
        # a server that never sends a line feed cannot make us buffer forever.
        if partial + 1 > MAX_LINE:
            raise RemoteProtocolError(f"reply line longer than {MAX_LINE} bytes")
        if len(self._buffer) + 1 > MAX_REPLY:
            raise RemoteProtocolError(f"reply longer than {MAX_REPLY} bytes")
        if self._eof and self._buffer:
            raise RemoteProtocolError("connection closed in the middle of a reply")

    # The reply-line grammar (RFC 5321 §4.2) is quoted in `smtplearn.protocol.grammar`.
    # A line ending in a bare LF is accepted (RFC 5321 §4.1.1.4 asks receivers to be
    # forgiving); `raw` keeps whatever ending was sent.
    def _parse_line(self, line: bytes) -> bool:
        """Record one line of the reply in progress; return True if it was the last."""
        if len(line) > MAX_LINE:
            raise RemoteProtocolError(f"reply line longer than {MAX_LINE} bytes")
        body = line[:-2] if line.endswith(b"\r\n") else line[:-1]
        digits = body[:3]
        if len(digits) < 3 or not digits.isdigit():  # bytes.isdigit() is ASCII-only
            raise RemoteProtocolError(f"reply line does not start with a 3-digit code: {line!r}")
        code = int(digits)
        if code not in REPLY_CODES:
            raise RemoteProtocolError(f"reply code {code} is outside 200-599: {line!r}")
        if self._code is not None and code != self._code:
            raise RemoteProtocolError(
                f"multi-line reply changed its code from {self._code} to {code}: {line!r}"
            )
        separator = body[3:4]
        if separator not in REPLY_SEPARATORS:
            raise RemoteProtocolError(
                f"reply code must be followed by a space, '-' or the line end: {line!r}"
            )
        self._code = code
        self._lines.append(body[4:].decode("utf-8", errors="replace"))
        return separator != b"-"
