"""Records built by hand for the renderer tests: the seed's first PyMOTW session, and a
STARTTLS + AUTH session whose AUTH line carries a real password.

Imported by module name (pytest puts tests/render on sys.path); not a conftest, so the
name is unique across the suite.
"""

from __future__ import annotations

import base64

from smtplearn.protocol.replies import Reply
from smtplearn.protocol.states import ClientState as S
from smtplearn.record import Exchange, Step, Transcript

USER, PASSWORD = "user@isp.net", "s3cr3t-Pa55word"
PLAIN_B64 = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()


def reply(code: int, *lines: str) -> Reply:
    last = len(lines) - 1
    raw = "".join(f"{code}{'-' if i < last else ' '}{t}\r\n" for i, t in enumerate(lines))
    return Reply(code, lines, raw.encode())


def ex(line: str, r: Reply | None, *, secret: str | None = None) -> Exchange:
    """An exchange for one command line; `secret` is replaced by <redacted> in views."""
    wire = line.encode() + b"\r\n" if line else b""
    shown = line if secret is None else line.replace(secret, "<redacted>")
    return Exchange(shown, wire, shown.encode() + b"\r\n" if line else b"", r)


def body(message: bytes, r: Reply) -> Exchange:
    return Exchange(f"<message, {len(message)} bytes>", message, message, r)


def step(
    name: str,
    command: str,
    *exchanges: Exchange,
    tls: bool = False,
    before: S = S.READY,
    after: S = S.READY,
    **details: str,
) -> Step:
    return Step(name, command, exchanges, before, after, 0.0, tls, details)


SEED_BODY = (
    b"From nobody Sun Sep 28 10:02:48 2008\r\nContent-Type: text/plain; "
    b'charset="us-ascii"\r\nMIME-Version: 1.0\r\nContent-Transfer-Encoding: 7bit\r\n'
    b"To: Recipient <recipient@example.com>\r\nFrom: Author <author@example.com>\r\n"
    b"Subject: Simple test message\r\n\r\nThis is the body of the message.\r\n.\r\n"
)


def seed_session() -> Transcript:
    """PyMOTW's first transcript (smtplib_sendmail.py), step by step."""
    return Transcript(
        [
            step(
                "ehlo",
                "EHLO",
                ex(
                    "ehlo localhost.local",
                    reply(
                        250,
                        "mail.example.com Hello [192.168.1.17], pleased to meet you",
                        "ENHANCEDSTATUSCODES",
                        "PIPELINING",
                        "8BITMIME",
                        "SIZE",
                        "DSN",
                        "ETRN",
                        "AUTH GSSAPI DIGEST-MD5 CRAM-MD5",
                        "DELIVERBY",
                        "HELP",
                    ),
                ),
                before=S.CONNECTED,
            ),
            step(
                "mail",
                "MAIL",
                ex(
                    "mail FROM:<author@example.com> size=266",
                    reply(250, "2.1.0 <author@example.com>... Sender ok"),
                ),
                after=S.MAIL,
            ),
            step(
                "rcpt",
                "RCPT",
                ex(
                    "rcpt TO:<recipient@example.com>",
                    reply(250, "2.1.5 <recipient@example.com>... Recipient ok"),
                ),
                before=S.MAIL,
                after=S.RCPT,
            ),
            step(
                "data",
                "DATA",
                ex("data", reply(354, 'Enter mail, end with "." on a line by itself')),
                body(SEED_BODY, reply(250, "2.0.0 m8SE2mpc015614 Message accepted for delivery")),
                before=S.RCPT,
            ),
            step(
                "quit",
                "QUIT",
                ex("quit", reply(221, "2.0.0 mail.example.com closing connection")),
                after=S.CLOSED,
            ),
        ]
    )


def auth_session() -> Transcript:
    """Greeting, EHLO, STARTTLS, EHLO again under TLS, AUTH PLAIN with a real password."""
    auth_line = f"AUTH PLAIN {PLAIN_B64}"
    return Transcript(
        [
            step(
                "connect",
                "",
                ex("", reply(220, "smtp.example.com ESMTP ready")),
                before=S.DISCONNECTED,
                after=S.CONNECTED,
                host="127.0.0.1",
                port="8025",
            ),
            step(
                "ehlo",
                "EHLO",
                ex(
                    "EHLO client.example",
                    reply(250, "smtp.example.com", "PIPELINING", "STARTTLS", "AUTH PLAIN LOGIN"),
                ),
                before=S.CONNECTED,
            ),
            step(
                "starttls",
                "STARTTLS",
                ex("STARTTLS", reply(220, "2.0.0 Ready to start TLS")),
                after=S.TLS_HANDSHAKE,
            ),
            step(
                "ehlo",
                "EHLO",
                ex("EHLO client.example", reply(250, "smtp.example.com", "PIPELINING", "AUTH PLAIN LOGIN")),
                tls=True,
                before=S.CONNECTED,
            ),
            step(
                "login",
                "AUTH",
                ex(auth_line, reply(235, "2.7.0 Authentication successful"), secret=PLAIN_B64),
                tls=True,
            ),
            step(
                "mail",
                "MAIL",
                ex("MAIL FROM:<user@isp.net>", reply(250, "2.1.0 OK")),
                tls=True,
                after=S.MAIL,
                pipeline="1",
            ),
            step(
                "rcpt",
                "RCPT",
                ex("RCPT TO:<a@example.com>", reply(250, "2.1.5 OK")),
                tls=True,
                before=S.MAIL,
                after=S.RCPT,
                pipeline="1",
            ),
            step(
                "rcpt",
                "RCPT",
                ex("RCPT TO:<nobody@example.com>", reply(550, "5.1.1 <nobody@example.com>: no such user")),
                tls=True,
                before=S.RCPT,
                after=S.RCPT,
                pipeline="1",
            ),
            step(
                "data",
                "DATA",
                ex("DATA", reply(354, "End data with <CR><LF>.<CR><LF>")),
                body(b"Subject: hi\r\n\r\nHello <b>&amp;</b>\r\n.\r\n", reply(250, "2.0.0 queued")),
                tls=True,
                before=S.RCPT,
                pipeline="1",
            ),
            step("quit", "QUIT", ex("QUIT", reply(221, "2.0.0 Bye")), tls=True, after=S.CLOSED),
        ]
    )
