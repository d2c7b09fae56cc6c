"""The checks of lessons 08 and 09: a prompt while unanswered, a hint (never the answer) when wrong."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from smtplearn.exercises import CheckResult
from smtplearn.exercises.journey import (
    check_bounce_status,
    check_first_mx,
    check_spf_record,
    check_survivor,
    check_trace,
    check_verdicts,
    received_path,
)
from smtplearn.world import DeliveredMessage, World, lesson_world


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    built = lesson_world()
    built.send("alice@example.com", "bob@example.org", "Hello", "Hi")
    built.send("alice@example.com", "nobody@example.org", "Lost", "x")
    built.send("alice@example.com", "bob@example.net", "Forwarded", "x")
    built.settle()
    yield built
    built.stop()


def _inbox(world: World, address: str, subject: str) -> DeliveredMessage:
    return next(m for m in world.inbox(address) if subject in m.subject)


def _judge(result: CheckResult, answer: str) -> None:
    assert not result.passed and not result.unanswered
    assert answer not in result.hint, f"the hint gives the answer away: {result.hint}"
    assert result.hint


def test_first_mx(world: World) -> None:
    assert check_first_mx(world, "example.org", ...).unanswered
    _judge(check_first_mx(world, "example.org", "mx2.example.org"), "mx1")
    assert check_first_mx(world, "example.org", "mx1.example.org").passed


def test_bounce_status(world: World) -> None:
    bounce = _inbox(world, "alice@example.com", "Undelivered")
    assert check_bounce_status(bounce, ...).unanswered
    _judge(check_bounce_status(bounce, "550"), "5.1.1")
    _judge(check_bounce_status(bounce, "5.7.1"), "5.1.1")
    assert check_bounce_status(bounce, "5.1.1").passed


def test_trace(world: World) -> None:
    message = _inbox(world, "bob@example.org", "Hello")
    path = received_path(message)
    assert path == ["laptop.example", "mail.example.com"]
    assert check_trace(message, ...).unanswered
    wrong_order = check_trace(message, list(reversed(path)))
    assert not wrong_order.passed and "order" in wrong_order.message
    _judge(check_trace(message, ["mail.example.com"]), "laptop.example")
    assert check_trace(message, path).passed


def test_verdicts(world: World) -> None:
    forwarded = _inbox(world, "bob@example.org", "Forwarded")
    assert check_verdicts(forwarded, ...).unanswered
    assert check_verdicts(forwarded, (..., ..., ...)).unanswered
    _judge(check_verdicts(forwarded, ("pass", "pass", "pass")), "fail")
    _judge(check_verdicts(forwarded, "pass"), "fail")
    assert check_verdicts(forwarded, ("fail", "pass", "pass")).passed


def test_survivor(world: World) -> None:
    forwarded = _inbox(world, "bob@example.org", "Forwarded")
    assert check_survivor(forwarded, ...).unanswered
    _judge(check_survivor(forwarded, "spf"), "dkim")
    assert check_survivor(forwarded, "DKIM").passed


@pytest.mark.parametrize(
    ("record", "why"),
    [
        ("ip4:192.0.2.10 -all", "v=spf1"),
        ("v=spf1 ip4:192.0.2.10 -all", "192.0.2.40"),
        ("v=spf1 ip4:192.0.2.10 ip4:192.0.2.40 +all", "stranger"),
        ("v=spf1 ip4:192.0.2.10 ip4:192.0.2.40 ?all", "stranger"),
    ],
)
def test_spf_record_rejects_wrong_records(world: World, record: str, why: str) -> None:
    result = check_spf_record(world, record, domain="example.com", allowed=["192.0.2.10", "192.0.2.40"])
    assert not result.passed and why in result.message
    assert "ip4:192.0.2.40" not in result.hint


def test_spf_record_accepts_a_right_one_and_leaves_the_zone_as_it_was(world: World) -> None:
    before = str(world.zone)
    assert check_spf_record(world, ..., domain="example.com", allowed=["192.0.2.10"]).unanswered
    for record in ("v=spf1 ip4:192.0.2.10 ip4:192.0.2.40 -all", "v=spf1 ip4:192.0.2.0/24 ~all"):
        assert check_spf_record(
            world, record, domain="example.com", allowed=["192.0.2.10", "192.0.2.40"]
        ).passed
    assert str(world.zone) == before
