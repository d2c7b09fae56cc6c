"""`smtplearn.lesson`: a notebook's own DebugServer by default, an instructor's when named."""

from __future__ import annotations

import logging
import smtplib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smtplearn.lesson import (
    ENV_CA,
    ENV_SERVER,
    ClassroomStandIn,
    ClassroomWarning,
    LessonError,
    RemoteServer,
    client_for,
    describe,
    in_classroom,
    lesson_server,
    parse_address,
    show,
)
from smtplearn.server import DebugServer


@pytest.fixture
def instructor() -> Iterator[DebugServer]:
    with DebugServer() as server:
        yield server


def test_without_the_variable_a_lesson_starts_its_own_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_SERVER, raising=False)
    server = lesson_server(vrfy="refuse")
    try:
        assert isinstance(server, DebugServer)
        assert server.host == "127.0.0.1"
        assert server.vrfy == "refuse"
        with smtplib.SMTP(server.host, server.port, local_hostname="localhost") as smtp:
            assert smtp.noop()[0] == 250
        assert describe(server).startswith("A DebugServer named mail.example.test is running")
    finally:
        server.stop()
    with pytest.raises(OSError), smtplib.SMTP(server.host, server.port, timeout=5):
        pass


def test_the_variable_points_the_lesson_at_a_running_server(
    monkeypatch: pytest.MonkeyPatch, instructor: DebugServer
) -> None:
    monkeypatch.setenv(ENV_SERVER, f"{instructor.host}:{instructor.port}")
    monkeypatch.setenv(ENV_CA, str(instructor.ca_pem_path))
    server = lesson_server()
    assert server == RemoteServer(instructor.host, instructor.port, str(instructor.ca_pem_path))
    assert ENV_SERVER in describe(server)

    client = client_for(server)
    client.connect()
    client.ehlo()
    # The CA named by SMTPLEARN_CA is what makes the instructor's certificate verify.
    assert client.starttls().ok
    assert client.tls_active
    client.quit()
    server.stop()  # not ours to stop: the instructor's server keeps serving
    with smtplib.SMTP(instructor.host, instructor.port, local_hostname="localhost") as smtp:
        assert smtp.noop()[0] == 250
    # The lesson's session really happened on the instructor's server, under TLS.
    assert instructor.sessions[0].tls_version is not None


def test_a_remote_servers_mailbox_and_log_are_stand_ins_that_say_where_to_look(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV_SERVER, "192.0.2.10:8025")
    monkeypatch.delenv(ENV_CA, raising=False)
    server = lesson_server()
    assert isinstance(server, RemoteServer) and in_classroom()
    assert server.address == ("192.0.2.10", 8025)
    assert server.ca_pem_path is None
    # What lesson cells do with a mailbox, each answered with a sentence instead of an error.
    received = server.mailbox[-1]
    assert isinstance(received, ClassroomStandIn)
    assert "classroom mode: for the envelope sender, see the instructor's terminal: look for" in str(
        received.mail_from
    )
    assert "'to <…>'" in repr(next(iter(received.rcpt_tos)))
    assert "the Subject" in str(received.subject)
    assert "the To: header" in str(received.message["To"])
    assert "printed whole" in str(received.raw.decode())
    assert b"boss@example.com" not in received.raw
    assert "'[#N] C:'" in str(server.sessions[-1])
    assert "classroom mode" in server.sessions._repr_html_()
    # IPython's display protocols are absent, not stand-ins (a stand-in is not an image).
    assert not hasattr(received, "_repr_png_") and not hasattr(received, "__array__")


def test_the_stand_ins_name_the_queue_id_of_the_students_own_latest_message(
    monkeypatch: pytest.MonkeyPatch, instructor: DebugServer
) -> None:
    # A class of 300 sends the same lesson message; its queue id tells a student which is theirs.
    monkeypatch.setenv(ENV_SERVER, f"{instructor.host}:{instructor.port}")
    monkeypatch.setenv(ENV_CA, str(instructor.ca_pem_path))
    server = lesson_server()
    assert isinstance(server, RemoteServer)
    assert "accepted yours" not in str(server.mailbox)
    with smtplib.SMTP(instructor.host, instructor.port, local_hostname="localhost") as classmate:
        classmate.sendmail("c@example.com", ["d@example.com"], b"Subject: not mine\r\n\r\nhi\r\n")
    for subject in ("first", "second"):
        with client_for(server) as client:
            client.ehlo()
            client.starttls()
            client.ehlo()
            client.mail("a@example.com")
            client.rcpt("b@example.com")
            client.data(f"Subject: {subject}\r\n\r\nhi\r\n".encode())
    mine = [m.queue_id for m in instructor.mailbox if m.subject == "second"]
    assert mine == ["DS00003"]
    expected = (
        "the server accepted yours with '250 2.0.0 DS00003 Message accepted for delivery': look for that id"
    )
    for stand_in in (
        server.mailbox,
        server.mailbox[-1],
        server.mailbox[-1].subject,
        server.mailbox[-1].message["To"],
    ):
        assert expected in str(stand_in)
    assert "DS00003" not in str(server.sessions)
    # A client the notebook no longer holds is forgotten, not kept for ever.
    import gc

    del client
    gc.collect()
    kept = client_for(server)
    assert [ref() for ref in server._clients] == [kept]


