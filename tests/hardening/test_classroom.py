"""Classroom scale: 30 DebugServers, each with its own student's client, all at once in one process.

This is a shared JupyterHub node's afternoon: every kernel starts its own server at the
same moment. No two may share a port, and no message may land in another student's mailbox.
(`tests/server/` starts 30 servers at once; here they also carry traffic concurrently.)
"""

from __future__ import annotations

import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

import pytest
from held_loop import loop_held

from smtplearn.client import Client
from smtplearn.server import DEMO_PASSWORD, DEMO_USER, DebugServer

STUDENTS = 30
MESSAGES_EACH = 3


def lesson(student: int, server: DebugServer, start: threading.Barrier) -> None:
    """What one student's notebook does: STARTTLS, log in, send a few messages."""
    start.wait()
    with Client(server.host, server.port, tls_context=server.client_tls_context(), timeout=30) as client:
        client.ehlo().raise_for_reply()
        client.starttls().raise_for_reply()
        client.ehlo().raise_for_reply()
        client.login(DEMO_USER, DEMO_PASSWORD).raise_for_reply()
        for number in range(MESSAGES_EACH):
            message = EmailMessage()
            message["From"] = f"student{student}@example.test"
            message["To"] = f"teacher{student}@example.test"
            message["Subject"] = f"student {student} message {number}"
            message.set_content(f"homework {student}.{number}\n")
            client.send_message(message)


@pytest.mark.slow
def test_thirty_servers_with_a_client_each_at_once() -> None:
    servers = [DebugServer() for _ in range(STUDENTS)]
    start = threading.Barrier(STUDENTS)
    with ThreadPoolExecutor(STUDENTS) as pool:
        try:
            # Every server starts at the same moment, as on a classroom's shared node.
            list(pool.map(lambda s: s.start(), servers))
            assert len({s.port for s in servers}) == STUDENTS
            jobs = [pool.submit(lesson, i, s, start) for i, s in enumerate(servers)]
            for job in jobs:
                job.result(timeout=120)
            for student, server in enumerate(servers):
                mailbox = server.mailbox.wait_for(MESSAGES_EACH)
                assert sorted(m.subject for m in mailbox) == [
                    f"student {student} message {n}" for n in range(MESSAGES_EACH)
                ]
                assert {m.mail_from for m in mailbox} == {f"student{student}@example.test"}
                assert {m.rcpt_tos for m in mailbox} == {(f"teacher{student}@example.test",)}
                assert {m.user for m in mailbox} == {DEMO_USER}
        finally:
            list(pool.map(lambda s: s.stop(), servers))


def _server_side_states(port: int) -> list[str]:
    """The TCP state (hex, as /proc/net/tcp gives it) of each server-side socket on `port`."""
    with open("/proc/net/tcp") as table:
        rows = [line.split() for line in table.readlines()[1:]]
    return [row[3] for row in rows if int(row[1].split(":")[1], 16) == port]


def test_a_whole_class_connecting_while_the_server_is_busy_is_queued_not_dropped() -> None:
    # 300 students click "run" while the server's loop is busy (a TLS handshake, a slow disk):
    # the kernel must hold every connection until the loop accepts it. With a listen backlog
    # of asyncio's default 100, the kernel drops the rest: their SYNs (so connecting takes
    # seconds of retries) or the handshake's last ACK (so a student counts as connected and
    # waits for a greeting in vain, as bench B6 saw).
    class_size = 300
    with DebugServer(max_sessions=1000, max_sessions_per_address=1000) as server, loop_held(server):
        sockets = []
        try:
            for _ in range(class_size):
                sock = socket.socket()
                sock.setblocking(False)
                sock.connect_ex((server.host, server.port))
                sockets.append(sock)
            states = _server_side_states(server.port)
            # "01" is ESTABLISHED: queued, to be accepted as soon as the loop is free.
            assert states.count("01") == class_size, f"only {states.count('01')} of {class_size} queued"
        finally:
            for sock in sockets:
                sock.close()
