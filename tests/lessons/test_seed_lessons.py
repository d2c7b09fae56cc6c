"""The source of lessons 00–03 (the instructor edition) marks every answer, so a student edition can blank it.

The student edition replaces what lies between nbgrader's ``### BEGIN SOLUTION`` and
``### END SOLUTION`` and drops the hidden tests; these tests read the source and fail when
an answer sits outside the markers (as ``predicted_code = 503`` once did in 01) or a check
cell is not a graded nbgrader cell.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest

INSTRUCTOR = Path(__file__).resolve().parents[2] / "instructor"
SEED_LESSONS = sorted(path.name for path in INSTRUCTOR.glob("0[0-3]-*.ipynb"))
_BLOCK = re.compile(r"^[ \t]*### BEGIN SOLUTION\n(.*?)^[ \t]*### END SOLUTION$", re.M | re.S)
_HIDDEN = re.compile(r"^### BEGIN HIDDEN TESTS\n(.*?)^### END HIDDEN TESTS$", re.M | re.S)


def _code_cells(name: str) -> list[tuple[str, dict[str, Any]]]:
    notebook = json.loads((INSTRUCTOR / name).read_text(encoding="utf-8"))
    return [
        ("".join(cell["source"]), cell.get("metadata", {}))
        for cell in notebook["cells"]
        if cell["cell_type"] == "code"
    ]


def _without_solutions(source: str) -> str:
    return _BLOCK.sub("", source)


def _check_calls(source: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(ast.parse(_HIDDEN.sub("", source)))
        if isinstance(node, ast.Call) and getattr(node.func, "id", "").startswith("check_")
    ]


def _literal_assignments(source: str) -> dict[str, int]:
    """Names given a literal value (a number, a string, a set...) at the top level: predictions."""
    found: dict[str, int] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Constant, ast.Set, ast.List)):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.lineno
    return found


def test_the_four_seed_lessons_are_there() -> None:
    assert [name[:2] for name in SEED_LESSONS] == ["00", "01", "02", "03"]


@pytest.mark.parametrize("name", SEED_LESSONS)
def test_every_name_a_check_reads_is_answered_between_the_markers(name: str) -> None:
    cells = _code_cells(name)
    outside = {
        variable: source.splitlines()[line - 1]
        for source, _ in cells
        for variable, line in _literal_assignments(_without_solutions(source)).items()
    }
    checked = [call for source, _ in cells for call in _check_calls(source)]
    assert checked, f"{name} has no exercise check"
    for call in checked:
        for argument in call.args:
            assert not (isinstance(argument, ast.Constant) and not isinstance(argument.value, str)), (
                f"{ast.unparse(call)}: the answer is written into the check itself"
            )
            if isinstance(argument, ast.Name):
                assert argument.id not in outside, (
                    f"{ast.unparse(call)} reads {argument.id}, set outside the solution markers: "
                    f"{outside[argument.id]!r}"
                )


@pytest.mark.parametrize("name", SEED_LESSONS)
def test_answer_and_check_cells_carry_nbgrader_metadata(name: str) -> None:
    grade_ids: list[str] = []
    for source, metadata in _code_cells(name):
        nbgrader = metadata.get("nbgrader", {})
        if "### BEGIN SOLUTION" in source:
            assert source.count("### BEGIN SOLUTION") == source.count("### END SOLUTION")
            assert nbgrader.get("solution") is True and nbgrader.get("grade") is False, source
        if _check_calls(source):
            assert nbgrader.get("grade") is True and nbgrader.get("points") == 1, source
            hidden = _HIDDEN.search(source)
            assert hidden and ".passed" in hidden.group(1), f"no hidden test in {source!r}"
            # The check's line is the cell's last expression, so its result is what the cell shows.
            assert isinstance(ast.parse(_HIDDEN.sub("", source)).body[-1], ast.Expr), source
        if nbgrader:
            assert nbgrader.get("schema_version") == 3
            grade_ids.append(nbgrader["grade_id"])
    assert len(grade_ids) == len(set(grade_ids)), "grade_id must be unique within a notebook"


@pytest.mark.parametrize("name", SEED_LESSONS)
def test_no_check_cell_holds_a_solution(name: str) -> None:
    # The student edition blanks solution cells and keeps check cells: an answer in a check
    # cell would survive into it.
    for source, _ in _code_cells(name):
        if _check_calls(source):
            assert "### BEGIN SOLUTION" not in source, source
