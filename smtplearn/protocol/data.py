"""The message content sent after DATA: line endings, dot-stuffing and the final ".".

`encode_data` is the one place the wire form of a message is made.
"""

from __future__ import annotations

import re
from email import policy
from email.message import Message

# RFC 5321 §2.3.8: "In addition, the appearance of "bare" "CR" or "LF" characters in
# text (i.e., either without the other) has a long history of causing problems in
# mail implementations ... SMTP client implementations MUST NOT transmit these
# characters except when they are intended as line terminators and then MUST, as
# indicated above, transmit them only as a <CRLF> sequence."
LINE_ENDING = re.compile(rb"\r\n|\r|\n")


def message_bytes(message: Message | str | bytes, *, smtputf8: bool = False) -> bytes:
    """The message with every line ending CRLF: not dot-stuffed, no terminator.

    This is what SIZE counts and what a server stores. An `EmailMessage` (any `Message`) is
    serialised with `email.policy.SMTP` (or `SMTPUTF8`, which leaves UTF-8 headers
    as they are, RFC 6531 §3.3).
    """
    if isinstance(message, Message):
        chosen = policy.SMTPUTF8 if smtputf8 else policy.SMTP
        raw = message.as_bytes(policy=chosen)
    elif isinstance(message, str):
        raw = message.encode("utf-8")
    else:
        raw = bytes(message)
    return LINE_ENDING.sub(b"\r\n", raw)


# RFC 5321 §4.5.2: "Before sending a line of mail text, the SMTP client checks the
# first character of the line. If it is a period, one additional period is inserted
# at the beginning of the line."
# RFC 5321 §4.1.1.4: "The mail data are terminated by a line containing only a
# period, that is, the character sequence "<CRLF>.<CRLF>", where the first <CRLF> is
# actually the terminator of the previous line."
def encode_data(message: Message | str | bytes, *, smtputf8: bool = False) -> bytes:
    """The exact bytes to send after a 354: CRLF lines, dot-stuffed, ended by ``.``."""
    content = message_bytes(message, smtputf8=smtputf8)
    if content.startswith(b"."):
        content = b"." + content
    content = content.replace(b"\r\n.", b"\r\n..")
    if content and not content.endswith(b"\r\n"):
        content += b"\r\n"
    return content + b".\r\n"


# RFC 6152 §3: without the 8BITMIME extension, "the message content ... MUST be
# 7-bit" (every octet below 128).
def needs_8bitmime(content: bytes) -> bool:
    """True if any octet has its high bit set, so BODY=8BITMIME must be declared."""
    return not content.isascii()
