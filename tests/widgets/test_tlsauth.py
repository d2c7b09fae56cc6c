"""TLSAuthLab against a real DebugServer: each mechanism, the refusals, and no password anywhere."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import ipywidgets as widgets
import pytest

from smtplearn.server import DEMO_PASSWORD, DEMO_USER, DebugServer
from smtplearn.widgets import TLSAuthLab

from .conftest import shown_text


def _secret_forms(user: str, password: str) -> list[str]:
    """The password and every base64 form in which PLAIN or LOGIN would carry it."""
    b64 = lambda raw: base64.b64encode(raw.encode()).decode()  # noqa: E731
    return [password, b64(password), b64(f"\0{user}\0{password}")]


@pytest.fixture
def open_server() -> Iterator[DebugServer]:
    """A server that accepts AUTH without TLS, to show what then crosses the wire."""
    with DebugServer(auth_require_tls=False) as running:
        yield running


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_login_after_starttls_shows_the_decoded_exchange(server: DebugServer, mechanism: str) -> None:
    lab = TLSAuthLab(server, password=DEMO_PASSWORD)
    lab.mechanism_field.value = mechanism
    lab.login_button.click()
    assert lab.outcome == "authenticated"
    assert "Authenticated." in lab.result_html.value
    assert "235" in lab.result_html.value and "TLSv1" in lab.result_html.value
    exchange = lab.exchange_html.value
    assert f"AUTH {mechanism}, exchange by exchange" in exchange
    assert "&lt;redacted&gt;" in exchange
    if mechanism == "LOGIN":
        assert "challenge decoded: Username:" in exchange and "challenge decoded: Password:" in exchange
    if mechanism == "CRAM-MD5":
        assert "HMAC-MD5 key = the password (&lt;redacted&gt;)" in exchange
        assert "digest = " in exchange
    assert repr(lab) == f"TLSAuthLab: STARTTLS on, {mechanism}, last run: authenticated"
    names = [step.name for step in lab.transcript_view.transcript]
    assert names == ["connect", "ehlo", "starttls", "ehlo", "login", "quit"]
    assert server.sessions[0].user == DEMO_USER


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_the_password_appears_nowhere_in_the_lab(open_server: DebugServer, mechanism: str) -> None:
    lab = TLSAuthLab(open_server, password=DEMO_PASSWORD)
    lab.mechanism_field.value = mechanism
    texts = []
    for starttls, insecure in [(True, False), (False, False), (False, True)]:
        lab.starttls_box.value = starttls
        lab.insecure_box.value = insecure
        lab.login_button.click()
        texts.append(shown_text(lab))
        texts.append(lab.transcript_view.transcript.arrows())
    assert lab.outcome == "authenticated"  # the last run sent the credentials in clear...
    everything = "\n".join(texts)
    for secret in _secret_forms(DEMO_USER, DEMO_PASSWORD):
        assert secret not in everything  # ...and still nothing shows them
    assert lab.password_field.value == ""  # given in Python, never put in the field


def test_the_client_refuses_to_authenticate_without_tls(server: DebugServer) -> None:
    lab = TLSAuthLab(server, password=DEMO_PASSWORD, starttls=False)
    assert lab.run() == "refused by the client"
    assert "The client refused to send the credentials." in lab.result_html.value
    assert "refusing to send credentials over an unencrypted connection" in lab.result_html.value
    assert "RFC 4954" in lab.result_html.value
    # The lab names its own checkboxes, not the Client's keyword argument.
    assert "Send credentials without TLS anyway" in lab.result_html.value
    assert "allow_insecure_auth" not in lab.result_html.value
    assert all(not line.startswith("AUTH") for line in server.sessions[0].received)
    assert server.sessions[0].received[-1] == "QUIT"


def test_the_server_refuses_too_when_the_client_is_told_to_send_anyway(server: DebugServer) -> None:
    lab = TLSAuthLab(server, password=DEMO_PASSWORD, starttls=False)
    lab.insecure_box.value = True
    lab.login_button.click()
    assert lab.outcome == "refused by the server"
    assert "The server refused." in lab.result_html.value
    assert "538" in lab.result_html.value and "Encryption required" in lab.result_html.value
    assert "AUTH PLAIN &lt;redacted&gt;" in lab.exchange_html.value
    assert server.sessions[0].user is None


def test_cleartext_login_on_a_permissive_server_is_flagged(open_server: DebugServer) -> None:
    lab = TLSAuthLab(open_server, password=DEMO_PASSWORD, starttls=False, mechanism="LOGIN")
    lab.insecure_box.value = True
    assert lab.run() == "authenticated"
    assert "in CLEARTEXT" in lab.result_html.value
    assert "base64 is an encoding" in lab.result_html.value


def test_a_wrong_password_gets_535(server: DebugServer) -> None:
    lab = TLSAuthLab(server, password="not-the-password")
    lab.login_button.click()
    assert lab.outcome == "refused by the server"
    assert "535" in lab.result_html.value
    assert "not-the-password" not in shown_text(lab)


def test_no_server_is_an_error_shown_not_raised() -> None:
    with DebugServer() as gone:
        address = f"{gone.host}:{gone.port}"
    lab = TLSAuthLab(address, password=DEMO_PASSWORD)
    assert lab.run() == "failed"
    assert "ConnectError" in lab.error_html.value


def test_a_server_without_tls_refuses_starttls() -> None:
    with DebugServer(tls=False) as plain:
        lab = TLSAuthLab(plain, password=DEMO_PASSWORD)
        assert lab.run() == "refused by the server"
        assert "The server refused STARTTLS." in lab.result_html.value
        assert "454" in lab.result_html.value
        assert [s.name for s in lab.transcript_view.transcript] == ["connect", "ehlo", "starttls", "quit"]


def _all_states(widget: widgets.Widget) -> list[dict[str, object]]:
    """The synced state of `widget` and of every widget below it."""
    states = [widget.get_state()]
    for child in getattr(widget, "children", ()):
        states.extend(_all_states(child))
    return states


def test_no_widget_model_holds_the_password(server: DebugServer) -> None:
    # A notebook executed with widget state saved stores every model's state; the password
    # must not be in any of it, before or after a successful login.
    for lab in (TLSAuthLab(server), TLSAuthLab(server, password=DEMO_PASSWORD)):
        assert lab.run() == "authenticated"
        assert server.sessions[-1].user == DEMO_USER
        for state in _all_states(lab):
            assert DEMO_PASSWORD not in repr(state)
        saved = widgets.Widget.get_manager_state(drop_defaults=False, widgets=None)
        assert DEMO_PASSWORD not in repr(saved)
    assert TLSAuthLab(server).password_field.placeholder == "demo password (hidden)"


def test_a_typed_password_wins_and_other_users_get_no_demo_password(server: DebugServer) -> None:
    lab = TLSAuthLab(server)
    lab.password_field.value = "typed-wrong"
    assert lab.run() == "refused by the server"
    assert "535" in lab.result_html.value
    lab.password_field.value = ""
    lab.user_field.value = "someone-else"
    assert lab.run() == "refused by the server"
    assert server.sessions[-1].user is None


def test_the_exchange_table_fits_the_notebook_width(server: DebugServer) -> None:
    # CRAM-MD5's base64 answer is one long word: without a fixed layout and breaks inside
    # words the table grew wider than JupyterLab's cell and its third column was cut off.
    lab = TLSAuthLab(server, password=DEMO_PASSWORD)
    lab.mechanism_field.value = "CRAM-MD5"
    lab.login_button.click()
    table = lab.exchange_html.value
    assert "table-layout:fixed" in table and "width:100%" in table
    cells = table.count("<td ")
    assert cells and table.count("overflow-wrap:anywhere") >= cells
