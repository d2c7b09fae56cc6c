"""The README's Python examples run as printed (the ones that need no outside server)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

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
    with contextlib.redirect_stdout(out):
        exec(compile(example, "README example", "exec"), {})
    text = out.getvalue()
    assert text.startswith("250 True\n")
    assert "(RFC 5321 §4.1.1.4)" in text
    assert " -> RCPT TO:<recipient@example.com>" in text
    assert text.rstrip().endswith("('recipient@example.com',)")


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
