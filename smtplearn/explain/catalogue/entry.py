"""One catalogue entry: a title, a plain-language summary and where the standard defines it."""

from __future__ import annotations

from typing import NamedTuple


class Entry(NamedTuple):
    """One catalogue entry: a short title, one or two plain sentences, and where it is defined."""

    title: str
    summary: str
    rfc: str
