"""The client↔server sequence diagram of a transcript, as an SVG string.

Arrows in order, one row each (or drawn to time scale, `time_scale=`), TLS shown as a band,
pipelined groups bracketed; the ``<desc>`` says every arrow in words. Conventions shared
with the state diagram are in `smtplearn.render.diagram`.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from smtplearn.record import Step
from smtplearn.render.svg import FIT, FONT
from smtplearn.render.text import WireEvent, pipeline_groups, reply_lines, sent_lines, wire_events

__all__ = ["sequence_svg"]

_SENT_COLOUR = "#0b3d91"
# By reply class (RFC 5321 §4.2.1): 2yz/3yz fine, 4yz try later, 5yz failed.
_REPLY_COLOUR = {2: "#1a7f37", 3: "#1a7f37", 4: "#9a6700", 5: "#cf222e"}
_MAX_LABEL = 58

# Sequence diagram geometry (pixels).
_WIDTH, _CLIENT_X, _SERVER_X = 760, 130, 630
_TOP, _ROW = 78, 30
# Timed sequence diagrams: room per arrow, and the shortest wait worth a label (pixels).
_TIMED_ROW, _WAIT_LABEL_MIN = 20, 24


def _clip(text: str, limit: int = _MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _arrow(x1: float, x2: float, y: float, colour: str, label: str, tip: str) -> str:
    head = 8 if x2 > x1 else -8
    mid = (x1 + x2) / 2
    return (
        f"<g><title>{escape(tip)}</title>"
        f'<line x1="{x1}" y1="{y}" x2="{x2 - head}" y2="{y}" stroke="{colour}" '
        f'stroke-width="1.5"/>'
        f'<polygon points="{x2},{y} {x2 - head},{y - 4} {x2 - head},{y + 4}" fill="{colour}"/>'
        f'<text x="{mid}" y="{y - 5}" text-anchor="middle" font-size="11" fill="{colour}" '
        f'style="{FONT}">{escape(_clip(label))}</text></g>'
    )


def sequence_svg(
    steps: Iterable[Step],
    *,
    reveal: bool = False,
    title: str = "SMTP session",
    time_scale: float | None = None,
) -> str:
    """A sequence diagram: one arrow per line sent and one per reply, in wire order.

    The part of the session under TLS is shaded; pipelined groups (RFC 2920) show all
    their commands before the replies and carry a "pipelined" bracket. Hover an arrow
    for the full text.

    With `time_scale` (pixels per second) time runs down the page: besides the room each
    arrow needs, every wait for the server adds `time_scale` pixels per second, taken from
    the steps' measured `elapsed` times, and is labelled with its length. Two sessions drawn
    with the same scale can be compared by height: fewer round trips, a shorter drawing.
    """
    steps = list(steps)
    times = _wire_times(steps) if time_scale is not None else {}
    rows: list[tuple[WireEvent, str, str, str]] = []
    for event in wire_events(steps):
        exchange = event.exchange
        if event.outgoing:
            lines = sent_lines(exchange, reveal=reveal)
            if not lines:
                continue
            if len(lines) > 1:
                size = len(exchange.sent if reveal else exchange.sent_redacted)
                label = f"message: {len(lines)} lines, {size} bytes"
            else:
                label = lines[0]
            rows.append((event, _SENT_COLOUR, label, "\n".join(lines[:40])))
        else:
            reply = exchange.reply
            if reply is None:
                continue
            lines = reply_lines(reply)
            label = lines[0] + (f"  (+{len(lines) - 1} lines)" if len(lines) > 1 else "")
            colour = _REPLY_COLOUR.get(reply.reply_class, _REPLY_COLOUR[5])
            rows.append((event, colour, label, "\n".join(lines)))

    ys: list[float] = []
    waits: list[str] = []
    waited_before: dict[int, float] = {}
    clock = 0.0
    for number, (event, _colour, _label, _tip) in enumerate(rows):
        if time_scale is None:
            ys.append(_TOP + _ROW * number + _ROW // 2 + 6)
            continue
        at = times[(id(event.step), event.index, event.outgoing)]
        waited, clock = max(0.0, at - clock), max(clock, at)
        previous = ys[-1] if ys else _TOP + _ROW // 2 + 6 - _TIMED_ROW
        ys.append(round(previous + _TIMED_ROW + waited * time_scale, 1))
        if waited * time_scale >= _WAIT_LABEL_MIN:
            waits.append(_wait_mark(previous, ys[-1], waited))
            waited_before[number] = waited

    arrows = [
        _arrow(_CLIENT_X, _SERVER_X, y, colour, label, tip)
        if event.outgoing
        else _arrow(_SERVER_X, _CLIENT_X, y, colour, label, tip)
        for (event, colour, label, tip), y in zip(rows, ys, strict=True)
    ]
    tls_rows = [n for n, (event, *_rest) in enumerate(rows) if event.step.tls]
    row_of_step: dict[int, list[int]] = {}
    for n, (event, *_rest) in enumerate(rows):
        row_of_step.setdefault(id(event.step), []).append(n)

    height = round((ys[-1] if ys else _TOP - 9) + 39)
    pipelined = {
        n for group in pipeline_groups(steps) if len(group) > 1 for n in _rows_of(group, row_of_step)
    }
    words = _sequence_in_words([(event, label) for event, _c, label, _t in rows], pipelined, waited_before)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{height}" '
        f'viewBox="0 0 {_WIDTH} {height}"{FIT} role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(words)}</desc>",
        f'<rect x="0" y="0" width="{_WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="{_WIDTH // 2}" y="22" text-anchor="middle" font-size="15" '
        f'font-weight="bold" style="font-family:system-ui,sans-serif">{escape(title)}</text>',
    ]
    parts += _tls_bands(tls_rows, ys)
    parts += _pipeline_brackets(steps, row_of_step, ys)
    for x, name in ((_CLIENT_X, "Client"), (_SERVER_X, "Server")):
        parts.append(
            f'<rect x="{x - 50}" y="36" width="100" height="26" rx="4" fill="#f6f8fa" '
            f'stroke="#57606a"/><text x="{x}" y="54" text-anchor="middle" font-size="13" '
            f'style="font-family:system-ui,sans-serif">{name}</text>'
            f'<line x1="{x}" y1="62" x2="{x}" y2="{height - 10}" stroke="#8c959f" '
            f'stroke-dasharray="4 4"/>'
        )
    parts += waits
    parts += arrows
    parts.append("</svg>")
    return "".join(parts)


def _rows_of(group: list[Step], row_of_step: dict[int, list[int]]) -> list[int]:
    return [row for step in group for row in row_of_step.get(id(step), [])]


def _sequence_in_words(
    arrows: list[tuple[WireEvent, str]], pipelined: set[int], waited_before: dict[int, float]
) -> str:
    """The sequence diagram said in words: each arrow in order, who sent it, and what it said.

    What the drawing shows by position and shading is said too: the direction, which
    arrows TLS protects, which were pipelined, and (timed drawings) the waits labelled.
    """
    said = [f"{len(arrows)} arrows between client and server, top to bottom"]
    for number, (event, label) in enumerate(arrows):
        way = "client to server" if event.outgoing else "server to client"
        tls = " under TLS" if event.step.tls else ""
        notes = ["pipelined"] if number in pipelined else []
        if number in waited_before:
            notes.append(f"after {waited_before[number] * 1000:.0f} ms")
        # Notes before the colon: a label may hold any text, parentheses included.
        said.append(f"{number + 1}. {', '.join([way + tls, *notes])}: {label}")
    return "; ".join(said) + "."


def _wire_times(steps: list[Step]) -> dict[tuple[int, int, bool], float]:
    """When each send and reply happened, in seconds from the first step's start.

    Steps record only how long they took (`elapsed`), so the clock is rebuilt: each step
    (or pipelined group, whose steps share a start) begins when the one before ended; in
    a step of several exchanges (DATA, then the message) each exchange takes an equal share.
    In a pipelined group every first line leaves at the start and each reply arrives when
    its step ended; a later exchange (the message after 354) leaves once the replies before
    it are in. Keys are (id(step), exchange index, outgoing).
    """
    times: dict[tuple[int, int, bool], float] = {}
    start = 0.0
    for group in pipeline_groups(steps):
        if len(group) == 1:
            step = group[0]
            share = step.elapsed / max(1, len(step.exchanges))
            for index in range(len(step.exchanges)):
                times[(id(step), index, True)] = start + share * index
                times[(id(step), index, False)] = start + share * (index + 1)
            start += step.elapsed
            continue
        replies_in = start
        for step in group:
            ended = start + step.elapsed
            times[(id(step), 0, True)] = start
            if len(step.exchanges) == 1:
                times[(id(step), 0, False)] = ended
                replies_in = max(replies_in, ended)
            for index in range(1, len(step.exchanges)):
                times[(id(step), 0, False)] = replies_in
                times[(id(step), index, True)] = replies_in
                times[(id(step), index, False)] = ended
        start += max(step.elapsed for step in group)
    return times


def _wait_mark(top: float, bottom: float, seconds: float) -> str:
    """A brace beside the client's lifeline: here the client sat waiting for `seconds`.

    It sits right of the lifeline, in the gap between two arrows, so it never meets the
    "pipelined" bracket on the left.
    """
    x = _CLIENT_X + 6
    y1, y2 = top + 4, bottom - 18
    return (
        f"<g><title>the client waited {seconds * 1000:.0f} ms for the server</title>"
        f'<path d="M{x},{y1} H{x + 5} V{y2} H{x}" fill="none" stroke="#9a6700"/>'
        f'<text x="{x + 9}" y="{round((y1 + y2) / 2 + 4, 1)}" font-size="10" fill="#9a6700" '
        f'style="font-family:system-ui,sans-serif">wait {seconds * 1000:.0f} ms</text></g>'
    )


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Consecutive row numbers merged into (first, last) runs."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


def _tls_bands(tls_rows: list[int], ys: list[float]) -> list[str]:
    bands = []
    for first, last in _runs(tls_rows):
        y = ys[first] - 19
        h = ys[last] + 9 - y
        bands.append(
            f"<g><title>protected by TLS (RFC 3207)</title>"
            f'<rect x="{_CLIENT_X - 20}" y="{y}" width="{_SERVER_X - _CLIENT_X + 40}" '
            f'height="{h}" fill="#f3ecff" stroke="#8250df" stroke-dasharray="3 3"/>'
            f'<text x="{_SERVER_X + 26}" y="{y + 14}" font-size="11" fill="#8250df" '
            f'style="font-family:system-ui,sans-serif">TLS</text></g>'
        )
    return bands


def _pipeline_brackets(steps: list[Step], row_of_step: dict[int, list[int]], ys: list[float]) -> list[str]:
    brackets = []
    for group in pipeline_groups(steps):
        rows = _rows_of(group, row_of_step)
        if len(group) < 2 or not rows:
            continue
        y1 = ys[min(rows)] - 15
        y2 = ys[max(rows)] + 5
        x = _CLIENT_X - 34
        brackets.append(
            f"<g><title>pipelined: sent together, replies read afterwards (RFC 2920)</title>"
            f'<path d="M{x + 6},{y1} H{x} V{y2} H{x + 6}" fill="none" stroke="#57606a"/>'
            f'<text x="{x - 4}" y="{(y1 + y2) / 2}" font-size="10" fill="#57606a" '
            f'text-anchor="end" style="font-family:system-ui,sans-serif">pipelined</text></g>'
        )
    return brackets
