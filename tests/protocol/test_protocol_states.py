"""The state table: every legal move, a sample of illegal ones, and their messages."""

from __future__ import annotations

import pytest

from smtplearn.protocol import states
from smtplearn.protocol.errors import LocalProtocolError
from smtplearn.protocol.states import GREETING, MESSAGE, ClientState

S = ClientState
ANYTIME = {"NOOP", "VRFY", "EXPN", "HELP", "RSET", "QUIT", "EHLO", "HELO"}

# Written out by hand from RFC 5321 §4.1.4, RFC 3207 and RFC 4954, not from the table.
ALLOWED = {
    S.DISCONNECTED: set(),
    S.CONNECTED: ANYTIME,
    S.READY: ANYTIME | {"MAIL", "AUTH", "STARTTLS"},
    S.MAIL: ANYTIME | {"RCPT"},
    S.RCPT: ANYTIME | {"RCPT", "DATA"},
    S.DATA: {MESSAGE},
    S.AUTH: {"AUTH-RESPONSE"},
    S.TLS_HANDSHAKE: set(),
    S.CLOSED: set(),
}


@pytest.mark.parametrize("state", list(S), ids=[s.name for s in S])
def test_allowed_verbs_per_state(state: ClientState) -> None:
    assert states.allowed(state) == ALLOWED[state]
    for verb in ALLOWED[state]:
        states.check(state, verb)


# (state, verb, reply code, state after)
MOVES = [
    (S.CONNECTED, GREETING, 220, S.CONNECTED),
    (S.CONNECTED, GREETING, 554, S.CLOSED),
    (S.CONNECTED, "EHLO", 250, S.READY),
    (S.CONNECTED, "EHLO", 502, S.CONNECTED),
    (S.CONNECTED, "HELO", 250, S.READY),
    (S.CONNECTED, "RSET", 250, S.CONNECTED),
    (S.CONNECTED, "VRFY", 252, S.CONNECTED),
    (S.CONNECTED, "QUIT", 221, S.CLOSED),
    (S.READY, "EHLO", 250, S.READY),
    (S.READY, "MAIL", 250, S.MAIL),
    (S.READY, "MAIL", 451, S.READY),
    (S.READY, "MAIL", 550, S.READY),
    (S.READY, "STARTTLS", 220, S.TLS_HANDSHAKE),
    (S.READY, "STARTTLS", 454, S.READY),
    (S.READY, "AUTH", 334, S.AUTH),
    (S.READY, "AUTH", 235, S.READY),
    (S.READY, "AUTH", 535, S.READY),
    (S.READY, "AUTH", 504, S.READY),
    (S.AUTH, "AUTH-RESPONSE", 334, S.AUTH),
    (S.AUTH, "AUTH-RESPONSE", 235, S.READY),
    (S.AUTH, "AUTH-RESPONSE", 535, S.READY),
    (S.AUTH, "AUTH-RESPONSE", 501, S.READY),
    (S.READY, "NOOP", 250, S.READY),
    (S.READY, "RSET", 250, S.READY),
    (S.READY, "QUIT", 221, S.CLOSED),
    (S.MAIL, "RCPT", 250, S.RCPT),
    (S.MAIL, "RCPT", 251, S.RCPT),
    (S.MAIL, "RCPT", 550, S.MAIL),
    (S.MAIL, "RSET", 250, S.READY),
    (S.MAIL, "EHLO", 250, S.READY),  # EHLO resets a transaction (RFC 5321 §4.1.4)
    (S.MAIL, "HELP", 214, S.MAIL),
    (S.RCPT, "RCPT", 250, S.RCPT),
    (S.RCPT, "RCPT", 450, S.RCPT),
    (S.RCPT, "DATA", 354, S.DATA),
    (S.RCPT, "DATA", 554, S.RCPT),
    (S.RCPT, "DATA", 550, S.RCPT),  # only 354 opens the message
    (S.RCPT, "DATA", 250, S.CLOSED),  # a 2xx to DATA is out of step: nothing was sent (RFC 5321 §3.3)
    (S.RCPT, "RSET", 250, S.READY),
    (S.RCPT, "EHLO", 250, S.READY),
    (S.DATA, MESSAGE, 250, S.READY),
    (S.DATA, MESSAGE, 452, S.READY),
    (S.DATA, MESSAGE, 554, S.READY),
    (S.RCPT, "QUIT", 221, S.CLOSED),
    # RFC 5321 §3.8: 421 closes whatever it answers.
    (S.READY, "MAIL", 421, S.CLOSED),
    (S.RCPT, "DATA", 421, S.CLOSED),
    (S.CONNECTED, GREETING, 421, S.CLOSED),
    (S.READY, "NOOP", 421, S.CLOSED),
    # A command the table does not allow changes nothing whatever the reply.
    (S.READY, "RCPT", 250, S.READY),
    (S.CONNECTED, "MAIL", 250, S.CONNECTED),
    (S.READY, "XYZZY", 250, S.READY),
]


