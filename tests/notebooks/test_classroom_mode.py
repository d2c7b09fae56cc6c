"""Classroom mode: lessons 00–03 against an instructor's real ``smtplearn server``.

With `SMTPLEARN_SERVER` set, the mailbox, the session log and the switches are the
instructor's. Run All must still complete, in both editions, and every cell that reached
for one of them must say where the instructor's terminal shows it instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from instructor_terminal import Terminal, instructor_server

from smtplearn.exercises import SKIPPED_MARK
from smtplearn.exercises.editions import execute, kernel_environment
from smtplearn.exercises.seed import check_bcc, check_lone_dot, check_vrfy_refused
from smtplearn.lesson import ENV_CA, ENV_SERVER, client_for
from smtplearn.server import DebugServer

ROOT = Path(__file__).resolve().parents[2]
SHARED_LESSONS = ["00", "01", "02", "03"]
#: Lesson code that reaches for what only the instructor's server holds.
_SERVER_PARTS = re.compile(r"\bserver\.(mailbox|sessions|vrfy)\b")


@pytest.fixture(scope="module")
def terminal() -> Iterator[Terminal]:
    with instructor_server(env=kernel_environment()) as running:
        yield running


def _source(cell: dict[str, Any]) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def _output_text(cell: dict[str, Any]) -> str:
    texts = []
    for output in cell.get("outputs", []):
        texts.append("".join(output.get("text", "")))
        texts.append("".join(output.get("data", {}).get("text/plain", "")))
    return "\n".join(texts)


@pytest.mark.slow
@pytest.mark.parametrize("edition", ["instructor", "notebooks"])
@pytest.mark.parametrize("lesson", SHARED_LESSONS)
def test_run_all_completes_in_classroom_mode(terminal: Terminal, edition: str, lesson: str) -> None:
    port = terminal.setting(r"listening on 127\.0\.0\.1:(\d+)")
    env = kernel_environment()
    env[ENV_SERVER] = f"127.0.0.1:{port}"
    env[ENV_CA] = terminal.setting(r"CA certificate:\s+(\S+)")
    (path,) = (ROOT / edition).glob(f"{lesson}-*.ipynb")
    notebook = json.loads(path.read_text(encoding="utf-8"))

    # execute() raises, naming the cell, if any cell raises.
    executed = execute(notebook, cwd=path.parent, env=env, name=f"{edition}/{path.name}")

    code = [cell for cell in executed["cells"] if cell["cell_type"] == "code"]
    assert ENV_SERVER in _output_text(code[0]) + _output_text(code[1]), (
        "the lesson must say it shares a server"
    )
    reaching = [cell for cell in code if _SERVER_PARTS.search(_source(cell))]
    assert reaching
    silent = [_source(cell) for cell in reaching if "classroom mode" not in _output_text(cell).lower()]
    assert silent == [], "these cells reach for the instructor's server without saying where to look"
    for cell in code:
        if "check_bcc(" in _source(cell) or "check_lone_dot(" in _source(cell):
            assert SKIPPED_MARK in _output_text(cell)
    # The advice is true: the instructor's terminal shows the lessons' messages and sessions.
    assert any(line.startswith("---------- message ") for line in terminal.lines)
    assert any(re.match(r"\[#\d+\] C: MAIL FROM:<author@example\.com>", line) for line in terminal.lines)
    if lesson == "02":
        assert any(re.match(r"\[#\d+\] C: STARTTLS", line) for line in terminal.lines)


def test_checks_that_need_the_lessons_own_server_are_skipped_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with DebugServer() as server:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@example.com", "b@example.com", "Dots"
        message.set_content("before\n.\nafter")
        with client_for(server) as client:
            client.send_message(message)
        assert not check_lone_dot(server, True).skipped  # not in a classroom: judged

        monkeypatch.setenv(ENV_SERVER, "192.0.2.10:8025")
        for result in (
            check_bcc(client, server, "b@example.com"),
            check_lone_dot(server, True),
            check_vrfy_refused(client, "dhellmann", 252),
        ):
            assert result.skipped and not result.passed and not result.unanswered
            assert str(result).startswith(f"{SKIPPED_MARK} this ")
            assert "instructor" in str(result)
