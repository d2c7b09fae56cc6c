"""A password in `Exchange.sent` never reaches a rendering, repr or explanation
unless a learner asks with reveal=True (which proves the checks below can fail)."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from render_records import PASSWORD, PLAIN_B64, USER, auth_session, ex, reply, step

from smtplearn.explain import explain
from smtplearn.record import Transcript
from smtplearn.render.diagram import sequence_svg
from smtplearn.render.html import step_html, transcript_html
from smtplearn.render.text import arrows, smtplib_debug, smtplib_debug_lines

LOGIN_USER_B64 = base64.b64encode(USER.encode()).decode()
LOGIN_PASSWORD_B64 = base64.b64encode(PASSWORD.encode()).decode()
SECRETS = (PASSWORD, PLAIN_B64, LOGIN_PASSWORD_B64)
SHOWS_SENT_LINES = {
    "arrows",
    "str",
    "debug_text",
    "smtplib_debug",
    "exchange_lines",
    "sequence_svg",
    "transcript_html",
    "step_html",
    "repr_html",
    "repr",
}


def login_session() -> Transcript:
    """AUTH LOGIN: the password travels alone, as base64, in its own exchange."""
    return Transcript(
        [
            step(
                "login",
                "AUTH",
                ex("AUTH LOGIN", reply(334, "VXNlcm5hbWU6")),
                ex(LOGIN_USER_B64, reply(334, "UGFzc3dvcmQ6")),
                ex(LOGIN_PASSWORD_B64, reply(535, "5.7.8 bad credentials"), secret=LOGIN_PASSWORD_B64),
                tls=True,
            )
        ]
    )


def renderings(t: Transcript, *, reveal: bool = False) -> dict[str, str]:
    out = {
        "arrows": arrows(t, reveal=reveal),
        "str": str(t) if not reveal else arrows(t, reveal=True),
        "debug_text": t.debug_text(reveal=reveal),
        "smtplib_debug": smtplib_debug(t, reveal=reveal),
        "exchange_lines": "\n".join(
            line for s in t for x in s.exchanges for line in smtplib_debug_lines(x, reveal=reveal)
        ),
        "sequence_svg": sequence_svg(t, reveal=reveal),
        "transcript_html": transcript_html(t, reveal=reveal),
        "step_html": "".join(step_html(s, reveal=reveal) for s in t),
    }
    if not reveal:
        out |= {
            "repr_html": t._repr_html_() + "".join(s._repr_html_() for s in t),
            "sequence_diagram": t.sequence_diagram(),
            "repr": repr(t) + "".join(repr(s) + repr(s.exchanges) for s in t),
            "explain": "".join(str(s.explain()) + s.explain()._repr_html_() for s in t),
            "explain_parts": "".join(repr(explain(s)) for s in t),
        }
    return out


@pytest.mark.parametrize("make", [auth_session, login_session])
def test_no_rendering_leaks_the_password(make: Callable[[], Transcript]) -> None:
    for name, text in renderings(make()).items():
        for secret in SECRETS:
            assert secret not in text, f"{name} leaks {secret!r}"
        if name in SHOWS_SENT_LINES:
            assert "<redacted>" in text or "&lt;redacted&gt;" in text, name


@pytest.mark.parametrize("make", [auth_session, login_session])
def test_reveal_shows_it_so_the_check_above_can_fail(make: Callable[[], Transcript]) -> None:
    for name, text in renderings(make(), reveal=True).items():
        assert any(secret in text for secret in SECRETS), name
