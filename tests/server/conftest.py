"""Fixtures for DebugServer tests: a running server and a raw-socket SMTP peer.

The independent clients are the standard library's smtplib and plain sockets; nothing
here imports smtplearn's own client.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Iterator

import pytest

from smtplearn.server import DebugServer


class RawPeer:
    """A line-oriented SMTP client on a bare socket, for the bytes smtplib will not send."""

    def __init__(self, address: tuple[str, int], tls: ssl.SSLContext | None = None) -> None:
        sock = socket.create_connection(address, timeout=10)
        if tls is not None:
            sock = tls.wrap_socket(sock, server_hostname=address[0])
        self.sock = sock
        self._file = sock.makefile("rb")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reply(self) -> tuple[int, list[str]]:
        """Read one complete (possibly multi-line) reply: its code and its lines' text."""
        lines = []
        while True:
            line = self._file.readline()
            if not line:
                raise ConnectionError(f"connection closed; reply so far {lines!r}")
            text = line.decode("utf-8", errors="replace").rstrip("\r\n")
            lines.append(text[4:])
            if text[3:4] != "-":
                return int(text[:3]), lines

    def command(self, line: bytes) -> tuple[int, list[str]]:
        self.send(line + b"\r\n")
        return self.reply()

    def at_eof(self) -> bool:
        """True when the server has closed the connection (reads nothing more)."""
        try:
            return self._file.read(1) == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self._file.close()
        self.sock.close()


@pytest.fixture
def server() -> Iterator[DebugServer]:
    with DebugServer() as running:
        yield running


@pytest.fixture
def raw() -> Iterator[Callable[..., RawPeer]]:
    """Open RawPeers (greeting already read); all are closed after the test."""
    peers: list[RawPeer] = []

    def connect(
        address: tuple[str, int], tls: ssl.SSLContext | None = None, greeting: bool = True
    ) -> RawPeer:
        peer = RawPeer(address, tls)
        peers.append(peer)
        if greeting:
            code, _ = peer.reply()
            assert code == 220
        return peer

    yield connect
    for peer in peers:
        peer.close()
