"""The shared exercise-check helpers: the friendly line, predictions, combining checks."""

from __future__ import annotations

from smtplearn.exercises import (
    CheckResult,
    all_of,
    check_prediction,
    correct,
    is_unanswered,
    not_yet,
    steps_of,
    your_turn,
)
from smtplearn.protocol.replies import Reply
from smtplearn.protocol.states import ClientState
from smtplearn.record import Exchange, Step, Transcript


def _step(command: str, code: int) -> Step:
    reply = Reply(code, ("ok",))
    exchange = Exchange(command, command.encode(), command.encode(), reply)
    return Step(command.lower(), command, (exchange,), ClientState.READY, ClientState.READY, 0.0, False)


def test_a_passed_check_reads_correct_and_is_truthy() -> None:
    result = correct("the Bcc recipient is only in the envelope.")
    assert str(result) == "✔ Correct: the Bcc recipient is only in the envelope."
    assert repr(result) == str(result)
    assert result


def test_a_failed_check_reads_not_yet_with_its_hint_and_is_falsy() -> None:
    result = not_yet("RCPT got 250.", "send it before MAIL")
    assert str(result) == "✘ Not yet: RCPT got 250. Hint: send it before MAIL"
    assert not result
    assert "Hint" not in str(not_yet("no hint here."))


def test_html_escapes_what_the_learner_typed() -> None:
    assert "&lt;x@example.com&gt;" in not_yet("<x@example.com> is wrong")._repr_html_()


def test_prediction_matches_or_says_what_really_happened() -> None:
    right = check_prediction("the reply code", 503, 503, why="bad sequence")
    wrong = check_prediction("the reply code", 250, 503, why="bad sequence")
    missing = check_prediction("the reply code", ..., 503, why="bad sequence")
    assert right.passed and "503" in right.message
    assert not wrong.passed and "you predicted 250" in wrong.message and "503" in wrong.message
    assert not missing.passed and missing.unanswered
    assert str(missing).startswith("✎ Your turn: make your prediction for the reply code")
    assert "503" not in str(missing), "the prompt must not give the answer away"


def test_unanswered_is_the_blank_or_nothing_never_a_real_answer() -> None:
    assert is_unanswered(...) and is_unanswered(None)
    for answer in (0, False, "", [], 503):
        assert not is_unanswered(answer)


def test_your_turn_is_neither_correct_nor_wrong() -> None:
    prompt = your_turn()
    assert not prompt and prompt.unanswered
    assert "✔" not in str(prompt) and "✘" not in str(prompt)


def test_all_of_reports_the_first_failure_or_the_summary() -> None:
    first, second = not_yet("first"), not_yet("second")
    assert all_of([correct("a"), first, second], summary="all") is first
    assert all_of([correct("a"), correct("b")], summary="all") == CheckResult(True, "all")


def test_steps_of_accepts_a_transcript_a_list_or_anything_with_a_transcript() -> None:
    steps = [_step("EHLO", 250), _step("MAIL", 250), _step("RCPT", 550)]
    transcript = Transcript(steps)

    class Holder:
        def __init__(self) -> None:
            self.transcript = transcript

    assert steps_of(transcript) == steps
    assert steps_of(steps, command="rcpt") == [steps[2]]
    assert steps_of(Holder(), command="MAIL") == [steps[1]]
