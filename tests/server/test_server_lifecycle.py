"""DebugServer start and stop: free ports, loopback only, clean shutdown, many at once."""

from __future__ import annotations

import gc
import os
import smtplib
import socket
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest

from smtplearn.server import DebugServer


def _open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def test_binds_loopback_on_a_free_port_and_greets_as_documented() -> None:
    with DebugServer() as server:
        assert server.host == "127.0.0.1"
        assert server.port > 0
        assert server.address == ("127.0.0.1", server.port)
        assert server.hostname == "mail.example.test"
        assert repr(server) == (
            f"<DebugServer mail.example.test at 127.0.0.1:{server.port}, STARTTLS, running>"
        )
        with smtplib.SMTP(*server.address, timeout=10) as client:
            code, text = client.ehlo("localhost.local")
            assert code == 250
            assert text.decode().splitlines()[0] == (
                "mail.example.test Hello localhost.local [127.0.0.1], pleased to meet you"
            )
    assert not server.running


def test_greeting_line(server: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    peer = raw(server.address, greeting=False)
    assert peer.reply() == (220, ["mail.example.test ESMTP smtplearn DebugServer"])


def test_the_start_up_check_connection_is_not_a_session(server: DebugServer) -> None:
    assert len(server.sessions) == 0
    with smtplib.SMTP(*server.address, timeout=10) as client:
        client.noop()
    assert [s.number for s in server.sessions] == [1]


def test_custom_hostname_appears_in_greeting() -> None:
    with (
        DebugServer(hostname="smtp.school.test") as server,
        smtplib.SMTP(*server.address, timeout=10) as client,
    ):
        assert client.ehlo("pc")[1].decode().startswith("smtp.school.test Hello pc [127.0.0.1]")


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::", "example.org"])
def test_refuses_non_loopback_addresses(host: str) -> None:
    with pytest.raises(ValueError, match=r"loopback.*allow_remote=True"):
        DebugServer(host)


def test_allows_ipv6_loopback_and_localhost() -> None:
    DebugServer("localhost")  # accepted; not started
    try:
        server = DebugServer("::1").start()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with server, smtplib.SMTP("::1", server.port, timeout=10) as client:
        assert client.noop()[0] == 250


def test_allow_remote_lets_any_address_through() -> None:
    with DebugServer("0.0.0.0", allow_remote=True) as server:
        assert server.host == "0.0.0.0"
        assert len(server.sessions) == 0  # start()'s check, from 127.0.0.1, is no session
        with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as client:
            assert client.noop()[0] == 250


def test_bad_settings_are_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="tls must be"):
        DebugServer(tls="ssl")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="vrfy must be"):
        DebugServer(vrfy="maybe")  # type: ignore[arg-type]


def test_start_twice_is_an_error_and_stop_twice_is_fine() -> None:
    server = DebugServer().start()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            server.start()
    finally:
        server.stop()
    server.stop()


def test_can_start_again_after_stop() -> None:
    server = DebugServer()
    for _ in range(2):
        with server, smtplib.SMTP(*server.address, timeout=10) as client:
            assert client.noop()[0] == 250


def test_stop_leaves_no_thread_socket_file_or_resource_warning(tmp_path) -> None:  # type: ignore[no-untyped-def]
    gc.collect()
    threads_before = set(threading.enumerate())
    fds_before = _open_fds()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        server = DebugServer(maildir=str(tmp_path / "mail")).start()
        address, ca_path = server.address, server.ca_pem_path
        # One finished session, one left open over TLS, one left open mid-DATA.
        with smtplib.SMTP(*address, timeout=10) as client:
            client.sendmail("a@example.com", ["b@example.com"], b"Subject: x\r\n\r\nbody\r\n")
        tls_client = smtplib.SMTP(*address, timeout=10)
        tls_client.starttls(context=server.client_tls_context())
        tls_client.noop()
        data_client = smtplib.SMTP(*address, timeout=10)
        data_client.ehlo()
        data_client.mail("a@example.com")
        data_client.rcpt("b@example.com")
        data_client.putcmd("data")
        assert data_client.getreply()[0] == 354
        server.stop()
        for client in (tls_client, data_client):
            client.close()
        del server, client, tls_client, data_client
        gc.collect()
    assert set(threading.enumerate()) == threads_before
    assert _open_fds() == fds_before
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert not os.path.exists(ca_path)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(address, timeout=10)


@pytest.mark.slow
def test_thirty_servers_start_at_once_on_distinct_ports() -> None:
    barrier = threading.Barrier(30)

    def start() -> DebugServer:
        server = DebugServer()
        barrier.wait()
        return server.start()

    with ThreadPoolExecutor(30) as pool:
        servers = list(pool.map(lambda _: start(), range(30)))
    try:
        assert len({s.port for s in servers}) == 30
        # Each answers on its own port with its own CA.
        for server in servers:
            with smtplib.SMTP(*server.address, timeout=10) as client:
                client.starttls(context=server.client_tls_context())
                client.sendmail("a@example.com", [f"port{server.port}@example.com"], b"x\r\n")
        for server in servers:
            assert [m.rcpt_tos for m in server.mailbox] == [(f"port{server.port}@example.com",)]
    finally:
        for server in servers:
            server.stop()


def test_ca_file_is_written_only_when_asked_for() -> None:
    with DebugServer() as server:
        server.client_tls_context()
        assert server._ca is not None and server._ca._dir is None
        path = server.ca_pem_path
        assert os.path.exists(path) and server.ca_pem_path == path
    assert not os.path.exists(path)
