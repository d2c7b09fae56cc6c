"""`bench/run.py --quick` still runs and prints every benchmark's rows (nothing is timed here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quick_bench_prints_every_benchmark(tmp_path: Path) -> None:
    rows_file = tmp_path / "rows.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--json", str(rows_file)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(rows_file.read_text())
    assert {row["bench"] for row in rows} == {"B1", "B2", "B3", "B4", "B5"}
    # The table itself is printed, one line per row plus the header and the rule.
    table_lines = [line for line in done.stdout.splitlines() if line.startswith("|")]
    assert len(table_lines) == len(rows) + 2
    # Counted figures are exact whatever the machine's speed.
    counted = {row["what"]: row["value"] for row in rows if "round trips" in row["what"]}
    assert counted["20 rcpt: round trips/msg, smtplib"] == "23"
    assert counted["20 rcpt: round trips/msg, smtplearn+pipelining"] == "2"
    stored = next(row for row in rows if row["what"] == "every message stored exactly once")
    assert stored["met"] is True, stored


def test_classroom_bench_delivers_every_students_message_once(tmp_path: Path) -> None:
    # B6 at 20 students (a few seconds): `smtplearn server` in its own process, its Maildir counted.
    rows_file = tmp_path / "rows.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--only", "B6", "--json", str(rows_file)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(rows_file.read_text())
    stored = [row for row in rows if "stored/distinct" in row["what"]]
    # Two variants (defaults with retries, NAT flags) x two clients (smtplearn, smtplib).
    assert len(stored) == 4
    assert all(row["value"].startswith("20/20, ") and row["met"] is True for row in stored), stored
