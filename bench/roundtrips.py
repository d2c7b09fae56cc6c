"""B3: round trips per message (counted) and wall time per message when replies come 20 ms late.

A round trip is one time the client has sent something and must wait for the server
before it can go on. smtplearn counts them itself (`Client.round_trips`); for smtplib we
count calls of `getreply()`, which is exactly where smtplib waits.

The 20 ms delay is added by `LatencyProxy`, a TCP relay in front of the DebugServer that
holds every chunk the server sends for 20 ms before passing it on (chunks keep their
order and do not queue behind each other's delay). That is what a distant server looks
like to a client; a delay *inside* the server would instead be paid once per command even
when commands are pipelined, and so would hide the very effect RFC 2920 is about.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import threading
import time
from collections import deque
from typing import Any

from common import Row, make_message, median

from smtplearn.client import Client
from smtplearn.server import DebugServer


class CountingSMTP(smtplib.SMTP):
    """smtplib.SMTP that counts how often it waited for a reply."""

    waits = 0

    def getreply(self) -> tuple[int, bytes]:
        self.waits += 1
        return super().getreply()


class LatencyProxy:
    """Relay 127.0.0.1:port → target, delaying server-to-client bytes by `delay` seconds."""

    def __init__(self, target: tuple[str, int], delay: float) -> None:
        self.target = target
        self.delay = delay
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._stopping = False

    def __enter__(self) -> LatencyProxy:
        self._spawn(self._accept_loop)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping = True
        # close() alone does not wake a thread blocked in accept() on Linux; shutdown() does.
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in self._threads:
            thread.join(5)

    def _spawn(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self._stopping:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._sockets.append(sock)
            pending: deque[tuple[float, bytes]] = deque()
            ready = threading.Condition()
            self._spawn(self._pump_now, client, upstream)
            self._spawn(self._pump_in, upstream, pending, ready)
            self._spawn(self._pump_out, client, pending, ready)

    @staticmethod
    def _pump_now(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass

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

    @staticmethod
    def _pump_out(
        sink: socket.socket, pending: deque[tuple[float, bytes]], ready: threading.Condition
    ) -> None:
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


def count_round_trips(rcpt_count: int) -> dict[str, int]:
    """Round trips for one message after EHLO: smtplearn with and without pipelining, smtplib."""
    message = make_message(rcpt_count)
    counts: dict[str, int] = {}
    with DebugServer(tls=False) as server:
        for name, pipelining in (("smtplearn", False), ("smtplearn+pipelining", True)):
            with Client(server.host, server.port) as client:
                client.ehlo().raise_for_reply()
                before = client.round_trips
                client.send_message(message, pipelining=pipelining)
                counts[name] = client.round_trips - before
        with CountingSMTP(server.host, server.port, local_hostname="localhost") as smtp:
            smtp.ehlo()
            smtp.waits = 0
            smtp.send_message(message)
            counts["smtplib"] = smtp.waits
    return counts


def delayed_wall_time(rcpt_count: int, messages: int, delay: float = 0.020) -> dict[str, float]:
    """Median seconds per message with every server reply `delay` seconds late."""
    message = make_message(rcpt_count)
    times: dict[str, list[float]] = {"smtplib": [], "smtplearn": [], "smtplearn+pipelining": []}
    with DebugServer(tls=False) as server, LatencyProxy(server.address, delay) as proxy:
        with CountingSMTP("127.0.0.1", proxy.port, local_hostname="localhost") as smtp:
            smtp.ehlo()
            for _ in range(messages):
                started = time.perf_counter()
                smtp.send_message(message)
                times["smtplib"].append(time.perf_counter() - started)
        for name, pipelining in (("smtplearn", False), ("smtplearn+pipelining", True)):
            with Client("127.0.0.1", proxy.port) as client:
                client.ehlo().raise_for_reply()
                for _ in range(messages):
                    started = time.perf_counter()
                    client.send_message(message, pipelining=pipelining)
                    times[name].append(time.perf_counter() - started)
    return {name: median(values) for name, values in times.items()}


def rows(messages: int) -> list[Row]:
    result: list[Row] = []
    for rcpt_count in (1, 20):
        counts = count_round_trips(rcpt_count)
        for name, count in counts.items():
            target, met = "", None
            if rcpt_count == 20 and name == "smtplearn+pipelining":
                target, met = "2", count == 2
            elif rcpt_count == 20 and name == "smtplib":
                target, met = "23 (expected)", count == 23
            result.append(Row("B3", f"{rcpt_count} rcpt: round trips/msg, {name}", str(count), target, met))
    for rcpt_count in (1, 20):
        walls = delayed_wall_time(rcpt_count, messages)
        for name, seconds in walls.items():
            result.append(
                Row("B3", f"{rcpt_count} rcpt, replies +20 ms: ms/msg, {name}", f"{seconds * 1000:.0f}")
            )
    return result
