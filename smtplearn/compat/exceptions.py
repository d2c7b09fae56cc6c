"""smtplib's exceptions, as the facade raises them: subclasses carrying the session's transcript.

Code written for smtplib catches ``smtplib.SMTPException`` and its kin; these are those
classes (and `SMTPLearnError`), so both smtplib's handlers and smtplearn's catch them.
"""

from __future__ import annotations

import smtplib
import sys
from collections.abc import Callable
from typing import Any

from smtplearn.protocol.commands import Command
from smtplearn.protocol.errors import LocalProtocolError, SMTPLearnError
from smtplearn.record import Transcript
from smtplearn.transport import TransportError


class SMTPException(smtplib.SMTPException, SMTPLearnError):
    transcript: Transcript | None = None


class SMTPNotSupportedError(smtplib.SMTPNotSupportedError, SMTPException):
    pass


class SMTPServerDisconnected(smtplib.SMTPServerDisconnected, SMTPException):
    pass


class SMTPResponseException(smtplib.SMTPResponseException, SMTPException):
    pass


class SMTPSenderRefused(smtplib.SMTPSenderRefused, SMTPResponseException):
    pass


class SMTPRecipientsRefused(smtplib.SMTPRecipientsRefused, SMTPException):
    pass


class SMTPDataError(smtplib.SMTPDataError, SMTPResponseException):
    pass


class SMTPHeloError(smtplib.SMTPHeloError, SMTPResponseException):
    pass


class SMTPAuthenticationError(smtplib.SMTPAuthenticationError, SMTPResponseException):
    pass


class SMTPConnectError(smtplib.SMTPConnectError, SMTPResponseException):
    pass


# smtplib's exception -> the facade's subclass of it (which carries the transcript).
SMTPLIB_TO_OURS: dict[type[smtplib.SMTPException], type[SMTPException]] = {
    smtplib.SMTPServerDisconnected: SMTPServerDisconnected,
    smtplib.SMTPResponseException: SMTPResponseException,
}


def checked(build: Callable[..., Command], *args: Any, **kwargs: Any) -> Command:
    """`build(...)`, with the core's refusal of a line (control character, too long) as ValueError.

    smtplib raises ValueError for a CR or LF in a command; the facade raises it for every
    line the core refuses (`smtplearn.protocol.grammar`), with the core's explanation.
    """
    try:
        return build(*args, **kwargs)
    except LocalProtocolError as error:
        raise ValueError(str(error)) from None


def socket_error(error: TransportError) -> BaseException:
    """The socket or ssl module's own exception under `error`, as smtplib lets it through.

    smtplearn's explanation (which server, what to do) is kept as a note on it (Python 3.11+).
    """
    cause = error.__cause__
    if not isinstance(cause, OSError):
        return error
    if sys.version_info >= (3, 11):
        cause.add_note(str(error))
    return cause
