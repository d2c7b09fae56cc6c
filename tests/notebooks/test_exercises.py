"""The checks for lessons 01–03: each passes with the lesson's answer and fails with a wrong one.

Every check reads a real session: a real DebugServer, a real client, real sockets.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from smtplearn.client import Client
from smtplearn.exercises.seed import (
    check_auth_challenges,
    check_bcc,
    check_enumeration,
    check_expn,
    check_lone_dot,
    check_out_of_order,
    check_reply_class,
    check_tls_changes,
    check_vrfy,
    check_vrfy_refused,
    check_wrong_password,
)
from smtplearn.lesson import client_for
from smtplearn.server import DEMO_PASSWORD, DEMO_USER, DebugServer


@pytest.fixture
def server() -> Iterator[DebugServer]:
    with DebugServer() as server:
        yield server


def _message(to: str = "recipient@example.com", body: str = "Hello.", **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "author@example.com"
    message["To"] = to
    for name, value in headers.items():
        message[name] = value
    message["Subject"] = "Test"
    message.set_content(body)
    return message


def _tls_client(server: DebugServer) -> Client:
    client = client_for(server)
    client.connect()
    client.ehlo()
    client.starttls()
    client.ehlo()
    return client


# -- 01 --------------------------------------------------------------------------------------


def test_bcc_passes_when_the_address_is_only_in_the_envelope(server: DebugServer) -> None:
    with client_for(server) as client:
        client.send_message(_message(Bcc="auditor@example.com"))
    result = check_bcc(client, server, "auditor@example.com")
    assert result.passed, result
    assert str(result).startswith("✔ Correct: auditor@example.com is in the envelope")


def test_bcc_fails_when_the_address_is_in_a_header(server: DebugServer) -> None:
    with client_for(server) as client:
        client.send_message(_message(Cc="auditor@example.com"))
    result = check_bcc(client, server, "auditor@example.com")
    assert not result.passed
    assert "Cc header" in str(result) and "Hint:" in str(result)


@pytest.mark.parametrize("header", ["Subject", "Comments", "X-Audit"])
def test_bcc_fails_when_the_address_is_in_any_other_header(server: DebugServer, header: str) -> None:
    with client_for(server) as client:
        message = _message(Bcc="auditor@example.com")
        del message[header]
        message[header] = "copy for auditor@example.com"
        client.send_message(message)
    result = check_bcc(client, server, "auditor@example.com")
    assert not result.passed
    assert f"{header} header" in result.message


def test_bcc_fails_when_the_address_never_got_the_message(server: DebugServer) -> None:
    with client_for(server) as client:
        client.send_message(_message())
    result = check_bcc(client, server, "auditor@example.com")
    assert not result.passed and "not among the envelope recipients" in result.message


def test_bcc_judges_the_learners_own_message_not_the_newest_in_the_mailbox(server: DebugServer) -> None:
    with client_for(server) as learner:
        learner.send_message(_message(Cc="auditor@example.com"))
    with client_for(server) as someone_else:  # a later message that would pass
        someone_else.send_message(_message(Bcc="auditor@example.com"))
    result = check_bcc(learner, server, "auditor@example.com")
    assert not result.passed and "Cc header" in result.message


def test_bcc_asks_for_a_message_when_the_session_sent_none(server: DebugServer) -> None:
    with client_for(server) as earlier:
        earlier.send_message(_message(Bcc="auditor@example.com"))
    with client_for(server) as learner:  # the student edition's with-block holds only ...
        pass
    for source in (learner, ...):
        result = check_bcc(source, server, "auditor@example.com")  # type: ignore[arg-type]
        assert result.unanswered and not result.passed, result


def test_out_of_order_passes_with_503_and_fails_with_a_wrong_prediction(server: DebugServer) -> None:
    with client_for(server, strict=False) as client:
        client.ehlo()
        client.rcpt("recipient@example.com")
    assert check_out_of_order(client, 503).passed
    wrong = check_out_of_order(client, 250)
    assert not wrong.passed and "you predicted 250" in wrong.message and "503" in wrong.message
    assert not check_out_of_order(client, ...).passed


def test_out_of_order_fails_when_rcpt_came_after_mail(server: DebugServer) -> None:
    with client_for(server) as client:
        client.ehlo()
        client.mail("author@example.com")
        client.rcpt("recipient@example.com")
    result = check_out_of_order(client, 503)
    assert not result.passed and "strict=False" in result.hint


def test_lone_dot_passes_when_predicted_kept_and_the_line_arrived(server: DebugServer) -> None:
    with client_for(server) as client:
        client.send_message(_message(body="before\n.\nafter"))
    assert check_lone_dot(server, True).passed
    wrong = check_lone_dot(server, False)
    assert not wrong.passed and "dot-stuffing" not in wrong.hint and "RFC" not in wrong.hint


def _raw_session(server: DebugServer, *lines: bytes, close: bool = True) -> socket.socket:
    """Send `lines` over a plain socket, reading each reply, as lesson 07's learner does."""
    sock = socket.create_connection(server.address)
    reader = sock.makefile("rb")
    reader.readline()  # the greeting
    for line in lines:
        sock.sendall(line)
        while (reply := reader.readline())[3:4] == b"-":
            pass
        assert reply, f"no reply to {line!r}"
    if close:
        sock.close()
    return sock


