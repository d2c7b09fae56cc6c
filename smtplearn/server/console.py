"""``smtplearn server``: a DebugServer in the foreground that prints what happens.

For a classroom projector or a terminal: each session's dialog and each arriving message is
printed as it happens, like ``python -m aiosmtpd -c Debugging`` but with the dialog. The
server thread only queues events; this module's thread prints them, and Ctrl-C stops.
This is the one place in smtplearn that prints, because printing is its job.
"""

from __future__ import annotations

import argparse
import json
import queue
import signal
import sys
import threading
import time
from collections.abc import Sequence
from typing import TextIO

from smtplearn.protocol.visible import visible
from smtplearn.server.auth import DEMO_PASSWORD, DEMO_USER
from smtplearn.server.classroom import reachable_host, student_settings
from smtplearn.server.core import DebugServer
from smtplearn.server.directory import VRFY_MODES
from smtplearn.server.fault_syntax import parse_fault
from smtplearn.server.limits import STRESS_SHARE, ConnectionLimits
from smtplearn.server.mailbox import KEEP_BYTES, KEEP_MESSAGES, ReceivedMessage
from smtplearn.server.sessions import KEEP_EVENTS, KEEP_SESSIONS, SessionEvent, SessionLog
from smtplearn.server.settings import check_loopback
from smtplearn.server.tls import TlsMode

DEFAULT_PORT = 8025
#: Lines waiting to be printed before the console skips new ones (see `Backlog`).
BACKLOG = 10_000
#: Seconds between the console's writes while sessions keep it busy.
PRINT_INTERVAL = 0.05
Item = tuple[SessionLog, SessionEvent] | ReceivedMessage


def _user(text: str) -> tuple[str, str]:
    name, colon, password = text.partition(":")
    if not colon or not name:
        raise argparse.ArgumentTypeError(f"expected NAME:PASSWORD, got {text!r}")
    return name, password


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port ({DEFAULT_PORT}; 0 for any free one)"
    )
    parser.add_argument("--hostname", default="mail.example.test", help="the server's name")
    tls = parser.add_mutually_exclusive_group()
    tls.add_argument(
        "--tls",
        choices=["starttls", "implicit", "none"],
        default="starttls",
        help="STARTTLS (default), implicit TLS from the first byte (as on port 465), or none",
    )
    tls.add_argument("--no-tls", dest="tls", action="store_const", const="none")
    parser.add_argument(
        "--user",
        type=_user,
        action="append",
        metavar="NAME:PASS",
        help=f"an account for AUTH (repeatable; default: the demo account {DEMO_USER})",
    )
    parser.add_argument(
        "--show-password",
        action="store_true",
        help="print the accounts' passwords in the banner (off by default: students may see this screen)",
    )
    parser.add_argument(
        "--plain-auth",
        action="store_true",
        help="allow AUTH without TLS (to show why that is a bad idea)",
    )
    parser.add_argument(
        "--directory",
        type=argparse.FileType("r"),
        metavar="FILE",
        help='VRFY directory as JSON: {"local-part or address": "Full Name <address>"}',
    )
    parser.add_argument("--vrfy", choices=VRFY_MODES, default="directory")
    parser.add_argument("--maildir", metavar="DIR", help="also store each message in this Maildir")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="reject-rcpt:PATTERN, reject-sender:PATTERN, greylist[:PATTERN], size:OCTETS, rcpt-limit:N, "
        "tempfail:STEP[:CODE], delay:STEP:SECONDS or drop:STEP (repeatable)",
    )
    parser.add_argument("--size-limit", type=int, default=10 * 1024 * 1024, metavar="OCTETS")
    limits = parser.add_argument_group(
        "connection limits",
        "Nobody can lock the class out: a connection over a cap gets 421 saying why, and an idle "
        "session gets 421 4.4.2 after --idle-timeout seconds, or --stress-timeout seconds while "
        f"the sessions fill {STRESS_SHARE:.0%} of a cap (as Postfix does under stress).",
    )
    limits.add_argument(
        "--max-sessions",
        type=int,
        default=ConnectionLimits.max_sessions,
        metavar="N",
        help="sessions at once, from everyone (%(default)s)",
    )
    limits.add_argument(
        "--max-sessions-per-address",
        type=int,
        default=ConnectionLimits.max_sessions_per_address,
        metavar="N",
        help="sessions at once from one address; a class behind NAT shares one (%(default)s)",
    )
    limits.add_argument(
        "--idle-timeout",
        type=float,
        default=ConnectionLimits.idle_timeout,
        metavar="SECONDS",
        help="how long a session may send nothing, normally (%(default)g; RFC 5321 §4.5.3.2.7)",
    )
    limits.add_argument(
        "--stress-timeout",
        type=float,
        default=ConnectionLimits.stress_timeout,
        metavar="SECONDS",
        help="how long it may send nothing when the server is nearly full (%(default)g)",
    )
    limits.add_argument(
        "--max-receiving-bytes",
        type=int,
        default=ConnectionLimits.max_receiving_bytes,
        metavar="OCTETS",
        help="message bytes being received at once by all sessions; the session that would go "
        "over gets 421 4.3.1 (%(default)s)",
    )
    parser.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host (careful)")
    parser.add_argument(
        "--lenient",
        action="store_true",
        help="accept bare-LF commands, MAIL FROM: a@b, UTF-8 without SMTPUTF8... (strict by default)",
    )
    parser.add_argument(
        "--vulnerable-to-smuggling",
        action="store_true",
        help="DELIBERATELY end the data at \\n.\\n and similar, so a second message can be "
        "smuggled in (for the attack lesson; never on a network)",
    )

    kept = parser.add_argument_group(
        "what the server keeps",
        "Memory stays bounded over a day of class: beyond these, the oldest are dropped and "
        "the console, the session log and the reprs say so.",
    )
    kept.add_argument(
        "--log-sessions", type=int, default=KEEP_SESSIONS, metavar="N", help="sessions kept (%(default)s)"
    )
    kept.add_argument(
        "--log-events-per-session",
        type=int,
        default=KEEP_EVENTS,
        metavar="N",
        help="lines kept of each session: the first 90%% and the last 10%% (%(default)s)",
    )
    kept.add_argument(
        "--mailbox-messages", type=int, default=KEEP_MESSAGES, metavar="N", help="messages kept (%(default)s)"
    )
    kept.add_argument(
        "--mailbox-bytes",
        type=int,
        default=KEEP_BYTES,
        metavar="OCTETS",
        help="octets of messages kept, all together (%(default)s); --maildir keeps all",
    )


