"""B5: DebugServer start-to-ready with TLS, `import smtplearn` time, nbval wall time.

Imports are timed in fresh interpreters (a warm `sys.modules` would hide the cost);
the server is timed in this process, from `start()` until it accepts connections,
which `DebugServer.start()` guarantees on return.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from common import Row, median

from smtplearn.server import DebugServer

ROOT = Path(__file__).resolve().parent.parent

#: Modules whose presence after `import smtplearn` would mean Jupyter was dragged in.
JUPYTER_MODULES = ("IPython", "ipywidgets", "ipykernel", "jupyter_client", "traitlets", "comm")

_IMPORT_PROBE = """
import json, sys, time
started = time.perf_counter()
import smtplearn
elapsed = time.perf_counter() - started
jupyter = sorted(m for m in sys.modules if m.split(".")[0] in {names!r})
print(json.dumps({{"seconds": elapsed, "jupyter": jupyter}}))
"""


def server_start_seconds(times: int) -> list[float]:
    seconds = []
    for _ in range(times):
        server = DebugServer(tls="starttls")
        started = time.perf_counter()
        server.start()
        seconds.append(time.perf_counter() - started)
        server.stop()
    return seconds


def import_seconds(times: int) -> tuple[list[float], list[str]]:
    code = _IMPORT_PROBE.format(names=set(JUPYTER_MODULES))
    seconds, jupyter = [], []
    for _ in range(times):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        probe = json.loads(out.stdout)
        seconds.append(probe["seconds"])
        jupyter = probe["jupyter"]
    return seconds, jupyter


def nbval_seconds() -> tuple[float, int, int]:
    """Wall time of pytest --nbval over every notebook; (seconds, exit code, notebook count)."""
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not notebooks:
        return 0.0, 0, 0
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "-q", "-p", "no:cacheprovider", *map(str, notebooks)],
        cwd=ROOT,
        capture_output=True,
    )
    return time.perf_counter() - started, done.returncode, len(notebooks)


def rows(times: int, nbval: bool) -> list[Row]:
    start = server_start_seconds(times)
    start_ms = median(start) * 1000
    imports, jupyter = import_seconds(max(3, times // 2))
    import_ms = median(imports) * 1000
    result = [
        Row(
            "B5",
            f"DebugServer start-to-ready, TLS (median of {times})",
            f"{start_ms:.0f} ms",
            "< 150 ms",
            start_ms < 150,
            f"max {max(start) * 1000:.0f} ms",
        ),
        Row(
            "B5",
            f"import smtplearn (median of {len(imports)})",
            f"{import_ms:.0f} ms",
            "< 150 ms, no Jupyter",
            import_ms < 150 and not jupyter,
            "Jupyter modules: " + (", ".join(jupyter) or "none"),
        ),
    ]
    if not nbval:
        result.append(Row("B5", "nbval, all notebooks", "skipped", "< 90 s", None, "--quick or --no-nbval"))
        return result
    seconds, code, count = nbval_seconds()
    if count == 0:
        result.append(Row("B5", "nbval, all notebooks", "no notebooks yet", "< 90 s", None))
    else:
        result.append(
            Row(
                "B5",
                f"nbval, all {count} notebooks",
                f"{seconds:.1f} s",
                "< 90 s",
                seconds < 90 and code == 0,
                f"pytest exit code {code}",
            )
        )
    return result
