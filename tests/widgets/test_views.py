"""TranscriptView and MailboxView against a real DebugServer."""

from __future__ import annotations

import subprocess
import sys
from email.message import EmailMessage

from smtplearn import Client
from smtplearn.record import Transcript
from smtplearn.server import DebugServer
from smtplearn.widgets import MailboxView, TranscriptView
from smtplearn.widgets.views import envelope_only


def _send_with_bcc(server: DebugServer) -> Client:
    message = EmailMessage()
    message["From"] = "author@example.com"
    message["To"] = "recipient@example.com"
    message["Bcc"] = "secret@example.com"
    message["Subject"] = "Hello"
    message.set_content("Hi there.")
    client = Client(server.host, server.port)
    with client:
        client.send_message(message)
    return client


def test_transcript_view_starts_empty_and_refreshes(server: DebugServer) -> None:
    client = Client(server.host, server.port)
    view = TranscriptView(client.transcript)
    assert repr(view) == "TranscriptView: 0 steps"
    assert "No steps yet" in view.html.value
    client.connect()
    client.ehlo()
    assert "No steps yet" in view.html.value  # not refreshed yet: the view does not poll
    view.refresh()
    assert "220 mail.example.test" in view.html.value
    assert "EHLO localhost" in view.html.value
    assert repr(view) == "TranscriptView: 2 steps"
    client.quit()


def test_transcript_view_can_be_given_another_transcript(server: DebugServer) -> None:
    client = _send_with_bcc(server)
    view = TranscriptView()
    assert repr(view) == "TranscriptView: 0 steps"
    view.transcript = client.transcript
    assert "RCPT TO:&lt;secret@example.com&gt;" in view.html.value
    assert "smtplearn-transcript" in view.html._dom_classes
    view.transcript = Transcript()
    assert "No steps yet" in view.html.value


def test_mailbox_view_shows_bcc_in_envelope_only(server: DebugServer) -> None:
    view = MailboxView(server)
    assert repr(view) == "MailboxView: 0 messages"
    assert "mailbox is empty" in view.html.value
    _send_with_bcc(server)
    view.refresh_button.click()
    html = view.html.value
    assert repr(view) == "MailboxView: 1 message"
    assert "secret@example.com — envelope only: no header names it (Bcc)" in html
    assert "recipient@example.com — envelope only" not in html
    assert "<strong>Subject:</strong> Hello" in html
    assert "Bcc:</strong>" not in html  # the client removed the header; the view shows headers as received
    (received,) = server.mailbox
    assert envelope_only(received) == ["secret@example.com"]


def test_mailbox_view_accepts_the_mailbox_itself(server: DebugServer) -> None:
    _send_with_bcc(server)
    view = MailboxView(server.mailbox)
    assert "Message 1" in view.html.value
    assert "smtplearn-mailbox" in view.html._dom_classes
    server.mailbox.clear()
    view.refresh()
    assert "mailbox is empty" in view.html.value


def test_importing_smtplearn_does_not_import_ipywidgets() -> None:
    code = (
        "import sys, smtplearn; smtplearn.Client; smtplearn.Transcript;"
        "print('ipywidgets' in sys.modules, 'smtplearn.widgets' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
