"""Fault injection, seen from the client's side (smtplib and raw sockets)."""

from __future__ import annotations

import smtplib

import pytest

from smtplearn.server import (
    DebugServer,
    Delay,
    Disconnect,
    Greylist,
    RecipientLimit,
    RejectRecipient,
    RejectSender,
    SizeLimit,
    TemporaryFailure,
)
from smtplearn.server.fault_syntax import parse_fault

MESSAGE = b"Subject: fault\r\n\r\nbody\r\n"


def test_reject_recipient_matching_a_pattern(server: DebugServer) -> None:
    server.inject(RejectRecipient("bad*@*"))
    with smtplib.SMTP(*server.address, timeout=10) as client:
        refused = client.sendmail("a@example.com", ["good@example.com", "Bad.Guy@example.com"], MESSAGE)
    assert refused == {
        "Bad.Guy@example.com": (
            550,
            b"5.1.1 <Bad.Guy@example.com>... Recipient address rejected: User unknown",
        )
    }
    assert [m.rcpt_tos for m in server.mailbox.wait_for(1)] == [("good@example.com",)]


def test_reject_sender(server: DebugServer) -> None:
    server.inject(RejectSender("*@spam.example"))
    with smtplib.SMTP(*server.address, timeout=10) as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as error:
            client.sendmail("x@spam.example", ["b@example.com"], MESSAGE)
        assert error.value.smtp_code == 550
        assert client.sendmail("x@ham.example", ["b@example.com"], MESSAGE) == {}


def test_greylist_defers_the_first_attempt_and_accepts_the_retry(server: DebugServer) -> None:
    server.inject(Greylist())
    with smtplib.SMTP(*server.address, timeout=10) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as error:
            client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
        assert error.value.recipients == {
            "b@example.com": (451, b"4.7.1 <b@example.com>... Greylisted, please try again later")
        }
        client.rset()
        # A new recipient is a new triple; the old one is now known.
        refused = client.sendmail("a@example.com", ["b@example.com", "c@example.com"], MESSAGE)
        assert list(refused) == ["c@example.com"]
    assert [m.rcpt_tos for m in server.mailbox.wait_for(1)] == [("b@example.com",)]


def test_size_limit_fault_is_advertised_and_enforced_on_new_connections(server: DebugServer) -> None:
    fault = server.inject(SizeLimit(100))
    with smtplib.SMTP(*server.address, timeout=10) as client:
        client.ehlo("pc")
        assert client.esmtp_features["size"] == "100"
        with pytest.raises(smtplib.SMTPSenderRefused) as error:
            client.sendmail("a@example.com", ["b@example.com"], MESSAGE + b"x" * 200)
        assert error.value.smtp_code == 552
    server.faults.remove(fault)
    with smtplib.SMTP(*server.address, timeout=10) as client:
        client.ehlo("pc")
        assert client.esmtp_features["size"] == "10485760"


def test_temporary_failure_at_a_command_n_times(server: DebugServer) -> None:
    server.inject(TemporaryFailure("MAIL", times=1))
    with smtplib.SMTP(*server.address, timeout=10) as client:
        client.ehlo("pc")
        assert client.mail("a@example.com") == (
            451,
            b"4.3.0 Temporary failure at MAIL, please try again later",
        )
        assert client.mail("a@example.com")[0] == 250


def test_temporary_failure_at_connect_is_421_and_a_closed_connection(server: DebugServer) -> None:
    server.inject(TemporaryFailure("CONNECT"))
    with pytest.raises(smtplib.SMTPConnectError) as error:
        smtplib.SMTP(*server.address, timeout=10)
    assert (error.value.smtp_code, error.value.smtp_error) == (
        421,
        b"4.3.2 Service not available, closing transmission channel",
    )


