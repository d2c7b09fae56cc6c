"""The blocking transport under `Client`: one TCP socket, optional TLS, timeouts, clear errors.

Only socket and ssl calls live here; nothing in this module knows SMTP.
"""

from __future__ import annotations

import select
import socket
import ssl
import time
from typing import Any

from smtplearn.protocol.errors import SMTPLearnError
from smtplearn.protocol.replies import Reply


class TransportError(SMTPLearnError, OSError):
    """The network failed us: the message names the host, the port and the cause.

    It is an `OSError`, as the standard library's socket errors are, so code written
    for smtplib that catches `OSError` keeps working.
    """

    def __init__(self, host: str, port: int, problem: str) -> None:
        self.host = host
        self.port = port
        super().__init__(f"{host}:{port}: {problem}")

    def __str__(self) -> str:
        # ssl.SSLError (a base of TLSError) would print the args tuple instead.
        return str(self.args[0])


class ConnectError(TransportError, ConnectionError):
    """The TCP connection could not be made (refused, unreachable, no such host)."""


class SMTPTimeoutError(TransportError, TimeoutError):
    """The server did not answer (or accept our bytes) within the client's timeout."""


class ConnectTimeoutError(ConnectError, SMTPTimeoutError):
    """No answer to the connection attempt itself: no socket was ever open."""


class TLSError(TransportError, ssl.SSLError):
    """The TLS handshake failed, most often because the certificate could not be verified.

    It is also an `ssl.SSLError`, so code written for smtplib that catches that still works.
    """


class ConnectionClosedError(TransportError):
    """The server closed the connection while we still expected a reply.

    `reply` is the server's last word when it said one, such as an unasked ``421``.
    """

    def __init__(self, host: str, port: int, problem: str, reply: Reply | None = None) -> None:
        super().__init__(host, port, problem)
        self.reply = reply