def build_server(args: argparse.Namespace) -> DebugServer:
    """The DebugServer the command line describes (not started)."""
    # Checked here too, so that the refusal names the flag rather than DebugServer's keyword.
    check_loopback(args.host, args.allow_remote, how_to_allow="--allow-remote")
    tls: TlsMode = False if args.tls == "none" else args.tls
    directory = json.load(args.directory) if args.directory else None
    return DebugServer(
        args.host,
        args.port,
        hostname=args.hostname,
        tls=tls,
        users=dict(args.user) if args.user else None,
        auth_require_tls=not args.plain_auth,
        directory=directory,
        vrfy=args.vrfy,
        size_limit=args.size_limit,
        maildir=args.maildir,
        faults=[parse_fault(spec) for spec in args.fault],
        allow_remote=args.allow_remote,
        max_sessions=args.max_sessions,
        lenient=args.lenient,
        max_sessions_per_address=args.max_sessions_per_address,
        idle_timeout=args.idle_timeout,
        stress_timeout=args.stress_timeout,
        max_receiving_bytes=args.max_receiving_bytes,
        log_sessions=args.log_sessions,
        log_events_per_session=args.log_events_per_session,
        mailbox_messages=args.mailbox_messages,
        mailbox_bytes=args.mailbox_bytes,
        vulnerable=("smuggling",) if args.vulnerable_to_smuggling else (),
    )


def banner(server: DebugServer, *, show_passwords: bool = False) -> str:
    """What the command prints once the server is listening.

    Passwords only with `show_passwords`: in a classroom this terminal is often on the
    projector, and a password on a shared screen is everyone's.
    """
    tls = {"starttls": "STARTTLS", "implicit": "implicit TLS", False: "no TLS"}[server.tls]
    lines = [f"smtplearn DebugServer {server.hostname} listening on {server.host}:{server.port} ({tls})"]
    if server.tls:
        lines.append(f"  CA certificate: {server.ca_pem_path}")
    users = dict(server.users)
    shown = [f"{name} / {users[name]}" if show_passwords else name for name in sorted(users)]
    hidden = "" if show_passwords else " (password: run with --show-password)"
    if users == {DEMO_USER: DEMO_PASSWORD}:
        lines.append(f"  demo account:   {shown[0]}{hidden}")
    else:
        lines.append(f"  accounts:       {', '.join(shown)}{hidden}")
    if server.faults:
        lines.append(f"  faults:         {list(server.faults)}")
    if server.vrfy == "refuse":
        # Lessons in classroom mode send students here to learn how VRFY is answered.
        lines.append("  VRFY:           252 to every address (--vrfy refuse)")
    if server.lenient:
        lines.append("  lenient:        accepts what a strict server refuses (DebugServer.lenient)")
    if server.vulnerable:
        lines.append(
            f"  WARNING:        DELIBERATELY VULNERABLE to {', '.join(server.vulnerable)}: "
            "forged messages can be smuggled in; for the attack lesson only"
        )
    settings = student_settings(server.host, server.port, server.hostname, tls=bool(server.tls))
    lines.append(f"  students set:   {settings}")
    starttls = " --tls" if server.tls == "starttls" else " --tlsc" if server.tls else ""
    ca = f" --tls-ca-path {server.ca_pem_path}" if server.tls else ""
    reachable = reachable_host(server.host, server.hostname)
    lines.append(f"  try:            swaks --server {reachable}:{server.port}{starttls}{ca}")
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)


