"""AttackLab against real DebugServers and a real StripTlsProxy: each attack works only when a
defence is off, and no demo password reaches the page or the widget state."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest

from smtplearn.server import DEMO_PASSWORD, DebugServer
from smtplearn.server.vulnerable import SMUGGLING_VARIANTS
from smtplearn.widgets import AttackLab

from .conftest import shown_text

USER, PASSWORD = "alice", "made-up-for-the-widget-test"


@pytest.fixture
def lab() -> Iterator[tuple[AttackLab, DebugServer, DebugServer]]:
    with (
        DebugServer(users={USER: PASSWORD}, auth_require_tls=False) as login_server,
        DebugServer() as server,
        DebugServer(vulnerable=("smuggling",)) as vulnerable,
    ):
        yield (
            AttackLab(
                login_server=login_server,
                account=(USER, PASSWORD),
                server=server,
                vulnerable_server=vulnerable,
            ),
            server,
            vulnerable,
        )


def _set(lab: AttackLab, *, verify: bool, require_tls: bool, proxy: bool, impostor: bool) -> None:
    lab.verify_box.value, lab.require_tls_box.value = verify, require_tls
    lab.proxy_box.value, lab.impostor_box.value = proxy, impostor


@pytest.mark.parametrize(
    ("settings", "tone"),
    [
        ({"verify": True, "require_tls": False, "proxy": False, "impostor": False}, "safe"),
        ({"verify": True, "require_tls": False, "proxy": True, "impostor": False}, "leaked"),
        ({"verify": True, "require_tls": True, "proxy": True, "impostor": False}, "stopped"),
        ({"verify": True, "require_tls": True, "proxy": True, "impostor": True}, "stopped"),
        ({"verify": False, "require_tls": True, "proxy": True, "impostor": True}, "leaked"),
    ],
)
def test_log_in_shows_the_outcome_of_the_toggles(lab, settings: dict[str, bool], tone: str) -> None:  # type: ignore[no-untyped-def]
    widget = lab[0]
    _set(widget, **settings)
    widget.login_button.click()
    assert widget.tls_outcome is not None and widget.tls_outcome.tone == tone
    shown = html.unescape(widget.tls_result.value)
    if tone == "leaked":
        assert f"password '{PASSWORD}'" in shown and "man in the middle read the password" in shown
    else:
        assert PASSWORD not in shown


def test_every_combination_fills_the_table(lab) -> None:  # type: ignore[no-untyped-def]
    widget = lab[0]
    shown: list[str] = []
    widget.tls_table.observe(lambda change: shown.append(change["new"]), "value")
    widget.grid_button.click()
    assert [text for text in shown if "Running combination" in text][-1].count("12 of 12") == 1
    table = widget.tls_table.value
    assert table.count("<tr>") == 13  # the head and 12 combinations
    # require_tls stops the stripper, verification the impostor: only both stop both.
    assert table.count("leaked:") == 4
    outcomes = [
        (verify, require, attacker, o.tone) for verify, require, attacker, o in widget.run_every_combination()
    ]
    assert [(v, r) for v, r, attacker, tone in outcomes if tone == "leaked"] == [
        (True, False),
        (False, True),
        (False, False),
        (False, False),
    ]


def test_the_impostor_needs_the_man_in_the_middle(lab) -> None:  # type: ignore[no-untyped-def]
    widget = lab[0]
    widget.proxy_box.value = False
    assert widget.impostor_box.disabled
    widget.proxy_box.value = True
    assert not widget.impostor_box.disabled


def test_a_captured_demo_password_is_never_shown() -> None:
    with (
        DebugServer(auth_require_tls=False) as login_server,
        DebugServer() as server,
        DebugServer(vulnerable=("smuggling",)) as vulnerable,
    ):
        widget = AttackLab(
            login_server=login_server,
            account=("student", DEMO_PASSWORD),
            server=server,
            vulnerable_server=vulnerable,
        )
        widget.grid_button.click()
        widget.login_button.click()
        assert widget.tls_outcome is not None and widget.tls_outcome.tone == "leaked"
        assert DEMO_PASSWORD not in shown_text(widget)
        assert DEMO_PASSWORD not in str(widget.get_state())


@pytest.mark.parametrize("end", SMUGGLING_VARIANTS)
def test_smuggling_works_only_against_the_vulnerable_server(lab, end: str) -> None:  # type: ignore[no-untyped-def]
    widget, server, vulnerable = lab
    widget.end_field.value = end
    widget.vulnerable_box.value = True
    widget.smuggle_button.click()
    assert widget.smuggle_outcome == "forged message stored"
    assert [m.mail_from for m in vulnerable.mailbox] == ["author@example.com", "ceo@bank.example"]
    assert "Please wire the money" in widget.smuggle_result.value
    widget.vulnerable_box.value = False
    widget.smuggle_button.click()
    assert widget.smuggle_outcome == "refused"
    assert server.mailbox[:] == []
    assert "554 5.6.0" in widget.smuggle_result.value and "Nothing was stored" in widget.smuggle_result.value


def test_enumeration_and_the_252_defence(lab) -> None:  # type: ignore[no-untyped-def]
    widget, server, _ = lab
    widget.names_field.value = "dhellmann, notthere"
    widget.enumerate_button.click()
    assert server.vrfy == "directory"
    assert "which 1 of 2 names exist" in widget.enum_result.value
    widget.refuse_box.value = True
    widget.enumerate_button.click()
    assert server.vrfy == "refuse"
    assert "252" in widget.enum_result.value and "told the attacker nothing" in widget.enum_result.value
    assert repr(widget).startswith("AttackLab:")
