"""The world: how long `World.standard()` takes to start, and a relay's messages per second.

Relay throughput is measured beside its peer in the same run: the same messages sent
straight to the same MX DebugServer with one `Client` session. The relay opens one session
per message and recipient (as a queue does), so the ratio is the price of relaying.
Run: ``PYTHONPATH=. python bench/world.py [--messages N] [--rounds R]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import datetime, timezone

from smtplearn import Client
from smtplearn.world.authcheck import DkimKey
from smtplearn.world.trace import Journey
from smtplearn.world.world import World


def start_seconds(rounds: int) -> list[float]:
    seconds = []
    for _ in range(rounds):
        started = time.perf_counter()
        world = World.standard()
        seconds.append(time.perf_counter() - started)
        world.stop()
    return seconds


def _message(key: DkimKey, number: int) -> bytes:
    text = (
        f"From: alice@example.com\r\nTo: bob@example.org\r\nSubject: n{number}\r\n"
        f"Message-ID: <{number}@b>\r\n\r\nx\r\n"
    )
    return key.sign(text.encode())


def relay_rate(world: World, count: int) -> float:
    """Messages per second the queue delivers from mail.example.com to mx1."""
    key = world.host("mail.example.com").dkim
    assert key is not None
    journeys = []
    started = time.perf_counter()
    for number in range(count):
        journey = Journey(f"<{number}@b>", "alice@example.com", ["bob@example.org"], "")
        journeys.append(journey)
        world.journal.enqueue(
            "mail.example.com",
            "alice@example.com",
            "bob@example.org",
            _message(key, number),
            journey,
            datetime.now(timezone.utc),
        )
    world.settle(timeout=600)
    elapsed = time.perf_counter() - started
    assert all(j.outcome("bob@example.org") == "delivered" for j in journeys)
    return count / elapsed


def direct_rate(world: World, count: int) -> float:
    """The peer: the same messages straight to mx1 in one Client session."""
    key = world.host("mail.example.com").dkim
    mx = world.host("mx1.example.org").mx
    assert key is not None and mx is not None
    messages = [_message(key, number) for number in range(count)]
    started = time.perf_counter()
    with Client(*mx.address, local_hostname="mail.example.com") as client:
        client.ehlo()
        for raw in messages:
            client.mail("alice@example.com")
            client.rcpt("bob@example.org")
            client.data(raw).raise_for_reply()
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    starts = start_seconds(args.rounds)
    print(f"World.standard() start: median {statistics.median(starts) * 1000:.0f} ms over {args.rounds} runs")
    relay, direct = [], []
    with World.standard() as world:
        for _ in range(args.rounds):  # interleaved, so both see the same machine load
            relay.append(relay_rate(world, args.messages))
            direct.append(direct_rate(world, args.messages))
    r, d = statistics.median(relay), statistics.median(direct)
    print(f"relay (queue, one session per message): {r:.0f} msg/s")
    print(f"direct Client to the same MX (one session): {d:.0f} msg/s")
    print(f"relay / direct: {r / d:.2f}x")


if __name__ == "__main__":
    main()
