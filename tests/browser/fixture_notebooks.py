"""Small notebooks written by the browser tests themselves, to prove the machinery on its own.

What lives here: a working widget notebook (a button whose click handler writes into an
``Output`` widget) and a deliberately broken one (a widget whose frontend model cannot be
found, then an exception). The lesson notebooks are not here: they live in ``notebooks/``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from notebook_json import notebook as notebook_skeleton

#: File names inside the served root; they do not match the lesson glob ``0*.ipynb``.
WORKING = "browser-fixture.ipynb"
BROKEN = "browser-fixture-broken.ipynb"

# The handler writes with append_stdout, not `with out:`: capture by context manager
# behaves differently in a live frontend than headless (see design.md, Widgets).
_BUTTON_CELL = """\
import ipywidgets as w

b = w.Button(description="Click me")
out = w.Output()

def on_click(_button):
    out.append_stdout("clicked\\n")

b.on_click(on_click)
w.VBox([b, out])"""

# A model and view the frontend has no module for: what a learner sees when the kernel's
# ipywidgets and the lab's jupyterlab_widgets disagree, or a custom widget is not installed.
_MISSING_MODEL_CELL = """\
import traitlets

class NotInstalled(w.DOMWidget):
    _model_name = traitlets.Unicode("NotInstalledModel").tag(sync=True)
    _model_module = traitlets.Unicode("smtplearn-not-installed").tag(sync=True)
    _model_module_version = traitlets.Unicode("0.0.0").tag(sync=True)
    _view_name = traitlets.Unicode("NotInstalledView").tag(sync=True)
    _view_module = traitlets.Unicode("smtplearn-not-installed").tag(sync=True)
    _view_module_version = traitlets.Unicode("0.0.0").tag(sync=True)

NotInstalled()"""


def _code(source: str) -> dict[str, Any]:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": source}  # fmt: skip


def _notebook(cells: list[dict[str, Any]]) -> dict[str, Any]:
    return notebook_skeleton(cells, "browser-fixture")


def working_notebook() -> dict[str, Any]:
    """One button and one output widget; clicking the button prints ``clicked`` below it."""
    title = {"cell_type": "markdown", "metadata": {}, "source": "# Browser test fixture"}
    return _notebook([title, _code(_BUTTON_CELL), _code('print("after the widgets")')])


def broken_notebook() -> dict[str, Any]:
    """The working button, a widget with no frontend model, an exception, and a cell after it."""
    return _notebook([
        _code(_BUTTON_CELL),
        _code(_MISSING_MODEL_CELL),
        _code('raise RuntimeError("deliberate failure for the browser test")'),
        _code('print("never reached: Run All stops at the error")'),
    ])  # fmt: skip


def write_fixture_notebooks(root: Path) -> None:
    """Write both fixture notebooks into *root*."""
    for name, notebook in ((WORKING, working_notebook()), (BROKEN, broken_notebook())):
        (root / name).write_text(json.dumps(notebook, indent=1), encoding="utf-8")
