"""`LatencyProxy`: a loopback TCP relay that makes a local server look far away.

Every chunk the server sends reaches the client `delay` seconds late, and chunks do not
queue behind each other's delay: that is what network latency is. A delay *inside* the
server (the ``Delay`` fault) is paid once per command even when commands are pipelined,
so it would hide exactly what PIPELINING saves (RFC 2920 §1).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections import deque
from types import TracebackType

__all__ = ["LatencyProxy"]


class LatencyProxy:
    """Relay ``127.0.0.1:proxy.port`` to `target`, delaying server-to-client bytes by `delay` s.

    ::

        with LatencyProxy((server.host, server.port), delay=0.05) as proxy:
            Client(proxy.host, proxy.port) ...
    """

    host = "127.0.0.1"

    def __init__(self, target: tuple[str, int], delay: float) -> None:
        self.target = target
        self.delay = delay
        self._listener = socket.create_server((self.host, 0))
        self.port: int = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stopping = False

    def __repr__(self) -> str:
        return f"<LatencyProxy {self.host}:{self.port} -> {self.target[0]}:{self.target[1]}, {self.delay} s>"

    def start(self) -> LatencyProxy:
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

    def __enter__(self) -> LatencyProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self._stopping:
            try:
                client, _ = self._listener.accept()
                upstream = socket.create_connection(self.target)
            except OSError:
                return
            for sock in (client, upstream):
                # Small SMTP lines must not wait for Nagle's algorithm: only `delay` may delay.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._sockets += [client, upstream]
            pending: deque[tuple[float, bytes]] = deque()
            ready = threading.Condition()
            self._spawn(_pump_now, client, upstream)
            self._spawn(self._pump_in, upstream, pending, ready)
            self._spawn(_pump_out, client, pending, ready)

    def _pump_in(
        self, source: socket.socket, pending: deque[tuple[float, bytes]], ready: threading.Condition
    ) -> None:
        try:
            while data := source.recv(65536):
                with ready:
                    pending.append((time.monotonic() + self.delay, data))
                    ready.notify()
        except OSError:
            pass
        with ready:
            pending.append((0.0, b""))
            ready.notify()


def _pump_now(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def _pump_out(sink: socket.socket, pending: deque[tuple[float, bytes]], ready: threading.Condition) -> None:
    while True:
        with ready:
            while not pending:
                ready.wait()
            due, data = pending.popleft()
        if not data:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)
            return
        time.sleep(max(0.0, due - time.monotonic()))
        try:
            sink.sendall(data)
        except OSError:
            return
