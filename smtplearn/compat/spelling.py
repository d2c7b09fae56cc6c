"""How smtplib spells what it sends: the facade copies it to the letter.

The EHLO name smtplib picks, the case of "from:"/"to:", how it reduces an address for
VRFY and EXPN, and the `Client` step name that records each verb.
"""

from __future__ import annotations

import socket
import sys
from email.utils import parseaddr


def default_local_hostname() -> str:
    # The same choice smtplib makes (RFC 5321 §4.1.4: the FQDN, else an address literal),
    # so that the facade's EHLO line is the one smtplib would send.
    fqdn = socket.getfqdn()
    if "." in fqdn:
        return fqdn
    try:
        address = socket.gethostbyname(socket.gethostname())
    except socket.gaierror:
        address = "127.0.0.1"
    return f"[{address}]"


#: The spelling of the running Python's smtplib: 3.13 sends "mail from:", earlier ones "mail FROM:"
# (SMTP keywords are case-insensitive, RFC 5321 §2.4; the facade copies smtplib to the letter).
FROM, TO = ("from:", "to:") if sys.version_info >= (3, 13) else ("FROM:", "TO:")

#: SMTP verb -> the `Client` method that sends it (the facade's steps carry these names).
STEP_NAMES = {
    verb: verb.lower()
    for verb in ("EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "VRFY", "EXPN", "HELP", "QUIT")
} | {"AUTH": "login", "AUTH-RESPONSE": "login"}


def addr_only(address: str) -> str:
    name, email = parseaddr(address)
    return address if (name, email) == ("", "") else email
