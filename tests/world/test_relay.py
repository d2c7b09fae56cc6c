"""Relaying through the world: MX order and fallback, the queue's retries, Received headers, bounces."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest

from smtplearn.server import Disconnect, Greylist, TemporaryFailure
from smtplearn.world.relay import Relay
from smtplearn.world.world import OUTSIDE_ADDRESS, World


def test_a_message_crosses_the_world_with_a_trace_header_per_hop(world: World) -> None:
    journey = world.send("alice@example.com", "bob@example.org", "Hello", "Hi Bob")
    world.settle()
    assert journey.outcome("bob@example.org") == "delivered"
    (delivered,) = world.inbox("bob@example.org")
    received = delivered.message.get_all("Received")
    # Newest on top (RFC 5321 §4.4): read bottom-up, the laptop, then mail.example.com.
    assert "from mail.example.com (mail.example.com [192.0.2.10])" in received[0]
    assert "by mx1.example.org" in received[0]
    # The laptop's address has no PTR record: "unknown", as real servers write it.
    assert "from laptop.example (unknown [203.0.113.7])" in received[1]
    assert "by mail.example.com with ESMTPSA" in received[1] and f"[{OUTSIDE_ADDRESS}]" in received[1]
    assert delivered.message["Return-Path"] == "<alice@example.com>"
    # Every hop has its SMTP transcript: the relay's session with mx1 ended in 250.
    (attempt,) = journey.attempts
    assert attempt.transcript is not None and attempt.transcript[-2].reply.code == 250
    assert [q.type for h in journey.hops for q in h.queries] == ["MX", "A"]


def test_submission_needs_authentication(world: World) -> None:
    from smtplearn import Client

    server = world.host("mail.example.com").submission
    assert server is not None
    with Client(*server.address, tls_context=server.client_tls_context()) as client:
        client.ehlo()
        client.starttls()
        client.ehlo()
        step = client.mail("alice@example.com")
    # RFC 6409 §4.3: a submission server refuses MAIL until the client has authenticated.
    assert step.reply is not None and (step.reply.code, step.reply.enhanced_code) == (530, "5.7.0")
    assert len(world.queue) == 0


def test_when_the_first_mx_is_down_the_second_takes_the_mail(world: World) -> None:
    world.host("mx1.example.org").take_down()
    journey = world.send("alice@example.com", "bob@example.org", "Fallback", "via mx2")
    world.settle()
    refused, accepted = journey.attempts
    assert "mx1.example.org: connection refused" in refused.summary
    assert "mx2.example.org: 250" in accepted.summary
    assert world.inbox("bob@example.org")[0].host == "mx2.example.org"


def test_an_mx_that_refuses_at_the_greeting_is_passed_over_for_the_next(world: World) -> None:
    # A 421 greeting (RFC 5321 §3.8: the server is closing) is no session: the relay tries the
    # next MX, as with a refused connection. It crashed the relay and lost the message.
    world.host("mx1.example.org").inject(TemporaryFailure("CONNECT"))
    journey = world.send("alice@example.com", "bob@example.org", "Busy", "try mx2")
    world.settle()
    refused, accepted = journey.attempts
    assert "mx1.example.org: 421 4.3.2 Service not available" in refused.summary
    assert "connection refused" not in refused.summary
    assert "mx2.example.org: 250" in accepted.summary
    assert [m.host for m in world.inbox("bob@example.org")] == ["mx2.example.org"]


def test_when_every_mx_refuses_at_the_greeting_the_message_waits_for_a_retry(world: World) -> None:
    for name in ("mx1.example.org", "mx2.example.org"):
        world.host(name).inject(TemporaryFailure("CONNECT", times=1))
    journey = world.send("alice@example.com", "bob@example.org", "Busy", "later")
    world.settle()
    assert journey.outcome("bob@example.org") == "deferred"
    assert "421 4.3.2" in journey.hops[-1].summary
    world.advance(minutes=5)
    assert journey.outcome("bob@example.org") == "delivered"
    assert len(world.inbox("bob@example.org")) == 1


def test_a_421_in_the_middle_of_a_session_defers_the_message(world: World) -> None:
    # 421 closes the session (RFC 5321 §3.8): the relay must not say QUIT into it (that raised
    # and lost the message); it waits for a retry like any 4xx.
    world.host("mx1.example.org").inject(TemporaryFailure("RCPT", code=421, times=1))
    journey = world.send("alice@example.com", "bob@example.org", "Later", "after a 421")
    world.settle()
    assert journey.outcome("bob@example.org") == "deferred"
    assert "mx1.example.org: 421 4.3.2" in journey.attempts[0].summary
    world.advance(minutes=5)
    assert journey.outcome("bob@example.org") == "delivered"


def test_a_421_to_ehlo_defers_the_message_with_the_reply(world: World) -> None:
    # The relay went on to MAIL in a closed session, and its journey blamed a bug.
    world.host("mx1.example.org").inject(TemporaryFailure("EHLO", code=421, times=1))
    journey = world.send("alice@example.com", "bob@example.org", "Later", "after a 421")
    world.settle()
    assert journey.outcome("bob@example.org") == "deferred"
    assert "mx1.example.org: 421 4.3.2" in journey.attempts[0].summary
    assert "bug" not in journey.hops[-1].summary


def test_a_connection_lost_after_the_message_was_accepted_delivers_it_once(world: World) -> None:
    # 250 after the final dot means the MX has taken the message (RFC 5321 §4.1.1.4, §6.1):
    # a QUIT that goes unanswered must not make the relay send it again.
    world.host("mx1.example.org").inject(Disconnect("QUIT"))
    journey = world.send("alice@example.com", "bob@example.org", "Once", "only once")
    world.settle()
    assert journey.outcome("bob@example.org") == "delivered"
    world.advance(minutes=5)
    assert [m.subject for m in world.inbox("bob@example.org")] == ["Once"]
    assert len(journey.attempts) == 1


def test_a_bug_in_the_relay_keeps_the_message_and_says_so(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(Relay, "_attempt", broken)
    journey = world.send("alice@example.com", "bob@example.org", "Kept", "not lost")
    world.settle()
    assert journey.outcome("bob@example.org") == "deferred"
    assert "RuntimeError: a bug" in journey.hops[-1].summary
    assert "a bug in smtplearn" in journey.hops[-1].summary
    monkeypatch.undo()
    world.advance(minutes=5)
    assert journey.outcome("bob@example.org") == "delivered"


def test_greylisting_defers_and_the_retry_on_schedule_delivers(world: World) -> None:
    for name in ("mx1.example.org", "mx2.example.org"):
        mx = world.host(name).mx
        assert mx is not None
        mx.inject(Greylist())
    journey = world.send("alice@example.com", "bob@example.org", "Greylisted", "later")
    world.settle()
    assert journey.outcome("bob@example.org") == "deferred"
    assert "451 4.7.1" in journey.attempts[0].summary
    assert world.inbox("bob@example.org") == []
    world.advance(seconds=299)  # not yet due
    assert len(journey.attempts) == 1
    world.advance(seconds=1)
    assert journey.outcome("bob@example.org") == "delivered"


def test_the_queue_gives_up_after_its_schedule_and_bounces(world: World) -> None:
    for name in ("mx1.example.org", "mx2.example.org"):
        mx = world.host(name).mx
        assert mx is not None
        mx.inject(TemporaryFailure("RCPT"))
    journey = world.send("alice@example.com", "carol@example.org", "Doomed", "never arrives")
    world.settle()
    world.advance(minutes=5)
    world.advance(minutes=15)
    assert journey.outcome("carol@example.org") == "bounced"
    assert len(journey.attempts_for("carol@example.org")) == 3
    (bounce,) = world.inbox("alice@example.com")
    assert "4.4.7" in bounce.raw.decode()


def test_an_unknown_recipient_bounces_as_a_dsn_from_the_null_sender(world: World) -> None:
    journey = world.send("alice@example.com", "nobody@example.org", "Lost", "who?")
    world.settle()
    assert journey.outcome("nobody@example.org") == "bounced"
    (bounce,) = world.inbox("alice@example.com")
    assert bounce.is_bounce and bounce.mail_from == ""
    report = BytesParser(policy=policy.default).parsebytes(bounce.raw)
    assert report.get_content_type() == "multipart/report"
    assert report.get_param("report-type") == "delivery-status"
    human, status, headers = report.get_payload()
    assert "nobody@example.org" in human.get_content()
    assert status.get_content_type() == "message/delivery-status"
    per_message, per_recipient = status.get_payload()
    assert per_message["Reporting-MTA"] == "dns; mail.example.com"
    assert per_recipient["Final-Recipient"] == "rfc822; nobody@example.org"
    assert per_recipient["Action"] == "failed"
    assert per_recipient["Status"] == "5.1.1"
    assert per_recipient["Diagnostic-Code"].startswith("smtp; 550 5.1.1")
    assert headers.get_content_type() == "text/rfc822-headers"
    assert "Subject: Lost" in headers.get_payload()


@pytest.mark.parametrize(
    ("setup", "status"),
    [
        (lambda w: w.zone.add("nowhere.example", "MX", "10 ghost.nowhere.example"), "5.4.4"),
        (lambda w: None, "5.1.2"),
    ],
    ids=["mx-pointing-nowhere", "no-mx-no-a"],
)
def test_undeliverable_destinations_bounce_at_once(world: World, setup: object, status: str) -> None:
    setup(world)  # type: ignore[operator]
    journey = world.send("alice@example.com", "someone@nowhere.example", "Nowhere", "x")
    world.settle()
    assert journey.outcome("someone@nowhere.example") == "bounced"
    assert f"Status: {status}" in world.inbox("alice@example.com")[0].raw.decode()


def test_a_dns_timeout_defers_rather_than_bounces(world: World) -> None:
    world.zone.set_unresponsive("example.org")
    journey = world.send("alice@example.com", "bob@example.org", "Slow DNS", "x")
    world.settle()
    assert journey.outcome("bob@example.org") == "deferred"
    assert "4.4.3" in journey.hops[-1].summary
    world.zone.set_unresponsive("example.org", False)
    world.advance(minutes=5)
    assert journey.outcome("bob@example.org") == "delivered"


def test_a_bounce_is_never_bounced(world: World) -> None:
    world.remove_mailbox("alice@example.com")
    journey = world.send("alice@example.com", "nobody@example.org", "Lost", "x")
    world.settle()
    bounces = [h for h in journey.hops if h.kind == "bounced"]
    assert [h.recipient for h in bounces] == ["nobody@example.org", "alice@example.com"]
    assert len(world.queue) == 0


def test_clearing_a_hosts_faults_keeps_its_own_rules(world: World) -> None:
    mx1 = world.host("mx1.example.org")
    mx1.inject(Greylist())
    mx1.take_down()
    mx1.bring_up()
    mx1.clear_faults()
    journey = world.send("alice@example.com", "nobody@example.org", "Still unknown", "x")
    world.settle()
    assert journey.outcome("nobody@example.org") == "bounced"
    assert world.inbox("bob@example.org") == []


def test_a_forwarding_loop_ends_in_a_bounce(world: World) -> None:
    world.max_received = 6
    forwarder = world.host("relay.example.net")
    forwarder.forwards["loop@example.net"] = "loop@example.net"
    journey = world.send("alice@example.com", "loop@example.net", "Round and round", "x")
    world.settle()
    assert journey.outcome("loop@example.net") == "bounced"
    assert "5.4.6" in next(h for h in journey.hops if h.kind == "bounced").summary
    assert "5.4.6" in world.inbox("alice@example.com")[0].raw.decode()


def test_the_queue_never_misses_a_change_made_just_before_it_waits() -> None:
    from smtplearn.world.queue import Queue

    queue = Queue()
    seen = queue.version
    queue.wake()  # between reading the version and waiting: the wait must return at once
    queue.wait_for_change(seen, timeout=None)
    assert queue.version != seen
