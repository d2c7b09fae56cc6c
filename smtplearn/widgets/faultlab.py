"""`FaultLab` and `RetryLab`: make the DebugServer fail on purpose and see what each failure means.

`FaultLab` injects one fault from `smtplearn.server.faults` (replacing any the server had)
and sends one message with the `smtplearn.compat` facade, which raises exactly what smtplib
raises. It shows the deciding reply's class (RFC 5321 §4.2.1), its enhanced code explained
(RFC 3463), smtplib's exception, the client's state in the state diagram, and what the server
stored. `RetryLab` runs a retry policy (attempts, backoff) against a greylisting server and
draws each attempt and wait on a timeline; its `sleep` is injectable so tests never wait.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from html import escape
from typing import Any

import ipywidgets as widgets

from smtplearn import compat
from smtplearn.explain import explain
from smtplearn.explain.catalogue import REPLY_CLASSES
from smtplearn.protocol.replies import Reply
from smtplearn.protocol.states import ClientState, edges
from smtplearn.record import Step
from smtplearn.render.diagram import state_diagram_svg
from smtplearn.render.theme import MONO_FONT as _MONO
from smtplearn.render.theme import PANE_TEXT as _TEXT
from smtplearn.server.faults import (
    Disconnect,
    Fault,
    Greylist,
    RecipientLimit,
    RejectRecipient,
    SizeLimit,
    TemporaryFailure,
)
from smtplearn.widgets._common import (
    Target,
    add_classes,
    endpoint,
    error_html,
    held_here,
    note_html,
    split_addresses,
)

_SENDER = "author@example.com"
_RECIPIENTS = "alice@example.com, bob@example.com, carol@elsewhere.example"
# A little over 700 octets: below the size box's top, above its bottom.
_BODY = "All the numbers for this quarter.\n" * 20

#: The scenarios of the dropdown, in the order a lesson meets them.
SCENARIOS = (
    "recipient refused (550 5.1.1)",
    "greylisting (451 4.7.1)",
    "size limit",
    "temporary failure",
    "connection dropped",
    "421 shutdown",
    "too many recipients (452 4.5.3)",
    "relay denied (550 5.7.1)",
)
#: The steps a failure can be placed at, per scenario that has a step.
STEP_CHOICES = {
    "temporary failure": ("MAIL", "RCPT", "DATA", "MESSAGE"),
    "connection dropped": ("CONNECT", "EHLO", "MAIL", "RCPT", "DATA", "MESSAGE"),
    "421 shutdown": ("CONNECT", "EHLO", "MAIL", "RCPT", "DATA", "MESSAGE"),
}


def build_fault(scenario: str, *, step: str = "MAIL", size_limit: int = 500) -> Fault:
    """The DebugServer fault for a dropdown `scenario` (a ValueError names the choices)."""
    if scenario == "recipient refused (550 5.1.1)":
        return RejectRecipient("bob@*")
    if scenario == "greylisting (451 4.7.1)":
        return Greylist()
    if scenario == "size limit":
        return SizeLimit(size_limit)
    if scenario == "temporary failure":
        return TemporaryFailure(step)
    if scenario == "connection dropped":
        return Disconnect(step)
    if scenario == "421 shutdown":
        return TemporaryFailure(step, code=421)
    if scenario == "too many recipients (452 4.5.3)":
        return RecipientLimit(2)
    if scenario == "relay denied (550 5.7.1)":
        # Relaying: RFC 5321 §3.6; RFC 3463 §3.8 names 5.7.1 (delivery not authorized) for it.
        return RejectRecipient("*@elsewhere.example", reply="550 5.7.1 <{address}>... Relaying denied")
    raise ValueError(f"unknown scenario {scenario!r}; choose one of: {', '.join(SCENARIOS)}")


def message_text(recipients: list[str]) -> bytes:
    """The message the lab sends (CRLF line ends, as on the wire)."""
    head = f"From: {_SENDER}\r\nTo: {', '.join(recipients)}\r\nSubject: Quarterly numbers\r\n\r\n"
    return (head + _BODY.replace("\n", "\r\n")).encode("ascii")


@dataclass(frozen=True)
class Attempt:
    """One Send: what smtplib returned or raised, every step, and what the server stored."""

    scenario: str
    steps: tuple[Step, ...]
    #: smtplib's exception, or None when `sendmail` returned.
    error: BaseException | None
    #: What `sendmail` returned (the refused recipients) when it did return.
    refused: dict[str, tuple[int, bytes]]
    #: The recipient lists of the messages the server stored during this Send.
    stored: tuple[tuple[str, ...], ...]

    @property
    def deciding(self) -> Step | None:
        """The first step that failed, else the last step with a reply."""
        failed = [step for step in self.steps if step.reply is not None and not step.ok]
        answered = [step for step in self.steps if step.reply is not None]
        return failed[0] if failed else (answered[-1] if answered else None)

    @property
    def state(self) -> ClientState:
        """The client's state right after the deciding reply (CLOSED once the server hung up)."""
        error = self.error
        # smtplib's exceptions are OSErrors too; only a disconnection or a socket error hangs up.
        if isinstance(error, smtplib.SMTPServerDisconnected) or (
            isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)
        ):
            return ClientState.CLOSED
        step = self.deciding
        return step.state_after if step is not None else ClientState.DISCONNECTED

    @property
    def outcome(self) -> str:
        """What smtplib did, in one line (as a learner would see it printed)."""
        if self.error is not None:
            return f"smtplib raised {type(self.error).__name__}: {self.error}"
        return f"smtplib returned {self.refused!r}"


