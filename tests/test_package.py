"""The package's own promises: lazy exports, no Jupyter on import, lint and types clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import smtplearn

ROOT = Path(__file__).resolve().parent.parent


def test_every_export_resolves() -> None:
    assert sorted(smtplearn.__all__) == sorted(smtplearn._EXPORTS)
    for name in smtplearn.__all__:
        assert getattr(smtplearn, name) is not None


def test_import_loads_no_jupyter_and_no_server() -> None:
    code = (
        "import sys, smtplearn; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'ipywidgets', 'IPython', 'traitlets', 'comm', 'aiosmtpd', 'trustme'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_ruff_is_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "smtplearn", "tests", "bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "smtplearn"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
