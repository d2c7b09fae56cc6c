"""`ServerState`: the settings and records one DebugServer shares with all its sessions.

The notebook's thread may change a setting (``server.vrfy = "refuse"``) while sessions run
on the server thread; each session reads the live value at the step that needs it.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from smtplearn.server.directory import VrfyMode
from smtplearn.server.faults import Faults
from smtplearn.server.limits import ConnectionLimits, ConnectionTable
from smtplearn.server.mailbox import Mailbox
from smtplearn.server.sessions import SessionLogs

if TYPE_CHECKING:
    from smtplearn.server.protocol import DebugSMTP


@dataclass
class ServerState:
    """Everything a session needs to know about its server."""

    #: The name in the greeting, the EHLO reply and the certificate.
    hostname: str
    users: Mapping[str, str]
    directory: Mapping[str, str]
    vrfy: VrfyMode
    size_limit: int
    maildir: str | None
    limits: ConnectionLimits
    faults: Faults
    #: Accept what the lessons teach against (see `smtplearn.server.strict`).
    lenient: bool = False
    #: Deliberate vulnerabilities, for the attack lesson (see `smtplearn.server.vulnerable`).
    vulnerable: frozenset[str] = frozenset()
    #: Extensions the EHLO reply leaves out (and whose MAIL parameters are then refused).
    withheld: frozenset[str] = frozenset()
    mailbox: Mailbox = field(default_factory=Mailbox)
    sessions: SessionLogs = field(default_factory=SessionLogs)
    #: Connections open right now (a STARTTLS session counts once); server thread only.
    connections: ConnectionTable[DebugSMTP] = field(default_factory=ConnectionTable)
    #: The address `DebugServer.start()` checks the server from: that connection is no session.
    start_up_check: tuple[str, int] | None = None
    #: Message bytes the sessions in DATA hold right now (`ConnectionLimits.max_receiving_bytes`).
    receiving_bytes: int = 0
    _queue_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_queue_id(self) -> str:
        """A short id for an accepted message, unique within this server."""
        return f"DS{next(self._queue_ids):05d}"
