"""`AuthSMTP`: aiosmtpd's SMTP class with the AUTH command and exchange as RFC 4954 has them.

aiosmtpd runs the exchange; this layer fixes where it differs from the RFC: mechanism names
in any case, AUTH refused inside a mail transaction, answers up to 12288 octets, and no
answer ever written to a log. The mechanisms and the password checks are in
`smtplearn.server.auth`; the session plumbing is in `smtplearn.server.protocol`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiosmtpd.smtp import MISSING, AuthResult, syntax

from smtplearn.protocol.grammar import (
    EMPTY_INITIAL_RESPONSE,
    MAX_AUTH_RESPONSE_LINE,
    b64decode_strict,
    b64encode_bytes,
)
from smtplearn.server.aiosmtpd_adapter import SMTPAdapter


class AuthSMTP(SMTPAdapter):
    """The AUTH command (RFC 4954 §4) on top of aiosmtpd's."""

    # The prompts most servers send for AUTH LOGIN (aiosmtpd's own end in a NUL byte).
    AuthLoginUsernameChallenge = "Username:"
    AuthLoginPasswordChallenge = "Password:"

    @syntax("AUTH <mechanism>")
    async def smtp_AUTH(self, arg: str) -> None:
        if self.envelope is not None and self.envelope.mail_from is not None:
            await self.push(
                "503 5.5.1 Error: AUTH is not permitted during a mail transaction; "
                "send RSET first (RFC 4954 §4)"
            )
            return
        # RFC 5321 §2.4: argument values are not case sensitive; aiosmtpd looks the
        # mechanism up as written.
        mechanism, space, rest = (arg or "").partition(" ")
        await super().smtp_AUTH(mechanism.upper() + space + rest if arg else arg)

    # aiosmtpd decodes an initial response as base64, and "=" (zero octets, RFC 4954 §4) is
    # not base64: it answered "501 Can't decode base64" to a valid line. The base64 of zero
    # octets is the empty string, so that is what its mechanisms are given.
    async def auth_PLAIN(self, _: Any, args: list[str]) -> AuthResult:
        if args[1:] == [EMPTY_INITIAL_RESPONSE]:
            # RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd, authcid and
            # passwd at least one character each. An empty message is malformed, which
            # aiosmtpd answers 501 for any PLAIN message ("Can't split auth value"); no
            # password was checked, so it is not a 535.
            await self.push(
                "501 5.5.2 The PLAIN response is empty: it holds no user name or password; send "
                "[authzid] NUL user NUL password, base64-encoded (RFC 4616 §2)"
            )
            return AuthResult(success=False, handled=True)
        return await super().auth_PLAIN(_, args)

    async def auth_LOGIN(self, _: Any, args: list[str]) -> AuthResult:
        # LOGIN's initial response is the user name: an empty one, and the password comes next.
        given = ["" if arg == EMPTY_INITIAL_RESPONSE else arg for arg in args[1:2]]
        return await super().auth_LOGIN(_, [*args[:1], *given])

    async def challenge_auth(
        self, challenge: str | bytes, encode_to_b64: bool = True, log_client_response: bool = False
    ) -> Any:  # the decoded bytes, or aiosmtpd's MISSING
        """Send a 334 challenge and return the decoded answer, or MISSING after replying.

        aiosmtpd's own reads the answer with the 1001-octet command reader (a longer one
        became a 451 with a traceback) and logs an answer that is not base64 — a password
        typed in clear. RFC 4954 §4 asks for answers up to 12288 octets and a 500 (5.5.6)
        beyond; nothing of the answer is ever logged (`log_client_response` is ignored).
        """
        data = challenge.encode() if isinstance(challenge, str) else challenge
        await self.push(b"334 " + (b64encode_bytes(data) if encode_to_b64 else data))
        line = await self._read_auth_response()
        if line is None:
            await self.push(
                f"500 5.5.6 Authentication Exchange line is too long: at most "
                f"{MAX_AUTH_RESPONSE_LINE} octets (RFC 4954 §4)"
            )
            return MISSING
        refusal = self._line_refusal(line)
        if refusal is not None:
            await self.push(refusal)
            return MISSING
        blob = line.strip()
        if blob == b"*":
            # RFC 4954 §4: "*" cancels the exchange and the server answers 501.
            await self.push("501 5.7.0 Auth aborted")
            return MISSING
        decoded = b64decode_strict(blob)
        if decoded is None:
            await self.push("501 5.5.2 Can't decode base64")
            return MISSING
        return decoded

    def _line_refusal(self, line: bytes) -> str | None:
        """Why a line the client sent is refused before it is read for its meaning, or None.

        Nothing here; `smtplearn.server.protocol.DebugSMTP` applies its line rules.
        """
        return None

    async def _read_auth_response(self) -> bytes | None:
        """One line of at most MAX_AUTH_RESPONSE_LINE octets, or None once a longer one is read."""
        kept: list[bytes] = []
        size = 0
        while True:
            try:
                end = await self.stream_reader.readuntil(b"\n")
            except asyncio.LimitOverrunError as error:
                # Longer than the reader's buffer: take what it holds and look again.
                piece = await self.stream_reader.read(error.consumed)
                size += len(piece)
                if size <= MAX_AUTH_RESPONSE_LINE:
                    kept.append(piece)
                continue
            except asyncio.IncompleteReadError as error:
                end = error.partial
            size += len(end)
            return b"".join([*kept, end]) if size <= MAX_AUTH_RESPONSE_LINE else None
