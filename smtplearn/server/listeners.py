"""Calling the notebook's listeners from the server thread, where their bugs must not land.

And refusing, there, the one call that would freeze the server: a `wait_for`, whose wait
(`wait_until`) the mailbox and the session log share.
"""

from __future__ import annotations

import logging
import threading
import time
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


def _never() -> bool:
    return False


class ServerThreadGuard:
    """Knows whether code runs on the server's thread, where a listener runs.

    `DebugServer.start` hands it the controller's own test (`runs_this_thread`), the one
    `stop` uses; before that, and after a stop, nothing runs there.
    """

    def __init__(self) -> None:
        self.runs_this_thread: Callable[[], bool] = _never

    def refuse_wait(self, what: str) -> None:
        """Raise `RuntimeError` when a `wait_for` is called on the server's thread.

        The server thread is the one that must add what is awaited, so waiting there would
        freeze every session until the timeout; `what` is what the listener receives.
        """
        if self.runs_this_thread():
            raise RuntimeError(
                "wait_for was called on the server's thread (from a listener); the listener "
                f"already receives {what} — use it instead"
            )


def wait_until(
    changed: threading.Condition, reached: Callable[[], bool], timeout: float, timed_out: Callable[[], str]
) -> None:
    """With `changed` held, wait until `reached()`; `TimeoutError(timed_out())` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not reached():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(timed_out())
        changed.wait(remaining)
