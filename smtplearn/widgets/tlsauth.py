"""`TLSAuthLab`: log in with or without STARTTLS and see every SASL exchange decoded.

One click runs a whole short session: connect, EHLO, (STARTTLS, EHLO again,) AUTH, QUIT.
Nothing about it is hidden: when the client refuses to send credentials over cleartext
(RFC 4954 §4) the refusal is the lesson, and when the client is told to send them anyway
the server's own refusal (538, RFC 4954 §6) is shown too.
"""

from __future__ import annotations

import ssl
from html import escape
from typing import Any

import ipywidgets as widgets

from smtplearn.client import Client
from smtplearn.protocol.errors import LocalProtocolError, SMTPLearnError
from smtplearn.record import Step
from smtplearn.render.theme import BORDER, MONO_FONT, TEXT, Accent, tinted
from smtplearn.server.auth import DEMO_PASSWORD, DEMO_USER
from smtplearn.widgets._common import (
    Target,
    add_classes,
    endpoint,
    error_html,
    goodbye,
    log,
    note_html,
)
from smtplearn.widgets.views import TranscriptView

#: The mechanisms the lab offers, strongest first (the order `smtplearn.protocol.sasl` prefers).
MECHANISMS = ("PLAIN", "LOGIN", "CRAM-MD5")

_MONO = f"{MONO_FONT};font-size:12.5px"
# Base64 answers are long unbroken words: cells break inside them so the table stays as wide
# as the notebook (a fixed layout of width 100%) instead of pushing its last column off screen.
_ROW = (
    f"border:1px solid {BORDER};padding:3px 6px;vertical-align:top;text-align:left;"
    "overflow-wrap:anywhere;word-break:break-word"
)
_TABLE = "border-collapse:collapse;font-size:12.5px;margin:4px 0;table-layout:fixed;width:100%"


def _verdict_box(accent: str) -> str:
    # The verdict's first words say how it went; the edge and the tint only repeat it.
    return (
        f"border:1px solid {accent};border-left-width:4px;border-radius:6px;padding:6px 8px;"
        f"margin:4px 0;background:{tinted(accent)};color:{TEXT}"
    )


_OK, _WARN, _BAD = (_verdict_box(accent) for accent in (Accent.GOOD, Accent.LATER, Accent.FAILED))


