"""`StrictCommandsSMTP`: aiosmtpd's MAIL, RCPT, DATA, EHLO, HELO, VRFY, EXPN with the lesson's rules.

Unless the server is lenient, the syntax of an in-order MAIL or RCPT, the name given to
EHLO or HELO and the string given to VRFY or EXPN are judged by `smtplearn.server.strict`
before aiosmtpd parses them; DATA measures a message without its transparency dots; the
command line limits are RFC 5321's and belong to one session. What the server *answers* is
the handler's business (`smtplearn.server.handler`); the session plumbing is in
`smtplearn.server.protocol`.
"""

from __future__ import annotations

import collections
from typing import Any

from aiosmtpd.smtp import syntax

from smtplearn.protocol.grammar import MAX_COMMAND_LINE
from smtplearn.server.auth_exchange import AuthSMTP
from smtplearn.server.state import ServerState
from smtplearn.server.strict import greeting_refusal, lookup_refusal, mail_refusal, rcpt_refusal


class StrictCommandsSMTP(AuthSMTP):
    """The transaction and greeting commands, strict unless `state.lenient`."""

    # RFC 5321 §4.5.3.1.4: a command line is at most 512 octets *including* CRLF (the
    # client core's MAX_COMMAND_LINE), and aiosmtpd measures the line without it.
    command_size_limit = MAX_COMMAND_LINE - len(b"\r\n")

    def __init__(self, handler: Any, state: ServerState, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        # aiosmtpd keeps these limits in a class attribute that every EHLO enlarges; a
        # per-session copy keeps one client's EHLOs from changing another's limits.
        self.command_size_limits = collections.defaultdict(lambda: self.command_size_limit)
        self.state = state
        #: The message size limit; aiosmtpd's own counter is widened during DATA.
        self.size_limit: int | None = self.data_size_limit

    def _in_transaction_step(self, verb: str) -> bool:
        """True when `verb` (MAIL or RCPT) comes in order, so its syntax is what to judge."""
        if self.session is None or self.envelope is None or not self.session.host_name:
            return False
        return (self.envelope.mail_from is None) == (verb == "MAIL")

    @syntax("MAIL FROM: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_MAIL(self, arg: str | None) -> None:
        # Sequence errors keep aiosmtpd's 503; only an in-order MAIL has its syntax judged.
        if not self.state.lenient and self._in_transaction_step("MAIL"):
            refusal = mail_refusal(arg)
            if refusal is not None:
                await self.push(refusal)
                return
        if "8BITMIME" in self.state.withheld and "BODY=8BITMIME" in (arg or "").upper().split():
            # RFC 5321 §4.1.1.11: 555 for a MAIL parameter the server does not implement.
            await self.push(
                "555 5.5.4 BODY=8BITMIME is not supported here: 8BITMIME was not offered (RFC 6152)"
            )
            return
        await super().smtp_MAIL(arg)

    @syntax("RCPT TO: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_RCPT(self, arg: str | None) -> None:
        if not self.state.lenient and self._in_transaction_step("RCPT"):
            assert self.envelope is not None
            refusal = rcpt_refusal(arg, smtputf8=bool(self.envelope.smtp_utf8))
            if refusal is not None:
                await self.push(refusal)
                return
        await super().smtp_RCPT(arg)

    @syntax("VRFY <address>")
    async def smtp_VRFY(self, arg: str) -> None:
        if await self._refused_lookup("VRFY", arg):
            return
        await super().smtp_VRFY(arg)

    # No @syntax: aiosmtpd gives EXPN none, so HELP leaves it out, as before.
    async def smtp_EXPN(self, arg: str) -> None:
        if await self._refused_lookup("EXPN", arg):
            return
        await super().smtp_EXPN(arg)

    async def _refused_lookup(self, verb: str, arg: str | None) -> bool:
        """Refuse a VRFY or EXPN the lessons teach a client must not send; True if refused."""
        refusal = None if self.state.lenient else lookup_refusal(verb, arg)
        if refusal is not None:
            await self.push(refusal)
        return refusal is not None

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        # aiosmtpd counts octets as they arrive, transparency dots included, but a message's
        # size leaves them out (RFC 1870 §5). Each dot comes with at least 3 octets of text
        # (".\r\n" is sent as "..\r\n"), so the wire may carry 4/3 of the limit; the
        # handler judges the message itself against `size_limit`.
        limit = self.size_limit
        if limit:
            self.data_size_limit = limit + limit // 3 + 1
        try:
            await super().smtp_DATA(arg)
        finally:
            self.data_size_limit = limit

    @syntax("EHLO hostname")
    async def smtp_EHLO(self, hostname: str) -> None:
        refusal = None if self.state.lenient else greeting_refusal("EHLO", hostname)
        if refusal is not None:
            await self.push(refusal)
            return
        # A withheld SMTPUTF8 is one this session does not support (aiosmtpd then reads
        # commands as strict ASCII and refuses the SMTPUTF8 parameter).
        self.enable_SMTPUTF8 = "SMTPUTF8" not in self.state.withheld
        # Each EHLO starts over (RFC 5321 §4.1.4); aiosmtpd would add the SIZE and
        # SMTPUTF8 allowances to the MAIL line limit again on top of the previous ones.
        self.command_size_limits.clear()
        await super().smtp_EHLO(hostname)

    @syntax("HELO hostname")
    async def smtp_HELO(self, hostname: str) -> None:
        refusal = None if self.state.lenient else greeting_refusal("HELO", hostname)
        if refusal is not None:
            await self.push(refusal)
            return
        await super().smtp_HELO(hostname)
