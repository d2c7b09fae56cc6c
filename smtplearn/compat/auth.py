"""smtplib's AUTH, in the facade: ``login``'s choice of mechanism and ``auth``'s challenge loop.

What each mechanism sends comes from the core (`smtplearn.protocol.sasl`, with base64 and
the CRAM-MD5 digest from `smtplearn.protocol.grammar`); this module only keeps smtplib's
order of events, return values and exceptions. One recorded step per line; answers that
hold the password are redacted.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import TYPE_CHECKING

from smtplearn.compat.exceptions import (
    SMTPAuthenticationError,
    SMTPException,
    SMTPNotSupportedError,
    checked,
)
from smtplearn.protocol import commands, sasl
from smtplearn.protocol.grammar import b64encode_text
from smtplearn.protocol.states import MAX_AUTH_CHALLENGES

if TYPE_CHECKING:
    from smtplearn.compat.smtp import SMTP


def login(smtp: SMTP, user: str, password: str, *, initial_response_ok: bool = True) -> tuple[int, bytes]:
    """smtplib's ``login``: try each mechanism both sides know, strongest first."""
    smtp.ehlo_or_helo_if_needed()
    if not smtp.has_extn("auth"):
        raise smtp._attach(SMTPNotSupportedError("SMTP AUTH extension not supported by server."))
    advertised = smtp.esmtp_features["auth"].split()
    # smtplib's preference order is the core's (CRAM-MD5, PLAIN, LOGIN).
    usable = [name for name in sasl.STRENGTH_ORDER if name in advertised]
    if not usable:
        raise smtp._attach(SMTPException("No suitable authentication method found."))
    smtp.user, smtp.password = user, password
    last_error: SMTPAuthenticationError | None = None
    for mechanism in usable:
        answer = getattr(smtp, "auth_" + mechanism.lower().replace("-", "_"))
        try:
            return smtp.auth(mechanism, answer, initial_response_ok=initial_response_ok)
        except SMTPAuthenticationError as error:
            last_error = error
    assert last_error is not None
    raise last_error


def auth(
    smtp: SMTP, mechanism: str, authobject: Callable[..., str | None], *, initial_response_ok: bool = True
) -> tuple[int, bytes]:
    """smtplib's AUTH loop: the initial response if allowed, then one answer per 334."""
    mechanism = mechanism.upper()
    first = authobject() if initial_response_ok else None
    if first is not None:
        command = checked(commands.auth, mechanism, b64encode_text(first), secret=_is_secret(smtp, first))
        smtp._auth_challenge_count = 1
    else:
        command = checked(commands.auth, mechanism)
        smtp._auth_challenge_count = 0
    code, reply = smtp._send(command)
    while code == 334:
        smtp._auth_challenge_count += 1
        # smtplib decodes the challenge leniently (base64.decodebytes), and so does the facade.
        text = authobject(base64.decodebytes(reply)) or ""
        response = checked(commands.auth_response, b64encode_text(text), secret=_is_secret(smtp, text))
        code, reply = smtp._send(response)
        # The core's bound is smtplib's ``_MAXCHALLENGE``, counted the same way.
        if smtp._auth_challenge_count > MAX_AUTH_CHALLENGES:
            raise smtp._attach(
                SMTPException(f"Server AUTH mechanism infinite loop. Last response: {(code, reply)!r}")
            )
    if code in (235, 503):
        return code, reply
    raise smtp._attach(SMTPAuthenticationError(code, reply))


def _is_secret(smtp: SMTP, answer: str) -> bool:
    # Without a known password (a caller's own authobject) every answer is treated as secret.
    return not smtp.password or smtp.password in answer
