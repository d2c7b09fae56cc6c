"""`ReplyQuiz`: a real reply from the running server; pick its class; instant feedback.

Each round runs one short session against the server and keeps the reply to one command
(NOOP → 250, a typo → 500, VRFY of an unknown user → 550, DATA after RCPT → 354, and with a
DebugServer in this kernel a greylisted RCPT → 451). A click on one of the four class
buttons is judged by lesson 00's own check, `check_reply_class`, which names the class and
its RFC 5321 §4.2.1 meaning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any

import ipywidgets as widgets

from smtplearn.client import Client
from smtplearn.exercises import CheckResult
from smtplearn.exercises.seed import REPLY_CLASS_NAMES, check_reply_class
from smtplearn.protocol.errors import SMTPLearnError
from smtplearn.record import Step
from smtplearn.render.theme import MONO_FONT as _MONO
from smtplearn.render.theme import PANE_TEXT as _TEXT
from smtplearn.server.faults import Greylist
from smtplearn.widgets._common import Target, add_classes, endpoint, error_html, goodbye, held_here, log

# A recipient no lesson uses, so greylisting it touches no other mail.
_GREYLISTED = "quiz-greylisted@example.com"


def _noop(client: Client, _server: Any) -> Step:
    return client.noop()


def _typo(client: Client, _server: Any) -> Step:
    return client.send_raw("HELLO")


def _unknown_user(client: Client, _server: Any) -> Step:
    return client.vrfy("nobody-here")


def _data_after_rcpt(client: Client, _server: Any) -> Step:
    client.mail("quiz@example.com").raise_for_reply()
    client.rcpt("reader@example.com").raise_for_reply()
    # The 354 is the reply; the quiz hangs up without sending a message, so nothing is stored.
    return client.send_raw("DATA")


def _greylisted(client: Client, server: Any) -> Step:
    fault = server.inject(Greylist(_GREYLISTED))
    try:
        client.mail("quiz@example.com").raise_for_reply()
        return client.rcpt(_GREYLISTED)
    finally:
        server.faults.remove(fault)


@dataclass(frozen=True)
class Round:
    """One quiz question: what the client sends, and how it gets there."""

    label: str
    ask: Callable[[Client, Any], Step]
    #: True when the round injects a fault, so it needs a DebugServer in this kernel.
    needs_faults: bool = False


ROUNDS = (
    Round("HELLO (a typo for EHLO)", _typo),
    Round("NOOP", _noop),
    Round("DATA after MAIL and RCPT", _data_after_rcpt),
    Round("RCPT TO a greylisted address", _greylisted, needs_faults=True),
    Round("VRFY nobody-here", _unknown_user),
)


class ReplyQuiz(widgets.VBox):  # type: ignore[misc]
    """A real reply; four buttons for its class; the check's verdict at once.

    Controls: one button per class — "done", "go on", "failed for now", "failed for good"
    (DOM class ``smtplearn-quiz-answer``) — and "Another reply" (``smtplearn-quiz-next``).
    Output: ``smtplearn-quiz-question`` (the command and the reply), ``smtplearn-quiz-verdict``,
    ``smtplearn-error``.
    """

    def __init__(self, target: Target, *, timeout: float = 10.0, **kwargs: Any) -> None:
        self.endpoint = endpoint(target)
        self._timeout = timeout
        has_faults = held_here(self.endpoint.server, "faults") is not None
        self.rounds = tuple(r for r in ROUNDS if has_faults or not r.needs_faults)
        self.answer_buttons = [
            add_classes(widgets.Button(description=name, tooltip=f"{digit}xx"), "smtplearn-quiz-answer")
            for digit, name in sorted(REPLY_CLASS_NAMES.items())
        ]
        self.next_button = add_classes(
            widgets.Button(description="Another reply", icon="refresh"), "smtplearn-quiz-next"
        )
        self.question_html = add_classes(widgets.HTML(), "smtplearn-quiz-question")
        self.verdict_html = add_classes(widgets.HTML(), "smtplearn-quiz-verdict")
        self.error_html = add_classes(widgets.HTML(), "smtplearn-error")
        for button in self.answer_buttons:
            button.on_click(lambda b: self.answer(b.description))
        self.next_button.on_click(lambda _b: self.next_reply())
        super().__init__(
            children=[
                self.question_html,
                widgets.HBox([*self.answer_buttons, self.next_button]),
                self.verdict_html,
                self.error_html,
            ],
            **kwargs,
        )
        self.index = -1
        self.step: Step | None = None
        self.results: list[CheckResult] = []
        self.next_reply()

    @property
    def round(self) -> Round:
        return self.rounds[self.index % len(self.rounds)]

    def next_reply(self) -> Step | None:
        """Move to the next round: run its short session and show the reply to judge."""
        self.index += 1
        self.step = None
        self.verdict_html.value = ""
        self.error_html.value = ""
        client = Client(self.endpoint.host, self.endpoint.port, timeout=self._timeout)
        try:
            client.connect().raise_for_reply()
            client.ehlo().raise_for_reply()
            self.step = self.round.ask(client, self.endpoint.server)
        except SMTPLearnError as error:
            log.info("reply quiz session failed: %s", error)
            self.error_html.value = error_html("No reply to judge this time", error)
        finally:
            if self.step is not None and self.step.reply is not None and self.step.reply.code == 354:
                client.close()  # leave the message unsent: nothing is stored
            else:
                goodbye(client)
        for button in self.answer_buttons:
            button.disabled = self.step is None
        reply = self.step.reply if self.step is not None else None
        self.question_html.value = (
            f'<div style="{_TEXT}">The client sent <span style="{_MONO}">{escape(self.round.label)}</span>; '
            f'the server answered:<pre style="{_MONO};margin:4px 0">{escape(str(reply))}</pre>'
            "<strong>Which class is that reply in?</strong></div>"
            if reply is not None
            else ""
        )
        return self.step

    def answer(self, name: str) -> CheckResult:
        """Judge `name` as the class of the current reply with lesson 00's check."""
        reply = self.step.reply if self.step is not None else None
        result = check_reply_class(reply, name)
        self.results.append(result)
        colour = "var(--jp-success-color1, #1a7f37)" if result.passed else "var(--jp-warn-color1, #b35900)"
        self.verdict_html.value = (
            f'<p style="{_TEXT};color:{colour};font-weight:bold">{escape(str(result))}</p>'
        )
        return result

    def __repr__(self) -> str:
        right = sum(result.passed for result in self.results)
        answered = len(self.results)
        return f"ReplyQuiz: reply {self.index + 1} ({self.round.label}), {right} of {answered} answers right"
