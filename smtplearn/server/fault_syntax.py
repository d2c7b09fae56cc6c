"""The command line's ``--fault`` syntax: ``smtplearn server --fault greylist --fault size:1000``.

One spec per fault of `smtplearn.server.faults`, parsed into that rule.
"""

from __future__ import annotations

from smtplearn.server.faults import (
    Delay,
    Disconnect,
    Fault,
    Greylist,
    RecipientLimit,
    RejectRecipient,
    RejectSender,
    SizeLimit,
    TemporaryFailure,
)

__all__ = ["parse_fault"]


def parse_fault(spec: str) -> Fault:
    """A fault from the command line's ``--fault`` syntax.

    ``reject-rcpt:PATTERN``, ``reject-sender:PATTERN``, ``greylist[:PATTERN]``,
    ``size:OCTETS``, ``rcpt-limit:N``, ``tempfail:STEP[:CODE]``, ``delay:STEP:SECONDS``,
    ``drop:STEP``.
    """
    kind, _, rest = spec.partition(":")
    parts = rest.split(":") if rest else []
    try:
        if kind == "reject-rcpt" and len(parts) == 1:
            return RejectRecipient(parts[0])
        if kind == "reject-sender" and len(parts) == 1:
            return RejectSender(parts[0])
        if kind == "greylist" and len(parts) <= 1:
            return Greylist(*parts)
        if kind == "size" and len(parts) == 1:
            return SizeLimit(int(parts[0]))
        if kind == "rcpt-limit" and len(parts) == 1:
            return RecipientLimit(int(parts[0]))
        if kind == "tempfail" and len(parts) in (1, 2):
            return TemporaryFailure(parts[0].upper(), int(parts[1]) if len(parts) == 2 else None)
        if kind == "delay" and len(parts) == 2:
            return Delay(parts[0].upper(), float(parts[1]))
        if kind == "drop" and len(parts) == 1:
            return Disconnect(parts[0].upper())
    except ValueError as error:
        raise ValueError(f"bad fault {spec!r}: {error}") from None
    raise ValueError(
        f"unknown fault {spec!r}; use reject-rcpt:PATTERN, reject-sender:PATTERN, "
        "greylist[:PATTERN], size:OCTETS, rcpt-limit:N, tempfail:STEP[:CODE], delay:STEP:SECONDS "
        "or drop:STEP"
    )
