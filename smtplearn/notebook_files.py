"""The `smtplearn notebooks DEST` command: copy the tutorial notebooks out of the package.

Two editions ship (see `smtplearn.exercises.editions`): the student edition, blanks where
the answers go, which is what ``smtplearn notebooks DEST`` copies; and the instructor
edition, with solutions, for ``smtplearn notebooks --instructor DEST``. A wheel carries
them as ``smtplearn/_notebooks`` and ``smtplearn/_instructor`` (pyproject's force-include);
an editable install or a source checkout has them in the repository's ``notebooks/`` and
``instructor/``. Existing files are never overwritten unless the learner asks with
``--force``: they may hold the learner's own answers.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

__all__ = ["add_arguments", "copy_notebooks", "notebooks_source", "run"]

_PACKAGE_DIR = Path(__file__).resolve().parent
#: edition -> (folder inside an installed wheel, folder in a source checkout)
_EDITION_FOLDERS = {"student": ("_notebooks", "notebooks"), "instructor": ("_instructor", "instructor")}


def notebooks_source(edition: str = "student") -> Path:
    """The folder holding one edition's notebooks: inside the installed wheel, else the checkout's."""
    installed, checkout = _EDITION_FOLDERS[edition]
    for candidate in (_PACKAGE_DIR / installed, _PACKAGE_DIR.parent / checkout):
        if any(candidate.glob("*.ipynb")):
            return candidate
    raise FileNotFoundError(
        f"no {edition} notebooks found: neither an installed smtplearn/{installed} folder nor a "
        f"{checkout}/ folder beside the source checkout"
    )


def copy_notebooks(
    dest: Path, *, force: bool = False, source: Path | None = None, edition: str = "student"
) -> list[Path]:
    """Copy every ``*.ipynb`` from `source` (default: `edition`'s `notebooks_source`) into `dest`.

    Returns the paths written, in name order. Raises `FileExistsError` naming every file
    that is already there, before copying anything, unless `force` is true.
    """
    origin = notebooks_source(edition) if source is None else source
    notebooks = sorted(origin.glob("*.ipynb"))
    targets = [dest / notebook.name for notebook in notebooks]
    existing = [target for target in targets if target.exists()]
    if existing and not force:
        names = ", ".join(target.name for target in existing)
        raise FileExistsError(f"{dest} already has {names}: use --force to overwrite them")
    dest.mkdir(parents=True, exist_ok=True)
    for notebook, target in zip(notebooks, targets, strict=True):
        shutil.copyfile(notebook, target)
    return targets


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dest", type=Path, metavar="DEST", help="folder to copy the notebooks into")
    parser.add_argument("--force", action="store_true", help="overwrite notebooks that already exist in DEST")
    parser.add_argument(
        "--instructor",
        action="store_const",
        const="instructor",
        default="student",
        dest="edition",
        help="copy the instructor edition (with the solutions) instead of the student edition",
    )


def run(args: argparse.Namespace) -> int:
    # A command's output is its interface: printing here is the point, unlike in the library.
    try:
        written = copy_notebooks(args.dest, force=args.force, edition=args.edition)
    except (FileExistsError, FileNotFoundError) as exc:
        print(f"smtplearn notebooks: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    print(
        f"Copied {len(written)} notebooks ({args.edition} edition). Open them with: jupyter lab {args.dest}"
    )
    return 0
