"""FaultLab and RetryLab against a real DebugServer: each fault, smtplib's exception, the mailbox."""

from __future__ import annotations

import smtplib

import pytest

from smtplearn import compat
from smtplearn.protocol.states import ClientState
from smtplearn.server import DebugServer
from smtplearn.widgets import FaultLab, RetryLab
from smtplearn.widgets.faultlab import SCENARIOS, build_fault
from tests.widgets.conftest import shown_text


def test_a_refused_recipient_is_a_partial_success(server: DebugServer) -> None:
    lab = FaultLab(server)
    assert repr(lab) == "FaultLab: 0 sends, fault 'recipient refused (550 5.1.1)'"
    lab.send_button.click()
    shown = lab.result_html.value
    assert "rcpt TO:&lt;bob@example.com&gt;" in shown
    assert "5yz Permanent Negative Completion" in shown and "RFC 5321 §4.2.1" in shown
    assert "5.1.1" in shown
    assert "smtplib returned {&#x27;bob@example.com&#x27;: (550," in shown
    assert "one message for alice@example.com, carol@elsewhere.example" in shown
    assert server.mailbox[-1].rcpt_tos == ("alice@example.com", "carol@elsewhere.example")
    assert len(server.faults) == 0  # the lab cleans up after each Send


def test_greylisting_raises_then_the_same_send_passes(server: DebugServer) -> None:
    lab = FaultLab(server)
    lab.scenario_menu.value = "greylisting (451 4.7.1)"
    lab.to_field.value = "dana@example.com"
    first = lab.send()
    assert first is not None and isinstance(first.error, smtplib.SMTPRecipientsRefused)
    assert "4yz Transient Negative Completion" in lab.result_html.value
    assert "4.7.1" in lab.result_html.value
    assert "smtplib raised SMTPRecipientsRefused" in lab.result_html.value
    assert "nothing was stored" in lab.result_html.value
    second = lab.send()
    assert second is not None and second.error is None and second.stored == (("dana@example.com",),)


@pytest.mark.parametrize("step", ["MAIL", "RCPT", "DATA", "MESSAGE"])
def test_temporary_failure_at_each_step_names_smtplibs_exception(server: DebugServer, step: str) -> None:
    lab = FaultLab(server)
    lab.scenario_menu.value = "temporary failure"
    assert lab.step_menu.layout.display is None and lab.size_box.layout.display == "none"
    lab.step_menu.value = step
    attempt = lab.send()
    assert attempt is not None
    expected = {
        "MAIL": smtplib.SMTPSenderRefused,
        "RCPT": smtplib.SMTPRecipientsRefused,
        "DATA": smtplib.SMTPDataError,
        "MESSAGE": smtplib.SMTPDataError,
    }[step]
    assert type(attempt.error).__mro__[1] is expected  # the facade's subclass of smtplib's
    assert f"smtplib raised {expected.__name__}" in lab.result_html.value
    assert "451" in lab.result_html.value and len(server.mailbox) == 0
    assert attempt.state is {"MAIL": ClientState.READY, "RCPT": ClientState.MAIL}.get(step, attempt.state)


def test_a_dropped_connection_after_the_message_stores_nothing(server: DebugServer) -> None:
    lab = FaultLab(server)
    lab.scenario_menu.value = "connection dropped"
    lab.step_menu.value = "MESSAGE"
    attempt = lab.send()
    assert attempt is not None and isinstance(attempt.error, smtplib.SMTPServerDisconnected)
    assert attempt.state is ClientState.CLOSED
    assert "The client's state now: <strong>CLOSED</strong>" in lab.result_html.value
    assert "CLOSED" in lab.diagram_html.value
    assert "nothing was stored" in lab.result_html.value and len(server.mailbox) == 0


def test_421_at_connect_is_smtplibs_connect_error(server: DebugServer) -> None:
    lab = FaultLab(server)
    lab.scenario_menu.value = "421 shutdown"
    lab.step_menu.value = "CONNECT"
    attempt = lab.send()
    assert attempt is not None and isinstance(attempt.error, smtplib.SMTPConnectError)
    assert "421" in lab.result_html.value


