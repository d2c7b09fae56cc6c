"""Many smtplib clients at once against one DebugServer."""

from __future__ import annotations

import smtplib
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from smtplearn.server import DEMO_PASSWORD, DEMO_USER, DebugServer

CLIENTS = 50
MESSAGES = 10


@pytest.mark.slow
def test_fifty_concurrent_clients_times_ten_messages_all_stored_exactly_once() -> None:
    barrier = threading.Barrier(CLIENTS)

    def client(number: int) -> None:
        with smtplib.SMTP(*server.address, timeout=30) as smtp:
            smtp.ehlo(f"client{number}")
            smtp.starttls(context=server.client_tls_context())
            smtp.ehlo(f"client{number}")
            smtp.login(DEMO_USER, DEMO_PASSWORD)
            barrier.wait()
            for n in range(MESSAGES):
                body = f"Subject: {number}-{n}\r\nX-Client: {number}\r\n\r\nmessage {n}\r\n"
                assert smtp.sendmail(f"c{number}@example.com", [f"r{n}@example.com"], body) == {}

    with DebugServer() as server, ThreadPoolExecutor(CLIENTS) as pool:
        for future in [pool.submit(client, number) for number in range(CLIENTS)]:
            future.result()
        messages = server.mailbox.wait_for(CLIENTS * MESSAGES)

    subjects = Counter(m.subject for m in messages)
    assert len(messages) == CLIENTS * MESSAGES
    assert set(subjects) == {f"{c}-{n}" for c in range(CLIENTS) for n in range(MESSAGES)}
    assert set(subjects.values()) == {1}
    assert len({m.queue_id for m in messages}) == CLIENTS * MESSAGES
    for message in messages:
        number = message.message["X-Client"]
        assert message.mail_from == f"c{number}@example.com"
        assert message.helo == f"client{number}"
        assert message.user == DEMO_USER
    # One session per client, each closed or closing, none lost.
    assert len(server.sessions) == CLIENTS
