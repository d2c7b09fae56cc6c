"""The world's routing table: world addresses to loopback ports, and back for SPF.

See `smtplearn.world.world` for why a notebook's world needs one: its hosts listen on
loopback ports the operating system picked, not on port 25 of their own addresses.
"""

from __future__ import annotations

import threading

#: Where connections the world did not make come from (TEST-NET-3, RFC 5737).
OUTSIDE_ADDRESS = "203.0.113.7"


class RoutingTable:
    """``(address, port)`` to the loopback port that serves it; a relay's source port to its host.

    Thread-safe: servers and the queue runner read it while the notebook builds the map.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: dict[tuple[str, int], int] = {}
        self._outgoing: dict[int, str] = {}

    def add(self, address: str, port: int, loopback_port: int) -> None:
        with self._lock:
            self._routes[(address, port)] = loopback_port

    def route(self, address: str, port: int) -> tuple[str, int] | None:
        """Where on loopback ``address:port`` of the world listens, or None if nothing does."""
        with self._lock:
            loopback_port = self._routes.get((address, port))
        return None if loopback_port is None else ("127.0.0.1", loopback_port)

    def connecting(self, source_port: int, address: str) -> None:
        """A relay is about to connect from loopback `source_port` as the world host `address`."""
        with self._lock:
            self._outgoing[source_port] = address

    def disconnected(self, source_port: int) -> None:
        with self._lock:
            self._outgoing.pop(source_port, None)

    def address_of_peer(self, peer: tuple[str, int]) -> str:
        """The world address of a connection's client (`OUTSIDE_ADDRESS` if not a relay's)."""
        with self._lock:
            return self._outgoing.get(peer[1], OUTSIDE_ADDRESS)
