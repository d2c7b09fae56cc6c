"""What the DebugServer says: EHLO extensions, PIPELINING, enhanced codes, VRFY, HELP."""

from __future__ import annotations

import re
import smtplib

import pytest

from smtplearn.server import DEMO_DIRECTORY, DebugServer


def test_ehlo_advertises_exactly_what_is_true_before_and_after_tls(server: DebugServer) -> None:
    with smtplib.SMTP(*server.address, timeout=10) as client:
        _, text = client.ehlo("pc")
        assert text.decode().splitlines()[1:] == [
            "ENHANCEDSTATUSCODES",
            "PIPELINING",
            "SIZE 10485760",
            "8BITMIME",
            "SMTPUTF8",
            "STARTTLS",
            "HELP",
        ]
        client.starttls(context=server.client_tls_context())
        _, text = client.ehlo("pc")
        assert text.decode().splitlines()[1:] == [
            "ENHANCEDSTATUSCODES",
            "PIPELINING",
            "SIZE 10485760",
            "8BITMIME",
            "SMTPUTF8",
            "AUTH CRAM-MD5 LOGIN PLAIN",
            "HELP",
        ]


def test_size_shows_the_configured_limit() -> None:
    with DebugServer(size_limit=2048) as server, smtplib.SMTP(*server.address, timeout=10) as c:
        c.ehlo("pc")
        assert c.esmtp_features["size"] == "2048"


def test_helo_reply_names_client(server: DebugServer) -> None:
    with smtplib.SMTP(*server.address, timeout=10) as client:
        assert client.helo("old-pc") == (
            250,
            b"mail.example.test Hello old-pc [127.0.0.1], pleased to meet you",
        )


