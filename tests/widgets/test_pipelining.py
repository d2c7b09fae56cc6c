"""PipeliningLab and ExtensionsLab against a real DebugServer (and a real latency proxy)."""

from __future__ import annotations

import re

import pytest

from smtplearn.server import DebugServer
from smtplearn.widgets import ExtensionsLab, PipeliningLab


def test_round_trips_with_and_without_pipelining(server: DebugServer) -> None:
    lab = PipeliningLab(server)
    lab.latency_box.value = 0
    lab.recipients_box.value = 10
    lab.pipelining_toggle.value = False
    lab.send_button.click()
    assert lab.error_html.value == ""
    assert lab.runs[-1].round_trips == 13  # MAIL, 10 × RCPT, DATA, the message
    assert (lab.progress.value, lab.progress.max) == (13, 13)
    lab.pipelining_toggle.value = True
    lab.send_button.click()
    assert lab.runs[-1].round_trips == 2  # MAIL + RCPTs + DATA in one write, then the message
    shown = lab.result_html.value
    assert "Last send: 2 round trips" in shown and ">13</td>" in shown
    assert "<svg" in lab.diagram_html.value and "pipelined" in lab.diagram_html.value
    assert [m.rcpt_tos[-1] for m in server.mailbox] == ["reader10@example.com"] * 2
    assert repr(lab) == "PipeliningLab: 2 sends"
    assert not lab.send_button.disabled


def test_latency_goes_through_the_proxy_and_is_drawn_to_scale(server: DebugServer) -> None:
    lab = PipeliningLab(server)
    lab.latency_box.value = 40
    lab.recipients_box.value = 1
    run = lab.send()
    assert run is not None and run.latency_ms == 40
    # The proxy delays every reply: each wait is drawn with its length written next to it.
    waits = [int(ms) for ms in re.findall(r"wait (\d+) ms</text>", lab.diagram_html.value)]
    assert waits and min(waits) >= 40
    assert server.sessions[-1].peer[0] == "127.0.0.1"


def test_a_stopped_server_is_a_clear_error() -> None:
    with DebugServer() as server:
        lab = PipeliningLab(server)
    lab.latency_box.value = 0
    assert lab.send() is None
    assert "The message was not sent" in lab.error_html.value
    assert not lab.send_button.disabled


def test_extensions_decide_the_mail_parameters_and_the_subject(server: DebugServer) -> None:
    lab = ExtensionsLab(server)
    lab.to_field.value = "reader@example.com"
    lab.subject_field.value = "Crème brûlée"
    plain = lab.send()
    assert plain is not None and plain.delivered
    assert plain.mail_line.endswith("BODY=8BITMIME")
    assert plain.subject_line.startswith("Subject: =?utf-8?")  # encoded words, RFC 2047
    lab.to_field.value = "用户@例子.test"
    intl = lab.send()
    assert intl is not None and intl.delivered and intl.mail_line.endswith("BODY=8BITMIME SMTPUTF8")
    assert intl.subject_line == "Subject: Crème brûlée"
    assert server.mailbox[-1].rcpt_tos == ("用户@例子.test",)
    lab.offer_boxes["SMTPUTF8"].value = False
    assert server.withheld_extensions == {"SMTPUTF8"}
    refused = lab.send()
    assert refused is not None and not refused.delivered and "SMTPUTF8" not in refused.offered
    assert "the client refused before sending" in lab.result_html.value
    assert "RFC 6531 §3.4" in lab.result_html.value
    lab.offer_boxes["8BITMIME"].value = False
    lab.to_field.value = "reader@example.com"
    lab.subject_field.value = "plain"
    ascii_only = lab.send()
    assert ascii_only is not None and ascii_only.delivered and "BODY" not in ascii_only.mail_line
    assert repr(lab) == "ExtensionsLab: 4 sent, server withholds ['8BITMIME', 'SMTPUTF8']"


def test_extensions_lab_wrong_inputs(server: DebugServer) -> None:
    lab = ExtensionsLab(server)
    lab.to_field.value = "a@example.com, b@example.com"
    assert lab.send() is None and "One address, please" in lab.error_html.value
    lab.to_field.value = "a@example.com"
    lab.subject_field.value = "two\r\nBcc: victim@example.com"
    assert lab.send() is None and "That header cannot be sent" in lab.error_html.value
    lab.subject_field.value = "fine"
    lab.to_field.value = "a@example.com\r\nBcc: victim@example.com"
    assert lab.send() is None and "That header cannot be sent" in lab.error_html.value
    assert len(server.mailbox) == 0 and len(server.sessions) == 0
    with pytest.raises(ValueError, match="needs a DebugServer running in this kernel"):
        ExtensionsLab(server.address)
