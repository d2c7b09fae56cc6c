"""What every benchmark shares: the test message, result rows and small statistics.

Nothing here times anything; the B-modules do, and `run.py` prints their rows.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage

SENDER = "bench@example.test"
#: About 1 KB, in lines like a real text mail (RFC 5322 §2.1.1 asks for lines under 78).
BODY = "".join(f"line {i:02d} of the benchmark message, nothing to see here......\n" for i in range(15))


def recipients(count: int) -> list[str]:
    return [f"rcpt{i:02d}@example.test" for i in range(count)]


def make_message(rcpt_count: int, tag: str = "") -> EmailMessage:
    """A ~1 KB text message to `rcpt_count` recipients; `tag` goes into X-Bench-Id."""
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = ", ".join(recipients(rcpt_count))
    message["Subject"] = "benchmark"
    if tag:
        message["X-Bench-Id"] = tag
    message.set_content(BODY)
    return message


@dataclass(frozen=True)
class Row:
    """One line of the results table: a measurement and, where the issue sets one, its target."""

    bench: str
    what: str
    value: str
    target: str = ""
    #: True / False when there is a target, None when the row is for information.
    met: bool | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        return {True: "met", False: "MISSED", None: ""}[self.met]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def table(rows: Sequence[Row]) -> str:
    """The rows as a fixed-width text table (also valid Markdown)."""
    header = ("bench", "measurement", "value", "target", "verdict", "note")
    cells = [header] + [(r.bench, r.what, r.value, r.target, r.verdict, r.note) for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in cells[1:])])
