"""SVG diagrams as plain strings: a client↔server sequence diagram and a state machine.

No Graphviz or other external tool: the layout is computed here, deterministically
(same input, same bytes), with no ids, scripts or timestamps. Hover texts are SVG
``<title>`` elements. Secrets stay redacted: labels come from `smtplearn.render.text`.

Each diagram is an accessible image (``role="img"``): its name is its title
(``aria-label``) and its ``<desc>`` says in words what it draws, arrow by arrow or state by
state, for a screen reader and for anyone who cannot tell the colours apart. Drawings
shrink to fit their container rather than scroll sideways. Show them inline (as HTML, as
`IPython.display.HTML` does): JupyterLab puts an ``image/svg+xml`` output into an ``<img>``
without alternative text, which hides both.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from html import escape

from smtplearn.record import Step
from smtplearn.render.text import WireEvent, pipeline_groups, reply_lines, sent_lines, wire_events

__all__ = ["sequence_svg", "state_diagram_svg"]

_FONT = "font-family:ui-monospace,Menlo,Consolas,monospace"
_SENT_COLOUR = "#0b3d91"
# By reply class (RFC 5321 §4.2.1): 2yz/3yz fine, 4yz try later, 5yz failed.
_REPLY_COLOUR = {2: "#1a7f37", 3: "#1a7f37", 4: "#9a6700", 5: "#cf222e"}
_MAX_LABEL = 58

# Sequence diagram geometry (pixels).
_WIDTH, _CLIENT_X, _SERVER_X = 760, 130, 630
_TOP, _ROW = 78, 30
# Timed sequence diagrams: room per arrow, and the shortest wait worth a label (pixels).
_TIMED_ROW, _WAIT_LABEL_MIN = 20, 24
# State diagram geometry: distance between states in a layer, between layers, side margin.
_COLUMN, _LAYER, _SIDE = 290, 110, 150
# Wider than the notebook, a drawing scales down: a region scrolling sideways would need a
# keyboard stop of its own (WCAG 2.1.1) and breaks reflow (WCAG 1.4.10).
_FIT = ' style="max-width:100%;height:auto"'


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
        f'style="{_FONT}">{escape(_clip(label))}</text></g>'
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
        f'viewBox="0 0 {_WIDTH} {height}"{_FIT} role="img" aria-label="{escape(title)}">',
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


def _state_name(state: str | enum.Enum) -> str:
    return state.name if isinstance(state, enum.Enum) else str(state)


def _ranks(names: list[str], targets: dict[str, list[str]]) -> dict[str, int]:
    """Layer of each state: its distance from the first state (breadth-first)."""
    rank: dict[str, int] = {}
    frontier = names[:1]
    for name in frontier:
        rank[name] = 0
    while frontier:
        following: list[str] = []
        for name in frontier:
            for target in targets.get(name, []):
                if target not in rank:
                    rank[target] = rank[name] + 1
                    following.append(target)
        frontier = following
    unreachable = max(rank.values(), default=-1) + 1
    return {name: rank.get(name, unreachable) for name in names}


def _wrap(labels: list[str], width: int = 22) -> list[str]:
    lines: list[str] = []
    for label in labels:
        if lines and len(lines[-1]) + 2 + len(label) <= width:
            lines[-1] += ", " + label
        else:
            lines.append(label)
    return lines


def state_diagram_svg(
    edges: Sequence[tuple[str | enum.Enum, str, str | enum.Enum]],
    current: str | enum.Enum | None = None,
    *,
    title: str = "",
) -> str:
    """Draw a state machine from ``(from_state, label, to_state)`` edges.

    States may be names or Enum members (e.g. `ClientState`). The first state is at the
    top and every other state one layer below the nearest state that leads to it, so
    the happy path reads downwards; parallel edges share one arrow with their labels
    joined, and self-loops sit to the right of their state. `current` is highlighted.
    """
    names: list[str] = []
    merged: dict[tuple[str, str], list[str]] = {}
    targets: dict[str, list[str]] = {}
    for source, label, target in edges:
        a, b = _state_name(source), _state_name(target)
        for n in (a, b):
            if n not in names:
                names.append(n)
        labels = merged.setdefault((a, b), [])
        if label not in labels:
            labels.append(label)
        if b not in targets.setdefault(a, []):
            targets[a].append(b)
    now = _state_name(current) if current is not None else None
    if now is not None and now not in names:
        names.append(now)

    rank = _ranks(names, targets)
    # A state with no way out (CLOSED) ends many paths: in the bottom right corner,
    # below everything that leads to it, its arrows fan in from the side instead of
    # crossing the happy path that runs down the middle.
    sinks = [n for n in names if rank[n] and not [t for t in targets.get(n, []) if t != n]]
    layers: dict[int, list[str]] = {}
    for name in names:
        if name not in sinks:
            layers.setdefault(rank[name], []).append(name)
    columns = max((len(layer) for layer in layers.values()), default=1)
    width = columns * _COLUMN + 2 * _SIDE
    top = 40.0 if title else 10.0
    pos: dict[str, tuple[float, float]] = {}
    for r, layer in sorted(layers.items()):
        for i, name in enumerate(layer):
            x = width / 2 + (i - (len(layer) - 1) / 2) * _COLUMN
            pos[name] = (x, top + _LAYER / 2 + r * _LAYER)
    bottom = max(layers, default=-1)
    for number, sink in enumerate(sinks):
        x = width / 2 + ((columns - 1) / 2 - number) * _COLUMN
        level = (
            bottom
            if all(
                abs(x - px) >= _COLUMN / 2
                for px, py in pos.values()
                if py == top + _LAYER / 2 + bottom * _LAYER
            )
            else bottom + 1
        )
        pos[sink] = (x, top + _LAYER / 2 + level * _LAYER)
    height = max((y for _, y in pos.values()), default=top) + _LAYER / 2 + 20
    box = {n: (len(n) * 7.6 + 18, 26.0) for n in names}

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}"{_FIT} role="img" '
        f'aria-label="{escape(title or "state diagram")}">',
        f"<desc>{escape(_states_in_words(names, merged, now))}</desc>",
        f'<rect x="0" y="0" width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
    ]
    if title:
        out.append(
            f'<text x="{width / 2:.1f}" y="24" text-anchor="middle" font-size="15" '
            f'font-weight="bold" style="font-family:system-ui,sans-serif">{escape(title)}</text>'
        )
    labels_svg: list[str] = []
    # Every box a label must not cover: the states, then each label already placed.
    taken = [
        (x - w / 2, y - h / 2, x + w / 2, y + h / 2) for (x, y), (w, h) in ((pos[n], box[n]) for n in names)
    ]
    for (a, b), labels in merged.items():
        tip = f"{a} → {b}: {', '.join(labels)}"
        if a == b:
            out_svg, label_svg = _self_loop(pos[a], box[a], _wrap(labels), tip, taken)
        else:
            # One layer down is the usual way forward: nearly straight. Anything else
            # (back, sideways, skipping layers) bends more, so it is told apart.
            step = rank[b] - rank[a]
            bend = 0.12 if step == 1 else 0.45 if step < -1 else 0.3
            if (b, a) not in merged:
                # Alone between its two states, the edge may bend either way: take the
                # side that keeps it furthest from the other states.
                others = [pos[n] for n in names if n not in (a, b)]
                bend = max(bend, -bend, key=lambda k: _clearance(pos[a], pos[b], k, others))
            out_svg, label_svg = _edge(pos[a], box[a], pos[b], box[b], _wrap(labels), tip, bend, taken)
        out.append(out_svg)
        labels_svg.append(label_svg)
    for name in names:
        x, y = pos[name]
        w, h = box[name]
        active = name == now
        fill, stroke, line = ("#ffd33d", "#9a6700", 3) if active else ("#f6f8fa", "#57606a", 1)
        note = " (current state)" if active else ""
        out.append(
            f"<g><title>{escape(name + note)}</title>"
            f'<rect x="{x - w / 2:.1f}" y="{y - h / 2:.1f}" width="{w:.1f}" height="{h:.1f}" '
            f'rx="13" fill="{fill}" stroke="{stroke}" stroke-width="{line}"/>'
            f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" font-size="12" '
            f'font-weight="{"bold" if active else "normal"}" style="{_FONT}">'
            f"{escape(name)}</text></g>"
        )
    # Labels last, so no arrow or state is drawn over them.
    out += labels_svg
    out.append("</svg>")
    return "".join(out)


def _states_in_words(names: list[str], moves: dict[tuple[str, str], list[str]], now: str | None) -> str:
    """The state diagram said in words: its states, every move between them, the current one."""
    said = [f"States: {', '.join(names)}."]
    for (a, b), labels in moves.items():
        said.append(f"{a} {'stays' if a == b else 'to'} {b} by {' or '.join(labels)}.")
    if now is not None:
        said.append(f"Current state: {now}.")
    return " ".join(said)


def _control(a: tuple[float, float], b: tuple[float, float], bend: float) -> tuple[float, float]:
    """The Bézier control point bending the edge a→b to its left by `bend` of its length."""
    mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
    return mx + (b[1] - a[1]) * bend, my - (b[0] - a[0]) * bend


def _clearance(
    a: tuple[float, float], b: tuple[float, float], bend: float, others: list[tuple[float, float]]
) -> float:
    """How close the curved edge a→b comes to any other state's centre."""
    c = _control(a, b, bend)
    closest = math.inf
    for i in range(1, 10):
        t = i / 10
        x = (1 - t) ** 2 * a[0] + 2 * t * (1 - t) * c[0] + t**2 * b[0]
        y = (1 - t) ** 2 * a[1] + 2 * t * (1 - t) * c[1] + t**2 * b[1]
        for ox, oy in others:
            closest = min(closest, math.hypot(x - ox, y - oy))
    return closest


