"""Make the student version of a lesson: solutions cut out, outputs cleared.

Solution code sits between nbgrader's markers, so an instructor who uses nbgrader runs
``nbgrader generate_assignment`` as usual. Without nbgrader this module does the same cut::

    python -m smtplearn.exercises.student_version notebooks/07-raw-socket-lab.ipynb student/07.ipynb

Lines from ``### BEGIN SOLUTION`` to ``### END SOLUTION`` become nbgrader's stub
(``# YOUR CODE HERE`` / ``raise NotImplementedError()``) at the marker's indentation.
Only the standard library is used: a notebook is JSON (nbformat 4).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")


class MarkerError(ValueError):
    """A BEGIN SOLUTION without its END, or the other way round."""


def strip_solutions(source: str) -> str:
    """`source` with every marked solution replaced by the stub, indented like its marker."""
    out: list[str] = []
    inside = False
    for number, line in enumerate(source.splitlines(), start=1):
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise MarkerError(f"line {number}: {BEGIN} inside another solution")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + stub for stub in STUB)
        elif stripped == END:
            if not inside:
                raise MarkerError(f"line {number}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise MarkerError(f"{BEGIN} is never closed by {END}")
    return "\n".join(out)


def student_notebook(notebook: dict[str, Any]) -> dict[str, Any]:
    """A copy of `notebook` (nbformat 4 JSON) with solutions cut and every output cleared."""
    result: dict[str, Any] = json.loads(json.dumps(notebook))
    for cell in result["cells"]:
        if cell.get("cell_type") != "code":
            continue
        source = cell["source"]
        text = "".join(source) if isinstance(source, list) else source
        cell["source"] = strip_solutions(text)
        cell["outputs"] = []
        cell["execution_count"] = None
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m smtplearn.exercises.student_version",
        description="Write the student version of a lesson notebook (solutions removed).",
    )
    parser.add_argument("source", type=Path, help="the lesson with its solutions")
    parser.add_argument("target", type=Path, help="where to write the student version")
    args = parser.parse_args(argv)
    notebook = json.loads(args.source.read_text(encoding="utf-8"))
    try:
        student = student_notebook(notebook)
    except MarkerError as error:
        parser.error(f"{args.source}: {error}")
    args.target.parent.mkdir(parents=True, exist_ok=True)
    args.target.write_text(json.dumps(student, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
