"""LatencyProxy relays real TCP connections both ways and stops cleanly (no timing asserted)."""

from __future__ import annotations

import socket
import threading

from smtplearn.server.latency import LatencyProxy


def _upper_echo(listener: socket.socket) -> None:
    conn, _ = listener.accept()
    with conn:
        while data := conn.recv(1024):
            conn.sendall(data.upper())


def test_bytes_pass_both_ways_in_order() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        echo = threading.Thread(target=_upper_echo, args=(listener,), daemon=True)
        echo.start()
        with LatencyProxy(listener.getsockname()[:2], delay=0.01) as proxy:
            assert proxy.port != listener.getsockname()[1]
            with socket.create_connection((proxy.host, proxy.port), timeout=5) as client:
                # Three writes before reading anything: a pipelined client's pattern.
                for part in (b"mail\r\n", b"rcpt\r\n", b"data\r\n"):
                    client.sendall(part)
                received = b""
                while len(received) < 18:
                    received += client.recv(1024)
                assert received == b"MAIL\r\nRCPT\r\nDATA\r\n"
                client.shutdown(socket.SHUT_WR)
                assert client.recv(1024) == b""  # the server's close reaches the client
        echo.join(5)
        assert not echo.is_alive()


def test_stop_closes_the_listener() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        proxy = LatencyProxy(listener.getsockname()[:2], delay=0.0).start()
        port = proxy.port
        proxy.stop()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        except ConnectionRefusedError:
            pass
        else:
            raise AssertionError("the proxy still accepts connections after stop()")


def test_a_proxy_used_all_afternoon_does_not_keep_every_connection() -> None:
    # A lab re-run many times: finished connections are forgotten, not listed for ever.
    import smtplib

    from smtplearn.server import DebugServer

    with DebugServer(tls=False) as server, LatencyProxy(server.address, delay=0.0) as proxy:
        for _ in range(30):
            with smtplib.SMTP(proxy.host, proxy.port, timeout=10) as client:
                client.noop()
        # What a proxy tracks is its own; the test reads it only to count.
        assert len(proxy._sockets) < 10 and len(proxy._threads) < 10
