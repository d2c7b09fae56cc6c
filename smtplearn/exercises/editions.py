"""The two editions of every lesson, made from one source.

This module writes and runs them; `blanking` makes the student edition, `edition_checks`
finds answers and verdicts an edition must not show, `kernel` executes a notebook.

The source is the **instructor edition**, ``instructor/NN-*.ipynb``: each solution sits
between nbgrader's ``### BEGIN SOLUTION`` / ``### END SOLUTION`` markers and each graded
test between ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``, so nbgrader can use it
as it is. The **student edition**, ``notebooks/NN-*.ipynb`` (what the repository, Binder and
``smtplearn notebooks`` give), is generated from it; never edit it by hand. One command
writes every student edition and executes both editions in fresh kernels, so the stored
outputs are what nbval compares::

    python -m smtplearn.exercises.editions          # every lesson
    python -m smtplearn.exercises.editions 01 07    # only the lessons whose names start so

It exits non-zero, naming the notebook and cell, on unbalanced markers, on a prediction
left outside the markers, on any cell that raises, and on a student edition that stores a
verdict (a check that judged the blank instead of printing its prompt). How a solution becomes the student's
blank (the convention the lessons are written to):

- a code solution block becomes, at its ``### BEGIN SOLUTION`` line's indentation, one
  ``NAME = ...  # your answer`` line for each top-level assignment in it (``a, b = ...,
  ...`` for a tuple), or ``...  # YOUR CODE HERE`` when it assigns no name, which keeps a
  function body valid. Run All then never raises: the checks see ``...`` (or a function
  returning None) and print their "✎ Your turn" prompt;
- a hidden-test block disappears; a markdown solution block becomes ``YOUR ANSWER HERE``.

nbgrader's ``generate_assignment`` makes the same cells from the same source; only what
replaces a solution differs (its ``raise NotImplementedError()`` stops Run All), and nbgrader
grades a copy of either the same way (``tests/notebooks/test_nbgrader.py``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from smtplearn.exercises.blanking import (
    ANSWER_PLACEHOLDER,
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    CODE_PLACEHOLDER,
    END_HIDDEN,
    END_SOLUTION,
    MARKDOWN_PLACEHOLDER,
    Block,
    MarkerError,
    blocks_of,
    student_notebook,
    student_source,
)
from smtplearn.exercises.edition_checks import leaked_verdicts, uncovered_answers
from smtplearn.exercises.kernel import CHECKOUT_ROOT, CellExecutionFailed, execute, kernel_environment

__all__ = [
    "ANSWER_PLACEHOLDER",
    "BEGIN_HIDDEN",
    "BEGIN_SOLUTION",
    "CODE_PLACEHOLDER",
    "END_HIDDEN",
    "END_SOLUTION",
    "MARKDOWN_PLACEHOLDER",
    "Block",
    "CellExecutionFailed",
    "MarkerError",
    "blocks_of",
    "execute",
    "kernel_environment",
    "leaked_verdicts",
    "main",
    "regenerate",
    "student_notebook",
    "student_source",
    "uncovered_answers",
]

INSTRUCTOR_DIR = CHECKOUT_ROOT / "instructor"
STUDENT_DIR = CHECKOUT_ROOT / "notebooks"


def _read(path: Path) -> dict[str, Any]:
    import nbformat

    notebook: dict[str, Any] = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    return notebook


def _write(notebook: dict[str, Any], path: Path) -> None:
    import nbformat

    # nbformat writes what Jupyter writes (sorted keys, one-space indent, sources as line lists).
    nbformat.write(nbformat.from_dict(notebook), path)  # type: ignore[no-untyped-call]


def regenerate(
    names: Sequence[str] = (), *, instructor_dir: Path | None = None, student_dir: Path | None = None
) -> list[str]:
    """Write each student edition from its instructor edition and execute both; return the problems.

    `names` are prefixes choosing lessons ("01"); none means all. The folders default to
    this checkout's ``instructor/`` and ``notebooks/``. A notebook whose run fails is not
    written, so a broken file never replaces a good one.
    """
    instructor_dir = INSTRUCTOR_DIR if instructor_dir is None else instructor_dir
    student_dir = STUDENT_DIR if student_dir is None else student_dir
    problems: list[str] = []
    env = kernel_environment()
    sources = sorted(instructor_dir.glob("*.ipynb"))
    chosen = [path for path in sources if not names or path.name.startswith(tuple(names))]
    if not chosen:
        return [f"no instructor notebook in {instructor_dir} matches {list(names)}"]
    for path in chosen:
        label = _label(path)
        instructor = _read(path)
        try:
            student = student_notebook(instructor, name=label)
        except MarkerError as error:
            problems.append(str(error))
            continue
        problems += uncovered_answers(instructor, name=label)
        executed = {}
        for edition, target in (("instructor", path), ("student", student_dir / path.name)):
            source = instructor if edition == "instructor" else student
            try:
                executed[edition] = execute(source, cwd=target.parent, env=env, name=_label(target))
            except CellExecutionFailed as error:
                problems.append(str(error))
                continue
            _write(executed[edition], target)
        if len(executed) == 2:
            problems += leaked_verdicts(
                executed["instructor"], executed["student"], name=_label(student_dir / path.name)
            )
    return problems


def _label(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m smtplearn.exercises.editions",
        description="Write the student editions (notebooks/) from the instructor editions (instructor/) "
        "and execute both, so their stored outputs are current.",
    )
    parser.add_argument("lessons", nargs="*", metavar="LESSON", help="name prefixes, e.g. 01 (default: all)")
    args = parser.parse_args(argv)
    # A maintainer's command: reporting what it did and what failed is its job.
    problems = regenerate(args.lessons)
    for problem in problems:
        print(f"editions: {problem}", file=sys.stderr)
    if problems:
        print(f"editions: {len(problems)} problem(s); fix them in instructor/ and run again", file=sys.stderr)
        return 1
    print("editions: instructor/ executed, notebooks/ written and executed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