@pytest.mark.parametrize("content", [None, "not a certificate\n"])
def test_a_ca_file_that_cannot_be_used_names_the_variable_the_file_and_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, content: str | None
) -> None:
    # The instructor's server deletes its CA file when it stops and makes a new one when it
    # starts, so a student's SMTPLEARN_CA often names a file that is gone.
    ca_file = tmp_path / "ca.pem"
    if content is not None:
        ca_file.write_text(content)
    monkeypatch.setenv(ENV_SERVER, "192.0.2.10:8025")
    monkeypatch.setenv(ENV_CA, str(ca_file))
    server = lesson_server()
    with pytest.raises(LessonError) as raised:
        client_for(server)
    message = str(raised.value)
    assert f"{ENV_CA} names {ca_file}" in message
    assert "copy of the CA file `smtplearn server` printed" in message


def test_a_remote_servers_switch_warns_and_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_SERVER, "192.0.2.10:8025")
    server = lesson_server()
    with pytest.warns(ClassroomWarning, match=r"server\.vrfy = 'refuse' changes nothing"):
        server.vrfy = "refuse"
    assert "--vrfy refuse" in str(server.vrfy)


def test_outside_a_classroom_nothing_is_a_stand_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_SERVER, raising=False)
    assert not in_classroom()
    with DebugServer() as server:
        assert not isinstance(server.mailbox, ClassroomStandIn)


@pytest.mark.parametrize("request_own", [{"shared": False}, {"vrfy": "refuse"}])
def test_a_lesson_that_needs_its_own_server_starts_one_even_when_a_server_is_named(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, request_own: dict[str, Any]
) -> None:
    monkeypatch.setenv(ENV_SERVER, "192.0.2.10:8025")
    with caplog.at_level(logging.INFO, logger="smtplearn.lesson"):
        server = lesson_server(**request_own)
    try:
        assert isinstance(server, DebugServer)
        assert server.host == "127.0.0.1"
        assert len(server.mailbox) == 0
    finally:
        server.stop()
    assert "needs a server of its own" in caplog.text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("127.0.0.1:8025", ("127.0.0.1", 8025)),
        (" mail.example.test:25 ", ("mail.example.test", 25)),
        ("[::1]:2525", ("::1", 2525)),
    ],
)
def test_parse_address_accepts_host_and_port(value: str, expected: tuple[str, int]) -> None:
    assert parse_address(value) == expected


@pytest.mark.parametrize("value", ["localhost", "localhost:", ":25", "localhost:0", "host:99999", "host:x"])
def test_parse_address_says_what_it_expected(value: str) -> None:
    with pytest.raises(LessonError, match="host:port"):
        parse_address(value)


def test_show_gives_the_wire_lines_and_the_explanation_and_nothing_that_varies(
    instructor: DebugServer,
) -> None:
    with client_for(instructor) as client:
        step = client.ehlo()
        again = client.ehlo()
    text = str(show(step))
    assert text.splitlines()[0] == " -> EHLO localhost"
    assert "RFC 5321 §4.1.1.1" in text
    assert repr(show(step)) == text
    # Two identical steps show identically: no timing, no ids.
    assert str(show(again)) == text
    html = show(step)._repr_html_()
    assert "smtplearn-step" in html and "EHLO localhost" in html
    # The explanation once, open: not a collapsed copy above an expanded one.
    title = step.explain().title
    assert html.count(f"<strong>{title}</strong>") == 1
    assert "<details open" in html


def test_the_greeting_has_a_label_of_its_own(instructor: DebugServer) -> None:
    with client_for(instructor) as client:
        greeting = client.transcript[0]
    title = greeting.explain().title
    assert "(connect)" not in title and "greeting" in title
    assert str(show(greeting)).count("greeting") >= 1


# Runs in a fresh interpreter. Its own exit hook is registered before lesson_server's, so it
# runs after it (atexit is last-in, first-out) and reports what the lesson's hook left behind.
_EXITING_KERNEL = """
import atexit, logging, socket, sys
from smtplearn.lesson import client_for, lesson_server

logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(name)s: %(message)s")
servers = []

def report():
    server = servers[0]
    try:
        socket.create_connection((server.host, server.port), timeout=5).close()
        answered = True
    except OSError:
        answered = False
    print(f"running={server.running} answered={answered}")

atexit.register(report)
servers.append(lesson_server())
client = client_for(servers[0])
client.connect()
client.ehlo()
print("ehlo", client.ehlo().reply.code, flush=True)
"""


def test_a_lesson_server_stops_when_the_interpreter_exits(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # What a notebook relies on now that no cell stops its server: the kernel's exit does,
    # even with a client still connected, and the server's thread does not hold the exit up.
    monkeypatch.delenv(ENV_SERVER, raising=False)
    script = tmp_path / "kernel.py"
    script.write_text(_EXITING_KERNEL, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["ehlo 250", "running=False answered=False"]
    assert "smtplearn.server: DebugServer mail.example.test on 127.0.0.1:" in done.stderr
    assert done.stderr.rstrip().endswith("stopped")
