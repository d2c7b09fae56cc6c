"""Fixtures for the client's tests: a plain aiosmtpd server (see aiosmtpd_peer.py)."""

from aiosmtpd_peer import aiosmtpd_peer, ca, cleartext_auth_peer

__all__ = ["aiosmtpd_peer", "ca", "cleartext_auth_peer"]
