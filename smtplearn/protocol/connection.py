"""`ClientConnection`: the SMTP client's side of a session, without any I/O.

The caller moves bytes: it hands `send()`'s bytes to a socket and feeds what the
socket reads to `receive_data()`, then asks `next_reply()`. Which commands are legal
when is decided by `smtplearn.protocol.states`; this module only keeps the books.
"""

from __future__ import annotations

import enum
from collections import deque
from email.message import Message
from typing import Literal

from smtplearn.protocol import states
from smtplearn.protocol.commands import AUTH_RESPONSE, Command
from smtplearn.protocol.data import encode_data
from smtplearn.protocol.errors import EndlessAuthError, LocalProtocolError, RemoteProtocolError
from smtplearn.protocol.extensions import Extensions
from smtplearn.protocol.redaction import SecretScrubber
from smtplearn.protocol.replies import Reply, ReplyParser
from smtplearn.protocol.states import MAX_AUTH_CHALLENGES, ClientState


class _Sentinel(enum.Enum):
    NEED_DATA = "NEED_DATA"

    def __repr__(self) -> str:
        return str(self.value)

    __str__ = __repr__


#: Returned by `next_reply()` when no complete reply is buffered yet.
NEED_DATA: Literal[_Sentinel.NEED_DATA] = _Sentinel.NEED_DATA


