"""An smtplib-compatible facade over `Client`, so smtplib code runs with only its import changed.

`SMTP` and `SMTP_SSL` take smtplib's arguments, send exactly the lines smtplib sends
(lower-case ``ehlo``, ``mail FROM:<...> size=266``), return the same tuples and raise
smtplib's exceptions (subclasses of them, carrying `transcript`), or the socket and ssl
modules' own errors where smtplib lets those through (``ConnectionRefusedError``,
``ssl.SSLCertVerificationError``, with smtplearn's advice as a note). No smtplearn-only
exception reaches code written for smtplib. ``set_debuglevel(1)`` prints smtplib's debug
format to stderr; `transcript` gives the structured view of the same session.

A server that breaks the reply grammar (RFC 5321 §4.2, §4.2.1: a line without a code,
a code that changes inside a multi-line reply, a last line without CRLF, a line over
8192 bytes) gets what smtplib gives it: ``(-1, text)``, the last code, ``(221, b"bye")``,
``SMTPResponseException(500, "Line too long.")``. A read timeout or a connection closed
mid-reply is ``SMTPServerDisconnected``, as in smtplib.

smtplib's attributes: `sock` (the live socket, TLS after `starttls`, None when closed;
read-only, and for looking: bytes read or written on it pass the client by),
`putcmd`, `send`, `getreply`, `docmd`, `ehlo_resp`, `helo_resp`, `esmtp_features` (parsed
as smtplib parses them), `does_esmtp`, `command_encoding`, `local_hostname`,
`debuglevel`, `timeout`, `source_address`, `default_port`, `user`, `password`.

Deliberate differences:

- ``file`` is absent (``AttributeError`` saying so): replies are read by smtplearn's
  parser, and a second reader on the socket would steal their bytes. Use `getreply`.
- `send` takes whole command lines ending in CRLF (what `putcmd` gives it), each recorded
  as a step when `getreply` reads its reply; half a line or message content raises
  ``ValueError``: send the message with `data` or `sendmail`, which dot-stuff it.
- After a reply smtplib would read but RFC 5321 forbids, the facade returns what smtplib
  returns and then hangs up (nothing after such a reply can be trusted): the next command
  raises ``SMTPServerDisconnected``. A reply longer than 64 KiB (smtplib has no bound) is
  ``SMTPServerDisconnected`` too.
- A command line with a control character or over 512 octets (RFC 5321 §4.1.2,
  §4.5.3.1.4) raises ``ValueError``, as smtplib does for CR or LF; smtplib sends it.
- `getreply` before `connect` raises ``SMTPServerDisconnected`` (smtplib: AttributeError).
- ``timeout=None`` (smtplib: wait for ever) waits a day: a socket takes no infinity.
- `starttls` without a context verifies the certificate (smtplib's does not).
- Passwords (and their base64 forms) are redacted in the debug output, and bare CR or LF
  in a message given as bytes are turned into CRLF (smtplib sends them as they are, which
  is what SMTP smuggling exploits).
"""

from smtplearn.compat.exceptions import (
    SMTPAuthenticationError,
    SMTPConnectError,
    SMTPDataError,
    SMTPException,
    SMTPHeloError,
    SMTPNotSupportedError,
    SMTPRecipientsRefused,
    SMTPResponseException,
    SMTPSenderRefused,
    SMTPServerDisconnected,
)
from smtplearn.compat.smtp import SMTP, SMTP_PORT, SMTP_SSL_PORT
from smtplearn.compat.smtp_ssl import SMTP_SSL

__all__ = [
    "SMTP",
    "SMTP_PORT",
    "SMTP_SSL",
    "SMTP_SSL_PORT",
    "SMTPAuthenticationError",
    "SMTPConnectError",
    "SMTPDataError",
    "SMTPException",
    "SMTPHeloError",
    "SMTPNotSupportedError",
    "SMTPRecipientsRefused",
    "SMTPResponseException",
    "SMTPSenderRefused",
    "SMTPServerDisconnected",
]
