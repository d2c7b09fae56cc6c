"""Checks for DebugServer settings, run when they are given rather than when a client trips them.

Each check names the setting, what it got and what it needs, so a typo in a notebook fails
in the cell that made it.
"""

from __future__ import annotations

import ipaddress
import math
import os
from collections.abc import Mapping, Set
from typing import Any

from smtplearn.protocol.grammar import CONTROL_CHARACTER


def check_bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, not {value!r}")
    return value


def check_count(name: str, value: object, *, minimum: int = 1, maximum: int | None = None) -> int:
    """A whole number in [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a whole number, not {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise ValueError(f"{name} must be at least {minimum}{upper}, not {value}")
    return value


def check_seconds(name: str, value: object, *, zero_ok: bool = False) -> float:
    """A finite number of seconds, above zero (or zero too, with `zero_ok`)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {value!r}")
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero_ok):
        bound = "0 or more" if zero_ok else "more than 0"
        raise ValueError(f"{name} must be {bound} seconds, not {value}")
    return float(value)


def check_hostname(value: object) -> str:
    """The server's name: one word of printable text, since it goes into every greeting."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"hostname must be a non-empty name such as 'mail.example.test', not {value!r}")
    if " " in value or CONTROL_CHARACTER.search(value):
        # A CR LF here would let the name write extra lines into the greeting and EHLO reply.
        raise ValueError(f"hostname must be one word without spaces or control characters, not {value!r}")
    return value


def check_text_mapping(name: str, value: Mapping[Any, Any]) -> dict[str, str]:
    """A {str: str} mapping, copied."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping of text to text, not {value!r}")
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise TypeError(f"{name} must map text to text; {key!r}: {item!r} is not")
    return dict(value)


def check_path(name: str, value: object) -> str:
    """A file-system path (str or os.PathLike), as text."""
    if not isinstance(value, (str, os.PathLike)) or not os.fspath(value):
        raise TypeError(f"{name} must be a path such as 'mail/', not {value!r}")
    return str(os.fspath(value))


def check_loopback(host: str, allow_remote: bool, *, how_to_allow: str = "allow_remote=True") -> None:
    """Refuse a non-loopback `host` unless `allow_remote`: the server trusts whoever connects.

    `how_to_allow` is the fix as the caller's user spells it (the command line: ``--allow-remote``).
    """
    if allow_remote or host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(
            f"DebugServer refuses to listen on {host!r}: it accepts mail from anyone who can "
            "connect and has a published demo password, so by default it listens on loopback "
            f"(127.0.0.1) only. Pass {how_to_allow} if other machines really must reach it."
        )


#: The extensions a lesson may ask the DebugServer to stop advertising.
WITHHOLDABLE = frozenset({"8BITMIME", "SMTPUTF8"})


def check_withheld(names: object) -> frozenset[str]:
    """Extensions a server may stop advertising (`DebugServer.withheld_extensions`), upper case."""
    # Typed as object: a notebook may assign anything, and a str must not pass as a set.
    if isinstance(names, str) or not isinstance(names, Set):
        raise TypeError(
            f"withheld_extensions must be a set of extension names such as {{'SMTPUTF8'}}, not {names!r}"
        )
    upper = frozenset(str(name).upper() for name in names)
    if not upper <= WITHHOLDABLE:
        raise ValueError(f"only 8BITMIME and SMTPUTF8 can be withheld, not {sorted(upper - WITHHOLDABLE)}")
    return upper