_ENVELOPE = (b"HELO me\r\n", b"MAIL FROM:<a@example.com>\r\n", b"RCPT TO:<b@example.com>\r\n", b"DATA\r\n")


def test_lone_dot_judges_an_unstuffed_dot_as_cut_short(server: DebugServer) -> None:
    # The dot goes out as it is: the message ends there, "after" and "." arrive as commands.
    _raw_session(server, *_ENVELOPE, b"before\r\n.\r\n", b"after\r\n", b".\r\n", b"QUIT\r\n")
    assert server.mailbox[-1].raw == b"before\r\n"
    right = check_lone_dot(server, False)
    assert right.passed, right
    assert "'after'" in right.message and "500" in right.message
    wrong = check_lone_dot(server, True)
    assert not wrong.passed and "single dot" not in wrong.message


def test_lone_dot_judges_a_stuffed_dot_sent_by_hand_as_kept(server: DebugServer) -> None:
    _raw_session(server, *_ENVELOPE, b"before\r\n..\r\nafter\r\n.\r\n", b"QUIT\r\n")
    assert check_lone_dot(server, True).passed
    assert not check_lone_dot(server, False).passed


def test_lone_dot_fails_without_such_a_line(server: DebugServer) -> None:
    assert "no message has been sent" in check_lone_dot(server, True).message
    with client_for(server) as client:
        client.send_message(_message(body="no dots here"))
    for prediction in (True, False):
        result = check_lone_dot(server, prediction)
        assert not result.passed and "no line made of a single dot" in result.message


def test_lone_dot_says_the_message_has_not_ended_when_it_has_not(server: DebugServer) -> None:
    sock = _raw_session(server, *_ENVELOPE, close=False)
    try:
        sock.sendall(b"before\r\nafter\r\n")
        sock.shutdown(socket.SHUT_WR)  # the learner's loop stopped without the ending dot
        result = check_lone_dot(server, False)
    finally:
        sock.close()
    assert not result.passed and "still reading your message" in result.message
    assert "never arrived" not in str(result) and "not received" not in str(result)


# -- 02 --------------------------------------------------------------------------------------


def test_tls_changes_pass_with_the_right_prediction(server: DebugServer) -> None:
    client = _tls_client(server)
    client.quit()
    assert check_tls_changes(client, {"AUTH"}, {"STARTTLS"}).passed
    assert check_tls_changes(client, "auth", "starttls").passed
    wrong = check_tls_changes(client, {"AUTH"}, set())
    assert not wrong.passed and "disappear" in wrong.message


def test_tls_changes_need_an_ehlo_on_each_side(server: DebugServer) -> None:
    with client_for(server) as client:
        client.ehlo()
    result = check_tls_changes(client, {"AUTH"}, {"STARTTLS"})
    assert not result.passed and "EHLO before STARTTLS and another one after" in result.message


@pytest.mark.parametrize(("mechanism", "challenges"), [("LOGIN", 2), ("CRAM-MD5", 1), ("PLAIN", 0)])
def test_auth_challenges_counts_what_the_server_sent(
    server: DebugServer, mechanism: str, challenges: int
) -> None:
    client = _tls_client(server)
    client.login(DEMO_USER, DEMO_PASSWORD, mechanism=mechanism)
    client.quit()
    assert check_auth_challenges(client, mechanism, challenges).passed
    assert not check_auth_challenges(client, mechanism, challenges + 1).passed


