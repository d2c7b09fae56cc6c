"""Running a notebook edition top to bottom in a fresh kernel, with this checkout's smtplearn."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from smtplearn.exercises.blanking import cell_location

#: This checkout (the kernel imports its smtplearn first).
CHECKOUT_ROOT = Path(__file__).resolve().parents[2]


class CellExecutionFailed(RuntimeError):
    """A cell raised while a notebook was executed; the message names the notebook and cell."""


def kernel_environment(root: Path = CHECKOUT_ROOT) -> dict[str, str]:
    """The kernel's environment: this checkout's smtplearn first, and no classroom server.

    The stored outputs are those of a notebook with its own DebugServer, which is what
    nbval reproduces; a classroom's SMTPLEARN_SERVER in the maintainer's shell must not leak in.
    """
    from smtplearn.lesson import ENV_CA, ENV_SERVER

    env = {key: value for key, value in os.environ.items() if key not in {ENV_SERVER, ENV_CA}}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH", "")]))
    return env


def execute(
    notebook: dict[str, Any], *, cwd: Path, env: dict[str, str], name: str = "notebook", timeout: int = 300
) -> dict[str, Any]:
    """`notebook` run top to bottom in a fresh python3 kernel started in `cwd` with `env`.

    Returns the executed copy; raises `CellExecutionFailed` naming the first cell that raised.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    # Through JSON, so a notebook read with plain json (sources as lists of lines) runs as well.
    executed = nbformat.reads(json.dumps(notebook), as_version=4)  # type: ignore[no-untyped-call]
    client = NotebookClient(
        executed,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
        record_timing=False,  # a timestamp per cell would change every file on every run
        store_widget_state=False,  # widget models are new objects every run; the views say enough
    )
    try:
        # The kernel's own log (its "running over TCP" notice) is not the notebook's output.
        client.execute(env=env, stderr=subprocess.DEVNULL)
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
        failed = next(
            (
                (index, cell)
                for index, cell in enumerate(executed.cells)
                if any(o.get("output_type") == "error" for o in cell.get("outputs", []))
            ),
            None,
        )
        where = cell_location(name, *failed) if failed else name
        raise CellExecutionFailed(f"{where} raised:\n{error}") from None
    result: dict[str, Any] = executed
    return result