class Transport:
    """A connected socket, plain or TLS, that turns low-level failures into `TransportError`s."""

    def __init__(
        self, host: str, port: int, timeout: float, source_address: tuple[str, int] | None = None
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.source_address = source_address
        self._sock: socket.socket | None = None
        self._was_open = False

    @property
    def tls_version(self) -> str | None:
        return self._sock.version() if isinstance(self._sock, ssl.SSLSocket) else None

    def open(self, tls_context: ssl.SSLContext | None = None) -> None:
        """Connect; with a context, start TLS at once (implicit TLS, as on port 465, RFC 8314)."""
        try:
            sock = socket.create_connection(
                (self.host, self.port), timeout=self.timeout, source_address=self.source_address
            )
        except TimeoutError as exc:
            raise ConnectTimeoutError(
                self.host, self.port, f"no answer to the connection attempt within {self.timeout} s"
            ) from exc
        except OSError as exc:
            raise ConnectError(
                self.host,
                self.port,
                f"cannot connect ({exc.strerror or exc}); is the server running?",
            ) from exc
        # SMTP sends small lines and waits; Nagle's algorithm would hold a second small write
        # (the message after DATA's 354, a pipelined group) until the server ACKs: ~40 ms each.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        self._was_open = True
        if tls_context is not None:
            self.start_tls(tls_context)

    def start_tls(self, context: ssl.SSLContext) -> dict[str, str]:
        """Wrap the socket in TLS, verifying the certificate per `context`; return its facts."""
        sock = self._require_socket()
        sock.settimeout(self.timeout)
        try:
            tls_sock = context.wrap_socket(sock, server_hostname=self.host)
        except ssl.SSLCertVerificationError as exc:
            self.close()
            raise TLSError(
                self.host,
                self.port,
                f"the server's certificate could not be verified ({exc.verify_message}). "
                "For a DebugServer pass tls_context=server.client_tls_context(); for a "
                "classroom server, a copy of the CA file it printed at its last start (it "
                "makes a new CA at each start). Never turn verification off.",
            ) from exc
        except (ssl.SSLError, OSError) as exc:
            self.close()
            raise TLSError(self.host, self.port, f"TLS handshake failed: {exc}") from exc
        self._sock = tls_sock
        return tls_facts(tls_sock)

    def send(self, data: bytes) -> None:
        sock = self._require_socket()
        self._set_timeout(sock, self.timeout)  # a previous receive() may have shortened it
        try:
            sock.sendall(data)
        except TimeoutError as exc:
            raise SMTPTimeoutError(self.host, self.port, f"could not send within {self.timeout} s") from exc
        except OSError as exc:
            raise ConnectionClosedError(
                self.host, self.port, f"the connection broke while sending ({exc})"
            ) from exc

    def receive(self, waiting_for: str, deadline: float) -> bytes:
        """Up to 64 KiB of whatever has arrived; b"" when the server closed the connection.

        `deadline` (a `time.monotonic()` value) bounds the whole reply, not one read: a
        server dripping one byte a second must not keep the client waiting for ever.
        """
        sock = self._require_socket()
        try:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            # The first read of a reply may wait the full timeout; only a reply that keeps
            # trickling in needs the shorter remaining time (and a settimeout call).
            self._set_timeout(sock, remaining if remaining < self.timeout - 0.05 else self.timeout)
            return sock.recv(65536)
        except TimeoutError as exc:
            raise SMTPTimeoutError(
                self.host,
                self.port,
                f"no reply to {waiting_for} within {self.timeout} s (timeout={self.timeout})",
            ) from exc
        except OSError as exc:
            raise ConnectionClosedError(
                self.host,
                self.port,
                f"the connection broke while waiting for {waiting_for} ({exc})",
            ) from exc

    def receive_nowait(self) -> bytes | None:
        """Bytes that have already arrived, without waiting; None when there are none.

        The client looks before it sends: anything here came unasked. A closed or broken
        connection also gives None; the next `send` or `receive` reports it properly.
        """
        sock = self._sock
        if sock is None:
            return None
        try:
            buffered = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
            if not buffered and not select.select([sock], [], [], 0)[0]:
                return None
            # A TLS record may be half there: read without blocking (send and receive
            # set their own timeouts again).
            self._set_timeout(sock, 0)
            return sock.recv(65536) or None
        except (ValueError, OSError):  # includes ssl.SSLWantReadError; ValueError: fd too big
            return None

    @staticmethod
    def _set_timeout(sock: socket.socket, seconds: float) -> None:
        # Most calls change nothing; skipping them saves a system call per line.
        if sock.gettimeout() != seconds:
            sock.settimeout(seconds)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    @property
    def connected_socket(self) -> socket.socket | None:
        return self._sock

    @property
    def is_open(self) -> bool:
        return self._sock is not None

    def _require_socket(self) -> socket.socket:
        if self._sock is None:
            if self._was_open:
                raise ConnectionClosedError(
                    self.host, self.port, "the connection is closed: the session is over; make a new Client"
                )
            raise ConnectionClosedError(self.host, self.port, "not connected: call connect() first")
        return self._sock


def tls_facts(sock: ssl.SSLSocket) -> dict[str, str]:
    """What a learner wants to see of a TLS session: version, cipher, who the certificate names."""
    facts = {"tls_version": sock.version() or "", "cipher": (sock.cipher() or ("",))[0]}
    # typeshed's certificate type is a loose union; its shape is documented in ssl.getpeercert().
    cert: Any = sock.getpeercert()
    if cert:
        subject = dict(pair[0] for pair in cert.get("subject", ()))
        issuer = dict(pair[0] for pair in cert.get("issuer", ()))
        alt_names = cert.get("subjectAltName", ())
        names = [value for kind, value in alt_names if kind in ("DNS", "IP Address")]
        facts["peer_subject"] = ", ".join(f"{k}={v}" for k, v in subject.items())
        facts["peer_issuer"] = ", ".join(f"{k}={v}" for k, v in issuer.items())
        facts["peer_names"] = ", ".join(str(n) for n in names)
    return facts
