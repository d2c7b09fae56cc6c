"""`LoopbackProxy`: a TCP relay on 127.0.0.1 that the lessons' proxies are built on.

It listens on a free loopback port, connects each client to `target`, and hands the pair
to `_relay`, which a subclass writes: `smtplearn.server.latency.LatencyProxy` delays the
server's bytes, `smtplearn.server.striptls.StripTlsProxy` attacks STARTTLS. Starting,
stopping (every socket and thread, also a thread blocked in accept) and the ``with`` block
live here once.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

__all__ = ["LoopbackProxy"]

_Proxy = TypeVar("_Proxy", bound="LoopbackProxy")


class LoopbackProxy:
    """Relay ``127.0.0.1:proxy.port`` to `target`; what happens in between is `_relay`'s."""

    host = "127.0.0.1"

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._listener = socket.create_server((self.host, 0))
        self.port: int = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stopping = False

    def _relay(self, client: socket.socket, upstream: socket.socket) -> None:
        """Carry one connection between `client` and `upstream` (on threads from `_spawn`)."""
        raise NotImplementedError

    def start(self: _Proxy) -> _Proxy:
        self._spawn(self._accept_loop)
        return self

    def stop(self) -> None:
        """Close the listener and every relayed connection; wait for the relay threads."""
        self._stopping = True
        with self._lock:
            sockets = [self._listener, *self._sockets]
        # close() alone does not wake a thread blocked in accept() on Linux; shutdown() does.
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(5)

    def __enter__(self: _Proxy) -> _Proxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _track(self, sock: socket.socket) -> None:
        """Close `sock` too when the proxy stops."""
        with self._lock:
            # Closed ones are forgotten: a lab that runs all afternoon must not grow the lists.
            self._sockets = [s for s in self._sockets if s.fileno() != -1]
            self._sockets.append(sock)

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()

    def _spawn_pumps(
        self, client: socket.socket, upstream: socket.socket, *pumps: Callable[[], None]
    ) -> None:
        """Run each pump of one connection on a thread; the last to finish closes both sockets."""
        running = [len(pumps)]

        def run(pump: Callable[[], None]) -> None:
            try:
                pump()
            finally:
                with self._lock:
                    running[0] -= 1
                    last = running[0] == 0
                if last:
                    client.close()
                    upstream.close()

        for pump in pumps:
            self._spawn(run, pump)

    def _accept_loop(self) -> None:
        while not self._stopping:
            try:
                client, _ = self._listener.accept()
                upstream = socket.create_connection(self.target)
            except OSError:
                return
            self._track(client)
            self._track(upstream)
            self._relay(client, upstream)
