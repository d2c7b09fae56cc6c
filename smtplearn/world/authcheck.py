"""Who really sent this? DKIM signing, and SPF, DKIM and DMARC checks, with the field's libraries.

- Signing: dkimpy (RFC 6376) with an RSA key generated for each world; the private key lives
  only in memory and never appears in a repr, a rendering or a file.
- SPF (RFC 7208): pyspf, resolving through the world's DNS.
- DKIM verification (RFC 6376): dkimpy, every signature, by `smtplearn.world.dkim_verify`.
- DMARC (RFC 7489): authheaders, with a DNS function that asks the world's resolver; which
  record applies and the policy it asks for are read by `smtplearn.world.dmarc_policy`.
- The verdicts become one ``Authentication-Results:`` header (RFC 8601) built with authres.

Every lookup a check makes lands in the resolver's log, so a lesson can show which TXT
record decided what.
"""

from __future__ import annotations

import base64
import contextlib
import email
import email.policy
import email.utils
import functools
import logging
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import authheaders
import authheaders.dmarc_lookup
import dkim
import dns.exception
import spf
from authres import AuthenticationResultsHeader, DKIMAuthenticationResult, SPFAuthenticationResult
from authres.dmarc import DMARCAuthenticationResult
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from publicsuffix2 import PublicSuffixList

from smtplearn.world.dkim_verify import most_aligned_pass, verify_signatures
from smtplearn.world.dmarc_policy import (
    NoDmarcProcessing,
    as_receivers_read_it,
    enacted_policy,
    requested_policy,
    sampling_percentage,
    the_dmarc_record,
)
from smtplearn.world.resolver import WorldResolver

# dkimpy logs a missing key as an ERROR; with no handler configured, logging's last resort
# would print it into whichever notebook cell runs. The verdict already says it.
logging.getLogger("dkimpy").addHandler(logging.NullHandler())

#: dkimpy refuses keys under 1024 bits; 2048 is today's norm (and needs a TXT split in strings).
DKIM_KEY_BITS = 2048
#: The headers a DKIM signature covers (RFC 6376 §5.4.1 recommends From first among these).
SIGNED_HEADERS = (b"From", b"To", b"Subject", b"Date", b"Message-ID")


class DkimKey:
    """An RSA key pair for one DKIM selector; the private half is never shown."""

    def __init__(self, domain: str, selector: str = "s1", bits: int = DKIM_KEY_BITS) -> None:
        self.domain = domain
        self.selector = selector
        self.bits = bits
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        self._private_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        public_der = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.public_key_base64 = base64.b64encode(public_der).decode("ascii")

    @property
    def record_name(self) -> str:
        """Where verifiers look for the public key: ``<selector>._domainkey.<domain>`` (RFC 6376 §3.6.2.1)."""
        return f"{self.selector}._domainkey.{self.domain}"

    @property
    def record_value(self) -> str:
        """The TXT record publishing the public key (RFC 6376 §3.6.1)."""
        return f"v=DKIM1; k=rsa; p={self.public_key_base64}"

    def sign(self, message: bytes) -> bytes:
        """`message` with a DKIM-Signature header on top."""
        signature = dkim.sign(
            message,
            self.selector.encode(),
            self.domain.encode(),
            self._private_pem,
            include_headers=list(SIGNED_HEADERS),
            canonicalize=(b"relaxed", b"relaxed"),
        )
        return bytes(signature) + message

    def __repr__(self) -> str:
        return f"<DkimKey {self.record_name}, RSA {self.bits} bits, private key hidden>"


# -- the organizational domain, once --------------------------------------------------------
# DMARC's relaxed alignment compares organizational domains (RFC 7489 §3.2), found with the
# public suffix list. authheaders parses its bundled list again on every call (half a second
# each, four calls per message); we parse it once per list file.
@functools.lru_cache(maxsize=4)
def _suffix_list(location: str) -> PublicSuffixList:
    with open(location) as suffixes:
        return PublicSuffixList(suffixes)


def _org_domain_from_suffix_list(location: object, domain: str) -> str:
    return str(_suffix_list(str(location)).get_public_suffix(domain))


authheaders.dmarc_lookup.get_org_domain_from_suffix_list = _org_domain_from_suffix_list


# -- pointing pyspf at the world's DNS -------------------------------------------------------
# pyspf looks names up through its module-level `spf.DNSLookup`. We replace it once by a
# function that asks the resolver the current thread has set (see `_spf_resolver`), and
# otherwise calls pyspf's own: other users of pyspf in the process are unaffected.
_local = threading.local()
_original_lookup = spf.DNSLookup


