"""A bounce (MAIL FROM:<>) at the receiving MX: SPF checks the HELO identity (RFC 7208 §2.4)."""

from __future__ import annotations

import authres
import pytest

from smtplearn import Client
from smtplearn.world.world import OUTSIDE_ADDRESS, World

BOUNCE = b"From: alice@example.com\r\nTo: bob@example.org\r\nSubject: Undeliverable\r\n\r\nSorry\r\n"


def _parsed(header: str) -> dict[str, authres.AuthenticationResult]:
    unfolded = " ".join(line.strip() for line in header.splitlines())
    parsed = authres.AuthenticationResultsHeader.parse(
        unfolded if unfolded.startswith("Authentication-Results:") else f"Authentication-Results: {unfolded}"
    )
    return {result.method: result for result in parsed.results}


@pytest.mark.parametrize(
    ("helo", "ip", "spf"),
    [
        ("mail.example.com", "192.0.2.10", "none"),  # mail.example.com publishes no SPF record
        ("laptop.example", OUTSIDE_ADDRESS, "none"),
        ("[203.0.113.7]", OUTSIDE_ADDRESS, "none"),  # an address literal names no domain
    ],
)
def test_a_bounce_is_checked_against_the_helo_identity_and_says_so(
    world: World, helo: str, ip: str, spf: str
) -> None:
    """RFC 7208 §2.4: with a null reverse-path the MAIL FROM identity is postmaster@<HELO>.

    With an address literal in EHLO the header said smtp.mailfrom=postmaster@[203.0.113.7],
    which no Authentication-Results parser accepts (authres: "Syntax error").
    """
    verdicts = world.check(BOUNCE, ip=ip, mail_from="", helo=helo)
    assert verdicts.spf == spf
    results = _parsed(verdicts.header)
    assert results["spf"].result == spf and "postmaster@[" not in verdicts.header


def test_a_bounce_through_the_mx_carries_a_header_a_mail_reader_can_parse(world: World) -> None:
    mx = world.host("mx1.example.org").mx
    assert mx is not None
    world.zone.replace("_dmarc.example.com", "TXT", "v=DMARC1; p=none")
    with Client(*mx.address, local_hostname="[203.0.113.7]") as client:
        client.ehlo()
        client.mail("")
        client.rcpt("bob@example.org")
        step = client.data(BOUNCE)
        client.quit()
    assert step.reply is not None and step.reply.code == 250
    (delivered,) = world.inbox("bob@example.org")
    results = _parsed(delivered.message["Authentication-Results"])
    assert (results["spf"].result, results["dmarc"].result) == ("none", "fail")
