"""How smtplib reads what a server sends: pure functions, no sockets.

The smtplib facade (`smtplearn.compat`) answers as smtplib would even where smtplearn's
own parser refuses the server's bytes; these functions say what smtplib makes of them.
They restate smtplib's ``getreply()`` and ``ehlo()`` on purpose, line for line: their
tests run the real smtplib beside the facade, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import io
import re
import smtplib
from dataclasses import dataclass

from smtplearn.protocol import grammar

# smtplib's longest reply line; a longer one is "500 Line too long." smtplib's own constant, so
# the reading follows smtplib; a test checks it equals the core's `grammar.MAX_REPLY_LINE`.
MAXLINE: int = smtplib._MAXLINE  # type: ignore[attr-defined]


@dataclass(frozen=True)
class SmtplibReading:
    """What smtplib's ``getreply()`` does with some bytes: the lines it reads, then its answer.

    `failure`, when set, is the exception smtplib raises after reading `lines`; otherwise
    it returns ``(code, message)``.
    """

    lines: tuple[bytes, ...]
    code: int = -1
    message: bytes = b""
    failure: smtplib.SMTPException | None = None


def read_reply(received: bytes, *, eof: bool) -> SmtplibReading:
    """Read one reply from `received` as smtplib does; nothing more arrives after it.

    `eof`: the server closed the connection after `received` (so a last line without
    its LF still counts, as ``readline()`` returns it).
    """
    stream = io.BytesIO(received)
    lines: list[bytes] = []
    texts: list[bytes] = []
    while True:
        line = stream.readline(MAXLINE + 1)
        # smtplib reads up to MAXLINE + 1 bytes: with MAXLINE and no end in sight, the next
        # byte to come makes the line too long.
        too_long = len(line) > MAXLINE or (len(line) == MAXLINE and not line.endswith(b"\n") and not eof)
        if not too_long and not (line.endswith(b"\n") or (eof and line)):
            return SmtplibReading(
                tuple(lines), failure=smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            )
        lines.append(line)
        if too_long:
            return SmtplibReading(tuple(lines), failure=smtplib.SMTPResponseException(500, "Line too long."))
        texts.append(line[4:].strip(b" \t\r\n"))
        try:
            code = int(line[:3])
        except ValueError:  # smtplib does not read on after a line without a code
            return SmtplibReading(tuple(lines), -1, b"\n".join(texts))
        if line[3:4] != b"-":
            return SmtplibReading(tuple(lines), code, b"\n".join(texts))


# smtplib's reading of an EHLO reply (its ``ehlo()``): keywords lower-cased (they are
# case-insensitive, RFC 5321 §2.4), old-style "AUTH=" lines merged into "auth", each AUTH
# list kept after a space.
_FEATURE = re.compile(r"(?P<feature>[A-Za-z0-9][A-Za-z0-9\-]*) ?")


def esmtp_features(ehlo_message: bytes) -> dict[str, str]:
    """The ``esmtp_features`` smtplib makes of the text of a 250 reply to EHLO."""
    features: dict[str, str] = {}
    for line in ehlo_message.decode("latin-1").split("\n")[1:]:
        old_style = smtplib.OLDSTYLE_AUTH.match(line)
        if old_style:
            features["auth"] = features.get("auth", "") + " " + old_style.group(1)
            continue
        match = _FEATURE.match(line)
        if match:
            feature = match.group("feature").lower()
            params = line[match.end("feature") :].strip()
            if feature == "auth":
                features["auth"] = features.get("auth", "") + " " + params
            else:
                features[feature] = params
    return features


def refuse_newlines(line: str) -> None:
    """smtplib's ``putcmd`` check: a CR or LF would smuggle in a second command (RFC 5321 §2.3.8)."""
    if not grammar.LINE_BREAKS.isdisjoint(line):
        escaped = line.replace("\n", "\\n").replace("\r", "\\r")
        raise ValueError(f"command and arguments contain prohibited newline characters: {escaped}")
