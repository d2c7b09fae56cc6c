"""The world's DNS: dnslib serving a declared zone, dnspython asking it, every query recorded."""

from __future__ import annotations

from typing import Any

import dns.message
import dns.query
import pytest

from smtplearn.world.resolver import DnsLookupError, WorldResolver
from smtplearn.world.zone import Zone, split_txt


def test_answers_each_record_type_with_its_rfc_section(zone: Zone, resolver: WorldResolver) -> None:
    zone.add("example.org", "A", "192.0.2.20")
    zone.add("example.org", "MX", "20 mx2.example.org")
    zone.add("example.org", "MX", "10 mx1.example.org")
    zone.add("20.2.0.192.in-addr.arpa", "PTR", "mx1.example.org")
    zone.add("www.example.org", "CNAME", "example.org")
    mx = resolver.lookup("example.org", "MX")
    assert sorted(mx.answers) == ["10 mx1.example.org", "20 mx2.example.org"]
    assert mx.rfc == "RFC 1035 §3.3.9; RFC 5321 §5.1"
    assert resolver.lookup("Example.ORG.", "A").answers == ("192.0.2.20",)
    assert resolver.lookup("20.2.0.192.in-addr.arpa", "PTR").answers == ("mx1.example.org",)
    alias = resolver.lookup("www.example.org", "A")
    assert alias.answers == ("192.0.2.20",) and alias.chain == ("www.example.org → example.org",)
    assert [q.name for q in resolver.log] == ["example.org"] * 2 + [
        "20.2.0.192.in-addr.arpa",
        "www.example.org",
    ]


def test_long_txt_is_published_as_strings_of_at_most_255_octets(zone: Zone, resolver: WorldResolver) -> None:
    key = "v=DKIM1; k=rsa; p=" + "M" * 600
    zone.add("s1._domainkey.example.com", "TXT", key)
    assert [len(s) for s in split_txt(key)] == [255, 255, 108]
    # On the wire: one TXT record holding three strings (read with dnspython directly).
    wire = dns.query.udp(
        dns.message.make_query("s1._domainkey.example.com", "TXT"),
        "127.0.0.1",
        port=resolver._resolver.port,
        timeout=2,
    )
    (rdata,) = wire.answer[0]
    assert [len(s) for s in rdata.strings] == [255, 255, 108]
    assert resolver.txt("s1._domainkey.example.com").answers == (key,)


def test_mx_preference_order_and_fallback_to_the_address_record(zone: Zone, resolver: WorldResolver) -> None:
    zone.add("example.org", "MX", "20 backup.example.org")
    zone.add("example.org", "MX", "10 mx1.example.org")
    assert resolver.mail_exchangers("example.org")[0] == [(10, "mx1.example.org"), (20, "backup.example.org")]
    zone.add("example.net", "A", "192.0.2.30")
    hosts, queries = resolver.mail_exchangers("example.net")
    assert hosts == [(0, "example.net")]
    assert [(q.type, q.status) for q in queries] == [("MX", "NODATA"), ("A", "NOERROR")]
    assert resolver.mail_exchangers("nowhere.example")[0] == []


def test_bad_input_gives_a_status_not_a_hang(zone: Zone, resolver: WorldResolver) -> None:
    zone.add("a.example.com", "CNAME", "b.example.com")
    zone.add("b.example.com", "CNAME", "a.example.com")
    assert resolver.lookup("a.example.com", "A").status == "LOOP"
    zone.add("slow.example.com", "A", "192.0.2.99")
    zone.set_unresponsive("slow.example.com")
    assert resolver.lookup("slow.example.com", "A").status == "TIMEOUT"
    with pytest.raises(DnsLookupError, match="TIMEOUT"):
        resolver.mail_exchangers("slow.example.com")
    assert resolver.lookup("missing.example.com", "TXT").status == "NXDOMAIN"


@pytest.mark.parametrize(
    ("rtype", "value", "hint"),
    [
        ("A", "192.0.2.300", "IPv4"),
        ("MX", "mx1.example.org", "preference"),
        ("AAAA", "::1", "serves"),
        ("TXT", ..., "is text"),  # a student edition's unanswered `record = ...`
    ],
)
def test_malformed_records_are_refused_with_the_reason(zone: Zone, rtype: str, value: Any, hint: str) -> None:
    with pytest.raises(ValueError, match=hint):
        zone.add("example.org", rtype, value)


def test_a_cname_stands_alone(zone: Zone) -> None:
    zone.add("example.org", "A", "192.0.2.1")
    with pytest.raises(ValueError, match="RFC 1034"):
        zone.add("example.org", "CNAME", "other.example")


def test_the_dns_module_is_dnspythons() -> None:
    # Two distributions install a top-level `dns`; pyspf and dkimpy need dnspython's.
    from importlib.metadata import files

    import dns

    shipped = {str(f) for f in files("dnspython") or ()}
    assert "dns/__init__.py" in shipped
    assert dns.__file__ is not None and dns.__file__.replace("\\", "/").endswith("dns/__init__.py")
