"""The phases of a DebugServer session and how replies look in each (RFC 2034 §3)."""

from __future__ import annotations

import pytest

from smtplearn.server.phase import SessionPhase, phase_of_command

P = SessionPhase


def test_the_first_reply_ends_connected_and_no_other_reply_moves_the_phase() -> None:
    assert P.CONNECTED.after_reply() is P.COMMANDS
    for phase in (P.COMMANDS, P.HELLO, P.AUTH, P.DATA):
        assert phase.after_reply() is phase


@pytest.mark.parametrize(
    ("verb", "phase"),
    [
        ("EHLO", P.HELLO),
        ("HELO", P.HELLO),
        ("AUTH", P.AUTH),
        ("DATA", P.DATA),
        ("MAIL", P.COMMANDS),
        ("RCPT", P.COMMANDS),
        ("STARTTLS", P.COMMANDS),
        ("NOOP", P.COMMANDS),
        ("QUIT", P.COMMANDS),
    ],
)
def test_each_command_is_handled_in_its_phase(verb: str, phase: SessionPhase) -> None:
    assert phase_of_command(verb) is phase


def test_the_greeting_and_the_250_to_ehlo_or_helo_carry_no_enhanced_code() -> None:
    assert not P.CONNECTED.carries_enhanced_code("220 mail.example.test ESMTP")
    assert not P.CONNECTED.carries_enhanced_code("421 too many connections")
    assert not P.HELLO.carries_enhanced_code("250-mail.example.test")
    # Error replies to EHLO/HELO get one all the same, and every other reply does.
    assert P.HELLO.carries_enhanced_code("501 Syntax: EHLO hostname")
    for phase in (P.COMMANDS, P.AUTH, P.DATA):
        assert phase.carries_enhanced_code("250 OK")
