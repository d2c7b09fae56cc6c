"""B6: a class of students at once against `smtplearn server`, run as an instructor would.

The server is the real command (``smtplearn server --port 0 --maildir DIR``) in a process of
its own; this process runs one thread per student, released together by a barrier. Each
student connects, says EHLO, STARTTLS (trusting the CA the server prints), EHLO, AUTH with
the demo account, sends one message with a unique X-Bench-Id, and QUITs: with
`smtplearn.Client`, and with stdlib smtplib as the named peer.

All students come from 127.0.0.1, as a class behind one NAT address does. The defaults (400
sessions, 300 per address) take them all at once. The other variant starts the server with
the caps it had before (200, 100 per address), so most students are first refused with
``421 4.7.0``. A 421 is transient (4yz, RFC 5321 §4.2.1), so in both variants a student who
gets one at the greeting does what a real client does: waits and tries again, with
exponential backoff and jitter. Each student's time runs from the barrier to its QUIT,
retries included. Messages are counted in the server's Maildir, by X-Bench-Id.
"""

from __future__ import annotations

import random
import re
import smtplib
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_binary_file
from pathlib import Path

from common import Row, make_message, ratio

from smtplearn import Client
from smtplearn.server import DEMO_PASSWORD, DEMO_USER

#: The caps before they were sized for a class of 300: 100 sessions per address, 200 in all.
OLD_CAPS = ("--max-sessions-per-address", "100", "--max-sessions", "200")
#: A student's attempts before giving up (about 50 s of waiting in all, as the server may take
#: seconds to drain a class), and the first backoff (doubled each time, jittered).
ATTEMPTS = 10
FIRST_BACKOFF = 0.05
#: The target the issue sets for p95 of one student's time, in seconds.
P95_TARGET = 2.0
LISTENING = re.compile(r"listening on ([\d.]+):(\d+)")
CA_LINE = re.compile(r"CA certificate: (\S+)")


class Refused(Exception):
    """The server greeted with 421 (over a connection cap): try again later."""


@dataclass
class ServerProcess:
    host: str
    port: int
    ca_path: str
    pid: int
    maildir: Path
    baseline_kib: int = 0
    peak_kib: int = 0


def _status_kib(pid: int, field_name: str) -> int:
    """VmRSS (now) or VmHWM (peak) of process `pid`, in KiB, from /proc (Linux)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return 0


@contextmanager
def smtplearn_server(extra: tuple[str, ...]) -> Iterator[ServerProcess]:
    """``smtplearn server`` in its own process; yields where it listens, then its memory."""
    with tempfile.TemporaryDirectory(prefix="b6-maildir-") as maildir:
        command = [
            sys.executable,
            "-c",
            "import sys; from smtplearn.cli import main; sys.exit(main())",
            "server",
            "--port",
            "0",
            "--maildir",
            maildir,
            *extra,
        ]
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert child.stdout is not None
        try:
            address = ca = None
            while address is None or ca is None:
                line = child.stdout.readline()
                if not line:
                    raise RuntimeError(f"smtplearn server exited before listening: {command}")
                address = address or LISTENING.search(line)
                ca = ca or CA_LINE.search(line)
            # The console prints every session; keep reading so its pipe never fills.
            drain = threading.Thread(target=child.stdout.read, daemon=True)
            drain.start()
            server = ServerProcess(address[1], int(address[2]), ca[1], child.pid, Path(maildir))
            server.baseline_kib = _status_kib(child.pid, "VmRSS")
            yield server
            server.peak_kib = _status_kib(child.pid, "VmHWM")
        finally:
            child.terminate()
            child.wait(30)


def _smtplearn_student(server: ServerProcess, context: ssl.SSLContext, tag: str) -> None:
    with Client(server.host, server.port, tls_context=context, timeout=60) as client:
        if client.transcript[-1].replies[-1].code == 421:
            raise Refused
        client.ehlo().raise_for_reply()
        client.starttls().raise_for_reply()
        client.ehlo().raise_for_reply()
        client.login(DEMO_USER, DEMO_PASSWORD).raise_for_reply()
        sent = client.send_message(make_message(1, tag=tag))
        if not sent.ok:
            raise RuntimeError(f"not sent: {sent}")


def _smtplib_student(server: ServerProcess, context: ssl.SSLContext, tag: str) -> None:
    try:
        client = smtplib.SMTP(server.host, server.port, local_hostname="localhost", timeout=60)
    except smtplib.SMTPConnectError as error:
        if error.smtp_code == 421:
            raise Refused from error
        raise
    with client:
        client.starttls(context=context)
        client.login(DEMO_USER, DEMO_PASSWORD)
        client.send_message(make_message(1, tag=tag))


STUDENTS: dict[str, Callable[[ServerProcess, ssl.SSLContext, str], None]] = {
    "smtplearn": _smtplearn_student,
    "smtplib": _smtplib_student,
}


@dataclass
class ClassRun:
    """One class's run: per-student times, refusals seen, failures, what the Maildir holds."""

    times: list[float] = field(default_factory=list)
    refusals: int = 0
    failures: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    stored: int = 0
    distinct: int = 0
    duplicated: int = 0
    baseline_kib: int = 0
    peak_kib: int = 0


