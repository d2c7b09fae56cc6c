"""Binder-equivalent: a fresh environment built only from ``binder/`` runs the notebooks.

mybinder.org builds images with repo2docker, which cannot run here (no Docker). This test
repeats what repo2docker does with *our* files, in its order and from the same directory:

1. A ``binder/`` folder exists, so repo2docker reads only the files in it; it does not
   install the repository's ``pyproject.toml`` by itself.
2. ``runtime.txt`` says ``python-3.11``: the environment gets Python 3.11 (repo2docker: a
   conda env; here: a venv from pyenv's 3.11, the closest thing on these machines).
3. ``${KERNEL_PYTHON_PREFIX}/bin/pip install --no-cache-dir -r binder/requirements.txt``,
   run from the repository root (the kernel and the server share one env for Python >= 3.7).
4. ``./binder/postBuild``, made executable and run from the repository root, with the env's
   ``bin`` first on PATH.

Then the test harness, which is *not* part of the Binder image (pytest and nbval), goes into
the same venv, and ``pytest --nbval --nbval-current-env`` runs the copied notebooks, so every
kernel is that venv's Python. A fixture notebook always runs too: it proves the kernel is the
venv's and that smtplearn and ipywidgets came from the Binder install, even with no lessons.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from find_python import find_python
from notebook_json import notebook as notebook_skeleton
from packaging.requirements import Requirement

REPO_ROOT = Path(__file__).resolve().parents[2]
BINDER_DIR = REPO_ROOT / "binder"

#: What a repository checkout would not contain (or what repo2docker's copy would not need).
_NOT_IN_A_CHECKOUT = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache",
    ".hypothesis", ".ipynb_checkpoints", "test-artifacts", "build", "dist", "*.egg-info",
)  # fmt: skip
#: The test harness: installed after the Binder steps, never part of the Binder image.
_HARNESS = ("pytest", "nbval")


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}. CI=true, so this fails instead of skipping.", pytrace=False)
    pytest.skip(reason)


def _runtime_version() -> str:
    """The ``major.minor`` that ``binder/runtime.txt`` asks for (repo2docker reads x.y)."""
    runtime = (BINDER_DIR / "runtime.txt").read_text(encoding="utf-8").strip()
    match = re.fullmatch(r"python-(\d+)\.(\d+)(?:\.\d+)?", runtime)
    assert match, f"binder/runtime.txt should read python-3.x, not {runtime!r}"
    return f"{match[1]}.{match[2]}"


def _requirement_set(lines: list[str]) -> set[str]:
    return {str(Requirement(line)) for line in lines}


def _read_binder_requirements() -> list[str]:
    lines = (BINDER_DIR / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_binder_requirements_match_pyproject() -> None:
    """binder/requirements.txt pins what pyproject.toml declares, range for range."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+; CI runs 3.11
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = project["project"]["dependencies"] + project["project"]["optional-dependencies"]["notebooks"]
    assert _requirement_set(_read_binder_requirements()) == _requirement_set(declared)


def test_binder_post_build_is_an_executable_bash_script() -> None:
    post_build = BINDER_DIR / "postBuild"
    assert post_build.read_text(encoding="utf-8").startswith("#!/bin/bash\n")
    assert os.access(post_build, os.X_OK), "git should keep postBuild's executable bit"


# --- the fresh environment ---------------------------------------------------------------


def _code(source: str, output: str, count: int) -> dict[str, Any]:
    return {
        "cell_type": "code", "execution_count": count, "metadata": {}, "source": source,
        "outputs": [{"name": "stdout", "output_type": "stream", "text": output}],
    }  # fmt: skip


def _fixture_notebook() -> dict[str, Any]:
    """Stored outputs that nbval compares: each line holds only if the Binder env is right."""
    cells = [
        # The kernel is the fresh venv's Python, not the developer's.
        _code(
            "import os, sys\n"
            "print(os.path.realpath(sys.prefix) == os.environ['BINDER_TEST_PREFIX'])",
            "True\n", 1,
        ),
        # smtplearn came from postBuild's install into the venv, not from the checkout.
        _code(
            "import smtplearn\n"
            "print(os.path.realpath(smtplearn.__file__).startswith(os.environ['BINDER_TEST_PREFIX']))",
            "True\n", 2,
        ),
        # The widget stack the lessons use, and a click handler that runs in the kernel.
        _code(
            "import ipywidgets, aiosmtpd, trustme\n"
            "b = ipywidgets.Button(description='Click me')\n"
            "out = ipywidgets.Output()\n"
            "b.on_click(lambda _b: out.append_stdout('clicked\\n'))\n"
            "b.click()\n"
            "print(ipywidgets.__version__.split('.')[0], out.outputs)",
            "8 ({'output_type': 'stream', 'name': 'stdout', 'text': 'clicked\\n'},)\n", 3,
        ),
    ]  # fmt: skip
    return notebook_skeleton(cells, "binder-fixture")


