"""B3: round trips per message (counted) and wall time per message when replies come 20 ms late.

A round trip is one time the client has sent something and must wait for the server
before it can go on. smtplearn counts them itself (`Client.round_trips`); for smtplib we
count calls of `getreply()`, which is exactly where smtplib waits.

The 20 ms delay is added by `smtplearn.server.latency.LatencyProxy`, a TCP relay in front
of the DebugServer that holds every chunk the server sends for 20 ms before passing it on
(chunks keep their order and do not queue behind each other's delay). That is what a
distant server looks like to a client; a delay *inside* the server (the Delay fault) would
be paid once per command even when commands are pipelined, and so would hide the very
effect RFC 2920 is about.
"""

from __future__ import annotations

import smtplib
import time

from common import Row, make_message, median

from smtplearn.client import Client
from smtplearn.server import DebugServer
from smtplearn.server.latency import LatencyProxy


class CountingSMTP(smtplib.SMTP):
    """smtplib.SMTP that counts how often it waited for a reply."""

    waits = 0

    def getreply(self) -> tuple[int, bytes]:
        self.waits += 1
        return super().getreply()


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
