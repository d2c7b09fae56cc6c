"""The DebugServer's local certificate authority: server and client TLS contexts.

Each server gets its own throw-away CA from `trustme`, so certificate verification stays
on in every lesson without touching the system trust store. Nothing here opens a socket.
"""

from __future__ import annotations

import os
import ssl
import tempfile
from typing import Literal

import trustme

#: "starttls" (upgrade on request), "implicit" (TLS from the first byte, port 465) or False.
TlsMode = Literal["starttls", "implicit", False]
TLS_MODES: tuple[TlsMode, ...] = ("starttls", "implicit", False)


def check_tls_mode(tls: object) -> None:
    """Refuse a `tls` setting that is not one of `TLS_MODES`."""
    if tls not in TLS_MODES:
        raise ValueError(f"tls must be 'starttls', 'implicit' or False, not {tls!r}")


class LocalCA:
    """A fresh CA and a server certificate valid for 127.0.0.1, ::1, localhost and `hostname`.

    `ca_pem_path` writes the CA certificate to a private temporary directory so that other
    clients (openssl s_client, swaks, a browser) can trust it too; `cleanup()` removes it.
    """

    def __init__(self, hostname: str) -> None:
        # ECDSA keys (trustme's default) keep generation to a few milliseconds, which is
        # what makes "ready in well under a second" hold even for 30 servers at once.
        self._ca = trustme.CA(organization_name="smtplearn DebugServer local CA")
        self._leaf = self._ca.issue_cert("127.0.0.1", "::1", "localhost", hostname)
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def ca_pem_path(self) -> str:
        """The CA certificate's PEM file, written on first use."""
        # Written only when asked for: most lessons trust the CA in memory, and a kernel that
        # is killed rather than shut down would leave the file behind.
        if self._dir is None:
            self._dir = tempfile.TemporaryDirectory(prefix="smtplearn-ca-")
            self._ca.cert_pem.write_to_path(os.path.join(self._dir.name, "smtplearn-ca.pem"))
        return os.path.join(self._dir.name, "smtplearn-ca.pem")

    def server_context(self) -> ssl.SSLContext:
        """A server-side context presenting the leaf certificate; client certs are not asked for."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._leaf.configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts only this CA, with hostname checking on."""
        # PROTOCOL_TLS_CLIENT: verification and hostname checking on, no system CAs loaded.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(cadata=self._ca.cert_pem.bytes().decode("ascii"))
        return context

    def cleanup(self) -> None:
        """Remove the CA PEM file and its directory, if they were written."""
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None
