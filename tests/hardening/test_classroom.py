"""Classroom scale: 30 DebugServers, each with its own student's client, all at once in one process.

This is a shared JupyterHub node's afternoon: every kernel starts its own server at the
same moment. No two may share a port, and no message may land in another student's mailbox.
(`tests/server/` starts 30 servers at once; here they also carry traffic concurrently.)
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

import pytest

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
