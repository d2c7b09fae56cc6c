"""SendingStepper: fill the fields, click the buttons, check the widget and the server's mailbox."""

from __future__ import annotations

import html

import pytest

from smtplearn.protocol.states import ClientState
from smtplearn.server import DebugServer, RejectRecipient
from smtplearn.widgets import SendingStepper

from .conftest import shown_text


def _filled(server: DebugServer, **fields: str) -> SendingStepper:
    stepper = SendingStepper(server)
    stepper.from_field.value = fields.get("from_", "Author <author@example.com>")
    stepper.to_field.value = fields.get("to", "Recipient <recipient@example.com>")
    stepper.cc_field.value = fields.get("cc", "")
    stepper.bcc_field.value = fields.get("bcc", "hidden@example.com")
    stepper.subject_field.value = fields.get("subject", "Stepping through SMTP")
    stepper.body_field.value = fields.get("body", "One step at a time.")
    return stepper


def test_next_step_walks_the_whole_session(server: DebugServer) -> None:
    stepper = _filled(server)
    # connect, EHLO, MAIL, RCPT x2 (To and Bcc), DATA, QUIT
    assert repr(stepper) == "SendingStepper: 0 of 7 steps done, client DISCONNECTED"
    assert stepper.progress_label.value.startswith("0 of 7 steps done · next: connect")
    expected = [
        ("connect", ClientState.CONNECTED),
        ("ehlo", ClientState.READY),
        ("mail", ClientState.MAIL),
        ("rcpt", ClientState.RCPT),
        ("rcpt", ClientState.RCPT),
        ("data", ClientState.READY),
        ("quit", ClientState.CLOSED),
    ]
    for number, (name, state) in enumerate(expected, start=1):
        assert len(server.mailbox) == (1 if name == "quit" else 0)
        stepper.next_button.click()
        assert stepper.steps[-1].name == name
        assert stepper.state_label.value == f"Client state: {state.name}"
        assert f"Step {number}: {name}" in stepper.step_html.value
        assert f"{number} of 7 steps done" in stepper.progress_label.value
        assert stepper.error_html.value == ""
    assert stepper.done
    assert stepper.next_button.disabled and stepper.send_all_button.disabled
    assert "the session is over" in stepper.progress_label.value
    assert repr(stepper) == "SendingStepper: 7 of 7 steps done, client CLOSED"

    (message,) = server.mailbox
    assert message.mail_from == "author@example.com"
    assert message.rcpt_tos == ("recipient@example.com", "hidden@example.com")
    assert "hidden@example.com" not in message.raw.decode()
    assert message.message["Subject"] == "Stepping through SMTP"
    html = stepper.mailbox_view.html.value if stepper.mailbox_view else ""
    assert "hidden@example.com — envelope only" in html
    assert "RCPT TO:&lt;hidden@example.com&gt;" in stepper.transcript_view.html.value
    assert len(server.sessions) == 1


def test_each_step_is_shown_with_its_explanation(server: DebugServer) -> None:
    stepper = _filled(server)
    stepper.next_button.click()
    stepper.next_button.click()
    step = stepper.steps[-1]
    first_line = str(step.explain()).splitlines()[0]
    assert step.name == "ehlo"
    assert "Step 2: ehlo" in stepper.step_html.value
    assert "CONNECTED → READY" in stepper.step_html.value
    title = first_line.split(":", 1)[0]
    assert title and title in stepper.step_html.value
    assert "RFC 5321" in stepper.step_html.value
    assert "next: MAIL FROM:<author@example.com>" in stepper.progress_label.value


def test_send_all_after_two_steps_finishes(server: DebugServer) -> None:
    stepper = _filled(server, cc="Carol <carol@example.com>", bcc="")
    stepper.next_button.click()
    stepper.next_button.click()
    stepper.send_all_button.click()
    assert [s.name for s in stepper.steps] == ["connect", "ehlo", "mail", "rcpt", "rcpt", "data", "quit"]
    assert stepper.done
    (message,) = server.mailbox
    assert message.rcpt_tos == ("recipient@example.com", "carol@example.com")
    assert message.message["Cc"] == "Carol <carol@example.com>"


