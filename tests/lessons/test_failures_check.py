"""Lesson 04's retry-loop check: it passes the solution and rejects each typical wrong loop.

Every loop runs against a real DebugServer; the wrong ones are written the way a learner
would write them. The check must say what is wrong (a hint) without writing the loop out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import pytest

from smtplearn.client import Client, SendError
from smtplearn.exercises.failures import check_retry_loop
from smtplearn.server import DebugServer
from smtplearn.transport import ConnectionClosedError


def _send(server: Any, message: EmailMessage) -> Any:
    with Client(server.host, server.port) as client:
        return client.send_message(message)


def _transient(error: SendError) -> bool:
    failure = next(step for step in error.steps if not step.ok)
    return failure.reply is not None and failure.reply.is_transient


def good_deliver(
    server: Any,
    message: EmailMessage,
    *,
    attempts: int = 5,
    first_delay: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return _send(server, message)
        except ConnectionClosedError:
            if attempt == attempts:
                raise
        except SendError as error:
            if not _transient(error) or attempt == attempts:
                raise
        sleep(delay)
        delay *= 2
    return None


def test_a_correct_loop_passes_and_the_server_is_left_clean(server: DebugServer) -> None:
    result = check_retry_loop(good_deliver, server)
    assert result.passed, result
    assert len(server.faults) == 0


def test_an_unanswered_loop_gets_a_prompt(server: DebugServer) -> None:
    def stub(server: Any, message: EmailMessage, **_: Any) -> None:
        return None

    def nbgrader_stub(server: Any, message: EmailMessage, **_: Any) -> None:
        raise NotImplementedError()

    for blank in (..., stub, nbgrader_stub):
        result = check_retry_loop(blank, server)
        assert result.unanswered and not result.passed, result


def no_retry(server: Any, message: EmailMessage, **_: Any) -> Any:
    return _send(server, message)


def retries_everything(
    server: Any, message: EmailMessage, *, attempts: int, first_delay: float, sleep: Any
) -> Any:
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return _send(server, message)
        except (SendError, ConnectionClosedError):
            if attempt == attempts:
                raise
        sleep(delay)
        delay *= 2
    return None


def retries_send_errors_only(
    server: Any, message: EmailMessage, *, attempts: int, first_delay: float, sleep: Any
) -> Any:
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return _send(server, message)
        except SendError as error:
            if not _transient(error) or attempt == attempts:
                raise
        sleep(delay)
        delay *= 2
    return None


def backoff(next_delay: Callable[[float, float], float]) -> Callable[..., Any]:
    """A loop right in all but its backoff: next_delay(delay, first_delay) gives the next wait."""

    def deliver(server: Any, message: EmailMessage, *, attempts: int, first_delay: float, sleep: Any) -> Any:
        delay = first_delay
        for attempt in range(1, attempts + 1):
            try:
                return _send(server, message)
            except ConnectionClosedError:
                if attempt == attempts:
                    raise
            except SendError as error:
                if not _transient(error) or attempt == attempts:
                    raise
            sleep(delay)
            delay = next_delay(delay, first_delay)
        return None

    return deliver


def sleeps_after_last(
    server: Any, message: EmailMessage, *, attempts: int, first_delay: float, sleep: Any
) -> Any:
    delay = first_delay
    for _ in range(attempts):
        try:
            return _send(server, message)
        except ConnectionClosedError:
            pass
        except SendError as error:
            if not _transient(error):
                raise
        sleep(delay)
        delay *= 2
    raise RuntimeError("gave up")


def sleeps_before_each(
    server: Any, message: EmailMessage, *, attempts: int, first_delay: float, sleep: Any
) -> Any:
    delay = first_delay
    for attempt in range(1, attempts + 1):
        sleep(delay)
        delay *= 2
        try:
            return _send(server, message)
        except ConnectionClosedError:
            if attempt == attempts:
                raise
        except SendError as error:
            if not _transient(error) or attempt == attempts:
                raise
    return None


def sleeps_then_gives_up(
    server: Any, message: EmailMessage, *, attempts: int, first_delay: float, sleep: Any
) -> Any:
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return _send(server, message)
        except ConnectionClosedError:
            if attempt == attempts:
                raise
        except SendError as error:
            if attempt == attempts:
                raise
            sleep(delay)
            delay *= 2
            if not _transient(error):
                raise
            continue
        sleep(delay)
        delay *= 2
    return None


def swallows_permanent(
    server: Any, message: EmailMessage, *, attempts: int, first_delay: float, sleep: Any
) -> Any:
    try:
        return good_deliver(server, message, attempts=attempts, first_delay=first_delay, sleep=sleep)
    except SendError:
        return None


def no_wait(server: Any, message: EmailMessage, *, attempts: int, first_delay: float, sleep: Any) -> Any:
    return good_deliver(
        server, message, attempts=attempts, first_delay=first_delay, sleep=lambda seconds: None
    )


WRONG_LOOPS = [
    pytest.param(no_retry, "Greylisting", "try again later", id="no retry"),
    pytest.param(retries_everything, "Permanent failure", "give up at once", id="retries 5xx"),
    pytest.param(
        retries_send_errors_only, "Dropped connection", "ConnectionClosedError", id="drop not retried"
    ),
    pytest.param(backoff(lambda d, first: d), "[0.5, 0.5, 0.5]", "double", id="fixed wait"),
    pytest.param(backoff(lambda d, first: d + first), "[0.5, 1.0, 1.5]", "double", id="linear backoff"),
    pytest.param(
        backoff(lambda d, first: d * 2.02), "should be [0.5, 1.0, 2.0]", "double", id="almost doubling"
    ),
    pytest.param(sleeps_after_last, "after its last attempt", "raise at once", id="sleeps after the last"),
    pytest.param(
        sleeps_before_each, "before its first attempt", "only after a failed attempt", id="sleeps first"
    ),
    pytest.param(
        sleeps_then_gives_up, "Permanent failure", "raise at once", id="sleeps before giving up on 5xx"
    ),
    pytest.param(no_wait, "without calling `sleep`", "never with time.sleep", id="ignores sleep"),
    pytest.param(swallows_permanent, "returned as if all went well", "raise", id="swallows 5xx"),
]


@pytest.mark.parametrize(("deliver", "says", "hint"), WRONG_LOOPS)
def test_a_wrong_loop_is_rejected_with_a_hint(
    server: DebugServer, deliver: Any, says: str, hint: str
) -> None:
    result = check_retry_loop(deliver, server)
    assert not result.passed and not result.unanswered
    assert says in str(result) and hint in result.hint, result
    assert "def " not in str(result) and "delay *= 2" not in str(result)  # a hint, not the loop


def test_exact_doubling_written_another_way_passes(server: DebugServer) -> None:
    assert check_retry_loop(backoff(lambda d, first: d + d), server).passed