def test_size_limit_box_decides(server: DebugServer) -> None:
    lab = FaultLab(server)
    lab.scenario_menu.value = "size limit"
    lab.size_box.value = 300
    small = lab.send()
    assert small is not None and isinstance(small.error, smtplib.SMTPSenderRefused)
    assert "5.3.4" in lab.result_html.value
    lab.size_box.value = 2000
    big = lab.send()
    assert big is not None and big.error is None and len(server.mailbox) == 1


def test_too_many_recipients_and_relay_denied(server: DebugServer) -> None:
    lab = FaultLab(server)
    lab.scenario_menu.value = "too many recipients (452 4.5.3)"
    lab.send()
    assert "4.5.3" in lab.result_html.value and "Too many recipients" in lab.result_html.value
    assert server.mailbox[-1].rcpt_tos == ("alice@example.com", "bob@example.com")
    lab.scenario_menu.value = "relay denied (550 5.7.1)"
    lab.send()
    assert "5.7.1" in lab.result_html.value and "Relaying denied" in lab.result_html.value
    assert server.mailbox[-1].rcpt_tos == ("alice@example.com", "bob@example.com")


def test_each_scenario_raises_what_real_smtplib_raises(server: DebugServer) -> None:
    """The lab's exceptions come from the compat facade: check them against smtplib itself."""
    for scenario in SCENARIOS:
        for step in ("MAIL", "RCPT", "MESSAGE"):
            recipients = ["alice@example.com", "bob@example.com", "carol@elsewhere.example"]
            message = b"Subject: x\r\n\r\n" + b"y" * 600 + b"\r\n"
            outcomes = []
            for smtp_class in (smtplib.SMTP, compat.SMTP):
                server.faults.clear()
                server.inject(build_fault(scenario, step=step, size_limit=300))
                try:
                    with smtp_class(*server.address, local_hostname="localhost", timeout=10) as smtp:
                        outcomes.append(repr(smtp.sendmail("a@example.com", recipients, message)))
                except (smtplib.SMTPException, OSError) as error:
                    outcomes.append(type(error).__name__)
            assert outcomes[0] == outcomes[1], (scenario, step)
    server.faults.clear()


def test_wrong_inputs_are_explained(server: DebugServer) -> None:
    lab = FaultLab(server)
    lab.to_field.value = "  "
    assert lab.send() is None
    assert "No recipient" in lab.error_html.value
    # The field is also the To: header: a line break must not inject a header line.
    lab.to_field.value = "a@example.com\r\nBcc: victim@example.com, b@example.com"
    assert lab.send() is None
    assert "Not an address" in lab.error_html.value and "line breaks" in lab.error_html.value
    lab.to_field.value = "not an address"
    assert lab.send() is None and "Not an address" in lab.error_html.value
    assert len(server.mailbox) == 0 and len(server.sessions) == 0
    with pytest.raises(ValueError, match="needs a DebugServer running in this kernel"):
        FaultLab(server.address)
    with pytest.raises(ValueError, match="choose one of"):
        build_fault("meteor strike")
    assert "Fault" in shown_text(lab)


def test_retry_policy_timeline_with_an_injected_sleep(server: DebugServer) -> None:
    waits: list[float] = []
    lab = RetryLab(server, sleep=waits.append)
    lab.attempts_box.value = 3
    lab.backoff_box.value = 2.0
    lab.run_button.click()
    assert waits == [2.0]  # greylisted once, then accepted at the retry
    assert [entry.delivered for entry in lab.timeline] == [False, True]
    assert "451 4.7.1" in lab.timeline_html.value and "delivered on attempt 2" in lab.timeline_html.value
    assert len(server.faults) == 0 and len(server.mailbox) == 1
    lab.attempts_box.value = 1
    lab.run()
    assert waits == [2.0]
    assert "not delivered after 1 of 1 attempts" in lab.timeline_html.value
    assert repr(lab) == "RetryLab: 1 attempts in the last run"
