"""Fault injection for lessons on errors: declarative rules the DebugServer applies.

Give faults to ``DebugServer(faults=[...])`` or add them while it runs with
``server.inject(fault)``; ``server.faults.clear()`` takes them all away. Each rule names the
*step* where it bites: ``"CONNECT"`` (before the greeting), an SMTP verb such as ``"EHLO"``,
``"MAIL"``, ``"RCPT"``, ``"DATA"`` (when the command arrives), or ``"MESSAGE"`` (after the
message text and its final dot arrived, before the server answers them).

==========================  =================================================================
``RejectRecipient("b*@*")`` RCPT TO a matching address gets ``550 5.1.1`` (user unknown)
``RejectSender("*@spam.*")`` MAIL FROM a matching address gets ``550 5.7.1``
``Greylist()``              the first RCPT for each (client, sender, recipient) gets ``451
                            4.7.1``; the same triple is accepted when the client retries
``SizeLimit(1000)``         SIZE advertised as 1000; a bigger message gets ``552 5.3.4``
                            (applies to connections opened after it is added)
``TemporaryFailure("MAIL")`` that step gets ``451 4.3.0`` (``421 4.3.2`` and a closed
                            connection at ``"CONNECT"``); ``times=n`` fails only n times
``RecipientLimit(2)``       the RCPT after the 2nd of a transaction gets ``452 4.5.3``
                            (too many recipients, RFC 5321 §4.5.3.1.10)
``Delay("RCPT", 2.0)``      the server waits 2 s before handling that step
``Disconnect("MESSAGE")``   the server closes the connection at that step without a reply;
                            at ``"MESSAGE"`` the message is not stored
==========================  =================================================================

The faults are checked in order; delays add up, and the first one that replies or
disconnects decides the step. Rules run on the server's thread only.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, overload

if TYPE_CHECKING:
    from smtplearn.server.mailbox import ReceivedMessage

#: Pseudo-steps besides SMTP verbs.
CONNECT = "CONNECT"
MESSAGE = "MESSAGE"
#: Every step a fault can name: the pseudo-steps and the verbs the DebugServer answers.
STEPS = (
    CONNECT,
    "EHLO",
    "HELO",
    "STARTTLS",
    "AUTH",
    "MAIL",
    "RCPT",
    "DATA",
    MESSAGE,
    "RSET",
    "NOOP",
    "VRFY",
    "EXPN",
    "HELP",
    "QUIT",
)
_REPLY = re.compile(r"[45][0-9][0-9][ -]")


def _step(step: str) -> str:
    """`step` upper-cased, or a ValueError naming the steps there are (a typo never bites)."""
    upper = step.upper() if isinstance(step, str) else step
    if upper not in STEPS:
        raise ValueError(f"unknown step {step!r}: a fault bites at one of {', '.join(STEPS)}")
    return str(upper)


def _refusal(reply: str) -> str:
    if not isinstance(reply, str) or not _REPLY.match(reply):
        raise ValueError(f"reply must start with a 4xx or 5xx code and a space, not {reply!r}")
    return reply


def _pattern(pattern: str) -> None:
    if not isinstance(pattern, str):
        raise ValueError(
            f"pattern must be a shell-style text pattern such as '*@example.test', not {pattern!r}"
        )


def _not_negative(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValueError(f"{name} must be a number, 0 or more, not {value!r}")


@dataclass(frozen=True)
class Action:
    """What a fault does at a step: wait, answer instead of the server, and/or hang up."""

    delay: float = 0.0
    #: A complete reply sent instead of the server's normal handling.
    reply: str | None = None
    #: Close the connection (after `reply`, if any).
    close: bool = False

    @property
    def decides(self) -> bool:
        """True when the server must not handle the step normally."""
        return self.reply is not None or self.close


class Fault:
    """Base class: a rule consulted at each step; every hook answers None ("no effect")."""

    def at_step(self, step: str) -> Action | None:
        """Called at CONNECT, at each command (by verb) and at MESSAGE."""
        return None

    def at_sender(self, address: str) -> str | None:
        """Called for MAIL FROM; a reply string rejects the sender."""
        return None

    def at_recipient(self, client: str, mail_from: str, address: str) -> str | None:
        """Called for RCPT TO; a reply string rejects the recipient."""
        return None

    def at_message(self, message: ReceivedMessage) -> str | None:
        """Called with the whole message before the server accepts it; a reply refuses it.

        What a milter does at the end of DATA: `smtplearn.world` checks SPF, DKIM and DMARC
        here, so a DMARC ``p=reject`` becomes the reply to the final dot.
        """
        return None

    @property
    def size_limit(self) -> int | None:
        """A message size limit this fault imposes, if any."""
        return None

    @property
    def recipient_limit(self) -> int | None:
        """How many recipients one transaction may have under this fault, if limited."""
        return None


def _matches(pattern: str, address: str) -> bool:
    return fnmatchcase(address.casefold(), pattern.casefold())


@dataclass
class RejectRecipient(Fault):
    """Refuse RCPT TO addresses matching a shell-style `pattern` (``*`` and ``?``)."""

    pattern: str = "*"
    reply: str = "550 5.1.1 <{address}>... Recipient address rejected: User unknown"

    def __post_init__(self) -> None:
        _pattern(self.pattern)
        _refusal(self.reply)

    def at_recipient(self, client: str, mail_from: str, address: str) -> str | None:
        return self.reply.format(address=address) if _matches(self.pattern, address) else None


@dataclass
class RejectSender(Fault):
    """Refuse MAIL FROM addresses matching a shell-style `pattern`."""

    pattern: str = "*"
    reply: str = "550 5.7.1 <{address}>... Sender address rejected: Access denied"

    def __post_init__(self) -> None:
        _pattern(self.pattern)
        _refusal(self.reply)

    def at_sender(self, address: str) -> str | None:
        return self.reply.format(address=address) if _matches(self.pattern, address) else None


@dataclass
class Greylist(Fault):
    """Answer 451 to the first RCPT of each (client IP, sender, recipient) triple.

    Greylisting trusts that real mail servers retry after a 4xx reply (RFC 5321 §4.5.4.1)
    while spam software often does not. The retry is accepted at once, so lessons need no
    waiting; `pattern` limits greylisting to matching recipients. It remembers the last
    `remember` triples (a client inventing addresses must not grow it for ever); one
    forgotten is greylisted again, as on a real server whose records expire.
    """

    pattern: str = "*"
    remember: int = field(default=10_000, kw_only=True)
    # A dict, for its order: the oldest triple is the first key.
    _seen: dict[tuple[str, str, str], None] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        _pattern(self.pattern)

    def at_recipient(self, client: str, mail_from: str, address: str) -> str | None:
        if not _matches(self.pattern, address):
            return None
        triple = (client, mail_from.casefold(), address.casefold())
        if triple in self._seen:
            return None
        self._seen[triple] = None
        if len(self._seen) > self.remember:
            del self._seen[next(iter(self._seen))]
        return f"451 4.7.1 <{address}>... Greylisted, please try again later"


@dataclass
class SizeLimit(Fault):
    """Lower the message size limit: SIZE in EHLO shows it, a bigger message gets 552 5.3.4."""

    octets: int = 1000

    def __post_init__(self) -> None:
        if isinstance(self.octets, bool) or not isinstance(self.octets, int) or self.octets < 1:
            raise ValueError(f"octets must be a whole number, 1 or more, not {self.octets!r}")

    @property
    def size_limit(self) -> int | None:
        return self.octets


@dataclass
class RecipientLimit(Fault):
    """Accept at most `recipients` RCPTs per transaction; each one more gets ``452 4.5.3``.

    RFC 5321 §4.5.3.1.10: a server that limits recipients answers 452 (a temporary
    failure, so a client sends the rest in another transaction) to the RCPTs over its limit.
    """

    recipients: int = 100

    def __post_init__(self) -> None:
        if isinstance(self.recipients, bool) or not isinstance(self.recipients, int) or self.recipients < 1:
            raise ValueError(f"recipients must be a whole number, 1 or more, not {self.recipients!r}")

    @property
    def recipient_limit(self) -> int | None:
        return self.recipients


@dataclass
class TemporaryFailure(Fault):
    """Fail a step with a 4xx reply; 421 (the default at CONNECT) also closes the connection.

    `times` limits how often it fails (None: always), so a lesson can show a retry working.
    """

    step: str = "MAIL"
    code: int | None = None
    times: int | None = None
    _failed: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        self.step = _step(self.step)
        if self.code is not None and (isinstance(self.code, bool) or self.code not in range(400, 500)):
            # A 5xx would tell the client never to retry: that is RejectSender/RejectRecipient.
            raise ValueError(
                f"code must be a 4xx reply code (a temporary failure), not {self.code!r}; "
                "for a permanent one use RejectSender or RejectRecipient"
            )
        if self.times is not None:
            _not_negative("times", self.times)

    def at_step(self, step: str) -> Action | None:
        if step != self.step or (self.times is not None and self._failed >= self.times):
            return None
        self._failed += 1
        code = self.code or (421 if step == CONNECT else 451)
        if code == 421:
            # RFC 5321 §3.8: 421 means the server is closing the channel.
            return Action(reply="421 4.3.2 Service not available, closing transmission channel", close=True)
        return Action(reply=f"{code} 4.3.0 Temporary failure at {step}, please try again later")


@dataclass
class Delay(Fault):
    """Wait `seconds` before the server handles `step` (other sessions are not held up)."""

    step: str = "RCPT"
    seconds: float = 1.0

    def __post_init__(self) -> None:
        self.step = _step(self.step)
        _not_negative("seconds", self.seconds)

    def at_step(self, step: str) -> Action | None:
        return Action(delay=self.seconds) if step == self.step else None


@dataclass
class Disconnect(Fault):
    """Close the connection at `step` without replying, as a crashed server would."""

    step: str = "MESSAGE"

    def __post_init__(self) -> None:
        self.step = _step(self.step)

    def at_step(self, step: str) -> Action | None:
        return Action(close=True) if step == self.step else None


def _checked(fault: object) -> Fault:
    if not isinstance(fault, Fault):
        raise TypeError(f"expected a Fault such as RejectRecipient(...), got {fault!r}")
    return fault


class Faults(Sequence[Fault]):
    """The faults a server applies, in order; changes take effect at the next step."""

    def __init__(self, faults: Sequence[Fault] = ()) -> None:
        self._lock = threading.Lock()
        if isinstance(faults, Fault):
            raise TypeError(f"faults must be a list of rules, e.g. faults=[{faults!r}]")
        self._faults: tuple[Fault, ...] = tuple(_checked(fault) for fault in faults)

    def add(self, fault: Fault) -> Fault:
        """Apply `fault` from now on; returns it."""
        _checked(fault)
        with self._lock:
            self._faults = (*self._faults, fault)
        return fault

    def remove(self, fault: Fault) -> None:
        with self._lock:
            faults = list(self._faults)
            faults.remove(fault)
            self._faults = tuple(faults)

    def clear(self) -> None:
        with self._lock:
            self._faults = ()

    def actions(self, step: str) -> list[Action]:
        """The actions for `step`, up to and including the first that decides it."""
        found: list[Action] = []
        for fault in self._faults:
            action = fault.at_step(step)
            if action is not None:
                found.append(action)
                if action.decides:
                    break
        return found

    def sender_reply(self, address: str) -> str | None:
        return next((r for f in self._faults if (r := f.at_sender(address))), None)

    def recipient_reply(self, client: str, mail_from: str, address: str) -> str | None:
        return next((r for f in self._faults if (r := f.at_recipient(client, mail_from, address))), None)

    def message_reply(self, message: ReceivedMessage) -> str | None:
        return next((r for f in self._faults if (r := f.at_message(message))), None)

    def size_limit(self, default: int) -> int:
        """The smallest size limit any fault imposes, or `default`."""
        return min([default, *(f.size_limit for f in self._faults if f.size_limit is not None)])

    def recipient_limit(self) -> int | None:
        """The smallest recipient limit any fault imposes, or None when there is none."""
        limits = [f.recipient_limit for f in self._faults if f.recipient_limit is not None]
        return min(limits) if limits else None

    @overload
    def __getitem__(self, index: int) -> Fault: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Fault]: ...
    def __getitem__(self, index: int | slice) -> Fault | Sequence[Fault]:
        return self._faults[index]

    def __len__(self) -> int:
        return len(self._faults)

    def __iter__(self) -> Iterator[Fault]:
        return iter(self._faults)

    def __repr__(self) -> str:
        return f"Faults({list(self._faults)!r})"
