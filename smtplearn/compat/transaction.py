"""smtplib's ``sendmail`` and ``send_message`` in the facade: one whole transaction.

smtplib's return value (the refused recipients) and exceptions, over the facade's own
``mail``/``rcpt``/``data``; when to give up on the transaction is the core's rule
(`smtplearn.protocol.states.transaction_refused`), as for `Client.send_message`.
"""

from __future__ import annotations

import contextlib
import smtplib
from collections.abc import Sequence
from email.message import Message
from typing import TYPE_CHECKING

from smtplearn.compat.exceptions import (
    SMTPDataError,
    SMTPNotSupportedError,
    SMTPRecipientsRefused,
    SMTPSenderRefused,
)
from smtplearn.envelope import envelope_of
from smtplearn.protocol.data import message_bytes
from smtplearn.protocol.states import transaction_refused

if TYPE_CHECKING:
    from smtplearn.compat.smtp import SMTP


def sendmail(
    smtp: SMTP,
    from_addr: str,
    to_addrs: str | Sequence[str],
    msg: str | bytes,
    mail_options: Sequence[str] = (),
    rcpt_options: Sequence[str] = (),
) -> dict[str, tuple[int, bytes]]:
    """The whole transaction, with smtplib's return value and exceptions."""
    smtp.ehlo_or_helo_if_needed()
    if isinstance(msg, str):
        msg = smtplib._fix_eols(msg).encode("ascii")  # type: ignore[attr-defined]
    options = list(mail_options)
    if smtp.does_esmtp and smtp.has_extn("size"):
        options.insert(0, f"size={len(msg)}")
    code, reply = smtp.mail(from_addr, options)
    if code != 250:
        _abandon(smtp, code)
        raise smtp._attach(SMTPSenderRefused(code, reply, from_addr))
    refused: dict[str, tuple[int, bytes]] = {}
    accepted: list[bool] = []
    recipients = [to_addrs] if isinstance(to_addrs, str) else list(to_addrs)
    for address in recipients:
        code, reply = smtp.rcpt(address, rcpt_options)
        # smtplib's reading: only 250 and 251 accept (its return value lists the others).
        accepted.append(code in (250, 251))
        if not accepted[-1]:
            refused[address] = (code, reply)
        if code == 421:
            smtp.close()
            raise smtp._attach(SMTPRecipientsRefused(refused))
    if transaction_refused(True, accepted) is not None:
        _abandon(smtp, 0)
        raise smtp._attach(SMTPRecipientsRefused(refused))
    code, reply = smtp.data(msg)
    if code != 250:
        _abandon(smtp, code)
        raise smtp._attach(SMTPDataError(code, reply))
    return refused


def send_message(
    smtp: SMTP,
    msg: Message,
    from_addr: str | None = None,
    to_addrs: str | Sequence[str] | None = None,
    mail_options: Sequence[str] = (),
    rcpt_options: Sequence[str] = (),
) -> dict[str, tuple[int, bytes]]:
    """Like smtplib: the envelope from the headers, Bcc removed, then `sendmail`."""
    smtp.ehlo_or_helo_if_needed()
    envelope = envelope_of(msg, from_addr, to_addrs)
    international = envelope.needs_smtputf8
    if international:
        if not smtp.has_extn("smtputf8"):
            raise smtp._attach(
                SMTPNotSupportedError(
                    "One or more source or delivery addresses require internationalized email "
                    "support, but the server does not advertise the required SMTPUTF8 capability"
                )
            )
        mail_options = (*mail_options, "SMTPUTF8", "BODY=8BITMIME")
    flat = message_bytes(envelope.message, smtputf8=international)
    return sendmail(smtp, envelope.sender, list(envelope.recipients), flat, mail_options, rcpt_options)


def _abandon(smtp: SMTP, code: int) -> None:
    # smtplib closes on 421 (the server is going away) and otherwise resets quietly.
    if code == 421:
        smtp.close()
        return
    with contextlib.suppress(smtplib.SMTPServerDisconnected):
        smtp.rset()
