"""The aiosmtpd adapter is the one place that touches aiosmtpd's private names, and they exist.

When an aiosmtpd (or asyncio) release renames a private attribute the adapter relies on,
`test_private_name_exists` fails with the attribute's name in its id and message, instead
of the server misbehaving somewhere downstream.
"""

from __future__ import annotations

import asyncio
import importlib
import re
import smtplib
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from smtplearn.server import aiosmtpd_adapter
from smtplearn.server.aiosmtpd_adapter import PRIVATE_NAMES, PrivateName, SocketController

SERVER_PACKAGE = Path(aiosmtpd_adapter.__file__).parent
ADAPTER = Path(aiosmtpd_adapter.__file__)
TEST_PEER = Path(__file__).parents[1] / "client" / "aiosmtpd_peer.py"
# `obj._name` (read, written or called) and `def _name` (an override).
PRIVATE_USE = re.compile(r"\.(_[a-z]\w*)|\bdef (_[a-z]\w*)")
# The same, or a name in quotes (`getattr(obj, "_name")`).
PRIVATE_USE_OR_MENTION = re.compile(PRIVATE_USE.pattern + r"""|["'](_[a-z]\w*)["']""")


def owner_class(owner: str) -> type:
    module, _, name = owner.partition(":")
    cls: type = getattr(importlib.import_module(module), name)
    return cls


class CapturingHandler:
    """Keeps the SMTP instance of a live session (some private attributes are set per connection)."""

    def __init__(self) -> None:
        self.server: SMTP | None = None

    async def handle_NOOP(self, server: SMTP, session: Session, envelope: Envelope, arg: str) -> str:
        self.server = server
        return "250 OK"


@pytest.fixture(scope="module")
def live_instances() -> Iterator[dict[type, Any]]:
    """One instance of each owner class, exactly that class, as a real session has them."""
    handler = CapturingHandler()
    # SocketController's factory is aiosmtpd's own: the session is a plain aiosmtpd SMTP.
    controller = SocketController(handler, socket.create_server(("127.0.0.1", 0)))
    controller.start()
    try:
        with smtplib.SMTP(controller.hostname, controller.port) as client:
            assert client.noop()[0] == 250
            assert type(handler.server) is SMTP
            yield {
                SMTP: handler.server,
                Controller: Controller(handler),
                asyncio.StreamReader: asyncio.StreamReader(),
            }
    finally:
        controller.stop()


@pytest.mark.parametrize("private", PRIVATE_NAMES, ids=lambda p: f"{p.owner}.{p.name}")
def test_private_name_exists(private: PrivateName, live_instances: dict[type, Any]) -> None:
    cls = owner_class(private.owner)
    instance = live_instances[cls]
    assert type(instance) is cls
    found = hasattr(cls, private.name) or private.name in vars(instance)
    assert found, (
        f"{private.owner} has no attribute {private.name!r} any more (used for: {private.why}); "
        "the installed aiosmtpd/asyncio renamed it: update smtplearn/server/aiosmtpd_adapter.py"
    )


def private_uses(path: Path, pattern: re.Pattern[str] = PRIVATE_USE) -> dict[str, list[int]]:
    """Each private name `path` uses through a dot or overrides, with its line numbers."""
    uses: dict[str, list[int]] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        for match in pattern.finditer(line):
            name = next(group for group in match.groups() if group)
            uses.setdefault(name, []).append(number)
    return uses


def test_the_adapter_uses_only_the_private_names_it_lists() -> None:
    listed = {private.name for private in PRIVATE_NAMES}
    unlisted = {name: lines for name, lines in private_uses(ADAPTER).items() if name not in listed}
    assert not unlisted, f"add these to PRIVATE_NAMES (name: lines of {ADAPTER.name}): {unlisted}"


def test_every_listed_name_is_used_by_the_adapter() -> None:
    unused = {private.name for private in PRIVATE_NAMES} - set(private_uses(ADAPTER))
    assert not unused, f"PRIVATE_NAMES lists names the adapter no longer uses: {sorted(unused)}"


def aiosmtpd_private_names() -> set[str]:
    """The adapter's names and every single-underscore name aiosmtpd's and asyncio's classes have."""
    loop = asyncio.new_event_loop()
    try:
        objects = [
            SMTP,
            SMTP(CapturingHandler(), loop=loop),
            Controller,
            Controller(CapturingHandler()),
            Session,
            asyncio.StreamReader,
            asyncio.StreamReader(loop=loop),
        ]
        names = {name for obj in objects for name in dir(obj)}
    finally:
        loop.close()
    private = {name for name in names if name.startswith("_") and not name.startswith("__")}
    return private | {p.name for p in PRIVATE_NAMES}


@pytest.mark.parametrize(
    "path",
    [p for p in sorted(SERVER_PACKAGE.glob("*.py")) if p != ADAPTER] + [TEST_PEER],
    ids=lambda p: p.name,
)
def test_only_the_adapter_touches_aiosmtpd_private_names(path: Path) -> None:
    # A module of ours that merely *names* an attribute like aiosmtpd's would also shadow it
    # in a subclass, so the same name is refused even on our own objects.
    forbidden = aiosmtpd_private_names()
    uses = private_uses(path, PRIVATE_USE_OR_MENTION)
    found = {name: lines for name, lines in uses.items() if name in forbidden}
    assert not found, (
        f"{path.name} uses aiosmtpd/asyncio private names {found} (name: line numbers); "
        "go through smtplearn.server.aiosmtpd_adapter instead"
    )
