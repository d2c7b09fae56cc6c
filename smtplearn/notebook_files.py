"""The `smtplearn notebooks DEST` command: copy the tutorial notebooks out of the package.

A wheel carries the notebooks as ``smtplearn/_notebooks`` (pyproject's force-include);
an editable install or a source checkout has them in the repository's ``notebooks/``.
Existing files are never overwritten unless the learner asks with ``--force``: they
may hold the learner's own answers.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

__all__ = ["add_arguments", "copy_notebooks", "notebooks_source", "run"]

_PACKAGE_DIR = Path(__file__).resolve().parent


def notebooks_source() -> Path:
    """The folder holding the shipped notebooks: inside the installed wheel, else the checkout's."""
    for candidate in (_PACKAGE_DIR / "_notebooks", _PACKAGE_DIR.parent / "notebooks"):
        if any(candidate.glob("*.ipynb")):
            return candidate
    raise FileNotFoundError(
        "no notebooks found: neither an installed smtplearn/_notebooks folder nor a "
        "notebooks/ folder beside the source checkout"
    )


def copy_notebooks(dest: Path, *, force: bool = False, source: Path | None = None) -> list[Path]:
    """Copy every ``*.ipynb`` from `source` (default: `notebooks_source()`) into `dest`.

    Returns the paths written, in name order. Raises `FileExistsError` naming every file
    that is already there, before copying anything, unless `force` is true.
    """
    origin = notebooks_source() if source is None else source
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


def run(args: argparse.Namespace) -> int:
    # A command's output is its interface: printing here is the point, unlike in the library.
    try:
        written = copy_notebooks(args.dest, force=args.force)
    except (FileExistsError, FileNotFoundError) as exc:
        print(f"smtplearn notebooks: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    print(f"Copied {len(written)} notebooks. Open them with: jupyter lab {args.dest}")
    return 0
