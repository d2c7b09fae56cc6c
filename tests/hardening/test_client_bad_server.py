"""The smtplearn Client against misbehaving servers: a scripted raw-socket server per case.

Each case must end in a clear smtplearn exception (never a hang, never some other
exception type), and a server that sends without end must not make the client's memory
grow with it. "No hang" is checked with a generous wall-clock bound (timeout + 5 s): it is a
hang guard, not a benchmark.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import trustme

from smtplearn.client import Client
from smtplearn.protocol.errors import RemoteProtocolError, SMTPLearnError
from smtplearn.transport import ConnectionClosedError, SMTPTimeoutError, TLSError

Script = Callable[[socket.socket], None]

#: What the scripted server may send in all before giving up on a client that keeps reading.
STREAM_CAP = 32 * 1024 * 1024
#: The most the client may allocate while a server streams without end (its limits are 64 KiB).
MEMORY_BOUND = 2 * 1024 * 1024
TIMEOUT = 1.0
HANG_GUARD = TIMEOUT + 5.0


class ScriptedServer:
    """Accept one connection on 127.0.0.1 and play `script` on it in a thread."""

    def __init__(self, script: Script) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._script = script
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._listener.close()
        self._thread.join(HANG_GUARD)
        assert not self._thread.is_alive(), "the scripted server did not finish"

    def _serve(self) -> None:
        self._listener.settimeout(HANG_GUARD)
        try:
            conn, _ = self._listener.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(HANG_GUARD)
            # OSError: the client hung up on us, as it should.
            with contextlib.suppress(OSError):
                self._script(conn)


def read_line(conn: socket.socket) -> bytes:
    """One CRLF-terminated line from the client (byte by byte: scripts stay simple)."""
    line = b""
    while not line.endswith(b"\r\n"):
        byte = conn.recv(1)
        if not byte:
            break
        line += byte
    return line


def wait_for_close(conn: socket.socket) -> None:
    while conn.recv(4096):
        pass


def stream(conn: socket.socket, first: bytes, chunk: bytes) -> None:
    conn.sendall(first)
    sent = len(first)
    while sent < STREAM_CAP:
        conn.sendall(chunk)
        sent += len(chunk)


@contextmanager
def scripted(script: Script, **client_options: Any) -> Iterator[Client]:
    with ScriptedServer(script) as server:
        client = Client("127.0.0.1", server.port, timeout=TIMEOUT, **client_options)
        try:
            yield client
        finally:
            client.close()


def fails_cleanly(call: Callable[[], object], expected: type[SMTPLearnError]) -> SMTPLearnError:
    """Run `call`; it must raise `expected` promptly and without a memory spike."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(expected) as raised:
            call()
    finally:
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < HANG_GUARD, f"took {elapsed:.1f} s: the client hung"
    assert peak < MEMORY_BOUND, f"the client allocated {peak:,} bytes"
    assert str(raised.value), "the exception must say what went wrong"
    return raised.value


