"""Which DMARC record applies, and to which From domain: RFC 7489 §6.6.1 and §6.6.3, in the world."""

from __future__ import annotations

import authres
import pytest

from smtplearn import Client
from smtplearn.world.authcheck import Verdicts
from smtplearn.world.world import OUTSIDE_ADDRESS, World

REJECT = "v=DMARC1; p=reject"


def _forge(world: World, message: bytes) -> int:
    """Send `message` straight to mx1 from the learner's laptop, as a forger does; the reply code."""
    mx = world.host("mx1.example.org").mx
    assert mx is not None
    with Client(*mx.address, local_hostname="laptop.example") as client:
        client.ehlo()
        client.mail("alice@example.com")
        client.rcpt("bob@example.org")
        step = client.data(message)
        client.quit()
    assert step.reply is not None
    return step.reply.code


def _check(world: World, message: bytes) -> Verdicts:
    verdicts = world.check(message, ip=OUTSIDE_ADDRESS, mail_from="alice@example.com", helo="laptop.example")
    unfolded = verdicts.header.replace("\r\n\t", " ").strip()
    parsed = authres.AuthenticationResultsHeader.parse(unfolded)  # as a mail reader would
    assert {r.method: r.result for r in parsed.results}["dmarc"] == verdicts.dmarc
    return verdicts


FORGED = b"From: alice@example.com\r\nTo: bob@example.org\r\nSubject: Urgent\r\n\r\nPay now\r\n"


@pytest.mark.parametrize("records", [(REJECT, "v=DMARC1; p=none"), ("v=DMARC1; p=none", REJECT)])
def test_two_dmarc_records_mean_no_dmarc_processing_whichever_comes_first(
    world: World, records: tuple[str, str]
) -> None:
    """RFC 7489 §6.6.3 step 5: "multiple records" end policy discovery; no DMARC processing.

    The world used whichever record the DNS listed first: p=reject then p=none refused the
    forgery, p=none then p=reject delivered it with DMARC=fail.
    """
    world.zone.replace("_dmarc.example.com", "TXT", records[0])
    world.zone.add("_dmarc.example.com", "TXT", records[1])
    verdicts = _check(world, FORGED)
    assert (verdicts.dmarc, verdicts.dmarc_policy, verdicts.rejected) == ("permerror", "none", False)
    assert "multiple DMARC records" in verdicts.header
    assert _forge(world, FORGED) == 250


@pytest.mark.parametrize("first", [True, False])
def test_a_txt_record_that_is_not_dmarc_is_set_aside(world: World, first: bool) -> None:
    """RFC 7489 §6.6.3 step 3: records not starting with "v=DMARC1" are discarded, the rest used.

    A site-verification token published beside the DMARC record made the world see no DMARC
    record at all (DMARC=none, the forgery delivered) when the DNS listed the token first.
    """
    token = "site-verification=4f1c"
    world.zone.replace("_dmarc.example.com", "TXT", token if first else REJECT)
    world.zone.add("_dmarc.example.com", "TXT", REJECT if first else token)
    verdicts = _check(world, FORGED)
    assert (verdicts.dmarc, verdicts.dmarc_policy, verdicts.rejected) == ("fail", "reject", True)
    assert _forge(world, FORGED) == 550


def test_only_other_txt_records_at_a_subdomain_send_the_receiver_to_the_organizational_domain(
    world: World,
) -> None:
    """RFC 7489 §6.6.3 step 4: with no DMARC record left, the organizational domain's applies."""
    world.zone.add("_dmarc.news.example.com", "TXT", "site-verification=4f1c")
    verdicts = _check(world, FORGED.replace(b"alice@example.com", b"alice@news.example.com"))
    assert (verdicts.dmarc, verdicts.dmarc_policy, verdicts.from_domain) == (
        "fail",
        "reject",
        "news.example.com",
    )


@pytest.mark.parametrize(
    "headers",
    [
        b"To: bob@example.org\r\nSubject: Urgent\r\n",  # no From field at all
        b"From: Alice <alice>\r\nTo: bob@example.org\r\nSubject: Urgent\r\n",  # no domain in it
        b"From: undisclosed-recipients:;\r\nTo: bob@example.org\r\nSubject: Urgent\r\n",
    ],
)
def test_a_from_without_a_domain_gives_dmarc_none_not_a_crash(world: World, headers: bytes) -> None:
    """RFC 7489 §11.2: "none" when "no aligned identifier could be extracted".

    A message without a From field made the check raise (authheaders' UnboundLocalError), so
    `world.check` failed and mx1 could not judge it; one without a domain got "permerror".
    """
    message = headers + b"\r\nPay now\r\n"
    verdicts = _check(world, message)
    assert (verdicts.dmarc, verdicts.dmarc_policy, verdicts.from_domain) == ("none", "", "")
    assert "no domain in From" in verdicts.header
    assert _forge(world, message) == 250


def test_a_dmarc_lookup_that_times_out_is_temperror_not_a_crash(world: World) -> None:
    """RFC 7489 §11.2: "temperror", "a later attempt might produce a final result".

    The timeout escaped `world.check` as an exception, and mx1's check with it.
    """
    world.zone.set_unresponsive("_dmarc.example.com")
    verdicts = _check(world, FORGED)
    assert (verdicts.dmarc, verdicts.rejected) == ("temperror", False)
    assert "timed out" in verdicts.header and verdicts.from_domain == "example.com"
