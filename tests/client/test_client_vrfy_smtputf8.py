"""VRFY and EXPN with a non-ASCII string: the client sends the SMTPUTF8 parameter or nothing.

RFC 6531 §3.7.4.2: ``vrfy = "VRFY" SP String [ SP "SMTPUTF8" ]``, non-ASCII only with the
parameter; the DebugServer refuses the line without it (550 5.6.8), so the client stops
first, as it does for MAIL and RCPT addresses.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from smtplearn import Client, LocalProtocolError
from smtplearn.server import DebugServer


@pytest.fixture
def client() -> Iterator[Client]:
    with DebugServer(tls=False) as server, Client(server.host, server.port) as client:
        client.ehlo().raise_for_reply()
        yield client


@pytest.mark.parametrize("method", ["vrfy", "expn"])
def test_a_non_ascii_string_without_smtputf8_is_refused_before_sending(client: Client, method: str) -> None:
    with pytest.raises(LocalProtocolError, match=r"not ASCII.*smtputf8=True.*RFC 6531 §3\.7\.4\.2"):
        getattr(client, method)("jürgen")
    assert [step.name for step in client.transcript] == ["connect", "ehlo"]


def test_vrfy_with_smtputf8_sends_the_parameter_and_is_looked_up(client: Client) -> None:
    step = client.vrfy("jürgen", smtputf8=True)
    assert step.exchanges[0].sent == "VRFY jürgen SMTPUTF8".encode() + b"\r\n"
    assert step.reply is not None and step.reply.code == 550 and step.reply.text.startswith("5.1.1")


def test_expn_with_smtputf8_sends_the_parameter(client: Client) -> None:
    step = client.expn("équipe", smtputf8=True)
    assert step.exchanges[0].sent == "EXPN équipe SMTPUTF8".encode() + b"\r\n"
    assert step.reply is not None and step.reply.code == 502  # aiosmtpd has no EXPN


def test_ascii_needs_no_parameter(client: Client) -> None:
    assert client.vrfy("dhellmann").exchanges[0].sent == b"VRFY dhellmann\r\n"
