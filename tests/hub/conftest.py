"""Fixtures for the JupyterHub tests: one real Hub (and proxy) for the module's tests.

Without ``jupyterhub`` (PyPI), ``jupyterhub-singleuser`` beside this interpreter or
``configurable-http-proxy`` (npm) these tests skip, with the reason, unless ``CI=true``:
then they fail, because `.ci/run` installs all three and a skip there would hide a broken setup.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .hub import PROXY_PREFIX, RunningHub, find_proxy, find_singleuser, running_hub


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}. CI=true, so this fails instead of skipping.", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHub]:
    if importlib.util.find_spec("jupyterhub") is None or find_singleuser() is None:
        _skip_or_fail("jupyterhub is not installed in this environment (pip install jupyterhub)")
    proxy = find_proxy()
    if proxy is None:
        _skip_or_fail(
            "configurable-http-proxy not found on PATH or under "
            f"{PROXY_PREFIX} (npm install --prefix {PROXY_PREFIX} configurable-http-proxy@5)"
        )
    assert proxy is not None
    state = Path(tmp_path_factory.mktemp("jupyterhub"))
    with running_hub(state, proxy) as running:
        yield running
