"""`SMTP_SSL`: smtplib's implicit-TLS class over the facade's `SMTP`."""

from __future__ import annotations

import socket
import ssl

from smtplearn.compat.smtp import SMTP, SMTP_SSL_PORT


class SMTP_SSL(SMTP):
    """Drop-in for `smtplib.SMTP_SSL`: TLS from the first byte (RFC 8314), verified by default."""

    default_port = SMTP_SSL_PORT
    _implicit_tls = True

    def __init__(
        self,
        host: str = "",
        port: int = 0,
        local_hostname: str | None = None,
        *,
        timeout: float | None = socket.getdefaulttimeout() or 30.0,
        source_address: tuple[str, int] | None = None,
        context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(host, port, local_hostname, timeout, source_address, context=context)
