"""Real nbgrader on the instructor edition: its release gives nothing away, and autograde scores it.

In a temporary course directory with the README's ``nbgrader_config.py`` and no other (HOME,
the Jupyter config, data and runtime folders and IPython's all point into the temporary
directory, so nothing is read from or written to the machine's), nbgrader's own command line
runs ``generate_assignment`` on every lesson, taken with ``smtplearn notebooks --instructor``
as the README says, and ``autograde`` on copies students hand in:

- the instructor's solutions typed into the release score full marks;
- wrong answers lose the points of exactly the checks they fail, and no other;
- the unanswered release scores zero on every graded cell;
- smtplearn's own student edition, handed in blank or with the same wrong answers, is graded
  exactly as nbgrader's release (so an instructor may hand it out instead);
- a classroom server named in the grader's environment changes no grade, and an answer that
  names one itself (SMTPLEARN_SERVER set in the kernel) gains no point.

Autograde executes each notebook in a fresh kernel: the lessons' setup cells start the
DebugServer the checks read, inside that kernel. The second half states how smtplearn's
student edition relates to nbgrader's release, cell by cell.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from smtplearn.exercises.editions import (
    ANSWER_PLACEHOLDER,
    CODE_PLACEHOLDER,
    MARKDOWN_PLACEHOLDER,
    Block,
    blocks_of,
    kernel_environment,
)
from smtplearn.lesson import ENV_CA, ENV_SERVER
from smtplearn.server import DebugServer

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
INSTRUCTOR = ROOT / "instructor"
STUDENT = ROOT / "notebooks"
ALL_LESSONS = sorted(path.name for path in INSTRUCTOR.glob("*.ipynb"))


def _has_graded_cells(name: str) -> bool:
    cells = json.loads((INSTRUCTOR / name).read_text(encoding="utf-8"))["cells"]
    return any(cell.get("metadata", {}).get("nbgrader", {}).get("grade") for cell in cells)


#: The lessons with graded cells, the ones nbgrader's round trip is about.
LESSONS = [name for name in ALL_LESSONS if _has_graded_cells(name)]
#: Lessons with exercises but no graded cell yet, named so the list can only shrink.
NOT_YET_GRADED: list[str] = []
ASSIGNMENT = "smtp"

#: Wrong answers, each an edit of the instructor's solution cell named by its grade_id.
WRONG_ANSWERS = {
    # The blind copy is never sent: only the visible recipient gets a RCPT.
    "sending-bcc": ('    blind_copy.rcpt("auditor@example.com")\n', ""),
    "sending-out-of-order": ("predicted_code = 503", "predicted_code = 250"),
    # Steps 1-7 of the raw-socket lab complete, to the wrong recipient.
    "07-step-4": ("RCPT TO:<{RECIPIENT}>", "RCPT TO:<nobody@example.test>"),
    # The backup MX (preference 20), not the first choice (10).
    "journey-first-mx": ('first_choice = "mx1.example.org"', 'first_choice = "mx2.example.org"'),
    # SPF does not survive forwarding (the forwarder's address is not example.com's).
    "dmarc-survivor": ('survivor = "dkim"', 'survivor = "spf"'),
}
WRONG_LESSONS = [
    "01-sending-a-message.ipynb",
    "07-raw-socket-lab.ipynb",
    "08-from-one-server-to-another.ipynb",
    "09-who-really-sent-this.ipynb",
]
#: The graded cells those wrong answers fail; every other graded cell of the lessons keeps its point.
FAILED_BY_WRONG_ANSWERS = {
    "sending-bcc-check",
    "sending-out-of-order-check",
    "07-raw-session-check",
    "journey-first-mx-check",
    "dmarc-survivor-check",
}

#: What nbgrader's ClearSolutions writes in place of a solution, by default (one line each).
NBGRADER_CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
NBGRADER_TEXT_STUB = "YOUR ANSWER HERE"
#: nbgrader metadata nbgrader adds to the release; every other key is the instructor's, unchanged.
NBGRADER_ADDED = {"checksum", "cell_type"}

Notebook = dict[str, Any]
#: grade_id of each graded cell -> its score, for one lesson.
Scores = dict[str, float]


def _text(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def _read(path: Path) -> Notebook:
    notebook: Notebook = json.loads(path.read_text(encoding="utf-8"))
    return notebook


def _nbgrader_meta(cell: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = cell["metadata"].get("nbgrader", {})
    return meta


def _graded_points(name: str) -> dict[str, float]:
    """grade_id -> points of each graded cell of lesson `name`, from the instructor edition."""
    cells = _read(INSTRUCTOR / name)["cells"]
    return {
        meta["grade_id"]: float(meta["points"])
        for cell in cells
        if (meta := _nbgrader_meta(cell)).get("grade")
    }


def _readme_config() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [config] = [
        block for block in re.findall(r"```python\n(.*?)```", readme, re.DOTALL) if "get_config()" in block
    ]
    return config


# -- the course directory, and nbgrader's command line in it ----------------------------------------


@dataclass(frozen=True)
class Course:
    root: Path
    env: dict[str, str]
    course_id: str

    @property
    def release(self) -> Path:
        return self.root / "release" / ASSIGNMENT

    def nbgrader(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        """Run ``nbgrader ARGS`` in the course directory; return its log, failing on an error in it."""
        done = subprocess.run(
            [sys.executable, "-m", "nbgrader", *args],
            cwd=self.root,
            env=dict(env or self.env),
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        log = done.stdout + done.stderr
        assert done.returncode == 0, log
        assert "| ERROR]" not in log, log
        return log

    def hand_in(self, student: str, notebooks: Mapping[str, Notebook]) -> None:
        folder = self.root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        for name, notebook in notebooks.items():
            (folder / name).write_text(json.dumps(notebook, ensure_ascii=False), encoding="utf-8")

    def scores(self, student: str) -> dict[str, Scores]:
        """lesson file name -> its scores, from nbgrader's gradebook after autograde."""
        from nbgrader.api import Gradebook

        # generate_assignment made the database, so reading it needs no `alembic` command.
        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}", self.course_id) as gradebook:
            submission = gradebook.find_submission(ASSIGNMENT, student)
            return {
                f"{notebook.name}.ipynb": {grade.name: grade.score for grade in notebook.grades}
                for notebook in submission.notebooks
            }

    def autograded(self, student: str, name: str) -> Notebook:
        return _read(self.root / "autograded" / student / ASSIGNMENT / name)


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Course:
    root = tmp_path_factory.mktemp("course")
    private = tmp_path_factory.mktemp("home")
    config = _readme_config()
    (root / "nbgrader_config.py").write_text(config, encoding="utf-8")
    [course_id] = re.findall(r'c\.CourseDirectory\.course_id = "([^"]+)"', config)
    env = kernel_environment()  # this checkout's smtplearn in every kernel; no classroom server
    env.update(
        # nbgrader runs `alembic` from PATH: the one installed beside this Python.
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        HOME=str(private),
        JUPYTER_CONFIG_DIR=str(private / "jupyter-config"),
        JUPYTER_DATA_DIR=str(private / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(private / "jupyter-runtime"),
        IPYTHONDIR=str(private / "ipython"),
    )
    course = Course(root, env, course_id)
    copied = subprocess.run(
        [sys.executable, "-m", "smtplearn.cli", "notebooks", "--instructor", f"source/{ASSIGNMENT}"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert copied.returncode == 0, copied.stderr
    course.nbgrader("generate_assignment", ASSIGNMENT)
    return course


def _answered(release: Notebook, name: str, edits: Mapping[str, tuple[str, str]] | None = None) -> Notebook:
    """`release` with each solution cell holding the instructor's answer (markers gone), `edits` applied."""
    solutions = {
        meta["grade_id"]: _text(cell["source"])
        for cell in _read(INSTRUCTOR / name)["cells"]
        if (meta := _nbgrader_meta(cell)).get("solution")
    }
    answered = json.loads(json.dumps(release))
    for cell in answered["cells"]:
        grade_id = _nbgrader_meta(cell).get("grade_id")
        if grade_id not in solutions:
            continue
        source = solutions[grade_id]
        if edits and grade_id in edits:
            old, new = edits[grade_id]
            assert old in source, f"the wrong answer for {grade_id} no longer applies: {old!r}"
            source = source.replace(old, new)
        cell["source"] = "\n".join(
            line for part in blocks_of(source) for line in ([part] if isinstance(part, str) else part.lines)
        )
    return answered


def _graded(course: Course, student: str, notebooks: Mapping[str, Notebook]) -> dict[str, Scores]:
    course.hand_in(student, notebooks)
    course.nbgrader("autograde", ASSIGNMENT, "--student", student)
    scores = course.scores(student)
    # The gradebook lists every lesson of the assignment: those not handed in score zero.
    assert all(score == 0 for name in scores.keys() - notebooks.keys() for score in scores[name].values())
    return {name: scores[name] for name in notebooks}


def _release(course: Course, name: str) -> Notebook:
    return _read(course.release / name)


@pytest.fixture(scope="module")
def solved(course: Course) -> dict[str, Scores]:
    return _graded(course, "solved", {name: _answered(_release(course, name), name) for name in LESSONS})


@pytest.fixture(scope="module")
def wrong(course: Course) -> dict[str, Scores]:
    handed_in = {name: _answered(_release(course, name), name, WRONG_ANSWERS) for name in WRONG_LESSONS}
    return _graded(course, "wrong", handed_in)


@pytest.fixture(scope="module")
def blank(course: Course) -> dict[str, Scores]:
    return _graded(course, "blank", {name: _release(course, name) for name in LESSONS})


# -- what the release holds ---------------------------------------------------------------------------


def _code_lines(text: str) -> set[str]:
    """The statements of `text`, one per line, without indentation or trailing comments."""
    return {line.split("  #")[0].strip() for line in text.splitlines()} - {""}


def _secret_lines(notebook: Notebook, *, solutions: bool) -> set[str]:
    """Lines only the solution (or hidden-test) blocks hold; a line also given elsewhere is no secret."""
    given: set[str] = set()
    marked: set[str] = set()
    for cell in notebook["cells"]:
        for part in blocks_of(_text(cell["source"])):
            if isinstance(part, str):
                given |= _code_lines(part)
            elif part.is_solution == solutions:
                marked |= _code_lines("\n".join(part.lines))
    return {line for line in marked - given if not line.startswith("#")}


def test_the_lessons_without_graded_cells_are_the_known_ones() -> None:
    assert [name for name in ALL_LESSONS if not _has_graded_cells(name)] == NOT_YET_GRADED


@pytest.mark.parametrize("name", LESSONS)
def test_the_release_holds_no_solution_no_hidden_test_and_no_output(course: Course, name: str) -> None:
    instructor, release = _read(INSTRUCTOR / name), _release(course, name)
    solution_lines = _secret_lines(instructor, solutions=True)
    hidden_lines = _secret_lines(instructor, solutions=False)
    assert solution_lines and hidden_lines  # so the test below can fail
    released = "\n".join(_text(cell["source"]) for cell in release["cells"])
    assert sorted(_code_lines(released) & solution_lines) == []
    assert sorted(_code_lines(released) & hidden_lines) == []
    assert "### BEGIN" not in released and "### END" not in released
    assert [cell.get("outputs") for cell in release["cells"] if cell.get("outputs")] == []


# -- autograde ----------------------------------------------------------------------------------------


def test_the_instructors_solutions_score_full_marks(course: Course, solved: dict[str, Scores]) -> None:
    assert solved == {name: _graded_points(name) for name in LESSONS}
    # Each lesson graded against a DebugServer its setup cell started in autograde's kernel.
    for name in LESSONS:
        said = json.dumps([cell.get("outputs", []) for cell in course.autograded("solved", name)["cells"]])
        assert ENV_SERVER not in said
        if "describe(server)" in json.dumps(_read(INSTRUCTOR / name)["cells"]):
            assert "is running inside this kernel" in said, name


def test_wrong_answers_lose_the_points_of_exactly_the_checks_they_fail(wrong: dict[str, Scores]) -> None:
    expected = {
        name: {
            grade_id: 0.0 if grade_id in FAILED_BY_WRONG_ANSWERS else points
            for grade_id, points in _graded_points(name).items()
        }
        for name in WRONG_LESSONS
    }
    assert wrong == expected
    assert {grade_id for lesson in wrong.values() for grade_id, score in lesson.items() if score == 0} == (
        FAILED_BY_WRONG_ANSWERS
    )


def test_the_unanswered_release_scores_zero_on_every_graded_cell(blank: dict[str, Scores]) -> None:
    assert blank == {name: dict.fromkeys(_graded_points(name), 0.0) for name in LESSONS}


def test_smtplearns_student_edition_is_graded_as_nbgraders_release(
    course: Course, blank: dict[str, Scores], wrong: dict[str, Scores]
) -> None:
    ours = {name: _read(STUDENT / name) for name in LESSONS}
    assert _graded(course, "ours-blank", ours) == blank
    ours_wrong = {name: _answered(ours[name], name, WRONG_ANSWERS) for name in WRONG_LESSONS}
    assert _graded(course, "ours-wrong", ours_wrong) == wrong


def test_a_classroom_server_in_the_graders_environment_changes_no_grade(
    course: Course, wrong: dict[str, Scores]
) -> None:
    # In classroom mode the mailbox checks answer "skipped", and their hidden tests let a skipped
    # check pass: the README's config must keep the grader's SMTPLEARN_SERVER from the kernels.
    name = "01-sending-a-message.ipynb"
    with DebugServer() as classroom:
        env = {**course.env, ENV_SERVER: f"{classroom.host}:{classroom.port}", ENV_CA: classroom.ca_pem_path}
        course.hand_in("classroom", {name: _answered(_release(course, name), name, WRONG_ANSWERS)})
        course.nbgrader("autograde", ASSIGNMENT, "--student", "classroom", env=env)
        reached = len(classroom.mailbox)
    assert course.scores("classroom")[name] == wrong[name]
    assert reached == 0  # no lesson cell sent its mail to the classroom server


def test_an_answer_that_claims_classroom_mode_scores_nothing(course: Course) -> None:
    # A check skipped in classroom mode is not graded; an answer cell that sets SMTPLEARN_SERVER
    # itself, against the lesson's own DebugServer, must not turn its check into a free point.
    name = "01-sending-a-message.ipynb"
    claim = 'import os\nos.environ["SMTPLEARN_SERVER"] = "192.0.2.1:25"'
    # Wrong answers (as in WRONG_ANSWERS), each followed by the claim.
    cheats = {
        "sending-bcc": (
            '    blind_copy.rcpt("auditor@example.com")\n    blind_copy.data(msg)',
            f"    blind_copy.data(msg)\n{claim}",
        ),
        "sending-lone-dot": ("predicted_kept = True", f"predicted_kept = False\n{claim}"),
    }
    graded = _graded(course, "claims-classroom", {name: _answered(_release(course, name), name, cheats)})
    assert graded[name]["sending-bcc-check"] == 0 and graded[name]["sending-lone-dot-check"] == 0


# -- smtplearn's student edition and nbgrader's release, cell by cell ------------------------------


def _pattern(source: str, *, markdown: bool, solution: Callable[[Block], str]) -> str:
    """A regex for `source` with hidden tests removed and each solution block matched by `solution`."""
    lines = []
    for part in blocks_of(source):
        if isinstance(part, str):
            lines.append(re.escape(part))
        elif part.is_solution:
            lines.append(re.escape(NBGRADER_TEXT_STUB) if markdown else solution(part))
    return "\n".join(lines) + ("\n" if source.endswith("\n") else "")


def _nbgraders_stub(block: Block) -> str:
    return "\n".join(re.escape(block.indent + line) for line in NBGRADER_CODE_STUB)


def _smtplearns_blank(block: Block) -> str:
    """One or more lines at the block's indentation, each assigning ``...`` to names, or ``...`` alone."""
    names = r"\w+(?:, \w+)*"
    answer = re.escape(ANSWER_PLACEHOLDER.removeprefix("..."))
    one = rf"(?:{names} = \.\.\.(?:, \.\.\.)*{answer}|{re.escape(CODE_PLACEHOLDER)})"
    return rf"{re.escape(block.indent)}{one}(?:\n{re.escape(block.indent)}{one})*"


@pytest.mark.parametrize("name", LESSONS)
def test_the_release_is_smtplearns_student_edition_but_for_what_replaces_each_solution(
    course: Course, name: str
) -> None:
    instructor, release, ours = _read(INSTRUCTOR / name), _release(course, name), _read(STUDENT / name)
    assert MARKDOWN_PLACEHOLDER == NBGRADER_TEXT_STUB
    # Same cells: ids, types, and nbgrader metadata (nbgrader adds its checksums).
    shape = [(cell["id"], cell["cell_type"]) for cell in instructor["cells"]]
    assert [(cell["id"], cell["cell_type"]) for cell in release["cells"]] == shape
    assert [(cell["id"], cell["cell_type"]) for cell in ours["cells"]] == shape
    stubbed = 0
    for source_cell, released, mine in zip(instructor["cells"], release["cells"], ours["cells"], strict=True):
        meta = _nbgrader_meta(source_cell)
        assert _nbgrader_meta(mine) == meta
        added = {key: value for key, value in _nbgrader_meta(released).items() if meta.get(key) != value}
        assert set(added) <= NBGRADER_ADDED
        # nbgrader's release (not ours) also keeps students from deleting nbgrader cells and
        # from editing locked ones; autograde restores those from its gradebook either way.
        locks = {
            key: released["metadata"][key] for key in ("deletable", "editable") if key in released["metadata"]
        }
        assert locks == (
            {"deletable": False} | ({"editable": False} if meta.get("locked") else {}) if meta else {}
        )
        assert not {"deletable", "editable"} & set(mine["metadata"])
        # Same source outside the solutions, hidden tests gone from both; only the stubs differ.
        source, markdown = _text(source_cell["source"]), source_cell["cell_type"] == "markdown"
        assert re.fullmatch(
            _pattern(source, markdown=markdown, solution=_nbgraders_stub), _text(released["source"])
        )
        assert re.fullmatch(
            _pattern(source, markdown=markdown, solution=_smtplearns_blank), _text(mine["source"])
        )
        stubbed += NBGRADER_CODE_STUB[1] in _text(released["source"])
    assert stubbed  # the lesson has solutions, so the comparison above compared some
