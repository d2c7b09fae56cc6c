"""Enhanced status codes (RFC 3463) for replies aiosmtpd writes without one.

The DebugServer advertises ENHANCEDSTATUSCODES (RFC 2034), which promises a code on every
2xx, 4xx and 5xx reply except the greeting and the replies to EHLO and HELO (RFC 2034 §3).
Many of aiosmtpd's built-in replies ("250 OK", "503 Error: need MAIL command") have none, so
the server passes each reply through `with_enhanced_code` on its way out.
"""

from __future__ import annotations

from smtplearn.protocol.grammar import ENHANCED_CODE, REPLY_LINE

# Reply code -> the RFC 3463 code that fits aiosmtpd's text for it best.
_BY_REPLY_CODE = {
    220: "2.0.0",  # "Ready to start TLS" (the greeting never comes here)
    221: "2.0.0",
    235: "2.7.0",  # authentication succeeded (RFC 4954 §6)
    250: "2.0.0",
    252: "2.0.0",  # "cannot VRFY": says nothing about the address (RFC 5321 §3.5.3)
    421: "4.3.2",  # system not accepting network messages
    450: "4.2.0",
    451: "4.3.0",
    452: "4.3.1",  # mail system full
    454: "4.7.0",  # TLS not available (RFC 3207)
    500: "5.5.2",  # syntax error: command unrecognised, line too long, bad encoding
    501: "5.5.4",  # invalid command arguments
    502: "5.5.1",  # invalid command
    503: "5.5.1",  # bad sequence of commands
    504: "5.5.4",
    530: "5.7.0",  # authentication or STARTTLS required (RFC 3207, RFC 4954)
    535: "5.7.8",
    538: "5.7.11",
    550: "5.1.1",
    552: "5.3.4",  # message too big for system
    553: "5.1.3",  # bad destination mailbox address syntax
    554: "5.0.0",
    555: "5.5.4",  # MAIL/RCPT parameters not recognised (RFC 5321 §4.1.1.11)
}


def with_enhanced_code(reply: str) -> str:
    """`reply` with an enhanced code after each line's reply code, where one is missing.

    Intermediate replies (3xx: 334 challenges, 354 go ahead) carry none (RFC 2034 §3).
    """
    lines = reply.split("\r\n")
    out = []
    for line in lines:
        match = REPLY_LINE.match(line)
        if match is None:
            out.append(line)
            continue
        code, separator, text = match.group(1), line[3:4], match.group(2) or ""
        if code[0] == "3" or ENHANCED_CODE.match(text):
            out.append(line)
            continue
        enhanced = _BY_REPLY_CODE.get(int(code), f"{code[0]}.0.0")
        out.append(f"{code}{separator or ' '}{enhanced} {text}".rstrip())
    return "\r\n".join(out)
