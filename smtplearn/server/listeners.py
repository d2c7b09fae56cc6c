"""Calling the notebook's listeners from the server thread, where their bugs must not land."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger("smtplearn.server")


def notify(listeners: Iterable[Callable[..., Any]], *args: Any, what: str) -> None:
    """Call each listener with `args`; one that raises is logged and the others still run.

    A listener is the notebook's code running on the server thread. Its bug must not turn
    a stored message into a 4xx reply (a correct client would retry and the message would
    be stored twice) nor end a session: storing and answering are one step.
    """
    for listener in listeners:
        try:
            listener(*args)
        except Exception:
            log.exception("%s listener %r raised; the server carries on", what, listener)
