"""Hypothesis properties: the parsers fail only as RemoteProtocolError, chunking does
not matter, and no builder argument with a control character ever becomes bytes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smtplearn.protocol import commands as c
from smtplearn.protocol.connection import NEED_DATA, ClientConnection
from smtplearn.protocol.data import encode_data, message_bytes
from smtplearn.protocol.errors import LocalProtocolError, RemoteProtocolError
from smtplearn.protocol.extensions import MAX_SIZE_DIGITS, Extensions
from smtplearn.protocol.replies import Reply, ReplyParser

# Bytes that look like replies often enough to reach every branch of the parser.
TOKENS = [
    b"250",
    b"220",
    b"354",
    b"421",
    b"199",
    b"600",
    b"25",
    b"2x0",
    b"-",
    b" ",
    b"\t",
    b"\r\n",
    b"\n",
    b"\r",
    b"AUTH",
    b"=",
    b"SIZE",
    b"0",
    b"\xff",
    b"\xc3\xa9",
    b"\x00",
]
reply_like = st.one_of(
    st.binary(max_size=200),
    st.lists(st.one_of(st.sampled_from(TOKENS), st.binary(max_size=8)), max_size=40).map(b"".join),
)


def outcome(chunks: list[bytes], *, eof: bool) -> tuple[list[Reply], type[Exception] | None]:
    """Replies produced from `chunks`, and the error that stopped them (if any)."""
    parser = ReplyParser()
    replies: list[Reply] = []
    try:
        for chunk in chunks:
            parser.feed(chunk)
            while (reply := parser.next_reply()) is not None:
                replies.append(reply)
        if eof:
            parser.feed_eof()
            while (reply := parser.next_reply()) is not None:
                replies.append(reply)
    except RemoteProtocolError as exc:
        return replies, type(exc)
    return replies, None


@given(reply_like, st.booleans())
def test_parser_raises_only_remote_protocol_error(data: bytes, eof: bool) -> None:
    replies, _ = outcome([data], eof=eof)
    assert b"".join(r.raw for r in replies) == data[: sum(len(r.raw) for r in replies)]


@given(reply_like, st.booleans())
def test_byte_at_a_time_equals_whole(data: bytes, eof: bool) -> None:
    one_by_one = [data[i : i + 1] for i in range(len(data))]
    assert outcome(one_by_one, eof=eof) == outcome([data], eof=eof)


@given(reply_like, st.lists(st.integers(0, 300), max_size=6), st.booleans())
def test_any_chunking_equals_whole(data: bytes, cuts: list[int], eof: bool) -> None:
    points = sorted({min(cut, len(data)) for cut in cuts})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    assert outcome(chunks, eof=eof) == outcome([data], eof=eof)


text_line = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=30)


@given(
    st.lists(
        st.tuples(st.integers(200, 599), st.lists(text_line, min_size=1, max_size=4)), min_size=1, max_size=4
    )
)
def test_well_formed_replies_round_trip(replies: list[tuple[int, list[str]]]) -> None:
    wire = b""
    for code, lines in replies:
        for i, line in enumerate(lines):
            separator = " " if i == len(lines) - 1 else "-"
            wire += f"{code}{separator}{line}\r\n".encode()
    parsed, error = outcome([wire], eof=True)
    assert error is None
    assert [(r.code, list(r.lines)) for r in parsed] == replies
    assert b"".join(r.raw for r in parsed) == wire


# Valid EHLO replies (RFC 5321 §4.1.1.1), so that every example reaches `from_ehlo`:
#   ehlo-line = ehlo-keyword *( SP ehlo-param ); ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
# Each generated line comes with the (keyword, params) it announces; None for a line of
# reply text that is no ehlo-line (it starts with a character no keyword starts with).
Announced = tuple[str, tuple[str, str] | None]
ehlo_keyword = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,15}", fullmatch=True)
ehlo_param = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=12)
mechanism = st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True)
announced_line: st.SearchStrategy[Announced] = st.one_of(
    st.builds(
        lambda k, ps: (" ".join([k, *ps]), (k, " ".join(ps))), ehlo_keyword, st.lists(ehlo_param, max_size=3)
    ),
    st.builds(
        lambda digits: (f"SIZE {digits}", ("SIZE", digits)),
        st.from_regex(r"[0-9]{1,25}", fullmatch=True) | st.just("9" * 5000),
    ),
    # "AUTH=" is the old draft's spelling that smtplib and real servers still use.
    st.builds(
        lambda sep, ms: (f"AUTH{sep}{' '.join(ms)}", ("AUTH", " ".join(ms))),
        st.sampled_from([" ", "="]),
        st.lists(mechanism, min_size=1, max_size=4),
    ),
    st.sampled_from(["PIPELINING", "8BITMIME", "STARTTLS", "SMTPUTF8", "SIZE"]).map(lambda k: (k, (k, ""))),
)
not_an_ehlo_line: st.SearchStrategy[Announced] = st.builds(
    lambda first, rest: (first + rest, None), st.sampled_from(list("!#$%&*+/:;<>?@[]^_{|}~é")), text_line
)
ehlo_domain = st.from_regex(r"[a-z0-9][a-z0-9.-]{0,20}", fullmatch=True)


def ehlo_wire(domain: str, greeting: str, lines: list[Announced]) -> bytes:
    texts = [f"{domain} {greeting}".rstrip(), *(text for text, _ in lines)]
    return b"".join(
        f"250{' ' if i == len(texts) - 1 else '-'}{text}\r\n".encode() for i, text in enumerate(texts)
    )


@given(
    ehlo_domain, text_line.map(str.strip), st.lists(st.one_of(announced_line, not_an_ehlo_line), max_size=8)
)
def test_extensions_from_any_valid_ehlo_reply(domain: str, greeting: str, lines: list[Announced]) -> None:
    parser = ReplyParser()
    parser.feed(ehlo_wire(domain, greeting, lines))
    reply = parser.next_reply()
    assert reply is not None and parser.next_reply() is None  # one reply: from_ehlo is reached
    ext = Extensions.from_ehlo(reply)
    keywords: dict[str, str] = {}
    mechanisms: list[str] = []
    for _, announced in lines:
        if announced is not None:
            keyword, params = announced[0].upper(), announced[1]
            keywords.setdefault(keyword, params)  # the first announcement counts
            if keyword == "AUTH":  # every AUTH line adds its mechanisms, each once (RFC 4954 §3)
                mechanisms += dict.fromkeys(m for m in params.upper().split() if m not in mechanisms)
    assert (ext.domain, ext.greeting) == (domain, greeting)
    assert dict(ext) == keywords
    assert all(ext.has(keyword.lower()) for keyword in keywords)
    assert ext.auth_mechanisms == tuple(mechanisms)
    assert ext.ignored == tuple(text for text, announced in lines if announced is None)
    size = keywords.get("SIZE", "")
    # RFC 1870 §3: size-value ::= 1*20DIGIT; anything longer is no limit, never an exception.
    expected = int(size) if size.isdigit() and len(size) <= MAX_SIZE_DIGITS and int(size) > 0 else None
    assert ext.size_limit == expected
    assert repr(ext).startswith("<Extensions")


@given(st.integers(200, 599), st.lists(st.text(max_size=30), max_size=8))
def test_extensions_from_any_reply_raise_only_remote_protocol_error(code: int, lines: list[str]) -> None:
    try:
        ext = Extensions.from_ehlo(Reply(code, tuple(lines)))
    except RemoteProtocolError:
        assert code != 250
    else:
        assert code == 250
        assert all(key == key.upper() and ext.has(key.lower()) for key in ext)


@given(reply_like)
def test_connection_raises_only_remote_protocol_error(data: bytes) -> None:
    conn = ClientConnection()
    conn.connection_made()
    conn.receive_data(data)
    conn.receive_data(b"")
    try:
        while conn.next_reply() is not NEED_DATA:
            pass
    except RemoteProtocolError:
        pass
    # EOF was fed: the loop can only have ended by an error, never by NEED_DATA.
    else:
        pytest.fail("NEED_DATA after EOF")


# --- builders ---------------------------------------------------------------------

controls = st.sampled_from([chr(i) for i in range(0x20)] + ["\x7f"])
safe = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters="<>"), min_size=1, max_size=20
)

BUILDERS: dict[str, Callable[[str], c.Command]] = {
    "ehlo": c.ehlo,
    "helo": c.helo,
    "mail": lambda s: c.mail(s, smtputf8=True),
    "mail-param": lambda s: c.mail("a@b", params=(s,)),
    "rcpt": lambda s: c.rcpt(s, smtputf8=True),
    "rcpt-param": lambda s: c.rcpt("a@b", params=(s,)),
    "vrfy": c.vrfy,
    "expn": c.expn,
    "help": c.help,
    "auth-mechanism": c.auth,
    "auth-initial": lambda s: c.auth("PLAIN", s, secret=True),
    "auth-response": lambda s: c.auth_response(s, secret=True),
    "raw": c.raw,
}


@given(st.sampled_from(sorted(BUILDERS)), safe, controls, safe)
def test_no_control_character_ever_becomes_bytes(builder: str, before: str, control: str, after: str) -> None:
    with pytest.raises(LocalProtocolError):
        BUILDERS[builder](before + control + after)


@given(st.sampled_from(sorted(BUILDERS)), st.text(max_size=40))
def test_builders_yield_one_line_or_refuse(builder: str, argument: str) -> None:
    try:
        command = BUILDERS[builder](argument)
    except LocalProtocolError:
        return
    assert command.line.endswith(b"\r\n")
    assert command.line.count(b"\n") == command.line.count(b"\r") == 1
    assert not any((b < 0x20 and b not in b"\r\n") or b == 0x7F for b in command.line)
    assert len(command.line) <= 512


# --- DATA encoding ----------------------------------------------------------------


@given(
    st.binary(max_size=200)
    | st.lists(st.sampled_from([b".", b"\r", b"\n", b"a", b"\r\n"]), max_size=40).map(b"".join)
)
def test_encode_data_is_transparent(message: bytes) -> None:
    wire = encode_data(message)
    assert wire.endswith(b".\r\n") and (wire == b".\r\n" or wire.endswith(b"\r\n.\r\n"))
    body = wire[: -len(b".\r\n")]
    # Only CRLF line ends, and no line of the body is a lone "." (RFC 5321 §4.5.2).
    assert body.replace(b"\r\n", b"").count(b"\r") == body.replace(b"\r\n", b"").count(b"\n") == 0
    lines = body.split(b"\r\n")
    assert b"." not in lines
    # What the server gets back after removing the stuffing is the normalised message.
    unstuffed = b"\r\n".join(line[1:] if line.startswith(b".") else line for line in lines)
    expected = message_bytes(message)
    assert unstuffed == (expected if expected.endswith(b"\r\n") or not expected else expected + b"\r\n")
