"""Widgets for the world of lessons 08 and 09: `WorldMap` and `RecordEditor`.

``WorldMap(world)``
    the map (domains, hosts, their DNS records), a send panel and the per-hop timeline of the
    last message; choosing a hop shows its SMTP transcript or DNS queries. DOM classes:
    ``smtplearn-world-map``, ``smtplearn-world-send``, ``smtplearn-world-timeline``,
    ``smtplearn-world-hop`` (the hop picker), ``smtplearn-world-hop-view`` (what it shows),
    ``smtplearn-world-advance``.
``RecordEditor(world, domain)``
    the domain's SPF, DKIM and DMARC records as text fields; each change is published at once
    and the verdicts of two test messages (one really sent by the domain's server, one forged
    from outside) are recomputed. DOM classes: ``smtplearn-record-spf``,
    ``smtplearn-record-dkim``, ``smtplearn-record-dmarc``, ``smtplearn-verdicts``.

Both use only the world's public API, and render their HTML with the pure functions below.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.message import EmailMessage
from html import escape
from typing import Any

import ipywidgets as widgets

from smtplearn.record import Transcript
from smtplearn.render import theme
from smtplearn.render.html import transcript_html
from smtplearn.render.theme import MONO_FONT
from smtplearn.widgets._common import add_classes, error_html, note_html
from smtplearn.world.authcheck import Verdicts, check_message
from smtplearn.world.trace import Hop, Journey
from smtplearn.world.world import OUTSIDE_ADDRESS, World

# Colours follow JupyterLab's theme (smtplearn.render.theme): text in the theme's text colour,
# meaning in a tinted badge with a coloured edge, and in the word itself.
_BOX = (
    f"font-family:system-ui,sans-serif;font-size:12.5px;border:1px solid {theme.BORDER};border-radius:6px;"
    f"padding:6px 8px;margin:4px 0;background:{theme.SURFACE};color:{theme.TEXT}"
)
_MONO = f"{MONO_FONT};white-space:pre-wrap"
_BOLD = "font-weight:bold"
_KIND_COLOURS = {
    "submitted": theme.Accent.SENT,
    "dns": theme.BORDER,
    "attempt": theme.Accent.SENT,
    "deferred": theme.Accent.LATER,
    "delivered": theme.Accent.GOOD,
    "bounced": theme.Accent.FAILED,
    "rejected": theme.Accent.FAILED,
    "forwarded": theme.Accent.SENT,
}
_RESULT_COLOURS = {
    "pass": theme.Accent.GOOD,
    "fail": theme.Accent.FAILED,
    "softfail": theme.Accent.LATER,
    "none": theme.BORDER,
    # A record that cannot be interpreted needs its owner to fix it (RFC 7208 §2.6.7); a
    # transient DNS error may pass on retry (§2.6.6). Neither may look like "no record".
    "permerror": theme.Accent.FAILED,
    "temperror": theme.Accent.LATER,
}


def _badge(text: str, accent: str) -> str:
    """`text` in bold on a light tint of `accent`, edged with it: never coloured text."""
    style = (
        f"color:{theme.TEXT};background:{theme.tinted(accent)};border-left:3px solid {accent};padding:0 4px"
    )
    return f'<span style="{style};{_BOLD}">{escape(text)}</span>'


def map_html(world: World) -> str:
    """Each domain with its DNS records, and each host with its address and services."""
    rows = []
    for host in sorted(world.hosts.values(), key=lambda h: h.name):
        services = ", ".join(
            f"{role} ({'up' if server.running else 'down'})"
            for role, server in (("MX :25", host.mx), ("submission :587", host.submission))
            if server is not None
        )
        rows.append(f"<li><b>{escape(host.name)}</b> [{escape(host.address)}] — {escape(services)}</li>")
    records = "\n".join(escape(_short(str(r))) for r in sorted(world.zone, key=lambda r: (r.name, r.type)))
    return (
        f'<div style="{_BOX}"><b>Hosts</b><ul style="margin:2px 0">{"".join(rows)}</ul>'
        f'<b>DNS</b><div style="{_MONO}">{records}</div></div>'
    )


def _short(text: str, limit: int = 110) -> str:
    # A DKIM key is 400 characters of base64: the map shows its start.
    return text if len(text) <= limit else text[: limit - 1] + "…"


def timeline_html(journey: Journey | None) -> str:
    if journey is None:
        return note_html("No message yet: write one above and press Send.")
    items = [
        f"<li>{_badge(h.kind, _KIND_COLOURS.get(h.kind, theme.BORDER))}"
        f" <i>{escape(h.host)}</i>: {escape(h.summary)} "
        f'<span style="color:{theme.MUTED_TEXT}">(at {h.at:g} s)</span></li>'
        for h in journey.hops
    ]
    head = (
        f"{escape(journey.subject)!s} — {escape(journey.mail_from)} → {escape(', '.join(journey.recipients))}"
    )
    return f'<div style="{_BOX}"><b>{head}</b><ol style="margin:2px 0">{"".join(items)}</ol></div>'


def hop_html(hop: Hop, submission: Transcript | None = None) -> str:
    """What happened at one hop: the SMTP transcript, or the DNS questions and answers.

    The "submitted" hop is recorded by the server, which never sees the mail program's side;
    `submission` is that session (STARTTLS, AUTH without the password), when the caller has it.
    """
    if hop.kind == "submitted" and submission is not None and len(submission):
        return transcript_html(submission)
    if hop.transcript is not None and len(hop.transcript):
        return transcript_html(hop.transcript)
    if hop.queries:
        lines = "\n".join(escape(str(q)) for q in hop.queries)
        return f'<div style="{_BOX}"><div style="{_MONO}">{lines}</div></div>'
    return note_html(f"{hop.kind}: {hop.summary}")


def _hop_label(number: int, hop: Hop) -> str:
    return f"{number}. {hop.kind} — {hop.host}"


class WorldMap(widgets.VBox):  # type: ignore[misc]
    """The world's map, a send panel, and the last message's timeline with each hop's details."""

    def __init__(self, world: World, **kwargs: Any) -> None:
        self.world = world
        self.map = add_classes(widgets.HTML(map_html(world)), "smtplearn-world-map")
        self.from_field = widgets.Text(value="alice@example.com", description="From")
        self.to_field = widgets.Combobox(
            value="bob@example.org", options=[*world.mailboxes(), "nobody@example.org"], description="To"
        )
        self.subject_field = widgets.Text(value="Hello", description="Subject")
        self.send_button = add_classes(widgets.Button(description="Send"), "smtplearn-world-send")
        self.advance_button = add_classes(
            widgets.Button(description="Let 5 minutes pass", tooltip="retries fall due"),
            "smtplearn-world-advance",
        )
        self.timeline = add_classes(widgets.HTML(timeline_html(None)), "smtplearn-world-timeline")
        self.hop_picker = add_classes(widgets.Dropdown(options=[], description="Hop"), "smtplearn-world-hop")
        self.hop_view = add_classes(widgets.HTML(), "smtplearn-world-hop-view")
        self.journey: Journey | None = None
        #: The last message's session with the submission server, as the mail program saw it.
        self.submission: Transcript | None = None
        self.send_button.on_click(lambda _: self.send())
        self.advance_button.on_click(lambda _: self.advance(minutes=5))
        self.hop_picker.observe(lambda _: self._show_hop(), names="value")
        panel = widgets.HBox(
            [widgets.VBox([self.from_field, self.to_field, self.subject_field]), self.send_button]
        )
        super().__init__(
            children=(self.map, panel, self.advance_button, self.timeline, self.hop_picker, self.hop_view),
            **kwargs,
        )

    def send(self) -> Journey | None:
        """Submit a message with the panel's fields and show its journey."""
        message = EmailMessage()
        try:
            message["From"] = self.from_field.value
            message["To"] = self.to_field.value
            message["Subject"] = self.subject_field.value
            message.set_content("Sent from the map.")
            # submit, not send: the map keeps the submission session to show as the first hop.
            self.journey, self.submission = self.world.submit(message)
            self.world.settle()
        except Exception as error:  # shown to the learner, not raised into the frontend
            self.timeline.value = error_html("Sending failed", error)
            return None
        self.refresh()
        return self.journey

    def advance(self, **duration: float) -> None:
        self.world.advance(**duration)
        self.refresh()

    def refresh(self) -> None:
        self.map.value = map_html(self.world)
        self.timeline.value = timeline_html(self.journey)
        hops = self.journey.hops if self.journey else ()
        self.hop_picker.options = [(_hop_label(n, h), n) for n, h in enumerate(hops, start=1)]
        if hops:
            self.hop_picker.value = next(
                (n for n, h in enumerate(hops, start=1) if h.kind == "attempt"), len(hops)
            )
        self._show_hop()

    def _show_hop(self) -> None:
        hops = self.journey.hops if self.journey else ()
        number = self.hop_picker.value
        self.hop_view.value = hop_html(hops[number - 1], self.submission) if number else ""

    def __repr__(self) -> str:
        sent = f"last message {len(self.journey.hops)} events" if self.journey else "nothing sent yet"
        return f"WorldMap: {len(self.world.hosts)} hosts, {len(self.world.zone)} DNS records, {sent}"


