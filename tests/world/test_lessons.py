"""Lessons 08 and 09 as files: exercises marked, no secret in the outputs, the world left running."""

from __future__ import annotations

import ast
import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest

from smtplearn.exercises import CheckResult
from smtplearn.world.world import ALICE, ALICE_PASSWORD

INSTRUCTOR = Path(__file__).resolve().parents[2] / "instructor"
LESSONS = ["08-from-one-server-to-another.ipynb", "09-who-really-sent-this.ipynb"]
_SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.DOTALL)
_HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n.*?### END HIDDEN TESTS\n", re.DOTALL)


def _cells(name: str) -> list[dict[str, Any]]:
    cells: list[dict[str, Any]] = json.loads((INSTRUCTOR / name).read_text(encoding="utf-8"))["cells"]
    return cells


def _source(cell: dict[str, Any]) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def _outputs_text(name: str) -> str:
    return json.dumps([cell.get("outputs", []) for cell in _cells(name)], ensure_ascii=False)


@pytest.mark.parametrize("name", LESSONS)
def test_each_exercise_is_one_marked_answer_then_a_check(name: str) -> None:
    solutions = [_SOLUTION.search(_source(c)) for c in _cells(name) if c["cell_type"] == "code"]
    answers = [m.group(1).strip() for m in solutions if m]
    assert len(answers) == 3
    # One `NAME = value` per block: the student edition turns it into `NAME = ...`.
    assert all(re.fullmatch(r"[a-z_]+ = .+", answer) for answer in answers)
    # The check is the next cell, nbgrader's locked graded cell: a hidden test, then the check.
    code = [_source(c) for c in _cells(name) if c["cell_type"] == "code"]
    checks = [code[i + 1] for i, source in enumerate(code) if "### END SOLUTION" in source]
    assert len(checks) == 3
    assert all(re.search(r"^check_\w+\(", check, re.MULTILINE) and _HIDDEN.search(check) for check in checks)
    assert "✔ Correct" in _outputs_text(name)


@pytest.mark.parametrize("name", LESSONS)
def test_no_secret_in_the_stored_outputs(name: str) -> None:
    text = _outputs_text(name)
    plain = f"\0{ALICE}\0{ALICE_PASSWORD}".encode()
    for secret in (ALICE_PASSWORD, "PRIVATE KEY", base64.b64encode(plain).decode()[:16]):
        assert secret not in text


@pytest.mark.parametrize("name", LESSONS)
def test_the_world_runs_until_the_kernel_exits(name: str) -> None:
    code = [_source(c) for c in _cells(name) if c["cell_type"] == "code"]
    assert not [source for source in code if "world.stop()" in source]
    last = _source(_cells(name)[-1])
    assert "kernel shuts down" in last and "`world.stop()`" in last


@pytest.mark.parametrize("name", LESSONS)
def test_the_student_edition_runs_top_to_bottom_and_asks_for_each_answer(name: str) -> None:
    # The student edition turns each `NAME = value` between the markers into `NAME = ...`.
    namespace: dict[str, Any] = {}
    prompts = []
    try:
        for cell in _cells(name):
            if cell["cell_type"] != "code":
                continue
            source = _SOLUTION.sub(lambda m: m.group(1).split(" = ")[0] + " = ...\n", _source(cell))
            source = _HIDDEN.sub("", source)  # the student edition has no hidden tests either
            tree = ast.parse(source)
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            exec(compile(tree, name, "exec"), namespace)
            if last is not None:  # evaluated like IPython's last expression
                result = eval(compile(ast.Expression(last.value), name, "eval"), namespace)
                if isinstance(result, CheckResult):
                    prompts.append(result)
    finally:
        namespace["world"].stop()
    assert len(prompts) == 3 and all(p.unanswered for p in prompts)
