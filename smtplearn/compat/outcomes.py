"""What smtplib would make of each outcome of a `Client` step: a (code, message) tuple or its exception.

The client refuses replies that break RFC 5321 §4.2 and raises for transport faults;
smtplib reads broken replies on (`smtplearn.smtplib_reading`) and raises its own
exceptions, or lets the socket's through. This module is that translation, once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from smtplearn import smtplib_reading
from smtplearn.compat.exceptions import (
    SMTPLIB_TO_OURS,
    SMTPException,
    SMTPServerDisconnected,
    socket_error,
)
from smtplearn.protocol.errors import EndlessAuthError, RemoteProtocolError
from smtplearn.record import Step
from smtplearn.render.text import smtplib_message
from smtplearn.transport import (
    ConnectionClosedError,
    ConnectTimeoutError,
    SMTPTimeoutError,
    TransportError,
)

if TYPE_CHECKING:
    from smtplearn.compat.smtp import SMTP


def run_step(smtp: SMTP, method: Callable[..., Step], *args: Any) -> tuple[int, bytes]:
    """Run one `Client` step; return smtplib's (code, message), or raise what smtplib raises."""
    try:
        step = method(*args)
    except EndlessAuthError as error:
        # smtplib gives up on the same challenge, with its own words (smtplib.SMTP.auth).
        smtp.close()
        last = (error.reply.code, smtplib_message(error.reply))
        raise smtp._attach(
            SMTPException(f"Server AUTH mechanism infinite loop. Last response: {last!r}")
        ) from None
    except RemoteProtocolError as error:
        return read_as_smtplib(smtp, error.received, eof=False)
    except ConnectionClosedError as error:
        cause = error.__cause__
        if isinstance(cause, RemoteProtocolError):
            return read_as_smtplib(smtp, cause.received, eof=True)
        smtp.close()
        # An OSError while reading: smtplib names it ("Connection reset by peer").
        detail = f": {cause}" if isinstance(cause, OSError) else ""
        raise smtp._attach(SMTPServerDisconnected(f"Connection unexpectedly closed{detail}")) from error
    except SMTPTimeoutError as error:
        if isinstance(error, ConnectTimeoutError):  # no socket: smtplib lets its error through
            raise socket_error(error) from None
        smtp.close()  # smtplib's getreply turns a read timeout into a disconnection
        raise smtp._attach(
            SMTPServerDisconnected(f"Connection unexpectedly closed: {error.__cause__}")
        ) from error
    except TransportError as error:
        smtp.close()
        raise socket_error(error) from None
    smtp._show_replies(step)
    return smtplib_tuple(step)


def read_as_smtplib(smtp: SMTP, received: bytes, *, eof: bool) -> tuple[int, bytes]:
    """What smtplib's ``getreply()`` makes of `received`, the bytes of a reply we refused.

    The client hangs up on a reply that breaks RFC 5321 §4.2 or §4.2.1 (nothing after
    it can be trusted); smtplib reads such lines on. Whatever smtplib would return or
    raise for them, the facade does too; the next command raises SMTPServerDisconnected.
    `eof`: the server closed the connection after `received`.
    """
    smtp.close()
    reading = smtplib_reading.read_reply(received, eof=eof)
    if smtp.debuglevel > 0:
        for line in reading.lines:
            smtp._print_debug("reply:", repr(line))
    if reading.failure is not None:
        raise smtp._attach(SMTPLIB_TO_OURS[type(reading.failure)](*reading.failure.args))
    if smtp.debuglevel > 0:
        smtp._print_debug(f"reply: retcode ({reading.code}); Msg: {reading.message!a}")
    return reading.code, reading.message


def smtplib_tuple(step: Step) -> tuple[int, bytes]:
    reply = step.reply
    return (-1, b"") if reply is None else (reply.code, smtplib_message(reply))
