"""B4's server process: a DebugServer or aiosmtpd's `Sink`, alone in its own process.

Run as ``python server_child.py debug|sink``. It prints ``{"port": N}`` when ready, serves
until its standard input closes, then prints what it stored and its peak memory as JSON.
A process of its own keeps the load generator's work out of the server's GIL and its
memory figures.
"""

from __future__ import annotations

import json
import socket
import sys
from collections import Counter


def rss_kib(field: str) -> int:
    """VmRSS (now) or VmHWM (peak) of this process, in KiB (Linux)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(kind: str) -> None:
    if kind == "debug":
        from smtplearn.server import DebugServer

        server = DebugServer(tls=False, max_sessions=1000, max_sessions_per_address=1000)
        server.start()
        port = server.port
        stop = server.stop
    else:
        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Sink

        # aiosmtpd's Controller cannot listen on port 0, so ask the OS for a free one first.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        controller = Controller(Sink(), hostname="127.0.0.1", port=port)
        controller.start()
        stop = controller.stop
    baseline = rss_kib("VmRSS")
    print(json.dumps({"port": port}), flush=True)
    sys.stdin.read()
    report: dict[str, object] = {"baseline_kib": baseline, "peak_kib": rss_kib("VmHWM")}
    if kind == "debug":
        ids = Counter(str(m.message["X-Bench-Id"]) for m in server.mailbox)
        report["stored"] = len(server.mailbox)
        report["distinct"] = len(ids)
        report["duplicated"] = sum(1 for n in ids.values() if n > 1)
    stop()
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
