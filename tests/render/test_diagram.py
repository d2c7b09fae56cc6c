"""SVG diagrams: well-formed XML, one arrow per line sent and reply, TLS and pipelining marked."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from render_records import auth_session, ex, reply, seed_session, step

from smtplearn.protocol.states import ClientState
from smtplearn.render.diagram import sequence_svg, state_diagram_svg

NS = "{http://www.w3.org/2000/svg}"


def svg(markup: str) -> ET.Element:
    root = ET.fromstring(markup)
    assert root.tag == f"{NS}svg"
    return root


def arrow_labels(root: ET.Element) -> list[str]:
    """Texts of the arrow groups: a <g> holding a <line> and a <text>."""
    return [
        "".join(g.find(f"{NS}text").itertext())  # type: ignore[union-attr]
        for g in root.iter(f"{NS}g")
        if g.find(f"{NS}line") is not None
    ]


def test_sequence_has_one_arrow_per_send_and_reply_in_wire_order() -> None:
    labels = arrow_labels(svg(sequence_svg(auth_session())))
    assert labels[:3] == [
        "220 smtp.example.com ESMTP ready",
        "EHLO client.example",
        "250-smtp.example.com  (+3 lines)",
    ]
    # Pipelined: MAIL, RCPT, RCPT, DATA go out before their four replies.
    start = labels.index("MAIL FROM:<user@isp.net>")
    assert labels[start : start + 8] == [
        "MAIL FROM:<user@isp.net>",
        "RCPT TO:<a@example.com>",
        "RCPT TO:<nobody@example.com>",
        "DATA",
        "250 2.1.0 OK",
        "250 2.1.5 OK",
        "550 5.1.1 <nobody@example.com>: no such user",
        "354 End data with <CR><LF>.<CR><LF>",
    ]
    assert labels[start + 8] == "message: 4 lines, 38 bytes"
    assert len(labels) == 21  # greeting + 10 exchanges × 2


def test_tls_part_and_pipelined_group_are_marked_only_when_present() -> None:
    with_tls = sequence_svg(auth_session())
    assert "protected by TLS" in with_tls and "pipelined" in with_tls
    plain = sequence_svg(seed_session())
    assert "protected by TLS" not in plain and "pipelined" not in plain


def test_sequence_title_is_escaped_and_output_deterministic() -> None:
    markup = sequence_svg(seed_session(), title="<Lesson 1> & more")
    root = svg(markup)
    assert "".join(root.find(f"{NS}title").itertext()) == "<Lesson 1> & more"  # type: ignore[union-attr]
    assert markup == sequence_svg(seed_session(), title="<Lesson 1> & more")
    long = step("noop", "NOOP", ex("NOOP " + "x" * 200, reply(250, "ok")))
    assert "…" in sequence_svg([long])


EDGES = [
    (ClientState.DISCONNECTED, "connect", ClientState.CONNECTED),
    (ClientState.CONNECTED, "EHLO", ClientState.READY),
    (ClientState.CONNECTED, "HELO", ClientState.READY),
    (ClientState.READY, "MAIL", ClientState.MAIL),
    (ClientState.MAIL, "RCPT", ClientState.RCPT),
    (ClientState.RCPT, "RCPT", ClientState.RCPT),
    (ClientState.READY, "NOOP", ClientState.READY),
    (ClientState.MAIL, "RSET", ClientState.READY),
]


def test_state_diagram_nodes_edges_and_current_state() -> None:
    root = svg(state_diagram_svg(EDGES, current=ClientState.READY, title="client"))
    titles = ["".join(t.itertext()) for t in root.iter(f"{NS}title")]
    assert "READY (current state)" in titles
    for name in ("DISCONNECTED", "CONNECTED", "MAIL", "RCPT"):
        assert name in titles
    # Parallel edges share one arrow, labels joined; self-loops are drawn too.
    assert "CONNECTED → READY: EHLO, HELO" in titles
    assert "RCPT → RCPT: RCPT" in titles
    assert "READY → READY: NOOP" in titles
    paths = [g for g in root.iter(f"{NS}g") if g.find(f"{NS}path") is not None]
    assert len(paths) == 7  # 8 edges, EHLO and HELO merged


def test_state_diagram_accepts_names_and_is_deterministic() -> None:
    named = [(a.name, label, b.name) for a, label, b in EDGES]
    assert state_diagram_svg(named, "READY") == state_diagram_svg(EDGES, ClientState.READY)
    plain = state_diagram_svg(named)
    assert "(current state)" not in plain
    svg(state_diagram_svg([], current="CLOSED"))


def _boxes(root: ET.Element, rx: str) -> list[tuple[float, float, float, float]]:
    """(left, top, right, bottom) of every <rect> with corner radius `rx`."""
    return [
        (
            float(r.get("x", 0)),
            float(r.get("y", 0)),
            float(r.get("x", 0)) + float(r.get("width", 0)),
            float(r.get("y", 0)) + float(r.get("height", 0)),
        )
        for r in root.iter(f"{NS}rect")
        if r.get("rx") == rx
    ]


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_the_client_state_diagram_has_no_overlapping_labels() -> None:
    from smtplearn.protocol.states import edges

    root = svg(state_diagram_svg(edges(), ClientState.READY, title="The SMTP client's states"))
    labels, states = _boxes(root, "3"), _boxes(root, "13")
    assert len(states) == len(ClientState) and labels
    clashes = [(a, b) for i, a in enumerate(labels) for b in labels[i + 1 :] if _overlap(a, b)]
    assert clashes == []
    assert [(a, s) for a in labels for s in states if _overlap(a, s)] == []
    width = float(root.get("width", 0))
    assert all(left >= 0 and right <= width for left, _, right, _ in labels + states)


def _description(root: ET.Element) -> str:
    """What assistive technology reads besides the name: the SVG's own ``<desc>``."""
    desc = root.find(f"{NS}desc")
    assert desc is not None, "the diagram has no <desc>: a screen reader hears only its title"
    return "".join(desc.itertext())


