"""The world starts in one call, leaves nothing behind and stops with `with` or at exit."""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path

import pytest

from smtplearn.world.world import World


def _listening(address: tuple[str, int]) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(address) == 0


def test_with_block_starts_and_stops_every_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    temp_before = set(os.listdir(tempfile.gettempdir()))
    with World.standard() as world:
        servers = [s for h in world.hosts.values() for s in (h.mx, h.submission) if s is not None]
        assert len(servers) == 5 and all(_listening(s.address) for s in servers)
        world.send("alice@example.com", "bob@example.org", "x", "y")
        world.settle()
        assert world.route("192.0.2.20") == ("127.0.0.1", world.host("mx1.example.org").mx.port)  # type: ignore[union-attr]
        assert world.route("192.0.2.99") is None
    assert not any(_listening(s.address) for s in servers)
    assert list(tmp_path.iterdir()) == []
    # Other processes share the temporary directory: look for ours (the CA's "smtplearn-" files).
    new = set(os.listdir(tempfile.gettempdir())) - temp_before
    assert [name for name in new if "smtplearn" in name] == []
    world.stop()  # safe to repeat


def test_the_world_stops_at_interpreter_exit_without_being_asked() -> None:
    world = World()
    try:
        # atexit holds the finalizer, so a kernel shutting down stops the servers.
        assert world._finalizer.alive and world._finalizer.atexit
    finally:
        world.stop()
    assert not world._finalizer.alive
