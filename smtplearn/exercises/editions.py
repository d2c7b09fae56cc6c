"""The two editions of every lesson, made from one source.

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
import ast
import copy
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "BEGIN_HIDDEN",
    "BEGIN_SOLUTION",
    "END_HIDDEN",
    "END_SOLUTION",
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

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
_END_OF = {BEGIN_SOLUTION: END_SOLUTION, BEGIN_HIDDEN: END_HIDDEN}

#: What replaces a solution's assignment, and a solution that assigns nothing, in a code cell.
ANSWER_PLACEHOLDER = "...  # your answer"
CODE_PLACEHOLDER = "...  # YOUR CODE HERE"
#: What replaces a solution in a markdown cell (nbgrader's own wording).
MARKDOWN_PLACEHOLDER = "YOUR ANSWER HERE"

#: A check call: a module-level call of a function named ``check_...``.
_CHECK_PREFIX = "check_"
#: A prediction's name; one assigned outside the markers gives the answer away.
_PREDICTION = re.compile(r"predicted\w*")

_ROOT = Path(__file__).resolve().parents[2]
INSTRUCTOR_DIR = _ROOT / "instructor"
STUDENT_DIR = _ROOT / "notebooks"


class MarkerError(ValueError):
    """Markers that do not pair up: a BEGIN without its END, an END without a BEGIN, or nesting."""


@dataclass(frozen=True)
class Block:
    """The lines between one pair of markers (markers excluded), and where they start."""

    begin: str
    #: The BEGIN line's indentation, which the student's placeholder takes.
    indent: str
    lines: tuple[str, ...]
    #: 1-based number of the BEGIN line in its cell.
    line_number: int

    @property
    def is_solution(self) -> bool:
        return self.begin == BEGIN_SOLUTION


def _marker(line: str) -> str | None:
    """The marker `line` is, if any. Like nbgrader, a marker line may go on (``### END SOLUTION  # 2``):
    a marker it recognises and this did not would leave a solution in the student edition."""
    stripped = line.strip()
    return next((m for m in (*_END_OF, *_END_OF.values()) if stripped.startswith(m)), None)


def blocks_of(source: str) -> list[str | Block]:
    """`source` split into plain lines and marked blocks, in order; raises `MarkerError`."""
    parts: list[str | Block] = []
    open_marker: str | None = None
    indent = ""
    inside: list[str] = []
    start = 0
    for number, line in enumerate(source.splitlines(), start=1):
        marker = _marker(line)
        if marker in _END_OF:
            if open_marker is not None:
                raise MarkerError(f"line {number}: {marker} inside the {open_marker} of line {start}")
            open_marker, indent, inside, start = marker, line[: len(line) - len(line.lstrip())], [], number
        elif marker in _END_OF.values():
            if open_marker is None or _END_OF[open_marker] != marker:
                expected = f"{_END_OF[open_marker]} (opened line {start})" if open_marker else "no END"
                raise MarkerError(f"line {number}: {marker} where {expected} was expected")
            parts.append(Block(open_marker, indent, tuple(inside), start))
            open_marker = None
        elif open_marker is not None:
            inside.append(line)
        else:
            parts.append(line)
    if open_marker is not None:
        raise MarkerError(f"line {start}: {open_marker} is never closed by {_END_OF[open_marker]}")
    return parts


def _assigned_names(block: Block) -> list[str]:
    """The left-hand sides of `block`'s top-level assignments, as the student's blanks write them."""
    code = "\n".join(line.removeprefix(block.indent) for line in block.lines)
    try:
        tree = ast.parse(code)
    except SyntaxError as error:
        raise MarkerError(
            f"line {block.line_number}: the solution block is not Python on its own ({error.msg}, "
            f"line {error.lineno} of the block): markers must enclose whole statements"
        ) from error
    blanks: list[str] = []
    for statement in tree.body:
        targets = statement.targets if isinstance(statement, ast.Assign) else []
        if isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets = [statement.target]
        for target in targets:
            if isinstance(target, ast.Name):
                blank = f"{target.id} = {ANSWER_PLACEHOLDER}"
            elif isinstance(target, ast.Tuple) and all(isinstance(e, ast.Name) for e in target.elts):
                names = ", ".join(e.id for e in target.elts if isinstance(e, ast.Name))
                blank = f"{names} = {', '.join(['...'] * len(target.elts))}  # your answer"
            else:
                continue  # an attribute or item set is an action, not an answer with a name
            if blank not in blanks:
                blanks.append(blank)
    return blanks


def _function_body_lines(source: str) -> set[int]:
    """The line numbers inside a function definition in `source` (none if it is not Python)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {
        number
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        for number in range(node.lineno + 1, (node.end_lineno or node.lineno) + 1)
    }


def student_source(source: str, *, markdown: bool = False) -> str:
    """The student's version of one cell's `source`: solutions blanked, hidden tests removed.

    A solution inside a function is its body, not a set of named answers: it becomes
    ``...  # YOUR CODE HERE`` whatever it assigns, and the function returns None.
    """
    out: list[str] = []
    parts = blocks_of(source)
    in_function = set() if markdown else _function_body_lines(source)
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif not part.is_solution:
            continue
        elif markdown:
            out.append(MARKDOWN_PLACEHOLDER)
        else:
            blanks = [] if part.line_number in in_function else _assigned_names(part)
            out.extend(part.indent + blank for blank in blanks or [CODE_PLACEHOLDER])
    # splitlines() forgets a final newline; keep it, so an unmarked cell stays byte for byte the same.
    return "\n".join(out) + ("\n" if source.endswith("\n") else "")


def _source(cell: dict[str, Any]) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def _where(name: str, index: int, cell: dict[str, Any]) -> str:
    return f"{name} cell {index} (id {cell.get('id', '?')})"


def student_notebook(notebook: dict[str, Any], *, name: str = "notebook") -> dict[str, Any]:
    """A copy of `notebook` (nbformat 4) as the student edition, outputs cleared.

    Raises `MarkerError` naming the cell (`name` names the notebook) when markers do not pair.
    """
    student = copy.deepcopy(notebook)
    for index, cell in enumerate(student["cells"]):
        try:
            cell["source"] = student_source(_source(cell), markdown=cell["cell_type"] == "markdown")
        except MarkerError as error:
            raise MarkerError(f"{_where(name, index, cell)}: {error}") from None
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return student


def _module_level_check_calls(tree: ast.Module) -> Iterator[ast.Call]:
    """Calls of ``check_*`` functions outside any function body (those run when the cell runs)."""
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, ast.Call):
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            if name.startswith(_CHECK_PREFIX):
                yield node
        pending.extend(ast.iter_child_nodes(node))


