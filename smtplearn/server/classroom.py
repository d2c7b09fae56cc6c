"""How a lesson finds the classroom server: the two environment variables students set.

`smtplearn.lesson` reads them; the banner of ``smtplearn server`` prints them with this
server's values, so an instructor can hand the line out as it is.
"""

from __future__ import annotations

import ipaddress

#: ``host:port`` of a server to use instead of starting a DebugServer in the kernel.
ENV_SERVER = "SMTPLEARN_SERVER"
#: Path of the PEM file with the CA that signed the remote server's certificate.
ENV_CA = "SMTPLEARN_CA"


def reachable_host(host: str, hostname: str) -> str:
    """The name clients use for a server listening on `host` and calling itself `hostname`.

    A server on every address (0.0.0.0, ::) is reached by its name, the one its certificate
    carries; one on a single address by that address.
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.is_unspecified:
        return hostname
    return f"[{host}]" if address.version == 6 else host


def student_settings(host: str, port: int, hostname: str, *, tls: bool) -> str:
    """The environment students set to use this server, e.g. ``SMTPLEARN_SERVER=mail:8025``."""
    settings = f"{ENV_SERVER}={reachable_host(host, hostname)}:{port}"
    if tls:
        # The server's own CA file is in a folder only the instructor can read.
        settings += f" {ENV_CA}=<a copy of the CA certificate they can read>"
    return settings
