"""Ten students on a real JupyterHub: each runs the lessons in their own single-user server.

The Hub, its proxy and the servers are real processes on loopback (see ``hub.py``). Each
student's lessons are uploaded into their home through the contents API, read back from
there, and executed cell by cell in a kernel the sessions API started for the notebook,
over the kernel's websocket, through the proxy: what JupyterLab does on Run All.

1. Every student runs lesson 02 (STARTTLS + AUTH) against the DebugServer in their own
   kernel: each mailbox holds exactly that student's messages, and no two students share
   a listening port (single-user server, kernel, DebugServer).
2. Classroom mode: the Hub starts every server with ``SMTPLEARN_SERVER``/``SMTPLEARN_CA``
   naming one ``smtplearn server``, and every student's lessons 00–03 complete against it.

Each test prints the memory of every student's server and kernel, and the time the ten
took, and writes them to ``test-artifacts/hub/``. Nothing here asserts a time.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import mailbox
import re
import time
from collections import Counter
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import psutil
import pytest
from instructor_terminal import Terminal, instructor_server

from smtplearn.notebook_files import notebooks_source
from smtplearn.server import DEMO_USER

from .hub import PATIENCE_S, CellRun, HubAPI, Kernel, RunningHub, UserServer, code_cells

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "hub"
CLASS_SIZE = 10
#: Run at the end of every student's work: send one message naming the student (from the
#: JUPYTERHUB_USER the Hub gave the server) over STARTTLS + AUTH to the lesson's server, and
#: report what the test checks: pids, the mail server's port and what its mailbox holds.
CHECK_CELL = """
import json, os
from email.message import EmailMessage
from smtplearn.lesson import RemoteServer, client_for, describe, lesson_server
from smtplearn.server import DEMO_PASSWORD, DEMO_USER

_server = globals()["server"] if "server" in globals() else lesson_server()
_me = os.environ["JUPYTERHUB_USER"]
_message = EmailMessage()
_message["From"], _message["To"] = f"{_me}@example.com", "teacher@example.com"
_message["Subject"] = f"sent by {_me}"
_message.set_content(f"{_me} finished the lesson.")
with client_for(_server) as _client:
    _client.ehlo().raise_for_reply()
    _client.starttls().raise_for_reply()
    _client.ehlo().raise_for_reply()
    _client.login(DEMO_USER, DEMO_PASSWORD).raise_for_reply()
    _client.send_message(_message)
_mailbox = None if isinstance(_server, RemoteServer) else _server.mailbox
print(json.dumps({
    "user": _me,
    "kernel_pid": os.getpid(),
    "server_pid": os.getppid(),
    "smtp_port": _server.port,
    "describe": describe(_server),
    "mailbox": None if _mailbox is None else [
        {"subject": m.subject, "tls": m.tls_version, "user": m.user} for m in _mailbox
    ],
}))
"""


@dataclass
class StudentRun:
    """What one student's server did, as the test saw it."""

    name: str
    report: dict[str, Any] = field(default_factory=dict)
    #: (lesson, cell number, error) for each cell that raised a LessonError (classroom mode).
    rss_mib: dict[str, float] = field(default_factory=dict)
    listening: set[int] = field(default_factory=set)


def _failure(name: str, where: str, code: str, run: CellRun) -> str:
    error = run.error or {}
    traceback = "\n".join(error.get("traceback", []))
    plain = re.sub(r"\x1b\[[0-9;]*m", "", traceback)
    return f"{name}: {where} raised {error.get('ename')}: {error.get('evalue')}\n{code}\n{plain}"


async def _hand_out(server: UserServer, numbers: tuple[str, ...]) -> dict[str, str]:
    """Upload lessons *numbers* into ``~/lessons`` through the contents API; number -> path.

    What an instructor's hand-out tool (nbgitpuller, an LMS) does; the files are the ones
    ``smtplearn notebooks`` copies (tests/notebooks checks that command itself).
    """
    await server.request("PUT", "/api/contents/lessons", {"type": "directory"})
    paths = {}
    for number in numbers:
        (source,) = notebooks_source().glob(f"{number}-*.ipynb")
        paths[number] = f"lessons/{source.name}"
        notebook = json.loads(source.read_text(encoding="utf-8"))
        await server.request(
            "PUT",
            f"/api/contents/{paths[number]}",
            {"type": "notebook", "format": "json", "content": notebook},
        )
    return paths


T = TypeVar("T")


