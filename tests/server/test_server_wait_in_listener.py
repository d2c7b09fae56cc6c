"""Listeners on the server thread: `wait_for` there fails at once and says why; removal works.

The server thread is the one that must add the next message or session: waiting there
would freeze every session until the timeout (and the awaited thing could never come).
"""

from __future__ import annotations

import smtplib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from smtplearn.server import DebugServer

ON_SERVER_THREAD = "wait_for was called on the server's thread (from a listener)"


@pytest.fixture
def server() -> Iterator[DebugServer]:
    with DebugServer(tls=False) as running:
        yield running


def _listener(wait: Callable[[], object]) -> tuple[Callable[..., None], list[BaseException], threading.Event]:
    """A listener that calls `wait` once and keeps what it raised (None: it returned)."""
    raised: list[BaseException] = []
    done = threading.Event()

    def listener(*_: Any) -> None:
        if done.is_set():
            return
        try:
            wait()
        except BaseException as error:  # kept for the test to look at
            raised.append(error)
        done.set()

    return listener, raised, done


def _send(server: DebugServer) -> None:
    with smtplib.SMTP(*server.address, timeout=30) as client:
        client.sendmail("a@example.test", ["b@example.test"], b"Subject: hi\r\n\r\nhello\r\n")


@pytest.mark.parametrize("count", [1, 2])
def test_mailbox_wait_for_in_a_mailbox_listener_fails_at_once(server: DebugServer, count: int) -> None:
    listener, raised, done = _listener(lambda: server.mailbox.wait_for(count, timeout=3))
    server.mailbox.add_listener(listener)
    _send(server)
    assert done.wait(30)
    assert len(raised) == 1 and isinstance(raised[0], RuntimeError), raised
    assert ON_SERVER_THREAD in str(raised[0]) and "use it instead" in str(raised[0])
    assert len(server.mailbox) == 1  # the message was stored and acknowledged all the same


@pytest.mark.parametrize("count", [1, 5])
def test_sessions_wait_for_in_a_session_listener_fails_at_once(server: DebugServer, count: int) -> None:
    listener, raised, done = _listener(lambda: server.sessions.wait_for(count, timeout=3))
    server.sessions.add_listener(listener)
    _send(server)
    assert done.wait(30)
    assert len(raised) == 1 and isinstance(raised[0], RuntimeError), raised
    assert ON_SERVER_THREAD in str(raised[0])


def test_mailbox_wait_for_in_a_session_listener_fails_at_once(server: DebugServer) -> None:
    listener, raised, done = _listener(lambda: server.mailbox.wait_for(1, timeout=3))
    server.sessions.add_listener(listener)
    _send(server)
    assert done.wait(30)
    assert len(raised) == 1 and isinstance(raised[0], RuntimeError), raised


def test_wait_for_from_the_notebook_thread_still_waits(server: DebugServer) -> None:
    sender = threading.Thread(target=_send, args=(server,))
    sender.start()
    try:
        assert len(server.mailbox.wait_for(1, timeout=30)) == 1
        assert len(server.sessions.wait_for(1, timeout=30)) >= 1
    finally:
        sender.join()


def test_a_removed_mailbox_listener_is_not_called_again(server: DebugServer) -> None:
    heard: list[object] = []
    server.mailbox.add_listener(heard.append)
    _send(server)
    server.mailbox.wait_for(1, timeout=30)
    server.mailbox.remove_listener(heard.append)
    server.mailbox.remove_listener(heard.append)  # a second removal is no error
    _send(server)
    server.mailbox.wait_for(2, timeout=30)
    assert len(heard) == 1
