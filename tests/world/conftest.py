from __future__ import annotations

from collections.abc import Iterator

import pytest

from smtplearn.world.clock import ManualClock
from smtplearn.world.nameserver import NameServer
from smtplearn.world.queue import RetrySchedule
from smtplearn.world.resolver import WorldResolver
from smtplearn.world.world import World
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


@pytest.fixture
def world() -> Iterator[World]:
    """The lessons' world with a clock that moves only when told (retries never wait)."""
    with World.standard(clock=ManualClock(), retry=RetrySchedule((300.0, 900.0)), dns_timeout=0.3) as built:
        yield built
