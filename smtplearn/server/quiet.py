"""Keeping the server thread silent: what asyncio reports from a DebugServer's loop is logged.

asyncio writes warnings about the connections of its loop to the process-wide ``asyncio``
logger ("socket.send() raised exception.", "SSL connection is closed"), and unhandled errors
go to the loop's exception handler, which logs there too. With no logging configured both
reach stderr through logging's last-resort handler: into whichever notebook cell runs, or
across an instructor's console. A client that pipelines and then hangs up makes asyncio
report once per reply it could not send, and with TLS no public transport state says the
peer has gone until the replies already buffered are worked through.

So every record asyncio logs from a DebugServer's thread, and every report of its loop's
exception handler, is logged to ``smtplearn.server`` instead (which has a `NullHandler`):
the notebook stays quiet, and an instructor who configures logging still sees everything.
Records from other threads (a notebook's own asyncio code) are left alone.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

log = logging.getLogger("smtplearn.server")

_server_threads: set[int] = set()
_lock = threading.Lock()


class _FromServerThreads(logging.Filter):
    """Takes asyncio's records made on a server thread and logs them to ``smtplearn.server``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.thread not in _server_threads:
            return True
        # About a client that left, as a rule: debug detail, unless asyncio saw an error.
        level = record.levelno if record.levelno >= logging.ERROR else logging.DEBUG
        log.log(level, "asyncio: %s", record.getMessage(), exc_info=record.exc_info)
        return False


_FILTER = _FromServerThreads()


def _report(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    error = context.get("exception")
    log.error(
        "asyncio: %s",
        context.get("message", "unhandled error in the server loop"),
        exc_info=(type(error), error, error.__traceback__) if error is not None else None,
    )


def quiet_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Log what `loop` (running on the calling thread from now on) would print; see the module."""
    loop.set_exception_handler(_report)
    with _lock:
        _server_threads.add(threading.get_ident())
        logging.getLogger("asyncio").addFilter(_FILTER)


def forget_thread(ident: int | None) -> None:
    """Stop redirecting records of the thread `ident` (a stopped server's; None if it never ran)."""
    with _lock:
        if ident is not None:
            _server_threads.discard(ident)
        if not _server_threads:
            logging.getLogger("asyncio").removeFilter(_FILTER)
