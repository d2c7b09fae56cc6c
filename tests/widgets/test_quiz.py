"""ReplyQuiz against a real DebugServer: real replies, lesson 00's check, nothing stored."""

from __future__ import annotations

from smtplearn.server import DebugServer
from smtplearn.widgets import ReplyQuiz


def _button(quiz: ReplyQuiz, name: str):  # type: ignore[no-untyped-def]
    return next(button for button in quiz.answer_buttons if button.description == name)


def test_every_round_is_a_real_reply_judged_by_the_lesson_check(server: DebugServer) -> None:
    quiz = ReplyQuiz(server)
    assert [button.description for button in quiz.answer_buttons] == [
        "done",
        "go on",
        "failed for now",
        "failed for good",
    ]
    expected = [
        (500, "failed for good"),
        (250, "done"),
        (354, "go on"),
        (451, "failed for now"),
        (550, "failed for good"),
    ]
    for code, name in expected:
        assert quiz.step is not None and quiz.step.reply is not None
        assert quiz.step.reply.code == code, quiz.round.label
        assert str(code) in quiz.question_html.value
        _button(quiz, "done" if name != "done" else "go on").click()
        assert "✗" in quiz.verdict_html.value or "not the class" in quiz.verdict_html.value
        _button(quiz, name).click()
        assert f"starts with {code // 100}" in quiz.verdict_html.value
        assert "RFC 5321 §4.2.1" in quiz.verdict_html.value
        quiz.next_button.click()
    assert repr(quiz) == "ReplyQuiz: reply 6 (HELLO (a typo for EHLO)), 5 of 10 answers right"
    # The 354 round hung up without a message and the greylist was taken away again.
    assert len(server.mailbox) == 0 and len(server.faults) == 0
    received = [line for session in server.sessions for line in session.received]
    assert "RCPT TO:<quiz-greylisted@example.com>" in received


def test_without_a_server_here_there_is_no_greylisting_round_and_errors_are_shown() -> None:
    with DebugServer() as server:
        quiz = ReplyQuiz(server.address)
        assert all(not r.needs_faults for r in quiz.rounds) and len(quiz.rounds) == 4
    quiz.next_button.click()
    assert "No reply to judge this time" in quiz.error_html.value
    assert all(button.disabled for button in quiz.answer_buttons)
    assert quiz.question_html.value == ""
