"""The blocking SMTP client: one public method per SMTP step, each returning a `Step`.

The protocol core (`smtplearn.protocol`) decides what may be sent and what each reply
means; `smtplearn.session` sends, reads and records; `smtplearn.sending` sends whole messages.

A negative reply is data, not an exception: `step.ok` is False and
`step.raise_for_reply()` raises. Transport faults (refused, timeout, TLS) do raise.
"""

from __future__ import annotations

import logging
import socket
import ssl
import time
from collections import deque
from collections.abc import Iterable, Sequence
from email.message import EmailMessage, Message
from types import TracebackType

from smtplearn.protocol import commands, sasl
from smtplearn.protocol.commands import Command
from smtplearn.protocol.connection import ClientConnection
from smtplearn.protocol.errors import LocalProtocolError, RemoteProtocolError, SMTPLearnError
from smtplearn.protocol.extensions import Extensions
from smtplearn.protocol.states import GREETING, ClientState
from smtplearn.record import Exchange, Step, Transcript, TranscriptRecorder
from smtplearn.sending import SendError, SendResult, send_message
from smtplearn.session import MessageLike, Session, as_sendable, with_notes
from smtplearn.transport import TLSError, Transport, TransportError

# SendError and SendResult live in `smtplearn.sending`; importable from here as before.
__all__ = ["Client", "MessageLike", "SendError", "SendResult"]

log = logging.getLogger("smtplearn")


class Client(Session):
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
        self._recorder = TranscriptRecorder()
        #: How many times the client has sent something and then waited for the server.
        self.round_trips = 0
        # The core enforces both on every line sent, however it was built (login, send_raw...).
        self._conn = ClientConnection(
            strict=strict, require_tls=require_tls, allow_insecure_auth=allow_insecure_auth
        )
        self._transport = Transport(host, port, timeout, source_address)
        self._waiting_since_send = False
        self._smtputf8 = False
        # Commands sent by `send_only` whose replies `read_step` has not read yet, oldest first.
        self._unanswered: deque[Command] = deque()

    # -- what a learner can look at ------------------------------------------------------

    @property
    def transcript(self) -> Transcript:
        """Every step so far, oldest first: live, and read-only."""
        return self._recorder.transcript

    @property
    def extensions(self) -> Extensions:
        """What the server's last EHLO reply advertised (cleared by STARTTLS)."""
        return self._conn.extensions

    @property
    def connected_socket(self) -> socket.socket | None:
        """The connected socket (an `ssl.SSLSocket` under TLS), or None: for looking, not I/O."""
        return self._transport.connected_socket

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
        # Before choosing a mechanism: a server may offer none in the clear, and the
        # refusal says why better than "no mechanism" would.
        self._conn.check_cleartext("AUTH", credentials=True)
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
                    exchanges.append(with_notes(exchange, tuple(exchange_rules.working[noted:])))
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
                exchanges.append(self._send_message_body(as_sendable(message)))
        return self._record("data", "DATA", exchanges, before, started)

    def rset(self) -> Step:
        """Abort the current transaction (RFC 5321 §4.1.1.5)."""
        return self._simple("rset", commands.rset())

    def noop(self) -> Step:
        """Do nothing but get a 250: a keep-alive (RFC 5321 §4.1.1.9)."""
        return self._simple("noop", commands.noop())

    def vrfy(self, address: str, *, smtputf8: bool = False) -> Step:
        """Ask whether an address or user name exists (RFC 5321 §3.5, §4.1.1.6).

        A non-ASCII `address` needs ``smtputf8=True`` (RFC 6531 §3.7.4.2).
        """
        return self._simple("vrfy", commands.vrfy(address, smtputf8=smtputf8))

    def expn(self, name: str, *, smtputf8: bool = False) -> Step:
        """Ask for the members of a mailing list (RFC 5321 §3.5, §4.1.1.7); see `vrfy`."""
        return self._simple("expn", commands.expn(name, smtputf8=smtputf8))

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
        exchange = self._send_message_body(as_sendable(message))
        return self._record("message", "", [exchange], before, started)

    # -- pipelining, and helpers made only of public steps --------------------------------

    def pipeline(self, group: Sequence[tuple[str, Command]], body: bytes | None = None) -> list[Step]:
        """Send a group of commands in one write, then read their replies in order (RFC 2920).

        Each command becomes a step named by its pair (``("rcpt", commands.rcpt(...))``);
        the steps share a ``pipeline`` detail so renderers draw them as one group. When a
        DATA in the group gets 354, `body` goes out as its message. Reading stops early when
        the server ends the session: the rest of the group gets no replies.
        """
        started = time.perf_counter()
        self._take_unsolicited()
        wire = b"".join(self._conn.send(command) for _name, command in group)
        # RFC 2920 §3.1: the whole group goes out in one write, then the replies are read in order.
        self._send_bytes(wire)
        details = {"pipeline": str(self.round_trips + 1)}  # the round trip this write begins
        steps: list[Step] = []
        for name, command in group:
            before = self.state
            exchanges = [self._answer(command)]
            if command.verb == "DATA" and body is not None and self.state is ClientState.DATA:
                with self._recording(name, command.verb, exchanges, before, started, details):
                    exchanges.append(self._send_message_body(body))
            steps.append(self._record(name, command.verb, exchanges, before, started, details))
            if self.state is ClientState.CLOSED:
                break
        return steps

    def send_message(
        self,
        message: EmailMessage | Message,
        from_addr: str | None = None,
        to_addrs: str | Sequence[str] | None = None,
        *,
        pipelining: bool | None = None,
    ) -> SendResult:
        """Send a whole message, taking the envelope from its headers (see `smtplearn.sending`)."""
        return send_message(self, message, from_addr, to_addrs, pipelining=pipelining)

    @property
    def close_reason(self) -> str | None:
        """Why the server's reply ended the session (a 421, a reply out of step), or None."""
        return self._conn.close_reason if self.state is ClientState.CLOSED else None

    def clear_transcript(self) -> None:
        """Forget the steps recorded so far (a long-running session need not keep them all)."""
        self._recorder.clear()

    def check_tls_required(self) -> None:
        """Raise unless TLS is on, for a client made with ``require_tls=True`` (RFC 3207 §6)."""
        self._conn.check_cleartext("MAIL")
