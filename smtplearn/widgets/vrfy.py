"""`VRFYLab`: ask the server whether an address exists, and see why most servers won't say.

Each "Verify" runs a short session (connect, EHLO, VRFY, QUIT) so the lab never holds a
connection open between clicks. RFC 5321 §3.5.3 lists the possible answers; §7.3 says why
most servers answer 252 ("won't say") rather than help address harvesters.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

import ipywidgets as widgets

from smtplearn.client import Client
from smtplearn.protocol.errors import SMTPLearnError
from smtplearn.protocol.replies import Reply
from smtplearn.record import Step
from smtplearn.render.html import reply_html
from smtplearn.render.theme import BORDER
from smtplearn.render.theme import MONO_FONT as _MONO
from smtplearn.widgets._common import (
    Target,
    add_classes,
    endpoint,
    error_html,
    goodbye,
    held_here,
    log,
    note_html,
)
from smtplearn.widgets.views import TranscriptView

_CELL = f"border:1px solid {BORDER};padding:3px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere"

# What each VRFY answer tells a client, in the words of RFC 5321 §3.5.3 and §7.3.
_MEANINGS = {
    250: "the server knows this mailbox; the reply names it, usually with the owner's full name",
    251: "the user is not local; the server names where it would forward the mail",
    252: "the server will not say whether the address exists, but will accept mail for it and "
    "try to deliver: the usual answer, because a yes/no VRFY helps spammers harvest addresses "
    "(RFC 5321 §7.3)",
    502: "the server does not implement VRFY",
    550: "no such mailbox here",
    551: "the user is not local and the server will not forward",
    553: "the name is ambiguous: more than one mailbox matches; the reply may list them",
}


@dataclass(frozen=True)
class Lookup:
    """One VRFY asked by the lab: the address as typed and the step that asked it."""

    address: str
    step: Step

    @property
    def meaning(self) -> str:
        reply = self.step.reply
        if reply is None:
            return "no reply"
        return _MEANINGS.get(reply.code, "see the explanation of the reply code")


class VRFYLab(widgets.VBox):  # type: ignore[misc]
    """Ask ``VRFY address`` and read the answer explained; switch the server's refusing mode.

    Controls (``description`` → DOM class): text "Address" (``smtplearn-vrfy-address``),
    button "Verify" (``smtplearn-vrfy``), checkbox "Server refuses VRFY (252)"
    (``smtplearn-vrfy-refuse``; it sets ``server.vrfy`` to ``"refuse"`` or ``"directory"``,
    and is disabled when the lab was given an address instead of a DebugServer). Output:
    ``smtplearn-vrfy-result`` (the last reply, explained), ``smtplearn-vrfy-history`` (every
    lookup so far), ``smtplearn-error`` and the last session's ``smtplearn-transcript``.
    """

    def __init__(
        self, target: Target, *, address: str = "dhellmann", timeout: float = 10.0, **kwargs: Any
    ) -> None:
        self.endpoint = endpoint(target)
        self._timeout = timeout
        server = self.endpoint.server
        switchable = held_here(server, "vrfy") is not None
        self.address_field = add_classes(
            widgets.Text(value=address, description="Address"), "smtplearn-vrfy-address"
        )
        self.verify_button = add_classes(
            widgets.Button(description="Verify", button_style="primary", icon="search"), "smtplearn-vrfy"
        )
        self.refuse_box = add_classes(
            widgets.Checkbox(
                value=switchable and server.vrfy == "refuse",
                description="Server refuses VRFY (252)",
                disabled=not switchable,
                indent=False,
            ),
            "smtplearn-vrfy-refuse",
        )
        self.result_html = add_classes(widgets.HTML(), "smtplearn-vrfy-result")
        self.history_html = add_classes(widgets.HTML(), "smtplearn-vrfy-history")
        self.error_html = add_classes(widgets.HTML(), "smtplearn-error")
        self.transcript_view = TranscriptView()
        self.verify_button.on_click(lambda _b: self.verify())
        self.refuse_box.observe(self._switch_mode, names="value")
        super().__init__(
            children=[
                widgets.HBox([self.address_field, self.verify_button]),
                self.refuse_box,
                self.error_html,
                self.result_html,
                self.history_html,
                widgets.HTML("<strong>The last session</strong>"),
                self.transcript_view,
            ],
            **kwargs,
        )
        self.lookups: list[Lookup] = []
        self.result_html.value = note_html('Type an address or a user name, then press "Verify".')

    @property
    def server_mode(self) -> str:
        """The server's VRFY mode ("directory" or "refuse"), or "unknown" for a bare address."""
        mode = held_here(self.endpoint.server, "vrfy")
        return "unknown" if mode is None else str(mode)

    def verify(self, address: str | None = None) -> Lookup | None:
        """VRFY `address` (default: the field's text) in a fresh session; show and return it."""
        if address is not None:
            self.address_field.value = address
        address = self.address_field.value
        client = Client(self.endpoint.host, self.endpoint.port, timeout=self._timeout)
        self.transcript_view.transcript = client.transcript
        self.error_html.value = ""
        lookup = None
        try:
            client.connect().raise_for_reply()
            client.ehlo().raise_for_reply()
            lookup = Lookup(address, client.vrfy(address))
        except SMTPLearnError as error:
            log.info("VRFY lab session failed: %s", error)
            self.error_html.value = error_html(f"VRFY {address} was not completed", error)
        finally:
            goodbye(client)
            self.transcript_view.refresh()
        if lookup is not None:
            self.lookups.append(lookup)
            self._show(lookup)
        return lookup

    def _switch_mode(self, change: dict[str, Any]) -> None:
        self.endpoint.server.vrfy = "refuse" if change["new"] else "directory"

    def _show(self, lookup: Lookup) -> None:
        reply = lookup.step.reply
        head = (
            f'<div style="font-family:system-ui,sans-serif;font-size:12.5px">'
            f"<strong>VRFY {escape(lookup.address)}</strong> — {escape(lookup.meaning)}</div>"
        )
        self.result_html.value = head + (reply_html(reply) if reply is not None else "")
        rows = "".join(
            f'<tr><td style="{_CELL};{_MONO}">{escape(item.address)}</td>'
            f'<td style="{_CELL};{_MONO}">{escape(_first_line(item.step.reply))}</td>'
            f'<td style="{_CELL}">{escape(item.meaning)}</td></tr>'
            for item in self.lookups
        )
        self.history_html.value = (
            f'<table style="border-collapse:collapse;font-size:12.5px;margin:4px 0">'
            f'<tr><th style="{_CELL}">asked</th><th style="{_CELL}">answer</th>'
            f'<th style="{_CELL}">what it means</th></tr>{rows}</table>'
        )

    def __repr__(self) -> str:
        count = len(self.lookups)
        return f"VRFYLab: {count} lookup{'' if count == 1 else 's'}, server mode {self.server_mode}"


def _first_line(reply: Reply | None) -> str:
    return "no reply" if reply is None else f"{reply.code} {reply.lines[0] if reply.lines else ''}"
