"""SPF, DKIM and DMARC in the world: the receiving MX decides with pyspf, dkimpy and authheaders."""

from __future__ import annotations

import authres
import dkim
import pytest

from smtplearn import Client
from smtplearn.server import DebugServer, Fault, ReceivedMessage
from smtplearn.world.authcheck import DkimKey, check_message
from smtplearn.world.dmarc_policy import enacted_policy, sampling_percentage
from smtplearn.world.world import World


def _forge(world: World, from_header: str, mail_from: str, *, to: str = "bob@example.org") -> tuple[int, str]:
    """Connect straight to mx1 from the learner's laptop, as a forger does."""
    mx = world.host("mx1.example.org").mx
    assert mx is not None
    message = (
        f"From: {from_header}\r\nTo: {to}\r\nSubject: Urgent\r\n"
        "Message-ID: <f1@laptop.example>\r\n\r\nPay now\r\n"
    )
    with Client(*mx.address, local_hostname="laptop.example") as client:
        client.ehlo()
        client.mail(mail_from)
        client.rcpt(to)
        step = client.data(message.encode())
        client.quit()
    assert step.reply is not None
    return step.reply.code, step.reply.text


def test_mail_from_the_real_sender_passes_all_three(world: World) -> None:
    world.send("alice@example.com", "bob@example.org", "Hello", "Hi")
    world.settle()
    (delivered,) = world.inbox("bob@example.org")
    assert delivered.verdicts is not None
    assert (delivered.verdicts.spf, delivered.verdicts.dkim, delivered.verdicts.dmarc) == (
        "pass",
        "pass",
        "pass",
    )
    # The Authentication-Results header parses with authres (RFC 8601), as a mail reader would.
    header = delivered.message["Authentication-Results"]
    parsed = authres.AuthenticationResultsHeader.parse(f"Authentication-Results: {header}")
    assert parsed.authserv_id == "mx1.example.org"
    assert {r.method: r.result for r in parsed.results} == {"spf": "pass", "dkim": "pass", "dmarc": "pass"}


def test_a_forged_from_fails_dmarc_and_p_reject_refuses_it_at_the_end_of_data(world: World) -> None:
    code, text = _forge(world, "Alice <alice@example.com>", "alice@example.com")
    assert code == 550 and text.startswith("5.7.1")
    assert world.inbox("bob@example.org") == []
    queried = {q.name for q in world.resolver.log}
    assert {"example.com", "_dmarc.example.com"} <= queried


def test_with_p_none_the_forgery_is_delivered_with_its_verdicts(world: World) -> None:
    world.zone.replace("_dmarc.example.com", "TXT", "v=DMARC1; p=none")
    code, _ = _forge(world, "alice@example.com", "alice@example.com")
    assert code == 250
    (delivered,) = world.inbox("bob@example.org")
    assert delivered.verdicts is not None
    assert (delivered.verdicts.spf, delivered.verdicts.dkim, delivered.verdicts.dmarc) == (
        "fail",
        "none",
        "fail",
    )
    assert "dmarc=fail" in delivered.raw.decode()


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        # RFC 7489 §6.6.3 step 6: no valid "p" (or an invalid "sp") and no valid reporting
        # URI: no DMARC processing, a permanent error (§11.2), and the forgery is delivered.
        ("v=DMARC1; p=bogus", ("permerror", "none")),
        ("v=DMARC1; p=reject; sp=bogus", ("permerror", "none")),
        ("v=DMARC1; sp=reject", ("permerror", "none")),
        ("v=DMARC1; p=rejct; rua=not a uri", ("permerror", "none")),
        # ... with one, the record counts as p=none: DMARC still fails, and reports would go out.
        ("v=DMARC1; p=rejct; rua=mailto:dmarc@example.com", ("fail", "none")),
        ("v=DMARC1; p=rejct; rua=typo, mailto:dmarc@example.com!10m", ("fail", "none")),
        ("v=DMARC1; rua=mailto:dmarc@example.com", ("fail", "none")),
        # "sp" is for subdomains (§6.3): the record's own domain gets "p".
        ("v=DMARC1; p=quarantine; sp=none", ("fail", "quarantine")),
        # ABNF strings ignore case.
        ("v=DMARC1; p=Quarantine", ("fail", "quarantine")),
        # pct=0: the policy is enacted on no message; the rest get one step less (§6.6.4).
        ("v=DMARC1; p=reject; pct=0", ("fail", "quarantine")),
        ("v=DMARC1; p=quarantine; pct=0", ("fail", "none")),
    ],
)
def test_the_policy_is_read_as_rfc_7489_says(world: World, record: str, expected: tuple[str, str]) -> None:
    world.zone.replace("_dmarc.example.com", "TXT", record)
    code, _ = _forge(world, "alice@example.com", "alice@example.com")
    assert code == 250
    (delivered,) = world.inbox("bob@example.org")
    assert delivered.verdicts is not None and not delivered.verdicts.rejected
    assert (delivered.verdicts.dmarc, delivered.verdicts.dmarc_policy) == expected
    header = delivered.message["Authentication-Results"]
    parsed = authres.AuthenticationResultsHeader.parse(f"Authentication-Results: {header}")
    assert {r.method: r.result for r in parsed.results}["dmarc"] == expected[0]


