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
from collections.abc import Sequence
from typing import TextIO

from smtplearn.server.auth import DEMO_PASSWORD, DEMO_USER
from smtplearn.server.core import DebugServer, TlsMode
from smtplearn.server.directory import VRFY_MODES
from smtplearn.server.faults import parse_fault
from smtplearn.server.mailbox import ReceivedMessage
from smtplearn.server.sessions import SessionEvent, SessionLog

DEFAULT_PORT = 8025
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
    parser.add_argument("--max-sessions", type=int, default=100)
    parser.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host (careful)")
    parser.add_argument(
        "--lenient",
        action="store_true",
        help="accept bare-LF commands, MAIL FROM: a@b, UTF-8 without SMTPUTF8... (strict by default)",
    )


def build_server(args: argparse.Namespace) -> DebugServer:
    """The DebugServer the command line describes (not started)."""
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
    if server.lenient:
        lines.append("  lenient:        accepts what a strict server refuses (DebugServer.lenient)")
    starttls = " --tls" if server.tls == "starttls" else " --tlsc" if server.tls else ""
    ca = f" --tls-ca-path {server.ca_pem_path}" if server.tls else ""
    lines.append(f"  try:            swaks --server {server.host}:{server.port}{starttls}{ca}")
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)


def describe(item: Item) -> str | None:
    """One printed block for a queued item; None for message lines (the message is shown whole)."""
    if isinstance(item, ReceivedMessage):
        text = item.raw.decode("utf-8", errors="replace").replace("\r\n", "\n").rstrip("\n")
        return "\n".join(
            [
                f"---------- message {item.queue_id} from <{item.mail_from}> "
                f"to {', '.join(f'<{r}>' for r in item.rcpt_tos)} ----------",
                text,
                f"---------- end of message {item.queue_id} ----------",
            ]
        )
    session, event = item
    if event.kind == "data" and event.text != ".":
        return None
    return f"[#{session.number}] {event}"


def serve(server: DebugServer, out: TextIO, *, show_passwords: bool = False) -> int:
    """Run `server` until Ctrl-C (or SIGTERM), printing its sessions and messages to `out`."""
    # SimpleQueue, because its put() may be called from a signal handler: a KeyboardInterrupt
    # raised at a random point of a Queue.get() could leave its lock held and freeze the
    # server thread's next put(). The handlers below only queue a None meaning "stop".
    items: queue.SimpleQueue[Item | None] = queue.SimpleQueue()
    try:
        server.start()
    except OSError as error:
        print(f"smtplearn server: cannot listen on {server.host}:{server.port}: {error}", file=out)
        return 2
    previous = {}
    if threading.current_thread() is threading.main_thread():
        # `kill` and `docker stop` send SIGTERM: stop as cleanly as on Ctrl-C.
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, lambda signum, frame: items.put(None))
    try:
        server.sessions.add_listener(lambda session, event: items.put((session, event)))
        server.mailbox.add_listener(items.put)
        print(banner(server, show_passwords=show_passwords), file=out, flush=True)
        while (item := items.get()) is not None:
            text = describe(item)
            if text is not None:
                print(text, file=out, flush=True)
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
