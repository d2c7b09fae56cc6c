"""Memory stays bounded: the session log, the list of sessions and the mailbox each keep a bounded
amount, and say what they dropped."""

from __future__ import annotations

import argparse
import smtplib
import socket
import tracemalloc

import pytest

from smtplearn.server import DebugServer, Greylist
from smtplearn.server.console import Backlog, add_arguments, build_server
from smtplearn.server.sessions import SessionEvent, SessionLog


def _noops(server: DebugServer, count: int) -> SessionLog:
    """`count` NOOPs on one connection, 1,000 at a time, then QUIT; the session's log."""
    with socket.create_connection(server.address, timeout=30) as sock:
        replies = sock.makefile("rb")
        replies.readline()
        for _ in range(count // 1000):
            sock.sendall(b"NOOP\r\n" * 1000)
            for _ in range(1000):
                assert replies.readline() == b"250 2.0.0 OK\r\n"
        sock.sendall(b"QUIT\r\n")
        replies.readline()
        replies.close()
    log = server.sessions[-1]
    # Generous: with three interpreters' suites at once, a session once took over 5 s to close.
    log.wait_closed(timeout=30)
    return log


def test_a_noop_flood_keeps_the_head_and_the_tail_of_the_session_and_says_so() -> None:
    with DebugServer(tls=False) as server:
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            log = _noops(server, 20_000)
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        lines = str(log).splitlines()
        assert len(log.events) == len(lines) == 501
        assert lines[:3] == [
            "-- connection from 127.0.0.1:" + lines[0].rsplit(":", 1)[1],
            lines[1],
            "C: NOOP",
        ]
        assert lines[450] == (
            "-- 39,505 events not kept: this session's log keeps its first 450 and last 50 events "
            "(DebugServer(log_events_per_session=...))"
        )
        assert lines[-3:] == [
            "C: QUIT",
            "S: 221 2.0.0 mail.example.test closing connection",
            "-- connection closed",
        ]
        assert log.dropped == 39_505
        assert "(39,505 dropped)" in repr(log)
        # Before the bound, 20,000 NOOPs kept 40,000 events: about 6.5 MiB.
        assert grown < 1024 * 1024


def test_past_the_limit_a_console_hears_one_notice_and_the_end() -> None:
    heard: list[SessionEvent] = []
    with DebugServer(tls=False, log_events_per_session=20) as server:
        server.sessions.add_listener(lambda session, event: heard.append(event))
        _noops(server, 1000)
    assert len(heard) == 18 + 2
    assert str(heard[18]) == (
        "-- session log full: from here on it keeps only its first 18 and last 2 events "
        "(DebugServer(log_events_per_session=...))"
    )
    assert str(heard[19]) == "-- connection closed"


def test_the_oldest_closed_sessions_are_dropped_and_counted() -> None:
    with DebugServer(tls=False, log_sessions=10) as server:
        for _ in range(25):
            with smtplib.SMTP(*server.address, timeout=10) as client:
                client.noop()
            server.sessions[-1].wait_closed(30)  # generous: a loaded CI machine once took over 5 s
        assert [log.number for log in server.sessions] == list(range(16, 26))
        assert server.sessions.dropped == 15
        assert repr(server.sessions) == (
            "<SessionLogs with 10 session(s); 15 older ones dropped, it keeps 10 "
            "(DebugServer(log_sessions=...))>"
        )


def _send(server: DebugServer, count: int, body: bytes = b"hi") -> None:
    with smtplib.SMTP(*server.address, timeout=10) as client:
        for number in range(count):
            client.sendmail("a@example.com", ["b@example.com"], b"Subject: %d\r\n\r\n%s\r\n" % (number, body))


def test_the_mailbox_keeps_the_newest_messages_and_counts_the_rest() -> None:
    with DebugServer(tls=False, mailbox_messages=3) as server:
        _send(server, 5)
        assert [m.subject for m in server.mailbox.wait_for(5)] == ["2", "3", "4"]
        assert server.mailbox.dropped == 2
        assert repr(server.mailbox) == (
            "<Mailbox with 3 message(s); 2 older ones dropped, it keeps 3 messages of 104,857,600 octets "
            "(DebugServer(mailbox_messages=..., mailbox_bytes=...))>"
        )
        server.mailbox.clear()
        assert (len(server.mailbox), server.mailbox.dropped) == (0, 0)


def test_the_mailbox_keeps_a_bounded_number_of_octets_but_always_the_newest() -> None:
    with DebugServer(tls=False, mailbox_bytes=1000) as server:
        _send(server, 4, b"x" * 400)
        assert [m.subject for m in server.mailbox.wait_for(4)] == ["2", "3"]
        _send(server, 1, (b"y" * 98 + b"\r\n") * 20)
        assert [m.subject for m in server.mailbox.wait_for(5)] == ["0"]
        assert server.mailbox.dropped == 4


@pytest.mark.parametrize(
    "bad",
    [{"log_sessions": 0}, {"log_events_per_session": 5}, {"mailbox_messages": 0}, {"mailbox_bytes": -1}],
)
def test_bounds_are_validated(bad: dict[str, int]) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        DebugServer(**bad)  # type: ignore[arg-type]


def test_command_line_options_reach_the_bounds() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    flags = ["--log-sessions", "50", "--log-events-per-session", "40", "--mailbox-messages", "30"]
    server = build_server(parser.parse_args([*flags, "--mailbox-bytes", "20000"]))
    assert (server.sessions.keep_sessions, server.sessions.keep_events) == (50, 40)
    assert (server.mailbox.keep_messages, server.mailbox.keep_bytes) == (30, 20000)
    defaults = build_server(parser.parse_args([]))
    assert (defaults.sessions.keep_sessions, defaults.sessions.keep_events) == (500, 500)
    assert (defaults.mailbox.keep_messages, defaults.mailbox.keep_bytes) == (10_000, 100 * 1024 * 1024)
    assert "--log-events-per-session N" in parser.format_help()


def test_recipients_beyond_a_thousand_get_452_and_the_message_goes_to_the_first_thousand() -> None:
    with DebugServer(tls=False) as server, smtplib.SMTP(*server.address, timeout=30) as client:
        recipients = [f"r{number}@example.com" for number in range(1001)]
        refused = client.sendmail("a@example.com", recipients, b"Subject: many\r\n\r\nhi\r\n")
        assert refused == {
            "r1000@example.com": (
                452,
                b"4.5.3 Too many recipients: at most 1000 per message (RFC 5321 \xc2\xa74.5.3.1.10)",
            )
        }
        assert len(server.mailbox.wait_for(1)[0].rcpt_tos) == 1000


def test_greylisting_remembers_a_bounded_number_of_triples() -> None:
    greylist = Greylist(remember=3)
    for number in range(5):
        assert greylist.at_recipient("10.0.0.1", "a@example.com", f"r{number}@example.com") is not None
    assert len(greylist._seen) == 3
    # The newest are remembered (accepted now); the oldest, forgotten, is greylisted again.
    assert greylist.at_recipient("10.0.0.1", "a@example.com", "r4@example.com") is None
    assert greylist.at_recipient("10.0.0.1", "a@example.com", "r0@example.com") is not None


def test_a_console_that_cannot_keep_up_skips_lines_and_says_how_many() -> None:
    with DebugServer(tls=False, log_events_per_session=20) as server:
        backlog = Backlog(limit=10)
        server.sessions.add_listener(lambda session, event: backlog.offer((session, event)))
        _noops(server, 1000)  # 20 events for the console, nobody printing them
        backlog.stop()
        taken = [backlog.take() for _ in range(10)]
        assert [skipped for _, skipped in taken] == [10, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        assert backlog.take() == (None, 0)


def test_the_console_takes_what_waits_in_one_go_and_stops_at_the_end() -> None:
    # The console writes everything waiting at once (one write, not one per line); the stop
    # marker comes out too, in its place, so nothing queued before it is lost.
    with DebugServer(tls=False, log_events_per_session=20) as server:
        backlog = Backlog(limit=100)
        server.sessions.add_listener(lambda session, event: backlog.offer((session, event)))
        _noops(server, 3)
        server.sessions[-1].wait_closed()
        backlog.stop()
        first, skipped = backlog.take()
        rest = backlog.take_waiting()
        assert skipped == 0 and first is not None
        assert rest[-1] is None and None not in rest[:-1]
        assert [event.text for _, event in [first, *rest[:-1]]] == [  # type: ignore[misc]
            event.text for event in server.sessions[-1].events
        ]
        assert backlog.take_waiting() == []
