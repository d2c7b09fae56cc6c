"""Lookups in the world's DNS with dnspython, each one kept as a `DnsQuery` record.

The resolver talks only to the world's name server (``Resolver(configure=False)``: the
machine's /etc/resolv.conf is never read), so nothing leaves loopback. Every question asked
— by the relay looking for an MX, by SPF, DKIM or DMARC checking a message — lands in
`WorldResolver.log`, the DNS counterpart of an SMTP transcript.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import dns.exception
import dns.message
import dns.name
import dns.rdatatype
import dns.resolver

from smtplearn.world.zone import RECORD_TYPES, normalize_name

#: What each outcome of a query means, for renderings and lessons.
STATUSES = {
    "NOERROR": "the name has records of this type",
    "NODATA": "the name exists but has no record of this type",
    "NXDOMAIN": "no such name (RFC 1035 §4.1.1, RCODE 3)",
    "TIMEOUT": "the name server did not answer in time",
    "LOOP": "the CNAME chain loops back on itself (RFC 1034 §3.6.2)",
    "ERROR": "the answer could not be used",
}
#: Where the MX lookup and its fallback to the address record are specified.
MX_RULE = "RFC 5321 §5.1"


@dataclass(frozen=True)
class DnsQuery:
    """One question to the world's DNS and its answer, as a learner reads it."""

    name: str
    type: str
    #: One of `STATUSES`.
    status: str
    #: Each answer in presentation form ("10 mx1.example.org", the joined TXT text...).
    answers: tuple[str, ...]
    #: Who asked and why: "relay: MX for example.org", "SPF", "DKIM"...
    purpose: str = ""
    #: CNAMEs followed on the way, as "alias → target".
    chain: tuple[str, ...] = ()

    @property
    def rfc(self) -> str:
        """The section defining this record type (and RFC 5321 §5.1 for MX)."""
        base = RECORD_TYPES.get(self.type, "RFC 1035")
        return f"{base}; {MX_RULE}" if self.type == "MX" else base

    @property
    def ok(self) -> bool:
        return self.status == "NOERROR"

    def __str__(self) -> str:
        answer = ", ".join(self.answers) if self.answers else f"{self.status}: {STATUSES[self.status]}"
        who = f"  [{self.purpose}]" if self.purpose else ""
        return f"{self.name} {self.type}? → {answer}  ({self.rfc}){who}"


class DnsLookupError(LookupError):
    """A lookup that cannot give an answer a mail server may act on (timeout, loop)."""

    def __init__(self, query: DnsQuery) -> None:
        super().__init__(str(query))
        self.query = query


class WorldResolver:
    """dnspython's Resolver aimed at one loopback name server, recording every query."""

    def __init__(self, address: tuple[str, int], *, timeout: float = 1.0) -> None:
        self._resolver = dns.resolver.Resolver(configure=False)
        self._resolver.nameservers = [address[0]]
        self._resolver.port = address[1]
        self._resolver.lifetime = timeout
        self._resolver.timeout = timeout
        self._lock = threading.Lock()
        self._log: list[DnsQuery] = []
        self._listeners: list[Callable[[DnsQuery], None]] = []

    @property
    def timeout(self) -> float:
        return float(self._resolver.lifetime)

    @property
    def log(self) -> Sequence[DnsQuery]:
        """Every query so far, oldest first."""
        with self._lock:
            return tuple(self._log)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    def add_listener(self, listener: Callable[[DnsQuery], None]) -> None:
        """Call `listener(query)` after every query (from whichever thread asked)."""
        self._listeners.append(listener)

    def lookup(self, name: str, rtype: str, purpose: str = "") -> DnsQuery:
        """Ask for `rtype` records at `name`; the outcome is data (see `DnsQuery.status`)."""
        query = self._ask(normalize_name(name), rtype.upper(), purpose)
        with self._lock:
            self._log.append(query)
        for listener in list(self._listeners):
            listener(query)
        return query

    def _ask(self, name: str, rtype: str, purpose: str) -> DnsQuery:
        def result(status: str, answers: tuple[str, ...] = (), chain: tuple[str, ...] = ()) -> DnsQuery:
            return DnsQuery(name, rtype, status, answers, purpose, chain)

        try:
            answer = self._resolver.resolve(name, rtype, raise_on_no_answer=False, search=False)
        except dns.resolver.NXDOMAIN:
            return result("NXDOMAIN")
        except dns.exception.Timeout:
            return result("TIMEOUT")
        except dns.resolver.NoNameservers as error:
            # dnspython reports a looping CNAME chain as the server's failure to answer.
            failures = [e[3] for e in error.kwargs.get("errors", ())]
            if any(isinstance(e, dns.message.ChainTooLong) for e in failures):
                return result("LOOP")
            return result("ERROR", (f"{type(error).__name__}: {error}",))
        except dns.exception.DNSException as error:
            return result("ERROR", (f"{type(error).__name__}: {error}",))
        chain = _cname_chain(answer.response, name)
        if chain and chain[-1].split(" → ")[1] in {link.split(" → ")[0] for link in chain}:
            return result("LOOP", chain=chain)
        if answer.rrset is None:
            return result("NODATA", chain=chain)
        return result("NOERROR", tuple(_presentation(rdata, rtype) for rdata in answer.rrset), chain)

    # -- what mail servers ask ------------------------------------------------------------

    def txt(self, name: str, purpose: str = "") -> DnsQuery:
        return self.lookup(name, "TXT", purpose)

    def mail_exchangers(
        self, domain: str, purpose: str = "relay"
    ) -> tuple[list[tuple[int, str]], list[DnsQuery]]:
        """The hosts to try for `domain`, best first, and the queries that found them.

        RFC 5321 §5.1: sort the MX records by preference (lowest first); with no MX record
        at all, the domain itself is the one host (the "implicit MX"), if it has an address.
        Raises `DnsLookupError` when the DNS cannot say (timeout, loop): the caller must try
        again later, not bounce.
        """
        mx = self.lookup(domain, "MX", f"{purpose}: MX for {domain}")
        if mx.status in ("TIMEOUT", "LOOP", "ERROR"):
            raise DnsLookupError(mx)
        if mx.status == "NOERROR":
            hosts = sorted((int(p), host) for p, host in (a.split() for a in mx.answers))
            return hosts, [mx]
        if mx.status == "NXDOMAIN":
            return [], [mx]
        address = self.lookup(domain, "A", f"{purpose}: no MX, so the A record of {domain} ({MX_RULE})")
        if address.status in ("TIMEOUT", "LOOP", "ERROR"):
            raise DnsLookupError(address)
        return ([(0, domain)] if address.ok else []), [mx, address]


def _cname_chain(response: dns.message.Message, name: str) -> tuple[str, ...]:
    links = []
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.CNAME:
            for rdata in rrset:
                links.append(f"{rrset.name.to_text(True)} → {rdata.target.to_text(True)}")
    return tuple(links)


def _presentation(rdata: object, rtype: str) -> str:
    if rtype == "TXT":
        # A TXT record's strings are one text (RFC 7208 §3.3, RFC 6376 §3.6.2.2).
        return b"".join(rdata.strings).decode("utf-8", "replace")  # type: ignore[attr-defined]
    if rtype == "MX":
        return f"{rdata.preference} {rdata.exchange.to_text(True)}"  # type: ignore[attr-defined]
    if rtype in ("CNAME", "PTR"):
        return str(rdata.target.to_text(True))  # type: ignore[attr-defined]
    return str(rdata)
