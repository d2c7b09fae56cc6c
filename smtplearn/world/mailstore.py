"""The world's mailboxes: what each address has received, shared by a domain's MX hosts."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from smtplearn.world.hosts import DeliveredMessage


class MailStore:
    """Mailbox address (lower case) to the messages delivered to it, oldest first. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mailboxes: dict[str, list[DeliveredMessage]] = {}

    def open(self, addresses: Iterable[str]) -> None:
        with self._lock:
            for address in addresses:
                self._mailboxes.setdefault(address.lower(), [])

    def inbox(self, address: str) -> list[DeliveredMessage]:
        """Messages delivered to `address`, oldest first."""
        with self._lock:
            if address.lower() in self._mailboxes:
                return list(self._mailboxes[address.lower()])
        raise KeyError(f"no mailbox {address!r} in this world (mailboxes: {', '.join(self.addresses())})")

    def addresses(self) -> list[str]:
        """Every mailbox address, sorted."""
        with self._lock:
            return sorted(self._mailboxes)

    def has(self, address: str) -> bool:
        with self._lock:
            return address.lower() in self._mailboxes

    def remove(self, address: str) -> None:
        """Close a mailbox: mail to it now bounces with 550 5.1.1."""
        with self._lock:
            del self._mailboxes[address.lower()]

    def store(self, message: DeliveredMessage) -> None:
        # A domain's MX hosts share one mail store, as a real site's MX hosts do.
        with self._lock:
            self._mailboxes.setdefault(message.recipient, []).append(message)
