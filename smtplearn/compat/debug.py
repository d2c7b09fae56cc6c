"""What ``set_debuglevel(1)`` prints, line by line, in smtplib's format (redacted)."""

from __future__ import annotations

from smtplearn.protocol.commands import Command
from smtplearn.record import Exchange, Step
from smtplearn.render.text import smtplib_debug_lines


def sending_lines(sending: Command | bytes) -> list[str]:
    """smtplib's ``send:`` line for a command (its redacted view) or raw bytes."""
    if isinstance(sending, Command):
        exchange = Exchange(sending.shown, sending.line, sending.redacted, None)
    else:
        exchange = Exchange("", sending, sending, None)
    return smtplib_debug_lines(exchange)


def reply_lines(step: Step) -> list[str]:
    """smtplib's ``reply:`` lines for a step's replies (its ``send:`` lines were printed before)."""
    return [
        line
        for exchange in step.exchanges
        for line in smtplib_debug_lines(exchange)
        if not line.startswith("send: ")
    ]
