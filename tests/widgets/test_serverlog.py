"""ServerLogView against a real DebugServer and a real raw socket."""

from __future__ import annotations

import socket

import pytest

from smtplearn.server import DebugServer
from smtplearn.widgets import ServerLogView


def _read(sock: socket.socket) -> tuple[int, str]:
    """Exactly one reply, read byte by byte so a reply that arrived behind it stays unread."""
    lines: list[str] = []
    while not lines or lines[-1][3:4] == "-":
        line = b""
        while not line.endswith(b"\r\n"):
            byte = sock.recv(1)
            assert byte, "the server closed the connection"
            line += byte
        lines.append(line[:-2].decode())
    return int(lines[-1][:3]), "\n".join(line[4:] for line in lines)


def test_the_pane_follows_the_socket_live_and_marks_a_bare_lf() -> None:
    with DebugServer(lenient=True) as server:
        pane = ServerLogView(server)
        assert repr(pane) == "ServerLogView: no session yet"
        with socket.create_connection(server.address, timeout=10) as sock:
            _read(sock)
            sock.sendall(b"EHLO student.example\r\n")
            _read(sock)
            # The listener refreshed the pane without any button press.
            assert "EHLO student.example" in pane.log_html.value
            assert "220 " in pane.log_html.value and "smtplearn-marked" not in pane.log_html.value
            sock.sendall(b"MAIL FROM:<a@example.test>\n")
            _read(sock)
            sock.sendall(b"QUIT\r\n")
            _read(sock)
        server.sessions[-1].wait_closed()
        pane.refresh_button.click()
        shown = pane.log_html.value
        assert shown.count("smtplearn-marked") == 1
        assert "bare LF" in shown and "RFC 5321 §2.3.8" in shown
        marked = shown[shown.index('class="smtplearn-marked"') :]
        assert marked.index("MAIL FROM") < marked.index("</tr>")
        assert repr(pane) == f"ServerLogView: session #{server.sessions[-1].number}"


def test_a_missing_greeting_read_is_marked_on_the_greeting(server: DebugServer) -> None:
    pane = ServerLogView(server)
    with socket.create_connection(server.address, timeout=10) as sock:
        # Step 1 forgot to read; step 2 reads the greeting instead of the EHLO reply.
        sock.sendall(b"EHLO student.example\r\n")
        late = _read(sock)
        assert late[0] == 220
        _read(sock)  # the EHLO reply, still waiting
        pane.note_read(2, late)
    shown = pane.log_html.value
    assert shown.count("smtplearn-marked") == 1
    assert "never read in its own step: step 2 read it" in shown and "Read the greeting in step 1" in shown
    marked = shown[shown.index('class="smtplearn-marked"') :]
    assert "(connection opened)" in marked[: marked.index("</tr>")]


def test_a_right_read_marks_nothing_and_old_sessions_are_ignored(server: DebugServer) -> None:
    with socket.create_connection(server.address, timeout=10) as before:
        _read(before)
    pane = ServerLogView(server)
    pane.refresh_button.click()
    assert "No connection yet" in pane.log_html.value
    with socket.create_connection(server.address, timeout=10) as sock:
        pane.note_read(1, _read(sock))
        sock.sendall(b"EHLO student.example\r\n")
        pane.note_read(2, _read(sock))
    assert "smtplearn-marked" not in pane.log_html.value
    assert "EHLO student.example" in pane.log_html.value


def test_the_pane_needs_a_server_here(server: DebugServer) -> None:
    with pytest.raises(ValueError, match="needs a DebugServer running in this kernel"):
        ServerLogView(server.address)


def test_a_re_run_cell_replaces_the_pane_and_its_listener(server: DebugServer) -> None:
    # A learner re-runs the cell five times: one listener remains, and only the newest pane
    # follows the server; the old ones stop updating (and can be freed).
    first = ServerLogView(server)
    with socket.create_connection(server.address, timeout=10) as open_before:
        _read(open_before)
        open_before.sendall(b"EHLO before.example\r\n")
        _read(open_before)
        assert "EHLO before.example" in first.log_html.value
        panes = [first, *(ServerLogView(server) for _ in range(4))]
        assert len(server.sessions._listeners) == 1
        # The session that was open when `first` was replaced no longer refreshes it either.
        open_before.sendall(b"NOOP\r\n")
        _read(open_before)
        assert all(len(session._listeners) <= 1 for session in server.sessions)
    assert "NOOP" not in first.log_html.value
    with socket.create_connection(server.address, timeout=10) as sock:
        _read(sock)
        sock.sendall(b"EHLO after.example\r\n")
        _read(sock)
    assert "EHLO after.example" in panes[-1].log_html.value
    for old in panes[:-1]:
        assert "EHLO after.example" not in old.log_html.value


def test_closing_the_pane_removes_its_listener(server: DebugServer) -> None:
    pane = ServerLogView(server)
    pane.close()
    assert server.sessions._listeners == []
    with socket.create_connection(server.address, timeout=10) as sock:
        _read(sock)
        sock.sendall(b"EHLO closed.example\r\n")
        _read(sock)
    assert "EHLO closed.example" not in pane.log_html.value