@pytest.mark.parametrize(
    ("from_domain", "record", "code"),
    [
        ("example.com", "v=DMARC1; p=REJECT", 550),
        ("example.com", "v=DMARC1; p=reject; pct=100", 550),
        ("example.com", "v=DMARC1; p=reject; pct=0", 250),
        ("example.com", "v=DMARC1; p=reject; pct=101", 550),  # malformed: ignored
        # The domain itself gets "p" (authheaders applied "sp": this forgery was delivered)...
        ("example.com", "v=DMARC1; p=reject; sp=none", 550),
        # ... and its subdomains get "sp", whatever "p" says.
        ("news.example.com", "v=DMARC1; p=none; sp=reject", 550),
        ("news.example.com", "v=DMARC1; p=reject; sp=none", 250),
    ],
)
def test_sp_is_the_policy_for_subdomains_only(world: World, from_domain: str, record: str, code: int) -> None:
    world.zone.replace("_dmarc.example.com", "TXT", record)
    assert _forge(world, f"alice@{from_domain}", "alice@example.com")[0] == code


@pytest.mark.parametrize(
    ("record", "verdict"),
    [
        ("v=spf1 ip4:203.0.113.0/24 -all", "pass"),
        ("v=spf1 ip4:192.0.2.10 ~all", "softfail"),
        ("v=spf1 ip4:192.0.2.10 -all", "fail"),
        ("v=spf1 ip4:192.0.2.10 ?all", "neutral"),
        ("v=spf1 ip4:999.0.2.10 -all", "permerror"),  # a malformed record
        (None, "none"),
    ],
)
def test_spf_verdicts_follow_the_published_record(world: World, record: str | None, verdict: str) -> None:
    world.zone.replace("example.com", "TXT", record)
    world.zone.replace("_dmarc.example.com", "TXT", None)
    _forge(world, "alice@example.com", "alice@example.com")
    (delivered,) = world.inbox("bob@example.org")
    assert delivered.verdicts is not None and delivered.verdicts.spf == verdict


def test_spf_timeout_is_temperror_not_a_hang(world: World) -> None:
    world.zone.set_unresponsive("example.com")
    world.zone.replace("_dmarc.example.com", "TXT", None)
    _forge(world, "alice@example.com", "alice@example.com")
    (delivered,) = world.inbox("bob@example.org")
    assert delivered.verdicts is not None and delivered.verdicts.spf == "temperror"


def test_changing_a_signed_header_breaks_the_dkim_signature(world: World) -> None:
    key = world.host("mail.example.com").dkim
    assert key is not None
    signed = key.sign(b"From: alice@example.com\r\nTo: bob@example.org\r\nSubject: Lunch\r\n\r\nAt noon\r\n")
    tampered = signed.replace(b"Subject: Lunch", b"Subject: Pay now")
    resolver = world.resolver
    verdicts = [
        check_message(
            resolver,
            raw=raw,
            ip="192.0.2.10",
            mail_from="alice@example.com",
            helo="mail.example.com",
            authserv_id="test",
        ).dkim
        for raw in (signed, tampered)
    ]
    assert verdicts == ["pass", "fail"]


def test_the_published_key_is_split_and_verifies_with_dkimpy_directly(world: World) -> None:
    key = world.host("mail.example.com").dkim
    assert key is not None
    published = world.resolver.txt(key.record_name)
    assert published.answers == (key.record_value,) and len(key.record_value) > 255
    signed = key.sign(b"From: alice@example.com\r\nSubject: x\r\n\r\nbody\r\n")
    assert dkim.verify(signed, dnsfunc=lambda name, timeout=5: key.record_value.encode())