class TLSAuthLab(widgets.VBox):  # type: ignore[misc]
    """Try AUTH with STARTTLS on or off, with PLAIN, LOGIN or CRAM-MD5.

    Controls (``description`` → DOM class): checkbox "STARTTLS first" (``smtplearn-starttls``),
    dropdown "Mechanism" (``smtplearn-mechanism``), text "User" (``smtplearn-user``),
    password "Password" (``smtplearn-password``), checkbox "Send credentials without TLS
    anyway" (``smtplearn-insecure-auth``: the client's ``allow_insecure_auth``), button
    "Log in" (``smtplearn-auth``). Output: ``smtplearn-auth-result`` (the verdict),
    ``smtplearn-auth-exchange`` (each AUTH exchange with the client's decoded working),
    ``smtplearn-error`` and the session's ``smtplearn-transcript``.

    ``password`` stays on the Python side: it is never put in the `Password` field, so no
    widget model holds it and a notebook saved with its widget state does not store it. By
    default (``password=None``) the field is empty with the placeholder "demo password
    (hidden)" and, while it stays empty, the demo user logs in with the demo password. A
    password typed into the field is used instead. Renderings show ``<redacted>``.
    """

    def __init__(
        self,
        target: Target,
        *,
        user: str = DEMO_USER,
        password: str | None = None,
        mechanism: str = "PLAIN",
        starttls: bool = True,
        tls_context: ssl.SSLContext | None = None,
        timeout: float = 10.0,
        **kwargs: Any,
    ) -> None:
        self.endpoint = endpoint(target)
        self._tls_context = self.endpoint.tls_context(tls_context)
        self._timeout = timeout
        # Kept off every widget: a widget's value is synced to the front end and saved in the
        # notebook's widget state, where a password must never end up.
        self._hidden_password = password
        self.starttls_box = add_classes(
            widgets.Checkbox(value=starttls, description="STARTTLS first", indent=False),
            "smtplearn-starttls",
        )
        self.mechanism_field = add_classes(
            widgets.Dropdown(options=MECHANISMS, value=mechanism.upper(), description="Mechanism"),
            "smtplearn-mechanism",
        )
        self.user_field = add_classes(widgets.Text(value=user, description="User"), "smtplearn-user")
        self.password_field = add_classes(
            widgets.Password(
                value="",
                description="Password",
                placeholder="demo password (hidden)" if password is None else "set in Python (hidden)",
            ),
            "smtplearn-password",
        )
        self.insecure_box = add_classes(
            widgets.Checkbox(value=False, description="Send credentials without TLS anyway", indent=False),
            "smtplearn-insecure-auth",
        )
        self.login_button = add_classes(
            widgets.Button(description="Log in", button_style="primary", icon="key"), "smtplearn-auth"
        )
        self.result_html = add_classes(widgets.HTML(), "smtplearn-auth-result")
        self.exchange_html = add_classes(widgets.HTML(), "smtplearn-auth-exchange")
        self.error_html = add_classes(widgets.HTML(), "smtplearn-error")
        self.transcript_view = TranscriptView()
        self.login_button.on_click(lambda _b: self.run())
        super().__init__(
            children=[
                widgets.HBox([self.starttls_box, self.mechanism_field]),
                widgets.HBox([self.user_field, self.password_field]),
                self.insecure_box,
                self.login_button,
                self.result_html,
                self.error_html,
                self.exchange_html,
                widgets.HTML("<strong>The whole session</strong>"),
                self.transcript_view,
            ],
            **kwargs,
        )
        #: How the last run ended: "authenticated", "refused by the client",
        #: "refused by the server", "failed", or "" before the first run.
        self.outcome = ""
        self.auth_step: Step | None = None
        self.result_html.value = note_html('Choose the settings, then press "Log in".')

    def run(self) -> str:
        """Run one session with the current settings, show it, and return `outcome`."""
        client = Client(
            self.endpoint.host,
            self.endpoint.port,
            timeout=self._timeout,
            tls_context=self._tls_context,
            allow_insecure_auth=self.insecure_box.value,
        )
        self.transcript_view.transcript = client.transcript
        self.auth_step = None
        self.error_html.value = self.exchange_html.value = ""
        try:
            self.outcome = self._session(client)
        except SMTPLearnError as error:
            log.info("TLS/AUTH lab session failed: %s", error)
            self.outcome = "failed"
            self.result_html.value = ""
            self.error_html.value = error_html("The session failed", error)
        finally:
            goodbye(client)
            self.transcript_view.refresh()
        return self.outcome

    def _session(self, client: Client) -> str:
        for step in (client.connect(), client.ehlo()):
            if not step.ok:
                return self._stopped(step)
        tls_version = "TLS"
        if self.starttls_box.value:
            step = client.starttls()
            if not step.ok:
                return self._stopped(step)
            tls_version = step.details.get("tls_version") or tls_version
            client.ehlo()
        user, password = self.user_field.value, self._password()
        try:
            step = client.login(user, password, self.mechanism_field.value)
        except LocalProtocolError as refusal:
            # The client's refusal comes before any byte of the credentials is written.
            log.info("client refused cleartext AUTH: %s", refusal)
            self.result_html.value = _verdict(
                _BAD,
                "The client refused to send the credentials.",
                "refusing to send credentials over an unencrypted connection: tick "
                '"STARTTLS first", or tick "Send credentials without TLS anyway" to see why that '
                "is dangerous (RFC 4954 §4)",
            )
            return "refused by the client"
        self.auth_step = step
        self.exchange_html.value = auth_exchange_html(step)
        reply = step.reply
        said = f"{reply.code} {reply.message}" if reply else "no reply"
        if step.ok:
            over = f"over {tls_version}" if step.tls else "in CLEARTEXT"
            style, head = (_OK, "Authenticated.") if step.tls else (_WARN, "Authenticated — but see below.")
            extra = (
                ""
                if step.tls
                else (
                    "The credentials crossed the network unencrypted: base64 is an encoding, "
                    "not encryption (RFC 4954 §4)."
                )
            )
            self.result_html.value = _verdict(style, head, f"{said} ({over}). {extra}".strip())
            return "authenticated"
        self.result_html.value = _verdict(_BAD, "The server refused.", said)
        return "refused by the server"

    def _password(self) -> str:
        """The password to send: the one typed, else the one given in Python, else the demo one."""
        typed: str = self.password_field.value
        if typed:
            return typed
        if self._hidden_password is not None:
            return self._hidden_password
        return DEMO_PASSWORD if self.user_field.value == DEMO_USER else ""

    def _stopped(self, step: Step) -> str:
        reply = step.reply
        said = f"{reply.code} {reply.message}" if reply else "no reply"
        self.result_html.value = _verdict(_BAD, f"The server refused {step.name.upper()}.", said)
        return "refused by the server"

    def __repr__(self) -> str:
        tls = "on" if self.starttls_box.value else "off"
        last = f"last run: {self.outcome}" if self.outcome else "not run yet"
        return f"TLSAuthLab: STARTTLS {tls}, {self.mechanism_field.value}, {last}"


def auth_exchange_html(step: Step) -> str:
    """Each AUTH exchange as a table row: what was sent (redacted), the reply, the working."""
    rows = []
    for exchange in step.exchanges:
        reply = exchange.reply
        said = "" if reply is None else f"{reply.code} {reply.text}"
        notes = "".join(f"<div>{escape(note)}</div>" for note in exchange.notes)
        rows.append(
            f'<tr><td style="{_ROW};{_MONO}">C: {escape(exchange.shown)}</td>'
            f'<td style="{_ROW};{_MONO}">S: {escape(said)}</td>'
            f'<td style="{_ROW};{_MONO}">{notes}</td></tr>'
        )
    head = "".join(
        f'<th style="{_ROW}">{escape(title)}</th>'
        for title in ("client sent", "server replied", "the client's working, decoded")
    )
    mechanism = step.details.get("mechanism", "")
    return (
        f"<div><strong>AUTH {escape(mechanism)}, exchange by exchange</strong></div>"
        f'<table style="{_TABLE}">'
        f"<tr>{head}</tr>{''.join(rows)}</table>"
    )


def _verdict(style: str, head: str, detail: str) -> str:
    return (
        f'<div style="{style};font-family:system-ui,sans-serif;font-size:12.5px">'
        f'<strong>{escape(head)}</strong><br><span style="{_MONO}">{escape(detail)}</span></div>'
    )
