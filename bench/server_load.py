"""B4: DebugServer vs aiosmtpd's `Sink` under many concurrent clients.

Each server runs alone in a child process (`server_child.py`); this process drives
`clients` concurrent aiosmtplib connections, each sending `messages` messages with a
unique X-Bench-Id, and times the whole load from the first connect to the last QUIT.
The two servers take turns, round after round, under the identical load.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiosmtplib
from common import Row, make_message, median, ratio

CHILD = Path(__file__).with_name("server_child.py")


async def _one_client(port: int, index: int, messages: int) -> None:
    client = aiosmtplib.SMTP(
        hostname="127.0.0.1", port=port, start_tls=False, local_hostname="localhost", timeout=60
    )
    await client.connect()
    for number in range(messages):
        await client.send_message(make_message(1, tag=f"c{index}-m{number}"))
    await client.quit()


async def _load(port: int, clients: int, messages: int) -> None:
    await asyncio.gather(*(_one_client(port, i, messages) for i in range(clients)))


@contextmanager
def server_process(kind: str) -> Iterator[tuple[int, dict[str, float]]]:
    """A `kind` server in a child process: yields its port and, after the block, its report."""
    child = subprocess.Popen(
        [sys.executable, str(CHILD), kind],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    report: dict[str, float] = {}
    try:
        yield json.loads(child.stdout.readline())["port"], report
        child.stdin.close()
        report.update(json.loads(child.stdout.readline()))
    finally:
        child.wait(30)


def one_run(kind: str, clients: int, messages: int) -> dict[str, float]:
    """Start a `kind` server process, load it, stop it; rate, memory and storage counts."""
    with server_process(kind) as (port, report):
        started = time.perf_counter()
        asyncio.run(_load(port, clients, messages))
        elapsed = time.perf_counter() - started
    return {"rate": clients * messages / elapsed, **report}


def rows(clients: int, messages: int, rounds: int) -> list[Row]:
    runs: dict[str, list[dict[str, float]]] = {"debug": [], "sink": []}
    for _ in range(rounds):
        for kind in runs:
            runs[kind].append(one_run(kind, clients, messages))
    expected = clients * messages
    debug_rate = median([r["rate"] for r in runs["debug"]])
    sink_rate = median([r["rate"] for r in runs["sink"]])
    exact = all(
        r["stored"] == expected and r["distinct"] == expected and r["duplicated"] == 0 for r in runs["debug"]
    )
    stored = ", ".join(f"{int(r['stored'])}/{int(r['distinct'])}" for r in runs["debug"])
    load = f"{clients} clients x {messages} msgs"

    def peak_mib(kind: str) -> str:
        peak = max(r["peak_kib"] for r in runs[kind]) / 1024
        grown = max(r["peak_kib"] - r["baseline_kib"] for r in runs[kind]) / 1024
        return f"{peak:.0f} MiB (+{grown:.0f} under load)"

    rel = ratio(debug_rate, sink_rate)
    return [
        Row("B4", f"{load}: DebugServer msg/s", f"{debug_rate:,.0f}"),
        Row("B4", f"{load}: aiosmtpd Sink msg/s", f"{sink_rate:,.0f}"),
        Row("B4", "DebugServer / Sink", f"{rel:.2f}x", ">= 0.8x", rel >= 0.8),
        Row(
            "B4",
            "every message stored exactly once",
            stored,
            f"{expected}/{expected} each run",
            exact,
            "stored/distinct per round",
        ),
        Row("B4", "DebugServer peak RSS", peak_mib("debug")),
        Row("B4", "Sink peak RSS", peak_mib("sink")),
    ]
