"""How an instructor edition becomes the student edition: markers paired, solutions blanked.

The conventions are described in `smtplearn.exercises.editions`.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass
from typing import Any

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


def cell_source(cell: dict[str, Any]) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def cell_location(name: str, index: int, cell: dict[str, Any]) -> str:
    return f"{name} cell {index} (id {cell.get('id', '?')})"


def student_notebook(notebook: dict[str, Any], *, name: str = "notebook") -> dict[str, Any]:
    """A copy of `notebook` (nbformat 4) as the student edition, outputs cleared.

    Raises `MarkerError` naming the cell (`name` names the notebook) when markers do not pair.
    """
    student = copy.deepcopy(notebook)
    for index, cell in enumerate(student["cells"]):
        try:
            cell["source"] = student_source(cell_source(cell), markdown=cell["cell_type"] == "markdown")
        except MarkerError as error:
            raise MarkerError(f"{cell_location(name, index, cell)}: {error}") from None
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return student
