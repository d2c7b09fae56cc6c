"""JupyterLab in headless Chromium: the fixture notebook, the broken control, every lesson.

The fixture tests always run, so the machinery is proven even before lessons exist; the
lesson test is parametrized over ``notebooks/0*.ipynb`` and picks new lessons up by itself.
Lesson-specific interactions (the sending stepper in 01, STARTTLS + AUTH in 02, VRFY in 03)
belong in their own tests built on the same helpers.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .accessibility import DARK, LIGHT, audit, backgrounds_against_the_theme, switched_theme
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
    save_widget_screenshot,
    uses_widgets,
)

pytestmark = pytest.mark.browser
log = logging.getLogger("smtplearn.tests.browser")


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
def test_lesson_runs_all_and_reads_well_in_the_light_and_the_dark_theme(
    lab: JupyterServer, browser_page: Page, notebook: Path
) -> None:
    """Run All renders the widgets; axe then finds nothing serious in either theme.

    axe-core checks the WCAG 2.1 A and AA rules over the lesson's own content (markdown and
    outputs), then the theme is switched in the page, as a learner would, and everything is
    checked again: axe for contrast and the rest, and every box we paint for following the
    theme (dark in the dark theme). One Run All serves both themes.
    """
    page = browser_page
    run_notebook_like_a_learner(
        page, lab, notebook.name, screenshot=notebook.stem,
        min_controls=1 if uses_widgets(notebook) else 0,
    )  # fmt: skip
    light = audit(page)
    found = {LIGHT: light.blocking + backgrounds_against_the_theme(page, dark=False)}
    with switched_theme(page, lab, DARK):
        save_screenshot(page, f"{notebook.stem}-dark")
        save_widget_screenshot(page, f"{notebook.stem}-dark")
        dark = audit(page)
        found[DARK] = dark.blocking + backgrounds_against_the_theme(page, dark=True)
    log.info(
        "%s: %d and %d markdown links without underline (JupyterLab's style) in light and dark",
        notebook.name, light.jupyterlab_markdown_links, dark.jupyterlab_markdown_links,
    )  # fmt: skip

    assert found == {LIGHT: [], DARK: []}, "\n".join(
        f"{theme}: {problem}" for theme, problems in found.items() for problem in problems
    )
