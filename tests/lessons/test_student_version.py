"""The student-version tool: solutions between nbgrader markers are cut, outputs cleared."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smtplearn.exercises.student_version import MarkerError, main, strip_solutions, student_notebook

SOLVED = """def read_reply(sock):
    ### BEGIN SOLUTION
    data = sock.recv(1024)
    return int(data[:3]), data[4:].decode()
    ### END SOLUTION

print("done")"""


def test_solution_becomes_an_indented_stub() -> None:
    assert strip_solutions(SOLVED) == (
        'def read_reply(sock):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n\nprint("done")'
    )


def test_code_without_markers_is_unchanged() -> None:
    assert strip_solutions("x = 1\ny = 2") == "x = 1\ny = 2"


@pytest.mark.parametrize(
    "source",
    ["### BEGIN SOLUTION\nx = 1", "x = 1\n### END SOLUTION", "### BEGIN SOLUTION\n### BEGIN SOLUTION"],
)
def test_unbalanced_markers_are_refused(source: str) -> None:
    with pytest.raises(MarkerError):
        strip_solutions(source)


def _notebook() -> dict[str, object]:
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {"cell_type": "markdown", "id": "a", "metadata": {}, "source": ["BEGIN SOLUTION is a marker"]},
            {
                "cell_type": "code",
                "id": "b",
                "metadata": {},
                "execution_count": 3,
                "source": [line + "\n" for line in SOLVED.splitlines()],
                "outputs": [{"output_type": "stream", "name": "stdout", "text": ["done\n"]}],
            },
        ],
    }


def test_notebook_cells_are_cut_and_outputs_cleared() -> None:
    original = _notebook()
    student = student_notebook(original)
    code = student["cells"][1]
    assert "sock.recv" not in code["source"]
    assert "raise NotImplementedError()" in code["source"]
    assert code["outputs"] == [] and code["execution_count"] is None
    # Markdown is left alone, and the instructor's copy is not modified.
    assert student["cells"][0] == original["cells"][0]
    assert original["cells"][1]["outputs"]  # type: ignore[index]


def test_command_line_writes_the_student_file(tmp_path: Path) -> None:
    source = tmp_path / "lesson.ipynb"
    source.write_text(json.dumps(_notebook()))
    target = tmp_path / "student" / "lesson.ipynb"
    assert main([str(source), str(target)]) == 0
    written = json.loads(target.read_text())
    assert "NotImplementedError" in written["cells"][1]["source"]


def test_every_lesson_with_solutions_has_balanced_markers() -> None:
    notebooks = sorted(Path(__file__).parents[2].joinpath("notebooks").glob("*.ipynb"))
    for path in notebooks:
        student = student_notebook(json.loads(path.read_text(encoding="utf-8")))
        for cell in student["cells"]:
            if cell["cell_type"] == "code":
                assert "### BEGIN SOLUTION" not in cell["source"], path.name