def _world_spf_lookup(name: str, qtype: str, strict: bool = True, timeout: float = 20) -> list[Any]:
    resolver: WorldResolver | None = getattr(_local, "resolver", None)
    if resolver is None:
        return list(_original_lookup(name, qtype, strict, timeout))
    query = resolver.lookup(name, qtype, "SPF")
    if query.status in ("TIMEOUT", "LOOP", "ERROR"):
        raise spf.TempError(f"DNS {query.status} for {name} {qtype}")
    key = (name, qtype)
    if qtype == "TXT":
        return [(key, [answer.encode()]) for answer in query.answers]
    if qtype == "MX":
        return [(key, (int(p), host)) for p, host in (a.split() for a in query.answers)]
    return [(key, answer) for answer in query.answers]


spf.DNSLookup = _world_spf_lookup


@contextlib.contextmanager
def _spf_resolver(resolver: WorldResolver) -> Iterator[None]:
    _local.resolver = resolver
    try:
        yield
    finally:
        _local.resolver = None


def _txt_answers(resolver: WorldResolver, name: str, purpose: str) -> tuple[str, ...]:
    query = resolver.txt(name, purpose)
    if query.status == "TIMEOUT":
        raise dns.exception.Timeout(f"no answer for {name} TXT")  # type: ignore[no-untyped-call]
    return query.answers


#: What authheaders is handed where no DMARC processing applies: a record it reads without
#: fault; the verdict is then corrected to permerror (`_read_policy_as_rfc_7489`).
_STAND_IN_RECORD = "v=DMARC1; p=none"


def _reading_dmarc_records(
    resolver: WorldResolver, purpose: str, readings: dict[str, str | NoDmarcProcessing]
) -> Any:
    """A TXT lookup for authheaders' DMARC: the one record a receiver uses (`dmarc_policy`), kept by domain.

    authheaders judges alignment against what this returns (str in, str out).
    """

    def reading(name: str, timeout: float = 5) -> str | None:
        answers = _txt_answers(resolver, name, purpose)
        if not name.lower().startswith("_dmarc."):
            return answers[0] if answers else None
        found = the_dmarc_record(answers)
        if found is None:
            return None  # authheaders then asks the organizational domain (RFC 7489 §6.6.3 step 4)
        read = found
        if isinstance(found, str):
            try:
                read = as_receivers_read_it(found)
            except authheaders.dmarc_lookup.DMARCException:
                return found  # authheaders cannot parse it either, and reports permerror itself
        readings[name[len("_dmarc.") :].lower().rstrip(".")] = read
        return _STAND_IN_RECORD if isinstance(read, NoDmarcProcessing) else read

    return reading


def _read_policy_as_rfc_7489(clause: Any, readings: dict[str, str | NoDmarcProcessing], raw: bytes) -> None:
    """Correct authheaders' verdict where it reads the record's policy wrongly (see `dmarc_policy`)."""
    # Without a "p" tag authheaders reports no From domain: then it is read from the message.
    from_domain = str(getattr(clause, "header_from", "") or "") or _from_domain(raw)
    from_domain = from_domain.lower().rstrip(".")
    # The record authheaders used: the From domain's own, or else its organizational domain's.
    used = [d for d in readings if from_domain == d or from_domain.endswith(f".{d}")]
    if not used or clause.result not in ("pass", "fail", "none"):
        return
    record_domain = max(used, key=len)
    record = readings[record_domain]
    if isinstance(record, NoDmarcProcessing):
        clause.result, clause.result_comment, clause.policy = "permerror", record.reason, "none"
        clause.header_from = from_domain
    elif clause.result != "none":
        clause.policy = requested_policy(record, record_domain, from_domain)
        if clause.result == "fail":
            requested, percentage = clause.policy, sampling_percentage(record)
            clause.policy = enacted_policy(requested, percentage, random.random())
            if clause.policy != requested:
                clause.result_comment = (
                    f"pct={percentage}: {requested} enacted as {clause.policy}, RFC 7489 section 6.6.4"
                )


def _from_domain(raw: bytes) -> str:
    """The domain of the message's (first) From address, "" when there is none."""
    return next(iter(_author_domains(raw)), "")


def _author_domains(raw: bytes) -> list[str]:
    """The domains of every address in the message's From field(s) (RFC 7489 §6.6.1)."""
    fields = email.message_from_bytes(raw, policy=email.policy.compat32).get_all("From", [])
    addresses = email.utils.getaddresses([str(field) for field in fields])
    return [address.rpartition("@")[2] for _, address in addresses if "@" in address.rstrip("@")]


#: The DMARC comment when the DMARC record could not be fetched.
DMARC_TIMEOUT = "the DMARC record lookup timed out; a later attempt may decide: RFC 7489 section 11.2"
#: The DMARC comment on a message whose From field names no domain (or that has no From).
NO_AUTHOR_DOMAIN = "no domain in From, nothing for DMARC to check: RFC 7489 section 6.6.1"


