"""Lesson 04's retry panel: a retry policy run on a timeline against a greylisting server.

`RetryLab` sends one message with a number of attempts and a first wait that doubles
(RFC 5321 §4.5.4.1 asks for retries; greylisting answers the first attempt 451), drawing
each attempt as it finishes. The faults and the single send are `smtplearn.widgets.faultlab`'s.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any

import ipywidgets as widgets

from smtplearn.record import Step
from smtplearn.render.theme import MONO_FONT as _MONO
from smtplearn.render.theme import PANE_CELL as _CELL
from smtplearn.render.theme import PANE_TEXT as _TEXT
from smtplearn.server.faults import Greylist
from smtplearn.widgets._common import Target, add_classes, endpoint, held_here, note_html
from smtplearn.widgets.faultlab import send_once


@dataclass(frozen=True)
class TimelineEntry:
    """One attempt of a retry run: when it started (s), the reply, and the wait after it."""

    started: float
    reply: str
    delivered: bool
    wait: float


class RetryLab(widgets.VBox):  # type: ignore[misc]
    """Run a retry policy against a greylisting server and see each attempt on a timeline.

    Controls: number box "Attempts" (``smtplearn-retry-attempts``), number box "First wait (s)"
    (``smtplearn-retry-backoff``; each later wait doubles), button "Run" (``smtplearn-retry-run``).
    Output: ``smtplearn-retry-timeline``. `sleep` is what waits between attempts
    (``time.sleep`` by default; tests pass one that only records).
    """

    def __init__(self, server: Target, *, sleep: Callable[[float], None] = time.sleep, **kwargs: Any) -> None:
        self.endpoint = endpoint(server)
        if held_here(self.endpoint.server, "faults") is None:
            raise ValueError("RetryLab needs a DebugServer running in this kernel (it greylists on it)")
        self._sleep = sleep
        self.attempts_box = add_classes(
            widgets.BoundedIntText(value=3, min=1, max=5, description="Attempts"), "smtplearn-retry-attempts"
        )
        self.backoff_box = add_classes(
            widgets.BoundedFloatText(
                value=1.0,
                min=0.0,
                max=5.0,
                step=0.5,
                description="First wait (s)",
                style={"description_width": "initial"},
            ),
            "smtplearn-retry-backoff",
        )
        self.run_button = add_classes(widgets.Button(description="Run", icon="play"), "smtplearn-retry-run")
        self.timeline_html = add_classes(widgets.HTML(), "smtplearn-retry-timeline")
        self.timeline: list[TimelineEntry] = []
        self.run_button.on_click(lambda _b: self.run())
        super().__init__(
            children=[
                widgets.HBox([self.attempts_box, self.backoff_box, self.run_button]),
                self.timeline_html,
            ],
            **kwargs,
        )
        self.timeline_html.value = note_html(
            'Set the policy, then press "Run" to send to a greylisting server.'
        )

    def run(self) -> list[TimelineEntry]:
        """Send one message to a fresh recipient, retrying on 4xx; the timeline grows as it runs."""
        server = self.endpoint.server
        recipient = "dana@example.com"
        greylist = server.inject(Greylist())  # a fresh greylist: the first attempt is deferred
        self.timeline = []
        clock = 0.0
        wait = float(self.backoff_box.value)
        attempts = int(self.attempts_box.value)
        try:
            for number in range(1, attempts + 1):
                started = time.perf_counter()
                transcript, outcome = send_once(self.endpoint.host, self.endpoint.port, [recipient])
                delivered = not isinstance(outcome, BaseException)
                last = _first_failure(tuple(transcript))
                reply = (
                    "250 accepted"
                    if delivered
                    else (str(last.reply) if last and last.reply else str(outcome))
                )
                retry = not delivered and number < attempts and last is not None and _transient(last)
                entry = TimelineEntry(clock, reply, delivered, wait if retry else 0.0)
                self.timeline.append(entry)
                self._show(attempts)  # progress: each attempt appears as it ends
                clock += time.perf_counter() - started
                if not retry:
                    break
                self._sleep(wait)
                clock += wait
                wait *= 2
        finally:
            server.faults.remove(greylist)
        return self.timeline

    def _show(self, attempts: int) -> None:
        rows = []
        for number, entry in enumerate(self.timeline, 1):
            verdict = "delivered" if entry.delivered else ("wait, then retry" if entry.wait else "gave up")
            bar = (
                f'<span style="display:inline-block;height:8px;width:{min(entry.wait, 10) * 20:.0f}px;'
                f'background:var(--jp-brand-color1, #1f6feb)"></span> {entry.wait:g} s'
                if entry.wait
                else ""
            )
            rows.append(
                f'<tr><td style="{_CELL}">t = {entry.started:.1f} s</td>'
                f'<td style="{_CELL}">attempt {number}</td>'
                f'<td style="{_CELL};{_MONO}">{escape(entry.reply)}</td><td style="{_CELL}">{verdict}</td>'
                f'<td style="{_CELL}">{bar}</td></tr>'
            )
        last = self.timeline[-1]
        summary = (
            f"delivered on attempt {len(self.timeline)}"
            if last.delivered
            else f"not delivered after {len(self.timeline)} of {attempts} attempts: the message stays queued"
        )
        self.timeline_html.value = (
            f'<div style="{_TEXT}"><table style="border-collapse:collapse;margin:4px 0">'
            f"{''.join(rows)}</table><p><strong>{escape(summary)}</strong> "
            "(a 4xx reply means try again later, RFC 5321 §4.5.4.1)</p></div>"
        )

    def __repr__(self) -> str:
        return f"RetryLab: {len(self.timeline)} attempts in the last run"


def _first_failure(steps: tuple[Step, ...]) -> Step | None:
    return next((step for step in steps if step.reply is not None and not step.ok), None)


def _transient(step: Step) -> bool:
    return step.reply is not None and step.reply.is_transient
