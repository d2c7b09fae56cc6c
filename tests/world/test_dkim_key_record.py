"""How the receiving MX reads a DKIM key record (RFC 6376 §3.6.1, §6.1.2), in the world."""

from __future__ import annotations

import authres
import pytest

from smtplearn.world.dkim_key import reason_to_ignore
from smtplearn.world.world import World

SIGNED_WITH = b"rsa-sha256"  # what DkimKey.sign uses (dkimpy's default)


@pytest.mark.parametrize(
    ("h_tag", "verdict"),
    [
        ("", "pass"),  # no h=: every algorithm allowed
        ("h=sha256; ", "pass"),
        ("h=sha1:sha256; ", "pass"),
        ("h=sha1 : sha256; ", "pass"),  # FWS around ":" (the key-h-tag ABNF)
        ("h=sha1; ", "fail"),
        ("h=sha512; ", "fail"),  # unrecognized algorithms are ignored: nothing is left
    ],
)
def test_a_key_restricted_to_other_hash_algorithms_is_not_used(
    world: World, h_tag: str, verdict: str
) -> None:
    """RFC 6376 §6.1.2 step 6: a key whose h= leaves out the signature's hash is ignored: PERMFAIL.

    dkimpy does not read h=: a key published for sha1 only verified an rsa-sha256 signature.
    """
    key = world.host("mail.example.com").dkim
    assert key is not None
    world.zone.replace(key.record_name, "TXT", f"v=DKIM1; k=rsa; {h_tag}p={key.public_key_base64}")
    signed = key.sign(b"From: alice@example.com\r\nTo: bob@example.org\r\nSubject: x\r\n\r\nx\r\n")
    assert b"a=" + SIGNED_WITH in signed
    verdicts = world.check(signed, ip="203.0.113.7", mail_from="alice@example.com", helo="laptop.example")
    assert verdicts.dkim == verdict
    # The forgery check (SPF fails from 203.0.113.7) leaves DKIM alone to carry DMARC.
    assert verdicts.dmarc == verdict
    if verdict == "fail":
        assert "RFC 6376 section 6.1.2" in verdicts.header
    parsed = authres.AuthenticationResultsHeader.parse(verdicts.header.replace("\r\n\t", " ").strip())
    assert {r.method: r.result for r in parsed.results}["dkim"] == verdict


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (b"v=DKIM1; p=AAAA", None),
        (b"v=DKIM1; h=sha256; p=AAAA", None),
        (b"v=DKIM1; h=SHA256; p=AAAA", "h=SHA256"),  # tag values are case-sensitive (RFC 6376 §3.2)
        (b"v=DKIM1; h=sha1; p=AAAA", "h=sha1"),
        (b"not a tag list", None),  # left to dkimpy, which reports a syntax error
        (b"v=DKIM1; h=(sha1\\); p=AAAA", "h=?sha1??"),  # a comment holds no parentheses
    ],
)
def test_reason_to_ignore_names_the_h_tag(record: bytes, reason: str | None) -> None:
    found = reason_to_ignore(record, SIGNED_WITH)
    assert found == reason if reason is None else (found is not None and reason in found)


def test_a_list_signature_on_top_does_not_hide_the_authors_signature(world: World) -> None:
    """RFC 6376 §6.1: "Verifiers MUST NOT attribute ultimate meaning to the order of multiple
    DKIM-Signature header fields"; DMARC passes when at least one aligned identifier passes
    (RFC 7489 §4.2).

    Only the topmost signature was verified: a mailing list that signs what it relays (as
    lists do) made example.com's own valid signature invisible, and p=reject refused the mail.
    """
    from smtplearn.world.authcheck import DkimKey

    author = world.host("mail.example.com").dkim
    assert author is not None
    mailing_list = DkimKey("example.net", selector="list", bits=1024)
    world.zone.add(mailing_list.record_name, "TXT", mailing_list.record_value)
    message = b"From: alice@example.com\r\nTo: bob@example.org\r\nSubject: x\r\n\r\nx\r\n"
    relayed = mailing_list.sign(author.sign(message))
    verdicts = world.check(relayed, ip="192.0.2.30", mail_from="list@example.net", helo="relay.example.net")
    assert (verdicts.spf, verdicts.dmarc, verdicts.rejected) == ("pass", "pass", False)
    parsed = authres.AuthenticationResultsHeader.parse(verdicts.header.replace("\r\n\t", " ").strip())
    assert sorted((r.result, r.header_d) for r in parsed.results if r.method == "dkim") == [
        ("pass", "example.com"),
        ("pass", "example.net"),
    ]


@pytest.mark.parametrize(
    ("flags", "dmarc"),
    [
        ("t=y; ", "fail"),
        ("t=s:y; ", "fail"),
        ("t=s; ", "pass"),
        ("t=Y; ", "pass"),  # flags are case-sensitive (RFC 6376 §3.2): an unknown flag, ignored
    ],
)
def test_a_key_in_testing_mode_authenticates_nothing(world: World, flags: str, dmarc: str) -> None:
    """RFC 6376 §3.6.1, t=y: "Verifiers MUST NOT treat messages from Signers in testing mode
    differently from unsigned email". The signature's result is still reported (a signer in
    testing mode wants to know it verifies), but DMARC does not count it.

    A t=y key let a signed message pass DMARC from an address SPF refuses.
    """
    key = world.host("mail.example.com").dkim
    assert key is not None
    world.zone.replace(key.record_name, "TXT", f"v=DKIM1; k=rsa; {flags}p={key.public_key_base64}")
    signed = key.sign(b"From: alice@example.com\r\nTo: bob@example.org\r\nSubject: x\r\n\r\nx\r\n")
    verdicts = world.check(signed, ip="203.0.113.7", mail_from="alice@example.com", helo="laptop.example")
    assert (verdicts.spf, verdicts.dkim, verdicts.dmarc) == ("fail", "pass", dmarc)
    assert ("testing mode" in verdicts.header) == (dmarc == "fail")
    parsed = authres.AuthenticationResultsHeader.parse(verdicts.header.replace("\r\n\t", " ").strip())
    assert {r.method: r.result for r in parsed.results} == {"spf": "fail", "dkim": "pass", "dmarc": dmarc}
