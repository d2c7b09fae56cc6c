"""AUTH for the DebugServer: the demo account, password checks and CRAM-MD5 (RFC 4954).

PLAIN and LOGIN are aiosmtpd's own mechanisms; they hand us a login and password through
`Authenticator`. CRAM-MD5 (RFC 2195) is not built into aiosmtpd, so `cram_md5` runs its
challenge and response here. No password is ever stored outside the users table: a
successful login leaves only the user name behind (``session.auth_data``).
"""

from __future__ import annotations

import hmac
import itertools
import logging
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from aiosmtpd.smtp import MISSING, AuthResult, LoginPassword

log = logging.getLogger("smtplearn.server")

#: The demo account every lesson logs in with. It is not a secret: it is printed by
#: ``smtplearn server`` and written in the notebooks.
DEMO_USER = "student"
DEMO_PASSWORD = "demo-password"

_challenge_counter = itertools.count(1)


def check_password(users: Mapping[str, str], login: str, password: str) -> bool:
    """True when `login` is in `users` with exactly `password` (compared in constant time)."""
    expected = users.get(login)
    if expected is None:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), password.encode("utf-8"))


class Authenticator:
    """aiosmtpd's ``authenticator`` callback for PLAIN and LOGIN, reading a live users table."""

    def __init__(self, users: Callable[[], Mapping[str, str]]) -> None:
        self._users = users

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode("utf-8", errors="replace")
        password = auth_data.password.decode("utf-8", errors="replace")
        if check_password(self._users(), login, password):
            log.info("%r authenticated as %r with %s", session.peer, login, mechanism)
            # Only the name is kept: the password must not reach the mailbox or session log.
            return AuthResult(success=True, auth_data=login)
        log.info("%r failed %s authentication as %r", session.peer, mechanism, login)
        return AuthResult(success=False, handled=False)


def cram_md5_challenge(hostname: str) -> bytes:
    """A fresh challenge in RFC 2195's shape, ``<random.counter@hostname>``."""
    return f"<{secrets.randbelow(10**9)}.{next(_challenge_counter)}@{hostname}>".encode("ascii")


def cram_md5_digest(password: str, challenge: bytes) -> str:
    """The hex HMAC-MD5 of the challenge keyed with the password (RFC 2195 §2)."""
    return hmac.new(password.encode("utf-8"), challenge, "md5").hexdigest()


async def cram_md5(server: Any, args: list[str], users: Mapping[str, str]) -> AuthResult:
    """Run one CRAM-MD5 exchange on aiosmtpd's `server` and check the answer against `users`."""
    if len(args) > 1:
        # RFC 2195 has the server speak first, so an initial response is a client error.
        await server.push("501 5.5.2 CRAM-MD5 does not take an initial response")
        return AuthResult(success=False, handled=True)
    challenge = cram_md5_challenge(server.hostname)
    answer = await server.challenge_auth(challenge)
    if answer is MISSING:
        # challenge_auth has already replied (client cancelled with "*", or bad base64).
        return AuthResult(success=False, handled=True)
    login, _, digest = bytes(answer).decode("utf-8", errors="replace").rpartition(" ")
    password = users.get(login)
    if password is not None and hmac.compare_digest(cram_md5_digest(password, challenge), digest.lower()):
        log.info("%r authenticated as %r with CRAM-MD5", server.session.peer, login)
        return AuthResult(success=True, auth_data=login)
    log.info("%r failed CRAM-MD5 authentication as %r", server.session.peer, login)
    return AuthResult(success=False, handled=False)
