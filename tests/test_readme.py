"""The README's Python examples run as printed (the ones that need no outside server)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


def test_fifteen_line_example_runs_as_printed() -> None:
    [example] = [
        block
        for block in python_blocks()
        if "with DebugServer() as server:" in block and "client.ehlo()" in block
    ]
    assert len(example.strip().splitlines()) <= 15
    out = io.StringIO()
    names: dict[str, Any] = {}
    with contextlib.redirect_stdout(out):
        exec(compile(example, "README example", "exec"), names)
    step, client, server = names["step"], names["client"], names["server"]
    printed = out.getvalue().splitlines()
    # print(step.reply.code, step.ok)
    assert printed[0] == "250 True"
    # print(step.explain())
    explanation = str(step.explain()).splitlines()
    assert printed[1 : 1 + len(explanation)] == explanation
    assert explanation[0] == "data: DATA: The server answered 250: accepted."
    assert "(RFC 5321 §4.1.1.4)" in explanation[1]
    # print(client.transcript): every line sent, and the code of every reply, in order
    transcript = printed[1 + len(explanation) : -1]
    assert transcript == str(client.transcript).splitlines()
    assert [line for line in transcript if line.startswith(" -> ")] == [
        " -> EHLO localhost",
        " -> MAIL FROM:<author@example.com>",
        " -> RCPT TO:<recipient@example.com>",
        " -> DATA",
        " -> Subject: Hello",
        " -> ",
        " -> Hi from smtplearn.",
        " -> .",
        " -> QUIT",
    ]
    last_reply_lines = [line for line in transcript if re.match(r"<-  \d{3} ", line)]
    assert [line[4:7] for line in last_reply_lines] == ["220", "250", "250", "250", "354", "250", "221"]
    # print(server.mailbox[0].rcpt_tos), and what the mailbox holds
    assert printed[-1] == "('recipient@example.com',)"
    [received] = server.mailbox
    assert (received.mail_from, received.rcpt_tos) == ("author@example.com", ("recipient@example.com",))
    assert received.raw == b"Subject: Hello\r\n\r\nHi from smtplearn.\r\n"
    assert f"250 2.0.0 {received.queue_id} Message accepted" in transcript[-3]


def test_server_example_runs_as_printed() -> None:
    [example] = [block for block in python_blocks() if "server.inject(" in block]
    exec(compile(example, "README server example", "exec"), {})


def test_two_commands_are_the_ones_ci_runs() -> None:
    text = README.read_text(encoding="utf-8")
    commands = re.findall(r"```bash\n(.*?)\n```", text, re.DOTALL)
    assert len(commands) == 2
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()


def test_no_placeholder_is_left() -> None:
    text = README.read_text(encoding="utf-8")
    assert not re.search(r"^[A-Z][A-Z_]{5,}$", text, re.MULTILINE), "a placeholder line remains"
