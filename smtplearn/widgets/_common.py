"""Helpers shared by the widgets: where the server is, address fields, small HTML pieces.

Nothing here builds a widget; the widget modules do. Everything is a plain function so it
can be tested without a frontend.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import getaddresses
from html import escape
from typing import Any, Protocol, TypeAlias, TypeVar

from smtplearn.client import Client
from smtplearn.protocol.errors import SMTPLearnError
from smtplearn.protocol.grammar import find_control
from smtplearn.protocol.states import ClientState
from smtplearn.render.theme import BORDER, RAISED, TEXT, Accent, tinted
from smtplearn.render.theme import MONO_FONT as _MONO

log = logging.getLogger("smtplearn.widgets")

_ERROR_BOX = (
    f"font-family:system-ui,sans-serif;font-size:12.5px;border:1px solid {Accent.FAILED};"
    f"border-left-width:4px;border-radius:6px;padding:6px 8px;margin:4px 0;"
    f"background:{tinted(Accent.FAILED)};color:{TEXT}"
)
_NOTE_BOX = (
    f"font-family:system-ui,sans-serif;font-size:12.5px;border:1px solid {BORDER};border-radius:6px;"
    f"padding:6px 8px;margin:4px 0;background:{RAISED};color:{TEXT}"
)


class ServerLike(Protocol):
    """What the widgets need from a server object; `smtplearn.DebugServer` has all of it."""

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...

    def client_tls_context(self) -> ssl.SSLContext: ...


#: A running server, a ``(host, port)`` pair, or ``"host:port"``.
Target: TypeAlias = "ServerLike | tuple[str, int] | str"


@dataclass(frozen=True)
class Endpoint:
    """Where a widget's client connects, and the server object when the widget has one."""

    host: str
    port: int
    #: The server object itself (a DebugServer), or None for a bare address.
    server: Any = None

    def tls_context(self, given: ssl.SSLContext | None = None) -> ssl.SSLContext | None:
        """The context to verify the server's certificate with: `given`, else the server's own."""
        if given is not None:
            return given
        if self.server is None or not hasattr(self.server, "client_tls_context"):
            return None
        try:
            context: ssl.SSLContext = self.server.client_tls_context()
        except RuntimeError:
            # A DebugServer made with tls=False has no CA; STARTTLS will simply not be offered.
            log.debug("the server has no TLS context; using the default one", exc_info=True)
            return None
        return context

    def client(self, **options: Any) -> Client:
        """A fresh, unconnected `Client` for this endpoint."""
        return Client(self.host, self.port, **options)


def held_here(server: object, part: str) -> Any:
    """`server`'s `part` ("mailbox", "vrfy"...) if this kernel holds it, else None.

    A shared classroom server's parts live in the instructor's terminal: the notebook's
    `RemoteServer` gives stand-ins for them, which a widget must not treat as the real thing.
    """
    from smtplearn.lesson import ClassroomStandIn

    value = getattr(server, part, None)
    return None if isinstance(value, ClassroomStandIn) else value


def endpoint(target: Target) -> Endpoint:
    """Resolve a widget's first argument: a DebugServer, ``(host, port)`` or ``"host:port"``."""
    if isinstance(target, str):
        host, sep, port = target.rpartition(":")
        if not sep or not port.isdigit():
            raise ValueError(f"expected 'host:port', got {target!r}")
        return Endpoint(host.strip("[]") or "127.0.0.1", int(port))
    if isinstance(target, tuple):
        return Endpoint(str(target[0]), int(target[1]))
    return Endpoint(target.host, int(target.port), server=target)


def split_addresses(field: str) -> list[str]:
    """The addresses in a To/Cc/Bcc field: ``"Ann <a@x>, b@y"`` → ``["a@x", "b@y"]``.

    A field holding a control character (a CR or LF typed or pasted in) is split at commas
    and each piece kept exactly as typed, so the client refuses it with its own explanation
    of why a line break in an address is dangerous (RFC 5321 §2.3.8) instead of a parser
    quietly picking some address out of it.
    """
    if find_control(field) is not None:
        return [piece.strip(" \t") for piece in field.split(",") if piece.strip(" \t")]
    return [address for _name, address in getaddresses([field]) if address]


def sender_address(field: str) -> str:
    """The envelope sender for a From field (its one address, or the text as typed)."""
    addresses = split_addresses(field)
    return addresses[0] if addresses else field.strip(" \t")


def error_html(title: str, error: BaseException | str) -> str:
    """A red box naming what went wrong; the message is escaped, never a traceback."""
    kind = "" if isinstance(error, str) else f"{type(error).__name__}: "
    return (
        f'<div class="smtplearn-error" style="{_ERROR_BOX}"><strong>{escape(title)}</strong><br>'
        f'<span style="{_MONO}">{escape(kind + str(error))}</span></div>'
    )


def note_html(text: str) -> str:
    """A grey box with a plain note (escaped)."""
    return f'<div class="smtplearn-note" style="{_NOTE_BOX}">{escape(text)}</div>'


def lines_html(lines: Sequence[str]) -> str:
    """Preformatted lines, escaped."""
    body = escape("\n".join(lines))
    return f'<pre style="{_MONO};font-size:12.5px;margin:2px 0;white-space:pre-wrap">{body}</pre>'


W = TypeVar("W")


def add_classes(widget: W, *classes: str) -> W:
    """Give `widget` stable DOM classes (the browser tests find controls by them)."""
    for name in classes:
        widget.add_class(name)  # type: ignore[attr-defined]
    return widget


def goodbye(client: Client) -> None:
    """End `client`'s session politely with QUIT if it is open, else just close the socket."""
    if client.state in (ClientState.DISCONNECTED, ClientState.CLOSED):
        return
    try:
        client.quit()
    except SMTPLearnError:
        # QUIT is not allowed in every state (e.g. mid-AUTH) or the peer is gone: just close.
        log.debug("QUIT failed; closing the connection", exc_info=True)
        client.close()
