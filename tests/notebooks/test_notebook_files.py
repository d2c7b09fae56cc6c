"""`smtplearn notebooks DEST`: copies the shipped notebooks and never clobbers a learner's files."""

from __future__ import annotations

import argparse
import importlib.util
import shutil
from pathlib import Path

import pytest

from smtplearn import notebook_files
from smtplearn.notebook_files import copy_notebooks, notebooks_source

REPO_NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
REPO_INSTRUCTOR = Path(__file__).resolve().parents[2] / "instructor"


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    notebook_files.add_arguments(parser)
    return parser.parse_args(argv)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "shipped"
    folder.mkdir()
    (folder / "00-start-here.ipynb").write_text('{"cells": []}')
    (folder / "01-sending.ipynb").write_text('{"cells": [1]}')
    (folder / "sanitize.cfg").write_text("[x]\n")
    return folder


def test_in_a_checkout_the_source_is_the_repository_notebooks_folder() -> None:
    assert notebooks_source() == REPO_NOTEBOOKS
    assert (REPO_NOTEBOOKS / "00-start-here.ipynb").exists()
    assert notebooks_source("instructor") == REPO_INSTRUCTOR


def test_the_instructor_flag_copies_the_instructor_edition(tmp_path: Path) -> None:
    args = _parse([str(tmp_path), "--instructor"])
    assert args.edition == "instructor" and _parse([str(tmp_path)]).edition == "student"
    written = copy_notebooks(tmp_path / "teach", edition="instructor")
    assert [p.read_bytes() for p in written] == [
        p.read_bytes() for p in sorted(REPO_INSTRUCTOR.glob("*.ipynb"))
    ]


def test_copies_every_notebook_and_nothing_else(tmp_path: Path, source: Path) -> None:
    dest = tmp_path / "mine" / "lessons"
    written = copy_notebooks(dest, source=source)
    assert [p.name for p in written] == ["00-start-here.ipynb", "01-sending.ipynb"]
    assert sorted(p.name for p in dest.iterdir()) == ["00-start-here.ipynb", "01-sending.ipynb"]
    assert (dest / "01-sending.ipynb").read_text() == '{"cells": [1]}'


def test_refuses_to_overwrite_a_learners_file_and_copies_nothing(tmp_path: Path, source: Path) -> None:
    dest = tmp_path / "mine"
    dest.mkdir()
    (dest / "01-sending.ipynb").write_text("my answers")
    with pytest.raises(FileExistsError, match=r"01-sending\.ipynb"):
        copy_notebooks(dest, source=source)
    assert (dest / "01-sending.ipynb").read_text() == "my answers"
    assert not (dest / "00-start-here.ipynb").exists()


def test_force_overwrites(tmp_path: Path, source: Path) -> None:
    dest = tmp_path / "mine"
    dest.mkdir()
    (dest / "01-sending.ipynb").write_text("my answers")
    copy_notebooks(dest, source=source, force=True)
    assert (dest / "01-sending.ipynb").read_text() == '{"cells": [1]}'


def test_the_command_copies_the_real_notebooks_then_refuses_a_second_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "lessons"
    assert notebook_files.run(_parse([str(dest)])) == 0
    shipped = sorted(p.name for p in REPO_NOTEBOOKS.glob("*.ipynb"))
    assert sorted(p.name for p in dest.iterdir()) == shipped
    assert f"Copied {len(shipped)} notebooks" in capsys.readouterr().out

    assert notebook_files.run(_parse([str(dest)])) == 1
    assert "use --force" in capsys.readouterr().err
    assert notebook_files.run(_parse([str(dest), "--force"])) == 0


def test_the_smtplearn_command_dispatches_to_it(tmp_path: Path) -> None:
    from smtplearn.cli import main

    assert main(["notebooks", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "00-start-here.ipynb").exists()


def test_an_installed_wheel_uses_its_own_notebooks_folder(tmp_path: Path) -> None:
    # The wheel's layout (pyproject force-includes notebooks/ as smtplearn/_notebooks): the
    # module must find the copy beside itself, not a notebooks/ folder that happens to be near.
    package = tmp_path / "site-packages" / "smtplearn"
    (package / "_notebooks").mkdir(parents=True)
    (package / "_notebooks" / "00-start-here.ipynb").write_text("{}")
    (package / "_instructor").mkdir(parents=True)
    (package / "_instructor" / "00-start-here.ipynb").write_text("{}")
    (tmp_path / "site-packages" / "notebooks").mkdir()
    (tmp_path / "site-packages" / "notebooks" / "stray.ipynb").write_text("{}")
    shutil.copyfile(notebook_files.__file__, package / "notebook_files.py")
    spec = importlib.util.spec_from_file_location("installed_notebook_files", package / "notebook_files.py")
    assert spec is not None and spec.loader is not None
    installed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(installed)
    assert installed.notebooks_source() == package / "_notebooks"
    assert installed.notebooks_source("instructor") == package / "_instructor"