def uncovered_answers(notebook: dict[str, Any], *, name: str = "notebook") -> list[str]:
    """Answers the student edition of `notebook` would still show: one line per problem.

    A cell that calls a ``check_*`` function is an exercise; a prediction it assigns
    (``predicted_... = <value>``) outside the solution markers is the answer, given away.
    """
    problems = []
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        kept = student_source(_source(cell))
        try:
            tree = ast.parse(kept)
        except SyntaxError:
            continue  # IPython magics and the like: not an exercise cell
        if not any(True for _ in _module_level_check_calls(tree)):
            continue
        for statement in tree.body:
            targets: list[ast.expr]
            if isinstance(statement, ast.AnnAssign) and statement.value is not None:
                targets = [statement.target]
            elif isinstance(statement, ast.Assign):
                targets = statement.targets
            else:
                continue
            for target in targets:
                names = target.elts if isinstance(target, ast.Tuple) else [target]
                for element in names:
                    if (
                        isinstance(element, ast.Name)
                        and _PREDICTION.fullmatch(element.id)
                        and not (isinstance(statement.value, ast.Constant) and statement.value.value is ...)
                    ):
                        problems.append(
                            f"{_where(name, index, cell)} line {statement.lineno}: "
                            f"{ast.unparse(statement)!r} is outside {BEGIN_SOLUTION}/{END_SOLUTION}, "
                            "so the student edition shows the answer: put the line between the markers"
                        )
    return problems


def _stored_texts(cell: dict[str, Any]) -> list[str]:
    texts = []
    for output in cell.get("outputs", []):
        texts.append(_joined(output.get("text", "")))
        texts += [
            _joined(value) for value in output.get("data", {}).values() if isinstance(value, (str, list))
        ]
    return texts


def _joined(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def leaked_verdicts(
    instructor: dict[str, Any], student: dict[str, Any], *, name: str = "notebook"
) -> list[str]:
    """Verdicts the executed student edition stores: one line per cell that judged a blank.

    A ✔ is the answer; a ✘ on a blank is a hint at it ("expected ..."). A ✘ the instructor
    edition stores in the same cell too is a demonstration (a wrong session shown on
    purpose), not a verdict on the student's blank.
    """
    from smtplearn.exercises import CORRECT_MARK, NOT_YET_MARK

    problems = []
    for index, (solved, blank) in enumerate(zip(instructor["cells"], student["cells"], strict=True)):
        demonstrated = set(_stored_texts(solved))
        for text in _stored_texts(blank):
            if CORRECT_MARK in text or (NOT_YET_MARK in text and text not in demonstrated):
                verdict = text[text.find(CORRECT_MARK if CORRECT_MARK in text else NOT_YET_MARK) :][:80]
                problems.append(
                    f"{_where(name, index, blank)} stores {verdict!r}: its check must answer the student's "
                    "blank (... or None) with its prompt (smtplearn.exercises.your_turn)"
                )
                break
    return problems


class CellExecutionFailed(RuntimeError):
    """A cell raised while a notebook was executed; the message names the notebook and cell."""


def kernel_environment(root: Path = _ROOT) -> dict[str, str]:
    """The kernel's environment: this checkout's smtplearn first, and no classroom server.

    The stored outputs are those of a notebook with its own DebugServer, which is what
    nbval reproduces; a classroom's SMTPLEARN_SERVER in the maintainer's shell must not leak in.
    """
    from smtplearn.lesson import ENV_CA, ENV_SERVER

    env = {key: value for key, value in os.environ.items() if key not in {ENV_SERVER, ENV_CA}}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH", "")]))
    return env


def execute(
    notebook: dict[str, Any], *, cwd: Path, env: dict[str, str], name: str = "notebook", timeout: int = 300
) -> dict[str, Any]:
    """`notebook` run top to bottom in a fresh python3 kernel started in `cwd` with `env`.

    Returns the executed copy; raises `CellExecutionFailed` naming the first cell that raised.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    # Through JSON, so a notebook read with plain json (sources as lists of lines) runs as well.
    executed = nbformat.reads(json.dumps(notebook), as_version=4)  # type: ignore[no-untyped-call]
    client = NotebookClient(
        executed,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
        record_timing=False,  # a timestamp per cell would change every file on every run
        store_widget_state=False,  # widget models are new objects every run; the views say enough
    )
    try:
        # The kernel's own log (its "running over TCP" notice) is not the notebook's output.
        client.execute(env=env, stderr=subprocess.DEVNULL)
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
        failed = next(
            (
                (index, cell)
                for index, cell in enumerate(executed.cells)
                if any(o.get("output_type") == "error" for o in cell.get("outputs", []))
            ),
            None,
        )
        where = _where(name, *failed) if failed else name
        raise CellExecutionFailed(f"{where} raised:\n{error}") from None
    result: dict[str, Any] = executed
    return result


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
