"""Finding another Python interpreter on this machine (pyenv's, else one on PATH).

Shared by the Binder test (the Python `binder/runtime.txt` names) and the other-interpreter
test (every supported Python besides the one running the suite).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def find_python(version: str) -> Path | None:
    """pyenv's newest ``version.*`` interpreter, else ``pythonX.Y`` on PATH."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = sorted(
        pyenv_root.glob(f"versions/{version}.*/bin/python{version}"),
        key=lambda p: [int(part) for part in p.parts[-3].split(".") if part.isdigit()],
    )
    if candidates:
        return candidates[-1]
    on_path = shutil.which(f"python{version}")
    return Path(on_path) if on_path else None
