"""`PipeliningLab` and `ExtensionsLab`: feel what PIPELINING saves, and see extensions at work.

`PipeliningLab` sends one message to N recipients through a `LatencyProxy` (the server made
to look far away) with and without PIPELINING (RFC 2920), counting the round trips and the
milliseconds and drawing the session to time scale. Lock-step sends advance a progress bar
after every reply, so a long run shows it is moving.

`ExtensionsLab` switches the DebugServer's 8BITMIME and SMTPUTF8 off or on and sends a
message to the learner's address with their Subject: it shows what EHLO offered, the MAIL
parameters the client chose, the Subject as it went on the wire (encoded words, RFC 2047,
unless SMTPUTF8 carries it as UTF-8) and the server's answer, or the client's refusal.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.message import EmailMessage
from html import escape
from typing import Any

import ipywidgets as widgets

from smtplearn.client import Client, SendError
from smtplearn.protocol.data import message_bytes
from smtplearn.protocol.errors import SMTPLearnError
from smtplearn.record import Transcript
from smtplearn.render.theme import MONO_FONT as _MONO
from smtplearn.render.theme import PANE_TEXT as _TEXT
from smtplearn.server.latency import LatencyProxy
from smtplearn.server.settings import WITHHOLDABLE
from smtplearn.widgets._common import (
    Target,
    add_classes,
    endpoint,
    error_html,
    held_here,
    log,
    note_html,
    split_addresses,
)

_CELL = "border:1px solid var(--jp-border-color2, #d0d7de);padding:3px 6px;text-align:left"
_SENDER = "author@example.com"
#: Pixels per second of waiting in the sequence diagram: one scale for every run, to compare.
TIME_SCALE = 600.0


def readers_message(recipients: int) -> EmailMessage:
    """The message the lab sends: one text to ``reader1@example.com`` … ``readerN@…``."""
    message = EmailMessage()
    message["From"] = _SENDER
    message["To"] = ", ".join(f"reader{n}@example.com" for n in range(1, recipients + 1))
    message["Subject"] = f"{recipients} readers"
    message.set_content("One message, many recipients.\n")
    return message


@dataclass(frozen=True)
class Run:
    """One send: its settings, the round trips and seconds of the transaction, the session."""

    latency_ms: int
    recipients: int
    pipelining: bool
    round_trips: int
    seconds: float
    transcript: Transcript


class PipeliningLab(widgets.VBox):  # type: ignore[misc]
    """Number boxes for latency and recipients, a PIPELINING toggle, Send: round trips, ms, diagram.

    Controls (``description`` → DOM class): number box "Latency (ms)" (``smtplearn-latency``),
    number box "Recipients" (``smtplearn-recipients``), toggle "PIPELINING"
    (``smtplearn-pipelining``), button "Send" (``smtplearn-pipelining-send``). Output:
    ``smtplearn-pipelining-progress``, ``smtplearn-pipelining-result`` (every run so far),
    ``smtplearn-pipelining-diagram`` (the last session, time running down the page),
    ``smtplearn-error``.
    """

    def __init__(self, server: Target, *, timeout: float = 30.0, **kwargs: Any) -> None:
        self.endpoint = endpoint(server)
        self._timeout = timeout
        self.latency_box = add_classes(
            widgets.BoundedIntText(
                value=50,
                min=0,
                max=300,
                step=10,
                description="Latency (ms)",
                style={"description_width": "initial"},
            ),
            "smtplearn-latency",
        )
        self.recipients_box = add_classes(
            widgets.BoundedIntText(value=5, min=1, max=50, description="Recipients"), "smtplearn-recipients"
        )
        self.pipelining_toggle = add_classes(
            widgets.ToggleButton(value=True, description="PIPELINING", icon="forward"), "smtplearn-pipelining"
        )
        self.send_button = add_classes(
            widgets.Button(description="Send", button_style="primary", icon="paper-plane"),
            "smtplearn-pipelining-send",
        )
        self.progress = add_classes(
            widgets.IntProgress(value=0, min=0, max=1, description="Replies"), "smtplearn-pipelining-progress"
        )
        self.result_html = add_classes(widgets.HTML(), "smtplearn-pipelining-result")
        self.diagram_html = add_classes(widgets.HTML(), "smtplearn-pipelining-diagram")
        self.error_html = add_classes(widgets.HTML(), "smtplearn-error")
        self.runs: list[Run] = []
        self.send_button.on_click(lambda _b: self.send())
        super().__init__(
            children=[
                widgets.HBox([self.latency_box, self.recipients_box]),
                widgets.HBox([self.pipelining_toggle, self.send_button, self.progress]),
                self.error_html,
                self.result_html,
                self.diagram_html,
            ],
            **kwargs,
        )
        self.result_html.value = note_html(
            'Choose a latency and a number of recipients, then press "Send" with PIPELINING on and off.'
        )

    def send(self) -> Run | None:
        """Send the message once through a latency proxy; show and return the run."""
        self.error_html.value = ""
        latency_ms = int(self.latency_box.value)
        recipients = int(self.recipients_box.value)
        pipelining = bool(self.pipelining_toggle.value)
        message = readers_message(recipients)
        # Lock-step: MAIL, each RCPT, DATA and the message wait for a reply each.
        self.progress.max = 2 if pipelining else recipients + 3
        self.progress.value = 0
        self.send_button.disabled = True
        proxy = LatencyProxy((self.endpoint.host, self.endpoint.port), latency_ms / 1000).start()
        client = Client(
            proxy.host, proxy.port, timeout=self._timeout, tls_context=self.endpoint.tls_context()
        )
        try:
            client.connect().raise_for_reply()
            client.ehlo().raise_for_reply()
            trips_before, started = client.round_trips, time.perf_counter()
            if pipelining:
                client.send_message(message, pipelining=True)
                self.progress.value = self.progress.max
            else:
                self._lock_step(client, message)
            seconds = time.perf_counter() - started
            run = Run(
                latency_ms,
                recipients,
                pipelining,
                client.round_trips - trips_before,
                seconds,
                client.transcript,
            )
            client.quit()
        except (SMTPLearnError, OSError) as error:
            log.info("pipelining lab send failed: %s", error)
            self.error_html.value = error_html("The message was not sent", error)
            return None
        finally:
            client.close()
            proxy.stop()
            self.send_button.disabled = False
        self.runs.append(run)
        self._show(run)
        return run

    def _lock_step(self, client: Client, message: EmailMessage) -> None:
        """What ``send_message(pipelining=False)`` does, one reply at a time for the progress bar."""
        body = message_bytes(message)
        client.mail(_SENDER, size=len(body) if client.extensions.has("SIZE") else None).raise_for_reply()
        self.progress.value += 1
        for address in split_addresses(str(message["To"])):
            client.rcpt(address).raise_for_reply()
            self.progress.value += 1
        client.data(message).raise_for_reply()
        self.progress.value = self.progress.max

    def _show(self, run: Run) -> None:
        rows = "".join(
            f'<tr><td style="{_CELL}">{item.latency_ms} ms</td><td style="{_CELL}">{item.recipients}</td>'
            f'<td style="{_CELL}">{"on" if item.pipelining else "off"}</td>'
            f'<td style="{_CELL}">{item.round_trips}</td>'
            f'<td style="{_CELL}">{item.seconds * 1000:.0f} ms</td></tr>'
            for item in self.runs
        )
        self.result_html.value = (
            f'<div style="{_TEXT}"><strong>Last send: {run.round_trips} round trips, '
            f"{run.seconds * 1000:.0f} ms</strong> for the transaction (MAIL to the final 250)."
            f'<table style="border-collapse:collapse;margin:4px 0"><tr><th style="{_CELL}">latency</th>'
            f'<th style="{_CELL}">recipients</th><th style="{_CELL}">PIPELINING</th>'
            f'<th style="{_CELL}">round trips</th><th style="{_CELL}">time</th></tr>{rows}</table></div>'
        )
        self.diagram_html.value = (
            f'<div style="max-height:420px;overflow:auto">'
            f"{run.transcript.sequence_diagram(time_scale=TIME_SCALE)}</div>"
        )

    def __repr__(self) -> str:
        count = len(self.runs)
        return f"PipeliningLab: {count} send{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class ExtensionsOutcome:
    """What one ExtensionsLab send showed."""

    offered: tuple[str, ...]
    mail_line: str
    subject_line: str
    answer: str
    delivered: bool


class ExtensionsLab(widgets.VBox):  # type: ignore[misc]
    """An address, a Subject and what the server offers: see MAIL's parameters and the answer.

    Controls: text "To" (``smtplearn-ext-to``), text "Subject" (``smtplearn-ext-subject``),
    checkboxes "Server offers 8BITMIME" (``smtplearn-ext-8bitmime``) and "Server offers
    SMTPUTF8" (``smtplearn-ext-smtputf8``; both set ``server.withheld_extensions``), button
    "Send" (``smtplearn-ext-send``). Output: ``smtplearn-ext-result``, ``smtplearn-error``.
    """

    def __init__(self, server: Target, *, timeout: float = 10.0, **kwargs: Any) -> None:
        self.endpoint = endpoint(server)
        if held_here(self.endpoint.server, "mailbox") is None:
            raise ValueError(
                "ExtensionsLab needs a DebugServer running in this kernel (it switches extensions)"
            )
        self._timeout = timeout
        self.to_field = add_classes(
            widgets.Text(value="用户@例子.test", description="To"), "smtplearn-ext-to"
        )
        self.subject_field = add_classes(
            widgets.Text(value="Crème brûlée", description="Subject"), "smtplearn-ext-subject"
        )
        withheld = self.endpoint.server.withheld_extensions
        self.offer_boxes = {
            name: add_classes(
                widgets.Checkbox(
                    value=name not in withheld, description=f"Server offers {name}", indent=False
                ),
                f"smtplearn-ext-{name.lower()}",
            )
            for name in sorted(WITHHOLDABLE)
        }
        self.send_button = add_classes(
            widgets.Button(description="Send", button_style="primary", icon="paper-plane"),
            "smtplearn-ext-send",
        )
        self.result_html = add_classes(widgets.HTML(), "smtplearn-ext-result")
        self.error_html = add_classes(widgets.HTML(), "smtplearn-error")
        self.outcomes: list[ExtensionsOutcome] = []
        for box in self.offer_boxes.values():
            box.observe(lambda _change: self._apply_offers(), names="value")
        self.send_button.on_click(lambda _b: self.send())
        super().__init__(
            children=[
                widgets.HBox([self.to_field, self.subject_field]),
                widgets.HBox([*self.offer_boxes.values(), self.send_button]),
                self.error_html,
                self.result_html,
            ],
            **kwargs,
        )
        self.result_html.value = note_html(
            'Type an address and a Subject, choose what the server offers, "Send".'
        )

    def _apply_offers(self) -> None:
        self.endpoint.server.withheld_extensions = {n for n, box in self.offer_boxes.items() if not box.value}

    def send(self) -> ExtensionsOutcome | None:
        """Send a short message to the To address with the Subject; show what went on the wire."""
        self.error_html.value = ""
        addresses = split_addresses(self.to_field.value)
        if len(addresses) != 1:
            self.error_html.value = error_html(
                "One address, please",
                'Type exactly one address in "To", e.g. reader@example.com or 用户@例子.test.',
            )
            return None
        message = EmailMessage()
        message["From"] = _SENDER
        try:
            message["To"] = addresses[0]
            message["Subject"] = self.subject_field.value
        except ValueError as error:  # a CR or LF typed into a header field
            self.error_html.value = error_html("That header cannot be sent", error)
            return None
        message.set_content(f"{self.subject_field.value}\n")
        client = Client(self.endpoint.host, self.endpoint.port, timeout=self._timeout)
        answer, delivered = "", False
        try:
            client.connect().raise_for_reply()
            client.ehlo().raise_for_reply()
            result = client.send_message(message)
            answer, delivered = str(result.steps[-1].reply), result.ok
        except SendError as error:
            answer = str(error.reply) if error.reply is not None else str(error)
        except SMTPLearnError as error:
            # The client refuses before sending what the server did not offer.
            answer = f"the client refused before sending: {error}"
        finally:
            if client.state.name not in ("DISCONNECTED", "CLOSED"):
                client.quit()
            client.close()
        outcome = ExtensionsOutcome(
            offered=tuple(client.extensions),
            mail_line=_first_shown(client.transcript, "MAIL"),
            subject_line=_subject_on_the_wire(client.transcript),
            answer=answer,
            delivered=delivered,
        )
        self.outcomes.append(outcome)
        self._show(outcome)
        return outcome

    def _show(self, outcome: ExtensionsOutcome) -> None:
        rows = [
            ("EHLO offered", " ".join(outcome.offered)),
            ("MAIL command", outcome.mail_line or "(not sent)"),
            ("Subject on the wire", outcome.subject_line or "(not sent)"),
            ("Answer", outcome.answer),
        ]
        cells = "".join(
            f'<tr><th style="{_CELL}">{escape(name)}</th><td style="{_CELL};{_MONO}">{escape(text)}</td></tr>'
            for name, text in rows
        )
        self.result_html.value = (
            f'<div style="{_TEXT}"><table style="border-collapse:collapse;margin:4px 0">{cells}</table>'
            "<p>8BITMIME lets the body carry 8-bit bytes (RFC 6152); header fields stay ASCII, "
            "so a non-ASCII Subject goes as encoded words (RFC 2047) unless SMTPUTF8 lets the "
            "whole message and the addresses be UTF-8 (RFC 6531).</p></div>"
        )

    def __repr__(self) -> str:
        withheld = sorted(self.endpoint.server.withheld_extensions)
        return f"ExtensionsLab: {len(self.outcomes)} sent, server withholds {withheld}"


def _first_shown(transcript: Transcript, verb: str) -> str:
    for step in transcript:
        for exchange in step.exchanges:
            if exchange.shown.upper().startswith(verb):
                return exchange.shown.splitlines()[0]
    return ""


def _subject_on_the_wire(transcript: Transcript) -> str:
    for step in transcript:
        for exchange in step.exchanges:
            for line in exchange.shown.splitlines():
                if line.lower().startswith("subject:"):
                    return line
    return ""
