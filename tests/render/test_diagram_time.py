"""Sequence diagrams with time down the page: waits drawn to scale, so pipelining looks shorter.

One test uses steps with fixed elapsed times (exact positions); one sends a real message
through a LatencyProxy both ways and compares the two drawings' heights, never a time.
"""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from email.message import EmailMessage
from itertools import pairwise

from render_records import body, ex, reply, step

from smtplearn.client import Client
from smtplearn.record import Step, Transcript
from smtplearn.render.diagram import sequence_svg
from smtplearn.server import DebugServer
from smtplearn.server.latency import LatencyProxy

NS = "{http://www.w3.org/2000/svg}"


def timed(s: Step, elapsed: float) -> Step:
    return dataclasses.replace(s, elapsed=elapsed)


def arrow_ys(markup: str) -> list[float]:
    root = ET.fromstring(markup)
    return [float(line.get("y1", 0)) for g in root.iter(f"{NS}g") for line in g.findall(f"{NS}line")]


def height(markup: str) -> int:
    return int(ET.fromstring(markup).get("height", 0))


def lock_step() -> list[Step]:
    return [
        timed(step("mail", "MAIL", ex("MAIL FROM:<a@example.com>", reply(250, "ok"))), 0.05),
        timed(step("rcpt", "RCPT", ex("RCPT TO:<b@example.com>", reply(250, "ok"))), 0.05),
        timed(
            step(
                "data", "DATA", ex("DATA", reply(354, "go ahead")), body(b"Hi\r\n.\r\n", reply(250, "queued"))
            ),
            0.10,
        ),
    ]


def pipelined() -> list[Step]:
    group = {"pipeline": "1"}
    return [
        timed(step("mail", "MAIL", ex("MAIL FROM:<a@example.com>", reply(250, "ok")), **group), 0.05),
        timed(step("rcpt", "RCPT", ex("RCPT TO:<b@example.com>", reply(250, "ok")), **group), 0.05),
        timed(
            step(
                "data",
                "DATA",
                ex("DATA", reply(354, "go ahead")),
                body(b"Hi\r\n.\r\n", reply(250, "queued")),
                **group,
            ),
            0.10,
        ),
    ]


def test_each_wait_adds_height_in_proportion_to_its_length() -> None:
    ys = arrow_ys(sequence_svg(lock_step(), time_scale=1000))
    gaps = [round(b - a, 1) for a, b in pairwise(ys)]
    # send, 50 ms wait, reply; next send at once; ... DATA's two exchanges share its 100 ms.
    assert gaps == [70.0, 20.0, 70.0, 20.0, 70.0, 20.0, 70.0]


def test_the_pipelined_drawing_is_shorter_and_says_how_long_each_wait_was() -> None:
    plain = sequence_svg(lock_step(), time_scale=1000)
    piped = sequence_svg(pipelined(), time_scale=1000)
    assert height(piped) < height(plain)
    assert re.findall(r"wait (\d+) ms", plain) == ["50", "50", "50", "50"]
    assert re.findall(r"wait (\d+) ms", piped) == ["50", "50"]
    assert "max-width:100%" in piped  # side by side, each shrinks instead of overflowing
    # The waits are said in words too, not only drawn: the description names the same two.
    description = re.search(r"<desc>(.*)</desc>", piped)
    assert description and re.findall(r"after (\d+) ms", description.group(1)) == ["50", "50"]


def test_without_a_scale_every_row_has_the_same_height_and_no_wait_marks() -> None:
    untimed = sequence_svg(lock_step())
    ys = arrow_ys(untimed)
    assert {b - a for a, b in pairwise(ys)} == {30.0}
    assert "wait" not in untimed and " ms" not in untimed


def _message() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "author@example.com"
    message["To"] = ", ".join(f"reader{n}@example.com" for n in range(1, 6))
    message["Subject"] = "Five readers"
    message.set_content("One message, five recipients.\n")
    return message


def test_a_real_pipelined_send_through_a_latency_proxy_draws_shorter() -> None:
    with DebugServer() as server, LatencyProxy((server.host, server.port), delay=0.3) as proxy:
        drawings = {}
        for pipelining in (False, True):
            with Client(proxy.host, proxy.port, tls_context=server.client_tls_context()) as client:
                client.ehlo()
                result = client.send_message(_message(), pipelining=pipelining)
            drawings[pipelining] = sequence_svg(
                Transcript(result.steps), time_scale=120
            )  # labels waits of 200 ms or more: each round trip waits 300, a busy machine's stall less
    plain, piped = drawings[False], drawings[True]
    # The same arrows in both; the lock-step one waited 8 times, the pipelined one twice.
    assert len(arrow_ys(plain)) == len(arrow_ys(piped))
    assert len(re.findall(r"wait \d+ ms", plain)) == 8
    assert len(re.findall(r"wait \d+ ms", piped)) == 2
    assert height(piped) < height(plain)


def test_wait_labels_sit_in_the_gap_between_two_arrows_and_their_labels() -> None:
    markup = sequence_svg(pipelined(), time_scale=1000)
    ys = arrow_ys(markup)
    root = ET.fromstring(markup)
    waits = [float(t.get("y", 0)) for t in root.iter(f"{NS}text") if (t.text or "").startswith("wait ")]
    assert waits
    for y in waits:
        # Above the next arrow's label (drawn 5 px above its line, 11 px tall), below the last line.
        assert any(a < y - 10 and y < b - 16 for a, b in pairwise(ys)), (y, ys)
