"""``smtplearn server``: the foreground server, run as a real process and stopped with Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import smtplib
import subprocess
import sys
from collections.abc import Iterator

import pytest

from smtplearn.server import DEMO_PASSWORD, DEMO_USER
from smtplearn.server.console import add_arguments, build_server


class Console:
    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "smtplearn.server.console", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.stdout = self.process.stdout
        first = self.stdout.readline()
        match = re.search(r"listening on 127\.0\.0\.1:(\d+)", first)
        assert match, first + self.process.stderr.read()  # type: ignore[union-attr]
        self.port = int(match.group(1))
        self.lines = [first.rstrip("\n")]

    def read_until(self, text: str) -> list[str]:
        """Read printed lines up to and including the first containing `text`."""
        start = len(self.lines)
        while True:
            line = self.stdout.readline()
            assert line, f"output ended before {text!r}: {self.lines[start:]}"
            self.lines.append(line.rstrip("\n"))
            if text in line:
                return self.lines[start:]

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        self.lines += self.stdout.read().splitlines()
        return self.process.wait(timeout=30)


@pytest.fixture
def console() -> Iterator[type[Console]]:
    started: list[Console] = []

    def start(*args: str) -> Console:
        running = Console(*args)
        started.append(running)
        return running

    yield start  # type: ignore[misc]
    for running in started:
        if running.process.poll() is None:
            # SIGTERM stops it cleanly (its CA file is removed); kill only if that fails.
            running.process.terminate()
            try:
                running.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                running.process.kill()
        running.process.wait(timeout=30)
        running.stdout.close()
        running.process.stderr.close()  # type: ignore[union-attr]


def test_prints_banner_dialog_and_message_then_stops_on_ctrl_c(console) -> None:  # type: ignore[no-untyped-def]
    server = console()
    banner = server.read_until("Press Ctrl-C to stop.")
    ca_line = next(line for line in banner if "CA certificate:" in line)
    ca_path = ca_line.split("CA certificate:")[1].strip()
    assert os.path.exists(ca_path)
    # Students see the instructor's screen: the banner names the account, not its password.
    assert f"  demo account:   {DEMO_USER} (password: run with --show-password)" in banner

    import ssl

    context = ssl.create_default_context(cafile=ca_path)
    with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as client:
        client.starttls(context=context)
        client.login(DEMO_USER, DEMO_PASSWORD)
        client.sendmail(
            "author@example.com", ["recipient@example.com"], b"Subject: Hello class\r\n\r\nHi!\r\n"
        )
    dialog = server.read_until("S: 221 ")
    assert dialog[0] == "[#1] -- connection from 127.0.0.1:" + dialog[0].rsplit(":", 1)[1]
    assert "[#1] C: STARTTLS" in dialog
    assert any(line.startswith("[#1] -- TLS started") for line in dialog)
    # smtplib's login() picks CRAM-MD5, the strongest offered: the answer to the challenge is hidden.
    auth_at = dialog.index("[#1] C: AUTH CRAM-MD5")
    assert dialog[auth_at + 1].startswith("[#1] S: 334 ")
    assert dialog[auth_at + 2] == "[#1] C: <redacted>"
    assert dialog[auth_at + 3].startswith("[#1] S: 235 ")
    assert "[#1] c: mail from:<author@example.com> size=29" in [x.lower() for x in dialog]
    start = dialog.index("[#1] C: .")
    assert dialog[start + 1 : start + 6] == [
        "---------- message DS00001 from <author@example.com> to <recipient@example.com> ----------",
        "Subject: Hello class",
        "",
        "Hi!",
        "---------- end of message DS00001 ----------",
    ]
    assert dialog[start + 6] == "[#1] S: 250 2.0.0 DS00001 Message accepted for delivery"
    assert not [line for line in server.lines if DEMO_PASSWORD in line]

    assert server.interrupt() == 0
    assert server.lines[-1] == "stopping"
    assert not os.path.exists(ca_path)


def test_show_password_prints_the_accounts_passwords(console) -> None:  # type: ignore[no-untyped-def]
    server = console("--show-password")
    banner = server.read_until("Press Ctrl-C")
    assert f"  demo account:   {DEMO_USER} / {DEMO_PASSWORD}" in banner
    custom = console("--show-password", "--no-tls", "--user", "ada:lovelace", "--user", "bob:builder")
    assert "  accounts:       ada / lovelace, bob / builder" in custom.read_until("Press Ctrl-C")


def test_vulnerable_to_smuggling_needs_its_flag_and_warns(console) -> None:  # type: ignore[no-untyped-def]
    assert "VULNERABLE" not in "\n".join(console().read_until("Press Ctrl-C"))
    banner = "\n".join(console("--vulnerable-to-smuggling").read_until("Press Ctrl-C"))
    assert "WARNING:        DELIBERATELY VULNERABLE to smuggling" in banner


def test_the_help_does_not_spell_out_the_password_either() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "smtplearn.server.console", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "--show-password" in result.stdout
    assert DEMO_PASSWORD not in result.stdout
    # argparse formats only arguments' help with %: a group's description is printed as written.
    assert "fill 80% of a cap" in " ".join(result.stdout.split())


def test_the_banner_says_when_vrfy_is_refused() -> None:
    # A student's lesson 03 in classroom mode is told to look for '--vrfy refuse' in the
    # instructor's terminal: the banner carries it, not only the command typed above it.
    import argparse

    from smtplearn.server.console import banner

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    with build_server(parser.parse_args(["--port", "0", "--no-tls"])) as answering:
        assert "vrfy" not in banner(answering).lower()
    with build_server(parser.parse_args(["--port", "0", "--no-tls", "--vrfy", "refuse"])) as refusing:
        assert "  VRFY:           252 to every address (--vrfy refuse)" in banner(refusing).splitlines()


def test_sigterm_stops_cleanly_too(console) -> None:  # type: ignore[no-untyped-def]
    server = console("--no-tls")
    server.read_until("Press Ctrl-C")
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=30) == 0


def test_options_reach_the_server(console, tmp_path) -> None:  # type: ignore[no-untyped-def]
    directory = tmp_path / "directory.json"
    directory.write_text(json.dumps({"ada": "Ada Lovelace <ada@analytical.test>"}))
    server = console(
        "--no-tls",
        "--plain-auth",
        "--user",
        "ada:lovelace",
        "--directory",
        str(directory),
        "--fault",
        "reject-rcpt:bad@*",
        "--hostname",
        "smtp.school.test",
        "--maildir",
        str(tmp_path / "Maildir"),
    )
    banner = server.read_until("Press Ctrl-C")
    assert server.lines[0].endswith("(no TLS)")
    assert "  accounts:       ada (password: run with --show-password)" in banner
    with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as client:
        assert client.ehlo("pc")[1].startswith(b"smtp.school.test Hello pc")
        assert client.login("ada", "lovelace")[0] == 235
        assert client.verify("ada")[0] == 250
        refused = client.sendmail("a@example.com", ["ok@example.com", "bad@example.com"], b"x\r\n")
        assert list(refused) == ["bad@example.com"]
    server.read_until("end of message DS00001")
    assert len(list((tmp_path / "Maildir" / "new").iterdir())) == 1
    assert server.interrupt() == 0


def test_bad_arguments_are_reported() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "smtplearn.server.console", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    # The fix is named as the command line spells it, not as the Python keyword.
    assert "Pass --allow-remote if other machines really must reach it" in result.stderr
    assert "allow_remote=True" not in result.stderr


def test_build_server_defaults() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    server = build_server(parser.parse_args([]))
    assert (server.port, server.tls, server.vrfy) == (8025, "starttls", "directory")
    assert server.vulnerable == ()
    assert build_server(parser.parse_args(["--vulnerable-to-smuggling"])).vulnerable == ("smuggling",)
    assert dict(server.users) == {DEMO_USER: DEMO_PASSWORD}
    assert build_server(parser.parse_args(["--tls", "implicit"])).tls == "implicit"
    with pytest.raises(SystemExit):
        parser.parse_args(["--user", "nopassword"])


def test_the_banner_gives_students_the_settings_and_a_name_they_can_reach() -> None:
    # On every address (0.0.0.0) the server is reached by its name, the one its certificate
    # carries; "swaks --server 0.0.0.0:8025" only ever worked on the instructor's machine.
    import argparse

    from smtplearn.server.console import banner

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    everywhere = ["--port", "0", "--host", "0.0.0.0", "--allow-remote", "--hostname", "mail.school.example"]
    with build_server(parser.parse_args(everywhere)) as server:
        lines = banner(server).splitlines()
        port = server.port
    assert f"  students set:   SMTPLEARN_SERVER=mail.school.example:{port} " in "\n".join(lines)
    assert "SMTPLEARN_CA=<a copy of the CA certificate they can read>" in lines[3]
    assert lines[4].startswith(f"  try:            swaks --server mail.school.example:{port} --tls ")
    assert not any("0.0.0.0:" in line for line in lines[1:])
    with build_server(parser.parse_args(["--port", "0", "--no-tls"])) as plain:
        assert f"  students set:   SMTPLEARN_SERVER=127.0.0.1:{plain.port}" in banner(plain).splitlines()


@pytest.mark.parametrize(
    ("host", "reached_as"),
    [
        ("0.0.0.0", "mail.test"),
        ("::", "mail.test"),
        ("127.0.0.1", "127.0.0.1"),
        ("::1", "[::1]"),
        ("pc", "pc"),
    ],
)
def test_reachable_host(host: str, reached_as: str) -> None:
    from smtplearn.server.classroom import reachable_host

    assert reachable_host(host, "mail.test") == reached_as
