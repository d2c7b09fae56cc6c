"""ReplyParser: good replies byte for byte, bad ones as RemoteProtocolError only."""

from __future__ import annotations

import pytest

from smtplearn.protocol.errors import LocalProtocolError, RemoteProtocolError
from smtplearn.protocol.replies import MAX_LINE, MAX_REPLY, Reply, ReplyParser

SEED_EHLO = (
    b"250-mail.example.com Hello [192.168.1.17], pleased to meet you\r\n"
    b"250-ENHANCEDSTATUSCODES\r\n"
    b"250-PIPELINING\r\n"
    b"250-8BITMIME\r\n"
    b"250-SIZE\r\n"
    b"250-DSN\r\n"
    b"250-ETRN\r\n"
    b"250-AUTH GSSAPI DIGEST-MD5 CRAM-MD5\r\n"
    b"250-DELIVERBY\r\n"
    b"250 HELP\r\n"
)


def parse_all(data: bytes, *, eof: bool = False) -> list[Reply]:
    parser = ReplyParser()
    parser.feed(data)
    if eof:
        parser.feed_eof()
    replies = []
    while (reply := parser.next_reply()) is not None:
        replies.append(reply)
    return replies


GOOD = [
    (b"220 mail.example.com ESMTP\r\n", 220, ("mail.example.com ESMTP",)),
    (b"250 2.1.0 <author@example.com>... Sender ok\r\n", 250, ("2.1.0 <author@example.com>... Sender ok",)),
    (
        b'354 Enter mail, end with "." on a line by itself\r\n',
        354,
        ('Enter mail, end with "." on a line by itself',),
    ),
    (b"250\r\n", 250, ("",)),
    (b"250 \r\n", 250, ("",)),
    (b"250-first\r\n250-\r\n250 last\r\n", 250, ("first", "", "last")),
    (b"250-first\r\n250\r\n", 250, ("first", "")),
    (b"221 bye\n", 221, ("bye",)),
    (b"554 5.7.1 tab\there\r\n", 554, ("5.7.1 tab\there",)),
    ("250 2.1.5 Jörg <jörg@bücher.example>\r\n".encode(), 250, ("2.1.5 Jörg <jörg@bücher.example>",)),
    (b"250 bad \xff utf-8\r\n", 250, ("bad \ufffd utf-8",)),
    (b"599 top\r\n", 599, ("top",)),
    (b"200 bottom\r\n", 200, ("bottom",)),
]


@pytest.mark.parametrize(("data", "code", "lines"), GOOD, ids=[repr(g[0]) for g in GOOD])
def test_good_reply(data: bytes, code: int, lines: tuple[str, ...]) -> None:
    (reply,) = parse_all(data)
    assert reply.code == code
    assert reply.lines == lines
    assert reply.raw == data


def test_seed_ehlo_reply_is_one_reply_with_ten_lines() -> None:
    (reply,) = parse_all(SEED_EHLO)
    assert reply.code == 250
    assert reply.raw == SEED_EHLO
    assert len(reply.lines) == 10
    assert reply.lines[0] == "mail.example.com Hello [192.168.1.17], pleased to meet you"
    assert reply.lines[-1] == "HELP"


def test_enhanced_code_survives_parsing() -> None:
    (reply,) = parse_all(b"550 5.1.1 <notthere>... User unknown\r\n")
    assert reply.enhanced_code == "5.1.1"
    assert reply.message == "<notthere>... User unknown"


def test_several_replies_in_one_chunk_come_out_in_order() -> None:
    data = b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go ahead\r\n"
    assert [r.code for r in parse_all(data)] == [250, 250, 354]
    assert b"".join(r.raw for r in parse_all(data)) == data


def test_byte_at_a_time_gives_the_same_replies() -> None:
    data = SEED_EHLO + b"250 2.1.0 ok\r\n221 bye\r\n"
    parser = ReplyParser()
    replies = []
    for i in range(len(data)):
        parser.feed(data[i : i + 1])
        while (reply := parser.next_reply()) is not None:
            replies.append(reply)
    assert replies == parse_all(data)
    assert parser.buffered == b""


def test_partial_reply_is_buffered_until_its_last_line() -> None:
    parser = ReplyParser()
    parser.feed(b"250-one\r\n250-two\r\n250 th")
    assert parser.next_reply() is None
    assert parser.buffered == b"250-one\r\n250-two\r\n250 th"
    parser.feed(b"ree\r\n220 next")
    assert parser.next_reply() == Reply(250, ("one", "two", "three"), b"250-one\r\n250-two\r\n250 three\r\n")
    assert parser.buffered == b"220 next"