def test_auth_challenges_fail_without_that_mechanism_or_after_a_refusal(server: DebugServer) -> None:
    client = _tls_client(server)
    client.login(DEMO_USER, "not-the-password", mechanism="LOGIN")
    client.quit()
    assert "no AUTH CRAM-MD5" in check_auth_challenges(client, "CRAM-MD5", 1).message
    assert "failed with 535" in check_auth_challenges(client, "LOGIN", 2).message


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_wrong_password_passes_with_535_for_the_named_user(server: DebugServer, mechanism: str) -> None:
    client = _tls_client(server)
    client.login("nobody", "any-password", mechanism=mechanism)
    client.quit()
    assert check_wrong_password(client, "nobody", 535).passed
    assert check_wrong_password(client, "nobody", "535").passed
    wrong = check_wrong_password(client, "nobody", 550)
    assert not wrong.passed and "535" not in wrong.hint


def test_wrong_password_for_another_user_is_not_the_exercise(server: DebugServer) -> None:
    # The known wrong-acceptor: a wrong password for the demo user used to pass.
    client = _tls_client(server)
    client.login(DEMO_USER, "not-the-password", mechanism="PLAIN")
    client.quit()
    result = check_wrong_password(client, "nobody", 535)
    assert not result.passed and "no AUTH as 'nobody'" in result.message and DEMO_USER in result.message


def test_wrong_password_fails_when_the_login_worked(server: DebugServer) -> None:
    client = _tls_client(server)
    client.login(DEMO_USER, DEMO_PASSWORD, mechanism="PLAIN")
    client.quit()
    result = check_wrong_password(client, DEMO_USER, 535)
    assert not result.passed and "succeeded" in result.message


def test_no_check_message_contains_the_password(server: DebugServer) -> None:
    client = _tls_client(server)
    client.login(DEMO_USER, DEMO_PASSWORD, mechanism="LOGIN")
    client.quit()
    for result in (
        check_auth_challenges(client, "LOGIN", 2),
        check_auth_challenges(client, "LOGIN", 3),
        check_wrong_password(client, DEMO_USER, 535),
    ):
        assert DEMO_PASSWORD not in str(result) + result._repr_html_()


# -- 03 --------------------------------------------------------------------------------------


def test_vrfy_compares_the_prediction_with_the_reply(server: DebugServer) -> None:
    with client_for(server) as client:
        client.ehlo()
        client.vrfy("jsmith")
        client.vrfy("<notthere>")
        server.vrfy = "refuse"
        client.vrfy("dhellmann")
    assert check_vrfy(client, "jsmith", 250).passed
    assert check_vrfy(client, "notthere", 550).passed
    assert check_vrfy(client, "dhellmann", 252).passed
    assert not check_vrfy(client, "dhellmann", 250).passed
    assert "no VRFY hsmith" in check_vrfy(client, "hsmith", 250).message


def test_enumeration_passes_with_exactly_the_confirmed_names(server: DebugServer) -> None:
    guesses = ["hsmith", "root", "student", "webmaster"]
    with client_for(server) as client:
        client.ehlo()
        client.vrfy("jsmith")  # an earlier lookup, not one of this exercise's guesses
        found = [name for name in guesses if client.vrfy(name).reply.code == 250]  # type: ignore[union-attr]
    assert found == ["hsmith", "student"]
    assert check_enumeration(found, client, guesses).passed
    assert not check_enumeration(found, client).passed  # jsmith counts when no candidates are named
    wrong = check_enumeration(["hsmith"], client, guesses)
    assert not wrong.passed and "student" not in str(wrong)
    assert not check_enumeration("hsmith", client, guesses).passed


def test_enumeration_needs_every_candidate_asked(server: DebugServer) -> None:
    with client_for(server) as client:
        client.ehlo()
        client.vrfy("hsmith")
    result = check_enumeration(["hsmith"], client, ["hsmith", "root", "student"])
    assert not result.passed and "no VRFY was sent for ['root', 'student']" in result.message


def test_vrfy_refused_needs_the_refusing_mode(server: DebugServer) -> None:
    # Exercise 3 of 03: predicting 250 for dhellmann in directory mode is not the exercise.
    with client_for(server) as client:
        client.ehlo()
        client.vrfy("dhellmann")
        not_switched = check_vrfy_refused(client, "dhellmann", 250)
        assert not not_switched.passed and "not asked in refusing mode" in not_switched.message
        server.vrfy = "refuse"
        client.vrfy("dhellmann")
        server.vrfy = "directory"
    assert check_vrfy_refused(client, "dhellmann", 252).passed
    assert not check_vrfy_refused(client, "dhellmann", 250).passed


