"""``smtplearn server`` never lets a client write control sequences into the instructor's terminal.

Real sessions over raw sockets put ESC, BEL, CR, OSC (window title, OSC 52 clipboard), CSI
(clear screen) and C1 controls (U+0080–U+009F, UTF-8 encoded and as raw bytes) everywhere the
console shows wire text: commands, refused commands, AUTH, HELO names, addresses, headers and
bodies. The console's whole output must hold none of them, only their visible escapes.
"""

from __future__ import annotations

import re
import socket
import subprocess
from collections.abc import Iterator

import pytest
from test_server_console import Console

from smtplearn.protocol.visible import visible

TITLE = b"\x1b]0;pwned\x07"
CLIPBOARD = b"\x1b]52;c;ZWNobyBwd25lZA==\x07"
CLEAR = b"\x1b[2J\x1b[H"
C1_CSI = "\u009b2J".encode()  # the one-character CSI, UTF-8 encoded
C1_OSC = "\u009d0;pwned\u009c".encode()
# What a terminal would act on: C0 controls but TAB and LF, DEL, C1 controls, and the
# format characters that reorder text (the same set smtplearn.protocol.visible escapes).
ACTIVE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def console() -> Iterator[Console]:
    """``smtplearn server --no-tls --plain-auth``, banner read; stopped after the test."""
    running = Console("--no-tls", "--plain-auth")
    running.read_until("Press Ctrl-C")
    yield running
    if running.process.poll() is None:
        running.process.terminate()
        try:
            running.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            running.process.kill()
    running.stdout.close()
    running.process.stderr.close()  # type: ignore[union-attr]


def _session(port: int, lines: list[bytes]) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        reader = sock.makefile("rb")
        reader.readline()
        for line in lines:
            sock.sendall(line + b"\r\n")
            while (reply := reader.readline())[3:4] == b"-":
                pass
            if not reply:
                break
        reader.close()


@pytest.mark.timeout(120)
def test_wire_text_is_printed_escaped_everywhere(console: Console) -> None:
    server = console
    _session(
        server.port,
        [
            b"EHLO pc" + C1_CSI + C1_OSC,  # accepted: the name is echoed in the reply
            b"HELO " + TITLE,  # refused for its control characters, but logged
            CLEAR + b"FROB",  # an unknown verb, echoed in the 500 reply
            b"NOOP\rspoofed line",  # a bare CR would rewrite the printed line
            b"AUTH " + CLIPBOARD,
            b"AUTH PLAIN " + CLIPBOARD + b" x",
            b"VRFY " + TITLE + b"\xc2\x85",  # C1 NEL
            b"NOOP \x9b2J",  # a C1 byte that is not UTF-8 at all
            b"QUIT",
        ],
    )
    server.read_until("S: 221 ")
    body = (
        b"Subject: " + TITLE + C1_OSC + b"\r\n"
        b"X-Clip: " + CLIPBOARD + b"\r\n\r\n"
        b"hello " + CLEAR + b"\x07\x07 " + C1_CSI + b" \xe2\x80\xae reversed\r\n"
    )
    _session(
        server.port,
        [
            b"EHLO pc",
            b"MAIL FROM:<\xc2\x9b2J@example.com> SMTPUTF8 BODY=8BITMIME",
            b"RCPT TO:<to" + C1_CSI + b"@example.com>",
            b"DATA",
            body + b".",
            b"QUIT",
        ],
    )
    server.read_until("end of message DS00001")
    server.read_until("S: 221 ")
    assert server.interrupt() == 0
    printed = "\n".join(server.lines)
    assert ACTIVE.findall(printed) == []
    # Each was shown, as its visible escape (so this test cannot pass by printing nothing).
    for sent in (TITLE, CLIPBOARD, CLEAR, C1_CSI, C1_OSC, b"\r"):
        assert visible(sent.decode()) in printed
    assert "\\x9b2J" in printed
    assert "\\u202e reversed" in printed