def _border(
    centre: tuple[float, float], box: tuple[float, float], toward: tuple[float, float]
) -> tuple[float, float]:
    """Where the line from a state's centre toward `toward` leaves its box."""
    (x, y), (w, h) = centre, box
    dx, dy = toward[0] - x, toward[1] - y
    if dx == 0 and dy == 0:
        return x, y
    scale = min(
        (w / 2) / abs(dx) if dx else math.inf,
        (h / 2) / abs(dy) if dy else math.inf,
    )
    return x + dx * scale, y + dy * scale


#: Where a label may move, in order, when its place is taken: along the arrow's normal first.
_NUDGES = [(0.0, 0.0)] + [
    (dx * k, dy * k) for k in (1, 2, 3, 4) for dx, dy in ((0, -1), (0, 1), (1, 0), (-1, 0))
]

Box = tuple[float, float, float, float]


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _label(x: float, y: float, lines: list[str], tip: str, taken: list[Box], anchor: str = "middle") -> str:
    """A label at (x, y), or at the nearest nudge from it that covers nothing in `taken`.

    The chosen box is added to `taken`, so later labels keep clear of it.
    """
    width = max(len(line) for line in lines) * 6.2 + 8
    height = 13 * len(lines) + 2
    offset = {"middle": -width / 2, "start": -4.0}[anchor]
    step_x, step_y = width / 2 + 4, height / 2 + 3
    for dx, dy in _NUDGES:
        nx, ny = x + dx * step_x, y + dy * step_y
        candidate = (nx + offset - 1, ny - height / 2 - 1, nx + offset + width + 1, ny + height / 2 + 1)
        if not any(_overlaps(candidate, other) for other in taken):
            x, y = nx, ny
            break
    left, top = x + offset, y - height / 2
    taken.append((left, top, left + width, top + height))
    spans = "".join(
        f'<tspan x="{x:.1f}" y="{top + 11 + 13 * i:.1f}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return (
        f"<g><title>{escape(tip)}</title>"
        f'<rect x="{left:.1f}" y="{top:.1f}" width="{width:.1f}" height="{height}" '
        f'rx="3" fill="#ffffff" fill-opacity="0.9"/>'
        f'<text text-anchor="{anchor}" font-size="10" fill="#24292f" style="{_FONT}">'
        f"{spans}</text></g>"
    )


