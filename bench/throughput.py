"""B1 and B2: messages per second over one connection, smtplearn vs smtplib vs aiosmtplib.

Every client sends the same `EmailMessage` objects to the same DebugServer (TLS off),
which runs in a process of its own.
Rounds are interleaved (A B C D, A B C D, ...) so that a noisy neighbour on a shared
machine slows every client alike; the median round of each client is reported.
Only the sending is timed: connect, EHLO and QUIT are outside the clock.
"""

from __future__ import annotations

import asyncio
import smtplib
import time
from collections.abc import Callable
from email.message import EmailMessage

import aiosmtplib
from common import Row, make_message, median, ratio
from server_load import server_process

from smtplearn.client import Client

#: client name -> (host, port, messages) -> seconds spent sending them
Sender = Callable[[str, int, list[EmailMessage]], float]


def smtplearn_sender(pipelining: bool) -> Sender:
    def send(host: str, port: int, messages: list[EmailMessage]) -> float:
        with Client(host, port, timeout=30) as client:
            client.ehlo().raise_for_reply()
            started = time.perf_counter()
            for message in messages:
                client.send_message(message, pipelining=pipelining)
            elapsed = time.perf_counter() - started
            # A long-lived Client keeps every step for the learner; the benchmark does not
            # measure that bookkeeping growing across rounds.
            client.clear_transcript()
        return elapsed

    return send


def smtplib_sender(host: str, port: int, messages: list[EmailMessage]) -> float:
    with smtplib.SMTP(host, port, local_hostname="localhost", timeout=30) as client:
        client.ehlo()
        started = time.perf_counter()
        for message in messages:
            client.send_message(message)
        return time.perf_counter() - started


def aiosmtplib_sender(host: str, port: int, messages: list[EmailMessage]) -> float:
    async def main() -> float:
        client = aiosmtplib.SMTP(
            hostname=host, port=port, start_tls=False, local_hostname="localhost", timeout=30
        )
        await client.connect()
        await client.ehlo()
        started = time.perf_counter()
        for message in messages:
            await client.send_message(message)
        elapsed = time.perf_counter() - started
        await client.quit()
        return elapsed

    return asyncio.run(main())


SENDERS: dict[str, Sender] = {
    "smtplib": smtplib_sender,
    "smtplearn": smtplearn_sender(pipelining=False),
    "smtplearn+pipelining": smtplearn_sender(pipelining=True),
    "aiosmtplib": aiosmtplib_sender,
}


def measure(rcpt_count: int, messages_per_round: int, rounds: int) -> dict[str, float]:
    """Median messages per second of each client over `rounds` interleaved rounds."""
    messages = [make_message(rcpt_count) for _ in range(messages_per_round)]
    rates: dict[str, list[float]] = {name: [] for name in SENDERS}
    # The server gets a process of its own, as a classroom server or a remote one would:
    # sharing this process's GIL would charge its work to whichever client is running.
    with server_process("debug") as (port, _report):
        for send in SENDERS.values():  # warm-up: imports, first connections
            send("127.0.0.1", port, messages[:2])
        for _ in range(rounds):
            for name, send in SENDERS.items():
                seconds = send("127.0.0.1", port, messages)
                rates[name].append(messages_per_round / seconds)
    return {name: median(values) for name, values in rates.items()}


def rows(bench: str, rcpt_count: int, rates: dict[str, float]) -> list[Row]:
    base = rates["smtplib"]
    plain = ratio(rates["smtplearn"], base)
    piped = ratio(rates["smtplearn+pipelining"], base)
    pipe_target = 1.3 if rcpt_count == 1 else 3.0
    label = f"{rcpt_count} rcpt"
    return [
        *(Row(bench, f"{label}: {name} msg/s", f"{rate:,.0f}") for name, rate in rates.items()),
        Row(bench, f"{label}: smtplearn / smtplib", f"{plain:.2f}x", ">= 0.95x", plain >= 0.95),
        Row(
            bench,
            f"{label}: smtplearn+pipelining / smtplib",
            f"{piped:.2f}x",
            f">= {pipe_target}x",
            piped >= pipe_target,
        ),
        Row(bench, f"{label}: aiosmtplib / smtplib", f"{ratio(rates['aiosmtplib'], base):.2f}x"),
    ]