def test_forwarding_breaks_spf_but_dkim_keeps_dmarc_passing(world: World) -> None:
    journey = world.send("alice@example.com", "bob@example.net", "Via my alumni address", "Hi")
    world.settle()
    kinds = [h.kind for h in journey.hops if h.kind != "dns"]
    assert kinds == ["submitted", "attempt", "delivered", "forwarded", "attempt", "delivered"]
    (delivered,) = world.inbox("bob@example.org")
    assert delivered.verdicts is not None
    # The forwarder (192.0.2.30) is not in example.com's SPF record; the signature survives.
    assert (delivered.verdicts.spf, delivered.verdicts.dkim, delivered.verdicts.dmarc) == (
        "fail",
        "pass",
        "pass",
    )


def test_the_private_key_is_never_shown(world: World) -> None:
    key = world.host("mail.example.com").dkim
    assert key is not None
    shown = repr(key) + str(world) + repr(world.host("mail.example.com")) + str(world.zone)
    assert "PRIVATE" not in shown and "hidden" in repr(key)
    assert key.bits >= 1024
    assert DkimKey("example.com", bits=1024).bits == 1024


def test_a_fault_can_refuse_the_whole_message_at_the_end_of_data() -> None:
    class RefuseUrgent(Fault):
        def at_message(self, message: ReceivedMessage) -> str | None:
            return "550 5.7.1 no urgency here" if message.subject == "Urgent" else None

    with DebugServer(tls=False, faults=[RefuseUrgent()]) as server, Client(*server.address) as client:
        client.ehlo()
        client.mail("a@example.com")
        client.rcpt("b@example.org")
        refused = client.data(b"Subject: Urgent\r\n\r\nx\r\n")
        client.mail("a@example.com")
        client.rcpt("b@example.org")
        accepted = client.data(b"Subject: Calm\r\n\r\nx\r\n")
    assert refused.reply is not None and refused.reply.code == 550
    assert accepted.reply is not None and accepted.reply.code == 250
    assert [m.subject for m in server.mailbox] == ["Calm"]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("_dmarc.example.com", "garbage;;;=", ("pass", "pass", "none")),  # no v=DMARC1: no policy
        ("_dmarc.example.com", "p=reject", ("pass", "pass", "none")),  # v= must come first
        ("s1._domainkey.example.com", "v=DKIM1; k=rsa; p=notbase64!!", ("pass", "fail", "pass")),
        ("s1._domainkey.example.com", "v=DKIM1; k=rsa; p=" + "A" * 300, ("pass", "fail", "pass")),
    ],
)
def test_malformed_records_give_a_verdict_not_an_error(
    world: World, name: str, value: str, expected: tuple[str, str, str]
) -> None:
    key = world.host("mail.example.com").dkim
    assert key is not None
    signed = key.sign(b"From: alice@example.com\r\nTo: bob@example.org\r\nSubject: x\r\n\r\nx\r\n")
    world.zone.replace(name, "TXT", value)
    verdicts = world.check(signed, ip="192.0.2.10", mail_from="alice@example.com", helo="mail.example.com")
    assert (verdicts.spf, verdicts.dkim, verdicts.dmarc) == expected


def test_p_quarantine_delivers_what_p_reject_refuses(world: World) -> None:
    world.zone.replace("_dmarc.example.com", "TXT", "v=DMARC1; p=quarantine")
    code, _ = _forge(world, "alice@example.com", "alice@example.com")
    assert code == 250
    (delivered,) = world.inbox("bob@example.org")
    assert delivered.verdicts is not None and not delivered.verdicts.rejected
    assert (delivered.verdicts.dmarc, delivered.verdicts.dmarc_policy) == ("fail", "quarantine")


@pytest.mark.parametrize(
    ("policy", "percentage", "draw", "enacted"),
    [
        ("reject", 50, 0.49, "reject"),
        ("reject", 50, 0.50, "quarantine"),
        ("quarantine", 50, 0.50, "none"),
        ("none", 0, 0.99, "none"),
        ("reject", 100, 0.999, "reject"),
        ("reject", 0, 0.0, "quarantine"),
    ],
)
def test_pct_enacts_the_policy_on_that_share_of_failing_messages(
    policy: str, percentage: int, draw: float, enacted: str
) -> None:
    assert enacted_policy(policy, percentage, draw) == enacted


@pytest.mark.parametrize(
    ("record", "percentage"),
    [
        ("v=DMARC1; p=reject", 100),
        ("v=DMARC1; p=reject; pct=0", 0),
        ("v=DMARC1; p=reject; pct=050", 50),
        ("v=DMARC1; p=reject; pct=101", 100),
        ("v=DMARC1; p=reject; pct=-5", 100),
        ("v=DMARC1; p=reject; pct=1000", 100),
        ("v=DMARC1; p=reject; pct=fifty", 100),
    ],
)
def test_a_malformed_pct_is_ignored(record: str, percentage: int) -> None:
    assert sampling_percentage(record) == percentage
