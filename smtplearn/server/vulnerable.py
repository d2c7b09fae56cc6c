"""The DebugServer's deliberately vulnerable mode, for the attack lesson only.

RFC 5321 §4.1.1.4 ends the message data with CRLF "." CRLF, and §2.3.8 forbids a bare CR
or LF in SMTP text. Servers that also took another line break around the dot (``\\n.\\n``,
``\\r.\\r``, ``\\r\\n.\\n``...) as the end of the data could be sent a *second* message
hidden inside the first: the sender's relay passes the whole text on as one message, and
the vulnerable receiver reads the rest as new commands (SMTP smuggling). With
``DebugServer(vulnerable=("smuggling",))`` the server behaves like one of those servers, so a
lesson can show the attack work before it shows the defence; by default it refuses any
message with a bare CR or LF (`smtplearn.server.handler`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from typing import Any

__all__ = ["SMUGGLING_VARIANTS", "VULNERABILITIES", "SmugglingReader", "check_vulnerable", "lax_end_of_data"]

#: The vulnerabilities a DebugServer can be asked to have.
VULNERABILITIES = ("smuggling",)

#: End-of-data look-alikes a smuggler tries: every "." between two line breaks but CRLF.CRLF.
SMUGGLING_VARIANTS: dict[str, bytes] = {
    "LF.LF": b"\n.\n",
    "CR.CR": b"\r.\r",
    "CRLF.LF": b"\r\n.\n",
    "LF.CRLF": b"\n.\r\n",
    "CR.CRLF": b"\r.\r\n",
    "CRLF.CR": b"\r\n.\r",
}

_LINE_BREAK = b"\r\n"


def check_vulnerable(vulnerable: Collection[str]) -> frozenset[str]:
    """The vulnerabilities asked for, each one checked by name."""
    if isinstance(vulnerable, (str, bytes)) or not isinstance(vulnerable, Collection):
        raise TypeError(
            f"vulnerable must be a collection of names such as ('smuggling',), not {vulnerable!r}"
        )
    unknown = [name for name in vulnerable if name not in VULNERABILITIES]
    if unknown:
        raise ValueError(f"unknown vulnerability {unknown[0]!r}: the DebugServer knows {VULNERABILITIES}")
    return frozenset(vulnerable)


def greeting_ident(vulnerable: Collection[str]) -> str:
    """The text after the host name in the 220 greeting."""
    # The greeting is the first thing any client sees: a vulnerable server says so there.
    if not vulnerable:
        return "ESMTP smtplearn DebugServer"
    return f"ESMTP smtplearn DebugServer DELIBERATELY VULNERABLE to {', '.join(vulnerable)}"


def lax_end_of_data(chunk: bytes) -> tuple[bytes, bytes, bytes] | None:
    """Where a lax server would end the data in `chunk`, which starts at a line's start.

    Returns (the last data line, ended in CRLF or empty; the end it took, such as
    ``b"\\n.\\n"``; what follows the end), or None when
    there is no "." between line breaks of any kind. `chunk` is what one DATA line read
    returns, so it never holds CRLF "." CRLF inside it.
    """
    for dot in range(len(chunk) - 1):
        if chunk[dot] != ord(".") or chunk[dot + 1] not in _LINE_BREAK:
            continue
        if dot > 0 and chunk[dot - 1] not in _LINE_BREAK:
            continue
        after = dot + (3 if chunk[dot + 1 : dot + 3] == b"\r\n" else 2)
        before = chunk[:dot]
        text = before.removesuffix(b"\n").removesuffix(b"\r")
        last_line = text + b"\r\n" if before else b""
        # A chunk starts where the previous line's CRLF ended: that CRLF is part of the end.
        end = chunk[len(text) : after] if before else b"\r\n" + chunk[:after]
        return last_line, end, chunk[after:]
    return None


class SmugglingReader:
    """A StreamReader wrapper that ends DATA at any "." between line breaks, as lax servers did.

    aiosmtpd reads message lines with ``readuntil(b"\\r\\n")`` and ends the data only at the
    line ``.\\r\\n``; this reader hands it that line where a lax server would see the end,
    keeps the bytes after it, and serves them to the next reads: aiosmtpd then reads them
    as commands, which is the vulnerability. `on_lax_end` is told the end it took.
    """

    __slots__ = ("_carry", "_inner", "_lax_end", "_on_lax_end")
    _inner: asyncio.StreamReader
    _on_lax_end: Callable[[bytes], None]
    #: Bytes already read from the socket that the next reads return first.
    _carry: bytes
    #: The look-alike taken for the end, reported when the "." line it stands for is read.
    _lax_end: bytes

    def __init__(self, reader: asyncio.StreamReader, on_lax_end: Callable[[bytes], None]) -> None:
        object.__setattr__(self, "_inner", reader)
        object.__setattr__(self, "_on_lax_end", on_lax_end)
        object.__setattr__(self, "_carry", b"")
        object.__setattr__(self, "_lax_end", b"")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __setattr__(self, name: str, value: Any) -> None:
        # aiosmtpd sets ``_transport`` on the reader at STARTTLS: it belongs to the real one.
        if name in SmugglingReader.__slots__:
            object.__setattr__(self, name, value)
        else:
            setattr(self._inner, name, value)

    async def _until(self, separator: bytes) -> bytes:
        found = self._carry.find(separator)
        if found != -1:
            line, self._carry = self._carry[: found + len(separator)], self._carry[found + len(separator) :]
            return line
        carried, self._carry = self._carry, b""
        try:
            return carried + await self._inner.readuntil(separator)
        except BaseException:
            # An over-long line or a lost connection: the bytes read so far are not lost.
            self._carry = carried + self._carry
            raise

    async def readuntil(self, separator: bytes = b"\n") -> bytes:
        chunk = await self._until(separator)
        if separator != b"\r\n":
            return chunk
        # A DATA line (commands are read up to b"\n"): look for a lax end of the data.
        lax = lax_end_of_data(chunk)
        if lax is None or chunk == b".\r\n":
            if chunk == b".\r\n" and self._lax_end:
                self._on_lax_end(self._lax_end)
                self._lax_end = b""
            return chunk
        last_line, end, rest = lax
        self._carry = (b".\r\n" if last_line else b"") + rest + self._carry
        if last_line:
            self._lax_end = end
            return last_line
        self._on_lax_end(end)
        return b".\r\n"

    async def readline(self) -> bytes:
        return await self._until(b"\n") if self._carry else await self._inner.readline()

    async def read(self, n: int = -1) -> bytes:
        if self._carry:
            if n < 0:
                data, self._carry = self._carry, b""
            else:
                data, self._carry = self._carry[:n], self._carry[n:]
            return data
        return await self._inner.read(n)
