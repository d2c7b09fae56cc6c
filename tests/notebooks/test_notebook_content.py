"""Promises the seed lessons (00–03) make that nbval does not check by itself.

nbval proves each notebook reruns to the same outputs; these tests read the stored
notebooks for what must hold in them: no demo password in any form, an exercise check
that passed, the server stopped at the end, no error outputs.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from smtplearn.server import DEMO_PASSWORD, DEMO_USER

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
SEED_LESSONS = [
    "00-start-here.ipynb",
    "01-sending-a-message.ipynb",
    "02-tls-and-authentication.ipynb",
    "03-verifying-addresses.ipynb",
]


def _cells(name: str) -> list[dict[str, Any]]:
    cells: list[dict[str, Any]] = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))["cells"]
    return cells


def _source(cell: dict[str, Any]) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


@pytest.mark.parametrize("name", SEED_LESSONS)
def test_the_demo_password_appears_in_no_form(name: str) -> None:
    text = (NOTEBOOKS / name).read_text(encoding="utf-8")
    forms = [
        DEMO_PASSWORD,
        _b64(DEMO_PASSWORD.encode()),  # AUTH LOGIN's second answer
        _b64(f"\0{DEMO_USER}\0{DEMO_PASSWORD}".encode()),  # AUTH PLAIN
    ]
    for form in forms:
        assert form not in text


@pytest.mark.parametrize("name", SEED_LESSONS)
def test_the_last_code_cell_stops_the_server(name: str) -> None:
    code = [cell for cell in _cells(name) if cell["cell_type"] == "code"]
    assert _source(code[-1]).splitlines()[-1] == "server.stop()"


@pytest.mark.parametrize("name", SEED_LESSONS)
def test_outputs_are_stored_and_none_is_an_error(name: str) -> None:
    code = [cell for cell in _cells(name) if cell["cell_type"] == "code"]
    assert all(cell["execution_count"] is not None for cell in code)
    assert not [o for cell in code for o in cell["outputs"] if o["output_type"] == "error"]


@pytest.mark.parametrize("name", SEED_LESSONS[1:])
def test_each_lesson_ends_with_checked_exercises(name: str) -> None:
    checks = [cell for cell in _cells(name) if cell["cell_type"] == "code" and "check_" in _source(cell)]
    passed = [
        o
        for cell in checks
        for o in cell.get("outputs", [])
        if "✔ Correct:" in "".join(o.get("data", {}).get("text/plain", ""))
    ]
    assert len(passed) >= 3


@pytest.mark.parametrize("name", SEED_LESSONS)
def test_no_cell_hides_its_output_from_nbval(name: str) -> None:
    # The widgets give deterministic text/plain, so no cell needs nbval-ignore-output.
    assert not [c for c in _cells(name) if "nbval-ignore-output" in c.get("metadata", {}).get("tags", [])]


@pytest.mark.parametrize("name", SEED_LESSONS)
def test_prose_is_markdown_with_one_title_and_rfc_links(name: str) -> None:
    prose = [_source(cell) for cell in _cells(name) if cell["cell_type"] == "markdown"]
    lines = [line for text in prose for line in text.splitlines()]
    assert prose[0].startswith(f"# {name[:2]} · ")
    assert [line for line in lines if line.startswith("# ")] == [prose[0].splitlines()[0]]
    if name != "00-start-here.ipynb":
        assert sum("https://www.rfc-editor.org/rfc/" in text for text in prose) >= 5
