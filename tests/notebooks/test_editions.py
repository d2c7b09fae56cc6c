"""Two editions from one source: the student edition is instructor/ with its answers blanked.

The first half tests the generator on small cells; the second half holds the committed
lessons to it: notebooks/ is exactly what the generator makes of instructor/, no student
edition stores a verdict or a line of a solution, and every exercise's answer is marked.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from smtplearn.exercises import CheckResult, check_prediction, editions
from smtplearn.exercises.editions import (
    CODE_PLACEHOLDER,
    MARKDOWN_PLACEHOLDER,
    Block,
    MarkerError,
    blocks_of,
    leaked_verdicts,
    regenerate,
    student_notebook,
    student_source,
    uncovered_answers,
)

ROOT = Path(__file__).resolve().parents[2]
INSTRUCTOR = ROOT / "instructor"
STUDENT = ROOT / "notebooks"
LESSONS = sorted(path.name for path in INSTRUCTOR.glob("*.ipynb"))


def _cell(source: str, cell_type: str = "code", **extra: Any) -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": cell_type, "id": f"c{abs(hash(source)) % 10_000}", "metadata": {}}
    cell["source"] = source
    if cell_type == "code":
        cell.update(execution_count=1, outputs=[{"output_type": "stream", "name": "stdout", "text": "x"}])
    cell.update(extra)
    return cell


def _notebook(*cells: dict[str, Any]) -> dict[str, Any]:
    return {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


# -- the convention, cell by cell ----------------------------------------------------------------


def test_each_top_level_assignment_becomes_a_blank_answer() -> None:
    source = (
        "predicted_code = 503\n"
        "### BEGIN SOLUTION\n"
        "without = 13  # MAIL, 10 × RCPT, DATA\n"
        "with_pipelining = (\n    2\n)\n"
        "code, text = 250, 'ok'\n"
        "without = 14\n"
        "print('work')\n"
        "### END SOLUTION\n"
        "check(without, with_pipelining)"
    )
    assert student_source(source) == (
        "predicted_code = 503\n"
        "without = ...  # your answer\n"
        "with_pipelining = ...  # your answer\n"
        "code, text = ..., ...  # your answer\n"
        "check(without, with_pipelining)"
    )


def test_a_block_that_assigns_nothing_becomes_one_code_line_at_the_markers_indentation() -> None:
    source = "with c:\n    ### BEGIN SOLUTION\n    c.ehlo()\n    c.quit()\n    ### END SOLUTION\nprint(1)\n"
    assert student_source(source) == f"with c:\n    {CODE_PLACEHOLDER}\nprint(1)\n"


def test_a_function_body_becomes_the_code_placeholder_and_the_function_returns_none() -> None:
    source = (
        "def decode(token):\n"
        "    ### BEGIN SOLUTION\n"
        "    user, password = token.split(':')\n"
        "    return user, password\n"
        "    ### END SOLUTION\n"
        "\n"
        "result = decode('a:b')"
    )
    student = student_source(source)
    assert student == f"def decode(token):\n    {CODE_PLACEHOLDER}\n\nresult = decode('a:b')"
    namespace: dict[str, Any] = {}
    exec(student, namespace)  # Run All must not raise: the body is valid and returns None
    assert namespace["result"] is None


def test_a_blank_prediction_runs_and_its_check_asks_instead_of_judging() -> None:
    student = student_source("### BEGIN SOLUTION\npredicted_code = 503\n### END SOLUTION\n")
    namespace: dict[str, Any] = {}
    exec(student, namespace)
    result: CheckResult = check_prediction("the code", namespace["predicted_code"], 503, why="w")
    assert result.unanswered and str(result).startswith("✎ Your turn:")


def test_hidden_tests_disappear_and_a_markdown_solution_becomes_your_answer_here() -> None:
    code = "x = f()\n### BEGIN HIDDEN TESTS\nassert x == 4\n### END HIDDEN TESTS\ncheck(x)"
    assert student_source(code) == "x = f()\ncheck(x)"
    prose = "Why 252?\n\n### BEGIN SOLUTION\nBecause VRFY leaks addresses.\n### END SOLUTION\n"
    assert student_source(prose, markdown=True) == f"Why 252?\n\n{MARKDOWN_PLACEHOLDER}\n"


def test_a_marker_line_that_goes_on_is_still_a_marker() -> None:
    # nbgrader reads these as markers too: missing one would ship the solution to students.
    source = "### BEGIN SOLUTION (exercise 2)\nanswer = 42\n### END SOLUTION  # answer\ncheck(answer)"
    assert student_source(source) == "answer = ...  # your answer\ncheck(answer)"
    assert (
        student_source("Use `### BEGIN SOLUTION` markers.", markdown=True)
        == "Use `### BEGIN SOLUTION` markers."
    )


def test_a_cell_without_markers_is_unchanged_byte_for_byte() -> None:
    for source in ("x = 1\ny = 2", "x = 1\n", "", "%time x = 1\n"):
        assert student_source(source) == source


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("### BEGIN SOLUTION\nx = 1", "line 1: ### BEGIN SOLUTION is never closed"),
        ("x = 1\n### END SOLUTION", "line 2: ### END SOLUTION where no END was expected"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n", "line 2: ### BEGIN SOLUTION inside"),
        ("### BEGIN SOLUTION\nx = 1\n### END HIDDEN TESTS", "### END SOLUTION (opened line 1)"),
        ("### BEGIN HIDDEN TESTS\n### BEGIN SOLUTION\n", "inside the ### BEGIN HIDDEN TESTS"),
    ],
)
def test_unbalanced_markers_are_refused_with_the_line(source: str, message: str) -> None:
    with pytest.raises(MarkerError, match=re.escape(message)):
        student_source(source)


def test_a_block_that_is_not_whole_statements_is_refused() -> None:
    with pytest.raises(MarkerError, match="markers must enclose whole statements"):
        student_source("if ready:\n### BEGIN SOLUTION\n    go()\nelse:\n### END SOLUTION\n    wait()")


def test_blocks_of_keeps_what_each_block_holds() -> None:
    parts = blocks_of("a\n  ### BEGIN SOLUTION\n  b\n  ### END SOLUTION\nc")
    assert parts == ["a", Block("### BEGIN SOLUTION", "  ", ("  b",), 2), "c"]


def test_the_notebook_names_the_cell_with_unbalanced_markers() -> None:
    notebook = _notebook(_cell("x = 1"), _cell("### END SOLUTION"))
    with pytest.raises(MarkerError, match=r"lesson\.ipynb cell 1 \(id c\d+\): line 1"):
        student_notebook(notebook, name="lesson.ipynb")


def test_the_student_notebook_clears_outputs_and_leaves_the_source_alone() -> None:
    original = _notebook(
        _cell("### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION"), _cell("Say **why**.", "markdown")
    )
    student = student_notebook(original)
    assert student["cells"][0]["source"] == "answer = ...  # your answer"
    assert student["cells"][0]["outputs"] == [] and student["cells"][0]["execution_count"] is None
    assert student["cells"][1] == original["cells"][1]
    assert original["cells"][0]["outputs"], "the instructor's notebook must not be modified"


def test_a_prediction_outside_the_markers_is_named() -> None:
    notebook = _notebook(
        _cell("predicted_code = 503\nc = run()\ncheck_out_of_order(c, predicted_code)"),
        _cell(
            "### BEGIN SOLUTION\npredicted_kept = True\n### END SOLUTION\ncheck_lone_dot(m, predicted_kept)"
        ),
        _cell("predicted_code = ...\ncheck_vrfy(c, 'x', predicted_code)"),
        _cell("predicted: int = 2\ncheck_auth_challenges(c, 'LOGIN', predicted)"),
        _cell("predicted_total = 7\nprint(predicted_total)"),  # no check in this cell: not an exercise
        _cell("def check_step(n):\n    predicted = 1\n    return check_raw(n)"),  # a definition, not a call
    )
    problems = uncovered_answers(notebook, name="01.ipynb")
    assert len(problems) == 2
    assert problems[0].startswith("01.ipynb cell 0 (id c")
    assert "'predicted_code = 503' is outside ### BEGIN SOLUTION/### END SOLUTION" in problems[0]
    assert problems[1].startswith("01.ipynb cell 3 (id c") and "'predicted: int = 2'" in problems[1]


# -- the command: write, execute, refuse ---------------------------------------------------------

_EXERCISE = (
    "from smtplearn.exercises import check_prediction\n"
    "### BEGIN SOLUTION\n"
    "predicted_code = 503\n"
    "### END SOLUTION\n"
    "check_prediction('the code', predicted_code, 503, why='RCPT before MAIL')"
)


def _lesson_folders(tmp_path: Path, *cells: dict[str, Any]) -> tuple[Path, Path]:
    instructor, student = tmp_path / "instructor", tmp_path / "notebooks"
    instructor.mkdir()
    student.mkdir()
    notebook = _notebook(*cells)
    notebook["metadata"]["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (instructor / "01-lesson.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    return instructor, student


@pytest.mark.slow
def test_regenerate_writes_the_student_edition_and_stores_both_editions_outputs(tmp_path: Path) -> None:
    instructor, student = _lesson_folders(tmp_path, _cell(_EXERCISE))
    assert regenerate(instructor_dir=instructor, student_dir=student) == []
    solved = _read(instructor / "01-lesson.ipynb")["cells"][0]
    blank = _read(student / "01-lesson.ipynb")["cells"][0]
    assert "✔ Correct: the code was 503" in "".join(_stored_outputs(solved))
    assert "predicted_code = ...  # your answer" in _text(blank["source"])
    assert "✎ Your turn: make your prediction for the code" in "".join(_stored_outputs(blank))
    assert blank["execution_count"] == 1 and "execution" not in blank["metadata"]


def test_a_verdict_on_a_blank_is_named_and_a_demonstrated_one_is_not() -> None:
    def executed(*outputs: str) -> dict[str, Any]:
        cells = [
            _cell("c", outputs=[{"output_type": "stream", "name": "stdout", "text": o}]) for o in outputs
        ]
        return _notebook(*cells)

    demo = "✘ Not yet: MAIL FROM: has a space. Hint: no space after the colon."
    instructor = executed("✔ Correct: 503.", "✔ Correct: ok.", demo, "✔ Correct: done.")
    student = executed(
        "✎ Your turn: predict.", "✘ Not yet: you gave None, expected 'bob'.", demo, "✔ Correct: done."
    )
    problems = leaked_verdicts(instructor, student, name="06.ipynb")
    assert len(problems) == 2
    assert problems[0].startswith("06.ipynb cell 1 ") and "expected 'bob'" in problems[0]
    assert problems[1].startswith("06.ipynb cell 3 ") and "✔ Correct: done." in problems[1]


@pytest.mark.slow
def test_a_cell_that_raises_fails_the_command_names_the_cell_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    instructor, student = _lesson_folders(
        tmp_path, _cell("x = 1"), _cell("### BEGIN SOLUTION\nanswer = 1\n### END SOLUTION\nanswer + 1")
    )
    # The student's blank is `...`: `... + 1` raises, so this lesson breaks Run All for students.
    problems = regenerate(instructor_dir=instructor, student_dir=student)
    assert len(problems) == 1
    assert problems[0].startswith("notebooks/01-lesson.ipynb cell 1 (id c")
    assert "TypeError" in problems[0]
    assert not (student / "01-lesson.ipynb").exists()

    monkeypatch.setattr(editions, "INSTRUCTOR_DIR", instructor)
    monkeypatch.setattr(editions, "STUDENT_DIR", student)
    assert editions.main([]) == 1
    assert "editions: notebooks/01-lesson.ipynb cell 1" in capsys.readouterr().err


def test_unbalanced_markers_and_uncovered_answers_are_reported_before_any_kernel_starts(
    tmp_path: Path,
) -> None:
    instructor, student = _lesson_folders(tmp_path, _cell("### BEGIN SOLUTION\nx = 1"))
    problems = regenerate(instructor_dir=instructor, student_dir=student)
    assert problems == [
        "instructor/01-lesson.ipynb cell 0 (id "
        + _read(instructor / "01-lesson.ipynb")["cells"][0]["id"]
        + "): line 1: ### BEGIN SOLUTION is never closed by ### END SOLUTION"
    ]
    assert regenerate(["09"], instructor_dir=instructor, student_dir=student) == [
        f"no instructor notebook in {instructor} matches ['09']"
    ]


# -- the committed lessons -----------------------------------------------------------------------


def _read(path: Path) -> dict[str, Any]:
    notebook: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return notebook


def _text(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def _stored_outputs(cell: dict[str, Any]) -> list[str]:
    texts = []
    for output in cell.get("outputs", []):
        texts.append(_text(output.get("text", "")))
        texts += [_text(value) for value in output.get("data", {}).values() if isinstance(value, (str, list))]
    return texts


def _code_lines(text: str) -> set[str]:
    """The statements of `text`, one per line, without indentation or trailing comments."""
    return {line.split("  #")[0].strip() for line in text.splitlines()} - {""}


def _solution_lines(cell: dict[str, Any]) -> set[str]:
    """The lines only the cell's solutions hold (a line also given outside the markers is no secret)."""
    parts = blocks_of(_text(cell["source"]))
    given = _code_lines("\n".join(part for part in parts if isinstance(part, str)))
    solved = _code_lines(
        "\n".join(
            line for part in parts if isinstance(part, Block) and part.is_solution for line in part.lines
        )
    )
    return {line for line in solved - given if not line.startswith("#")}


