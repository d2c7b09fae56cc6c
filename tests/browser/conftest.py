"""Fixtures for the browser tests: Debian's Chromium via Playwright, JupyterLab, Notebook 7.

Session-scoped: one Chromium (fresh profile) and, when first asked for, one JupyterLab and
one Notebook 7 server, each serving its own temporary copy of ``notebooks/`` plus the fixture
notebooks. Function-scoped: a fresh page, and the server handle that shuts every kernel down
after the test. Lesson tests use ``lab``/``notebook7`` with ``browser_page`` and the helpers
in ``jupyter.py``.

Without ``/usr/bin/chromium`` these tests skip, with the reason, unless ``CI=true``: then
they fail, because CI installs Chromium and a skip there would hide a broken setup.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, expect, sync_playwright

from .fixture_notebooks import write_fixture_notebooks
from .jupyter import (
    CHROMIUM,
    CHROMIUM_ARGS,
    NOTEBOOKS_DIR,
    UI_MS,
    Flavour,
    JupyterServer,
    running_jupyter,
)

log = logging.getLogger("smtplearn.tests.browser")

# `expect` waits for the page to catch up (a click's round trip through the kernel, say);
# its 5 s default is a deadline a busy 2-core CI runner can miss. It is not a speed check.
expect.set_options(timeout=UI_MS)


@pytest.fixture(scope="package")
def chromium_executable() -> Path:
    """Debian's Chromium; skip without it (fail when ``CI=true``)."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    reason = (
        f"{CHROMIUM} not found: the browser tests drive Debian's Chromium "
        "(apt-get install -y chromium); Playwright's own browsers are never downloaded"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}. CI=true, so this fails instead of skipping.", pytrace=False)
    pytest.skip(reason)


def _served_copy(factory: pytest.TempPathFactory, flavour: Flavour) -> Path:
    """A fresh root for one server: a copy of ``notebooks/`` plus the fixture notebooks."""
    root = factory.mktemp(f"{flavour}-root")
    if NOTEBOOKS_DIR.is_dir():
        shutil.copytree(
            NOTEBOOKS_DIR, root, dirs_exist_ok=True,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
        )  # fmt: skip
    write_fixture_notebooks(root)
    return root


def _serve(factory: pytest.TempPathFactory, flavour: Flavour) -> Iterator[JupyterServer]:
    root = _served_copy(factory, flavour)
    with running_jupyter(flavour, root, factory.mktemp(f"{flavour}-state")) as server:
        yield server


@pytest.fixture(scope="package")
def jupyter_lab_server(
    chromium_executable: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JupyterServer]:
    """``jupyter lab`` for the browser tests (asks for Chromium first, so a skip starts nothing).

    Package-scoped, so it and Chromium stop when the browser tests end. Session-scoped, they
    lived on through every later test, reconnecting to ports their kernels and pages had used
    (ZMQ does, Chromium too); a DebugServer that got such a port saw a connection nobody made:
    the one extra, greeted-only session that CI failed on, in a different test each time.
    """
    yield from _serve(tmp_path_factory, "lab")


@pytest.fixture(scope="package")
def jupyter_notebook_server(
    chromium_executable: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JupyterServer]:
    """``jupyter notebook`` (Notebook 7) for the browser tests (see `jupyter_lab_server`)."""
    yield from _serve(tmp_path_factory, "notebook")


@pytest.fixture
def lab(jupyter_lab_server: JupyterServer) -> Iterator[JupyterServer]:
    """The JupyterLab server; every kernel is shut down after the test."""
    yield jupyter_lab_server
    jupyter_lab_server.shutdown_kernels()


@pytest.fixture
def notebook7(jupyter_notebook_server: JupyterServer) -> Iterator[JupyterServer]:
    """The Notebook 7 server; every kernel is shut down after the test."""
    yield jupyter_notebook_server
    jupyter_notebook_server.shutdown_kernels()


@pytest.fixture(scope="package")
def chromium_context(
    chromium_executable: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BrowserContext]:
    """Headless Chromium with a fresh user-data dir, its HOME in a temporary directory too."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    home = tmp_path_factory.mktemp("chromium-home")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(chromium_executable),
            headless=True,
            args=list(CHROMIUM_ARGS),
            env={**os.environ, "HOME": str(home)},
            viewport={"width": 1280, "height": 1000},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def browser_page(chromium_context: BrowserContext) -> Iterator[Page]:
    """A new tab; the page's console errors go to the test log, to read when a test fails."""
    page = chromium_context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            log.warning("browser console: %s", message.text)

    page.on("console", on_console)
    yield page
    page.close()