def verdicts_html(rows: Sequence[tuple[str, Verdicts]]) -> str:
    cells = []
    for label, v in rows:
        results = " ".join(
            _badge(f"{name}={r}", _RESULT_COLOURS.get(r, theme.BORDER))
            for name, r in (("SPF", v.spf), ("DKIM", v.dkim), ("DMARC", v.dmarc))
        )
        action = _outcome(v)
        cells.append(f"<li><b>{escape(label)}</b>: {results} → {action}</li>")
    return f'<div style="{_BOX}"><ul style="margin:2px 0">{"".join(cells)}</ul></div>'


def _outcome(v: Verdicts) -> str:
    """What the receiver does with the message: a quarantined one must not look like any other."""
    if v.rejected:
        return "rejected (550 5.7.1)"
    return "delivered as suspicious (p=quarantine)" if v.quarantined else "delivered"


class RecordEditor(widgets.VBox):  # type: ignore[misc]
    """Edit a domain's SPF, DKIM and DMARC records and watch two messages' verdicts change."""

    def __init__(
        self, world: World, domain: str = "example.com", *, sender: str = "mail.example.com", **kwargs: Any
    ) -> None:
        self.world = world
        self.domain = domain
        self.sender = world.host(sender)
        key = self.sender.dkim
        self._dkim_name = key.record_name if key else f"s1._domainkey.{domain}"
        self.spf_field = add_classes(
            widgets.Text(value=self._current(domain), description="SPF", continuous_update=False),
            "smtplearn-record-spf",
        )
        self.dkim_field = add_classes(
            widgets.Text(value=self._current(self._dkim_name), description="DKIM", continuous_update=False),
            "smtplearn-record-dkim",
        )
        self.dmarc_field = add_classes(
            widgets.Text(
                value=self._current(f"_dmarc.{domain}"), description="DMARC", continuous_update=False
            ),
            "smtplearn-record-dmarc",
        )
        self.verdicts = add_classes(widgets.HTML(), "smtplearn-verdicts")
        for field, name in (
            (self.spf_field, domain),
            (self.dkim_field, self._dkim_name),
            (self.dmarc_field, f"_dmarc.{domain}"),
        ):
            field.observe(lambda change, name=name: self._publish(name, change["new"]), names="value")
        super().__init__(
            children=(self.spf_field, self.dkim_field, self.dmarc_field, self.verdicts), **kwargs
        )
        self.results: list[tuple[str, Verdicts]] = []
        self.refresh()

    def _current(self, name: str) -> str:
        found = self.world.zone.find(name, "TXT")
        return found[0].value if found else ""

    def _publish(self, name: str, value: str) -> None:
        self.world.zone.replace(name, "TXT", value.strip() or None)
        self.refresh()

    def refresh(self) -> None:
        """Check a signed message from the domain's server and a forged one from outside."""
        message = (
            f"From: alice@{self.domain}\r\nTo: bob@example.org\r\nSubject: test\r\n"
            f"Message-ID: <editor@{self.domain}>\r\n\r\nhello\r\n"
        ).encode()
        signed = self.sender.dkim.sign(message) if self.sender.dkim else message
        cases = (
            (f"from {self.sender.name} [{self.sender.address}], signed", signed, self.sender.address),
            (f"forged, from {OUTSIDE_ADDRESS}, unsigned", message, OUTSIDE_ADDRESS),
        )
        self.results = [
            (
                label,
                check_message(
                    self.world.resolver,
                    raw=raw,
                    ip=ip,
                    mail_from=f"alice@{self.domain}",
                    helo=self.sender.name,
                    authserv_id="mx1.example.org",
                ),
            )
            for label, raw, ip in cases
        ]
        self.verdicts.value = verdicts_html(self.results)

    def __repr__(self) -> str:
        summary = "; ".join(f"{v.spf}/{v.dkim}/{v.dmarc}" for _, v in self.results)
        return f"RecordEditor for {self.domain}: SPF/DKIM/DMARC {summary}"