def test_there_is_a_student_edition_for_every_lesson_and_nothing_else() -> None:
    assert len(LESSONS) == 10
    assert sorted(path.name for path in STUDENT.glob("*.ipynb")) == LESSONS


@pytest.mark.parametrize("name", LESSONS)
def test_the_committed_student_edition_is_the_generators_output(name: str) -> None:
    # Outputs aside (they come from executing it): regenerate with python -m smtplearn.exercises.editions.
    expected = student_notebook(_read(INSTRUCTOR / name), name=name)["cells"]
    committed = _read(STUDENT / name)["cells"]
    assert [(c["id"], c["cell_type"], _text(c["source"])) for c in committed] == [
        (c["id"], c["cell_type"], c["source"]) for c in expected
    ]


@pytest.mark.parametrize("name", LESSONS)
def test_no_student_edition_stores_a_verdict_or_a_solution(name: str) -> None:
    instructor, student = _read(INSTRUCTOR / name), _read(STUDENT / name)
    leaks = leaked_verdicts(instructor, student, name=f"notebooks/{name}")
    for index, (theirs, mine) in enumerate(zip(instructor["cells"], student["cells"], strict=True)):
        outputs = _stored_outputs(mine)
        # Short lines ("raise", "else:") are no secret in an output; in the cell's code every line counts.
        for line in _solution_lines(theirs):
            if line in _code_lines(_text(mine["source"])) or (len(line) > 12 and line in "\n".join(outputs)):
                leaks.append(f"cell {index} shows the solution line {line!r}")
    assert leaks == []


