"""AUTH for the DebugServer: the demo account, password checks and CRAM-MD5 (RFC 4954).

PLAIN and LOGIN are aiosmtpd's own mechanisms; they hand us a login and password through
`Authenticator`. CRAM-MD5 (RFC 2195) is not built into aiosmtpd, so `cram_md5` runs its
challenge and response here. No password is ever stored outside the users table: a
successful login leaves only the user name behind (``session.auth_data``).
"""

from __future__ import annotations

import functools
import hmac
import itertools
import logging
import re
import secrets
from collections.abc import Callable, Collection, Mapping
from typing import Any

from aiosmtpd.smtp import MISSING, AuthResult, LoginPassword

from smtplearn.protocol.grammar import REDACTED, b64decode_strict, b64encode_text, cram_md5_digest

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
    name, _, digest = bytes(answer).rpartition(b" ")
    login = name.decode("utf-8", errors="replace")
    password = users.get(login)
    # Compared as bytes: the answer may hold any octet, and compare_digest refuses
    # non-ASCII str (a TypeError that became a 451 with a traceback).
    if password is not None and hmac.compare_digest(
        cram_md5_digest(password, challenge).encode("ascii"), digest.lower()
    ):
        log.info("%r authenticated as %r with CRAM-MD5", server.session.peer, login)
        return AuthResult(success=True, auth_data=login)
    log.info("%r failed CRAM-MD5 authentication as %r", server.session.peer, login)
    return AuthResult(success=False, handled=False)


# Words long enough to carry a password once base64-decoded (RFC 4648 §4 alphabet).
_BASE64_WORD = re.compile(r"[A-Za-z0-9+/]{8,}={0,2}")


def _b64(text: str) -> str:
    return b64encode_text(text).rstrip("=")


@functools.lru_cache(maxsize=16)
def _secrets(accounts: tuple[tuple[str, str], ...]) -> tuple[re.Pattern[str], tuple[str, ...]] | None:
    """A pattern for every form a password travels in, and the passwords in lower case.

    The forms: in clear, as AUTH LOGIN's base64, and inside AUTH PLAIN's base64 (RFC 4616
    §2: ``[authzid] NUL authcid NUL passwd``). They are matched without regard to case,
    because aiosmtpd echoes an unknown command upper-cased in its 500 reply.
    """
    forms: set[str] = set()
    for user, password in accounts:
        if password:
            forms |= {
                password,
                _b64(password),
                _b64(f"\0{user}\0{password}"),
                _b64(f"{user}\0{user}\0{password}"),
            }
    if not forms:
        return None
    pattern = re.compile("|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)), re.IGNORECASE)
    return pattern, tuple(password.lower() for _, password in accounts if password)


def redact_passwords(text: str, users: Mapping[str, str], *, decode: bool = True) -> str:
    """`text` with any password of `users` replaced by ``<redacted>``, plain or inside base64.

    The server knows every account's password, so it can hide one wherever a client put it
    by mistake: typed in clear at a 334 prompt, sent as a command after a refused AUTH,
    echoed in a 500 reply. With `decode`, other base64 words are decoded too, for a PLAIN
    answer whose authorization identity is not the user's own name.
    """
    known = _secrets(tuple(users.items()))
    if known is None:
        return text
    pattern, lowered = known
    text = pattern.sub(REDACTED, text)
    if not decode:
        return text

    def hide_encoded(word: re.Match[str]) -> str:
        if len(word.group()) % 4:
            return word.group()
        raw = b64decode_strict(word.group())
        if raw is None:
            return word.group()
        decoded = raw.decode("utf-8", "replace").lower()
        return REDACTED if any(p in decoded for p in lowered) else word.group()

    return _BASE64_WORD.sub(hide_encoded, text)


class PasswordRedactingFilter(logging.Filter):
    """A logging filter that applies `redact_passwords` to every record of a logger."""

    def __init__(self, users: Callable[[], Mapping[str, str]]) -> None:
        super().__init__()
        self._users = users

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_passwords(message, self._users())
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


#: The loggers that may see what a client sent: ours and aiosmtpd's.
SERVER_LOGGERS: Collection[str] = ("smtplearn.server", "mail.log")
