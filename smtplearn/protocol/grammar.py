"""Lexical facts of SMTP shared by the client, the server and the lessons (no I/O, no state).

The counterpart of h11's ``_abnf.py``: each rule is written once, next to the RFC text it
implements. `smtplearn.protocol.commands` builds commands with these rules; the DebugServer
judges what it receives with the same ones, so the two cannot drift apart.
"""

from __future__ import annotations

import re

# RFC 5321 §2.3.8: "Lines consist of zero or more data characters terminated by the
# sequence ASCII character "CR" (hex value 0D) followed immediately by ASCII
# character "LF" (hex value 0A)." A CR or LF inside an argument would end the line
# early and start a second command the caller never meant to send (the "SMTP
# injection" behind many form-mail exploits). Other C0 controls (TAB included) and DEL
# are not allowed in any argument grammar of RFC 5321 §4.1.2 either.
CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f]")

# RFC 5321 §4.5.3.1.1: "The maximum total length of a user name or other local-part is 64
# octets."
MAX_LOCAL_PART = 64
# RFC 5321 §4.5.3.1.2: "The maximum total length of a domain name or number is 255 octets."
MAX_DOMAIN = 255
# RFC 5321 §4.5.3.1.3: "The maximum total length of a reverse-path or forward-path is 256
# octets (including the punctuation and element separators)."
MAX_PATH = 256


def mailbox_character_problem(mailbox: str) -> str | None:
    """Why `mailbox` (the text between ``<`` and ``>``) cannot be sent as a path, or None.

    RFC 5321 §4.1.2: ``Path = "<" [ A-d-l ":" ] Mailbox ">"``: a bracket inside would end the
    path early, and a space would end the argument (only a quoted local part may hold one).
    """
    for position, char in enumerate(mailbox):
        if char in "<>" or (char == " " and not mailbox.startswith('"')):
            return (
                f"address contains {char!r} at position {position}: the path is written "
                "<mailbox>, and this would end it early (RFC 5321 §4.1.2)"
            )
    return None


def path_length_problem(mailbox: str) -> str | None:
    """Why `mailbox` is longer than RFC 5321 §4.5.3.1 allows, or None; lengths are octets."""
    local, at, domain = mailbox.rpartition("@")
    if not at:
        local, domain = mailbox, ""
    for part, size, limit, section in (
        ("local part", len(local.encode("utf-8")), MAX_LOCAL_PART, "4.5.3.1.1"),
        ("domain", len(domain.encode("utf-8")), MAX_DOMAIN, "4.5.3.1.2"),
        ("path", len(mailbox.encode("utf-8")) + 2, MAX_PATH, "4.5.3.1.3"),
    ):
        if size > limit:
            return f"the {part} has {size} octets, at most {limit} are allowed (RFC 5321 §{section})"
    return None
