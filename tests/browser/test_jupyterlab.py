"""JupyterLab in headless Chromium: the fixture notebook, the broken control, every lesson.

The fixture tests always run, so the machinery is proven even before lessons exist; the
lesson test is parametrized over ``notebooks/0*.ipynb`` and picks new lessons up by itself.
Lesson-specific interactions (the sending stepper in 01, STARTTLS + AUTH in 02, VRFY in 03)
belong in their own tests built on the same helpers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .fixture_notebooks import BROKEN, WORKING
from .jupyter import (
    JupyterServer,
    current_notebook,
    lesson_notebooks,
    notebook_problems,
    open_notebook,
    run_all,
    run_notebook_like_a_learner,
    save_screenshot,
    uses_widgets,
)

pytestmark = pytest.mark.browser


def test_fixture_widgets_render_and_a_click_reaches_the_kernel(
    lab: JupyterServer, browser_page: Page
) -> None:
    run_notebook_like_a_learner(browser_page, lab, WORKING, screenshot="lab-browser-fixture")
    output = current_notebook(browser_page).locator(".widget-output")
    expect(output).not_to_contain_text("clicked")

    current_notebook(browser_page).get_by_role("button", name="Click me").click()

    # The text can only appear if the click went to the kernel, the handler ran there and
    # the Output widget's new state came back and rendered.
    expect(output).to_contain_text("clicked")


def test_a_broken_widget_and_an_exception_are_reported(lab: JupyterServer, browser_page: Page) -> None:
    open_notebook(browser_page, lab, BROKEN)
    run_all(browser_page, lab, BROKEN)
    save_screenshot(browser_page, "lab-browser-fixture-broken")

    problems = notebook_problems(browser_page)

    assert any("widget failed to render" in p for p in problems), problems
    assert any("RuntimeError: deliberate failure" in p for p in problems), problems
    assert any(p.startswith("code cell 4 did not run") for p in problems), problems
    assert len(problems) == 3, problems


@pytest.mark.parametrize("notebook", lesson_notebooks(), ids=lambda path: path.name)
def test_lesson_runs_all_with_its_widgets_rendered(
    lab: JupyterServer, browser_page: Page, notebook: Path
) -> None:
    run_notebook_like_a_learner(
        browser_page, lab, notebook.name, screenshot=notebook.stem,
        min_buttons=1 if uses_widgets(notebook) else 0,
    )  # fmt: skip