def test_sequence_diagram_says_in_words_every_arrow_in_order_with_direction_and_tls() -> None:
    root = svg(sequence_svg(auth_session(), title="Lesson session"))
    assert root.get("role") == "img" and root.get("aria-label") == "Lesson session"
    text = _description(root)
    said = re.findall(
        r"(\d+)\. (client to server|server to client)( under TLS)?((?:, [^:;]+)*): ([^;]*)", text
    )
    assert [int(n) for n, *_ in said] == list(range(1, 22))  # as many as arrows drawn
    assert [label.removesuffix(".") for *_, label in said] == arrow_labels(root)
    assert said[0][1:3] == ("server to client", "")  # the greeting, before any TLS
    assert said[1][1] == "client to server"
    under_tls = [int(n) for n, _, tls, *_ in said if tls]
    assert under_tls == list(range(under_tls[0], 22)) and under_tls[0] > 4  # from STARTTLS on
    pipelined = [label for _, _, _, notes, label in said if "pipelined" in notes]
    assert pipelined[:4] == [
        "MAIL FROM:<user@isp.net>",
        "RCPT TO:<a@example.com>",
        "RCPT TO:<nobody@example.com>",
        "DATA",
    ]
    assert "s3cr3t" not in text


def test_state_diagram_says_its_states_every_move_and_the_current_state() -> None:
    root = svg(state_diagram_svg(EDGES, current=ClientState.READY, title="client"))
    assert root.get("role") == "img" and root.get("aria-label") == "client"
    text = _description(root)
    assert "States: DISCONNECTED, CONNECTED, READY, MAIL, RCPT." in text
    for move in (
        "DISCONNECTED to CONNECTED by connect",
        "CONNECTED to READY by EHLO or HELO",
        "RCPT stays RCPT by RCPT",
        "MAIL to READY by RSET",
    ):
        assert move in text
    assert text.endswith("Current state: READY.")
    assert "Current state" not in _description(svg(state_diagram_svg(EDGES)))


def test_diagrams_shrink_to_fit_instead_of_scrolling() -> None:
    # A region that scrolls sideways is one a keyboard user cannot reach (WCAG 2.1.1, 1.4.10).
    for markup in (sequence_svg(auth_session()), state_diagram_svg(EDGES, title="client")):
        assert 'style="max-width:100%;height:auto"' in markup
