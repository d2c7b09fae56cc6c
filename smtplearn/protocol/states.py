"""The client's state machine: its states and the one table of allowed moves.

Everything that decides whether a command may be sent now lives in this module:
the table, the once-only rules for STARTTLS and AUTH, and what may be pipelined.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from smtplearn.protocol.commands import AUTH_RESPONSE
from smtplearn.protocol.errors import LocalProtocolError


class ClientState(enum.Enum):
    """Where the client stands in an SMTP session (RFC 5321 §4.1.4 orders the commands)."""

    #: No connection yet: call connect().
    DISCONNECTED = "DISCONNECTED"
    #: Connected; the server's 220 greeting must arrive and be answered with EHLO or HELO.
    CONNECTED = "CONNECTED"
    #: Greeted with EHLO/HELO: a mail transaction, STARTTLS or AUTH may begin.
    READY = "READY"
    #: AUTH sent; the SASL exchange is under way (334 challenges until 235 or 535).
    AUTH = "AUTH"
    #: MAIL FROM accepted: one or more RCPT TO come next.
    MAIL = "MAIL"
    #: At least one RCPT TO accepted: more RCPT TO, or DATA.
    RCPT = "RCPT"
    #: DATA got 354: the message content, ended by a lone ".", comes next.
    DATA = "DATA"
    #: STARTTLS got 220: the TLS handshake must happen before any other byte.
    TLS_HANDSHAKE = "TLS_HANDSHAKE"
    #: QUIT sent or the connection closed: nothing more can be sent.
    CLOSED = "CLOSED"

    def __repr__(self) -> str:
        return f"ClientState.{self.name}"


S = ClientState

#: Pseudo-verb for the server's greeting: the reply nobody asked for (RFC 5321 §3.1).
GREETING = "<greeting>"
#: Pseudo-verb for the message content sent after DATA's 354.
MESSAGE = "<message>"

# States where the client speaks in command lines. NOOP, HELP, EXPN, VRFY and RSET
# "can be used at any time during a session, or without previously initializing a
# session" (RFC 5321 §4.1.4).
SESSION_STATES = (S.CONNECTED, S.READY, S.MAIL, S.RCPT)


@dataclass(frozen=True)
class Transition:
    """What one command does to the session, decided by the reply it gets."""

    #: (reply code or class, next state) pairs, tried in order: ``354`` matches only
    #: 354, ``2`` matches any 2xx.
    outcomes: tuple[tuple[int, ClientState], ...]
    #: The state after any other reply.
    otherwise: ClientState
    #: Where the rule is written.
    rfc: str

    @property
    def expected(self) -> ClientState:
        """Where the session goes if the command succeeds."""
        return self.outcomes[0][1] if self.outcomes else self.otherwise

    def after(self, code: int) -> ClientState:
        """The state after a reply with this code."""
        for match, state in self.outcomes:
            if code == match or code // 100 == match:
                return state
        return self.otherwise


def _table() -> dict[tuple[ClientState, str], Transition]:
    table: dict[tuple[ClientState, str], Transition] = {}

    def rule(
        states: tuple[ClientState, ...],
        verbs: tuple[str, ...],
        outcomes: tuple[tuple[int, ClientState], ...],
        rfc: str,
        otherwise: ClientState | None = None,
    ) -> None:
        for state in states:
            for verb in verbs:
                table[state, verb] = Transition(outcomes, otherwise or state, rfc)

    # "the SMTP client ... MUST wait for the greeting"; a 554 greeting refuses the
    # session (RFC 5321 §3.1). After 220 the client still has to say EHLO.
    rule((S.CONNECTED,), (GREETING,), ((220, S.CONNECTED),), "RFC 5321 §3.1", S.CLOSED)
    # "An EHLO command MAY be issued by a client later in the session. If it is
    # issued after the session begins and the EHLO command is acceptable to the
    # SMTP server, the SMTP server SHOULD clear all buffers and reset the state
    # exactly as if a RSET command had been issued." (RFC 5321 §4.1.4)
    rule(SESSION_STATES, ("EHLO", "HELO"), ((250, S.READY),), "RFC 5321 §4.1.4")
    # RFC 3207 §4: after 220 "the client MUST start the TLS negotiation before
    # giving any other SMTP commands".
    rule((S.READY,), ("STARTTLS",), ((220, S.TLS_HANDSHAKE),), "RFC 3207 §4")
    # RFC 4954 §4: 334 carries a challenge, 235 ends the exchange in success and
    # anything else ends it in failure; "The AUTH command is not permitted during
    # a mail transaction."
    auth = ((334, S.AUTH), (235, S.READY))
    rule((S.READY,), ("AUTH",), auth, "RFC 4954 §4")
    rule((S.AUTH,), (AUTH_RESPONSE,), auth, "RFC 4954 §4", S.READY)
    # RFC 5321 §4.1.4: "a mail transaction consists of a transaction beginning
    # command, one or more RCPT commands, and a DATA command, in that order."
    rule((S.READY,), ("MAIL",), ((2, S.MAIL),), "RFC 5321 §4.1.1.2")
    rule((S.MAIL, S.RCPT), ("RCPT",), ((2, S.RCPT),), "RFC 5321 §4.1.1.3")
    rule((S.RCPT,), ("DATA",), ((354, S.DATA),), "RFC 5321 §4.1.1.4")
    # Whatever the reply to the final ".", the transaction is over (RFC 5321 §4.1.1.4).
    rule((S.DATA,), (MESSAGE,), (), "RFC 5321 §4.1.1.4", S.READY)
    # RSET aborts the transaction, but cannot stand in for EHLO: before the greeting
    # was answered the session stays CONNECTED (RFC 5321 §4.1.1.5).
    rule((S.READY, S.MAIL, S.RCPT), ("RSET",), ((250, S.READY),), "RFC 5321 §4.1.1.5")
    rule((S.CONNECTED,), ("RSET",), (), "RFC 5321 §4.1.1.5")
    rule(SESSION_STATES, ("NOOP", "VRFY", "EXPN", "HELP"), (), "RFC 5321 §4.1.4")
    # "The receiver MUST NOT intentionally close the transmission channel until it
    # receives and replies to a QUIT command" (RFC 5321 §4.1.1.10); then it closes.
    rule(SESSION_STATES, ("QUIT",), (), "RFC 5321 §4.1.1.10", S.CLOSED)
    return table


#: THE table: (state, verb) → what the reply to that command does. A command whose
#: (state, verb) is not here may not be sent in that state.
TRANSITIONS: Mapping[tuple[ClientState, str], Transition] = MappingProxyType(_table())

#: Moves made by something other than a reply: the connection itself, the TLS handshake.
EVENTS: Mapping[tuple[ClientState, str], ClientState] = MappingProxyType(
    {
        (S.DISCONNECTED, "connect"): S.CONNECTED,
        # RFC 3207 §4.2: after the handshake "the client MUST discard any knowledge
        # obtained from the server" and send EHLO again.
        (S.TLS_HANDSHAKE, "handshake done"): S.CONNECTED,
    }
)

#: Every verb the table knows. Others (ETRN, BDAT, XYZZY...) are let through where
#: NOOP is and change nothing: the server will say what it thinks of them.
KNOWN_VERBS = frozenset(verb for _, verb in TRANSITIONS)


def allowed(state: ClientState) -> frozenset[str]:
    """The verbs the table lets the client send in `state`."""
    return frozenset(verb for (s, verb) in TRANSITIONS if s is state and verb != GREETING)


def check(state: ClientState, verb: str, *, tls_active: bool = False, authenticated: bool = False) -> None:
    """Raise `LocalProtocolError` unless `verb` may be sent in `state`."""
    if verb == "STARTTLS" and tls_active:
        # RFC 3207 §4.2: "A client MUST NOT attempt to start a TLS session if a TLS
        # session is already active."
        raise LocalProtocolError("STARTTLS is not allowed: TLS is already active (RFC 3207 §4.2)")
    if verb == "AUTH" and authenticated:
        # RFC 4954 §4: "After a successful AUTH command completes, a server MUST
        # reject any further AUTH commands with a 503 reply."
        raise LocalProtocolError(
            "AUTH is not allowed: already authenticated, and the server MUST reject "
            "another AUTH (RFC 4954 §4)"
        )
    if (state, verb) in TRANSITIONS:
        return
    if verb not in KNOWN_VERBS and state in SESSION_STATES:
        return
    raise LocalProtocolError(f"{verb} is not allowed in state {state.name}: {_hint(state, verb)}")


#: Verbs that carry mail: a client that requires TLS sends none of them in the clear.
CARRY_MAIL = frozenset({"MAIL", "RCPT", "DATA", MESSAGE})
#: Verbs of an AUTH exchange (RFC 4954 §4): the command and the answers to its 334s.
AUTH_VERBS = frozenset({"AUTH", AUTH_RESPONSE})


def check_cleartext(
    verb: str, *, credentials: bool, tls_active: bool, require_tls: bool, allow_insecure_auth: bool
) -> None:
    """Raise `LocalProtocolError` if `verb` would put mail or credentials on an unencrypted wire.

    The one rule behind ``Client(require_tls=..., allow_insecure_auth=...)``, whichever way a
    line goes out (`login`, `send_raw`, a pipeline). `credentials`: the line carries a SASL
    response (an AUTH initial response, an answer to a 334). ``require_tls`` refuses every
    AUTH line and every line of mail, and outranks ``allow_insecure_auth``: a stripped
    STARTTLS (RFC 3207 §6) must not leak a password. Otherwise only credentials are refused,
    unless the learner allowed them: a bare ``AUTH PLAIN`` carries none, and lesson 02 sends
    it to show the server's own refusal.
    """
    if tls_active:
        return
    if require_tls and (verb in CARRY_MAIL or verb in AUTH_VERBS):
        raise LocalProtocolError(
            "this client requires TLS, but the connection is not encrypted: the server may "
            "not offer STARTTLS, or someone stripped it from the EHLO reply (RFC 3207 §6); "
            "not sending mail in the clear"
        )
    if credentials and not allow_insecure_auth:
        # RFC 4954 §4: PLAIN and LOGIN reveal the password to anyone on the path.
        raise LocalProtocolError(
            "refusing to send credentials over an unencrypted connection: call starttls() "
            "first, or create the Client with allow_insecure_auth=True to see why that is "
            "dangerous (RFC 4954 §4)"
        )


# RFC 2920 §3.1: "The actual transfer of message content is explicitly allowed to be
# the first "command" in a group. ... RSET, MAIL FROM, SEND FROM, SOML FROM, SAML
# FROM, and RCPT TO can all appear anywhere in a pipelined command group. The EHLO,
# DATA, VRFY, EXPN, TURN, QUIT, and NOOP commands can only appear as the last
# command in a group since their success or failure produces a change of state
# which the client SMTP must accommodate."
PIPELINE_ANYWHERE = frozenset({"RSET", "MAIL", "RCPT"})
PIPELINE_LAST = frozenset({"EHLO", "DATA", "VRFY", "EXPN", "QUIT", "NOOP"})


def check_pipelined(verb: str, pending: Sequence[str], *, pipelining: bool) -> None:
    """Raise `LocalProtocolError` unless `verb` may go out while `pending` await replies."""
    if not pending:
        return
    waiting = ", ".join(pending)
    if not pipelining:
        raise LocalProtocolError(
            f"{verb} cannot be sent while waiting for the reply to {waiting}: the server "
            "did not announce PIPELINING (RFC 2920 §3.1)"
        )
    if any(v not in PIPELINE_ANYWHERE | {MESSAGE} for v in pending) or verb not in (
        PIPELINE_ANYWHERE | PIPELINE_LAST
    ):
        raise LocalProtocolError(
            f"{verb} cannot be sent while waiting for the reply to {waiting}: only RSET, "
            "MAIL and RCPT (or the message) may be followed by more commands, and EHLO, "
            "DATA, VRFY, EXPN, NOOP or QUIT must end a group (RFC 2920 §3.1)"
        )


def _hint(state: ClientState, verb: str) -> str:
    """What to do instead, with the section that says so."""
    if state is S.DISCONNECTED:
        return "connect first; the server speaks first, with its greeting (RFC 5321 §3.1)"
    if state is S.CLOSED:
        return "the session is over; open a new connection (RFC 5321 §4.1.1.10)"
    if state is S.TLS_HANDSHAKE:
        return "the TLS handshake must come before any other command (RFC 3207 §4)"
    if state is S.AUTH:
        return 'answer the 334 challenge, or send "*" to cancel (RFC 4954 §4)'
    if state is S.DATA:
        return 'send the message, ended by a line holding only "." (RFC 5321 §4.1.1.4)'
    if verb == AUTH_RESPONSE:
        return "a SASL response only answers a 334 challenge after AUTH (RFC 4954 §4)"
    if verb == MESSAGE:
        return "the message goes after DATA got its 354 reply (RFC 5321 §4.1.1.4)"
    if verb == GREETING:
        return "the greeting is the first reply after connecting (RFC 5321 §3.1)"
    if state is S.CONNECTED:
        return "send EHLO (or HELO) first (RFC 5321 §4.1.4)"
    if verb == "AUTH":
        return "AUTH is not permitted during a mail transaction: RSET first (RFC 4954 §4)"
    if verb == "STARTTLS":
        return "start TLS before the mail transaction: RSET first (RFC 3207 §4)"
    if verb == "MAIL":
        return (
            "a mail transaction is already open: finish it with DATA or abort it with RSET (RFC 5321 §4.1.4)"
        )
    if verb == "RCPT":
        return "send MAIL FROM first (RFC 5321 §4.1.1.3)"
    if verb == "DATA":
        return "DATA needs at least one accepted RCPT TO first (RFC 5321 §4.1.1.4)"
    return f"allowed here: {', '.join(sorted(allowed(state)))}"


# RFC 5321 §3.3: "If there was no MAIL, or no RCPT, command, or all such commands were
# rejected, the server MAY return a "command out of sequence" (503) or "no valid
# recipients" (554) reply in response to the DATA command." A client that knows the
# transaction is empty sends RSET instead (RFC 5321 §4.1.1.5) and says why.
def transaction_refused(mail_ok: bool, recipients_ok: Sequence[bool]) -> str | None:
    """Why a mail transaction must be abandoned instead of going on to its message.

    "sender" when MAIL was refused, "recipients" when every RCPT was (or none was sent);
    None when the message may follow. The one place this rule lives: `Client.send_message`,
    the smtplib facade's ``sendmail`` and the sending stepper all ask it.
    """
    if not mail_ok:
        return "sender"
    if not any(recipients_ok):
        return "recipients"
    return None


#: The bound on one AUTH exchange: a 334 that arrives after more than this many answers (an
#: initial response counts as one) ends it. RFC 4954 §4 ends every exchange with 235 or an
#: error; a server that keeps challenging would keep a client answering for ever. smtplib
#: gives up at exactly the same point (``_MAXCHALLENGE = 5``, counted the same way).
MAX_AUTH_CHALLENGES = 5


# The only replies that ask the client to go on instead of answering a command: 354 after
# DATA (RFC 5321 §4.3.2: "I: 354 -> data -> S: 250") and 334 during AUTH (RFC 4954 §4).
INTERMEDIATE: Mapping[str, int] = MappingProxyType({"DATA": 354, "AUTH": 334, AUTH_RESPONSE: 334})
# Commands whose success is one code, not any 2xx: the greeting's 220 (RFC 5321 §4.3.2),
# STARTTLS's 220 "Ready to start TLS" (RFC 3207 §4) and AUTH's 235 (RFC 4954 §4).
COMPLETION: Mapping[str, int] = MappingProxyType(
    {GREETING: 220, "STARTTLS": 220, "AUTH": 235, AUTH_RESPONSE: 235}
)


def succeeded(verb: str, code: int) -> bool:
    """True when a reply with `code` means `verb` worked (or, for DATA and AUTH, may go on)."""
    if code == INTERMEDIATE.get(verb):
        return True
    if verb in COMPLETION:
        return code == COMPLETION[verb]
    # DATA's only success is 354: any other reply means the message did not go out.
    return verb != "DATA" and code // 100 == 2


def out_of_step(verb: str, code: int) -> str | None:
    """Why a reply with `code` cannot answer `verb` at all; None when it can.

    Such a reply means the server and the client disagree about where the session is:
    what the client sends next could be read as message text, so the session must end.
    """
    if code // 100 == 3 and code != INTERMEDIATE.get(verb):
        return (
            f"the server answered {verb} with {code}, a request for more input, but only DATA "
            "(354) and AUTH (334) take more input (RFC 5321 §4.3.2, RFC 4954 §4): the server is "
            "out of step with the client, so the session was closed"
        )
    if verb == "DATA" and code // 100 == 2:
        return (
            f"the server answered DATA with {code} instead of 354: the message was NOT sent, "
            'because "message data MUST NOT be sent unless a 354 reply is received" '
            "(RFC 5321 §3.3); the server is out of step with the client, so the session was closed"
        )
    return None


# RFC 5321 §3.8: a server that must shut down replies 421 to any command and then
# closes the channel; "the client SHOULD ... treat the connection as closed".
def after_reply(state: ClientState, verb: str, code: int) -> ClientState:
    """The state once a reply with `code` arrives for `verb` sent in `state`."""
    if code == 421 or out_of_step(verb, code) is not None:
        return S.CLOSED
    transition = TRANSITIONS.get((state, verb))
    return state if transition is None else transition.after(code)


def expected(state: ClientState, verb: str) -> ClientState:
    """The state `verb` leads to from `state` if the server accepts it."""
    transition = TRANSITIONS.get((state, verb))
    return state if transition is None else transition.expected


def edges() -> list[tuple[ClientState, str, ClientState]]:
    """Every arrow of the state diagram: (from, label, to), table order, no repeats.

    An arrow is a move: where a command leads when the server accepts it, and where it
    leads whatever the reply (the end of the message, QUIT, a refused greeting). A refused
    command that leaves the state as it was, and NOOP, VRFY, EXPN or HELP, which never
    change it, draw no arrow: drawn, MAIL would loop on READY beside its arrow to MAIL.
    """
    seen: list[tuple[ClientState, str, ClientState]] = []
    for (state, event), target in EVENTS.items():
        seen.append((state, event, target))
    for (state, verb), transition in TRANSITIONS.items():
        targets = [target for _, target in transition.outcomes]
        if transition.otherwise is not state:
            targets.append(transition.otherwise)
        for target in targets:
            if (state, verb, target) not in seen:
                seen.append((state, verb, target))
    return seen
