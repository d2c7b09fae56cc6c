"""Notebook 7 (``jupyter notebook``) in headless Chromium renders the same widgets.

Notebook 7 is what many learners open from a Binder or JupyterHub link; its widget
manager is the same extension as JupyterLab's, loaded by a different application shell.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .fixture_notebooks import WORKING
from .jupyter import (
    JupyterServer,
    current_notebook,
    lesson_notebooks,
    run_notebook_like_a_learner,
    uses_widgets,
)

pytestmark = pytest.mark.browser


def test_fixture_widgets_render_and_click_in_notebook7(notebook7: JupyterServer, browser_page: Page) -> None:
    run_notebook_like_a_learner(browser_page, notebook7, WORKING, screenshot="notebook7-browser-fixture")
    output = current_notebook(browser_page).locator(".widget-output")
    expect(output).not_to_contain_text("clicked")

    current_notebook(browser_page).get_by_role("button", name="Click me").click()

    expect(output).to_contain_text("clicked")


@pytest.mark.parametrize("notebook", lesson_notebooks("01*.ipynb"), ids=lambda path: path.name)
def test_lesson_01_renders_its_widgets_in_notebook7(
    notebook7: JupyterServer, browser_page: Page, notebook: Path
) -> None:
    run_notebook_like_a_learner(
        browser_page, notebook7, notebook.name, screenshot=f"{notebook.stem}-notebook7",
        min_controls=1 if uses_widgets(notebook) else 0,
    )  # fmt: skip