def test_fields_are_locked_during_a_session_and_reset_starts_over(server: DebugServer) -> None:
    stepper = _filled(server)
    stepper.next_button.click()
    stepper.next_button.click()
    stepper.next_button.click()
    assert stepper.from_field.disabled and stepper.bcc_field.disabled
    stepper.reset_button.click()
    assert not stepper.from_field.disabled
    assert stepper.steps == []
    assert stepper.state_label.value == "Client state: DISCONNECTED"
    assert repr(stepper) == "SendingStepper: 0 of 7 steps done, client DISCONNECTED"
    assert stepper.transcript_view.html.value.count("No steps yet") == 1
    # The abandoned session ended politely, and nothing was delivered.
    assert server.sessions[0].received[-1] == "QUIT"
    assert len(server.mailbox) == 0

    stepper.bcc_field.value = ""
    stepper.send_all_button.click()
    assert len(stepper.steps) == 6
    assert len(server.sessions) == 2
    (message,) = server.mailbox
    assert message.rcpt_tos == ("recipient@example.com",)


@pytest.mark.parametrize(
    ("field", "value", "failing_step", "server_saw"),
    [
        ("from_", "author@example.com\rRCPT TO:<victim@example.com>", "MAIL", ()),
        ("to", "recipient@example.com\r\nDATA", "RCPT", ("MAIL FROM:<author@example.com>",)),
    ],
)
def test_a_line_break_in_an_address_is_shown_not_raised(
    server: DebugServer, field: str, value: str, failing_step: str, server_saw: tuple[str, ...]
) -> None:
    stepper = _filled(server, **{field: value, "bcc": ""})
    stepper.send_all_button.click()
    assert 'class="smtplearn-error"' in stepper.error_html.value
    assert "LocalProtocolError" in stepper.error_html.value
    assert f"{failing_step}" in stepper.error_html.value
    # Nothing with the line break reached the server; the session still ended with QUIT.
    assert stepper.steps[-1].name == "quit"
    assert stepper.client.state is ClientState.CLOSED
    assert len(server.mailbox) == 0
    assert server.sessions[0].received == ("EHLO localhost", *server_saw, "QUIT")
    assert "victim" not in str(server.sessions[0])
    assert "DATA" not in server.sessions[0].received


def test_a_refused_recipient_is_data_and_the_others_still_get_the_message(server: DebugServer) -> None:
    server.inject(RejectRecipient("nobody@*"))
    stepper = _filled(server, to="nobody@example.com, recipient@example.com", bcc="")
    stepper.send_all_button.click()
    rcpts = [s for s in stepper.steps if s.name == "rcpt"]
    assert [s.ok for s in rcpts] == [False, True]
    assert stepper.steps[-2].name == "data" and stepper.steps[-2].ok
    (message,) = server.mailbox
    assert message.rcpt_tos == ("recipient@example.com",)


def test_every_recipient_refused_skips_data(server: DebugServer) -> None:
    server.inject(RejectRecipient("*@example.com"))
    stepper = _filled(server, bcc="")
    stepper.send_all_button.click()
    assert [s.name for s in stepper.steps] == ["connect", "ehlo", "mail", "rcpt", "quit"]
    # The step view shows the last step (QUIT); the refusal is in the transcript, with its text.
    assert "Step 5: quit" in stepper.step_html.value and "550" not in stepper.step_html.value
    transcript = html.unescape(stepper.transcript_view.html.value)
    assert "550 5.1.1 <recipient@example.com>... Recipient address rejected" in transcript
    assert len(server.mailbox) == 0


def test_no_server_listening_is_shown_not_raised() -> None:
    with DebugServer() as gone:
        address = gone.address
    stepper = SendingStepper(address)
    assert stepper.mailbox_view is None
    stepper.next_button.click()
    assert "ConnectError" in stepper.error_html.value
    assert stepper.done
    assert "the session is over" in stepper.progress_label.value


def test_starttls_then_send(server: DebugServer) -> None:
    stepper = SendingStepper(server, starttls=True, bcc="hidden@example.com")
    assert repr(stepper) == "SendingStepper: 0 of 9 steps done, client DISCONNECTED"
    stepper.send_all_button.click()
    assert [s.name for s in stepper.steps][:4] == ["connect", "ehlo", "starttls", "ehlo"]
    assert stepper.steps[-1].tls
    (message,) = server.mailbox
    assert message.tls_version is not None
    assert "~&gt;" in stepper.transcript_view.html.value  # TLS lines are drawn with ~> arrows


