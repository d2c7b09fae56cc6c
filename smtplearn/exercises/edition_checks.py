"""What an edition must not do: show an answer outside the markers, or store a verdict on a blank."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Any

from smtplearn.exercises.blanking import (
    BEGIN_SOLUTION,
    END_SOLUTION,
    cell_location,
    cell_source,
    student_source,
)

#: A check call: a module-level call of a function named ``check_...``.
_CHECK_PREFIX = "check_"
#: A prediction's name; one assigned outside the markers gives the answer away.
_PREDICTION = re.compile(r"predicted\w*")


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
        kept = student_source(cell_source(cell))
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
                            f"{cell_location(name, index, cell)} line {statement.lineno}: "
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
                    f"{cell_location(name, index, blank)} stores {verdict!r}: "
                    "its check must answer the student's "
                    "blank (... or None) with its prompt (smtplearn.exercises.your_turn)"
                )
                break
    return problems
