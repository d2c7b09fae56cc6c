"""Real Jupyter servers (JupyterLab, Notebook 7) and the learner's moves in a real browser.

What lives here: starting a Jupyter server as a subprocess isolated from the user's home,
stopping it (and its kernels) again, and page helpers that act like a learner in Chromium:
open a notebook, clear and Run All, wait until every cell ran, check that nothing failed and
that the widgets rendered, save a screenshot. What doesn't: pytest fixtures (``conftest.py``),
and lesson-specific interactions, which belong in the lesson tests and build on these helpers.

The helpers work the same in JupyterLab 4 and Notebook 7: both are built from the same
JupyterLab components (``.jp-*`` DOM, lumino menus), so only the URL differs.

A lesson interaction test, for whoever adds one (ipywidgets 8 ties each description label
to its input, so ``get_by_label`` finds Text, Textarea and Password widgets)::

    def test_lesson_01_stepper_sends_the_message(lab, browser_page):
        run_notebook_like_a_learner(browser_page, lab, "01-sending-a-message.ipynb",
                                    screenshot="01-sending-a-message")
        nb = current_notebook(browser_page)
        nb.get_by_label("Subject", exact=True).fill("Hello from the browser")
        nb.get_by_role("button", name="Next step").click()
        expect(nb.locator(".widget-output")).to_contain_text("250")

``expect`` waits (up to ``UI_MS``, set in conftest) for the kernel's answer to render.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from playwright.sync_api import Locator, Page, expect

log = logging.getLogger("smtplearn.tests.browser")

Flavour = Literal["lab", "notebook"]

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
#: Screenshots are test artifacts (gitignored); the README names this folder.
SCREENSHOT_DIR = REPO_ROOT / "test-artifacts" / "screenshots"

#: Debian's package, never a browser downloaded by Playwright.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    # Containers and CI runners have no user namespaces for Chromium's sandbox.
    "--no-sandbox",
    "--disable-gpu",
    # The machines are offline: no update, sync or field-trial requests to time out on.
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
)

#: Deadlines for waiting (not assertions about speed): generous for a loaded 2-core runner.
SERVER_START_SECONDS = 120.0
SERVER_STOP_SECONDS = 30.0
KERNEL_IDLE_SECONDS = 120.0
RUN_ALL_MS = 300_000
UI_MS = 60_000

_APP_MODULE: dict[Flavour, str] = {"lab": "jupyterlab", "notebook": "notebook"}

# User settings written into the temporary config dir. Each avoids a dialog or a request
# that a learner would dismiss by hand but that would stall or disturb a headless run.
_USER_SETTINGS: dict[str, dict[str, Any]] = {
    "@jupyterlab/notebook-extension/tracker": {
        # JupyterLab 4 asks "Select Kernel" for a never-run notebook unless this is set.
        "autoStartDefaultKernel": True,
        # Windowed rendering leaves off-screen cells out of the DOM; we inspect every cell.
        "windowingMode": "none",
    },
    # No "get notified about official Jupyter news?" toast, no update check: we are offline.
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}
# The "build recommended" check only matters for source extensions, which we do not use.
_PAGE_CONFIG = {"buildCheck": False, "buildAvailable": False}


def lesson_notebooks(pattern: str = "0*.ipynb") -> list[Path]:
    """The lesson notebooks in ``notebooks/`` matching *pattern*, in lesson order."""
    return sorted(NOTEBOOKS_DIR.glob(pattern))


_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_WIDGET_IMPORT = re.compile(r"\bipywidgets\b|\bsmtplearn\.widgets\b|from smtplearn import .*\bwidgets\b")


def uses_widgets(notebook: Path) -> bool:
    """Whether *notebook* shows widgets: a stored widget view, or code importing widgets.

    Lesson tests use this to demand visible buttons only where the lesson has some, so one
    data-driven test covers lessons with and without widgets.
    """
    content = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in content["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        if _WIDGET_IMPORT.search(source):
            return True
        if any(_WIDGET_VIEW in output.get("data", {}) for output in cell.get("outputs", [])):
            return True
    return False


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the server refuses to retry)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def isolated_environment(state_dir: Path) -> dict[str, str]:
    """This process's environment, with every place Jupyter writes moved under *state_dir*.

    The interpreter and its ``sys.prefix`` stay (that is where the lab extensions, such as
    ipywidgets' ``jupyterlab_widgets``, are installed); config, data, runtime, IPython and
    HOME itself point into *state_dir*, so a test run never touches the user's home.
    """
    dirs = {
        "HOME": state_dir / "home",
        "JUPYTER_CONFIG_DIR": state_dir / "config",
        "JUPYTER_DATA_DIR": state_dir / "data",
        "JUPYTER_RUNTIME_DIR": state_dir / "runtime",
        "IPYTHONDIR": state_dir / "ipython",
        "XDG_CACHE_HOME": state_dir / "cache",
        "XDG_CONFIG_HOME": state_dir / "xdg-config",
        "MPLCONFIGDIR": state_dir / "matplotlib",
    }
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in {"JUPYTER_PATH", "JUPYTER_TOKEN"}}
    env.update({name: str(path) for name, path in dirs.items()})
    env["PYTHONUNBUFFERED"] = "1"
    return env


def write_quiet_settings(config_dir: Path) -> None:
    """Write the user settings and page config that keep a headless frontend dialog-free."""
    for plugin, values in _USER_SETTINGS.items():
        path = config_dir / "lab" / "user-settings" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, indent=2), encoding="utf-8")
    page_config = config_dir / "labconfig" / "page_config.json"
    page_config.parent.mkdir(parents=True, exist_ok=True)
    page_config.write_text(json.dumps(_PAGE_CONFIG), encoding="utf-8")


@dataclass
class JupyterServer:
    """A running ``jupyter lab`` or ``jupyter notebook`` subprocess, reachable on loopback."""

    flavour: Flavour
    root: Path
    port: int
    token: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def url(self, path: str) -> str:
        """An absolute URL for *path* that logs in with the token."""
        separator = "&" if "?" in path else "?"
        return f"{self.base_url}{path.lstrip('/')}{separator}token={self.token}"

    def notebook_url(self, name: str) -> str:
        """Where a learner opens notebook *name* (relative to the root) in this frontend."""
        if self.flavour == "lab":
            # `reset`: start from an empty workspace instead of restoring the tabs (and
            # the dead kernels) of the notebook the previous test opened.
            return self.url(f"lab/tree/{name}?reset")
        return self.url(f"notebooks/{name}")

    def api(self, method: str, path: str) -> Any:
        """Call the Jupyter REST API and return its decoded JSON (``None`` when empty)."""
        request = urllib.request.Request(
            self.url(path), method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def put_setting(self, plugin: str, values: dict[str, Any]) -> None:
        """Store *values* as the user's settings of JupyterLab *plugin* (as its settings editor does)."""
        body = json.dumps({"raw": json.dumps(values)}).encode()
        request = urllib.request.Request(
            self.url(f"lab/api/settings/{plugin}"), data=body, method="PUT",
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=30):
            pass

    def kernel_states(self, notebook: str | None = None) -> list[str]:
        """Execution states of the kernels behind open sessions (of *notebook* if given)."""
        sessions = self.api("GET", "api/sessions")
        return [
            s["kernel"]["execution_state"]
            for s in sessions
            if s.get("kernel") and (notebook is None or s["path"] == notebook)
        ]

    def wait_for_kernel_idle(self, notebook: str, seconds: float = KERNEL_IDLE_SECONDS) -> None:
        """Wait until *notebook* has a kernel and it reports ``idle`` to the server."""
        deadline = time.monotonic() + seconds
        while True:
            states = self.kernel_states(notebook)
            if states and all(state == "idle" for state in states):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"kernel of {notebook} not idle: states {states}")
            time.sleep(0.2)

    def shutdown_kernels(self) -> None:
        """Shut down every kernel, so the next notebook starts fresh and the CPU stays free."""
        for kernel in self.api("GET", "api/kernels"):
            self.api("DELETE", f"api/kernels/{kernel['id']}")

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def start_jupyter(flavour: Flavour, root: Path, state_dir: Path) -> JupyterServer:
    """Start ``jupyter lab`` or ``jupyter notebook`` serving *root*; return once it answers.

    It runs with this interpreter (so with this venv's lab extensions and kernel), binds to
    127.0.0.1 on a free port, requires a random token, and keeps all of its state in
    *state_dir*. On any startup failure the process is stopped and the log tail is raised.
    """
    env = isolated_environment(state_dir)
    write_quiet_settings(Path(env["JUPYTER_CONFIG_DIR"]))
    port, token = free_port(), secrets.token_urlsafe(24)
    argv = [
        sys.executable, "-m", _APP_MODULE[flavour],
        "--no-browser",
        "--ServerApp.open_browser=False",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        # Fail instead of quietly serving on another port than the one we will poll.
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
    ]  # fmt: skip
    if flavour == "lab":
        argv += [
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
    if os.geteuid() == 0:
        # CI containers run as root; Jupyter refuses that unless told it is deliberate.
        argv.append("--ServerApp.allow_root=True")
    log_path = state_dir / f"jupyter-{flavour}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            argv,
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            # Its own process group, so a failed stop can take the whole group down.
            start_new_session=True,
        )
    server = JupyterServer(flavour, root, port, token, process, log_path)
    try:
        _wait_until_ready(server)
    except BaseException:
        stop_jupyter(server)
        raise
    log.info("jupyter %s ready on port %d (root %s)", flavour, port, root)
    return server