def describe(item: Item) -> str | None:
    """One printed block for a queued item; None for message lines (the message is shown whole).

    Everything in it that came from a client is passed through `visible`, line by line: a
    terminal must show a classmate's escape sequences, not obey them.
    """
    if isinstance(item, ReceivedMessage):
        text = item.raw.decode("utf-8", errors="backslashreplace").replace("\r\n", "\n").rstrip("\n")
        block = [
            f"---------- message {item.queue_id} from <{item.mail_from}> "
            f"to {', '.join(f'<{r}>' for r in item.rcpt_tos)} ----------",
            *text.split("\n"),
            f"---------- end of message {item.queue_id} ----------",
        ]
        return "\n".join(visible(line) for line in block)
    session, event = item
    if event.kind == "data" and event.text != ".":
        return None
    return f"[#{session.number}] {visible(str(event))}"


class Backlog:
    """What the server thread hands the console to print: a queue that stops growing.

    A terminal (a projector, a slow SSH link) can print more slowly than a flood of sessions
    produces lines; past `limit` waiting items new ones are skipped and counted, and the
    console says how many it skipped (the session logs still have them).
    """

    def __init__(self, limit: int = BACKLOG) -> None:
        # SimpleQueue, because `stop` may be called from a signal handler: a KeyboardInterrupt
        # raised at a random point of a Queue.get() could leave its lock held and freeze the
        # server thread's next put().
        self._items: queue.SimpleQueue[Item | None] = queue.SimpleQueue()
        self._capacity = limit
        self._skipped = 0
        # Taken by the server thread and the console thread only, never in a signal handler.
        self._lock = threading.Lock()

    def offer(self, item: Item) -> None:
        """Queue `item` to be printed, unless `limit` items are waiting already."""
        if self._items.qsize() >= self._capacity:
            with self._lock:
                self._skipped += 1
            return
        self._items.put(item)

    def stop(self) -> None:
        """Make `take` return None: the console stops (safe in a signal handler)."""
        self._items.put(None)

    def take(self) -> tuple[Item | None, int]:
        """The next item (None to stop), and how many were skipped since the last call."""
        item = self._items.get()
        with self._lock:
            skipped, self._skipped = self._skipped, 0
        return item, skipped

    def take_waiting(self) -> list[Item | None]:
        """Every item waiting now, without blocking (empty when none is)."""
        waiting: list[Item | None] = []
        while True:
            try:
                waiting.append(self._items.get_nowait())
            except queue.Empty:
                return waiting


def serve(server: DebugServer, out: TextIO, *, show_passwords: bool = False) -> int:
    """Run `server` until Ctrl-C (or SIGTERM), printing its sessions and messages to `out`."""
    backlog = Backlog()
    try:
        server.start()
    except OSError as error:
        print(f"smtplearn server: cannot listen on {server.host}:{server.port}: {error}", file=out)
        return 2
    previous = {}
    if threading.current_thread() is threading.main_thread():
        # `kill` and `docker stop` send SIGTERM: stop as cleanly as on Ctrl-C.
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, lambda signum, frame: backlog.stop())
    try:
        server.sessions.add_listener(lambda session, event: backlog.offer((session, event)))
        server.mailbox.add_listener(backlog.offer)
        print(banner(server, show_passwords=show_passwords), file=out, flush=True)
        stopping = False
        while not stopping:
            item, skipped = backlog.take()
            if skipped:
                print(
                    f"-- {skipped:,} lines not shown: the terminal could not keep up "
                    "(server.sessions and server.mailbox still have them)",
                    file=out,
                    flush=True,
                )
            # Whatever else is waiting goes out in the same write: a line at a time, a class
            # of 300 meant thousands of writes, each taking the interpreter from the server.
            texts = []
            for waiting in (item, *backlog.take_waiting()):
                if waiting is None:
                    stopping = True
                    break
                text = describe(waiting)
                if text is not None:
                    texts.append(text)
            if texts:
                print("\n".join(texts), file=out, flush=True)
            if not stopping:
                # Printing at most this often lets lines gather; nobody reads faster.
                time.sleep(PRINT_INTERVAL)
        print("\nstopping", file=out, flush=True)
    finally:
        server.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        server = build_server(args)
    except ValueError as error:
        print(f"smtplearn server: {error}", file=sys.stderr)
        return 2
    return serve(server, sys.stdout, show_passwords=args.show_password)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="smtplearn server", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
