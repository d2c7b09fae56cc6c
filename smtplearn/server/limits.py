"""How many sessions the DebugServer holds, from where, and how long one may sit idle.

RFC 5321 §4.5.3.2.7 asks a server to wait at least 5 minutes for a client's next command.
That is right under normal load, and it is how 100 connections that send nothing could lock
a whole class out for 5 minutes. Real servers keep the patience and add two defences, as
Postfix does with ``smtpd_timeout = ${stress?10}{300}`` and its anvil service:

- a cap on the sessions one client address may hold, besides the cap on all sessions
  (a connection over either cap is told why with ``421 4.7.0`` and closed);
- when the open sessions approach a cap (`STRESS_SHARE` of it), the sessions that cap
  covers may idle only `stress_timeout` seconds instead of `idle_timeout`.

A session that idles too long is told so with ``421 4.4.2`` before the server closes it
(RFC 3463: X.4.2 "bad connection"), never dropped silently. What counts as activity is a
complete line: a client that drips one byte a minute, or stops in the middle of DATA, is idle.

Only plain bookkeeping lives here; `smtplearn.server.protocol` applies it to a session.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

#: Share of a cap at which the server counts as under stress and idle sessions get short shrift.
STRESS_SHARE = 0.8
#: Recipients one message may have. RFC 5321 §4.5.3.1.8: a server must take at least 100, and
#: one that takes fewer than are sent refuses the extra ones (452, §4.5.3.1.10) instead of
#: keeping an endless list: a million RCPT commands would otherwise all be kept in memory.
MAX_RECIPIENTS = 1000
TOO_MANY_RECIPIENTS = (
    f"452 4.5.3 Too many recipients: at most {MAX_RECIPIENTS} per message (RFC 5321 §4.5.3.1.10)"
)

Session = TypeVar("Session")


@dataclass(frozen=True)
class ConnectionLimits:
    """The DebugServer's connection settings (each is a `DebugServer` argument of the same name).

    The defaults suit a class sharing one server: room for a class of 300 sending at the same
    moment, all of them behind one NAT address if need be (a lab, a campus Wi-Fi, a JupyterHub
    on one machine, whose kernels all connect from 127.0.0.1), with RFC 5321's 5 minutes of
    patience until the server fills up, and Postfix's 10 seconds when it nearly has. One
    address still cannot take every place: 100 stay for everyone else.
    """

    #: Sessions open at once, from everyone.
    max_sessions: int = 400
    #: Sessions open at once from one client address (a class behind NAT shares one).
    max_sessions_per_address: int = 300
    #: Seconds a session may go without sending a complete line, under normal load.
    idle_timeout: float = 300.0
    #: Seconds it may idle while its sessions fill `STRESS_SHARE` of a cap.
    stress_timeout: float = 10.0
    #: Message bytes being received at once, by every session together. Each session may send
    #: up to the SIZE limit; without this, 300 sessions uploading at once could hold gigabytes.
    max_receiving_bytes: int = 256 * 1024 * 1024

    def __post_init__(self) -> None:
        for name in (
            "max_sessions",
            "max_sessions_per_address",
            "idle_timeout",
            "stress_timeout",
            "max_receiving_bytes",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"{name} must be a positive number, not {value!r}")

    def refusal(self, hostname: str, address: str, total: int, from_address: int) -> str | None:
        """The 421 reply for a new session that makes `total` (`from_address` from its address), or None."""
        if total > self.max_sessions:
            return f"421 4.7.0 {hostname} Too many concurrent sessions, try again later"
        if from_address > self.max_sessions_per_address:
            return (
                f"421 4.7.0 {hostname} Too many concurrent sessions from {address} "
                f"(at most {self.max_sessions_per_address}), try again later"
            )
        return None

    def allowed_idle(self, total: int, from_address: int) -> float:
        """Seconds a session may idle now, given the sessions open (in all and from its address)."""
        stressed = (
            total >= STRESS_SHARE * self.max_sessions
            or from_address >= STRESS_SHARE * self.max_sessions_per_address
        )
        return min(self.stress_timeout, self.idle_timeout) if stressed else self.idle_timeout

    def receiving_refusal(self, hostname: str) -> str:
        """What a session is told when its message would take the server over `max_receiving_bytes`.

        421, the one reply a server may send at any moment before it closes (RFC 5321 §3.8);
        X.3.1, "mail system full" (RFC 3463).
        """
        limit = f"{self.max_receiving_bytes / (1024 * 1024):g} MiB"
        return (
            f"421 4.3.1 {hostname} Too much mail being received at once (over {limit}), "
            "closing the connection; try again later"
        )

    def idle_reply(self, hostname: str, seconds: float) -> str:
        """What an idle session is told before it is closed."""
        busy = " while the server is busy" if seconds < self.idle_timeout else ""
        return f"421 4.4.2 {hostname} No command for {seconds:g} s{busy}, closing the connection"


class ConnectionTable(Generic[Session]):
    """The connections open right now, with a count per client address.

    Only the server thread changes it; iterating gives a snapshot.
    """

    def __init__(self) -> None:
        self._address: dict[Session, str] = {}
        self._per_address: collections.Counter[str] = collections.Counter()

    def add(self, session: Session, address: str) -> None:
        if session not in self._address:
            self._address[session] = address
            self._per_address[address] += 1

    def discard(self, session: Session) -> None:
        address = self._address.pop(session, None)
        if address is not None:
            self._per_address[address] -= 1
            if not self._per_address[address]:
                del self._per_address[address]

    def from_address(self, address: str) -> int:
        """How many of the open connections come from `address`."""
        return self._per_address[address]

    def __len__(self) -> int:
        return len(self._address)

    def __iter__(self) -> Iterator[Session]:
        return iter(list(self._address))
