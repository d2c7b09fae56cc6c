"""Records are immutable all the way down (issue 11): nothing a learner holds can be edited."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from smtplearn.client import Client
from smtplearn.protocol.states import ClientState
from smtplearn.record import Step, Transcript
from smtplearn.server import DebugServer, RejectRecipient


@pytest.fixture(scope="module")
def server() -> Iterator[DebugServer]:
    with DebugServer(faults=[RejectRecipient("refused*")]) as running:
        yield running


def _message() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "author@example.com"
    message["To"] = "reader@example.com, refused@example.com"
    message["Subject"] = "immutable"
    message.set_content("body\n")
    return message


def test_pipelined_steps_have_their_own_read_only_details(server: DebugServer) -> None:
    with Client(server.host, server.port) as client:
        result = client.send_message(_message(), pipelining=True)
    grouped = [step for step in result.steps if "pipeline" in step.details]
    assert len(grouped) == 4  # MAIL, two RCPT, DATA
    with pytest.raises(TypeError):
        grouped[0].details["pipeline"] = "changed"  # type: ignore[index]
    assert len({id(step.details) for step in grouped}) == len(grouped)
    assert {step.details["pipeline"] for step in grouped} == {grouped[0].details["pipeline"]}


def test_send_result_refused_is_read_only(server: DebugServer) -> None:
    with Client(server.host, server.port) as client:
        result = client.send_message(_message())
    assert list(result.refused) == ["refused@example.com"]
    with pytest.raises(TypeError):
        result.refused["reader@example.com"] = result.refused["refused@example.com"]  # type: ignore[index]
    with pytest.raises(TypeError):
        del result.refused["refused@example.com"]  # type: ignore[attr-defined]


def test_a_clients_transcript_cannot_be_edited_from_outside(server: DebugServer) -> None:
    with Client(server.host, server.port) as client:
        client.ehlo()
        transcript = client.transcript
        assert not hasattr(transcript, "append") and not hasattr(transcript, "clear")
        with pytest.raises(AttributeError):
            client.transcript = Transcript()  # type: ignore[misc]
        client.noop()
        assert [step.name for step in transcript] == ["connect", "ehlo", "noop"]  # still live
        client.clear_transcript()
        assert len(transcript) == 0


def test_a_transcript_does_not_follow_the_list_it_was_made_from() -> None:
    step = Step("noop", "NOOP", (), ClientState.READY, ClientState.READY, 0.0, False)
    steps = [step]
    transcript = Transcript(steps)
    steps.append(step)
    assert len(transcript) == 1


def test_a_step_copies_the_details_it_was_given() -> None:
    details = {"tls_version": "TLSv1.3"}
    step = Step("starttls", "STARTTLS", (), ClientState.READY, ClientState.CONNECTED, 0.0, False, details)
    details["tls_version"] = "SSLv3"
    assert step.details["tls_version"] == "TLSv1.3"