def send_once(host: str, port: int, recipients: list[str], *, timeout: float = 10.0) -> tuple[Any, Any]:
    """Send the lab's message like ``smtplib.SMTP(host, port).sendmail(...)``.

    Returns ``(transcript, returned or raised)``; only smtplib's own exceptions (and OSError)
    are caught, so a bug in the lab is not shown as a server failure.
    """
    smtp = compat.SMTP(local_hostname="localhost", timeout=timeout)
    outcome: Any
    try:
        code, reply = smtp.connect(host, port)
        if code != 220:  # what smtplib.SMTP(host, port) does with a refused greeting
            smtp.close()
            raise compat.SMTPConnectError(code, reply)
        outcome = smtp.sendmail(_SENDER, recipients, message_text(recipients))
        smtp.quit()
    except (smtplib.SMTPException, OSError) as error:
        outcome = error
    finally:
        smtp.close()
    return smtp.transcript, outcome


class FaultLab(widgets.VBox):  # type: ignore[misc]
    """Choose a fault, press Send, and see the reply, smtplib's exception and the mailbox.

    Controls (``description`` → DOM class): dropdown "Fault" (``smtplearn-fault``),
    dropdown "At step" (``smtplearn-fault-step``), number box "Size limit" (``smtplearn-fault-size``),
    text "To" (``smtplearn-fault-to``), button "Send" (``smtplearn-fault-send``). Output:
    ``smtplearn-fault-result`` (reply class, enhanced code, smtplib's exception, the stored
    messages), ``smtplearn-fault-diagram`` (the client's state highlighted), ``smtplearn-error``.
    Each Send adds the chosen fault for that one message and takes it away again; faults a
    lesson injected itself still apply (``server.faults.clear()`` removes them).
    """

    def __init__(self, server: Target, *, timeout: float = 10.0, **kwargs: Any) -> None:
        self.endpoint = endpoint(server)
        if held_here(self.endpoint.server, "faults") is None:
            raise ValueError(
                "FaultLab needs a DebugServer running in this kernel (it injects faults into it)"
            )
        self._timeout = timeout
        self.scenario_menu = add_classes(
            widgets.Dropdown(options=SCENARIOS, value=SCENARIOS[0], description="Fault"), "smtplearn-fault"
        )
        self.step_menu = add_classes(
            widgets.Dropdown(options=STEP_CHOICES["temporary failure"], description="At step"),
            "smtplearn-fault-step",
        )
        self.size_box = add_classes(
            widgets.BoundedIntText(
                value=500,
                min=200,
                max=2000,
                step=50,
                description="Size limit",
                style={"description_width": "initial"},
            ),
            "smtplearn-fault-size",
        )
        self.to_field = add_classes(
            widgets.Text(value=_RECIPIENTS, description="To", layout=widgets.Layout(width="32em")),
            "smtplearn-fault-to",
        )
        self.send_button = add_classes(
            widgets.Button(description="Send", button_style="primary", icon="paper-plane"),
            "smtplearn-fault-send",
        )
        self.result_html = add_classes(widgets.HTML(), "smtplearn-fault-result")
        self.diagram_html = add_classes(widgets.HTML(), "smtplearn-fault-diagram")
        self.error_html = add_classes(widgets.HTML(), "smtplearn-error")
        self.attempts: list[Attempt] = []
        # The fault objects built so far, so a second Send meets the same greylist (and passes).
        self._faults: dict[tuple[str, str, int], Fault] = {}
        self.scenario_menu.observe(lambda _change: self._show_controls(), names="value")
        self.send_button.on_click(lambda _b: self.send())
        super().__init__(
            children=[
                widgets.HBox([self.scenario_menu, self.step_menu, self.size_box]),
                widgets.HBox([self.to_field, self.send_button]),
                self.error_html,
                self.result_html,
                self.diagram_html,
            ],
            **kwargs,
        )
        self._show_controls()
        self.result_html.value = note_html('Choose a fault, then press "Send".')

    def _show_controls(self) -> None:
        scenario = self.scenario_menu.value
        steps = STEP_CHOICES.get(scenario)
        self.step_menu.layout.display = None if steps else "none"
        if steps and tuple(self.step_menu.options) != steps:
            self.step_menu.options = steps
        self.size_box.layout.display = None if scenario == "size limit" else "none"

    def _fault(self) -> Fault:
        key = (self.scenario_menu.value, self.step_menu.value or "", self.size_box.value)
        if key not in self._faults:
            self._faults[key] = build_fault(key[0], step=key[1] or "MAIL", size_limit=key[2])
        return self._faults[key]

    def send(self) -> Attempt | None:
        """Inject the chosen fault, send the message once, and show what happened."""
        self.error_html.value = ""
        recipients = split_addresses(self.to_field.value)
        if not recipients:
            self.error_html.value = error_html(
                "No recipient", 'Type at least one address in "To", e.g. alice@example.com.'
            )
            return None
        unusable = [address for address in recipients if not _plain_address(address)]
        if unusable:
            # The field also becomes the To: header: a line break there would inject headers.
            self.error_html.value = error_html(
                "Not an address",
                f"{unusable[0]!r}: type addresses like alice@example.com, separated by commas, "
                "with no spaces or line breaks in them",
            )
            return None
        server = self.endpoint.server
        fault = server.inject(self._fault())
        before = len(server.mailbox)
        try:
            transcript, outcome = send_once(
                self.endpoint.host, self.endpoint.port, recipients, timeout=self._timeout
            )
        finally:
            server.faults.remove(fault)
        stored = tuple(message.rcpt_tos for message in list(server.mailbox)[before:])
        error = outcome if isinstance(outcome, BaseException) else None
        attempt = Attempt(
            self.scenario_menu.value, tuple(transcript), error, {} if error else outcome, stored
        )
        self.attempts.append(attempt)
        self._show(attempt)
        return attempt

    def _show(self, attempt: Attempt) -> None:
        step = attempt.deciding
        reply = step.reply if step is not None else None
        parts = [f'<div class="smtplearn-fault-outcome" style="{_TEXT}">']
        if step is not None and reply is not None:
            parts.append(f"<strong>{escape(_sent_line(step))}</strong> → ")
            parts.append(f'<span style="{_MONO}">{escape(str(reply))}</span>')
            parts.append(_class_html(reply))
        else:
            parts.append("<strong>No reply at all</strong>: the connection closed first.")
        parts.append(f'<p style="{_MONO}">{escape(attempt.outcome)}</p>')
        parts.append(f"<p>The client's state now: <strong>{attempt.state.name}</strong></p>")
        parts.append(_stored_html(attempt.stored))
        parts.append("</div>")
        self.result_html.value = "".join(parts)
        svg = state_diagram_svg(edges(), attempt.state, title="the client's state")
        # The diagram is wider than most notebooks: scale it to the output's width.
        self.diagram_html.value = svg.replace("<svg ", '<svg style="max-width:100%;height:auto" ', 1)

    def __repr__(self) -> str:
        count_ = len(self.attempts)
        return f"FaultLab: {count_} send{'' if count_ == 1 else 's'}, fault {self.scenario_menu.value!r}"


def _plain_address(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    return bool(at and local and domain) and address.isprintable() and " " not in address


def _sent_line(step: Step) -> str:
    if step.name == "message":
        return "the message, ended by <CRLF>.<CRLF>"
    return step.shown.splitlines()[0] if step.shown else "(connect: the greeting)"


def _class_html(reply: Reply) -> str:
    entry = REPLY_CLASSES[reply.reply_class]
    rows = [f"<p><strong>{escape(entry.title)}</strong>: {escape(entry.summary)} ({escape(entry.rfc)})</p>"]
    if reply.enhanced_code:
        meaning = explain(reply.enhanced_code)
        rows.append(f'<p>Enhanced code <span style="{_MONO}">{escape(str(meaning))}</span></p>')
    return "".join(rows)


def _stored_html(stored: tuple[tuple[str, ...], ...]) -> str:
    if not stored:
        return "<p><strong>Mailbox:</strong> nothing was stored by this send (no half message either).</p>"
    items = "".join(f"<li>one message for {escape(', '.join(rcpts))}</li>" for rcpts in stored)
    return f"<p><strong>Mailbox:</strong> stored</p><ul>{items}</ul>"
