"""smtplearn: learn SMTP by stepping through real sessions in Jupyter.

The names below load on first use, so ``import smtplearn`` stays fast and never
imports Jupyter, ipywidgets or the server's aiosmtpd.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "Client": "smtplearn.client",
    "SendError": "smtplearn.sending",
    "SendResult": "smtplearn.sending",
    "DebugServer": "smtplearn.server",
    "Reply": "smtplearn.protocol.replies",
    "ClientState": "smtplearn.protocol.states",
    "Exchange": "smtplearn.record",
    "Step": "smtplearn.record",
    "Transcript": "smtplearn.record",
    "explain": "smtplearn.explain",
    "SMTPLearnError": "smtplearn.protocol.errors",
    "LocalProtocolError": "smtplearn.protocol.errors",
    "RemoteProtocolError": "smtplearn.protocol.errors",
    "SMTPReplyError": "smtplearn.protocol.errors",
}

# Spelled out (not derived from _EXPORTS) so linters and type checkers can read it.
__all__ = [
    "Client",
    "ClientState",
    "DebugServer",
    "Exchange",
    "LocalProtocolError",
    "RemoteProtocolError",
    "Reply",
    "SMTPLearnError",
    "SMTPReplyError",
    "SendError",
    "SendResult",
    "Step",
    "Transcript",
    "explain",
]

if TYPE_CHECKING:
    from smtplearn.client import Client
    from smtplearn.explain import explain
    from smtplearn.protocol.errors import (
        LocalProtocolError,
        RemoteProtocolError,
        SMTPLearnError,
        SMTPReplyError,
    )
    from smtplearn.protocol.replies import Reply
    from smtplearn.protocol.states import ClientState
    from smtplearn.record import Exchange, Step, Transcript
    from smtplearn.sending import SendError, SendResult
    from smtplearn.server import DebugServer


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'smtplearn' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


# Records are data; this attaches their str(), HTML and explain(). Imported here, the one
# module every import of a record runs first, so no record can exist without its display.
# That import loaded the `smtplearn.explain` package, and importing a subpackage binds it to
# its parent's attribute of the same name. `smtplearn.explain(x)` is the function: bind it
# back, once, here (a later import of the package finds it loaded and binds nothing).
from smtplearn.explain import explain  # noqa: E402
from smtplearn.render import attach as _attach  # noqa: E402, F401  (imported for its effect)
