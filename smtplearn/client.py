"""The blocking SMTP client: one public method per SMTP step, each returning a `Step`.

`Client` is a thin driver. The protocol core (`smtplearn.protocol`) decides what may be
sent and what each reply means; `smtplearn.transport` moves the bytes. This module only
strings the two together and records what happened.

A negative reply is data, not an exception: `step.ok` is False and
`step.raise_for_reply()` raises. Transport faults (refused, timeout, TLS) do raise.
"""

from __future__ import annotations

import logging
import socket
import ssl
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from email.message import EmailMessage, Message
from types import TracebackType

from smtplearn.envelope import Envelope, envelope_of
from smtplearn.protocol import commands, sasl
from smtplearn.protocol.commands import Command
from smtplearn.protocol.connection import NEED_DATA, ClientConnection
from smtplearn.protocol.data import message_bytes, needs_8bitmime
from smtplearn.protocol.errors import (
    LocalProtocolError,
    RemoteProtocolError,
    SMTPLearnError,
    SMTPReplyError,
)
from smtplearn.protocol.extensions import Extensions
from smtplearn.protocol.replies import Reply
from smtplearn.protocol.states import GREETING, MESSAGE, ClientState
from smtplearn.record import Exchange, Step, Transcript
from smtplearn.transport import ConnectionClosedError, TLSError, Transport, TransportError

log = logging.getLogger("smtplearn")

MessageLike = EmailMessage | Message | str | bytes


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
    refused: dict[str, Reply] = field(default_factory=dict)

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


