"""How a receiver reads a DMARC record's policy, as RFC 7489 says: where authheaders reads it wrongly.

authheaders finds the record and judges alignment. Two of its readings of the record would
teach something false; `smtplearn.world.authcheck` corrects them with what is here:

- ``p=bogus`` (or ``p=rejct``) came out as a policy named "bogus": DMARC=fail, delivered, and
  a record with no "p" at all as no record. RFC 7489 §6.6.3, step 6: a record without a valid
  "p" tag, or with an "sp" tag that is not valid, counts as ``p=none`` when its "rua" tag holds
  at least one syntactically valid reporting URI; otherwise the receiver "applies no DMARC
  processing to this message". The verdict is then ``permerror`` (RFC 7489 §11.2: "such as
  encountering a syntactically incorrect DMARC record").
- "sp" was applied to the record's own domain: ``p=reject; sp=none`` let a forgery of the
  domain itself through. "sp" "applies only to subdomains of the domain queried and not to
  the domain itself" (RFC 7489 §6.3); that domain gets "p".

authheaders also ignores "pct" (RFC 7489 §6.6.4): ``p=reject; pct=0`` rejected every failing
message. `enacted_policy` applies it.

Which record applies is read here too (`the_dmarc_record`, RFC 7489 §6.6.3 steps 3 to 5): the
world passed authheaders only the first TXT record at ``_dmarc.<domain>``, so a verification
token listed first hid the DMARC record, and of two DMARC records the first one counted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import authheaders.dmarc_lookup

#: The values "p" and "sp" may take (RFC 7489 §6.4, dmarc-request; ABNF strings ignore case).
POLICIES = ("none", "quarantine", "reject")
#: RFC 7489 §6.4: dmarc-uri = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ], URI as in RFC 3986
#: (a scheme, a colon, then no spaces). Enough to tell a reporting address from a typo.
_REPORTING_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s!,]+(![0-9]+[kmgt]?)?")

#: RFC 7489 §6.4: a DMARC record starts with its "v" tag, whose value "MUST match precisely".
_DMARC_VERSION = re.compile(r"v[ \t]*=[ \t]*DMARC1[ \t]*(;|$)")


@dataclass(frozen=True)
class NoDmarcProcessing:
    """What is published at ``_dmarc.<domain>`` tells the receiver to apply no DMARC at all.

    `reason` goes into the Authentication-Results header as a comment, so it is ASCII only
    (RFC 5322 §3.2.2, ctext).
    """

    reason: str


#: A record without a valid policy and without a reporting address (RFC 7489 §6.6.3 step 6).
NO_VALID_POLICY = NoDmarcProcessing(
    "no valid p= or sp= and no valid rua=, so no DMARC processing: RFC 7489 section 6.6.3"
)
#: More than one DMARC record at one name (RFC 7489 §6.6.3 step 5).
MULTIPLE_RECORDS = NoDmarcProcessing("multiple DMARC records, so no DMARC processing: RFC 7489 section 6.6.3")


def the_dmarc_record(answers: Sequence[str]) -> str | NoDmarcProcessing | None:
    """The DMARC record among the TXT `answers` at a ``_dmarc`` name (RFC 7489 §6.6.3 steps 3 to 5).

    Other TXT records are set aside (step 3); None when none is left, and the receiver asks
    the organizational domain (step 4); `MULTIPLE_RECORDS` when more than one is (step 5).
    """
    records = [answer for answer in answers if _DMARC_VERSION.match(answer.strip())]
    if len(records) > 1:
        return MULTIPLE_RECORDS
    return records[0] if records else None


def as_receivers_read_it(record: str) -> str | NoDmarcProcessing:
    """`record` as RFC 7489 §6.6.3 step 6 says a receiver reads it.

    A record whose "p" and "sp" are valid is returned as it is. Without a valid "p" (missing,
    or a typo), or with an invalid "sp", it becomes ``p=none`` when its "rua" holds a valid
    reporting URI (its other tags kept), and `NO_VALID_POLICY` otherwise.
    """
    tags = _tags(record)
    p = tags.get("p", "").lower()
    if p in POLICIES and tags.get("sp", p).lower() in POLICIES:
        return record
    if not _has_reporting_uri(tags.get("rua", "")):
        return NO_VALID_POLICY
    kept = "; ".join(f"{name}={value}" for name, value in tags.items() if name not in ("v", "p", "sp"))
    return f"v=DMARC1; p=none; {kept}"


def requested_policy(record: str, record_domain: str, from_domain: str) -> str:
    """The policy a valid `record`, found at ``_dmarc.<record_domain>``, asks for mail from `from_domain`."""
    tags = _tags(record)
    p = tags["p"].lower()
    own_domain = from_domain.lower().rstrip(".") == record_domain.lower().rstrip(".")
    return p if own_domain else tags.get("sp", p).lower()


def sampling_percentage(record: str) -> int:
    """The record's "pct" (RFC 7489 §6.3: 0 to 100, default 100); a malformed one is ignored."""
    value = _tags(record).get("pct", "")
    return int(value) if re.fullmatch(r"[0-9]{1,3}", value) and int(value) <= 100 else 100


def enacted_policy(policy: str, percentage: int, draw: float) -> str:
    """The policy a failing message gets when the record asks for `policy` on `percentage` % of them.

    RFC 7489 §6.6.4: a receiver "MUST NOT enact the requested policy" on more than that share;
    a message left out (`draw`, uniform in [0, 1), decides) gets "quarantine" instead of
    "reject", and "local message classification as normal" (none) instead of "quarantine".
    """
    if draw * 100 < percentage:
        return policy
    return "quarantine" if policy == "reject" else "none"


def _tags(record: str) -> dict[str, str]:
    return {name: value.strip() for name, value in authheaders.dmarc_lookup.answer_to_dict(record).items()}


def _has_reporting_uri(rua: str) -> bool:
    return any(_REPORTING_URI.fullmatch(uri.strip()) for uri in rua.split(","))
