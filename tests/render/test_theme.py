"""The HTML renderings take their colours from JupyterLab's theme, and never scroll sideways.

In JupyterLab's dark theme a box painted ``#ffffff`` is a glaring white card (and its text,
if it inherits the theme's, unreadable). Every colour in the HTML therefore comes from
JupyterLab's CSS variables (``--jp-layout-color1``, ``--jp-content-font-color1``...), each
with a fallback for plain HTML (nbviewer, an exported page), and the colours live in one
module. The browser tests check the result in both themes with axe; these check the markup.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from render_records import auth_session

from smtplearn.exercises import CheckResult
from smtplearn.explain import explain
from smtplearn.lesson import ClassroomStandIn
from smtplearn.protocol.replies import Reply
from smtplearn.render.html import explanation_html, reply_html, step_html, transcript_html
from smtplearn.render.theme import TLS_EDGE
from smtplearn.server.mailbox import ReceivedMessage
from smtplearn.widgets._common import error_html, lines_html, note_html
from smtplearn.widgets.tlsauth import auth_exchange_html
from smtplearn.widgets.views import mailbox_html

PACKAGE = Path(__file__).resolve().parents[2] / "smtplearn"
#: Where HTML is made. The SVG diagrams are not here: they are pictures with their own background.
HTML_MODULES = [
    "render/html.py",
    "widgets/_common.py",
    "widgets/views.py",
    "widgets/tlsauth.py",
    "widgets/vrfy.py",
    "widgets/stepper.py",
    "exercises/__init__.py",
    "lesson.py",
]
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}\b")
_COLOUR_PROPERTY = re.compile(r"(?:^|;)\s*((?:background|color|border(?:-[a-z]+)*)\s*:[^;]*)")


def _bcc_message() -> ReceivedMessage:
    raw = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nHello.\r\n"
    return ReceivedMessage(
        "Q1", "a@example.com", ("b@example.com", "hidden@example.com"), raw,
        ("127.0.0.1", 1025), "client.example", None, None, datetime(2026, 1, 1, tzinfo=timezone.utc),
    )  # fmt: skip


def _renderings() -> dict[str, str]:
    session = auth_session()
    auth = next(step for step in session if step.command == "AUTH")
    return {
        "transcript": transcript_html(session),
        "step": step_html(session[1], opened=True),
        "reply 550": reply_html(Reply(550, ("5.1.1 no such user",))),
        "reply 421": reply_html(Reply(421, ("4.3.2 try later",))),
        "explanation": explanation_html(explain("EHLO")),
        "mailbox": mailbox_html([_bcc_message()]),
        "error": error_html("DATA was not sent", ValueError("bad")),
        "note": note_html("a note"),
        "lines": lines_html(["a", "b"]),
        "auth exchange": auth_exchange_html(auth),
        "check passed": CheckResult(True, "yes")._repr_html_(),
        "check failed": CheckResult(False, "no", "a hint")._repr_html_(),
        "classroom stand-in": ClassroomStandIn("the mailbox", "a line")._repr_html_(),
    }


def _styles(markup: str) -> list[str]:
    return re.findall(r'style="([^"]*)"', markup)


@pytest.mark.parametrize("name", sorted(_renderings()))
def test_every_colour_comes_from_the_jupyterlab_theme_with_a_fallback(name: str) -> None:
    markup = _renderings()[name]
    declarations = [d for style in _styles(markup) for d in _COLOUR_PROPERTY.findall(style)]
    fixed = [d for d in declarations if _HEX_COLOUR.search(d) and "var(--jp-" not in d]
    # The TLS edge is the one fixed colour (no theme variable is purple): tested below.
    assert [d for d in fixed if TLS_EDGE not in d] == [], f"{name}: colours the dark theme cannot change"
    # Colours are given where they matter: the boxes have a background and a text colour.
    if name in {"transcript", "step", "mailbox", "error", "note"}:
        assert any(d.startswith("background") for d in declarations), name
        assert any(d.startswith("color") for d in declarations), name
    for declaration in declarations:
        for variable in re.findall(r"var\((--jp-[a-z0-9-]+)(,?)", declaration):
            assert variable[1] == ",", f"{name}: {variable[0]} has no fallback for plain HTML"


@pytest.mark.parametrize("name", sorted(_renderings()))
def test_nothing_scrolls_sideways(name: str) -> None:
    # A scrolling region needs a keyboard stop of its own (WCAG 2.1.1) and breaks reflow
    # (WCAG 1.4.10): long lines wrap instead.
    for style in _styles(_renderings()[name]):
        assert not re.search(r"overflow(-x)?\s*:\s*(auto|scroll)", style), (name, style)
        assert not re.search(r"white-space\s*:\s*pre\s*(;|$)", style), (name, style)


def test_no_module_that_makes_html_names_a_colour_of_its_own() -> None:
    found = {
        module: _HEX_COLOUR.findall((PACKAGE / module).read_text(encoding="utf-8")) for module in HTML_MODULES
    }
    assert {module: colours for module, colours in found.items() if colours} == {}


def _luminance(hex_colour: str) -> float:
    """Relative luminance, as WCAG 2.1 defines it."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize(
    "background",
    # JupyterLab Light's layout colour; JupyterLab Dark's layout-color0 and -color1.
    ["#ffffff", "#111111", "#212121"],
)
def test_the_fixed_tls_edge_stands_out_on_light_and_dark_backgrounds(background: str) -> None:
    # WCAG 1.4.11: a graphical mark needs 3:1 against what is next to it.
    assert _contrast(TLS_EDGE, background) >= 3.0


def test_links_are_underlined_not_told_apart_by_colour_alone() -> None:
    # WCAG 1.4.1; JupyterLab's own stylesheet takes the underline off links in rendered HTML.
    markup = explanation_html(explain("EHLO"))
    links = re.findall(r"<a [^>]*>", markup)
    assert links and all("text-decoration:underline" in link for link in links)
