from __future__ import annotations

from collections.abc import Iterator

import pytest

from smtplearn.world.clock import ManualClock
from smtplearn.world.nameserver import NameServer
from smtplearn.world.queue import RetrySchedule
from smtplearn.world.resolver import WorldResolver
from smtplearn.world.world import World
from smtplearn.world.zone import Zone

#: A lookup the tests make time out waits this long; lookups that answer never come close,
#: even on a shared 2-core machine under load (0.3 s did not always suffice there).
DNS_TEST_TIMEOUT = 2.0


@pytest.fixture
def zone() -> Zone:
    return Zone()


@pytest.fixture
def resolver(zone: Zone) -> Iterator[WorldResolver]:
    server = NameServer(zone).start()
    try:
        # Short, as the timeout test waits this long, yet long enough for a loaded machine.
        yield WorldResolver(server.address, timeout=DNS_TEST_TIMEOUT)
    finally:
        server.stop()


@pytest.fixture
def world() -> Iterator[World]:
    """The lessons' world with a clock that moves only when told (retries never wait)."""
    with World.standard(
        clock=ManualClock(), retry=RetrySchedule((300.0, 900.0)), dns_timeout=DNS_TEST_TIMEOUT
    ) as built:
        yield built
