"""The session log records how each client line ended, so a check can enforce CRLF (RFC 5321 §2.3.8)."""

from __future__ import annotations

from collections.abc import Callable

from smtplearn.server import DebugServer
from smtplearn.server.sessions import line_ending


def test_each_client_line_keeps_its_ending(server: DebugServer, raw: Callable[..., object]) -> None:
    peer = raw(server.address)
    peer.send(b"EHLO crlf.example\r\n")  # type: ignore[attr-defined]
    peer.reply()  # type: ignore[attr-defined]
    peer.send(b"NOOP\n")  # type: ignore[attr-defined]
    peer.reply()  # type: ignore[attr-defined]
    peer.command(b"QUIT")  # type: ignore[attr-defined]
    server.sessions[-1].wait_closed()
    endings = {e.text: e.ending for e in server.sessions[-1].events if e.direction == "C"}
    assert endings == {"EHLO crlf.example": "\r\n", "NOOP": "\n", "QUIT": "\r\n"}
    assert {e.ending for e in server.sessions[-1].events if e.direction != "C"} == {""}


def test_line_ending_names_crlf_bare_lf_and_none() -> None:
    assert [line_ending(b"A\r\n"), line_ending(b"A\n"), line_ending(b"A"), line_ending(b"A\r")] == [
        "\r\n",
        "\n",
        "",
        "",
    ]
