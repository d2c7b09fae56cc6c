"""Read-only views: `TranscriptView` (a session's steps) and `MailboxView` (what the server got).

Both are `VBox`es around one `HTML` widget whose value is rebuilt by `refresh()`; the HTML
itself comes from pure functions (`smtplearn.render.html.transcript_html`, `mailbox_html`
below) so it can be checked without a frontend.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import getaddresses
from html import escape
from typing import Any

import ipywidgets as widgets

from smtplearn.record import Transcript
from smtplearn.render.html import transcript_html
from smtplearn.render.theme import BORDER, MONO_FONT, SURFACE, TEXT, Accent, tinted
from smtplearn.server.mailbox import ReceivedMessage
from smtplearn.widgets._common import add_classes, lines_html, note_html

_TABLE = "border-collapse:collapse;font-size:12.5px;margin:4px 0;width:100%;table-layout:fixed"
_CELL = f"border:1px solid {BORDER};padding:4px 6px;vertical-align:top;text-align:left;overflow-wrap:anywhere"
_MONO = f"{MONO_FONT};white-space:pre-wrap"
# A Bcc recipient is flagged in words ("envelope only"); the edge and tint only repeat it.
_BCC = f"background:{tinted(Accent.LATER)};border-left:4px solid {Accent.LATER};padding-left:4px"
_BOX = (
    f"font-family:system-ui,sans-serif;border:1px solid {BORDER};border-radius:6px;"
    f"padding:6px 8px;margin:4px 0;background:{SURFACE};color:{TEXT}"
)
# The header fields that name recipients (RFC 5322 §3.6.3, and §3.6.6 for resent messages).
_RECIPIENT_HEADERS = ("To", "Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc")


class TranscriptView(widgets.VBox):  # type: ignore[misc]
    """A live view of a `Transcript`: call `refresh()` after new steps, or assign `transcript`.

    Its HTML widget (`html`, DOM class ``smtplearn-transcript``) holds the rendering; secrets
    stay redacted because it is made by `smtplearn.render.html.transcript_html`.
    """

    def __init__(self, transcript: Transcript | None = None, **kwargs: Any) -> None:
        self.html = add_classes(widgets.HTML(), "smtplearn-transcript")
        super().__init__(children=(self.html,), **kwargs)
        self._transcript = transcript if transcript is not None else Transcript()
        self.refresh()

    @property
    def transcript(self) -> Transcript:
        return self._transcript

    @transcript.setter
    def transcript(self, transcript: Transcript) -> None:
        self._transcript = transcript
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the HTML from the transcript's current steps."""
        if len(self._transcript) == 0:
            self.html.value = note_html("No steps yet: the transcript fills in as the client talks.")
        else:
            self.html.value = transcript_html(self._transcript)

    def __repr__(self) -> str:
        # Deterministic text/plain for notebooks (ipywidgets uses repr() for it; nbval compares it).
        return f"TranscriptView: {len(self._transcript)} steps"


class MailboxView(widgets.VBox):  # type: ignore[misc]
    """What the server received, envelope beside headers, so a Bcc recipient stands out.

    `mailbox` is the DebugServer's `server.mailbox` (or any sequence of `ReceivedMessage`,
    or the server itself). The view does not poll: `refresh()` rebuilds it (the sending
    stepper calls it after each step) and its "Refresh" button does the same.
    """

    def __init__(self, mailbox: Any, **kwargs: Any) -> None:
        self.mailbox: Sequence[ReceivedMessage] = getattr(mailbox, "mailbox", mailbox)
        self.html = add_classes(widgets.HTML(), "smtplearn-mailbox")
        self.refresh_button = add_classes(
            widgets.Button(description="Refresh mailbox", icon="refresh"), "smtplearn-mailbox-refresh"
        )
        self.refresh_button.on_click(lambda _button: self.refresh())
        super().__init__(children=(self.html, self.refresh_button), **kwargs)
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the HTML from the mailbox's current messages."""
        self.html.value = mailbox_html(list(self.mailbox))

    def __repr__(self) -> str:
        count = len(self.mailbox)
        return f"MailboxView: {count} message{'' if count == 1 else 's'}"


def header_recipients(message: ReceivedMessage) -> set[str]:
    """Every address the message's own headers name as a recipient (case-folded)."""
    fields = [str(v) for name in _RECIPIENT_HEADERS for v in message.message.get_all(name, [])]
    return {address.casefold() for _name, address in getaddresses(fields) if address}


def envelope_only(message: ReceivedMessage) -> list[str]:
    """Recipients in the envelope whom no header names: how Bcc works (RFC 5321 §2.3.1)."""
    named = header_recipients(message)
    return [rcpt for rcpt in message.rcpt_tos if rcpt.casefold() not in named]


def mailbox_html(messages: Sequence[ReceivedMessage]) -> str:
    """The messages as HTML, newest last: envelope and headers side by side, raw text folded."""
    if not messages:
        return note_html("The server's mailbox is empty: no message has been accepted yet.")
    return "".join(_message_html(i, m) for i, m in enumerate(messages, start=1))


def _message_html(number: int, message: ReceivedMessage) -> str:
    hidden = envelope_only(message)
    rcpts = "".join(
        f'<div style="{_BCC}">{escape(r)} — envelope only: no header names it (Bcc)</div>'
        if r in hidden
        else f"<div>{escape(r)}</div>"
        for r in message.rcpt_tos
    )
    envelope = (
        f"<div><strong>MAIL FROM</strong> &lt;{escape(message.mail_from)}&gt;</div>"
        f"<div><strong>RCPT TO</strong></div>{rcpts}"
    )
    headers = "".join(
        f"<div><strong>{escape(name)}:</strong> {escape(str(value))}</div>"
        for name, value in message.message.items()
    )
    facts = [f"{len(message.raw)} bytes"]
    facts.append(f"over {message.tls_version}" if message.tls_version else "no TLS")
    if message.user:
        facts.append(f"sent by authenticated user {message.user}")
    raw = message.raw.decode("utf-8", errors="replace").replace("\r\n", "\n")
    return (
        f'<div class="smtplearn-message" style="{_BOX}">'
        f"<div><strong>Message {number}</strong> · {escape(', '.join(facts))}</div>"
        f'<table style="{_TABLE}"><tr>'
        f'<th style="{_CELL}">Envelope (what SMTP delivers by, RFC 5321 §2.3.1)</th>'
        f'<th style="{_CELL}">Headers (what the reader sees, RFC 5322 §3.6)</th></tr>'
        f'<tr><td style="{_CELL};{_MONO}">{envelope}</td>'
        f'<td style="{_CELL};{_MONO}">{headers}</td></tr></table>'
        f"<details><summary>raw message as received</summary>{lines_html([raw])}</details>"
        f"</div>"
    )