class ClientConnection:
    """An SMTP client session as a state machine: commands out, replies in.

    With ``strict=False`` a command the table forbids is sent anyway, so a learner
    can see what the server says to it (usually 503 "bad sequence of commands").
    `require_tls` and `allow_insecure_auth` hold in every mode: what may cross an
    unencrypted wire is decided by `states.check_cleartext`, for every command sent.
    """

    def __init__(
        self, *, strict: bool = True, require_tls: bool = False, allow_insecure_auth: bool = False
    ) -> None:
        self.strict = strict
        #: Send no AUTH line and no mail until TLS is on (RFC 3207 §6).
        self.require_tls = require_tls
        #: Let credentials cross an unencrypted connection (RFC 4954 §4 says why not to).
        self.allow_insecure_auth = allow_insecure_auth
        #: Where the session stands; moves only when a reply (or event) says so.
        self.state = ClientState.DISCONNECTED
        #: What the last EHLO reply announced; empty before EHLO and after STARTTLS.
        self.extensions = Extensions.empty()
        #: True once the TLS handshake is done (or the connection started under TLS).
        self.tls_active = False
        #: True after a 235 reply to AUTH (RFC 4954 §4).
        self.authenticated = False
        self._parser = ReplyParser()
        # Verbs sent whose reply has not arrived yet, oldest first (RFC 2920 §3.1
        # matches replies to commands in order).
        self._pending: deque[str] = deque()
        self._smtputf8 = False
        # Replies pass through it, so no view of a reply can show our own credentials.
        self._scrubber = SecretScrubber()
        # Answers sent in the current AUTH exchange, an initial response included.
        self._auth_answers = 0
        self._auth_challenges = 0
        #: Why the server's last reply ended the session (a 421, a reply out of step), or None.
        self.close_reason: str | None = None

    @property
    def pending(self) -> int:
        """How many commands (or the greeting, or a message) still await a reply."""
        return len(self._pending)

    @property
    def waiting_for(self) -> tuple[str, ...]:
        """The verbs awaiting replies, oldest first ("<greeting>", "MAIL", "<message>"...)."""
        return tuple(self._pending)

    @property
    def expected_state(self) -> ClientState:
        """The state the session will be in if every pending command succeeds."""
        state = self.state
        for verb in self._pending:
            state = states.expected(state, verb)
        return state

    def connection_made(self, *, tls: bool = False) -> None:
        """The transport is connected (`tls`: implicit TLS, RFC 8314); await the greeting."""
        if self.state is not ClientState.DISCONNECTED:
            raise LocalProtocolError(f"connection_made() in state {self.state.name}")
        self.state = states.EVENTS[self.state, "connect"]
        self.tls_active = tls
        self._pending.append(states.GREETING)

    def send(self, command: Command) -> bytes:
        """Check `command` against the state table and return the bytes to send."""
        self.check_cleartext(command.verb, credentials=command.carries_credentials)
        if self.strict:
            self._check_order(command.verb)
        self._refuse_unsolicited()
        if command.verb == "MAIL":
            self._smtputf8 = command.smtputf8
        if command.verb == "AUTH":
            self._auth_challenges = 0
            # RFC 4954 §4: "AUTH mechanism [initial-response]"
            self._auth_answers = 1 if command.has_initial_response else 0
        elif command.verb == AUTH_RESPONSE:
            self._auth_answers += 1
        if command.secret:
            self._scrubber.hide_response(command.secret)
        self._pending.append(command.verb)
        return command.line

    def check_cleartext(self, verb: str, *, credentials: bool = False) -> None:
        """Raise unless `verb` may cross this connection as it is now (see `states.check_cleartext`)."""
        states.check_cleartext(
            verb,
            credentials=credentials,
            tls_active=self.tls_active,
            require_tls=self.require_tls,
            allow_insecure_auth=self.allow_insecure_auth,
        )

    def hide(self, secret: str) -> None:
        """Keep `secret` (a password, a digest) out of every reply from now on, even echoed."""
        self._scrubber.hide(secret)

    def _refuse_unsolicited(self) -> None:
        """Raise if the server sent bytes while no command was waiting for a reply.

        RFC 5321 §4.2: "Every command MUST generate exactly one reply." Bytes that arrive
        with nothing outstanding would be read as the answer to the next command, and
        every later reply would then answer the wrong command.
        """
        if self._pending or not self._parser.buffered:
            return
        stray = self._scrubber.scrub(self._parser.discard())
        self.closed()
        raise RemoteProtocolError(
            f"the server sent {_preview(stray)} when no command was waiting for a reply; read "
            "as the answer to the next command, it would shift every later reply, so the "
            'session was closed (RFC 5321 §4.2: "Every command MUST generate exactly one reply")'
        )

    def _check_order(self, verb: str) -> None:
        states.check(self.expected_state, verb, tls_active=self.tls_active, authenticated=self.authenticated)
        states.check_pipelined(verb, self._pending, pipelining=self.extensions.has("PIPELINING"))

    def send_data(self, message: Message | str | bytes) -> bytes:
        """The message content for the wire, once DATA got its 354."""
        self.check_cleartext(states.MESSAGE)
        # After 354 the server waits for the message and nothing else: an extra reply means
        # the replies no longer match the commands, and the message must not go out.
        self._refuse_unsolicited()
        if self.strict:
            states.check(self.state, states.MESSAGE)
            if self._pending:
                raise LocalProtocolError("the message cannot be sent while replies are pending")
        self._pending.append(states.MESSAGE)
        return encode_data(message, smtputf8=self._smtputf8)

    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the server; ``b""`` means the server closed."""
        if data:
            self._parser.feed(data)
        else:
            self._parser.feed_eof()

    def next_reply(self) -> Reply | Literal[_Sentinel.NEED_DATA]:
        """The next complete reply, applied to the state; or `NEED_DATA`."""
        try:
            reply = self._parser.next_reply()
        except RemoteProtocolError as exc:
            received = self._scrubber.scrub(self._parser.buffered)
            self.closed()
            # The parser quotes the bad line, which may echo a credential: scrub it, and
            # drop the original (its message would show in a traceback).
            scrubbed = RemoteProtocolError(self._scrubber.scrub_text(str(exc)))
            scrubbed.received = received
            raise scrubbed from None
        if reply is None:
            if self._parser.eof:
                self.closed()
                raise RemoteProtocolError("the server closed the connection")
            return NEED_DATA
        reply = self._scrubber.reply(reply)
        if not self._pending:
            # RFC 5321 §3.8: a server shutting down may send 421 unasked, then close.
            if reply.code == 421:
                self.closed()
                self.close_reason = _closing(reply)
                return reply
            self.closed()
            raise RemoteProtocolError(
                f"the server sent an unsolicited reply, when no command was waiting for one ({reply}); every "
                "later reply would answer the wrong command, so the session was closed "
                '(RFC 5321 §4.2: "Every command MUST generate exactly one reply")'
            )
        verb = self._pending.popleft()
        self._count_challenge(verb, reply)
        before = self.state
        self.state = states.after_reply(before, verb, reply.code)
        self._learn(verb, reply)
        if self.state is ClientState.CLOSED:
            self._pending.clear()
            self.close_reason = states.out_of_step(verb, reply.code) or (
                _closing(reply) if reply.code == 421 else None
            )
        return reply

    def _count_challenge(self, verb: str, reply: Reply) -> None:
        """Give up on an AUTH exchange that does not end (see `states.MAX_AUTH_CHALLENGES`)."""
        if reply.code != 334 or verb not in ("AUTH", AUTH_RESPONSE):
            return
        self._auth_challenges += 1
        if self._auth_answers > MAX_AUTH_CHALLENGES:
            self.closed()
            raise EndlessAuthError(
                f"the server sent challenge {self._auth_challenges} of an AUTH exchange ({reply}) "
                f"after {self._auth_answers} answers; smtplearn gives up there, as smtplib does, "
                "because an exchange ends with 235 or an error (RFC 4954 §4) and this server keeps "
                "asking; the session was closed",
                reply,
            )

    def _learn(self, verb: str, reply: Reply) -> None:
        """Remember what a successful reply tells us about the server."""
        if verb == "EHLO" and reply.code == 250:
            self.extensions = Extensions.from_ehlo(reply)
        elif verb == "HELO" and reply.code == 250:
            self.extensions = Extensions.empty()
        elif verb in ("AUTH", AUTH_RESPONSE) and reply.code == 235:
            self.authenticated = True

    def discard_buffer(self) -> bytes:
        """Drop bytes received but not parsed (do it before a TLS handshake, RFC 3207 §5)."""
        return self._parser.discard()

    def starttls_done(self) -> None:
        """The TLS handshake succeeded: forget what was learnt in clear text."""
        # A non-strict session may send STARTTLS out of order (the smtplib facade does what
        # smtplib does): once the server said 220 and the handshake is done, TLS it is.
        if self.strict and self.state is not ClientState.TLS_HANDSHAKE:
            raise LocalProtocolError(f"starttls_done() in state {self.state.name}")
        # RFC 3207 §4.2: "The client MUST discard any knowledge obtained from the
        # server, such as the list of SMTP service extensions, which was not obtained
        # from the TLS negotiation itself. The client SHOULD send an EHLO command as
        # the first command after a successful TLS negotiation."
        self.state = states.EVENTS[ClientState.TLS_HANDSHAKE, "handshake done"]
        self.tls_active = True
        self.extensions = Extensions.empty()
        self.authenticated = False
        # RFC 3207 §5: anything still buffered arrived before the handshake, in clear.
        self._parser.discard()

    def closed(self) -> None:
        """The transport is gone: nothing more can be sent or received."""
        self.state = ClientState.CLOSED
        self._pending.clear()

    def __repr__(self) -> str:
        return (
            f"<ClientConnection state={self.state.name} pending={self.pending} "
            f"tls={self.tls_active} authenticated={self.authenticated}>"
        )


def _closing(reply: Reply) -> str:
    return (
        f"the server answered {reply.code}: it is closing the connection, and the client "
        "treats the session as over (RFC 5321 §3.8)"
    )


def _preview(data: bytes, limit: int = 80) -> str:
    """A short, quoted view of bytes the server sent (never the whole of a flood)."""
    shown = repr(data[:limit])
    return shown if len(data) <= limit else f"{shown}... ({len(data)} bytes)"
