"""Pure pieces of the server, by table: VRFY lookup, enhanced codes; and its silence."""

from __future__ import annotations

import logging
import smtplib
import subprocess
import sys
import textwrap

import pytest

from smtplearn.server import DebugServer
from smtplearn.server.directory import DEMO_DIRECTORY, lookup, vrfy_reply
from smtplearn.server.enhanced import with_enhanced_code

DOUG = "Doug Hellmann <dhellmann@mail.example.test>"
JOE = "Joe Smith <jsmith@mail.example.test>"
HARRY = "Harry Smith <hsmith@mail.example.test>"


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("dhellmann", (DOUG,)),
        ("<dhellmann>", (DOUG,)),
        ("DHellmann", (DOUG,)),
        ("dhellmann@mail.example.test", (DOUG,)),
        ("Hellmann", (DOUG,)),
        ('"Doug Hellmann"', (DOUG,)),
        ("smith", (JOE, HARRY)),
        ("jsmith", (JOE,)),
        ("notthere", ()),
        ("", ()),
        ("<>", ()),
    ],
)
def test_lookup(query: str, found: tuple[str, ...]) -> None:
    assert lookup(DEMO_DIRECTORY, query) == found


def test_lookup_by_full_address_key() -> None:
    directory = {"ada@analytical.test": "Ada Lovelace <ada@analytical.test>"}
    assert lookup(directory, "ada") == ("Ada Lovelace <ada@analytical.test>",)
    assert lookup(directory, "ADA@analytical.test") == ("Ada Lovelace <ada@analytical.test>",)


def test_vrfy_replies() -> None:
    assert vrfy_reply(DEMO_DIRECTORY, "dhellmann", "directory") == f"250 2.1.5 {DOUG}"
    assert vrfy_reply(DEMO_DIRECTORY, "notthere", "directory") == ("550 5.1.1 <notthere>... User unknown")
    assert vrfy_reply(DEMO_DIRECTORY, "smith", "directory") == (
        f"553-5.1.4 <smith>... Ambiguous; possibilities are:\r\n553-5.1.4 {JOE}\r\n553 5.1.4 {HARRY}"
    )
    assert vrfy_reply(DEMO_DIRECTORY, "dhellmann", "refuse").startswith("252 2.0.0 ")


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("250 OK", "250 2.0.0 OK"),
        ("250 2.1.0 <a@b>... Sender ok", "250 2.1.0 <a@b>... Sender ok"),
        ("503 Error: need MAIL command", "503 5.5.1 Error: need MAIL command"),
        ("500 Error: bad syntax", "500 5.5.2 Error: bad syntax"),
        ("501 Syntax: HELO hostname", "501 5.5.4 Syntax: HELO hostname"),
        ("552 Error: Too much mail data", "552 5.3.4 Error: Too much mail data"),
        ("554 Command refused due to lack of security", "554 5.0.0 Command refused due to lack of security"),
        ("599 odd", "599 5.0.0 odd"),
        ("221 Bye", "221 2.0.0 Bye"),
        ("354 End data with <CR><LF>.<CR><LF>", "354 End data with <CR><LF>.<CR><LF>"),
        ("334 VXNlcm5hbWU6", "334 VXNlcm5hbWU6"),
        ("250-first\r\n250 last", "250-2.0.0 first\r\n250 2.0.0 last"),
        ("250", "250 2.0.0"),
    ],
)
def test_with_enhanced_code(reply: str, expected: str) -> None:
    assert with_enhanced_code(reply) == expected


def test_server_logs_to_smtplearn_server(server: DebugServer, caplog: pytest.LogCaptureFixture) -> None:
    with (
        caplog.at_level(logging.INFO, logger="smtplearn.server"),
        smtplib.SMTP(*server.address, timeout=10) as client,
    ):
        client.sendmail("a@example.com", ["b@example.com"], b"Subject: s\r\n\r\nx\r\n")
    assert any(r.name == "smtplearn.server" and "DS00001 accepted" in r.getMessage() for r in caplog.records)


def test_server_writes_nothing_to_stdout_or_stderr(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A fresh interpreter with logging unconfigured, as in a new notebook kernel: warnings and
    # errors from the server thread (aiosmtpd's and ours) must not reach stderr.
    script = textwrap.dedent(
        f"""
        import smtplib, socket, struct
        from smtplearn.server import DebugServer, Disconnect
        blocker = {str(tmp_path / "file")!r}
        open(blocker, "w").close()
        with DebugServer(maildir=blocker + "/Maildir") as server:
            with smtplib.SMTP(*server.address, timeout=10) as client:
                client.ehlo("pc")
                for _ in range(3):
                    client.docmd("FROB")
                client.starttls(context=server.client_tls_context())
                client.login("student", "demo-password")
                try:
                    client.sendmail("a@example.com", ["b@example.com"], b"x\\r\\n")
                except smtplib.SMTPDataError as error:
                    assert error.smtp_code == 451, error
                else:
                    raise AssertionError("the Maildir cannot exist, storing must fail")
            # Clients that reset the connection with pipelined commands still unanswered,
            # in plain text and inside TLS.
            for tls in (False, True) * 10:
                sock = socket.create_connection(server.address)
                sock.recv(100)
                if tls:
                    sock.sendall(b"STARTTLS\\r\\n")
                    sock.recv(100)
                    sock = server.client_tls_context().wrap_socket(sock, server_hostname="127.0.0.1")
                sock.sendall(b"HELP\\r\\n" * 200)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.close()
            server.inject(Disconnect("EHLO"))
            with socket.create_connection(server.address) as sock:
                sock.recv(100)
                sock.sendall(b"EHLO pc\\r\\n")
                sock.recv(100)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