class Client:
    """An SMTP client whose every step you can inspect.

    Nothing happens until `connect()` (or entering a ``with`` block, which connects
    and sends QUIT on the way out)::

        with Client(server.host, server.port) as client:
            client.ehlo()
            client.mail("author@example.com")
            ...

    TLS certificates are always verified: pass the DebugServer's
    ``server.client_tls_context()`` as `tls_context`. Credentials are never sent
    over cleartext unless ``allow_insecure_auth=True``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 25,
        *,
        timeout: float = 30.0,
        tls_context: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        local_hostname: str | None = None,
        strict: bool = True,
        allow_insecure_auth: bool = False,
        require_tls: bool = False,
        source_address: tuple[str, int] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.tls_context = tls_context
        self.implicit_tls = implicit_tls
        # smtplib sends this machine's FQDN; a fixed name keeps lesson transcripts reproducible.
        self.local_hostname = local_hostname or "localhost"
        self.strict = strict
        self.allow_insecure_auth = allow_insecure_auth
        self.require_tls = require_tls
        self.transcript = Transcript()
        #: How many times the client has sent something and then waited for the server.
        self.round_trips = 0
        self._conn = ClientConnection(strict=strict)
        self._transport = Transport(host, port, timeout, source_address)
        self._waiting_since_send = False
        self._smtputf8 = False
        # Commands sent by `send_only` whose replies `read_step` has not read yet, oldest first.
        self._unanswered: deque[Command] = deque()

    # -- what a learner can look at ------------------------------------------------------

    @property
    def state(self) -> ClientState:
        return self._conn.state

    @property
    def extensions(self) -> Extensions:
        """What the server's last EHLO reply advertised (cleared by STARTTLS)."""
        return self._conn.extensions

    @property
    def connected_socket(self) -> socket.socket | None:
        """The connected socket (an `ssl.SSLSocket` under TLS), or None: for looking, not I/O."""
        return self._transport.connected_socket

    @property
    def tls_active(self) -> bool:
        return self._conn.tls_active

    @property
    def authenticated(self) -> bool:
        return self._conn.authenticated

    def __repr__(self) -> str:
        tls = ", TLS" if self.tls_active else ""
        return f"<Client {self.host}:{self.port} {self.state.name}{tls}, {len(self.transcript)} steps>"

    # -- connection ------------------------------------------------------------------------

    def connect(self) -> Step:
        """Open the TCP connection (and TLS, for implicit TLS) and read the 220 greeting."""
        if self.state is not ClientState.DISCONNECTED:
            raise LocalProtocolError(
                f"connect() in state {self.state.name}: a Client holds one session; "
                "make a new Client for a new connection"
            )
        before, started = self.state, time.perf_counter()
        context = self._context() if self.implicit_tls else None
        try:
            self._transport.open(context)
        except TLSError:
            # Connected, then lost in the handshake: this session is over, not pending.
            self._conn.closed()
            raise
        self._conn.connection_made(tls=self.implicit_tls)
        details = {"peer": f"{self.host}:{self.port}"}
        if self.implicit_tls and self._transport.tls_version:
            details["tls_version"] = self._transport.tls_version
        self._waiting_since_send = True
        greeting = self._read_reply("the greeting")
        exchange = Exchange("", b"", b"", greeting, self._closing_notes(), GREETING)
        return self._record("connect", "", [exchange], before, started, details)

    def close(self) -> None:
        """Close the socket without QUIT (QUIT is the polite way: see `quit`)."""
        self._transport.close()
        self._conn.closed()

    def __enter__(self) -> Client:
        if self.state is ClientState.DISCONNECTED:
            self.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._transport.is_open and self.state is not ClientState.CLOSED:
            try:
                self.quit()
            except SMTPLearnError:
                log.debug("QUIT on exit failed; closing anyway", exc_info=True)
        self.close()

    # -- one method per SMTP step --------------------------------------------------------

    def ehlo(self, name: str | None = None) -> Step:
        """Greet the server and learn its extensions (RFC 5321 §4.1.1.1)."""
        return self._simple("ehlo", commands.ehlo(name or self.local_hostname))

    def helo(self, name: str | None = None) -> Step:
        """Greet the server the old way: no extensions (RFC 5321 §4.1.1.1)."""
        return self._simple("helo", commands.helo(name or self.local_hostname))

    def starttls(self, context: ssl.SSLContext | None = None) -> Step:
        """Ask for TLS, then do the handshake; EHLO must be sent again afterwards (RFC 3207)."""
        before, started = self.state, time.perf_counter()
        exchange = self._exchange(commands.starttls())
        details: dict[str, str] = {}
        if exchange.reply is not None and exchange.reply.code == 220:
            # RFC 3207 §5: bytes that arrived before the handshake were not protected by TLS;
            # reading them afterwards would let an attacker inject commands' replies.
            dropped = self._conn.discard_buffer()
            if dropped:
                log.warning("discarded %d cleartext bytes received before TLS", len(dropped))
                details["discarded_cleartext_bytes"] = str(len(dropped))
            try:
                details.update(self._transport.start_tls(context or self._context()))
            except TransportError as error:
                # The transport closed the socket: the session ends here, in plain sight.
                self._conn.closed()
                details["tls_error"] = str(error)
                self._record("starttls", "STARTTLS", [exchange], before, started, details, tls=False)
                raise
            self._conn.starttls_done()
        # The STARTTLS line and its 220 crossed the wire in cleartext, whatever came after.
        return self._record("starttls", "STARTTLS", [exchange], before, started, details, tls=False)

    def login(self, user: str, password: str, mechanism: str | None = None) -> Step:
        """Authenticate with SASL (RFC 4954); picks the strongest mechanism offered by default.

        Refuses to send credentials over cleartext unless the client was made with
        ``allow_insecure_auth=True`` (RFC 4954 §4: PLAIN and LOGIN reveal the password).
        """
        # require_tls outranks allow_insecure_auth: a stripped STARTTLS must not leak a password.
        self._check_tls_required()
        if not self.tls_active and not self.allow_insecure_auth:
            raise LocalProtocolError(
                "refusing to send credentials over an unencrypted connection: call starttls() "
                "first, or create the Client with allow_insecure_auth=True to see why that is "
                "dangerous (RFC 4954 §4)"
            )
        name = mechanism.upper() if mechanism else sasl.choose(self.extensions.auth_mechanisms)
        exchange_rules = sasl.mechanism(name, user, password)
        before, started = self.state, time.perf_counter()
        exchanges: list[Exchange] = []
        details = {"mechanism": name}
        command = exchange_rules.start()
        noted = 0
        # The core stops an exchange that never ends (states.MAX_AUTH_CHALLENGES).
        with self._recording("login", "AUTH", exchanges, before, started, details):
            while True:
                self._hide(exchange_rules.secrets)
                exchange = self._exchange(command)
                reply = exchange.reply
                try:
                    if reply is not None and reply.code == 334:
                        command = exchange_rules.respond(reply)
                except RemoteProtocolError:
                    self.close()  # the server waits for an answer we cannot give
                    raise
                finally:
                    exchanges.append(_with_notes(exchange, tuple(exchange_rules.working[noted:])))
                    noted = len(exchange_rules.working)
                if reply is None or reply.code != 334:
                    break
        return self._record("login", "AUTH", exchanges, before, started, details)

    def auth(self, mechanism: str, user: str, password: str) -> Step:
        """Authenticate with the given SASL mechanism (see `login`)."""
        return self.login(user, password, mechanism=mechanism)

    def mail(
        self,
        from_addr: str,
        *,
        size: int | None = None,
        body: str | None = None,
        smtputf8: bool = False,
        params: Iterable[str] = (),
    ) -> Step:
        """Start a mail transaction: the envelope sender (RFC 5321 §4.1.1.2)."""
        self._check_tls_required()
        command = commands.mail(from_addr, size=size, body=body, smtputf8=smtputf8, params=params)
        # RFC 6531 §3.4: SMTPUTF8 on MAIL lets the whole transaction use non-ASCII addresses.
        self._smtputf8 = smtputf8
        return self._simple("mail", command)

    def rcpt(self, to_addr: str, *, params: Iterable[str] = ()) -> Step:
        """Add one envelope recipient (RFC 5321 §4.1.1.3)."""
        return self._simple("rcpt", commands.rcpt(to_addr, smtputf8=self._smtputf8, params=params))

    def data(self, message: MessageLike) -> Step:
        """Send DATA, then (after 354) the message, dot-stuffed and ended by "." (§4.1.1.4)."""
        before, started = self.state, time.perf_counter()
        exchanges = [self._exchange(commands.data())]
        # RFC 5321 §3.3: "message data MUST NOT be sent unless a 354 reply is received".
        if self.state is ClientState.DATA:
            with self._recording("data", "DATA", exchanges, before, started):
                exchanges.append(self._send_message_body(_as_sendable(message)))
        return self._record("data", "DATA", exchanges, before, started)

    def rset(self) -> Step:
        """Abort the current transaction (RFC 5321 §4.1.1.5)."""
        return self._simple("rset", commands.rset())

    def noop(self) -> Step:
        """Do nothing but get a 250: a keep-alive (RFC 5321 §4.1.1.9)."""
        return self._simple("noop", commands.noop())

    def vrfy(self, address: str) -> Step:
        """Ask whether an address or user name exists (RFC 5321 §3.5, §4.1.1.6)."""
        return self._simple("vrfy", commands.vrfy(address))

    def expn(self, name: str) -> Step:
        """Ask for the members of a mailing list (RFC 5321 §3.5, §4.1.1.7)."""
        return self._simple("expn", commands.expn(name))

    def help(self, topic: str | None = None) -> Step:
        """Ask the server for help text (RFC 5321 §4.1.1.8)."""
        return self._simple("help", commands.help(topic))

    def quit(self) -> Step:
        """Say goodbye and close the connection (RFC 5321 §4.1.1.10)."""
        step = self._simple("quit", commands.quit())
        self._transport.close()
        self._conn.closed()
        return step

    def send_raw(self, line: str, *, secret: bool | None = None) -> Step:
        """Send any command line as typed, for exploring; CR/LF injection is still refused.

        During an AUTH exchange the line is an answer to the server's 334 challenge
        and is treated as secret unless ``secret=False``; an ``AUTH`` line's initial
        response is too (see `smtplearn.protocol.commands.raw`).
        """
        return self._simple("send_raw", self.raw_command(line, secret=secret))

    def raw_command(self, line: str, *, secret: bool | None = None) -> Command:
        """The command `send_raw(line)` would send now: an AUTH answer while AUTH is under way."""
        if self._conn.expected_state is ClientState.AUTH:
            # "*" cancels the exchange (RFC 4954 §4): nothing secret in that.
            return commands.auth_response(line, secret=line != "*" if secret is None else secret)
        return commands.raw(line, secret=secret)

    def send_command(self, command: Command, *, name: str = "send_raw") -> Step:
        """Send a command built with `smtplearn.protocol.commands` and record its step.

        For tools built on the client (the smtplib facade uses it); lessons use the
        named methods above.
        """
        return self._simple(name, command)

    def send_only(self, command: Command) -> None:
        """Send `command` without waiting for its reply: `read_step` reads it later.

        For tools that pipeline by hand (the smtplib facade's ``putcmd``/``getreply``).
        """
        self._send_bytes(self._conn.send(command))
        self._unanswered.append(command)

    def read_step(self, name: str = "send_raw") -> Step:
        """Read the next reply; record it with the oldest command `send_only` sent as a step."""
        before, started = self.state, time.perf_counter()
        if not self._unanswered:  # read all the same: the server may have something to say
            exchange = Exchange("", b"", b"", self._read_reply("a reply"))
            return self._record(name, "", [exchange], before, started)
        command = self._unanswered.popleft()
        exchange = Exchange(command.shown, command.line, command.redacted, self._read_reply(command.shown))
        return self._record(name, command.verb, [exchange], before, started)

    def send_body(self, message: MessageLike) -> Step:
        """Send only the message content, after DATA got its 354 (`data` does both halves)."""
        before, started = self.state, time.perf_counter()
        exchange = self._send_message_body(_as_sendable(message))
        return self._record("message", "", [exchange], before, started)

    # -- helpers made only of the steps above -------------------------------------------

    def send_message(
        self,
        message: EmailMessage | Message,
        from_addr: str | None = None,
        to_addrs: str | Sequence[str] | None = None,
        *,
        pipelining: bool | None = None,
    ) -> SendResult:
        """Send a whole message, taking the envelope from its headers like smtplib does.

        Bcc recipients get the message but the Bcc header is not sent. SIZE,
        BODY=8BITMIME and SMTPUTF8 are added when the server offers them and the
        message needs them. With PIPELINING advertised (and `pipelining` not False)
        MAIL, every RCPT and DATA go out in one write (RFC 2920).

        Raises `SendError`, carrying every step, when MAIL or DATA fails or every
        recipient is refused.
        """
        if self.state is ClientState.DISCONNECTED:
            greeting = self.connect()
            if not greeting.ok:  # e.g. 421: too busy now, try later (RFC 5321 §3.8)
                raise SendError(f"the server refused the session: {greeting.reply}", [greeting], greeting)
        if self.state is ClientState.CONNECTED:
            hello = self.ehlo()
            if not hello.ok:
                raise SendError(self._failure(hello, "the server refused EHLO"), [hello], hello)
        if self.state is ClientState.CLOSED and self.transcript:
            last = self.transcript[-1]
            raise SendError(self._failure(last, "the session is over; make a new Client"), [last], last)
        self._check_tls_required()
        envelope = envelope_of(message, from_addr, to_addrs)
        mail_command, body = self._prepare(envelope)
        use_pipelining = self.extensions.has("PIPELINING") if pipelining is None else pipelining
        if use_pipelining:
            steps = self._pipelined_transaction(mail_command, envelope.recipients, body)
        else:
            steps = self._stepwise_transaction(mail_command, envelope.recipients, body)
        return self._result(steps, envelope.recipients)

    def _prepare(self, envelope: Envelope) -> tuple[Command, bytes]:
        extensions = self.extensions
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
        self, mail_command: Command, recipients: Sequence[str], body: bytes
    ) -> list[Step]:
        self._smtputf8 = b"SMTPUTF8" in mail_command.line
        steps = [self._simple("mail", mail_command)]
        if steps[0].ok:
            for address in recipients:
                steps.append(self.rcpt(address))
                if self.state is ClientState.CLOSED:
                    break
        self._abandon_if_refused(steps)
        steps.append(self.data(body))
        return steps

    def _pipelined_transaction(
        self, mail_command: Command, recipients: Sequence[str], body: bytes
    ) -> list[Step]:
        group = [("mail", mail_command)]
        smtputf8 = b"SMTPUTF8" in mail_command.line
        group += [("rcpt", commands.rcpt(address, smtputf8=smtputf8)) for address in recipients]
        group.append(("data", commands.data()))
        started = time.perf_counter()
        self._take_unsolicited()
        wire = b"".join(self._conn.send(command) for _name, command in group)
        # RFC 2920 §3.1: the whole group goes out in one write, then the replies are read in order.
        self._send_bytes(wire)
        # Renderers draw steps sharing a "pipeline" id as one group: all sends, then replies.
        details = {"pipeline": str(self.round_trips + 1)}  # the round trip this write begins
        steps: list[Step] = []
        for name, command in group:
            before = self.state
            exchanges = [self._answer(command)]
            if name == "data" and self.state is ClientState.DATA:
                with self._recording(name, command.verb, exchanges, before, started, details):
                    exchanges.append(self._send_message_body(body))
            steps.append(self._record(name, command.verb, exchanges, before, started, details))
            if self.state is ClientState.CLOSED:  # the rest of the group gets no replies
                break
        self._abandon_if_refused(steps)
        return steps

    def _abandon_if_refused(self, steps: list[Step]) -> None:
        """Reset and raise when the sender or every recipient was refused (RFC 5321 §4.1.1.5).

        When the server ended the session (421, a reply out of step) there is nothing to reset.
        """
        if self.state is ClientState.CLOSED:
            raise SendError(self._failure(steps[-1], "the server ended the session"), steps, steps[-1])
        mail_step = steps[0]
        rcpt_steps = [step for step in steps if step.name == "rcpt"]
        if not mail_step.ok:
            failed, problem = mail_step, f"the server refused the sender: {mail_step.reply}"
        elif not any(step.ok for step in rcpt_steps):
            failed, problem = rcpt_steps[-1], "the server refused every recipient"
        else:
            return
        steps.append(self.rset())
        raise SendError(problem, steps, failed)

    def _result(self, steps: list[Step], recipients: Sequence[str]) -> SendResult:
        rcpt_steps = [s for s in steps if s.name == "rcpt"]
        accepted = tuple(a for a, s in zip(recipients, rcpt_steps, strict=True) if s.ok)
        refused = {a: s.reply for a, s in zip(recipients, rcpt_steps, strict=True) if not s.ok and s.reply}
        final = steps[-1]
        if final.name != "data" or not final.ok:
            raise SendError(self._failure(final, "the server did not accept the message"), steps, final)
        return SendResult(steps=tuple(steps), accepted=accepted, refused=refused)

    def _failure(self, step: Step, problem: str) -> str:
        """What went wrong, and the core's reason when the server's reply ended the session."""
        reason = self._conn.close_reason if self.state is ClientState.CLOSED else None
        return f"{problem}: {step.reply}" + (f"; {reason}" if reason else "")

    # -- the machinery -------------------------------------------------------------------

    def _context(self) -> ssl.SSLContext:
        # Verification on by default: the standard library's defaults check the chain and name.
        return self.tls_context or ssl.create_default_context()

    def _check_tls_required(self) -> None:
        if self.require_tls and not self.tls_active:
            raise LocalProtocolError(
                "this client requires TLS, but the connection is not encrypted: the server may "
                "not offer STARTTLS, or someone stripped it from the EHLO reply (RFC 3207 §6); "
                "not sending mail in the clear"
            )

    def _simple(self, name: str, command: Command) -> Step:
        before, started = self.state, time.perf_counter()
        exchange = self._exchange(command)
        return self._record(name, command.verb, [exchange], before, started)

    def _exchange(self, command: Command) -> Exchange:
        self._take_unsolicited()
        wire = self._conn.send(command)
        self._send_bytes(wire)
        return self._answer(command)

    def _answer(self, command: Command) -> Exchange:
        """Read the reply to `command` (already sent) as an exchange."""
        reply = self._read_reply(command.shown)
        return Exchange(
            command.shown, command.line, command.redacted, reply, self._closing_notes(), command.verb
        )

    def _send_message_body(self, message: bytes | str | EmailMessage | Message) -> Exchange:
        self._take_unsolicited()
        wire = self._conn.send_data(_as_sendable(message))
        self._send_bytes(wire)
        reply = self._read_reply("the message")
        shown = wire.decode("utf-8", "replace").replace("\r\n", "\n").rstrip("\n")
        return Exchange(shown, wire, wire, reply, self._closing_notes(), MESSAGE)

    def _closing_notes(self) -> tuple[str, ...]:
        """Why the session just ended, when the server's reply ended it."""
        reason = self._conn.close_reason if self.state is ClientState.CLOSED else None
        return (reason,) if reason else ()

    def _hide(self, secrets: Iterable[str]) -> None:
        for secret in secrets:
            self._conn.hide(secret)

    def _take_unsolicited(self) -> None:
        """Before sending, read what the server sent unasked, so it cannot answer the command.

        The core rejects any reply that arrives with no command outstanding (RFC 5321 §4.2)
        except a 421, with which a server announces it is closing (RFC 5321 §3.8).
        """
        if self._conn.pending:
            return
        data = self._transport.receive_nowait()
        if data is None:
            return
        self._conn.receive_data(data)
        try:
            reply = self._conn.next_reply()
        except RemoteProtocolError:
            self._transport.close()
            raise
        if isinstance(reply, Reply):  # only a 421 gets here: the server is closing
            self._transport.close()
            exchange = Exchange("", b"", b"", reply, self._closing_notes())
            self._record("unsolicited", "", [exchange], self.state, time.perf_counter())
            raise ConnectionClosedError(
                self.host, self.port, f"the server closed the session before the next command: {reply}", reply
            )

    @contextmanager
    def _recording(
        self,
        name: str,
        verb: str,
        exchanges: list[Exchange],
        before: ClientState,
        started: float,
        details: dict[str, str] | None = None,
    ) -> Iterator[None]:
        """Record the exchanges done so far when a step fails half-way, then re-raise."""
        try:
            yield
        except SMTPLearnError:
            if exchanges:
                self._record(name, verb, exchanges, before, started, details)
            raise

    def _send_bytes(self, wire: bytes) -> None:
        try:
            self._transport.send(wire)
        except TransportError:
            self.close()
            raise
        self._waiting_since_send = True

    def _read_reply(self, waiting_for: str) -> Reply:
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                reply = self._conn.next_reply()
            except RemoteProtocolError:
                # Garbage from the server: nothing after it can be trusted (RFC 5321 §4.2).
                self.close()
                raise
            if reply is not NEED_DATA:
                assert isinstance(reply, Reply)
                if self._conn.state is ClientState.CLOSED:
                    # After 421 (or QUIT) the server closes; out of step, we do.
                    self._transport.close()
                return reply
            if self._waiting_since_send:
                self.round_trips += 1
                self._waiting_since_send = False
            try:
                data = self._transport.receive(waiting_for, deadline)
            except TransportError:
                # A reply that comes after the timeout would answer the next command.
                self.close()
                raise
            if not data:
                self._transport.close()
                try:
                    self._conn.receive_data(b"")
                    eof_reply = self._conn.next_reply()
                except RemoteProtocolError as exc:
                    self._conn.closed()
                    raise ConnectionClosedError(
                        self.host, self.port, f"{exc} while waiting for {waiting_for}"
                    ) from exc
                if isinstance(eof_reply, Reply):
                    return eof_reply
                raise ConnectionClosedError(
                    self.host, self.port, f"the server closed the connection before {waiting_for}"
                )
            self._conn.receive_data(data)

    def _record(
        self,
        name: str,
        verb: str,
        exchanges: Sequence[Exchange],
        before: ClientState,
        started: float,
        details: dict[str, str] | None = None,
        *,
        tls: bool | None = None,
    ) -> Step:
        step = Step(
            name=name,
            command=verb,
            exchanges=tuple(exchanges),
            state_before=before,
            state_after=self.state,
            elapsed=time.perf_counter() - started,
            tls=self.tls_active if tls is None else tls,
            details=details or {},
        )
        self.transcript.append(step)
        if log.isEnabledFor(logging.DEBUG):  # this runs once per step: keep the hot path lean
            for exchange in step.exchanges:
                if exchange.shown:
                    log.debug("-> %s", exchange.shown.splitlines()[0])
                if exchange.reply is not None:
                    log.debug("<- %s", exchange.reply)
        return step


def _with_notes(exchange: Exchange, notes: tuple[str, ...]) -> Exchange:
    if not notes:
        return exchange
    return replace(exchange, notes=notes + exchange.notes)


def _as_sendable(message: MessageLike) -> EmailMessage | str | bytes:
    if isinstance(message, (EmailMessage, str, bytes)):
        return message
    # A legacy email.message.Message (e.g. from MIMEText): its bytes are what smtplib sends.
    return message.as_bytes()
