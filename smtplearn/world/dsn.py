"""Bounces: a delivery status notification (DSN) built with the email package.

RFC 3464 defines the report: a ``multipart/report; report-type=delivery-status`` (RFC 6522)
whose parts are a human-readable explanation, a ``message/delivery-status`` part (one block
of per-message fields, then one block per recipient: Final-Recipient, Action, Status,
Remote-MTA, Diagnostic-Code) and the returned message's headers. It is sent from the null
reverse-path ``MAIL FROM:<>`` so that it can never cause another bounce (RFC 5321 §4.5.5).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.utils import format_datetime


@dataclass(frozen=True)
class Failure:
    """Why one recipient could not be reached."""

    recipient: str
    #: The enhanced status code (RFC 3463), e.g. "5.1.1" for an unknown mailbox.
    status: str
    #: The SMTP reply that decided it ("550 5.1.1 ... User unknown"), if a server gave one.
    diagnostic: str
    #: The server that gave it, if any.
    remote_mta: str = ""


def build_bounce(
    *, reporting_mta: str, original: bytes, original_from: str, failure: Failure, arrived: datetime
) -> EmailMessage:
    """The DSN telling `original_from` that `failure.recipient` was not reached."""
    report = EmailMessage(policy=policy.SMTP)
    report["From"] = f"Mail Delivery System <MAILER-DAEMON@{reporting_mta}>"
    report["To"] = original_from
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Date"] = format_datetime(datetime.now(timezone.utc))
    report["Message-ID"] = f"<{uuid.uuid4()}@{reporting_mta}>"
    report["Auto-Submitted"] = "auto-replied"  # RFC 3834 §5: no auto-reply to this one
    report.set_content(
        f"This is the mail system at host {reporting_mta}.\n\n"
        f"Your message could not be delivered to <{failure.recipient}>.\n\n"
        f"    {failure.diagnostic}\n"
    )
    report.make_mixed()
    report.set_type("multipart/report")
    report.set_param("report-type", "delivery-status")

    per_message = Message()
    per_message["Reporting-MTA"] = f"dns; {reporting_mta}"
    per_message["Arrival-Date"] = format_datetime(arrived)
    per_recipient = Message()
    per_recipient["Final-Recipient"] = f"rfc822; {failure.recipient}"
    per_recipient["Action"] = "failed"
    per_recipient["Status"] = failure.status
    if failure.remote_mta:
        per_recipient["Remote-MTA"] = f"dns; {failure.remote_mta}"
    if failure.diagnostic[:3].isdigit():
        per_recipient["Diagnostic-Code"] = f"smtp; {failure.diagnostic}"
    status = Message()
    status.set_type("message/delivery-status")
    status.set_payload([per_message, per_recipient])
    report.attach(status)  # type: ignore[arg-type]  # any Message attaches

    headers = BytesHeaderParser(policy=policy.SMTP).parsebytes(original)
    returned = Message()
    returned.set_type("text/rfc822-headers")
    returned.set_payload("".join(f"{k}: {v}\r\n" for k, v in headers.items()))
    report.attach(returned)  # type: ignore[arg-type]
    return report