def _wait_until_ready(server: JupyterServer) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"jupyter {server.flavour} exited with {server.process.returncode}:\n{server.log_tail()}"
            )
        with contextlib.suppress(OSError):
            status = server.api("GET", "api/status")
            if isinstance(status, dict):
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"jupyter {server.flavour} did not answer:\n{server.log_tail()}")
        time.sleep(0.2)


def stop_jupyter(server: JupyterServer) -> None:
    """Stop the server cleanly (kernels first, via the API); kill it if it will not stop."""
    if server.process.poll() is None:
        # Kernels run in sessions of their own; collect them now so that even the forced
        # path below can end them by pid.
        children = _descendants(server.process.pid)
        with contextlib.suppress(OSError):
            server.api("POST", "api/shutdown")
        try:
            server.process.wait(timeout=SERVER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            log.warning("jupyter %s did not stop; killing it", server.flavour)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.process.pid, signal.SIGKILL)
            for pid in children:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            server.process.wait(timeout=SERVER_STOP_SECONDS)


def _descendants(pid: int) -> list[int]:
    """Every live descendant of *pid*, from Linux's ``/proc`` (empty elsewhere)."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        for children_file in Path(f"/proc/{parent}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                kids = [int(k) for k in children_file.read_text().split()]
                found += kids
                pending += kids
    return found


@contextlib.contextmanager
def running_jupyter(flavour: Flavour, root: Path, state_dir: Path) -> Iterator[JupyterServer]:
    """``with running_jupyter("lab", root, state) as server:``; always stopped afterwards."""
    server = start_jupyter(flavour, root, state_dir)
    try:
        yield server
    finally:
        stop_jupyter(server)


# --- in the page: what a learner does -------------------------------------------------

# True once Run All has finished: every code cell shows "[n]:", or nothing is queued or
# running any more and an error output is on the page (Run All stops at the first error
# and leaves the cells after it at "[ ]:").
_RUN_FINISHED_JS = """
() => {
  const nb = [...document.querySelectorAll('.jp-Notebook')].find(n => n.checkVisibility());
  if (!nb) return false;
  const prompts = [...nb.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
    .map(p => p.textContent.trim());
  if (prompts.length === 0) return false;
  if (prompts.every(p => /^\\[\\d+\\]:$/.test(p))) return true;
  const running = prompts.some(p => p.includes('*'));
  const errored = [...nb.querySelectorAll(
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
    .some(o => o.textContent.includes('Traceback') || /^\\w*(Error|Exception)\\b/m.test(o.textContent));
  return !running && errored;
}
"""

# Everything on the page that means "this would look broken to a learner".
_PROBLEMS_JS = """
() => {
  const problems = [];
  const nb = [...document.querySelectorAll('.jp-Notebook')].find(n => n.checkVisibility());
  if (!nb) return ['no notebook visible on the page'];
  nb.querySelectorAll('.jp-CodeCell').forEach((cell, i) => {
    const prompt = cell.querySelector('.jp-InputArea-prompt')?.textContent.trim() ?? '';
    if (!/^\\[\\d+\\]:$/.test(prompt)) problems.push(`code cell ${i + 1} did not run (${prompt})`);
  });
  nb.querySelectorAll(
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').forEach(o => {
    const text = o.textContent;
    if (text.includes('Traceback') || /^\\w*(Error|Exception)\\b/m.test(text))
      problems.push('error output: ' + text.trim().split('\\n').slice(-3).join(' | '));
  });
  nb.querySelectorAll('.jp-OutputArea-output').forEach(o => {
    if (o.textContent.includes('Error displaying widget'))
      problems.push('widget not displayed: ' + o.textContent.trim().slice(0, 200));
  });
  if (nb.querySelector('.jupyter-widgets-error-widget'))
    problems.push('a widget failed to render (ipywidgets error view: model or view class missing)');
  return problems;
}
"""


def current_notebook(page: Page) -> Locator:
    """The notebook the learner is looking at (JupyterLab keeps other tabs in the DOM)."""
    return page.locator(".jp-Notebook:visible")


def open_notebook(page: Page, server: JupyterServer, name: str) -> None:
    """Open notebook *name* like a learner and wait until its kernel is up and idle."""
    page.set_default_timeout(UI_MS)
    page.goto(server.notebook_url(name))
    expect(current_notebook(page).locator(".jp-Cell").first).to_be_visible()
    server.wait_for_kernel_idle(name)


def click_menu(page: Page, menu: str, item: str) -> None:
    """Click *item* in the main menu bar's *menu*, as in ``Run ▸ Run All Cells``."""
    page.locator(".lm-MenuBar-item").filter(has_text=re.compile(rf"^{re.escape(menu)}$")).click()
    page.get_by_role("menuitem", name=item, exact=True).click()


def run_all(page: Page, server: JupyterServer, name: str) -> None:
    """Clear every output, then Run All, and wait until the run finished and went idle.

    Outputs are cleared first because lesson notebooks are stored with outputs (nbval
    compares them): stored execution counts would look like a finished run, and a stored
    widget view has no live model behind it until its cell runs again.
    """
    click_menu(page, "Edit", "Clear Outputs of All Cells")
    expect(current_notebook(page).locator(".jp-OutputArea-output")).to_have_count(0)
    click_menu(page, "Run", "Run All Cells")
    page.wait_for_function(_RUN_FINISHED_JS, timeout=RUN_ALL_MS)
    server.wait_for_kernel_idle(name)
    # Widget views render asynchronously after their output arrives.
    expect(current_notebook(page).get_by_text("Loading widget...")).to_have_count(0)


def notebook_problems(page: Page) -> list[str]:
    """What a learner would see as broken: unrun cells, tracebacks, widgets not displayed."""
    problems: list[str] = page.evaluate(_PROBLEMS_JS)
    return problems


def assert_notebook_healthy(page: Page, *, min_controls: int = 1) -> None:
    """Assert every code cell ran, no error output, and at least *min_controls* visible controls.

    A control is a widget button or text field: something a learner operates (lesson 09's
    record editor is text fields only).

    Raises ``AssertionError`` naming each problem; a broken widget (model or view the
    frontend cannot find) is one of them. ``min_controls=0`` is for notebooks without widgets.
    """
    problems = notebook_problems(page)
    assert not problems, "notebook is broken in the browser:\n- " + "\n- ".join(problems)
    if min_controls == 0:
        return
    # Only shown controls count (a lab may hide one until its choice needs it).
    controls = current_notebook(page).locator(".widget-button:visible, .widget-text:visible")
    expect(controls.first).to_be_visible()
    visible = sum(1 for control in controls.all() if control.is_visible())
    assert visible >= min_controls, f"{visible} widget controls visible, expected {min_controls}+"


_SCROLL_TO_TOP_JS = """
() => {
  const panels = [...document.querySelectorAll('.jp-WindowedPanel-outer')]
    .filter(e => e.checkVisibility());
  panels.forEach(e => { e.scrollTop = 0; });
  return Math.max(...panels.map(e => e.scrollHeight), 0);
}
"""


# True once the notebook's scrolling panel shows every cell, first to last, none scrolled
# away (its height also holds JupyterLab's empty room to scroll past the end).
_WHOLE_NOTEBOOK_SHOWN_JS = """
() => [...document.querySelectorAll('.jp-WindowedPanel-outer')].filter(e => e.checkVisibility())
  .every(outer => {
    const cells = outer.querySelectorAll('.jp-Cell');
    if (cells.length === 0) return true;
    const shown = outer.getBoundingClientRect();
    return cells[0].getBoundingClientRect().top >= shown.top - 1
      && cells[cells.length - 1].getBoundingClientRect().bottom <= shown.bottom + 1;
  })
"""


@contextlib.contextmanager
def whole_notebook_in_view(page: Page) -> Iterator[None]:
    """Within the block the viewport is as tall as the notebook, scrolled to its top.

    axe judges only what is on screen for its visual rules (contrast, links told apart
    from text): a cell scrolled out of the notebook's panel would pass unchecked.
    """
    viewport = page.viewport_size or {"width": 1280, "height": 1000}
    height: int = page.evaluate(_SCROLL_TO_TOP_JS)
    page.set_viewport_size({"width": viewport["width"], "height": max(viewport["height"], height + 300)})
    try:
        # The lab lays its panels out again on the next frames, not at once: wait for it.
        page.wait_for_function(_WHOLE_NOTEBOOK_SHOWN_JS)
        yield
    finally:
        page.set_viewport_size(viewport)


def save_screenshot(page: Page, name: str) -> Path:
    """Save the whole notebook (not just the viewport) as ``test-artifacts/screenshots/<name>.png``.

    The notebook scrolls inside its own panel, so a "full page" screenshot would cut it off;
    the viewport is grown to the notebook's height for the shot and then restored.
    """
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    viewport = page.viewport_size or {"width": 1280, "height": 1000}
    # Run All leaves the notebook scrolled to its last cell: start the picture at the top.
    content_height: int = page.evaluate(_SCROLL_TO_TOP_JS)
    extra = max(0, content_height - viewport["height"] + 300)
    # Chromium cannot capture much beyond 16k pixels in one shot.
    height = min(viewport["height"] + extra, 16_000)
    page.set_viewport_size({"width": viewport["width"], "height": height})
    try:
        page.screenshot(path=str(path))
    finally:
        page.set_viewport_size(viewport)
    return path


def save_widget_screenshot(page: Page, name: str) -> Path | None:
    """Save the notebook's first widget view as ``<name>-widget.png`` (None if it has none).

    Long lessons do not fit one whole-notebook shot; this one shows the widgets up close.
    """
    widget = current_notebook(page).locator(".jp-OutputArea-output:has(> .jupyter-widgets)")
    if widget.count() == 0:
        return None
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}-widget.png"
    viewport = page.viewport_size or {"width": 1280, "height": 1000}
    box = widget.first.bounding_box()
    # A widget taller than the viewport would be stitched from scrolled pieces, with the
    # lab's menu bar painted across it: make room for all of it first.
    needed = int(box["height"]) + 400 if box else viewport["height"]
    height = min(max(needed, viewport["height"]), 16_000)
    page.set_viewport_size({"width": viewport["width"], "height": height})
    try:
        widget.first.scroll_into_view_if_needed()
        widget.first.screenshot(path=str(path))
    finally:
        page.set_viewport_size(viewport)
    return path


def run_notebook_like_a_learner(
    page: Page, server: JupyterServer, name: str, *, screenshot: str, min_controls: int = 1
) -> None:
    """Open *name*, Run All, save screenshots, then assert it is healthy (see above).

    The screenshot is taken even when the run fails or times out, so a failure leaves its
    picture in ``test-artifacts/screenshots/`` too.
    """
    open_notebook(page, server, name)
    try:
        run_all(page, server, name)
    finally:
        save_screenshot(page, screenshot)
        save_widget_screenshot(page, screenshot)
    assert_notebook_healthy(page, min_controls=min_controls)
