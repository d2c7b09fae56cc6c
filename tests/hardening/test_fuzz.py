"""Fuzzing beyond `tests/protocol/`: through the real server, and from mutated real replies.

`tests/protocol/test_protocol_properties.py` fuzzes the core in memory with random bytes.
Here the same promises are checked where they matter end to end, at least 2,000 examples
each (``SMTPLEARN_FUZZ=long`` for 50,000):

- DATA encoding round-trips through a real DebugServer byte for byte;
- no argument with a control character makes the Client put a byte on the wire (the
  server's own session log is the witness);
- real replies (the seed's EHLO answers, the DebugServer's), mutated a few bytes at a
  time and cut at any points, make the reply and extension parsers raise nothing but
  `RemoteProtocolError` (random bytes seldom get this close to valid).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest
from hardening_support import FUZZ
from hypothesis import given
from hypothesis import strategies as st

from smtplearn.client import Client
from smtplearn.protocol.data import message_bytes, needs_8bitmime
from smtplearn.protocol.errors import LocalProtocolError, RemoteProtocolError
from smtplearn.protocol.extensions import Extensions
from smtplearn.protocol.replies import ReplyParser
from smtplearn.server import DebugServer


@pytest.fixture(scope="module")
def server() -> Iterator[DebugServer]:
    # One witnessed session runs every example, and the test reads all it received: keep
    # far more of its log than the default (which keeps the first 450 and last 50 lines).
    with DebugServer(tls=False, log_events_per_session=10_000_000) as server:
        yield server


# -- DATA round trip through the real server ---------------------------------------------

# Line content that exercises transparency: leading dots, a lone ".", 8-bit text, spaces.
line_text = st.lists(
    st.sampled_from([".", "..", "a", " ", "\t", "é", "€", "From ", "Subject: x", "-", "\x7f"]),
    max_size=12,
).map("".join)
line_end = st.sampled_from(["\r\n", "\n", "\r"])
message_text = st.lists(st.tuples(line_text, line_end), min_size=1, max_size=30).map(
    lambda lines: "".join(text + end for text, end in lines)
)


@pytest.fixture(scope="module")
def sending_client(server: DebugServer) -> Iterator[Client]:
    with Client(server.host, server.port) as client:
        client.ehlo().raise_for_reply()
        yield client


@FUZZ
@given(text=message_text, drop_final_end=st.booleans())
def test_data_round_trips_through_the_real_server(
    server: DebugServer, sending_client: Client, text: str, drop_final_end: bool
) -> None:
    if drop_final_end:
        text = text.rstrip("\r\n")
    content = text.encode("utf-8")
    expected = message_bytes(content)
    # The terminating "<CRLF>.<CRLF>" needs the text to end with a line break (RFC 5321
    # §4.1.1.4), so the client adds one when it is missing, and the server keeps it.
    if expected and not expected.endswith(b"\r\n"):
        expected += b"\r\n"
    server.mailbox.clear()
    client = sending_client
    client.mail("fuzz@example.test", body="8BITMIME" if needs_8bitmime(content) else None)
    client.rcpt("reader@example.test").raise_for_reply()
    client.data(content).raise_for_reply()
    # A long session must not keep every step of thousands of examples.
    client.clear_transcript()
    assert server.mailbox.wait_for(1)[0].raw == expected


# -- control characters never reach the wire ---------------------------------------------

controls = st.sampled_from([chr(i) for i in range(0x20)] + ["\x7f"])
harmless = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="<>"), max_size=20
)

STEPS: dict[str, Callable[[Client, str], object]] = {
    "ehlo": lambda c, a: c.ehlo(a),
    "helo": lambda c, a: c.helo(a),
    "mail": lambda c, a: c.mail(a + "@example.test"),
    "mail-size-param": lambda c, a: c.mail("a@example.test", params=[a]),
    "rcpt": lambda c, a: c.rcpt(a + "@example.test"),
    "vrfy": lambda c, a: c.vrfy(a),
    "expn": lambda c, a: c.expn(a),
    "help": lambda c, a: c.help(a),
    "send_raw": lambda c, a: c.send_raw("NOOP " + a),
}


@pytest.fixture(scope="module")
def witnessed_client(server: DebugServer) -> Iterator[Client]:
    with Client(server.host, server.port) as client:
        client.ehlo().raise_for_reply()
        yield client


@FUZZ
@given(step=st.sampled_from(sorted(STEPS)), before=harmless, control=controls, after=harmless)
def test_no_control_character_reaches_the_server(
    server: DebugServer, witnessed_client: Client, step: str, before: str, control: str, after: str
) -> None:
    session = server.sessions[-1]
    lines_before = len(session.received)
    with pytest.raises(LocalProtocolError):
        STEPS[step](witnessed_client, before + control + after)
    # The session still answers in step, and the server saw exactly one more line: NOOP.
    assert witnessed_client.noop().ok
    assert session.received[lines_before:] == ("NOOP",)
    witnessed_client.clear_transcript()


# -- mutated real replies ----------------------------------------------------------------

REAL_REPLIES = [
    # The seed's EHLO replies (PyMOTW smtplib), verbatim.
    b"250-mail.example.com Hello localhost.local [127.0.0.1], pleased to meet you\r\n"
    b"250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE\r\n250-DSN\r\n"
    b"250-ETRN\r\n250-AUTH GSSAPI DIGEST-MD5 CRAM-MD5\r\n250-DELIVERBY\r\n250 HELP\r\n",
    b"250-mail.example.com Hello [127.0.0.1]\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n"
    b"250-STARTTLS\r\n250-AUTH=LOGIN PLAIN CRAM-MD5\r\n250-ENHANCEDSTATUSCODES\r\n"
    b"250-8BITMIME\r\n250 DSN\r\n",
    # What the DebugServer says.
    b"220 mail.example.test ESMTP smtplearn DebugServer\r\n",
    b"250-mail.example.test Hello localhost [127.0.0.1], pleased to meet you\r\n"
    b"250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n250-SIZE 10485760\r\n250-8BITMIME\r\n"
    b"250-SMTPUTF8\r\n250-STARTTLS\r\n250 HELP\r\n",
    b"334 PDExNjkuMTIyMjZAbWFpbC5leGFtcGxlLnRlc3Q+\r\n",
    b"354 End data with <CR><LF>.<CR><LF>\r\n",
    b"550 5.1.1 <nobody@example.test>... User unknown\r\n",
    b"553-5.1.4 Ambiguous; possibilities are\r\n553-5.1.4 Doug <d@example.test>\r\n"
    b"553 5.1.4 Dana <d2@example.test>\r\n",
]

mutation = st.tuples(
    st.sampled_from(["replace", "insert", "delete", "truncate"]),
    st.integers(min_value=0, max_value=400),
    st.sampled_from([b"\r", b"\n", b"-", b" ", b"\x00", b"\xff", b"9", b"0", b"\r\n", b"250-", b"=", b"\t"]),
)


def mutate(data: bytes, mutations: list[tuple[str, int, bytes]]) -> bytes:
    for kind, position, piece in mutations:
        at = position % (len(data) + 1)
        if kind == "replace":
            data = data[:at] + piece + data[at + len(piece) :]
        elif kind == "insert":
            data = data[:at] + piece + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + 1 :]
        else:
            data = data[:at]
    return data


@FUZZ
@given(
    sample=st.lists(st.sampled_from(REAL_REPLIES), min_size=1, max_size=3).map(b"".join),
    mutations=st.lists(mutation, max_size=4),
    cuts=st.lists(st.integers(min_value=0, max_value=600), max_size=5),
)
def test_mutated_real_replies_raise_only_remote_protocol_error(
    sample: bytes, mutations: list[tuple[str, int, bytes]], cuts: list[int]
) -> None:
    data = mutate(sample, mutations)
    bounds = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    parser = ReplyParser()
    consumed = b""
    try:
        for start, end in itertools.pairwise(bounds):
            parser.feed(data[start:end])
            while (reply := parser.next_reply()) is not None:
                consumed += reply.raw
                if reply.code == 250:
                    Extensions.from_ehlo(reply)
        parser.feed_eof()
        while (reply := parser.next_reply()) is not None:
            consumed += reply.raw
    except RemoteProtocolError:
        return
    # Parsed to the end without complaint: every byte belongs to exactly one reply.
    assert consumed == data
