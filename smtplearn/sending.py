"""`send_message`: a whole message in one call, made only of the `Client`'s public steps.

It takes the envelope from the headers (as smtplib does), adds SIZE, BODY=8BITMIME and
SMTPUTF8 where the server offers them and the message needs them, pipelines MAIL, every
RCPT and DATA when the server announces PIPELINING (RFC 2920, through `Client.pipeline`),
and abandons the transaction with RSET when the core says it cannot go on
(`states.transaction_refused`). Every step taken is returned, or carried by `SendError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from types import MappingProxyType
from typing import TYPE_CHECKING

from smtplearn.envelope import Envelope, envelope_of
from smtplearn.protocol import commands
from smtplearn.protocol.commands import Command
from smtplearn.protocol.data import message_bytes, needs_8bitmime
from smtplearn.protocol.errors import LocalProtocolError, SMTPLearnError, SMTPReplyError
from smtplearn.protocol.replies import Reply
from smtplearn.protocol.states import ClientState, transaction_refused
from smtplearn.record import Step, Transcript

if TYPE_CHECKING:
    from smtplearn.client import Client


class SendError(SMTPReplyError):
    """`send_message` could not deliver: the greeting, EHLO, MAIL or DATA failed, every
    recipient was refused, or the server ended the session (a 421, a reply out of step).

    `steps` holds every step taken, so the failure can be inspected like any transcript.
    """

    def __init__(self, problem: str, steps: Sequence[Step], failed: Step) -> None:
        self.steps = tuple(steps)
        self.transcript = Transcript(self.steps)
        #: The step that failed, and its reply (not the RSET's that tidied up after it).
        self.failed_step = failed
        self.command = failed.shown or failed.name
        self.reply = failed.reply
        SMTPLearnError.__init__(self, problem)


@dataclass(frozen=True)
class SendResult:
    """What `send_message` did: every step, and which recipients were accepted or refused."""

    steps: tuple[Step, ...]
    accepted: tuple[str, ...]
    #: Each refused recipient and the reply that refused it (read-only).
    refused: Mapping[str, Reply] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple(self.steps))
        object.__setattr__(self, "accepted", tuple(self.accepted))
        object.__setattr__(self, "refused", MappingProxyType(dict(self.refused)))

    @property
    def ok(self) -> bool:
        """True when the message was accepted for at least one recipient."""
        return bool(self.accepted) and self.steps[-1].ok

    @property
    def transcript(self) -> Transcript:
        return Transcript(self.steps)

    def __str__(self) -> str:
        return str(self.transcript)

    def _repr_html_(self) -> str:
        return self.transcript._repr_html_()


def send_message(
    client: Client,
    message: EmailMessage | Message,
    from_addr: str | None = None,
    to_addrs: str | Sequence[str] | None = None,
    *,
    pipelining: bool | None = None,
) -> SendResult:
    """Send a whole message on `client`, taking the envelope from its headers like smtplib.

    Bcc recipients get the message but the Bcc header is not sent. With PIPELINING
    advertised (and `pipelining` not False) MAIL, every RCPT and DATA go out in one write.

    Raises `SendError`, carrying every step, when MAIL or DATA fails or every recipient is
    refused.
    """
    if client.state is ClientState.DISCONNECTED:
        greeting = client.connect()
        if not greeting.ok:  # e.g. 421: too busy now, try later (RFC 5321 §3.8)
            raise SendError(f"the server refused the session: {greeting.reply}", [greeting], greeting)
    if client.state is ClientState.CONNECTED:
        hello = client.ehlo()
        if not hello.ok:
            raise SendError(_failure(client, hello, "the server refused EHLO"), [hello], hello)
    if client.state is ClientState.CLOSED and client.transcript:
        last = client.transcript[-1]
        raise SendError(_failure(client, last, "the session is over; make a new Client"), [last], last)
    client.check_tls_required()
    envelope = envelope_of(message, from_addr, to_addrs)
    mail_command, body = _prepare(client, envelope)
    use_pipelining = client.extensions.has("PIPELINING") if pipelining is None else pipelining
    if use_pipelining:
        steps = _pipelined_transaction(client, mail_command, envelope.recipients, body)
    else:
        steps = _stepwise_transaction(client, mail_command, envelope.recipients, body)
    return _result(client, steps, envelope.recipients)


def _prepare(client: Client, envelope: Envelope) -> tuple[Command, bytes]:
    extensions = client.extensions
    smtputf8 = envelope.needs_smtputf8
    if smtputf8 and not extensions.has("SMTPUTF8"):
        raise LocalProtocolError(
            "an address is not ASCII but the server did not offer SMTPUTF8 (RFC 6531 §3.4): "
            "use an ASCII address or a server that supports SMTPUTF8"
        )
    body = message_bytes(envelope.message, smtputf8=smtputf8)
    eight_bit = needs_8bitmime(body)
    if eight_bit and not extensions.has("8BITMIME") and not smtputf8:
        raise LocalProtocolError(
            "the message has 8-bit bytes but the server did not offer 8BITMIME (RFC 6152): "
            "encode the body (e.g. quoted-printable) or use a server that offers 8BITMIME"
        )
    size = len(body) if extensions.has("SIZE") else None
    command = commands.mail(
        envelope.sender,
        size=size,
        body="8BITMIME" if eight_bit and extensions.has("8BITMIME") else None,
        smtputf8=smtputf8,
    )
    return command, body


def _stepwise_transaction(
    client: Client, mail_command: Command, recipients: Sequence[str], body: bytes
) -> list[Step]:
    steps = [client.send_command(mail_command, name="mail")]
    if steps[0].ok:
        for address in recipients:
            steps.append(client.rcpt(address))
            if client.state is ClientState.CLOSED:
                break
    _abandon_if_refused(client, steps)
    steps.append(client.data(body))
    return steps


def _pipelined_transaction(
    client: Client, mail_command: Command, recipients: Sequence[str], body: bytes
) -> list[Step]:
    group = [("mail", mail_command)]
    group += [("rcpt", commands.rcpt(a, smtputf8=mail_command.smtputf8)) for a in recipients]
    group.append(("data", commands.data()))
    steps = client.pipeline(group, body)
    _abandon_if_refused(client, steps)
    return steps


def _abandon_if_refused(client: Client, steps: list[Step]) -> None:
    """Reset and raise when the sender or every recipient was refused (RFC 5321 §4.1.1.5).

    When the server ended the session (421, a reply out of step) there is nothing to reset.
    """
    if client.state is ClientState.CLOSED:
        raise SendError(_failure(client, steps[-1], "the server ended the session"), steps, steps[-1])
    mail_step = steps[0]
    rcpt_steps = [step for step in steps if step.name == "rcpt"]
    refused = transaction_refused(mail_step.ok, [step.ok for step in rcpt_steps])
    if refused is None:
        return
    if refused == "sender":
        failed, problem = mail_step, f"the server refused the sender: {mail_step.reply}"
    else:
        failed, problem = rcpt_steps[-1], "the server refused every recipient"
    steps.append(client.rset())
    raise SendError(problem, steps, failed)


def _result(client: Client, steps: list[Step], recipients: Sequence[str]) -> SendResult:
    rcpt_steps = [s for s in steps if s.name == "rcpt"]
    accepted = tuple(a for a, s in zip(recipients, rcpt_steps, strict=True) if s.ok)
    refused = {a: s.reply for a, s in zip(recipients, rcpt_steps, strict=True) if not s.ok and s.reply}
    final = steps[-1]
    if final.name != "data" or not final.ok:
        raise SendError(_failure(client, final, "the server did not accept the message"), steps, final)
    return SendResult(steps=tuple(steps), accepted=accepted, refused=refused)


def _failure(client: Client, step: Step, problem: str) -> str:
    """What went wrong, and the core's reason when the server's reply ended the session."""
    reason = client.close_reason
    return f"{problem}: {step.reply}" + (f"; {reason}" if reason else "")
