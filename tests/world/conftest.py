from __future__ import annotations

from collections.abc import Iterator

import pytest

from smtplearn.world.nameserver import NameServer
from smtplearn.world.resolver import WorldResolver
from smtplearn.world.zone import Zone


@pytest.fixture
def zone() -> Zone:
    return Zone()


@pytest.fixture
def resolver(zone: Zone) -> Iterator[WorldResolver]:
    server = NameServer(zone).start()
    try:
        # Short: the timeout test waits this long once.
        yield WorldResolver(server.address, timeout=0.3)
    finally:
        server.stop()
