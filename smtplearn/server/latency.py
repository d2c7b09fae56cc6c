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

from smtplearn.server.loopback_proxy import LoopbackProxy

__all__ = ["LatencyProxy"]


class LatencyProxy(LoopbackProxy):
    """Relay ``127.0.0.1:proxy.port`` to `target`, delaying server-to-client bytes by `delay` s.

    ::

        with LatencyProxy((server.host, server.port), delay=0.05) as proxy:
            Client(proxy.host, proxy.port) ...
    """

    def __init__(self, target: tuple[str, int], delay: float) -> None:
        super().__init__(target)
        self.delay = delay

    def __repr__(self) -> str:
        return f"<LatencyProxy {self.host}:{self.port} -> {self.target[0]}:{self.target[1]}, {self.delay} s>"

    def _relay(self, client: socket.socket, upstream: socket.socket) -> None:
        for sock in (client, upstream):
            # Small SMTP lines must not wait for Nagle's algorithm: only `delay` may delay.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pending: deque[tuple[float, bytes]] = deque()
        ready = threading.Condition()
        self._spawn_pumps(
            client,
            upstream,
            lambda: _pump_now(client, upstream),
            lambda: self._pump_in(upstream, pending, ready),
            lambda: _pump_out(client, pending, ready),
        )

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
