"""The world's DNS data: `Record` and `Zone`, as a lesson declares them.

A record is written the way a zone file or a DNS provider's form writes it::

    zone.add("example.com", "MX", "10 mx1.example.com")
    zone.add("example.com", "TXT", "v=spf1 ip4:192.0.2.10 -all")

Names are absolute and case-insensitive (RFC 1035 §2.3.3); a trailing dot is optional.
The zone checks each value when it is added, so a typo is an error naming the record, not a
mystery later. A TXT value longer than 255 octets is published as several strings of at most
255 octets in one record (RFC 1035 §3.3: a <character-string> is at most 256 octets with its
length octet) — what every DKIM key of 2048 bits needs; the strings are joined when read
(RFC 7208 §3.3 for SPF, RFC 6376 §3.6.2.2 for DKIM).
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

#: The record types the world serves, with the RFC section that defines each one's data.
RECORD_TYPES = {
    "A": "RFC 1035 §3.4.1",
    "MX": "RFC 1035 §3.3.9",
    "TXT": "RFC 1035 §3.3.14",
    "CNAME": "RFC 1035 §3.3.1",
    "PTR": "RFC 1035 §3.3.12",
}
#: The longest <character-string> in a TXT record (RFC 1035 §3.3).
MAX_TXT_STRING = 255
DEFAULT_TTL = 300


def normalize_name(name: str) -> str:
    """``Mail.Example.COM.`` → ``mail.example.com``; refuses empty or malformed names."""
    text = name.strip().rstrip(".").lower()
    labels = text.split(".")
    if not text or any(not label or len(label) > 63 for label in labels):
        raise ValueError(f"{name!r} is not a domain name: labels are 1 to 63 octets, separated by dots")
    return text


def split_txt(text: str) -> tuple[bytes, ...]:
    """`text` as the <character-string>s of one TXT record, each at most 255 octets."""
    data = text.encode("utf-8")
    return tuple(data[i : i + MAX_TXT_STRING] for i in range(0, len(data), MAX_TXT_STRING)) or (b"",)


@dataclass(frozen=True)
class Record:
    """One resource record: owner name, type, value in presentation form, TTL."""

    name: str
    type: str
    value: str
    ttl: int = DEFAULT_TTL

    @property
    def rfc(self) -> str:
        return RECORD_TYPES[self.type]

    @property
    def mx(self) -> tuple[int, str]:
        """(preference, exchange) of an MX record."""
        preference, exchange = self.value.split()
        return int(preference), exchange

    @property
    def txt_strings(self) -> tuple[bytes, ...]:
        return split_txt(self.value)

    def __str__(self) -> str:
        value = f'"{self.value}"' if self.type == "TXT" else self.value
        return f"{self.name}. {self.ttl} IN {self.type} {value}"


def _check_value(name: str, rtype: str, value: str) -> str:
    where = f"{name} {rtype} {value!r}"
    if not isinstance(value, str):
        raise ValueError(f"{where}: a record's value is text, e.g. 'v=spf1 -all' or '10 mx1.example.org'")
    if rtype == "A":
        try:
            return str(ipaddress.IPv4Address(value.strip()))
        except ValueError:
            raise ValueError(f"{where}: an A record holds an IPv4 address such as 192.0.2.10") from None
    if rtype == "MX":
        parts = value.split()
        if len(parts) != 2 or not parts[0].isdigit() or int(parts[0]) > 65535:
            raise ValueError(
                f"{where}: an MX record is '<preference> <host>', e.g. '10 mx1.example.org' "
                "(lower preference is tried first, RFC 5321 §5.1)"
            )
        return f"{int(parts[0])} {normalize_name(parts[1])}"
    if rtype in ("CNAME", "PTR"):
        return normalize_name(value)
    if rtype == "TXT":
        return value
    raise ValueError(f"{where}: the world serves {', '.join(RECORD_TYPES)} records, not {rtype!r}")


class Zone:
    """Every record the world's DNS server answers from; safe to change while it serves.

    `unresponsive` names get no answer at all, so a lookup of them times out — the way a
    broken or firewalled name server looks to a resolver.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[Record] = []
        self._unresponsive: set[str] = set()
        self._listeners: list[Callable[[], None]] = []

    def add(self, name: str, rtype: str, value: str, ttl: int = DEFAULT_TTL) -> Record:
        """Publish a record; returns it. Raises ValueError naming what is wrong with it."""
        owner = normalize_name(name)
        kind = rtype.upper()
        record = Record(owner, kind, _check_value(owner, kind, value), ttl)
        with self._lock:
            if kind == "CNAME" and any(r.name == owner for r in self._records):
                raise ValueError(
                    f"{owner} already has records: a CNAME must be alone at its name (RFC 1034 §3.6.2)"
                )
            if any(r.name == owner and r.type == "CNAME" for r in self._records):
                raise ValueError(f"{owner} is a CNAME: no other record may share its name (RFC 1034 §3.6.2)")
            self._records.append(record)
        self._changed()
        return record

    def remove(self, name: str, rtype: str | None = None) -> int:
        """Withdraw the records at `name` (of `rtype` only, if given); returns how many."""
        owner = normalize_name(name)
        with self._lock:
            kept = [r for r in self._records if not (r.name == owner and rtype in (None, r.type))]
            removed = len(self._records) - len(kept)
            self._records = kept
        self._changed()
        return removed

    def replace(self, name: str, rtype: str, value: str | None) -> Record | None:
        """Set the one record of `rtype` at `name` (None withdraws it)."""
        self.remove(name, rtype.upper())
        return None if value is None else self.add(name, rtype, value)

    def set_unresponsive(self, name: str, unresponsive: bool = True) -> None:
        """Make queries for `name` go unanswered (a DNS timeout), or answered again."""
        owner = normalize_name(name)
        with self._lock:
            (self._unresponsive.add if unresponsive else self._unresponsive.discard)(owner)

    def is_unresponsive(self, name: str) -> bool:
        with self._lock:
            return normalize_name(name) in self._unresponsive

    def find(self, name: str, rtype: str) -> list[Record]:
        owner = normalize_name(name)
        with self._lock:
            return [r for r in self._records if r.name == owner and r.type == rtype.upper()]

    def names(self) -> set[str]:
        with self._lock:
            return {r.name for r in self._records}

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Call `listener()` after every change (the record editor redraws its verdicts)."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    def __iter__(self) -> Iterator[Record]:
        with self._lock:
            return iter(list(self._records))

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def __str__(self) -> str:
        return "\n".join(str(r) for r in sorted(self, key=lambda r: (r.name, r.type, r.value)))
