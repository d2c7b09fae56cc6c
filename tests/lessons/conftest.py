"""Real DebugServers for the checks of lessons 04–07, cleared before each test that uses one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from smtplearn.server import DebugServer


@pytest.fixture(scope="module")
def plain_server() -> Iterator[DebugServer]:
    with DebugServer(tls=False) as running:
        yield running


@pytest.fixture(scope="module")
def tls_server() -> Iterator[DebugServer]:
    with DebugServer() as running:
        yield running


@pytest.fixture
def server(plain_server: DebugServer) -> DebugServer:
    """The module's server without TLS, with no faults, no mail and no sessions left over."""
    plain_server.faults.clear()
    plain_server.mailbox.clear()
    plain_server.sessions.clear()
    return plain_server
