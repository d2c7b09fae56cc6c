"""`Session`: the machinery under `Client`'s steps.

It sends each command through the protocol core (`ClientConnection`) and the transport,
reads the reply, and records what happened as a `Step`. `Client` adds one public method
per SMTP step on top; nothing here decides what a reply means (the core does).
"""

from __future__ import annotations

import logging
import ssl
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from email.message import EmailMessage, Message

from smtplearn.protocol.commands import Command
from smtplearn.protocol.connection import NEED_DATA, ClientConnection
from smtplearn.protocol.errors import RemoteProtocolError, SMTPLearnError
from smtplearn.protocol.replies import Reply
from smtplearn.protocol.states import MESSAGE, ClientState
from smtplearn.record import Exchange, Step, TranscriptRecorder
from smtplearn.transport import ConnectionClosedError, Transport, TransportError

log = logging.getLogger("smtplearn")

MessageLike = EmailMessage | Message | str | bytes


class Session:
    """Sends, reads and records; `Client.__init__` sets every attribute below."""

    host: str
    port: int
    timeout: float
    tls_context: ssl.SSLContext | None
    #: How many times the client has sent something and then waited for the server.
    round_trips: int
    _conn: ClientConnection
    _transport: Transport
    _recorder: TranscriptRecorder
    _waiting_since_send: bool
    # Commands sent by `send_only` whose replies `read_step` has not read yet, oldest first.
    _unanswered: deque[Command]

    @property
    def state(self) -> ClientState:
        return self._conn.state

    @property
    def tls_active(self) -> bool:
        return self._conn.tls_active

    # Both live in the core, which applies them to every line sent (`states.check_cleartext`).
    @property
    def require_tls(self) -> bool:
        """Send no AUTH line and no mail until TLS is on (RFC 3207 §6); outranks the next."""
        return self._conn.require_tls

    @require_tls.setter
    def require_tls(self, value: bool) -> None:
        self._conn.require_tls = value

    @property
    def allow_insecure_auth(self) -> bool:
        """Let credentials cross an unencrypted connection, to see why that is dangerous."""
        return self._conn.allow_insecure_auth

    @allow_insecure_auth.setter
    def allow_insecure_auth(self, value: bool) -> None:
        self._conn.allow_insecure_auth = value

    def close(self) -> None:
        """Close the socket without QUIT (QUIT is the polite way: see `quit`)."""
        self._transport.close()
        self._conn.closed()

    def _context(self) -> ssl.SSLContext:
        # Verification on by default: the standard library's defaults check the chain and name.
        return self.tls_context or ssl.create_default_context()

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
        wire = self._conn.send_data(as_sendable(message))
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
        self._recorder.append(step)
        if log.isEnabledFor(logging.DEBUG):  # this runs once per step: keep the hot path lean
            for exchange in step.exchanges:
                if exchange.shown:
                    log.debug("-> %s", exchange.shown.splitlines()[0])
                if exchange.reply is not None:
                    log.debug("<- %s", exchange.reply)
        return step


def as_sendable(message: MessageLike) -> EmailMessage | str | bytes:
    if isinstance(message, (EmailMessage, str, bytes)):
        return message
    # A legacy email.message.Message (e.g. from MIMEText): its bytes are what smtplib sends.
    return message.as_bytes()


def with_notes(exchange: Exchange, notes: tuple[str, ...]) -> Exchange:
    """`exchange` with `notes` (a SASL mechanism's working) shown before its own."""
    if not notes:
        return exchange
    return replace(exchange, notes=notes + exchange.notes)
