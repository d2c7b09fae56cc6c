"""Every Python a class has: pip accepts any Python from the floor up, and the core suite passes on each.

``requires-python`` has a floor and no ceiling: a cap makes pip refuse to install on the
next release (3.14 this year) long before anything breaks there. The versions we test are
in the classifiers. The slow test installs smtplearn into a throwaway venv for every
*other* interpreter on the machine (pyenv's, else ``pythonX.Y`` on PATH; the one running
this test already runs the whole suite) and runs the core suite there, then prints which
interpreters ran and which were not found.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import pytest
from find_python import find_python
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[2]
#: The suite that needs no Jupyter and no browser: the protocol, client, server and renderers.
CORE_SUITE = (
    "tests/protocol",
    "tests/client",
    "tests/server",
    "tests/render",
    "tests/explain",
    # The theme test also checks the widgets' HTML, which needs ipywidgets: not the core.
    "--ignore=tests/render/test_theme.py",
)
#: Test-only packages the core suite imports (their ranges come from the dev extra).
CORE_TEST_PACKAGES = ("pytest", "pytest-timeout", "hypothesis")
#: Versions newer than the classifiers that the test also runs on when the machine has them.
NEWER = ("3.14", "3.15")


def _project() -> dict[str, object]:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    if sys.version_info >= (3, 11):
        import tomllib

        project: dict[str, object] = tomllib.loads(text)["project"]
        return project
    pytest.skip("reading pyproject.toml needs tomllib (Python 3.11+)")  # only the 3.10 core runs


def _classifier_versions(project: dict[str, object]) -> list[str]:
    classifiers = project["classifiers"]
    assert isinstance(classifiers, list)
    found = (re.fullmatch(r"Programming Language :: Python :: (3\.\d+)", c) for c in classifiers)
    return sorted((m[1] for m in found if m), key=lambda v: tuple(map(int, v.split("."))))


def test_requires_python_has_a_floor_and_no_ceiling() -> None:
    project = _project()
    specifier = SpecifierSet(str(project["requires-python"]))
    tested = _classifier_versions(project)
    assert tested, "the classifiers should name every Python version the suite runs on"
    assert not specifier.contains("3.9"), "the floor is gone"
    for version in [*tested, *NEWER, "4.0"]:
        assert specifier.contains(version), f"pip would refuse to install smtplearn on Python {version}"
    lowest = tested[0]
    previous = f"3.{int(lowest.split('.')[1]) - 1}"
    assert not specifier.contains(previous), f"the floor ({specifier}) should match the lowest classifier"


# --- the core suite on every other interpreter ---------------------------------------------


def _core_requirements(project: dict[str, object]) -> list[str]:
    extras = project["optional-dependencies"]
    assert isinstance(extras, dict)
    wanted = {Requirement(line).name: line for line in extras["dev"]}
    return [wanted[name] for name in CORE_TEST_PACKAGES]


@dataclass
class CoreRun:
    version: str
    python: Path
    summary: str = ""
    returncode: int | None = None
    output: str = ""
    install_seconds: float = 0.0
    seconds: float = 0.0


def _clean_environment() -> dict[str, str]:
    """This process's environment minus what would make the venv import our interpreter's packages.

    CI is dropped too: the hypothesis 2,000-example profile runs once, on the main
    interpreter; here the 200-example one checks the same properties.
    """
    dropped = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PIP_USER", "CI", "PYTHONSTARTUP"}
    return {k: v for k, v in os.environ.items() if k not in dropped}


def _install(run: CoreRun, venv: Path, requirements: list[str]) -> None:
    """A throwaway venv with smtplearn (editable, so pip checks requires-python) and the test tools.

    The venv gets no pip of its own (ensurepip is the slowest part of making one): this
    interpreter's pip installs into it with ``--python``, running under the venv's Python.
    """
    started = time.perf_counter()
    env = _clean_environment()
    subprocess.run([str(run.python), "-m", "venv", "--without-pip", str(venv)], check=True, env=env)
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet"]
    pip.append("--disable-pip-version-check")
    result = subprocess.run(
        [*pip, "-e", str(ROOT), *requirements], capture_output=True, text=True, env=env, cwd=venv
    )
    assert result.returncode == 0, f"pip install on Python {run.version} failed:\n{result.stderr[-3000:]}"
    run.install_seconds = time.perf_counter() - started


#: Warning filters (one per line, module names as regexes) for the runs on other interpreters.
_DEPRECATIONS_ARE_ERRORS = "error::DeprecationWarning:smtplearn\nerror::PendingDeprecationWarning:smtplearn"


def _run_core_suite(run: CoreRun, venv: Path, basetemp: Path) -> None:
    started = time.perf_counter()
    result = subprocess.run(
        [
            str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
            # The project's addopts load nbval, which the core suite neither needs nor installs.
            "-o", "addopts=-ra --strict-markers", f"--basetemp={basetemp}",
            # What Python deprecates it removes two releases later: smtplearn's own use of
            # a deprecated API fails here, before the release that removes it arrives. (The
            # ini form, because -W matches the module name exactly, not as a prefix.)
            "-o", f"filterwarnings={_DEPRECATIONS_ARE_ERRORS}",
            *CORE_SUITE,
        ],
        cwd=ROOT, capture_output=True, text=True, env=_clean_environment(),
    )  # fmt: skip
    run.seconds = time.perf_counter() - started
    run.returncode, run.output = result.returncode, result.stdout + result.stderr
    summaries = [line for line in result.stdout.splitlines() if re.search(r"\d+ (passed|failed)", line)]
    run.summary = re.sub(r" in [\d.]+s.*", "", summaries[-1].strip("= ")) if summaries else "no summary"


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_core_suite_passes_on_every_other_interpreter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project()
    current = f"{sys.version_info.major}.{sys.version_info.minor}"
    wanted = [v for v in [*_classifier_versions(project), *NEWER] if v != current]
    found = {version: find_python(version) for version in wanted}
    runs = [CoreRun(version, python) for version, python in found.items() if python is not None]
    missing = [v for v, python in found.items() if python is None and v not in NEWER]
    if missing:
        reason = f"no interpreter found for Python {', '.join(missing)} (pyenv or pythonX.Y on PATH)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}. CI=true, so this fails instead of skipping.", pytrace=False)
        pytest.skip(reason)

    requirements = _core_requirements(project)
    # Venvs and installs in parallel (mostly waiting on the index); each suite as soon as its
    # venv is ready, one at a time, since the server tests run real concurrent sessions and two
    # cores are all there is.
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(runs)) as pool:
        installs = {pool.submit(_install, r, tmp_path / f"venv-{r.version}", requirements): r for r in runs}
        for future in as_completed(installs):
            future.result()
            run = installs[future]
            _run_core_suite(run, tmp_path / f"venv-{run.version}", tmp_path / f"pytest-{run.version}")
    seconds = time.perf_counter() - started

    with capsys.disabled():
        print(f"\ncore suite ({' '.join(CORE_SUITE)}) on every other interpreter, {seconds:.0f} s in all:")
        print(f"  Python {current}: this interpreter, runs the whole suite")
        for run in runs:
            print(
                f"  Python {run.version} ({run.python}): {run.summary} in {run.seconds:.0f} s"
                f" (venv and install {run.install_seconds:.0f} s)"
            )
        for version in (v for v, python in found.items() if python is None):
            print(f"  Python {version}: not on this machine")
    failed = {run.version: run.output[-6000:] for run in runs if run.returncode != 0}
    assert failed == {}, "\n\n".join(f"--- Python {v} ---\n{out}" for v, out in failed.items())