def test_discard_drops_everything_not_returned() -> None:
    # RFC 3207 §5: bytes that arrived with STARTTLS's 220 must not survive the handshake.
    parser = ReplyParser()
    parser.feed(b"220 TLS go ahead\r\n250-injected\r\n250 PIPELINING\r\n250-part")
    assert parser.next_reply() == Reply(220, ("TLS go ahead",), b"220 TLS go ahead\r\n")
    assert parser.discard() == b"250-injected\r\n250 PIPELINING\r\n250-part"
    assert parser.buffered == b""
    parser.feed(b"250 clean\r\n")
    assert parser.next_reply() == Reply(250, ("clean",), b"250 clean\r\n")


BAD = [
    (b"\r\n", "3-digit code"),
    (b"25\r\n", "3-digit code"),
    (b"abc hello\r\n", "3-digit code"),
    (b"2x0 hello\r\n", "3-digit code"),
    ("２５０ full-width digits\r\n".encode(), "3-digit code"),
    (b"199 too low\r\n", "outside 200-599"),
    (b"600 too high\r\n", "outside 200-599"),
    (b"000 zero\r\n", "outside 200-599"),
    (b"250-one\r\n251 two\r\n", "changed its code from 250 to 251"),
    (b"250_underscore\r\n", "followed by a space, '-' or the line end"),
    (b"2500 four digits\r\n", "followed by a space, '-' or the line end"),
    (b"250\tTAB\r\n", "followed by a space, '-' or the line end"),
]


@pytest.mark.parametrize(("data", "message"), BAD, ids=[repr(b[0]) for b in BAD])
def test_bad_reply_raises_remote_protocol_error(data: bytes, message: str) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        parse_all(data)
    assert message in str(info.value)


def test_good_replies_before_a_bad_one_are_still_returned() -> None:
    parser = ReplyParser()
    parser.feed(b"250 fine\r\nxyz\r\n")
    assert parser.next_reply() == Reply(250, ("fine",), b"250 fine\r\n")
    with pytest.raises(RemoteProtocolError):
        parser.next_reply()


def test_overlong_line_is_refused_without_waiting_for_its_end() -> None:
    parser = ReplyParser()
    parser.feed(b"250 " + b"x" * (MAX_LINE - 5))
    assert parser.next_reply() is None  # 8191 bytes: a (bare) LF could still end it in time
    parser.feed(b"x")
    with pytest.raises(RemoteProtocolError, match=f"line longer than {MAX_LINE}"):
        parser.next_reply()


def test_line_of_exactly_the_limit_is_accepted() -> None:
    line = b"250 " + b"x" * (MAX_LINE - 6) + b"\r\n"
    assert len(line) == MAX_LINE
    (reply,) = parse_all(line)
    assert reply.raw == line


def test_overlong_reply_is_refused() -> None:
    line = b"250-" + b"x" * 1000 + b"\r\n"
    data = line * (MAX_REPLY // len(line) + 1)
    with pytest.raises(RemoteProtocolError, match=f"reply longer than {MAX_REPLY}"):
        parse_all(data)


def test_overlong_reply_is_refused_before_its_last_line_arrives() -> None:
    line = b"250-" + b"x" * 1000 + b"\r\n"
    parser = ReplyParser()
    with pytest.raises(RemoteProtocolError, match="reply longer"):
        for _ in range(MAX_REPLY // len(line) + 1):
            parser.feed(line)
            assert parser.next_reply() is None


def test_eof_in_the_middle_of_a_reply() -> None:
    with pytest.raises(RemoteProtocolError, match="connection closed in the middle of a reply"):
        parse_all(b"250-one\r\n250 tw", eof=True)


def test_eof_after_complete_replies_is_quiet() -> None:
    parser = ReplyParser()
    parser.feed(b"221 bye\r\n")
    parser.feed_eof()
    assert parser.next_reply() == Reply(221, ("bye",), b"221 bye\r\n")
    assert parser.next_reply() is None
    assert parser.eof


def test_feeding_after_eof_is_a_local_error() -> None:
    parser = ReplyParser()
    parser.feed_eof()
    with pytest.raises(LocalProtocolError):
        parser.feed(b"250 late\r\n")


def test_enhanced_code_must_repeat_the_reply_class() -> None:
    # RFC 3463 §2: "550 2.1.1 ..." carries no valid enhanced code: the classes disagree.
    assert Reply(550, ("2.1.1 odd",)).enhanced_code is None
    assert Reply(550, ("5.1.1 unknown",)).enhanced_code == "5.1.1"