@pytest.mark.parametrize("name", LESSONS)
def test_every_exercise_has_its_answer_between_the_markers(name: str) -> None:
    assert uncovered_answers(_read(INSTRUCTOR / name), name=f"instructor/{name}") == []


@pytest.mark.parametrize("edition", ["student", "instructor"])
def test_the_command_gives_each_edition(tmp_path: Path, edition: str) -> None:
    # Through the installed entry point's module, as a learner or instructor types it.
    flags = ["--instructor"] if edition == "instructor" else []
    done = subprocess.run(
        [sys.executable, "-m", "smtplearn.cli", "notebooks", *flags, str(tmp_path / "lessons")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"Copied {len(LESSONS)} notebooks ({edition} edition)" in done.stdout
    origin = INSTRUCTOR if edition == "instructor" else STUDENT
    for name in LESSONS:
        assert (tmp_path / "lessons" / name).read_bytes() == (origin / name).read_bytes(), name


@pytest.mark.parametrize("document", ["README.md", *(f"instructor/{name}" for name in LESSONS)])
def test_every_module_a_document_tells_you_to_run_exists(document: str) -> None:
    # The student-version tool became smtplearn.exercises.editions: no text may send a reader to the old one.
    import importlib.util

    named = set(re.findall(r"python -m (smtplearn[\w.]*)", (ROOT / document).read_text(encoding="utf-8")))
    assert [module for module in sorted(named) if importlib.util.find_spec(module) is None] == []
