"""Lessons 04–07 (instructor edition): every answer is marked, every check graded and runnable.

The student edition is made from these markers (nbgrader's): a solution cell must carry
nbgrader's solution metadata, and a check that grades it a hidden test, so both nbgrader
and smtplearn's own edition tool know which cell is which.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

INSTRUCTOR = Path(__file__).resolve().parents[2] / "instructor"
LESSONS = sorted(path.name for path in INSTRUCTOR.glob("0[4-7]-*.ipynb"))


def _code_cells(name: str) -> list[dict[str, Any]]:
    cells = json.loads((INSTRUCTOR / name).read_text(encoding="utf-8"))["cells"]
    return [cell for cell in cells if cell["cell_type"] == "code"]


def _source(cell: dict[str, Any]) -> str:
    return "".join(cell["source"])


def test_the_four_lessons_are_found() -> None:
    assert [name[:2] for name in LESSONS] == ["04", "05", "06", "07"]


@pytest.mark.parametrize("name", LESSONS)
def test_every_solution_cell_has_nbgrader_solution_metadata(name: str) -> None:
    solutions = [cell for cell in _code_cells(name) if "### BEGIN SOLUTION" in _source(cell)]
    assert solutions
    for cell in solutions:
        nbgrader = cell["metadata"].get("nbgrader", {})
        assert nbgrader.get("solution") is True and nbgrader.get("grade") is False, _source(cell)


@pytest.mark.parametrize("name", LESSONS)
def test_every_graded_check_has_a_hidden_test_and_is_not_a_solution(name: str) -> None:
    graded = [cell for cell in _code_cells(name) if cell["metadata"].get("nbgrader", {}).get("grade")]
    assert graded
    for cell in graded:
        source = _source(cell)
        assert "### BEGIN HIDDEN TESTS" in source and "### END HIDDEN TESTS" in source, source
        assert "### BEGIN SOLUTION" not in source
        assert cell["metadata"]["nbgrader"]["points"] == 1
        assert "✔ Correct:" in json.dumps(cell["outputs"], ensure_ascii=False)


def test_grade_ids_are_unique_across_the_lessons() -> None:
    ids = [
        cell["metadata"]["nbgrader"]["grade_id"]
        for name in LESSONS
        for cell in _code_cells(name)
        if "nbgrader" in cell["metadata"]
    ]
    assert len(ids) == len(set(ids))


def test_lesson_04_deliver_waits_with_time_sleep_when_no_sleep_is_given() -> None:
    # `sleep=None` crashed on the first retry when a learner called deliver(server, message).
    cell = next(c for c in _code_cells(LESSONS[0]) if _source(c).startswith("def deliver("))
    function = ast.parse(_source(cell)).body[0]
    assert isinstance(function, ast.FunctionDef)
    defaults = dict(zip([a.arg for a in function.args.kwonlyargs], function.args.kw_defaults, strict=True))
    assert ast.unparse(defaults["sleep"]) == "time.sleep"  # type: ignore[arg-type]
