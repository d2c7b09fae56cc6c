"""The client's state machine (from `smtplearn.protocol.states`), laid out as an SVG string.

States in layers by distance from the start, moves as curved edges with labels nudged off
states and each other; the ``<desc>`` lists states and moves in words. Conventions shared
with the sequence diagram are in `smtplearn.render.diagram`.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from html import escape

from smtplearn.render.svg import FIT, FONT

__all__ = ["state_diagram_svg"]

# State diagram geometry: distance between states in a layer, between layers, side margin.
_COLUMN, _LAYER, _SIDE = 290, 110, 150


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
        f'viewBox="0 0 {width:.0f} {height:.0f}"{FIT} role="img" '
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
            f'font-weight="{"bold" if active else "normal"}" style="{FONT}">'
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
        f'<text text-anchor="{anchor}" font-size="10" fill="#24292f" style="{FONT}">'
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
