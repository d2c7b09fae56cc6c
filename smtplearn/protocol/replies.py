"""SMTP replies: the `Reply` record and the incremental reply parser.

No I/O lives here: the parser is fed bytes and hands back complete replies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# RFC 3463 §2: status-code = class "." subject "." detail
#   class = "2" / "4" / "5";  subject = 1*3digit;  detail = 1*3digit
ENHANCED_CODE = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})(?:\s+|$)")


@dataclass(frozen=True)
class Reply:
    """One complete SMTP reply, possibly spread over several lines (RFC 5321 §4.2).

    `lines` holds the text of each line without its code and separator; `raw` is
    every byte of the reply exactly as received.
    """

    code: int
    lines: tuple[str, ...]
    raw: bytes = b""

    @property
    def text(self) -> str:
        """All lines joined by newlines, as smtplib returns them."""
        return "\n".join(self.lines)

    @property
    def enhanced_code(self) -> str | None:
        """The RFC 3463 status code at the start of the first line, e.g. ``"2.1.0"``."""
        match = ENHANCED_CODE.match(self.lines[0]) if self.lines else None
        return None if match is None else ".".join(match.groups())

    @property
    def message(self) -> str:
        """The text with the enhanced status code taken off each line."""
        return "\n".join(ENHANCED_CODE.sub("", line, count=1) for line in self.lines)

    @property
    def reply_class(self) -> int:
        """The first digit: 2 success, 3 go on, 4 try later, 5 failed (RFC 5321 §4.2.1)."""
        return self.code // 100

    @property
    def is_positive(self) -> bool:
        """True for 2xx and 3xx: the server accepted (or wants the rest of) the command."""
        return self.reply_class in (2, 3)

    @property
    def is_transient(self) -> bool:
        """True for 4xx: the command failed but the same command may work later."""
        return self.reply_class == 4

    @property
    def is_permanent(self) -> bool:
        """True for 5xx: the command failed and repeating it will not help."""
        return self.reply_class == 5

    def __str__(self) -> str:
        return "\n".join(f"{self.code} {line}" for line in self.lines)