def _check_dmarc(resolver: WorldResolver, raw: bytes, spf_clause: Any, dkim_clause: Any) -> Any:
    """authheaders' DMARC verdict, corrected where it reads the record or the From field wrongly."""
    if not _author_domains(raw):
        # RFC 7489 §11.2: "none" when "no aligned identifier could be extracted"; authheaders
        # said permerror, and raised on a message without a From field.
        return DMARCAuthenticationResult(result="none", result_comment=NO_AUTHOR_DOMAIN)
    readings: dict[str, str | NoDmarcProcessing] = {}
    try:
        clause = authheaders.check_dmarc(
            raw, spf_clause, dkim_clause, dnsfunc=_reading_dmarc_records(resolver, "DKIM / DMARC", readings)
        )
    except dns.exception.Timeout:
        # authheaders lets the timeout escape; RFC 7489 §11.2 names the verdict.
        return DMARCAuthenticationResult(
            result="temperror", result_comment=DMARC_TIMEOUT, header_from=_from_domain(raw).lower()
        )
    _read_policy_as_rfc_7489(clause, readings, raw)
    return clause


@dataclass(frozen=True)
class Verdicts:
    """What a receiving server concluded about one message."""

    spf: str
    spf_domain: str
    #: The verdict on the message's most aligned passing signature, else its first (it may carry several).
    dkim: str
    #: The d= domain of that DKIM signature ("" when there is none).
    dkim_domain: str
    dmarc: str
    #: The policy the From domain's record asks for (none, quarantine, reject), "" without DMARC;
    #: on a failing message, the one enacted (a "pct" under 100 may weaken it).
    dmarc_policy: str
    from_domain: str
    #: The complete ``Authentication-Results:`` header line(s), CRLF-terminated.
    header: str

    @property
    def rejected(self) -> bool:
        """DMARC failed and the From domain asks for rejection (RFC 7489 §6.3, p=reject)."""
        return self.dmarc == "fail" and self.dmarc_policy == "reject"

    @property
    def quarantined(self) -> bool:
        """DMARC failed and the From domain asks for the message to be treated "as suspicious" (§6.3)."""
        return self.dmarc == "fail" and self.dmarc_policy == "quarantine"

    def __str__(self) -> str:
        return (
            f"SPF {self.spf} (MAIL FROM domain {self.spf_domain or '-'}), "
            f"DKIM {self.dkim} (d={self.dkim_domain or '-'}), "
            f"DMARC {self.dmarc} (From domain {self.from_domain or '-'}, policy {self.dmarc_policy or '-'})"
        )


def check_message(
    resolver: WorldResolver, *, raw: bytes, ip: str, mail_from: str, helo: str, authserv_id: str
) -> Verdicts:
    """Run SPF, DKIM and DMARC on a message as the receiving server `authserv_id`."""
    sender = mail_from or f"postmaster@{helo}"
    with _spf_resolver(resolver):
        spf_result, spf_reason = spf.check2(i=ip, s=sender, h=helo, timeout=resolver.timeout * 4)
    # What DMARC aligns: the MAIL FROM identity, postmaster@<HELO> for a bounce (RFC 7208 §2.4).
    spf_clause = SPFAuthenticationResult(
        result=spf_result, reason=spf_reason, smtp_mailfrom=sender, smtp_helo=helo
    )
    # What the header reports: the reverse-path the client sent, none for a bounce (the HELO
    # identity stands beside it). authheaders rewrites `spf_clause`'s to a bare domain when
    # it aligns, and postmaster@[192.0.2.1] (an EHLO address literal) would not parse.
    reported_spf = SPFAuthenticationResult(
        result=spf_result, reason=spf_reason, smtp_mailfrom=mail_from or None, smtp_helo=helo
    )
    signatures = verify_signatures(raw, lambda name: _txt_answers(resolver, name, "DKIM / DMARC"))
    dkim_clauses = [signature.clause for signature in signatures]
    from_domain = _from_domain(raw)
    dkim_clause = most_aligned_pass(dkim_clauses, from_domain) or dkim_clauses[0]
    counted = [signature.clause for signature in signatures if not signature.testing]
    # A key in testing mode counts as no signature (RFC 6376 §3.6.1).
    for_dmarc = most_aligned_pass(counted, from_domain) or DKIMAuthenticationResult(result="none")
    dmarc_clause = _check_dmarc(resolver, raw, spf_clause, for_dmarc)
    header = AuthenticationResultsHeader(
        authserv_id=authserv_id, results=[reported_spf, *dkim_clauses, dmarc_clause]
    )
    return Verdicts(
        spf=str(spf_result),
        spf_domain=sender.rpartition("@")[2],
        dkim=str(dkim_clause.result),
        dkim_domain=str(getattr(dkim_clause, "header_d", "") or ""),
        dmarc=str(dmarc_clause.result),
        dmarc_policy=str(getattr(dmarc_clause, "policy", "") or ""),
        from_domain=str(getattr(dmarc_clause, "header_from", "") or ""),
        header=_fold(str(header)) + "\r\n",
    )


def _fold(header: str) -> str:
    """authres writes one long line; fold it at each clause (RFC 5322 §2.2.3)."""
    return header.replace("; ", ";\r\n\t")
