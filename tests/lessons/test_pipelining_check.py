"""Lesson 05's round-trip prediction: right passes, wrong gets a hint without the count, blank a prompt."""

from __future__ import annotations

import re

import pytest

from smtplearn.exercises.pipelining import check_round_trips
from smtplearn.server import DebugServer


def test_the_right_prediction_passes(tls_server: DebugServer) -> None:
    result = check_round_trips(13, 2, tls_server, recipients=10)
    assert result.passed, result
    assert "saves 11 waits" in str(result)


@pytest.mark.parametrize(
    ("without", "with_", "says"), [(10, 2, "without PIPELINING"), (13, 1, "with PIPELINING")]
)
def test_a_wrong_prediction_gets_a_hint_not_the_count(
    tls_server: DebugServer, without: int, with_: int, says: str
) -> None:
    result = check_round_trips(without, with_, tls_server, recipients=10)
    assert not result.passed and not result.unanswered and says in str(result)
    assert result.hint
    right = "13" if without != 13 else "2"
    numbers = re.findall(r"\d+", re.sub(r"RFC \d+ §[\d.]+", "", str(result)))
    assert right not in numbers, result


@pytest.mark.parametrize(("without", "with_"), [(..., 2), (13, ...), (None, None)])
def test_a_blank_prediction_gets_a_prompt(tls_server: DebugServer, without: object, with_: object) -> None:
    result = check_round_trips(without, with_, tls_server, recipients=10)
    assert result.unanswered and "13" not in str(result)