def _stored_ids(maildir: Path) -> Counter[str]:
    ids: Counter[str] = Counter()
    for folder in ("new", "cur"):
        for path in (maildir / folder).glob("*"):
            with path.open("rb") as file:
                ids[str(message_from_binary_file(file)["X-Bench-Id"])] += 1
    return ids


def run_class(students: int, client: str, extra: tuple[str, ...], retry: bool) -> ClassRun:
    """`students` threads against one server at once; counts in the Maildir after all QUIT."""
    result = ClassRun()
    lock = threading.Lock()
    start = threading.Barrier(students + 1)
    student = STUDENTS[client]

    with smtplearn_server(extra) as server:
        context = ssl.create_default_context(cafile=server.ca_path)

        def one(index: int) -> None:
            start.wait()
            began = time.perf_counter()
            backoff = FIRST_BACKOFF
            for attempt in range(ATTEMPTS):
                try:
                    student(server, context, f"s{index}")
                except Refused:
                    with lock:
                        result.refusals += 1
                    if not retry or attempt == ATTEMPTS - 1:
                        with lock:
                            result.failures.append(f"s{index}: refused")
                        return
                    time.sleep(backoff * random.uniform(0.5, 1.5))
                    backoff *= 2
                    continue
                except Exception as error:  # a benchmark reports every failure, whatever it is
                    with lock:
                        result.failures.append(f"s{index}: {type(error).__name__}: {error}")
                    return
                with lock:
                    result.times.append(time.perf_counter() - began)
                return

        threads = [threading.Thread(target=one, args=(i,)) for i in range(students)]
        for thread in threads:
            thread.start()
        start.wait()
        began = time.perf_counter()
        for thread in threads:
            thread.join()
        result.elapsed = time.perf_counter() - began
        ids = _stored_ids(server.maildir)
    result.stored = sum(ids.values())
    result.distinct = len(ids)
    result.duplicated = sum(1 for n in ids.values() if n > 1)
    result.baseline_kib, result.peak_kib = server.baseline_kib, server.peak_kib
    return result


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (share 0.5 is the median); nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


VARIANTS = {
    # name: (server flags, students retry after 421)
    "defaults, retry on 421": ((), True),
    "old caps (100 per address), retry on 421": (OLD_CAPS, True),
}


def rows(students: int) -> list[Row]:
    out: list[Row] = []
    for variant, (extra, retry) in VARIANTS.items():
        runs = {client: run_class(students, client, extra, retry) for client in STUDENTS}
        for client, run in runs.items():
            label = f"{students} students, {variant}, {client}"
            p50, p95 = percentile(run.times, 0.5), percentile(run.times, 0.95)
            delivered = run.stored == run.distinct == students and run.duplicated == 0 and not run.failures
            out += [
                Row("B6", f"{label}: all done in", f"{run.elapsed:.2f} s"),
                Row("B6", f"{label}: p50 per student", f"{p50:.2f} s"),
                Row(
                    "B6", f"{label}: p95 per student", f"{p95:.2f} s", f"< {P95_TARGET:g} s", p95 < P95_TARGET
                ),
                Row(
                    "B6",
                    f"{label}: stored/distinct, refusals",
                    f"{run.stored}/{run.distinct}, {run.refusals} x 421",
                    f"{students}/{students}, none twice",
                    delivered,
                    "; ".join(run.failures[:3]),
                ),
                Row(
                    "B6",
                    f"{label}: server RSS",
                    f"{run.peak_kib / 1024:.0f} MiB peak (+{(run.peak_kib - run.baseline_kib) / 1024:.0f})",
                ),
            ]
        smtplearn_p95 = percentile(runs["smtplearn"].times, 0.95)
        smtplib_p95 = percentile(runs["smtplib"].times, 0.95)
        out.append(
            Row("B6", f"{variant}: p95 smtplearn / smtplib", f"{ratio(smtplearn_p95, smtplib_p95):.2f}x")
        )
    return out
