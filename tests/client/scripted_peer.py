"""A raw-socket server on 127.0.0.1 that answers with scripted bytes, however wrong they are.

Used to run the real smtplib and the facade against the same misbehaving server: each
connection gets the greeting, then one scripted reply per line the client sends (the
message content after a 354 counts as one line), then the server hangs up.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

#: A scripted "reply" that closes the connection (having read the line) instead of answering.
CLOSE = b"<close>"
#: A scripted "reply" that never answers: the server waits until the client hangs up.
SILENT = b"<silent>"


@dataclass
class ScriptedPeer:
    greeting: bytes
    replies: Sequence[bytes] = ()
    host: str = "127.0.0.1"
    port: int = 0
    #: What each connection sent, one entry per line (or message content) read.
    received: list[list[bytes]] = field(default_factory=list)


def _read_line(conn: socket.socket, terminator: bytes) -> bytes:
    data = b""
    while not data.endswith(terminator):
        byte = conn.recv(1)
        if not byte:
            break
        data += byte
    return data


def _play(conn: socket.socket, peer: ScriptedPeer, received: list[bytes]) -> None:
    with conn:
        if peer.greeting is SILENT:
            while conn.recv(4096):
                pass
            return
        conn.sendall(peer.greeting)
        previous = peer.greeting
        for reply in peer.replies:
            # After a 354 the client sends the message content, ended by "." alone on a line.
            line = _read_line(conn, b"\r\n.\r\n" if previous.startswith(b"354") else b"\r\n")
            if not line:
                return
            received.append(line)
            if reply is CLOSE:
                return
            if reply is SILENT:
                while conn.recv(4096):
                    pass
                return
            conn.sendall(reply)
            previous = reply
        conn.shutdown(socket.SHUT_WR)
        while conn.recv(4096):  # let the client read everything before the socket closes
            pass


@contextlib.contextmanager
def scripted_peer(greeting: bytes, replies: Sequence[bytes] = ()) -> Iterator[ScriptedPeer]:
    """Serve `greeting` and `replies` to every connection until the block ends."""
    listener = socket.create_server(("127.0.0.1", 0))
    peer = ScriptedPeer(greeting, replies, port=listener.getsockname()[1])
    threads: list[threading.Thread] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # the listener was closed: the test is over
                return
            received: list[bytes] = []
            peer.received.append(received)
            thread = threading.Thread(target=_serve, args=(conn, received), daemon=True)
            threads.append(thread)
            thread.start()

    def _serve(conn: socket.socket, received: list[bytes]) -> None:
        with contextlib.suppress(OSError):  # the client hung up first, as it may
            _play(conn, peer, received)

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield peer
    finally:
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() (Linux)
        listener.close()
        acceptor.join(10)
        for thread in threads:
            thread.join(10)
        assert not acceptor.is_alive() and not any(t.is_alive() for t in threads), "server still running"