@pytest.mark.parametrize(
    ("state", "verb", "code", "after"), MOVES, ids=[f"{s.name}-{v}-{c}" for s, v, c, _ in MOVES]
)
def test_reply_moves_state(state: ClientState, verb: str, code: int, after: ClientState) -> None:
    assert states.after_reply(state, verb, code) is after


ILLEGAL = [
    (
        S.CONNECTED,
        "MAIL",
        "MAIL is not allowed in state CONNECTED: send EHLO (or HELO) first (RFC 5321 §4.1.4)",
    ),
    (S.CONNECTED, "STARTTLS", "send EHLO (or HELO) first (RFC 5321 §4.1.4)"),
    (S.CONNECTED, "AUTH", "send EHLO (or HELO) first"),
    (S.READY, "RCPT", "RCPT is not allowed in state READY: send MAIL FROM first (RFC 5321 §4.1.1.3)"),
    (S.READY, "DATA", "DATA needs at least one accepted RCPT TO first (RFC 5321 §4.1.1.4)"),
    (S.MAIL, "DATA", "DATA is not allowed in state MAIL: DATA needs at least one accepted RCPT"),
    (S.MAIL, "MAIL", "a mail transaction is already open"),
    (S.RCPT, "MAIL", "RSET (RFC 5321 §4.1.4)"),
    (S.MAIL, "AUTH", "AUTH is not permitted during a mail transaction: RSET first (RFC 4954 §4)"),
    (S.RCPT, "STARTTLS", "(RFC 3207 §4)"),
    (S.DISCONNECTED, "EHLO", "EHLO is not allowed in state DISCONNECTED: connect first"),
    (S.CLOSED, "QUIT", "QUIT is not allowed in state CLOSED: the session is over"),
    (S.CLOSED, "XYZZY", "(RFC 5321 §4.1.1.10)"),
    (S.TLS_HANDSHAKE, "EHLO", "the TLS handshake must come before any other command (RFC 3207 §4)"),
    (S.DATA, "RSET", "RSET is not allowed in state DATA: send the message, ended by a line"),
    (S.DATA, "QUIT", "(RFC 5321 §4.1.1.4)"),
    (S.AUTH, "MAIL", 'answer the 334 challenge, or send "*" to cancel (RFC 4954 §4)'),
    (S.READY, "AUTH-RESPONSE", "a SASL response only answers a 334 challenge"),
    (S.RCPT, MESSAGE, "the message goes after DATA got its 354 reply"),
    (S.READY, GREETING, "the greeting is the first reply after connecting"),
    (S.AUTH, "XYZZY", "(RFC 4954 §4)"),
]


@pytest.mark.parametrize(("state", "verb", "message"), ILLEGAL, ids=[f"{s.name}-{v}" for s, v, _ in ILLEGAL])
def test_illegal_move_names_command_state_and_rfc(state: ClientState, verb: str, message: str) -> None:
    with pytest.raises(LocalProtocolError) as info:
        states.check(state, verb)
    text = str(info.value)
    assert message in text
    assert text.startswith(f"{verb} is not allowed in state {state.name}: ")
    assert "RFC " in text


@pytest.mark.parametrize("state", [S.CONNECTED, S.READY, S.MAIL, S.RCPT])
def test_unknown_verbs_pass_where_noop_does(state: ClientState) -> None:
    states.check(state, "ETRN")
    assert states.after_reply(state, "ETRN", 250) is state


def test_every_transition_cites_an_rfc_section() -> None:
    for transition in states.TRANSITIONS.values():
        assert transition.rfc.startswith("RFC ") and "§" in transition.rfc


def test_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        states.TRANSITIONS[S.READY, "BDAT"] = states.TRANSITIONS[S.READY, "NOOP"]  # type: ignore[index]


def test_expected_is_the_success_path() -> None:
    path = [
        ("EHLO", S.READY),
        ("MAIL", S.MAIL),
        ("RCPT", S.RCPT),
        ("RCPT", S.RCPT),
        ("DATA", S.DATA),
        (MESSAGE, S.READY),
        ("QUIT", S.CLOSED),
    ]
    state = S.CONNECTED
    for verb, after in path:
        state = states.expected(state, verb)
        assert state is after


def test_edges_draw_the_diagram() -> None:
    edges = states.edges()
    assert len(edges) == len(set(edges))
    for edge in [
        (S.DISCONNECTED, "connect", S.CONNECTED),
        (S.CONNECTED, GREETING, S.CLOSED),
        (S.CONNECTED, "EHLO", S.READY),
        (S.READY, "STARTTLS", S.TLS_HANDSHAKE),
        (S.TLS_HANDSHAKE, "handshake done", S.CONNECTED),
        (S.READY, "AUTH", S.AUTH),
        (S.AUTH, "AUTH-RESPONSE", S.READY),
        (S.READY, "MAIL", S.MAIL),
        (S.MAIL, "RCPT", S.RCPT),
        (S.RCPT, "DATA", S.DATA),
        (S.DATA, MESSAGE, S.READY),
        (S.RCPT, "QUIT", S.CLOSED),
    ]:
        assert edge in edges
    # Every state but CLOSED has a way out, and every state is reachable.
    assert {a for a, _, b in edges if a is not b} == set(S) - {S.CLOSED}
    assert {b for _, _, b in edges} == set(S) - {S.DISCONNECTED}


