"""VRFYLab against a real DebugServer: known, unknown, ambiguous, and the refusing mode."""

from __future__ import annotations

from smtplearn.server import DebugServer
from smtplearn.widgets import VRFYLab


def test_a_known_address_is_confirmed_with_the_full_name(server: DebugServer) -> None:
    lab = VRFYLab(server)
    assert repr(lab) == "VRFYLab: 0 lookups, server mode directory"
    lab.address_field.value = "dhellmann"
    lab.verify_button.click()
    assert "250" in lab.result_html.value
    assert "Doug Hellmann" in lab.result_html.value
    assert "the server knows this mailbox" in lab.result_html.value
    assert repr(lab) == "VRFYLab: 1 lookup, server mode directory"
    assert server.sessions[0].received == ("EHLO localhost", "VRFY dhellmann", "QUIT")


def test_unknown_and_ambiguous_names_are_explained(server: DebugServer) -> None:
    lab = VRFYLab(server)
    unknown = lab.verify("notthere")
    assert unknown is not None and unknown.step.reply is not None
    assert unknown.step.reply.code == 550
    assert "no such mailbox here" in lab.result_html.value
    ambiguous = lab.verify("smith")
    assert ambiguous is not None and ambiguous.step.reply is not None
    assert ambiguous.step.reply.code == 553
    assert "ambiguous" in lab.result_html.value
    history = lab.history_html.value
    assert history.index("notthere") < history.index("smith")
    assert "550" in history and "553" in history


def test_the_switch_puts_the_server_in_refusing_mode(server: DebugServer) -> None:
    lab = VRFYLab(server)
    lab.refuse_box.value = True
    assert server.vrfy == "refuse"
    assert repr(lab) == "VRFYLab: 0 lookups, server mode refuse"
    lab.verify("dhellmann")
    assert "252" in lab.result_html.value
    assert "Doug Hellmann" not in lab.result_html.value
    assert "harvest" in lab.result_html.value
    lab.refuse_box.value = False
    assert server.vrfy == "directory"
    lab.verify("dhellmann")
    assert "Doug Hellmann" in lab.result_html.value


def test_the_switch_reflects_the_server_it_is_given() -> None:
    with DebugServer(vrfy="refuse") as server:
        lab = VRFYLab(server)
        assert lab.refuse_box.value is True
        assert not lab.refuse_box.disabled
        address_only = VRFYLab(server.address)
        assert address_only.refuse_box.disabled
        assert repr(address_only) == "VRFYLab: 0 lookups, server mode unknown"
        address_only.verify("dhellmann")
        assert "252" in address_only.result_html.value


def test_a_line_break_in_the_address_is_shown_not_raised(server: DebugServer) -> None:
    lab = VRFYLab(server)
    assert lab.verify("dhellmann\r\nRSET") is None
    assert "LocalProtocolError" in lab.error_html.value
    assert server.sessions[0].received == ("EHLO localhost", "QUIT")