def test_421_at_a_command_closes_the_connection(server: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    server.inject(TemporaryFailure("RCPT", code=421))
    peer = raw(server.address)
    peer.command(b"EHLO pc")
    peer.command(b"MAIL FROM:<a@example.com>")
    assert peer.command(b"RCPT TO:<b@example.com>")[0] == 421
    assert peer.at_eof()


def test_temporary_failure_after_the_message_stores_nothing(server: DebugServer) -> None:
    server.inject(TemporaryFailure("MESSAGE"))
    with smtplib.SMTP(*server.address, timeout=10) as client:
        with pytest.raises(smtplib.SMTPDataError) as error:
            client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
        assert error.value.smtp_code == 451
        assert client.noop()[0] == 250
    assert server.mailbox[:] == []


@pytest.mark.parametrize("step", ["EHLO", "RCPT", "DATA", "MESSAGE"])
def test_disconnect_at_a_step(server: DebugServer, step: str) -> None:
    server.inject(Disconnect(step))
    client = smtplib.SMTP(*server.address, timeout=10)
    (session,) = [s for s in server.sessions.wait_for(1) if s.peer == client.sock.getsockname()[:2]]
    with pytest.raises(smtplib.SMTPServerDisconnected):
        client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
    client.close()
    session.wait_closed()
    assert server.mailbox[:] == []
    assert "-- server drops the connection" in str(session).splitlines()


def test_delay_holds_one_session_without_holding_up_others(server: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    # The delay is far longer than the test: the other session must finish meanwhile, and
    # stopping the server must not wait for the delay either.
    server.inject(Delay("VRFY", 300))
    slow = raw(server.address)
    slow.send(b"VRFY dhellmann\r\n")
    with smtplib.SMTP(*server.address, timeout=10) as client:
        assert client.sendmail("a@example.com", ["c@example.com"], MESSAGE) == {}
    slow.sock.setblocking(False)
    with pytest.raises(BlockingIOError):
        slow.sock.recv(1)
    assert [m.rcpt_tos for m in server.mailbox.wait_for(1)] == [("c@example.com",)]


def test_delay_then_normal_reply(server: DebugServer) -> None:
    server.inject(Delay("NOOP", 0.01))
    with smtplib.SMTP(*server.address, timeout=10) as client:
        assert client.noop() == (250, b"2.0.0 OK")


def test_faults_given_at_construction_and_cleared() -> None:
    with DebugServer(faults=[RejectRecipient("*")]) as server:
        assert len(server.faults) == 1
        with smtplib.SMTP(*server.address, timeout=10) as client:
            client.ehlo("pc")
            client.mail("a@example.com")
            assert client.rcpt("b@example.com")[0] == 550
            server.faults.clear()
            assert client.rcpt("b@example.com")[0] == 250
    with pytest.raises(TypeError, match="expected a Fault"):
        server.inject("reject everything")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("spec", "fault"),
    [
        ("reject-rcpt:bad@*", RejectRecipient("bad@*")),
        ("reject-sender:*@spam.test", RejectSender("*@spam.test")),
        ("greylist", Greylist()),
        ("greylist:*@school.test", Greylist("*@school.test")),
        ("size:1000", SizeLimit(1000)),
        ("tempfail:mail", TemporaryFailure("MAIL")),
        ("tempfail:CONNECT:421", TemporaryFailure("CONNECT", 421)),
        ("delay:rcpt:2.5", Delay("RCPT", 2.5)),
        ("drop:MESSAGE", Disconnect("MESSAGE")),
        ("rcpt-limit:2", RecipientLimit(2)),
    ],
)
def test_parse_fault(spec: str, fault: object) -> None:
    assert parse_fault(spec) == fault


@pytest.mark.parametrize("spec", ["nonsense", "size:big", "delay:RCPT", "reject-rcpt", "rcpt-limit:0"])
def test_parse_fault_refuses_bad_specs(spec: str) -> None:
    with pytest.raises(ValueError, match=spec.split(":")[0]):
        parse_fault(spec)


def test_recipient_limit_answers_452_past_the_limit_in_each_transaction(server: DebugServer) -> None:
    server.inject(RecipientLimit(2))
    with smtplib.SMTP(*server.address, timeout=10) as client:
        refused = client.sendmail(
            "a@example.com", ["r1@example.com", "r2@example.com", "r3@example.com"], MESSAGE
        )
        assert refused == {"r3@example.com": (452, b"4.5.3 Too many recipients, at most 2 per message")}
        # The count is per transaction: the next one starts again from zero.
        assert client.sendmail("a@example.com", ["r4@example.com", "r5@example.com"], MESSAGE) == {}
    assert [m.rcpt_tos for m in server.mailbox.wait_for(2)] == [
        ("r1@example.com", "r2@example.com"),
        ("r4@example.com", "r5@example.com"),
    ]
    with pytest.raises(ValueError, match="whole number, 1 or more"):
        RecipientLimit(0)
