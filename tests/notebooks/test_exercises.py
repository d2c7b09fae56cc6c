"""The checks for lessons 01–03: each passes with the lesson's answer and fails with a wrong one.

Every check reads a real session: a real DebugServer, a real client, real sockets.
"""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from smtplearn.client import Client
from smtplearn.exercises.seed import (
    check_auth_challenges,
    check_bcc,
    check_enumeration,
    check_lone_dot,
    check_out_of_order,
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
    result = check_bcc(server.mailbox, "auditor@example.com")
    assert result.passed, result
    assert str(result).startswith("✔ Correct: auditor@example.com is in the envelope")


def test_bcc_fails_when_the_address_is_in_a_header(server: DebugServer) -> None:
    with client_for(server) as client:
        client.send_message(_message(Cc="auditor@example.com"))
    result = check_bcc(server.mailbox, "auditor@example.com")
    assert not result.passed
    assert "Cc header" in str(result) and "Hint:" in str(result)


@pytest.mark.parametrize("header", ["Subject", "Comments", "X-Audit"])
def test_bcc_fails_when_the_address_is_in_any_other_header(server: DebugServer, header: str) -> None:
    with client_for(server) as client:
        message = _message(Bcc="auditor@example.com")
        del message[header]
        message[header] = "copy for auditor@example.com"
        client.send_message(message)
    result = check_bcc(server.mailbox, "auditor@example.com")
    assert not result.passed
    assert f"{header} header" in result.message


def test_bcc_fails_when_the_address_never_got_the_message(server: DebugServer) -> None:
    assert "not received any message" in str(check_bcc(server.mailbox, "auditor@example.com"))
    with client_for(server) as client:
        client.send_message(_message())
    result = check_bcc(server.mailbox, "auditor@example.com")
    assert not result.passed and "not among the envelope recipients" in result.message


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
    assert check_lone_dot(server.mailbox, True).passed
    assert not check_lone_dot(server.mailbox, False).passed


def test_lone_dot_fails_without_such_a_line(server: DebugServer) -> None:
    with client_for(server) as client:
        client.send_message(_message(body="no dots here"))
    result = check_lone_dot(server.mailbox, True)
    assert not result.passed and "single dot" in result.message


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


def test_wrong_password_passes_with_535(server: DebugServer) -> None:
    client = _tls_client(server)
    client.login("nobody", "any-password", mechanism="PLAIN")
    client.quit()
    assert check_wrong_password(client, 535).passed
    assert not check_wrong_password(client, 550).passed


def test_wrong_password_fails_when_the_login_worked(server: DebugServer) -> None:
    client = _tls_client(server)
    client.login(DEMO_USER, DEMO_PASSWORD, mechanism="PLAIN")
    client.quit()
    result = check_wrong_password(client, 535)
    assert not result.passed and "did not fail" in result.message


def test_no_check_message_contains_the_password(server: DebugServer) -> None:
    client = _tls_client(server)
    client.login(DEMO_USER, DEMO_PASSWORD, mechanism="LOGIN")
    client.quit()
    for result in (
        check_auth_challenges(client, "LOGIN", 2),
        check_auth_challenges(client, "LOGIN", 3),
        check_wrong_password(client, 535),
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
    assert not wrong.passed and "server confirmed ['hsmith', 'student']" in wrong.message
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
        assert not not_switched.passed and "not in refusing mode" in not_switched.message
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