def test_pipelined_commands_get_their_replies_in_order(server: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    peer = raw(server.address)
    assert peer.command(b"EHLO pc")[0] == 250
    # RFC 2920 §3.1: MAIL, RCPT... and DATA may go in one write; replies come back in order.
    peer.send(b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nRCPT TO:<c@example.com>\r\nDATA\r\n")
    assert [peer.reply() for _ in range(4)] == [
        (250, ["2.1.0 <a@example.com>... Sender ok"]),
        (250, ["2.1.5 <b@example.com>... Recipient ok"]),
        (250, ["2.1.5 <c@example.com>... Recipient ok"]),
        (354, ["End data with <CR><LF>.<CR><LF>"]),
    ]
    peer.send(b"Subject: piped\r\n\r\nhello\r\n.\r\nQUIT\r\n")
    assert peer.reply()[0] == 250
    assert peer.reply()[0] == 221
    [message] = server.mailbox.wait_for(1)
    assert message.rcpt_tos == ("b@example.com", "c@example.com")


def test_every_reply_after_the_greeting_carries_an_enhanced_code(server: DebugServer, raw) -> None:  # type: ignore[no-untyped-def]
    # ENHANCEDSTATUSCODES promises a code on every 2xx/4xx/5xx reply except the greeting and
    # the replies to EHLO/HELO (RFC 2034 §3). Provoke as many different replies as we can.
    peer = raw(server.address)
    commands = [
        b"MAIL FROM:<a@example.com>",  # 503 need HELO
        b"HELO",  # 501
        b"EHLO",  # 501
        b"NOOP",
        b"FROB",  # 500 unknown
        b"\xff\xfe",  # 500 bad syntax
        b"",  # 500 empty line
        b"NOOP " + b"x" * 600,  # 500 too long
        b"RSET",
        b"RSET now",  # 501
        b"HELP",
        b"HELP MAIL",
        b"HELP FROB",  # 501
        b"VRFY",  # 501
        b"VRFY dhellmann",
        b"VRFY notthere",
        b"VRFY smith",  # multi-line 553
        b"EXPN staff",  # 502
        b"AUTH PLAIN",  # 503 before EHLO
        b"EHLO pc",  # exempt
        b"AUTH PLAIN",  # 538 before TLS
        b"RCPT TO:<b@example.com>",  # 503 need MAIL
        b"DATA",  # 503 need RCPT
        b"MAIL TO:<a@example.com>",  # 501
        b"MAIL FROM:<a@example.com> SIZE=99999999999",  # 552
        b"MAIL FROM:<a@example.com> FROB=1",  # 555
        b"MAIL FROM:<a@example.com> BODY=9BIT",  # 501
        b"MAIL FROM:<a@@example.com>",  # 553
        b"MAIL FROM:<a@example.com>",
        b"MAIL FROM:<a@example.com>",  # 503 nested
        b"RCPT TO:<b@example.com> FROB=1",  # 555
        b"RCPT TO:<b@example.com>",
        b"DATA now",  # 501
        b"STARTTLS now",  # 501
        b"QUIT now",  # 501
        b"QUIT",
    ]
    seen_codes = set()
    for command in commands:
        code, lines = peer.command(command)
        seen_codes.add(code)
        if command.upper().startswith((b"EHLO ", b"HELO ")) and code == 250:
            continue
        for line in lines:
            assert re.match(rf"{str(code)[0]}\.\d{{1,3}}\.\d{{1,3}} ", line), (command, code, line)
    assert {221, 250, 500, 501, 502, 503, 538, 552, 553, 555} <= seen_codes


def test_vrfy_answers_from_the_directory(server: DebugServer) -> None:
    with smtplib.SMTP(*server.address, timeout=10) as client:
        assert client.verify("dhellmann") == (
            250,
            b"2.1.5 Doug Hellmann <dhellmann@mail.example.test>",
        )
        assert client.verify("dhellmann@mail.example.test")[0] == 250
        assert client.verify("Hellmann")[0] == 250
        assert client.verify("notthere") == (550, b"5.1.1 <notthere>... User unknown")
        code, text = client.verify("smith")
        assert code == 553
        assert text.decode().splitlines() == [
            "5.1.4 <smith>... Ambiguous; possibilities are:",
            "5.1.4 Joe Smith <jsmith@mail.example.test>",
            "5.1.4 Harry Smith <hsmith@mail.example.test>",
        ]
        assert client.verify("jsmith")[0] == 250


def test_vrfy_refuse_mode_answers_252_and_switches_at_run_time(server: DebugServer) -> None:
    with smtplib.SMTP(*server.address, timeout=10) as client:
        server.vrfy = "refuse"
        refused = (252, b"2.0.0 Cannot VRFY user, but will accept message and attempt delivery")
        assert client.verify("dhellmann") == refused
        assert client.verify("notthere") == refused
        server.vrfy = "directory"
        assert client.verify("dhellmann")[0] == 250
    with pytest.raises(ValueError, match="vrfy must be"):
        server.vrfy = "no"  # type: ignore[assignment]


def test_vrfy_with_a_custom_directory() -> None:
    directory = {"ada@analytical.test": "Ada Lovelace <ada@analytical.test>"}
    with (
        DebugServer(directory=directory, vrfy="directory") as server,
        smtplib.SMTP(*server.address, timeout=10) as client,
    ):
        assert client.verify("ada") == (250, b"2.1.5 Ada Lovelace <ada@analytical.test>")
        assert client.verify("dhellmann")[0] == 550


def test_demo_directory_has_the_seed_entry_and_an_ambiguous_name() -> None:
    assert DEMO_DIRECTORY["dhellmann"] == "Doug Hellmann <dhellmann@mail.example.test>"
    smiths = [entry for entry in DEMO_DIRECTORY.values() if "Smith" in entry]
    assert len(smiths) == 2


def test_help_lists_commands(server: DebugServer) -> None:
    with smtplib.SMTP(*server.address, timeout=10) as client:
        text = client.help()
        assert text.startswith(b"2.0.0 Supported commands: AUTH DATA EHLO HELO HELP MAIL NOOP")
        code, text = client.docmd("HELP", "VRFY")
        assert (code, text) == (250, b"2.0.0 Syntax: VRFY <address>")


def test_null_path_is_a_sender_never_a_recipient(server: DebugServer) -> None:
    # RFC 5321 §4.1.1.3: "<>" is the reverse-path of bounces; as a recipient it is a syntax error.
    with smtplib.SMTP(*server.address, timeout=10) as client:
        client.ehlo("pc")
        assert client.mail("<>") == (250, b"2.1.0 <>... Sender ok")
        code, text = client.rcpt("<>")
        assert (code, text[:5]) == (501, b"5.1.3")
        assert client.rcpt("x@example.test") == (250, b"2.1.5 <x@example.test>... Recipient ok")
        assert client.data(b"Subject: bounce\r\n\r\nbody\r\n")[0] == 250
    [message] = server.mailbox
    assert message.rcpt_tos == ("x@example.test",)