def test_the_view_text_is_what_a_learner_sees(server: DebugServer) -> None:
    stepper = _filled(server)
    stepper.send_all_button.click()
    text = shown_text(stepper)
    assert "Next step" in text and "Send all" in text and "Reset" in text
    assert "250" in text


def test_text_plain_is_deterministic_for_nbval(server: DebugServer) -> None:
    bundles = [SendingStepper(server)._repr_mimebundle_() for _ in range(2)]
    expected = "SendingStepper: 0 of 6 steps done, client DISCONNECTED"
    assert [b["text/plain"] for b in bundles] == [expected, expected]
    # The view itself is there for a frontend to render (nbval skips its random model id).
    assert all("application/vnd.jupyter.widget-view+json" in b for b in bundles)


def test_the_plan_follows_the_fields_until_the_first_step(server: DebugServer) -> None:
    stepper = SendingStepper(server, to="a@example.com")
    assert repr(stepper).startswith("SendingStepper: 0 of 6 steps")
    stepper.cc_field.value = "b@example.com, Cee <c@example.com>"
    assert repr(stepper).startswith("SendingStepper: 0 of 8 steps")
    assert stepper.progress_label.value.startswith("0 of 8 steps done")
    assert [p.argument for p in stepper.plan if p.name == "rcpt"] == [
        "a@example.com",
        "b@example.com",
        "c@example.com",
    ]
    stepper.next_button.click()
    stepper.cc_field.value = ""  # locked in the UI; a change from code does not alter the session
    assert repr(stepper) == "SendingStepper: 1 of 8 steps done, client CONNECTED"


def test_the_state_diagram_highlights_the_current_state(server: DebugServer) -> None:
    stepper = SendingStepper(server)
    before = stepper.state_diagram.value
    assert "<svg" in before and "DISCONNECTED" in before
    stepper.next_button.click()
    assert stepper.state_diagram.value != before


def test_a_header_injection_in_the_subject_is_refused_and_shown(server: DebugServer) -> None:
    stepper = _filled(server, subject="Hello\r\nBcc: evil@example.com", bcc="")
    stepper.send_all_button.click()
    assert "DATA (then the message) was not sent" in stepper.error_html.value
    assert "linefeed or carriage return" in stepper.error_html.value
    assert [s.name for s in stepper.steps] == ["connect", "ehlo", "mail", "rcpt", "quit"]
    assert "DATA" not in server.sessions[0].received
    assert len(server.mailbox) == 0


def test_no_recipient_at_all_is_explained_by_the_client(server: DebugServer) -> None:
    stepper = _filled(server, to="", bcc="")
    stepper.send_all_button.click()
    assert "LocalProtocolError" in stepper.error_html.value
    assert "DATA" in stepper.error_html.value
    assert len(server.mailbox) == 0


def test_a_non_ascii_body_arrives_intact(server: DebugServer) -> None:
    stepper = _filled(server, body="Grüße aus Köln — ünïcödé", bcc="", to="")
    stepper.bcc_field.value = "only-bcc@example.com"
    stepper.send_all_button.click()
    (message,) = server.mailbox
    assert message.message.get_content().strip() == "Grüße aus Köln — ünïcödé"
    assert message.message["To"] is None
    assert message.rcpt_tos == ("only-bcc@example.com",)


def test_the_state_diagram_is_shown_and_hidden_by_a_button_a_keyboard_reaches(server: DebugServer) -> None:
    # ipywidgets' Accordion header is not focusable: a keyboard user could never open it.
    # A toggle button is a real <button>, reached with Tab and pressed with Enter or Space.
    import ipywidgets as widgets

    stepper = SendingStepper(server)
    toggle = stepper.state_diagram_toggle
    assert isinstance(toggle, widgets.ToggleButton)
    assert not any(isinstance(child, widgets.Accordion) for child in stepper.children)
    assert stepper.state_diagram.layout.display == "none"
    assert toggle.description == "Show the client's state machine"

    toggle.value = True
    assert stepper.state_diagram.layout.display is None
    assert toggle.description == "Hide the client's state machine"
    stepper.next_button.click()  # redrawn while open: it stays open
    assert stepper.state_diagram.layout.display is None
    assert "current state CONNECTED" in stepper.state_diagram.value

    toggle.value = False
    assert stepper.state_diagram.layout.display == "none"