def test_starttls_and_auth_happen_once() -> None:
    states.check(S.READY, "STARTTLS", tls_active=False)
    states.check(S.READY, "AUTH", authenticated=False)
    with pytest.raises(LocalProtocolError, match=r"TLS is already active \(RFC 3207 §4.2\)"):
        states.check(S.READY, "STARTTLS", tls_active=True)
    with pytest.raises(LocalProtocolError, match=r"already authenticated.*\(RFC 4954 §4\)"):
        states.check(S.READY, "AUTH", authenticated=True)


@pytest.mark.parametrize(
    ("pending", "verb", "ok"),
    [
        ((), "STARTTLS", True),  # nothing pending: not pipelining at all
        (("MAIL",), "RCPT", True),
        (("MAIL", "RCPT", "RCPT"), "DATA", True),
        ((MESSAGE,), "QUIT", True),
        (("RSET",), "EHLO", True),
        (("MAIL", "RCPT", "DATA"), "RSET", False),
        (("NOOP",), "MAIL", False),
        (("RSET",), "HELP", False),
        (("RSET",), "AUTH", False),
        ((GREETING,), "EHLO", False),
    ],
)
def test_check_pipelined(pending: tuple[str, ...], verb: str, ok: bool) -> None:
    if ok:
        states.check_pipelined(verb, pending, pipelining=True)
    else:
        with pytest.raises(LocalProtocolError, match=r"must end a group \(RFC 2920 §3.1\)"):
            states.check_pipelined(verb, pending, pipelining=True)
    if pending:
        with pytest.raises(LocalProtocolError, match="did not announce PIPELINING"):
            states.check_pipelined(verb, pending, pipelining=False)


def test_edges_are_moves_not_refusals() -> None:
    # A refused MAIL stays in READY: drawn as a loop beside READY → MAIL it read as two
    # meanings of one command. Commands that never move (NOOP, VRFY...) draw nothing.
    edges = states.edges()
    assert (S.READY, "MAIL", S.READY) not in edges
    assert (S.READY, "MAIL", S.MAIL) in edges
    assert not [e for e in edges if e[1] in {"NOOP", "VRFY", "EXPN", "HELP"}]
    for state, verb, target in edges:
        if target is state:  # a loop only where an accepted reply keeps the state (RCPT, 334...)
            assert state in [after for _, after in states.TRANSITIONS[state, verb].outcomes], verb


# -- replies that fit the command, and replies that cannot (issue 10) ----------------------

SUCCEEDS = [
    (GREETING, 220, True),
    (GREETING, 250, False),
    ("EHLO", 250, True),
    ("MAIL", 250, True),
    ("RCPT", 251, True),
    ("DATA", 354, True),
    ("DATA", 250, False),  # RFC 5321 §3.3: only 354 lets the message out
    (MESSAGE, 250, True),
    (MESSAGE, 354, False),
    ("STARTTLS", 220, True),
    ("STARTTLS", 250, False),  # not 220: no TLS
    ("AUTH", 235, True),
    ("AUTH", 334, True),
    ("AUTH", 250, False),  # not 235: not authenticated
    ("AUTH-RESPONSE", 235, True),
    ("MAIL", 354, False),
    ("NOOP", 334, False),
    ("QUIT", 221, True),
    ("VRFY", 252, True),
    ("BDAT", 250, True),
    ("BDAT", 354, False),
    ("MAIL", 451, False),
]


@pytest.mark.parametrize(("verb", "code", "ok"), SUCCEEDS, ids=[f"{v}-{c}" for v, c, _ in SUCCEEDS])
def test_succeeded(verb: str, code: int, ok: bool) -> None:
    assert states.succeeded(verb, code) is ok


OUT_OF_STEP = [
    ("MAIL", 354, True),
    ("RCPT", 334, True),
    ("EHLO", 354, True),
    ("BDAT", 354, True),
    ("DATA", 334, True),
    ("AUTH", 354, True),
    ("DATA", 250, True),
    ("DATA", 221, True),
    ("DATA", 354, False),
    ("DATA", 554, False),
    ("AUTH", 334, False),
    ("MAIL", 250, False),
    ("MAIL", 550, False),
    ("STARTTLS", 250, False),
]


@pytest.mark.parametrize(("verb", "code", "out"), OUT_OF_STEP, ids=[f"{v}-{c}" for v, c, _ in OUT_OF_STEP])
def test_out_of_step_replies_close_the_session(verb: str, code: int, out: bool) -> None:
    reason = states.out_of_step(verb, code)
    assert (reason is not None) is out
    if reason is not None:
        assert str(code) in reason and "RFC" in reason
        state = S.RCPT if verb in ("DATA", "RCPT") else S.READY
        assert states.after_reply(state, verb, code) is S.CLOSED


def test_the_auth_bound_is_smtplibs() -> None:
    import smtplib

    assert smtplib._MAXCHALLENGE == states.MAX_AUTH_CHALLENGES == 5  # type: ignore[attr-defined]
