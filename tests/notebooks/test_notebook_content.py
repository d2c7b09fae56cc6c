"""Promises the lessons make that nbval does not check by itself.

nbval proves each notebook reruns to the same outputs; these tests read the stored
notebooks for what must hold in them: no demo password in any form (no stored output of
any lesson shows it), an exercise check that passed, no error outputs, a server still
running after Run All (so widgets clicked afterwards reach it), and lessons 04–07 on a
server of their own.
"""

from __future__ import annotations

import ast
import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest

from smtplearn.server import DEMO_PASSWORD, DEMO_USER

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
#: The student edition (notebooks/) and the instructor edition it is made from.
EDITIONS = ["notebooks", "instructor"]
SEED_LESSONS = [
    "00-start-here.ipynb",
    "01-sending-a-message.ipynb",
    "02-tls-and-authentication.ipynb",
    "03-verifying-addresses.ipynb",
]
LESSONS = sorted(path.name for path in NOTEBOOKS.glob("0*.ipynb"))
#: Lessons that set faults, read the session log or start extra servers.
OWN_SERVER_LESSONS = [name for name in LESSONS if name[:2] in {"04", "05", "06", "07"}]


def _cells(name: str, edition: str = "notebooks") -> list[dict[str, Any]]:
    cells: list[dict[str, Any]] = json.loads((ROOT / edition / name).read_text(encoding="utf-8"))["cells"]
    return cells


def _source(cell: dict[str, Any]) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _base64_cores(secret: bytes) -> list[str]:
    """What base64 of `secret` looks like inside any longer base64 text, at each alignment.

    Bytes before the secret shift it by 0, 1 or 2 bytes within a 3-byte group; the
    characters that mix in a neighbour's bits are cut off, so each core matches wherever
    the secret sits in an encoded line (AUTH PLAIN's ``\\0user\\0password`` included).
    """
    cores = []
    for shift in range(3):
        encoded = _b64(bytes(shift) + secret)
        cores.append(encoded[-(-shift * 8 // 6) : (shift + len(secret)) * 8 // 6])
    return cores


#: Every form of the demo password a stored output must not contain.
PASSWORD_FORMS = [
    DEMO_PASSWORD,
    repr(DEMO_PASSWORD.encode())[2:-1],
    _b64(DEMO_PASSWORD.encode()),  # AUTH LOGIN's second answer
    _b64(f"\0{DEMO_USER}\0{DEMO_PASSWORD}".encode()),  # AUTH PLAIN
    *_base64_cores(DEMO_PASSWORD.encode()),
]


def _stored_outputs(name: str, edition: str) -> str:
    """Everything a lesson stores beside its code: outputs of every cell, widget state too."""
    notebook = json.loads((ROOT / edition / name).read_text(encoding="utf-8"))
    parts = [json.dumps(cell.get("outputs", []), ensure_ascii=False) for cell in notebook["cells"]]
    parts.append(json.dumps(notebook.get("metadata", {}), ensure_ascii=False))
    # json.dumps escapes "\0" and quotes; the decoded text is searched as well.
    parts += [
        "".join(o.get("text", "")) + json.dumps(o.get("data", {}), ensure_ascii=False)
        for cell in notebook["cells"]
        for o in cell.get("outputs", [])
    ]
    return "\n".join(parts)


def _password_forms_in(text: str) -> list[str]:
    return [form for form in PASSWORD_FORMS if form in text]


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("name", LESSONS)
def test_no_stored_output_shows_the_demo_password_in_any_form(name: str, edition: str) -> None:
    assert _password_forms_in(_stored_outputs(name, edition)) == []


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("name", LESSONS)
def test_no_source_spells_out_the_demo_password(name: str, edition: str) -> None:
    # Lessons pass it by name (DEMO_PASSWORD); its value in a cell would be printed one day.
    assert _password_forms_in((ROOT / edition / name).read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "leak",
    [
        # What 06 once printed: the AUTH PLAIN line on the wire, then its decoded bytes.
        "on the wire: b'AUTH PLAIN AHN0dWRlbnQAZGVtby1wYXNzd29yZA==\\r\\n'",
        "base64 decoded: b'\\x00student\\x00demo-password'",
        # A LOGIN answer, and PLAIN with an authorisation identity in front (other alignment).
        "334 UGFzc3dvcmQ6\n -> ZGVtby1wYXNzd29yZA==",
        "AUTH PLAIN " + _b64(f"admin\0{DEMO_USER}\0{DEMO_PASSWORD}".encode()),
        "AUTH PLAIN " + _b64(f"ab\0{DEMO_USER}\0{DEMO_PASSWORD}".encode()),
    ],
)
def test_the_scan_finds_each_form_of_the_password(leak: str) -> None:
    assert _password_forms_in(leak)


# `server.stop()` on the lesson's server itself; `far_away.stop()`, `lax.stop()` … on a
# lesson's extra servers are fine.
_STOPS_THE_LESSON_SERVER = re.compile(r"(?<![\w.])server\.stop\(\)")


def test_the_lesson_list_is_all_ten() -> None:
    assert len(LESSONS) == 10 and LESSONS[0] == "00-start-here.ipynb"
    assert len(OWN_SERVER_LESSONS) == 4


@pytest.mark.parametrize("name", LESSONS)
def test_no_cell_run_all_executes_stops_the_server(name: str) -> None:
    # A widget clicked after Run All must still reach the server: the kernel's exit stops
    # it (atexit, see smtplearn.lesson), and the last cell says so instead of stopping it.
    code = [_source(cell) for cell in _cells(name) if cell["cell_type"] == "code"]
    assert not [source for source in code if _STOPS_THE_LESSON_SERVER.search(source)]
    last = _cells(name)[-1]
    assert last["cell_type"] == "markdown"
    # Lessons 08 and 09 run a whole world of servers: `world.stop()` stops them all.
    stop = "`world.stop()`" if "smtplearn.world" in "".join(map(_source, _cells(name))) else "`server.stop()`"
    assert "kernel shuts down" in _source(last) and stop in _source(last)


@pytest.mark.parametrize("name", OWN_SERVER_LESSONS)
def test_lessons_04_to_07_never_use_a_named_server(name: str) -> None:
    # They set faults, read the session log, or start look-alike servers: SMTPLEARN_SERVER
    # must not point them at an instructor's server.
    calls = [
        node
        for cell in _cells(name)
        if cell["cell_type"] == "code"
        for node in ast.walk(ast.parse(_source(cell)))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "lesson_server"
    ]
    assert calls
    for call in calls:
        shared = [k.value for k in call.keywords if k.arg == "shared"]
        assert len(shared) == 1 and isinstance(shared[0], ast.Constant) and shared[0].value is False, (
            ast.unparse(call)
        )


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("name", LESSONS)
def test_outputs_are_stored_and_none_is_an_error(name: str, edition: str) -> None:
    code = [cell for cell in _cells(name, edition) if cell["cell_type"] == "code"]
    assert all(cell["execution_count"] is not None for cell in code)
    assert not [o for cell in code for o in cell["outputs"] if o["output_type"] == "error"]


@pytest.mark.parametrize("name", SEED_LESSONS[1:])
def test_each_lesson_ends_with_checked_exercises(name: str) -> None:
    # The instructor edition's checks pass; the student edition's ask (tests/notebooks/test_editions.py).
    checks = [
        cell
        for cell in _cells(name, "instructor")
        if cell["cell_type"] == "code" and "check_" in _source(cell)
    ]
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
