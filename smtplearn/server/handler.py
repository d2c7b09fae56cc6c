"""`DebugHandler`: the aiosmtpd hooks that decide what the DebugServer answers.

EHLO's extension list, MAIL and RCPT (with the fault rules), DATA (smuggling defence,
mailbox, Maildir), VRFY (the directory), QUIT and the CRAM-MD5 mechanism. The SMTP
machinery itself is aiosmtpd's; the session plumbing is in `smtplearn.server.protocol`.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from typing import Any

from aiosmtpd.smtp import AuthResult, auth_mechanism

from smtplearn.server.auth import cram_md5
from smtplearn.server.directory import vrfy_reply
from smtplearn.server.faults import MESSAGE
from smtplearn.server.limits import MAX_RECIPIENTS, TOO_MANY_RECIPIENTS
from smtplearn.server.mailbox import ReceivedMessage, store_in_maildir
from smtplearn.server.protocol import DebugSMTP
from smtplearn.server.state import ServerState
from smtplearn.server.strict import eight_bit_refusal

log = logging.getLogger("smtplearn.server")

# RFC 5321 §2.3.8: lines end with CRLF only. A bare CR or LF is how SMTP smuggling hides a
# second message behind "\n.\n" for servers that would take it as the end of the data, so
# a message containing one is refused whole.
_BARE_CR_OR_LF = re.compile(rb"\r(?!\n)|(?<!\r)\n")


class DebugHandler:
    """The handler object aiosmtpd calls back (``handle_<VERB>`` and ``auth_*`` methods)."""

    def __init__(self, state: ServerState) -> None:
        self.state = state

    async def handle_EHLO(
        self, server: DebugSMTP, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        # With this hook present aiosmtpd leaves recording the client's name to us.
        session.host_name = hostname
        first = f"250-{server.hostname} Hello {hostname} [{server.client_ip}], pleased to meet you"
        # aiosmtpd reads pipelined commands from one buffered stream and answers them in
        # order (RFC 2920 §3.1), and our `push` gives every reply an enhanced code (RFC 2034).
        offered = [line for line in responses[1:] if line[4:].upper() not in self.state.withheld]
        return [first, "250-ENHANCEDSTATUSCODES", "250-PIPELINING", *offered]

    async def handle_HELO(self, server: DebugSMTP, session: Any, envelope: Any, hostname: str) -> str:
        session.host_name = hostname
        return f"250 {server.hostname} Hello {hostname} [{server.client_ip}], pleased to meet you"

    async def handle_MAIL(
        self, server: DebugSMTP, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        rejected = self.state.faults.sender_reply(address)
        if rejected is not None:
            return rejected
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return f"250 2.1.0 {_bracketed(address)}... Sender ok"

    async def handle_RCPT(
        self, server: DebugSMTP, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in ("", "<>"):
            # RFC 5321 §4.1.1.3: the null path <> is a reverse-path (for bounces), never a recipient.
            return "501 5.1.3 Bad recipient address syntax: <> is only allowed in MAIL FROM"
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return TOO_MANY_RECIPIENTS
        limit = self.state.faults.recipient_limit()
        if limit is not None and len(envelope.rcpt_tos) >= limit:
            return f"452 4.5.3 Too many recipients, at most {limit} per message"
        reply = self.state.faults.recipient_reply(server.client_ip, envelope.mail_from, address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return f"250 2.1.5 {_bracketed(address)}... Recipient ok"

    async def handle_DATA(self, server: DebugSMTP, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content
        if _BARE_CR_OR_LF.search(raw):
            log.warning("%r message refused: bare CR or LF", session.peer)
            return "554 5.6.0 Message refused: bare CR or LF in the text (RFC 5321 §2.3.8)"
        if server.size_limit and len(raw) > server.size_limit:
            return (
                f"552 5.3.4 Message too big: {len(raw)} octets, the limit is {server.size_limit} "
                "(transparency dots not counted, RFC 1870 §5)"
            )
        if not self.state.lenient:
            refusal = eight_bit_refusal(raw, envelope.mail_options)
            if refusal is not None:
                return refusal
        action = await server.fault_at(MESSAGE)
        if action is not None:
            # A fault answers (or hangs up) instead of the server: nothing is stored.
            if action.close or action.reply is None:
                await server.carry_out(action)
            return str(action.reply)
        message = ReceivedMessage(
            queue_id=self.state.next_queue_id(),
            mail_from=envelope.mail_from,
            rcpt_tos=tuple(envelope.rcpt_tos),
            raw=raw,
            peer=(str(session.peer[0]), int(session.peer[1])),
            helo=session.host_name,
            tls_version=server.tls_version,
            user=session.auth_data if session.authenticated else None,
            received_at=datetime.now(timezone.utc),
            mail_options=tuple(envelope.mail_options),
            session=server.log.number if server.log else 0,
        )
        refused = self.state.faults.message_reply(message)
        if refused is not None:
            return refused
        if self.state.maildir is not None:
            # Synchronous on purpose: the 250 below must mean "on disk" (RFC 5321 §6.1).
            store_in_maildir(self.state.maildir, message)
        self.state.mailbox._append(message)
        log.info("%r message %s accepted, %d bytes", session.peer, message.queue_id, len(raw))
        return f"250 2.0.0 {message.queue_id} Message accepted for delivery"

    async def handle_VRFY(self, server: DebugSMTP, session: Any, envelope: Any, address: str) -> str:
        return vrfy_reply(self.state.directory, address, self.state.vrfy)

    async def handle_QUIT(self, server: DebugSMTP, session: Any, envelope: Any) -> str:
        return f"221 2.0.0 {server.hostname} closing connection"

    async def handle_exception(self, error: Exception) -> str:
        log.exception("error in an SMTP session")
        # A bug or a full disk here is the server's trouble, not the client's: 4xx asks the
        # client to try again (RFC 5321 §4.2.1) rather than to give the message up.
        return f"451 4.3.0 Error in the server: {type(error).__name__}"

    @auth_mechanism("CRAM-MD5")
    async def auth_CRAM_MD5(self, server: DebugSMTP, args: list[str]) -> AuthResult:
        return await cram_md5(server, args, self.state.users)


def _bracketed(address: str) -> str:
    # aiosmtpd hands the null reverse-path over as "<>" but other paths without brackets.
    return address if address.startswith("<") else f"<{address}>"
