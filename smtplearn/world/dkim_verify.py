"""Every DKIM signature on a message verified with dkimpy, each key read as RFC 6376 says.

authheaders verifies only the topmost signature, and dkimpy does not read a key's "h" and "t"
tags (`smtplearn.world.dkim_key` does). A mailing list that signs what it relays put its own
signature on top and hid the author's; a key published ``t=y`` counted for DMARC.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import authheaders.dmarc_lookup
import dkim
import dkim.util
import dns.exception
from authres import DKIMAuthenticationResult

from smtplearn.world.dkim_key import TESTING_MODE, in_testing_mode, reason_to_ignore

#: The TXT answers at a name (raises dns.exception.Timeout when the DNS does not answer).
TxtLookup = Callable[[str], tuple[str, ...]]


@dataclass(frozen=True)
class SignatureVerdict:
    """The verdict on one signature, as an Authentication-Results clause (RFC 8601 §2.7.1)."""

    clause: Any
    #: Its key is in testing mode (t=y): DMARC counts the message as unsigned (RFC 6376 §3.6.1).
    testing: bool = False


def verify_signatures(raw: bytes, txt: TxtLookup) -> list[SignatureVerdict]:
    """One DKIM verdict per signature, top first, each key (its TXT record from `txt`) read by `dkim_key`.

    authheaders verifies only the topmost signature; RFC 6376 §6.1: "Verifiers MUST NOT
    attribute ultimate meaning to the order of multiple DKIM-Signature header fields".
    """
    signatures = email.message_from_bytes(raw, policy=email.policy.compat32).get_all("DKIM-Signature", [])
    if not signatures:
        return [SignatureVerdict(DKIMAuthenticationResult(result="none"))]  # RFC 8601 §2.7.1: not signed
    verifier = dkim.DKIM(raw)
    return [_verify_signature(txt, verifier, n, str(signature)) for n, signature in enumerate(signatures)]


def _verify_signature(txt: TxtLookup, verifier: dkim.DKIM, index: int, signature: str) -> SignatureVerdict:
    """The verdict on the message's `index`-th DKIM signature (counted from the top)."""
    algorithm = _tag(signature, b"a")
    ignored: list[str] = []
    testing: list[bool] = []  # whether the key used has t=y, told by dkimpy's lookup

    def key_lookup(name: bytes, timeout: float = 5) -> bytes | None:
        """dkimpy's TXT lookup (bytes in, bytes out: one key record, RFC 6376 §3.6.2.2)."""
        answers = txt(name.decode())
        record = answers[0].encode() if answers else None
        reason = reason_to_ignore(record, algorithm) if record else None
        if reason:
            ignored.append(reason)
            return None  # no usable key: dkimpy fails the signature, a PERMFAIL
        if record and in_testing_mode(record):
            testing.append(True)
        return record

    try:
        result = "pass" if verifier.verify(idx=index, dnsfunc=key_lookup) else "fail"
    except dns.exception.DNSException:
        result = "temperror"
    except Exception:  # dkimpy raises many kinds on a malformed signature or key: all fail it
        result = "fail"
    in_testing = any(testing)
    comment = ignored[0] if ignored and result == "fail" else TESTING_MODE if in_testing else None
    clause = DKIMAuthenticationResult(
        result=result,
        result_comment=comment,
        header_d=_tag(signature, b"d").decode("ascii", "replace"),
        header_i=_tag(signature, b"i").decode("ascii", "replace"),
    )
    return SignatureVerdict(clause, in_testing)


def most_aligned_pass(clauses: list[Any], from_domain: str) -> Any | None:
    """Of the passing DKIM verdicts, the one most aligned with `from_domain`; None if none passed.

    DMARC passes if "at least one" mechanism passes for an aligned identifier (RFC 7489 §4.2);
    authheaders takes one DKIM verdict and judges its alignment by the record's "adkim". An
    exact match with the From domain suits both modes, one in its organizational domain only
    relaxed.
    """
    from_domain = from_domain.lower().rstrip(".")
    from_organization = authheaders.dmarc_lookup.get_org_domain(from_domain) if from_domain else ""

    def distance(clause: Any) -> int:
        domain = str(clause.header_d or "").lower().rstrip(".")
        if domain == from_domain:
            return 0
        return 1 if domain and authheaders.dmarc_lookup.get_org_domain(domain) == from_organization else 2

    passing = [clause for clause in clauses if clause.result == "pass"]
    return min(passing, key=distance) if passing else None


def _tag(tag_list: str, name: bytes) -> bytes:
    """The value of tag `name` in a DKIM tag list, b"" when absent or unreadable."""
    try:
        return bytes(dkim.util.parse_tag_value(tag_list.encode("ascii", "replace")).get(name, b""))
    except dkim.util.InvalidTagValueList:
        return b""