def greet_then(script: Script) -> Script:
    """Send a proper greeting and EHLO reply, then play `script`."""

    def run(conn: socket.socket) -> None:
        conn.sendall(b"220 scripted.example ESMTP\r\n")
        read_line(conn)
        conn.sendall(b"250-scripted.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
        script(conn)

    return run


# -- garbage and impossible replies ------------------------------------------------------


@pytest.mark.parametrize(
    "greeting",
    [
        pytest.param(b"HELLO I AM NOT SMTP\r\n", id="garbage"),
        pytest.param(b"999 nine nine nine\r\n", id="code-999"),
        pytest.param(b"100 too low\r\n", id="code-100"),
        pytest.param(b"2\xff0 not a number\r\n", id="non-ascii-code"),
        pytest.param(b"22 short\r\n", id="two-digit-code"),
        pytest.param(b"220-first line\r\n250 mixed codes\r\n", id="mixed-codes"),
        pytest.param(b"220_bad separator\r\n", id="bad-separator"),
    ],
)
def test_garbage_greeting(greeting: bytes) -> None:
    def script(conn: socket.socket) -> None:
        conn.sendall(greeting)
        wait_for_close(conn)

    with scripted(script) as client:
        fails_cleanly(client.connect, RemoteProtocolError)


def test_multiline_reply_that_never_ends() -> None:
    def script(conn: socket.socket) -> None:
        stream(conn, b"", b"220-and there is more\r\n" * 1000)

    with scripted(script) as client:
        fails_cleanly(client.connect, RemoteProtocolError)


def test_reply_line_of_100_kilobytes() -> None:
    def script(conn: socket.socket) -> None:
        conn.sendall(b"220 " + b"x" * 100_000 + b"\r\n")
        wait_for_close(conn)

    with scripted(script) as client:
        fails_cleanly(client.connect, RemoteProtocolError)


def test_line_without_end_streaming_forever() -> None:
    def script(conn: socket.socket) -> None:
        stream(conn, b"220 ", b"y" * 65536)

    with scripted(script) as client:
        fails_cleanly(client.connect, RemoteProtocolError)


def test_huge_reply_to_ehlo_after_a_good_greeting() -> None:
    def script(conn: socket.socket) -> None:
        conn.sendall(b"220 scripted.example ESMTP\r\n")
        read_line(conn)
        stream(conn, b"", b"250-AN-EXTENSION-THAT-NEVER-ENDS\r\n" * 1000)

    with scripted(script) as client:
        client.connect()
        fails_cleanly(client.ehlo, RemoteProtocolError)


# -- silence and hang-ups ----------------------------------------------------------------


def test_silence_at_the_greeting() -> None:
    with scripted(wait_for_close) as client:
        error = fails_cleanly(client.connect, SMTPTimeoutError)
    assert "127.0.0.1" in str(error)


def test_silence_after_ehlo() -> None:
    def script(conn: socket.socket) -> None:
        conn.sendall(b"220 scripted.example ESMTP\r\n")
        wait_for_close(conn)

    with scripted(script) as client:
        client.connect()
        fails_cleanly(client.ehlo, SMTPTimeoutError)


def test_silence_in_the_middle_of_a_multiline_reply() -> None:
    def script(conn: socket.socket) -> None:
        conn.sendall(b"220-one\r\n220-two\r\n")
        wait_for_close(conn)

    with scripted(script) as client:
        fails_cleanly(client.connect, SMTPTimeoutError)


def test_hang_up_at_once() -> None:
    with scripted(lambda conn: None) as client:
        fails_cleanly(client.connect, ConnectionClosedError)


def test_hang_up_in_the_middle_of_a_reply() -> None:
    def script(conn: socket.socket) -> None:
        conn.sendall(b"220-the first line of two\r\n")

    with scripted(script) as client:
        fails_cleanly(client.connect, ConnectionClosedError)


def test_hang_up_while_waiting_for_the_data_reply() -> None:
    def script(conn: socket.socket) -> None:
        conn.sendall(b"220 scripted.example ESMTP\r\n")
        read_line(conn)
        conn.sendall(b"250 scripted.example\r\n")
        for reply in (b"250 ok\r\n", b"250 ok\r\n", b"354 go ahead\r\n"):
            read_line(conn)
            conn.sendall(reply)
        while read_line(conn) not in (b".\r\n", b""):
            pass

    with scripted(script) as client:
        client.connect()
        client.ehlo()
        client.mail("a@example.test")
        client.rcpt("b@example.test")
        fails_cleanly(lambda: client.data("Subject: x\r\n\r\nbody\r\n"), ConnectionClosedError)


# -- TLS ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def server_context(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    return context


def client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def starttls_with(context: ssl.SSLContext, after_220: bytes = b"") -> Script:
    def script(conn: socket.socket) -> None:
        read_line(conn)  # STARTTLS
        conn.sendall(b"220 2.0.0 go ahead\r\n" + after_220)
        try:
            tls = context.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            return  # the client refused the handshake
        with tls:
            while line := read_line(tls):
                if line.upper().startswith(b"EHLO"):
                    tls.sendall(b"250-protected.example\r\n250 AUTH PLAIN\r\n")
                elif line.upper().startswith(b"QUIT"):
                    tls.sendall(b"221 bye\r\n")
                    return

    return greet_then(script)


def test_cleartext_after_starttls_220_is_never_read_as_protected(ca: trustme.CA) -> None:
    injected = b"250-injected.example\r\n250 AUTH PLAIN LOGIN\r\n"
    with scripted(starttls_with(server_context(ca, "127.0.0.1"), injected)) as client:
        client.connect()
        client.ehlo()
        try:
            step = client.starttls(client_context(ca))
        except TLSError:
            return  # the stray bytes reached the handshake and broke it: also safe
        assert step.details.get("discarded_cleartext_bytes") == str(len(injected))
        reply = client.ehlo().reply
        assert reply is not None and b"injected" not in reply.raw
        assert reply.lines[0] == "protected.example"


def test_starttls_to_a_certificate_from_an_unknown_ca(ca: trustme.CA) -> None:
    stranger = trustme.CA()
    with scripted(starttls_with(server_context(stranger, "127.0.0.1"))) as client:
        client.connect()
        client.ehlo()
        error = fails_cleanly(lambda: client.starttls(client_context(ca)), TLSError)
    assert "verif" in str(error)


def test_starttls_to_a_certificate_for_another_name(ca: trustme.CA) -> None:
    with scripted(starttls_with(server_context(ca, "elsewhere.example"))) as client:
        client.connect()
        client.ehlo()
        error = fails_cleanly(lambda: client.starttls(client_context(ca)), TLSError)
    assert "verif" in str(error)


@pytest.mark.parametrize("names", [("127.0.0.1",), ("elsewhere.example",)], ids=["unknown-ca", "wrong-name"])
def test_implicit_tls_refuses_an_untrusted_certificate(ca: trustme.CA, names: tuple[str, ...]) -> None:
    issuer = trustme.CA() if names == ("127.0.0.1",) else ca
    context = server_context(issuer, *names)

    def script(conn: socket.socket) -> None:
        with context.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(b"220 never seen\r\n")

    with scripted(script, implicit_tls=True, tls_context=client_context(ca)) as client:
        fails_cleanly(client.connect, TLSError)


def test_a_trusted_certificate_works_so_the_cases_above_can_fail(ca: trustme.CA) -> None:
    with scripted(starttls_with(server_context(ca, "127.0.0.1"))) as client:
        client.connect()
        client.ehlo()
        assert client.starttls(client_context(ca)).ok
        assert client.tls_active
        assert client.ehlo().ok
        client.quit()