def _run_in_its_own_loop(work: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(work)` on a thread of its own.

    In a full run the browser tests' Playwright (sync API) keeps an event loop running in
    the main thread, where `asyncio.run` refuses to start a second one.
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result()


async def _run_notebook(server: UserServer, path: str) -> Kernel:
    """Every code cell of *path*, in order, in a kernel opened for it; the kernel stays up."""
    notebook = await server.read_notebook(path)
    kernel = await server.open_notebook(path)
    for number, code in enumerate(code_cells(notebook), start=1):
        run = await kernel.run(code)
        if run.error is None:
            continue
        raise AssertionError(_failure(server.name, f"{path} cell {number}", code, run))
    return kernel


async def _check(kernel: Kernel, student: StudentRun) -> None:
    run = await kernel.run(CHECK_CELL)
    assert run.error is None, _failure(student.name, "the check cell", CHECK_CELL, run)
    student.report = json.loads(run.text.strip().splitlines()[-1])


def _measure(student: StudentRun) -> None:
    """RSS of the student's single-user server and kernel, and every port either listens on."""
    kernel = psutil.Process(student.report["kernel_pid"])
    server = psutil.Process(student.report["server_pid"])
    assert "jupyterhub-singleuser" in " ".join(server.cmdline()), server.cmdline()
    student.rss_mib = {
        "server": server.memory_info().rss / 2**20,
        "kernel": kernel.memory_info().rss / 2**20,
    }
    for process in (server, kernel):
        student.listening |= {
            c.laddr.port for c in process.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN
        }


def _report(title: str, students: list[StudentRun], seconds: float, hub: RunningHub) -> str:
    hub_process = psutil.Process(hub.process.pid)
    shared = {"hub": hub_process.memory_info().rss / 2**20}
    for child in hub_process.children():
        # Stopped servers the Hub has not reaped yet are zombies, with no command line to read.
        with contextlib.suppress(psutil.ZombieProcess, psutil.NoSuchProcess):
            if "configurable-http-proxy" in " ".join(child.cmdline()):
                shared["proxy"] = child.memory_info().rss / 2**20
    names = {s.name for s in students}
    spawns = [
        float(m[2])
        for line in hub.lines
        if (m := re.search(r"User (\S+) took ([\d.]+) seconds to start", line)) and m[1] in names
    ]
    lines = [
        f"{title}: {len(students)} students in {seconds:.1f} s"
        f" (their servers took {min(spawns):.1f}-{max(spawns):.1f} s to start, all at once)"
    ]
    for student in students:
        rss = student.rss_mib
        lines.append(
            f"  {student.name}: server {rss['server']:.0f} MiB + kernel {rss['kernel']:.0f} MiB"
            f" = {rss['server'] + rss['kernel']:.0f} MiB"
        )
    totals = [s.rss_mib["server"] + s.rss_mib["kernel"] for s in students]
    lines.append(f"  per student: mean {sum(totals) / len(totals):.0f} MiB, max {max(totals):.0f} MiB")
    lines.append("  shared: " + ", ".join(f"{name} {mib:.0f} MiB" for name, mib in shared.items()))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"\W+", "-", title.lower()).strip("-")
    (ARTIFACTS / f"{slug}.json").write_text(
        json.dumps(
            {
                "seconds_for_all": seconds,
                "server_start_seconds": spawns,
                "rss_mib": {s.name: s.rss_mib for s in students},
                "shared_rss_mib": shared,
                "reports": {s.name: s.report for s in students},
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    return "\n".join(lines)


def _no_port_shared(students: list[StudentRun]) -> None:
    owners: dict[int, list[str]] = {}
    for student in students:
        for port in student.listening:
            owners.setdefault(port, []).append(student.name)
    shared = {port: names for port, names in owners.items() if len(names) > 1}
    assert shared == {}, f"ports listened on by more than one student's processes: {shared}"


# --- 1. each student's own DebugServer ----------------------------------------------------


async def _own_server_lesson_02(api: HubAPI, name: str) -> StudentRun:
    student = StudentRun(name)
    server = await api.start_server(name)
    lessons = await _hand_out(server, ("02",))
    kernel = await _run_notebook(server, lessons["02"])
    await _check(kernel, student)
    _measure(student)
    await server.close(kernel)
    await api.stop_server(name)
    return student


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_ten_students_run_lesson_02_each_against_their_own_debugserver(
    hub: RunningHub, capsys: pytest.CaptureFixture[str]
) -> None:
    names = [f"student{n:02d}" for n in range(1, CLASS_SIZE + 1)]

    async def whole_class() -> list[StudentRun]:
        api = HubAPI(hub)
        await api.create_users(names)
        return list(await asyncio.gather(*(_own_server_lesson_02(api, name) for name in names)))

    started = time.perf_counter()
    students = _run_in_its_own_loop(whole_class())
    seconds = time.perf_counter() - started

    lesson_parts = []
    for student in students:
        report = student.report
        assert report["user"] == student.name, "the kernel belongs to another student's server"
        assert "inside this kernel" in report["describe"], report["describe"]
        mailbox = report["mailbox"]
        # Exactly this student's message, once, last; before it only what lesson 02 sent.
        subjects = [m["subject"] for m in mailbox]
        assert [s for s in subjects if s.startswith("sent by ")] == [f"sent by {student.name}"], subjects
        assert subjects[-1] == f"sent by {student.name}"
        assert mailbox[-1]["tls"] and mailbox[-1]["user"] == DEMO_USER, "sent after STARTTLS and AUTH"
        lesson_parts.append(mailbox[:-1])
        # The DebugServer listens inside this student's kernel.
        assert report["smtp_port"] in student.listening
    assert lesson_parts[0], "lesson 02 delivered nothing to the student's mailbox"
    assert all(part == lesson_parts[0] for part in lesson_parts), "students' mailboxes differ"
    assert any(m["tls"] and m["user"] == DEMO_USER for m in lesson_parts[0]), "no STARTTLS + AUTH message"
    _no_port_shared(students)
    with capsys.disabled():
        print("\n" + _report("Lesson 02, own DebugServer", students, seconds, hub))


# --- 2. classroom mode: one smtplearn server for the class ----------------------------------


@pytest.fixture
def instructor(tmp_path: Path) -> Iterator[tuple[Terminal, Path]]:
    maildir = tmp_path / "maildir"
    with instructor_server(["--maildir", str(maildir)], patience=PATIENCE_S) as terminal:
        yield terminal, maildir


CLASSROOM_LESSONS = ("00", "01", "02", "03")


def _peak_open_sessions(lines: list[str]) -> tuple[int, set[str]]:
    """Most sessions open at once in the server's printed log, and the addresses they came from."""
    open_now, peak, addresses = 0, 0, set()
    for line in lines:
        if opened := re.match(r"\[#\d+\] -- connection from (.+):\d+", line):
            open_now += 1
            peak = max(peak, open_now)
            addresses.add(opened[1])
        elif re.match(r"\[#\d+\] -- connection closed", line):
            open_now -= 1
    return peak, addresses


async def _classroom_lessons(api: HubAPI, name: str, options: dict[str, str]) -> StudentRun:
    student = StudentRun(name)
    server = await api.start_server(name, options)
    lessons = await _hand_out(server, CLASSROOM_LESSONS)
    for number in CLASSROOM_LESSONS:
        kernel = await _run_notebook(server, lessons[number])
        if number != CLASSROOM_LESSONS[-1]:
            await server.close(kernel)
    await _check(kernel, student)
    _measure(student)
    await server.close(kernel)
    await api.stop_server(name)
    return student


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_ten_students_run_lessons_00_to_03_against_one_instructor_server(
    hub: RunningHub, instructor: tuple[Terminal, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    terminal, maildir = instructor
    port = terminal.setting(r"listening on 127\.0\.0\.1:(\d+)")
    options = {
        "smtplearn_server": f"127.0.0.1:{port}",
        "smtplearn_ca": terminal.setting(r"CA certificate:\s+(\S+)"),
    }
    names = [f"class{n:02d}" for n in range(1, CLASS_SIZE + 1)]

    async def whole_class() -> list[StudentRun]:
        api = HubAPI(hub)
        await api.create_users(names)
        return list(await asyncio.gather(*(_classroom_lessons(api, name, options) for name in names)))

    started = time.perf_counter()
    students = _run_in_its_own_loop(whole_class())
    seconds = time.perf_counter() - started

    for student in students:
        assert student.report["user"] == student.name
        assert student.report["describe"].startswith("Using the server named by SMTPLEARN_SERVER")
    # Every student's check message reached the instructor's server once; each message the
    # lessons send arrived once per student (the lessons send the same ones for everyone).
    subjects = Counter(str(message["Subject"]) for message in mailbox.Maildir(maildir, create=False))
    assert {s: n for s, n in subjects.items() if s.startswith("sent by ")} == {
        f"sent by {name}": 1 for name in names
    }
    lesson_subjects = {s: n for s, n in subjects.items() if not s.startswith("sent by ")}
    assert lesson_subjects, "the lessons delivered nothing to the instructor's server"
    assert {s: n % CLASS_SIZE for s, n in lesson_subjects.items()} == dict.fromkeys(lesson_subjects, 0)
    with capsys.disabled():
        print("\n" + _report("Lessons 00-03, classroom mode", students, seconds, hub))
        print(f"  instructor's server stored {sum(subjects.values())} messages")
        peak, addresses = _peak_open_sessions(terminal.lines)
        print(f"  at most {peak} sessions open at once, from {', '.join(sorted(addresses))}")