def test_enumeration_counts_distinct_guesses_not_vrfy_steps(server: DebugServer) -> None:
    with client_for(server) as client:
        client.ehlo()
        for _ in range(3):
            client.vrfy("hsmith")
    result = check_enumeration(["hsmith"], client, ["hsmith"])
    assert not result.passed and "1 different name" in result.message
    assert not check_enumeration(["hsmith"], client).passed


def test_a_wrong_prediction_gets_a_hint_not_the_answer(server: DebugServer) -> None:
    with client_for(server, strict=False) as client:
        client.ehlo()
        client.rcpt("recipient@example.com")
        client.vrfy("smith")
    for wrong in (check_out_of_order(client, 250), check_vrfy(client, "smith", 250)):
        assert not wrong.passed
        assert "RFC" not in wrong.hint and "503" not in wrong.hint and "553" not in wrong.hint
    right = check_vrfy(client, "smith", 553)
    assert right.passed and "ambiguous" in right.message


# -- the student edition: a blank answer gets a prompt, never a mark or the answer -------------


def test_every_check_prompts_for_a_blank_answer(server: DebugServer) -> None:
    client = _tls_client(server)
    client.login("nobody", "any-password", mechanism="PLAIN")
    client.vrfy("jsmith")
    client.quit()
    with client_for(server) as sender:
        sender.send_message(_message(body="before\n.\nafter", Bcc="auditor@example.com"))
    blank_results = {
        "reply class": check_reply_class(client.transcript[0].reply, ...),
        "bcc": check_bcc(..., server, "auditor@example.com"),  # type: ignore[arg-type]
        "out of order": check_out_of_order(client, ...),
        "lone dot": check_lone_dot(server, ...),
        "tls changes": check_tls_changes(client, ..., ...),
        "tls changes, one blank": check_tls_changes(client, {"AUTH"}, ...),
        "auth challenges": check_auth_challenges(client, "PLAIN", ...),
        "wrong password": check_wrong_password(client, "nobody", ...),
        "vrfy": check_vrfy(client, "jsmith", ...),
        "vrfy refused": check_vrfy_refused(client, "jsmith", ...),
        "enumeration": check_enumeration(..., client, ...),
        "enumeration, guesses given": check_enumeration(..., client, ["a", "b", "c"]),
    }
    for name, result in blank_results.items():
        assert result.unanswered and not result.passed, name
        assert str(result).startswith("✎ Your turn:"), name
        for answer in ("535", "250", "AUTH", "failed for good", "dot-stuffing"):
            assert answer not in str(result), (name, answer)


# -- 00: the reply-class quiz -----------------------------------------------------------------


def test_reply_class_quiz_judges_a_real_reply(server: DebugServer) -> None:
    with client_for(server) as client:
        greeting = client.transcript[0].reply
        typo = client.send_raw("HELLO").reply
    assert greeting is not None and typo is not None and typo.code == 500
    right = check_reply_class(typo, "failed for good")
    assert right.passed and "RFC 5321 §4.2.1" in right.message
    assert check_reply_class(typo, " Failed for good. ").passed
    assert check_reply_class(greeting, "done").passed
    for wrong_answer in ("failed for now", "done", "go on"):
        wrong = check_reply_class(typo, wrong_answer)
        assert not wrong.passed and "failed for good" not in str(wrong)
    unknown = check_reply_class(typo, "bad")
    assert not unknown.passed and "one of" in unknown.hint


def test_expn_compares_the_prediction_with_the_reply(server: DebugServer) -> None:
    with client_for(server) as client:
        client.ehlo()
        assert "no EXPN staff" in check_expn(client, "staff", 502).message
        client.expn("staff")
    assert check_expn(client, "staff", 502).passed
    assert check_expn(client, "<staff>", "502").passed
    for wrong in (500, 250, 550):
        result = check_expn(client, "staff", wrong)
        assert not result.passed and "502" not in result.hint
    assert check_expn(client, "staff", ...).unanswered


def test_checks_that_read_the_server_say_where_it_is_when_it_is_the_instructors(server: DebugServer) -> None:
    # In a classroom (SMTPLEARN_SERVER set) the mailbox and the session log live with the
    # instructor: the check says so instead of raising and stopping Run All.
    from smtplearn.lesson import RemoteServer

    remote = RemoteServer(server.host, server.port, None)
    with client_for(server) as client:
        client.send_message(_message(Bcc="auditor@example.com", body="before\n.\nafter"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SMTPLEARN_SERVER", f"{server.host}:{server.port}")
        for result in (check_bcc(client, remote, "auditor@example.com"), check_lone_dot(remote, True)):
            assert result.skipped and not result.passed, result
            assert "instructor's" in result.message, result
