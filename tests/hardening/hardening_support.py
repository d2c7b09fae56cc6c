"""Shared parts of the hardening suites: hypothesis settings, a raw SMTP socket, waiting helpers.

Hypothesis: these suites always run at least 2,000 examples per property (the "hardening"
profile, also in CI); ``SMTPLEARN_FUZZ=long`` selects a 50,000-example local run. The
profiles are applied per test with ``@FUZZ`` so that other suites keep their own settings.
"""

from __future__ import annotations

import os
import socket
import ssl
import time
from collections.abc import Callable
from types import TracebackType

from hypothesis import HealthCheck, settings

settings.register_profile(
    "hardening", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "hardening-long", max_examples=50_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
FUZZ = settings(
    settings.get_profile("hardening-long" if os.environ.get("SMTPLEARN_FUZZ") == "long" else "hardening")
)

#: How long a raw session waits for any one reply before the test fails (a hang guard).
REPLY_TIMEOUT = 10.0


class RawSession:
    """A bare TCP socket speaking SMTP by hand, for sending what no real client would."""

    def __init__(self, address: tuple[str, int], timeout: float = REPLY_TIMEOUT) -> None:
        self.sock: socket.socket = socket.create_connection(address, timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer = b""

    def __enter__(self) -> RawSession:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reply(self) -> tuple[int, bytes] | None:
        """The next complete reply (code, raw bytes); None when the server closed instead."""
        while True:
            end = self._complete_reply_end()
            if end is not None:
                raw, self._buffer = self._buffer[:end], self._buffer[end:]
                return int(raw[:3]), raw
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                data = b""
            if not data:
                assert not self._buffer, f"connection closed after a partial reply: {self._buffer!r}"
                return None
            self._buffer += data

    def _complete_reply_end(self) -> int | None:
        # RFC 5321 §4.2: the last line of a reply has a space (or nothing) after the code.
        start = 0
        while (newline := self._buffer.find(b"\r\n", start)) != -1:
            line = self._buffer[start:newline]
            if len(line) < 4 or line[3:4] == b" ":
                return newline + 2
            start = newline + 2
        return None

    def expect(self, code: int) -> bytes:
        """Read one reply and check its code; return its bytes."""
        got = self.reply()
        assert got is not None, f"expected {code}, the server closed the connection"
        assert got[0] == code, f"expected {code}, got {got[1]!r}"
        return got[1]

    def expect_class(self, first_digit: int) -> bytes:
        got = self.reply()
        assert got is not None, f"expected a {first_digit}xx reply, the server closed the connection"
        assert got[0] // 100 == first_digit, f"expected {first_digit}xx, got {got[1]!r}"
        return got[1]

    def command(self, line: bytes, code: int) -> bytes:
        self.send(line + b"\r\n")
        return self.expect(code)

    def greet(self, name: bytes = b"raw.example.test") -> None:
        self.expect(220)
        self.command(b"EHLO " + name, 250)

    def starttls(self, context: ssl.SSLContext, hostname: str) -> None:
        self.command(b"STARTTLS", 220)
        self.sock = context.wrap_socket(self.sock, server_hostname=hostname)
        self.command(b"EHLO raw.example.test", 250)

    def closed_by_server(self) -> bool:
        """Wait for the server to close; True if it did (any unread replies are dropped)."""
        try:
            while data := self.sock.recv(65536):
                self._buffer += data
        except (ConnectionResetError, ssl.SSLEOFError):
            return True
        except TimeoutError:
            return False
        return True

    def close(self) -> None:
        self.sock.close()


def wait_until(condition: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    """Poll `condition` until it holds; fail the test (not flakily: 10 s is generous) if it never does."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting {timeout} s for {what}")
        time.sleep(0.01)
