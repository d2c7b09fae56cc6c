"""Lesson 06's AUTH PLAIN decoder check: every byte between the NULs counts, spaces included."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from smtplearn.exercises.security import check_plain_decoder
from smtplearn.server.auth import DEMO_PASSWORD


def good_decode_plain(token: str) -> tuple[str, ...]:
    return tuple(base64.b64decode(token).decode("utf-8").split("\0"))


def test_the_right_decoder_passes() -> None:
    assert check_plain_decoder(good_decode_plain).passed


def test_a_blank_decoder_gets_a_prompt() -> None:
    def stub(token: str) -> None:
        return None

    def nbgrader_stub(token: str) -> None:
        raise NotImplementedError()

    for blank in (..., stub, nbgrader_stub):
        assert check_plain_decoder(blank).unanswered  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("wrong", "says"),
    [
        (lambda token: tuple(base64.b64decode(token).decode("latin-1").split("\0")), "expected"),
        (lambda token: tuple(base64.b64decode(token).decode().split("\0")[1:]), "expected"),
        (lambda token: base64.b64decode(token), "returned a bytes"),
        (lambda token: base64.b64decode(token).decode().split("\0"), "returned a list"),
        (
            lambda token: tuple(p.strip() for p in base64.b64decode(token).decode().split("\0")),
            "spaces at both ends",
        ),
    ],
    ids=["latin-1", "drops authzid", "bytes", "list", "strips spaces"],
)
def test_a_wrong_decoder_is_rejected_with_a_hint(wrong: Callable[[str], Any], says: str) -> None:
    result = check_plain_decoder(wrong)
    assert not result.passed and not result.unanswered
    assert "decode_plain(" in str(result) and says in str(result) and result.hint, result
    assert "b64decode(token).decode(" not in str(result)  # a hint, not the solution


@pytest.mark.parametrize(
    "wrong",
    [
        lambda token: token,
        lambda token: base64.b64decode(token),
        lambda token: tuple(base64.b64decode(token).decode().split("\0"))[::-1],
        lambda token: 1 / 0,
    ],
)
def test_messages_never_show_the_demo_password(wrong: Callable[[str], Any]) -> None:
    result = check_plain_decoder(wrong)
    assert not result.passed
    shown = " ".join([str(result), repr(result), result._repr_html_(), result.hint])
    encoded = base64.b64encode(DEMO_PASSWORD.encode()).decode()
    assert DEMO_PASSWORD not in shown and encoded.rstrip("=") not in shown
    assert "decode_plain(" in shown  # the check does show what the decoder gave
