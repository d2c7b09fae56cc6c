"""Hold a DebugServer's event loop busy, as a slow TLS handshake or a loaded machine would.

While it is held, the kernel still completes clients' connects (they queue in the listen
backlog) but the server takes none of them: the window in which a check that reads the
server's records too early would judge what has not arrived yet.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from smtplearn.server import DebugServer


@contextmanager
def loop_held(server: DebugServer) -> Iterator[threading.Event]:
    """Block the server's loop until the yielded event is set, or the with-block ends."""
    controller = server._controller
    assert controller is not None, "start the server first"
    busy, release = threading.Event(), threading.Event()

    def block_the_loop() -> None:
        busy.set()
        release.wait()

    controller.loop.call_soon_threadsafe(block_the_loop)
    busy.wait()
    try:
        yield release
    finally:
        release.set()
