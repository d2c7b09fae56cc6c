"""`smtplearn demo` replays the seed's three walkthroughs against a real DebugServer."""

from __future__ import annotations

import subprocess
import sys

import pytest

from smtplearn.cli import main


def test_demo_prints_three_annotated_walkthroughs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    titles = ["Sending an Email Message", "Authentication and Encryption", "Verifying an Email Address"]
    positions = [out.index(title) for title in titles]
    assert positions == sorted(positions)
    # The seed's own moments, seen for real: STARTTLS vanishes after TLS, AUTH appears,
    # CRAM-MD5 succeeds, VRFY knows dhellmann and not notthere.
    assert " -> STARTTLS" in out and "<~  250-AUTH" in out
    assert "<~  235 " in out
    assert "<-  250 2.1.5 Doug Hellmann <dhellmann@mail.example.test>" in out.splitlines()
    assert "<-  550 5.1.1" in out
    assert "(RFC 5321 §4.1.1.2)" in out  # each step explained with its section
    from smtplearn.server import DEMO_PASSWORD

    assert DEMO_PASSWORD not in out


def test_demo_runs_as_a_console_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "smtplearn.cli", "demo", "vrfy"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "Verifying an Email Address" in result.stdout
    assert "Sending" not in result.stdout
    assert result.stderr == ""
