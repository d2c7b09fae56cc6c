"""`DebugSMTP`: aiosmtpd's SMTP protocol class with a session log, limits and fault steps.

aiosmtpd does the SMTP work; this subclass only wraps it at three seams: every reply goes
through `push` (enhanced codes, logging), every line read goes through a `RecordingReader`
(logging with credentials redacted), and every command method is wrapped once (bad UTF-8,
the line rules of `smtplearn.server.strict`, fault injection). The syntax of MAIL, RCPT,
EHLO and HELO is judged in `smtplearn.server.strict_commands`, AUTH in
`smtplearn.server.auth_exchange`, and what the server *answers* to MAIL, RCPT, DATA,
VRFY... by the handler's hooks in `smtplearn.server.handler`. aiosmtpd's private seams are
reached only through `smtplearn.server.aiosmtpd_adapter`; where the session stands is its
`phase` (`smtplearn.server.phase`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import socket
from typing import Any, NoReturn, cast

from aiosmtpd.smtp import Session

from smtplearn.protocol.grammar import REDACTED
from smtplearn.protocol.visible import visible
from smtplearn.server.aiosmtpd_adapter import CommandMethod
from smtplearn.server.auth import redact_passwords
from smtplearn.server.enhanced import with_enhanced_code
from smtplearn.server.faults import CONNECT, Action
from smtplearn.server.phase import SessionPhase, phase_of_command
from smtplearn.server.sessions import (
    Direction,
    EventKind,
    RecordingReader,
    SessionEvent,
    SessionLog,
    line_ending,
    shown,
)
from smtplearn.server.state import ServerState
from smtplearn.server.strict import (
    control_character_refusal,
    line_ending_refusal,
)
from smtplearn.server.strict_commands import StrictCommandsSMTP
from smtplearn.server.vulnerable import SmugglingReader

log = logging.getLogger("smtplearn.server")

# "AUTH PLAIN <initial response>": the initial response carries the credentials (RFC 4954 §4).
_AUTH_WITH_RESPONSE = re.compile(r"^(\s*AUTH\s+\S+\s+)\S.*$", re.IGNORECASE | re.DOTALL)
# Lone surrogates are how aiosmtpd's surrogateescape decoding marks bytes that are not UTF-8.
_NOT_UTF8 = re.compile("[\udc80-\udcff]")
#: Message lines kept in the session log per message; the mailbox has the whole message.
DATA_LINES_LOGGED = 100


class _Session(Session):
    # aiosmtpd assigns this deprecated property on every successful AUTH and its setter logs
    # a warning each time, which would land in the notebook; a plain attribute stays quiet.
    login_data: Any = None


class DebugSMTP(StrictCommandsSMTP):
    """One SMTP session of the DebugServer."""

    def __init__(self, handler: Any, state: ServerState, **kwargs: Any) -> None:
        super().__init__(handler, state, **kwargs)
        self.log: SessionLog | None = None
        #: Where the session stands: what the client's next line is, how replies look.
        self.phase = SessionPhase.CONNECTED
        #: The command line being handled, as received (line ending included).
        self._command_line = b""
        self._data_lines = 0
        #: Bytes of the message being received that count towards the server's receiving_bytes.
        self._receiving = 0
        #: The 421 reply for a connection over a cap (smtplearn.server.limits), else None.
        self._refusal: str | None = None
        self._tls_active = False
        self._recorder: RecordingReader | None = None
        #: When the client last sent a complete line (loop time): idle time counts from here.
        self._last_line_at = self.loop.time()
        #: Done once the connection is gone, whichever way it went.
        self.lost: asyncio.Future[None] = self.loop.create_future()
        self.wrap_command_methods(self._guarded)

    def new_session(self) -> Session:
        return _Session(self.loop)

    # -- facts about the session ------------------------------------------------------

    @property
    def tls_version(self) -> str | None:
        """The TLS version in use ("TLSv1.3"), or None on a plain-text connection."""
        transport = self.transport
        ssl_object = transport.get_extra_info("ssl_object") if transport else None
        return None if ssl_object is None else str(ssl_object.version())

    @property
    def peer(self) -> tuple[str, int]:
        """The client's (address, port)."""
        # aiosmtpd annotates Session.peer as a str; it holds the socket's peername tuple.
        peer: Any = self.session.peer if self.session is not None else None
        return (str(peer[0]), int(peer[1])) if peer else ("unknown", 0)

    @property
    def client_ip(self) -> str:
        return self.peer[0]

    # -- logging ----------------------------------------------------------------------

    def _record(self, direction: Direction, kind: EventKind, text: str, ending: str = "") -> None:
        if self.log is not None:
            if kind != "data":
                # A password typed where a command or a base64 answer belongs (and echoed in
                # a reply) must not reach the log; the message text is the mailbox's business.
                # Only the client's own lines can hold base64 worth decoding.
                text = redact_passwords(text, self.state.users, decode=direction == "C")
            self.log._add(SessionEvent(direction, kind, text, self._tls_active, ending))

    def _on_line(self, line: bytes, size: int) -> None:
        self._last_line_at = self.loop.time()
        ending = line_ending(line) if size == len(line) else ""
        if self.phase is SessionPhase.AUTH:
            self._record("C", "auth", REDACTED, ending)
        elif self.phase is SessionPhase.DATA:
            self._data_lines += 1
            self._count_receiving(size)
            # The lone "." that ends the data is always shown: it is what the lesson is about.
            if self._data_lines <= DATA_LINES_LOGGED or line == b".\r\n":
                self._record("C", "data", shown(line, size), ending)
            elif self._data_lines == DATA_LINES_LOGGED + 1:
                self._record("*", "note", "more message lines not logged (see the mailbox)")
        else:
            self._command_line = line
            text = _AUTH_WITH_RESPONSE.sub(rf"\1{REDACTED}", shown(line, size))
            self._record("C", "command", text, ending)

    def _on_lax_end(self, end: bytes) -> None:
        log.warning("%r VULNERABLE server took %r as the end of the data", self.peer, end)
        self._record(
            "*",
            "note",
            f"VULNERABLE: took {end.decode('ascii')!r} as the end of the data (RFC 5321 §4.1.1.4 "
            "allows only CRLF.CRLF); what follows is read as commands",
        )

    def wrap_reader(self, reader: asyncio.StreamReader) -> asyncio.StreamReader:
        if "smuggling" in self.state.vulnerable:
            reader = cast(asyncio.StreamReader, SmugglingReader(reader, self._on_lax_end))
        # The recorder has every StreamReader method aiosmtpd calls, and passes the rest on.
        self._recorder = RecordingReader(reader, self._on_line)
        return cast(asyncio.StreamReader, self._recorder)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        starttls_done = self.transport is not None
        super().connection_made(transport)
        if starttls_done:
            # aiosmtpd calls this a second time once the STARTTLS handshake has completed.
            self._tls_active = True
            if self.log is not None:
                self.log.tls_version = self.tls_version
            self._record("*", "note", f"TLS started ({self.tls_version})")
            return
        if self.peer == self.state.start_up_check:
            # DebugServer.start() checking the server answers: greeted, never a session. The
            # server, not start(), lets go of the address: should start() give up waiting for
            # the greeting (aiosmtpd swallows that timeout), a connection the server takes
            # late is still the check's.
            self.state.start_up_check = None
            return
        connections, limits = self.state.connections, self.state.limits
        connections.add(self, self.client_ip)
        total, from_address = len(connections), connections.from_address(self.client_ip)
        # Judged now, in the order connections arrive: by the time this session's task runs,
        # a burst of later arrivals may be counted too.
        self._refusal = limits.refusal(self.hostname, self.client_ip, total, from_address)
        if limits.allowed_idle(total, from_address) < limits.allowed_idle(total - 1, from_address - 1):
            # This connection put the server (or its address) under stress: every session's
            # idle allowance is judged again now, not when its timer would have fired. Only
            # on the way in: re-arming every timer for every arrival made a class quadratic.
            for connection in connections:
                connection._arm_idle_timer()
        # aiosmtpd writes each reply of a pipelined group separately; with Nagle's algorithm
        # every write after the first waits for the client's delayed ACK (~40 ms on Linux),
        # which made pipelining slower than none. asyncio turns Nagle off only on sockets it
        # created itself (proto IPPROTO_TCP); ours come from socket.create_server (proto 0).
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer = self.peer
        self.log = self.state.sessions._open(peer)
        self._tls_active = self.tls_version is not None
        self.log.tls_version = self.tls_version
        implicit = f", TLS from the first byte ({self.tls_version})" if self._tls_active else ""
        self._record("*", "note", f"connection from {peer[0]}:{peer[1]}{implicit}")
        if self.state.vulnerable:
            names = ", ".join(sorted(self.state.vulnerable))
            self._record("*", "note", f"DELIBERATELY VULNERABLE server ({names}): for the attack lesson only")

    def connection_lost(self, error: Exception | None) -> None:
        self.state.connections.discard(self)
        self._release_receiving()
        if not self.lost.done():
            self.lost.set_result(None)
        if self.log is not None and not self.log.closed:
            self._record("*", "note", "connection closed")
            self.log._close()
        super().connection_lost(error)

    async def push(self, status: str | bytes) -> None:
        if self._recorder is not None and self._recorder.has_buffered:
            # Working through pipelined lines already buffered never waits, so without this
            # yield the loop could not tell us the client has gone: with TLS from the first
            # byte no transport we can see is closing until connection_lost has run, and
            # every reply written meanwhile makes asyncio log a warning (into the notebook,
            # onto a console). It also keeps one pipelining client from holding up the
            # others. A client in lockstep costs nothing: its next line is not here yet.
            await asyncio.sleep(0)
        transport = self.socket_transport
        if transport is None or transport.is_closing():
            # The client has gone but aiosmtpd still has buffered lines: end the session.
            await self._end_session()
        text = status.decode("utf-8", errors="replace") if isinstance(status, bytes) else status
        # RFC 2034 §3: every reply carries an enhanced code, except the greeting and the
        # replies to EHLO and HELO (we give their error replies one all the same).
        if self.phase.carries_enhanced_code(text):
            text = with_enhanced_code(text)
        self.phase = self.phase.after_reply()
        for line in text.split("\r\n"):
            # Replies echo the client's words (its HELO name, an address, an unknown verb).
            self._record("S", "reply", visible(line))
        await super().push(text)

    # -- session start: connection caps and CONNECT faults ----------------------------

    async def before_session(self) -> bool:
        if self._refusal is not None:
            log.warning("%r refused: %s", self.peer, self._refusal)
            await self.push(self._refusal)
            await self.hang_up(abort=False)
        return await self._apply_faults(CONNECT)

    # -- idle sessions (smtplearn.server.limits) --------------------------------------

    def _allowed_idle(self) -> float:
        connections = self.state.connections
        return self.state.limits.allowed_idle(len(connections), connections.from_address(self.client_ip))

    def reset_idle_timer(self, duration: float | None) -> None:
        # aiosmtpd calls this when a connection starts and after each valid command. A timer
        # already set stays: when it fires it finds this later line and sets itself for the
        # new deadline. Setting a new one for every line cost a busy server a tenth of its time.
        self._last_line_at = self.loop.time()
        if not self.idle_timer_pending():
            self._arm_idle_timer()

    def _arm_idle_timer(self) -> None:
        self.set_idle_timer(self._last_line_at + self._allowed_idle(), self._idle_timer_fired)

    def _idle_timer_fired(self) -> None:
        allowed = self._allowed_idle()
        if self.loop.time() < self._last_line_at + allowed:
            # A line arrived since, or the stress is over: wait for the new deadline.
            self._arm_idle_timer()
            return
        if self._closing():
            return
        log.info("%r idle for %g s: closing", self.peer, allowed)
        self._close_with(self.state.limits.idle_reply(self.hostname, allowed), "an idle connection")

    def _closing(self) -> bool:
        transport = self.transport
        return not isinstance(transport, asyncio.WriteTransport) or transport.is_closing()

    def _close_with(self, reply: str, what: str) -> None:
        """Say `reply` (a 421) and close, whatever the session was doing (RFC 5321 §3.8)."""
        transport = self.transport
        assert isinstance(transport, asyncio.WriteTransport)
        self._record("S", "reply", reply)
        self._record("*", "note", f"server closes {what}")
        transport.write(reply.encode("ascii") + b"\r\n")
        transport.close()
        # A client that reads nothing would keep a closing connection open for ever.
        self.loop.call_later(self.state.limits.stress_timeout, self.abort)

    # -- message bytes being received (ConnectionLimits.max_receiving_bytes) ------------

    def _count_receiving(self, size: int) -> None:
        # A session never holds more than the SIZE limit: aiosmtpd keeps no more than that.
        size = max(0, min(size, self.state.size_limit - self._receiving))
        self._receiving += size
        self.state.receiving_bytes += size
        if self.state.receiving_bytes > self.state.limits.max_receiving_bytes and not self._closing():
            self._release_receiving()
            log.warning("%r closed: too much mail being received at once", self.peer)
            self._close_with(
                self.state.limits.receiving_refusal(self.hostname), "a message it has no room for"
            )

    def _release_receiving(self) -> None:
        self.state.receiving_bytes -= self._receiving
        self._receiving = 0

    # -- every command ----------------------------------------------------------------

    def _guarded(self, verb: str, method: CommandMethod) -> CommandMethod:
        @functools.wraps(method)
        async def guarded(arg: str | None) -> None:
            if arg is not None and _NOT_UTF8.search(arg):
                await self.push("500 5.5.2 Error: command line is not valid UTF-8")
                return
            refusal = self._line_refusal(self._command_line)
            if refusal is not None:
                await self.push(refusal)
                return
            if verb == "STARTTLS" and self._tls_active:
                # RFC 3207 §4.2: STARTTLS is not offered, and not accepted, once TLS is on.
                await self.push("503 5.5.1 Error: TLS is already active")
                return
            if await self._apply_faults(verb):
                return
            self.phase = phase_of_command(verb)
            self._data_lines = 0
            try:
                await method(arg)
            finally:
                self.phase = SessionPhase.COMMANDS
                self._release_receiving()
                if self.log is not None and self.session is not None:
                    self.log.helo = self.session.host_name
                    if self.session.authenticated:
                        self.log.user = self.session.auth_data

        return guarded

    def _line_refusal(self, line: bytes) -> str | None:
        """Why a command line or AUTH answer is refused before it is read for its meaning."""
        if not self.state.lenient:
            ending = line_ending_refusal(line)
            if ending is not None:
                return ending
        return control_character_refusal(line.removesuffix(b"\n").removesuffix(b"\r"))

    async def fault_at(self, step: str) -> Action | None:
        """Wait out the delays faults ask for at `step`; return the action that decides it."""
        for action in self.state.faults.actions(step):
            if action.delay:
                log.info("%r fault: waiting %s s at %s", self.peer, action.delay, step)
                await asyncio.sleep(action.delay)
            if action.decides:
                log.info("%r fault decides %s: %s", self.peer, step, action)
                return action
        return None

    async def carry_out(self, action: Action) -> None:
        """Send the fault's reply, then hang up if it says so."""
        if action.reply is not None:
            await self.push(action.reply)
        if action.close:
            # After a reply (421) the close is orderly; without one it is a crash.
            await self.hang_up(abort=action.reply is None)

    async def _apply_faults(self, step: str) -> bool:
        """Apply the faults for `step`; True when one of them answered or hung up instead."""
        action = await self.fault_at(step)
        if action is None:
            return False
        await self.carry_out(action)
        return True

    def abort(self) -> None:
        """Drop the connection at once (used when the server stops)."""
        # After STARTTLS the socket's own transport sits under the TLS one; aborting it
        # skips the TLS goodbye, which needs a running loop the stopping server won't have.
        transport = self.socket_transport
        if isinstance(transport, asyncio.Transport):
            transport.abort()

    async def _end_session(self) -> NoReturn:
        self.cancel_session_task()
        # The cancellation requested above is delivered at this await.
        await asyncio.sleep(0)
        raise AssertionError("unreachable: the session task was cancelled")

    async def hang_up(self, *, abort: bool = True) -> NoReturn:
        """End the connection and this session's task now.

        `abort` drops the connection at once, discarding unsent replies, as a crashed
        server would; otherwise replies already written are delivered first.
        """
        self._record("*", "note", "server drops the connection" if abort else "server closes")
        assert self.transport is not None
        if abort and isinstance(self.transport, asyncio.Transport):
            self.transport.abort()
        else:
            self.transport.close()
        await self._end_session()