def _head(tip_x: float, tip_y: float, from_x: float, from_y: float) -> str:
    angle = math.atan2(tip_y - from_y, tip_x - from_x)
    left = (tip_x - 9 * math.cos(angle - 0.4), tip_y - 9 * math.sin(angle - 0.4))
    right = (tip_x - 9 * math.cos(angle + 0.4), tip_y - 9 * math.sin(angle + 0.4))
    return (
        f'<polygon points="{tip_x:.1f},{tip_y:.1f} {left[0]:.1f},{left[1]:.1f} '
        f'{right[0]:.1f},{right[1]:.1f}" fill="#57606a"/>'
    )


def _edge(
    a: tuple[float, float],
    box_a: tuple[float, float],
    b: tuple[float, float],
    box_b: tuple[float, float],
    lines: list[str],
    tip: str,
    bend: float,
    taken: list[Box],
) -> tuple[str, str]:
    # A positive bend curves the edge to its left, so A→B and B→A never overlap.
    control = _control(a, b, bend)
    start = _border(a, box_a, control)
    end = _border(b, box_b, control)
    path = (
        f"<g><title>{escape(tip)}</title>"
        f'<path d="M{start[0]:.1f},{start[1]:.1f} Q{control[0]:.1f},{control[1]:.1f} '
        f'{end[0]:.1f},{end[1]:.1f}" fill="none" stroke="#57606a" stroke-width="1.3"/>'
        f"{_head(end[0], end[1], control[0], control[1])}</g>"
    )
    # The curve's midpoint (t = 1/2 on a quadratic Bézier).
    lx = 0.25 * start[0] + 0.5 * control[0] + 0.25 * end[0]
    ly = 0.25 * start[1] + 0.5 * control[1] + 0.25 * end[1]
    return path, _label(lx, ly, lines, tip, taken)


def _self_loop(
    at: tuple[float, float], box: tuple[float, float], lines: list[str], tip: str, taken: list[Box]
) -> tuple[str, str]:
    right = at[0] + box[0] / 2
    s, e = (right, at[1] - 6), (right, at[1] + 6)
    c1, c2 = (right + 40, at[1] - 30), (right + 40, at[1] + 30)
    path = (
        f"<g><title>{escape(tip)}</title>"
        f'<path d="M{s[0]:.1f},{s[1]:.1f} C{c1[0]:.1f},{c1[1]:.1f} {c2[0]:.1f},{c2[1]:.1f} '
        f'{e[0]:.1f},{e[1]:.1f}" fill="none" stroke="#57606a" stroke-width="1.3"/>'
        f"{_head(e[0], e[1], c2[0], c2[1])}</g>"
    )
    return path, _label(right + 38, at[1], lines, tip, taken, anchor="start")
