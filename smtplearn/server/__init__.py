"""DebugServer: the local debugging mail server every lesson runs against.

Built on aiosmtpd, started inside the notebook's own kernel on loopback::

    from smtplearn.server import DebugServer, DEMO_USER, DEMO_PASSWORD

    with DebugServer() as server:
        server.address                 # ("127.0.0.1", <a free port>)
        server.client_tls_context()    # trusts the server's local CA, hostname checks on
        ...                            # talk to it with smtplearn's client or smtplib
        server.mailbox.wait_for(1)     # the messages it accepted
        print(server.sessions[-1])     # what it saw, passwords redacted

Defaults, chosen so that lessons need no setup:

- name ``mail.example.test`` (RFC 6761 reserves ``.test``) in the greeting, EHLO and
  certificate; the certificate also names 127.0.0.1, ::1 and localhost;
- STARTTLS offered, AUTH (PLAIN, LOGIN, CRAM-MD5) only after it (``auth_require_tls``);
- the demo account: user ``student`` (`DEMO_USER`), password ``demo-password``
  (`DEMO_PASSWORD`) — printed, published, never a secret;
- VRFY answered from `DEMO_DIRECTORY`: ``VRFY dhellmann`` gives 250 with the full name,
  ``VRFY notthere`` 550 5.1.1, ``VRFY smith`` 553 (two Smiths). ``server.vrfy = "refuse"``
  answers 252 instead, as most real servers do so that VRFY cannot be used to harvest
  addresses (RFC 5321 §7.3);
- EHLO advertises ENHANCEDSTATUSCODES, PIPELINING, SIZE 10485760, 8BITMIME, SMTPUTF8,
  STARTTLS (before TLS), AUTH (after it) and HELP — all of them true;
- limits: 512-octet command lines and 1000-octet text lines (500), SIZE (552, transparency
  dots not counted), bare CR or LF in a message (554, the SMTP smuggling defence); 400
  concurrent sessions, 300 from one address (421 4.7.0); 5 minutes of patience with an idle
  client, 10 seconds when the server is nearly full (421 4.4.2) — see `smtplearn.server.limits`;
- strict syntax, as the lessons teach it: bare-LF command lines, ``MAIL FROM: a@b``, paths
  over the RFC 5321 §4.5.3.1 limits, UTF-8 addresses without SMTPUTF8 and 8-bit data without
  BODY=8BITMIME are refused, unless ``DebugServer(lenient=True)`` (see `DebugServer.lenient`);
- not vulnerable: ``DebugServer(vulnerable=("smuggling",))`` is the lesson-only switch that
  makes one server take ``<LF>.<LF>`` and the like for the end of data (see
  `smtplearn.server.vulnerable`); `StripTlsProxy` is the man in the middle for STARTTLS.

Fault rules for lessons on errors are in `smtplearn.server.faults`.
"""

from __future__ import annotations

import logging

from smtplearn.server.auth import DEMO_PASSWORD, DEMO_USER
from smtplearn.server.core import DebugServer
from smtplearn.server.directory import DEMO_DIRECTORY
from smtplearn.server.faults import (
    Delay,
    Disconnect,
    Fault,
    Greylist,
    RecipientLimit,
    RejectRecipient,
    RejectSender,
    SizeLimit,
    TemporaryFailure,
)
from smtplearn.server.mailbox import Mailbox, ReceivedMessage
from smtplearn.server.sessions import SessionEvent, SessionLog, SessionLogs
from smtplearn.server.striptls import CapturedLogin, StripTlsProxy

# The server thread must never write to the notebook: without a handler anywhere, logging's
# last-resort handler would print warnings from our logger and aiosmtpd's ("mail.log") to
# stderr, into whichever cell runs. Configured handlers still get everything.
for _name in ("smtplearn.server", "mail.log"):
    logging.getLogger(_name).addHandler(logging.NullHandler())

__all__ = [
    "DEMO_DIRECTORY",
    "DEMO_PASSWORD",
    "DEMO_USER",
    "CapturedLogin",
    "DebugServer",
    "Delay",
    "Disconnect",
    "Fault",
    "Greylist",
    "Mailbox",
    "ReceivedMessage",
    "RecipientLimit",
    "RejectRecipient",
    "RejectSender",
    "SessionEvent",
    "SessionLog",
    "SessionLogs",
    "SizeLimit",
    "StripTlsProxy",
    "TemporaryFailure",
]
