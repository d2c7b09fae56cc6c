"""Settings checked when they are given, and stop() from the server's own thread."""

from __future__ import annotations

import smtplib
import socket
import threading

import pytest

from smtplearn.server import (
    DebugServer,
    Delay,
    Disconnect,
    RejectRecipient,
    RejectSender,
    SizeLimit,
    TemporaryFailure,
)
from smtplearn.server.faults import Fault


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"idle_timeout": 0}, "idle_timeout"),
        ({"idle_timeout": -1.5}, "idle_timeout"),
        ({"max_sessions": 0}, "max_sessions"),
        ({"size_limit": 0}, "size_limit"),
        ({"size_limit": -1}, "size_limit"),
        ({"port": 70000}, "port"),
        ({"port": -1}, "port"),
        ({"hostname": ""}, "hostname"),
        ({"hostname": "mail.example.test\r\n250 injected"}, "hostname"),
        ({"hostname": "two words"}, "hostname"),
        ({"users": {"student": 5}}, "users"),
        ({"faults": [object()]}, "Fault"),
        ({"lenient": "yes"}, "lenient"),
        ({"allow_remote": "no"}, "allow_remote"),
        ({"maildir": 42}, "maildir"),
        ({"faults": RejectRecipient("*")}, "list"),
    ],
)
def test_bad_settings_are_refused_when_given(settings: dict[str, object], named: str) -> None:
    with pytest.raises((ValueError, TypeError)) as refused:
        DebugServer(**settings)  # type: ignore[arg-type]
    assert named in str(refused.value)


def fault_cases() -> list[tuple[object, str]]:
    return [
        (lambda: TemporaryFailure("MAIL", code=550), "4xx"),
        (lambda: TemporaryFailure("MAIL", code=42), "4xx"),
        (lambda: TemporaryFailure("MIAL"), "MIAL"),
        (lambda: TemporaryFailure("MAIL", times=-1), "times"),
        (lambda: Delay("RCPT", -2.0), "seconds"),
        (lambda: Delay("RCTP", 1.0), "RCTP"),
        (lambda: Disconnect("FINISH"), "FINISH"),
        (lambda: SizeLimit(0), "octets"),
        (lambda: RejectRecipient("*", reply="250 fine"), "reply"),
        (lambda: RejectSender("*", reply="oops"), "reply"),
        (lambda: RejectSender(None), "pattern"),  # type: ignore[arg-type]
    ]


@pytest.mark.parametrize(("make", "named"), fault_cases())
def test_bad_fault_settings_are_refused_when_made(make, named: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError) as refused:
        make()
    assert named in str(refused.value)


def test_good_faults_still_work() -> None:
    faults: list[Fault] = [
        TemporaryFailure("mail", code=452, times=1),
        TemporaryFailure("CONNECT"),
        Delay("MESSAGE", 0.0),
        Disconnect("rcpt"),
        SizeLimit(10),
        RejectRecipient("*", reply="553 5.1.3 no"),
    ]
    DebugServer(faults=faults)


def test_lenient_setter_checks_its_value() -> None:
    server = DebugServer()
    with pytest.raises(TypeError, match="lenient"):
        server.lenient = "no"  # type: ignore[assignment]


def test_stop_from_a_mailbox_listener_stops_without_deadlock() -> None:
    server = DebugServer(tls=False).start()
    port = server.port
    stopping = threading.Event()

    def stop_on_first_message(message: object) -> None:
        server.stop()
        stopping.set()

    server.mailbox.add_listener(stop_on_first_message)
    with smtplib.SMTP(*server.address, timeout=10) as client:
        client.sendmail("a@example.test", ["b@example.test"], "Subject: stop\r\n\r\nbye\r\n")
        assert stopping.wait(10), "stop() from the server thread did not return"
    # From the notebook's thread, stop() waits until the stop asked for above is complete.
    done = threading.Thread(target=server.stop)
    done.start()
    done.join(30)
    assert not done.is_alive(), "stop() hung"
    assert not server.running
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)


@pytest.mark.parametrize(
    ("spec", "named"),
    [("tempfail:MAIL:550", "4xx"), ("delay:RCTP:1", "RCTP"), ("drop:FINISH", "FINISH"), ("size:0", "octets")],
)
def test_command_line_faults_are_checked_the_same_way(spec: str, named: str) -> None:
    from smtplearn.server.fault_syntax import parse_fault

    with pytest.raises(ValueError, match=named) as refused:
        parse_fault(spec)
    assert "bad number" not in str(refused.value)  # not every bad fault is a bad number
