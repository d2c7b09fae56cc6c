"""`SendingStepper`: send one message one SMTP step per click, each step explained.

The plan is the sequence `smtplib.SMTP.send_message` hides (RFC 5321 §3.3): connect (the
220 greeting), EHLO, optionally STARTTLS and EHLO again, MAIL FROM, one RCPT TO per
recipient (To, Cc and Bcc), DATA (the command and then the message), QUIT. Each click on
"Next step" calls exactly one public `Client` method.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import ipywidgets as widgets

from smtplearn.client import Client
from smtplearn.protocol.errors import SMTPLearnError
from smtplearn.protocol.states import ClientState, edges, transaction_refused
from smtplearn.record import Step
from smtplearn.render.diagram import state_diagram_svg
from smtplearn.render.html import step_html
from smtplearn.widgets._common import (
    Target,
    add_classes,
    endpoint,
    error_html,
    goodbye,
    held_here,
    log,
    note_html,
    sender_address,
    split_addresses,
)
from smtplearn.widgets.views import MailboxView, TranscriptView


@dataclass(frozen=True)
class PlannedStep:
    """One step still to take: the client method and what it will send, as a learner reads it."""

    name: str
    shown: str
    argument: str = ""


class SendingStepper(widgets.VBox):  # type: ignore[misc]
    """Fill in a message, then send it one SMTP step at a time.

    `target` is a running `DebugServer` (then a `MailboxView` of its mailbox is shown and
    its TLS context is used), or a ``(host, port)`` pair, or ``"host:port"``.

    Controls (``description`` → DOM class, for browser tests): the text fields "From",
    "To", "Cc", "Bcc", "Subject" and the text area "Body" (``smtplearn-from`` …
    ``smtplearn-body``); buttons "Next step" (``smtplearn-next-step``), "Send all"
    (``smtplearn-send-all``) and "Reset" (``smtplearn-reset``). Output: ``smtplearn-progress``
    (steps done, what comes next), ``smtplearn-state`` (the client's state) and
    ``smtplearn-state-diagram`` (the state table drawn, current state highlighted; shown by
    the toggle button "Show the client's state machine", ``smtplearn-state-diagram-toggle``),
    ``smtplearn-step`` (the last step and its explanation), ``smtplearn-error`` (a refusal or
    a network failure, shown instead of raised), ``smtplearn-transcript`` and
    ``smtplearn-mailbox``.

    The fields are read when the first step is taken and locked until "Reset".
    """

    def __init__(
        self,
        target: Target,
        *,
        from_addr: str = "author@example.com",
        to: str = "recipient@example.com",
        cc: str = "",
        bcc: str = "",
        subject: str = "Test message",
        body: str = "This is the body of the message.",
        starttls: bool = False,
        tls_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
        timeout: float = 10.0,
        **kwargs: Any,
    ) -> None:
        self.endpoint = endpoint(target)
        self.starttls = starttls
        self._client_options: dict[str, Any] = {"timeout": timeout, "local_hostname": local_hostname}
        if starttls:
            self._client_options["tls_context"] = self.endpoint.tls_context(tls_context)

        def field(description: str, value: str, css: str) -> Any:
            return add_classes(widgets.Text(value=value, description=description), css)

        self.from_field = field("From", from_addr, "smtplearn-from")
        self.to_field = field("To", to, "smtplearn-to")
        self.cc_field = field("Cc", cc, "smtplearn-cc")
        self.bcc_field = field("Bcc", bcc, "smtplearn-bcc")
        self.subject_field = field("Subject", subject, "smtplearn-subject")
        self.body_field = add_classes(
            widgets.Textarea(value=body, description="Body", rows=4), "smtplearn-body"
        )
        self.next_button = add_classes(
            widgets.Button(description="Next step", button_style="primary", icon="step-forward"),
            "smtplearn-next-step",
        )
        self.send_all_button = add_classes(
            widgets.Button(description="Send all", icon="fast-forward"), "smtplearn-send-all"
        )
        self.reset_button = add_classes(widgets.Button(description="Reset", icon="undo"), "smtplearn-reset")
        self.progress_label = add_classes(widgets.Label(), "smtplearn-progress")
        self.state_label = add_classes(widgets.Label(), "smtplearn-state")
        self.state_diagram = add_classes(
            widgets.HTML(layout=widgets.Layout(display="none")), "smtplearn-state-diagram"
        )
        # A real button, so Tab reaches it and Enter or Space presses it (the header of
        # ipywidgets' Accordion takes no keyboard focus). The diagram keeps being redrawn
        # while hidden, and stays open across redraws.
        self.state_diagram_toggle = add_classes(
            widgets.ToggleButton(
                description=_SHOW_DIAGRAM, icon="sitemap", layout=widgets.Layout(width="max-content")
            ),
            "smtplearn-state-diagram-toggle",
        )
        self.state_diagram_toggle.observe(self._toggle_state_diagram, names="value")
        self.step_html = add_classes(widgets.HTML(), "smtplearn-step")
        self.error_html = add_classes(widgets.HTML(), "smtplearn-error")
        self.transcript_view = TranscriptView()
        self.mailbox_view: MailboxView | None = None
        mailbox = held_here(self.endpoint.server, "mailbox")
        if mailbox is not None:
            self.mailbox_view = MailboxView(mailbox)

        self._fields = (
            self.from_field,
            self.to_field,
            self.cc_field,
            self.bcc_field,
            self.subject_field,
            self.body_field,
        )
        for box in self._fields:
            # Before the first step the progress line previews the plan the fields make.
            box.observe(lambda _change: self._show_progress(), names="value")
        self.next_button.on_click(lambda _b: self.next_step())
        self.send_all_button.on_click(lambda _b: self.send_all())
        self.reset_button.on_click(lambda _b: self.reset())

        children = [
            widgets.VBox(self._fields),
            widgets.HBox([self.next_button, self.send_all_button, self.reset_button]),
            self.progress_label,
            self.state_label,
            self.state_diagram_toggle,
            self.state_diagram,
            self.error_html,
            self.step_html,
            widgets.HTML("<strong>Transcript</strong>"),
            self.transcript_view,
        ]
        if self.mailbox_view is not None:
            children += [widgets.HTML("<strong>The server's mailbox</strong>"), self.mailbox_view]
        super().__init__(children=children, **kwargs)
        self.client: Client = self.endpoint.client(**self._client_options)
        self.steps: list[Step] = []
        self._plan: list[PlannedStep] = []
        self._started = False
        self._show()

    # -- what the buttons do ---------------------------------------------------------------

    @property
    def done(self) -> bool:
        """True when the session is over (QUIT sent, or nothing more can be sent)."""
        return self._started and not self._plan

    @property
    def plan(self) -> list[PlannedStep]:
        """The steps still to take, next first (the whole plan before the first click)."""
        return list(self._plan) if self._started else self._fresh_plan()

    def next_step(self) -> Step | None:
        """Take exactly one step; return it, or None when nothing was sent.

        A refusal by the client (`LocalProtocolError`) or a network failure is shown in
        the widget, not raised, and the session heads for QUIT.
        """
        if not self._started:
            self._plan = self._fresh_plan()
            self._started = True
            for box in self._fields:
                box.disabled = True
        if not self._plan:
            return None
        planned = self._plan.pop(0)
        try:
            step = self._take(planned)
        except (SMTPLearnError, ValueError) as error:
            log.info("step %s failed: %s", planned.name, error)
            # Errors stay on screen until "Reset": the QUIT that follows must not hide them.
            self.error_html.value += error_html(f"{planned.shown} was not sent", error)
            self._after_failure()
            self._show()
            return None
        self.steps.append(step)
        self.step_html.value = _step_with_explanation(len(self.steps), step)
        if not step.ok:
            self._after_failure(step)
        self._show()
        return step

    def send_all(self) -> list[Step]:
        """Take every remaining step (the session ends with QUIT); return the steps taken."""
        taken: list[Step] = []
        while not self.done:
            step = self.next_step()
            if step is not None:
                taken.append(step)
        return taken

    def reset(self) -> None:
        """Close the session (politely, with QUIT, when one is open) and start over."""
        goodbye(self.client)
        self.client = self.endpoint.client(**self._client_options)
        self.steps = []
        self._plan = []
        self._started = False
        for box in self._fields:
            box.disabled = False
        self.error_html.value = ""
        self.step_html.value = ""
        self._show()

    # -- the plan ------------------------------------------------------------------------------

    def _fresh_plan(self) -> list[PlannedStep]:
        plan = [PlannedStep("connect", "connect (wait for the 220 greeting)"), _ehlo()]
        if self.starttls:
            plan += [PlannedStep("starttls", "STARTTLS"), _ehlo()]
        sender = sender_address(self.from_field.value)
        plan.append(PlannedStep("mail", f"MAIL FROM:<{sender}>", sender))
        plan += [PlannedStep("rcpt", f"RCPT TO:<{r}>", r) for r in self._recipients()]
        plan += [PlannedStep("data", "DATA (then the message)"), PlannedStep("quit", "QUIT")]
        return plan

    def _recipients(self) -> list[str]:
        # smtplib's send_message takes To, then Bcc, then Cc; the order does not matter to SMTP.
        fields = (self.to_field, self.cc_field, self.bcc_field)
        return [address for box in fields for address in split_addresses(box.value)]

    def message(self) -> EmailMessage:
        """The message the DATA step sends: the fields as headers, except Bcc (that is the point)."""
        message = EmailMessage()
        message["From"] = self.from_field.value
        for name, box in (("To", self.to_field), ("Cc", self.cc_field)):
            if box.value.strip():
                message[name] = box.value
        message["Subject"] = self.subject_field.value
        body = self.body_field.value
        if body.isascii():
            message.set_content(body)
        else:
            # Quoted-printable keeps the message 7-bit, so no BODY=8BITMIME is needed (RFC 6152).
            message.set_content(body, cte="quoted-printable")
        return message

    def _take(self, planned: PlannedStep) -> Step:
        actions: dict[str, Callable[[], Step]] = {
            "connect": self.client.connect,
            "ehlo": self.client.ehlo,
            "starttls": self.client.starttls,
            "mail": lambda: self.client.mail(planned.argument),
            "rcpt": lambda: self.client.rcpt(planned.argument),
            "data": lambda: self.client.data(self.message()),
            "quit": self.client.quit,
        }
        return actions[planned.name]()

    def _after_failure(self, step: Step | None = None) -> None:
        state = self.client.state
        if state in (ClientState.DISCONNECTED, ClientState.CLOSED):
            self._plan = []
            return
        if step is not None and step.name == "rcpt" and self._plan:
            # Other recipients may still be accepted (RFC 5321 §3.3); DATA needs at least one.
            following = self._plan[0].name
            if following == "rcpt" or (following == "data" and self._transaction_refused() is None):
                return
        # Anything else that failed ends the transaction: say goodbye (RFC 5321 §4.1.1.10).
        self._plan = [PlannedStep("quit", "QUIT")]

    def _transaction_refused(self) -> str | None:
        """The core's verdict on the transaction so far (`states.transaction_refused`)."""
        mail_ok = any(step.name == "mail" and step.ok for step in self.steps)
        return transaction_refused(mail_ok, [step.ok for step in self.steps if step.name == "rcpt"])

    # -- display -------------------------------------------------------------------------------

    def _toggle_state_diagram(self, change: dict[str, Any]) -> None:
        shown = bool(change["new"])
        self.state_diagram.layout.display = None if shown else "none"
        self.state_diagram_toggle.description = _HIDE_DIAGRAM if shown else _SHOW_DIAGRAM

    def _show_progress(self) -> None:
        done, total = len(self.steps), len(self.steps) + len(self.plan)
        upcoming = self.plan
        if upcoming:
            self.progress_label.value = f"{done} of {total} steps done · next: {upcoming[0].shown}"
        else:
            self.progress_label.value = f"{done} of {total} steps done · the session is over"
        self.next_button.disabled = self.send_all_button.disabled = not upcoming

    def _show(self) -> None:
        self._show_progress()
        self.state_label.value = f"Client state: {self.client.state.name}"
        # The drawing scales itself to the widget's width, and says its states in words.
        title = f"The client's states; current state {self.client.state.name}, highlighted"
        self.state_diagram.value = state_diagram_svg(edges(), self.client.state, title=title)
        self.transcript_view.transcript = self.client.transcript
        if self.mailbox_view is not None:
            self.mailbox_view.refresh()
        if not self.steps and not self.step_html.value:
            self.step_html.value = note_html('Press "Next step" to open the connection.')

    def __repr__(self) -> str:
        done, total = len(self.steps), len(self.steps) + len(self.plan)
        return f"SendingStepper: {done} of {total} steps done, client {self.client.state.name}"


_SHOW_DIAGRAM, _HIDE_DIAGRAM = "Show the client's state machine", "Hide the client's state machine"


def _ehlo() -> PlannedStep:
    return PlannedStep("ehlo", "EHLO (greet the server, learn its extensions)")


def _step_with_explanation(number: int, step: Step) -> str:
    change = f"{step.state_before.name} → {step.state_after.name}"
    head = f"<div><strong>Step {number}: {step.name}</strong> · client state {change}</div>"
    return f"{head}{step_html(step)}{step.explain()._repr_html_()}"
