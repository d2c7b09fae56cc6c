"""`smtplearn demo`: the PyMOTW article's three walkthroughs, replayed and explained.

Each walkthrough runs for real against a DebugServer started on loopback for the
occasion, and prints every step as an arrow log with its explanation underneath.
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Callable, Iterable
from email.message import EmailMessage

from smtplearn.client import Client
from smtplearn.record import Step
from smtplearn.server import DEMO_PASSWORD, DEMO_USER, DebugServer

Walkthrough = Callable[[DebugServer], Iterable[Step]]


def seed_message(subject: str) -> EmailMessage:
    message = EmailMessage()
    message["To"] = "Recipient <recipient@example.com>"
    message["From"] = "Author <author@example.com>"
    message["Subject"] = subject
    message.set_content("This is the body of the message.")
    return message


def sending(server: DebugServer) -> Iterable[Step]:
    """Sending an Email Message: EHLO, MAIL, RCPT, DATA, QUIT."""
    client = Client(server.host, server.port)
    yield client.connect()
    yield client.ehlo()
    yield client.mail("author@example.com")
    yield client.rcpt("recipient@example.com")
    yield client.data(seed_message("Simple test message"))
    yield client.quit()


def tls_and_auth(server: DebugServer) -> Iterable[Step]:
    """Authentication and Encryption: STARTTLS, EHLO again, AUTH CRAM-MD5, then the message."""
    client = Client(server.host, server.port, tls_context=server.client_tls_context())
    yield client.connect()
    yield client.ehlo()
    yield client.starttls()
    yield client.ehlo()
    yield client.login(DEMO_USER, DEMO_PASSWORD, mechanism="CRAM-MD5")
    yield client.mail("author@example.com")
    yield client.rcpt("recipient@example.com")
    yield client.data(seed_message("Test from PyMOTW"))
    yield client.quit()


def verifying(server: DebugServer) -> Iterable[Step]:
    """Verifying an Email Address: VRFY a known and an unknown user."""
    client = Client(server.host, server.port)
    yield client.connect()
    yield client.ehlo()
    yield client.vrfy("dhellmann")
    yield client.vrfy("notthere")
    yield client.quit()


WALKTHROUGHS: dict[str, Walkthrough] = {
    "send": sending,
    "auth": tls_and_auth,
    "vrfy": verifying,
}


def annotated(step: Step) -> str:
    """The step's arrow log, then what it meant, indented beneath it."""
    explanation = textwrap.indent(str(step.explain()), "      # ")
    return f"{step}\n{explanation}"


def render_walkthrough(name: str, server: DebugServer) -> str:
    walkthrough = WALKTHROUGHS[name]
    title = (walkthrough.__doc__ or name).strip()
    lines = [title, "=" * len(title)]
    lines += [annotated(step) for step in walkthrough(server)]
    return "\n".join(lines) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "walkthrough",
        nargs="*",
        choices=[*WALKTHROUGHS, []],
        help="which to replay (default: all three, in the article's order)",
    )


def run(args: argparse.Namespace) -> int:
    with DebugServer() as server:
        for name in args.walkthrough or WALKTHROUGHS:
            print(render_walkthrough(name, server))
    return 0
