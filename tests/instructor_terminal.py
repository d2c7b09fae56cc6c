"""The instructor's ``smtplearn server`` in a process of its own, with everything it prints.

Shared by the classroom-mode tests (`tests/notebooks/test_classroom_mode.py`) and the
JupyterHub tests (`tests/hub`): both point students' lessons at one real server.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO


@dataclass
class Terminal:
    """A running ``smtplearn server`` and every line it printed so far."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    banner_read: threading.Event = field(default_factory=threading.Event)

    def read(self, stdout: IO[str]) -> None:
        for line in stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith("Press Ctrl-C"):
                self.banner_read.set()
        self.banner_read.set()  # the process ended: stop waiting either way

    def setting(self, pattern: str) -> str:
        match = next(m for line in self.lines if (m := re.search(pattern, line)))
        return match.group(1)


@contextmanager
def instructor_server(
    options: Sequence[str] = (), *, env: dict[str, str] | None = None, patience: float = 60
) -> Iterator[Terminal]:
    """``smtplearn server --port 0 OPTIONS`` until the block ends, then Ctrl-C; it must exit 0."""
    process = subprocess.Popen(
        [sys.executable, "-m", "smtplearn.cli", "server", "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    terminal = Terminal(process)
    reader = threading.Thread(target=terminal.read, args=(process.stdout,), daemon=True)
    reader.start()
    assert terminal.banner_read.wait(patience) and process.poll() is None, terminal.lines
    yield terminal
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=patience) == 0, terminal.lines[-20:]
    reader.join(timeout=30)
