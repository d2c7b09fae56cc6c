"""Extensions from EHLO replies, starting with the seed article's two, verbatim."""

from __future__ import annotations

import pytest

from smtplearn.protocol.errors import RemoteProtocolError
from smtplearn.protocol.extensions import Extensions
from smtplearn.protocol.replies import Reply, ReplyParser

# The two EHLO replies of /work/shared/seed/pymotw-smtplib.rst, byte for byte.
SEED_SENDMAIL = (
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
SEED_AUTHENTICATED = (
    b"250-elasmtp-isp.net Hello localhost.local [<your IP here>]\r\n"
    b"250-SIZE 14680064\r\n"
    b"250-PIPELINING\r\n"
    b"250-AUTH PLAIN LOGIN CRAM-MD5\r\n"
    b"250-STARTTLS\r\n"
    b"250 HELP\r\n"
)


def parse(data: bytes) -> Extensions:
    parser = ReplyParser()
    parser.feed(data)
    reply = parser.next_reply()
    assert reply is not None
    return Extensions.from_ehlo(reply)


def test_seed_sendmail_ehlo() -> None:
    ext = parse(SEED_SENDMAIL)
    assert ext.domain == "mail.example.com"
    assert ext.greeting == "Hello [192.168.1.17], pleased to meet you"
    assert list(ext) == [
        "ENHANCEDSTATUSCODES",
        "PIPELINING",
        "8BITMIME",
        "SIZE",
        "DSN",
        "ETRN",
        "AUTH",
        "DELIVERBY",
        "HELP",
    ]
    assert ext["AUTH"] == "GSSAPI DIGEST-MD5 CRAM-MD5"
    assert ext.auth_mechanisms == ("GSSAPI", "DIGEST-MD5", "CRAM-MD5")
    assert ext.params("SIZE") == ""
    assert ext.size_limit is None
    assert ext.has("pipelining") and ext.has("8bitmime")
    assert not ext.has("STARTTLS")
    assert ext.params("STARTTLS") is None
    assert repr(ext) == (
        "<Extensions of mail.example.com: ENHANCEDSTATUSCODES, PIPELINING, 8BITMIME, SIZE, "
        "DSN, ETRN, AUTH GSSAPI DIGEST-MD5 CRAM-MD5, DELIVERBY, HELP>"
    )


def test_seed_authenticated_ehlo() -> None:
    ext = parse(SEED_AUTHENTICATED)
    assert ext.domain == "elasmtp-isp.net"
    assert ext.greeting == "Hello localhost.local [<your IP here>]"
    assert dict(ext) == {
        "SIZE": "14680064",
        "PIPELINING": "",
        "AUTH": "PLAIN LOGIN CRAM-MD5",
        "STARTTLS": "",
        "HELP": "",
    }
    assert ext.size_limit == 14680064
    assert ext.auth_mechanisms == ("PLAIN", "LOGIN", "CRAM-MD5")
    assert "starttls" in ext and ext["StartTLS"] == ""


def test_lookup_ignores_case_and_non_strings() -> None:
    ext = parse(SEED_AUTHENTICATED)
    assert ext["size"] == ext["SIZE"] == ext["Size"]
    assert 42 not in ext  # type: ignore[comparison-overlap]
    with pytest.raises(KeyError):
        ext["DSN"]


def test_old_style_auth_equals_line_is_merged() -> None:
    reply = Reply(250, ("mx.example Hi", "AUTH LOGIN PLAIN", "AUTH=LOGIN XOAUTH2", "auth cram-md5"))
    ext = Extensions.from_ehlo(reply)
    assert ext.auth_mechanisms == ("LOGIN", "PLAIN", "XOAUTH2", "CRAM-MD5")
    assert ext["AUTH"] == "LOGIN PLAIN"


@pytest.mark.parametrize(
    ("size_line", "limit"),
    [
        ("SIZE 10240000", 10240000),
        ("SIZE 0", None),
        ("SIZE", None),
        ("SIZE lots", None),
        ("SIZE ４２", None),
        # Never an exception, whatever the server announces (issue 10, item 6).
        ("SIZE " + "9" * 5000, None),
        ("SIZE " + "9" * 21, None),
        ("SIZE " + "9" * 20, 10**20 - 1),
        ("SIZE 10MB", None),
        ("SIZE -5", None),
        ("SIZE 1 2", None),
        ("SIZE 1e9", None),
        ("SIZE 0x10", None),
        ("SIZE 00042", 42),
        ("SIZE \u0663", None),
    ],
)
def test_size_limit(size_line: str, limit: int | None) -> None:
    ext = Extensions.from_ehlo(Reply(250, ("mx.example", size_line)))
    assert ext.size_limit == limit


def test_single_line_ehlo_and_helo_style_reply() -> None:
    ext = Extensions.from_ehlo(Reply(250, ("mx.example",)))
    assert (ext.domain, ext.greeting, len(ext)) == ("mx.example", "", 0)
    assert ext.auth_mechanisms == ()


def test_lines_that_are_not_ehlo_lines_are_kept_aside() -> None:
    ext = Extensions.from_ehlo(Reply(250, ("mx.example hi", "-BAD", "", "8BITMIME")))
    assert list(ext) == ["8BITMIME"]
    assert ext.ignored == ("-BAD", "")


def test_only_a_250_reply_has_extensions() -> None:
    with pytest.raises(RemoteProtocolError, match="250 reply, not 502"):
        Extensions.from_ehlo(Reply(502, ("5.5.1 EHLO not implemented",)))


def test_empty() -> None:
    ext = Extensions.empty()
    assert len(ext) == 0 and not ext.has("SIZE") and ext.size_limit is None
    assert repr(ext) == "<Extensions: none>"