def _environment(venv: Path, scratch: Path) -> dict[str, str]:
    """Like a shell in the image: the venv first on PATH; Jupyter's writable dirs in *scratch*.

    HOME stays, because the machine's pip configuration (its index) lives there; every
    cache goes to *scratch* instead, so nothing is cached outside the test's tmp dir.
    """
    env = {
        k: v for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "JUPYTER_PATH", "PIP_USER"}
    }  # fmt: skip
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
                 "XDG_CACHE_HOME", "MPLCONFIGDIR"):  # fmt: skip
        path = scratch / name.lower()
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    env["PIP_CACHE_DIR"] = str(scratch / "pip-cache")
    env["BINDER_TEST_PREFIX"] = os.path.realpath(venv)
    return env


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run a build step; on failure, fail with its output (pip's reason is the useful part)."""
    done = subprocess.run(
        argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"{' '.join(argv)} exited {done.returncode} in {cwd}:\n{done.stdout[-6000:]}")
    return done.stdout


def _freeze(venv: Path, cwd: Path, env: dict[str, str]) -> set[str]:
    out = _run([str(venv / "bin" / "python"), "-m", "pip", "freeze", "--all"], cwd, env)
    return {line for line in out.splitlines() if line and not line.startswith("smtplearn")}


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_a_fresh_binder_environment_runs_the_notebooks(tmp_path: Path) -> None:
    version = _runtime_version()
    python = find_python(version)
    if python is None:
        _skip_or_fail(f"no Python {version} (binder/runtime.txt) found in pyenv or on PATH")
    assert python is not None

    # repo2docker builds from a checkout of the repository; this copy stands in for it.
    repo = tmp_path / "repo"
    shutil.copytree(REPO_ROOT, repo, ignore=_NOT_IN_A_CHECKOUT)
    venv = tmp_path / "binder-venv"
    env = _environment(venv, tmp_path / "scratch")

    _run([str(python), "-m", "venv", str(venv)], tmp_path, env)
    _run([str(venv / "bin" / "pip"), "install", "--no-cache-dir", "-r", "binder/requirements.txt"],
         repo, env)  # fmt: skip
    post_build = repo / "binder" / "postBuild"
    post_build.chmod(post_build.stat().st_mode | 0o111)
    _run(["./binder/postBuild"], repo, env)
    # A learner's Binder shows the student edition; the solutions are not in its file browser.
    assert (repo / "notebooks" / "00-start-here.ipynb").is_file()
    assert not (repo / "instructor").exists()
    # ...while the installed wheel still carries both editions for `smtplearn notebooks`.
    shipped = _run(
        [str(venv / "bin" / "python"), "-c", "from smtplearn.notebook_files import notebooks_source as s; "
         "print(*(len(list(s(e).glob('*.ipynb'))) for e in ('student', 'instructor')), s('instructor'))"],
        tmp_path, env,
    )  # fmt: skip
    lessons = str(len(list((REPO_ROOT / "instructor").glob("*.ipynb"))))
    assert shipped.split()[:2] == [lessons, lessons], shipped
    assert "/site-packages/smtplearn/_instructor" in shipped, shipped

    # The Binder image as built: the frontend's widget manager is installed and enabled
    # (without it every widget reads "Error displaying widget"), the kernel side imports.
    extensions = _run([str(venv / "bin" / "jupyter"), "labextension", "list"], repo, env)
    assert re.search(r"@jupyter-widgets/jupyterlab-manager v\S+ \S*enabled", extensions), extensions
    built = _freeze(venv, repo, env)

    _run([str(venv / "bin" / "pip"), "install", "--no-cache-dir", *_HARNESS], repo, env)
    # The harness added packages but changed none the Binder install chose, so what runs
    # below is what Binder would run.
    assert built <= _freeze(venv, repo, env), "the test harness changed the Binder environment"

    fixture = tmp_path / "fixture" / "binder-fixture.ipynb"
    fixture.parent.mkdir()
    fixture.write_text(json.dumps(_fixture_notebook(), indent=1), encoding="utf-8")
    notebooks = repo / "notebooks"
    targets = [str(fixture)]
    if any(notebooks.glob("*.ipynb")):
        targets.append(str(notebooks))
    ini = tmp_path / "pytest.ini"
    ini.write_text("[pytest]\n", encoding="utf-8")  # not the project's config: no dev plugins
    argv = [
        str(venv / "bin" / "python"), "-m", "pytest", "--nbval", "--nbval-current-env",
        "-p", "no:cacheprovider", "-c", str(ini), "--rootdir", str(tmp_path), "-q", "-rA",
        *targets,
    ]  # fmt: skip
    sanitize = notebooks / "sanitize.cfg"
    if sanitize.is_file():
        argv += ["--nbval-sanitize-with", str(sanitize)]
    report = _run(argv, tmp_path, env)

    # Every notebook really ran (-rA lists each passed cell as "PASSED <path>::Cell n").
    for notebook in [fixture, *sorted(notebooks.glob("*.ipynb"))]:
        assert f"{notebook.name}::Cell" in report, f"{notebook.name} did not run:\n{report}"
