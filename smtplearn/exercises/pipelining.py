"""The check of lesson 05's exercise: predicting the round trips of one message, with and without PIPELINING.

The check sends the message both ways to the lesson's DebugServer and counts the waits
(`Client.round_trips`); a wrong prediction gets a hint about what to count, not the count.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import TYPE_CHECKING

from smtplearn.exercises import CheckResult, correct, is_unanswered, not_yet, your_turn

if TYPE_CHECKING:
    from smtplearn.server import DebugServer

__all__ = ["check_round_trips"]


def _count_round_trips(server: DebugServer, recipients: int, *, pipelining: bool) -> int:
    from smtplearn.client import Client

    message = EmailMessage()
    message["From"] = "author@example.com"
    message["To"] = ", ".join(f"reader{n}@example.com" for n in range(1, recipients + 1))
    message["Subject"] = "Counting round trips"
    message.set_content("How many times did the client wait?\n")
    with Client(server.host, server.port, tls_context=server.client_tls_context()) as client:
        client.ehlo()
        before = client.round_trips
        client.send_message(message, pipelining=pipelining)
        return client.round_trips - before


def check_round_trips(
    without: object, with_pipelining: object, server: DebugServer, *, recipients: int
) -> CheckResult:
    """Compare predicted round trips for one message to `recipients` with real sends to `server`.

    A round trip is one wait for the server after sending (the client counts them in
    `Client.round_trips`); the transaction is counted from MAIL FROM to the final reply.
    """
    if is_unanswered(without) or is_unanswered(with_pipelining):
        return your_turn(
            "replace both ... in the cell above with your predictions (whole numbers), then run it."
        )
    actual_without = _count_round_trips(server, recipients, pipelining=False)
    actual_with = _count_round_trips(server, recipients, pipelining=True)
    if without != actual_without:
        return not_yet(
            f"without PIPELINING, {without!r} is not how many times the client waited.",
            "in lock-step the client waits for a reply after every command and after the message: "
            f"count the commands from MAIL FROM to the end of the message, for {recipients} recipients.",
        )
    if with_pipelining != actual_with:
        return not_yet(
            f"with PIPELINING, {with_pipelining!r} is not how many times the client waited.",
            "MAIL, every RCPT and DATA can go in one write (RFC 2920 §3.1); can the message itself "
            "go before DATA is answered?",
        )
    return correct(
        f"{actual_without} round trips without PIPELINING and {actual_with} with it. Pipelined, the "
        f"count stays {actual_with} however many recipients there are: here it saves "
        f"{actual_without - actual_with} waits."
    )
