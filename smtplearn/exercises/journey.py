"""Checks for lessons 08 (from one server to another) and 09 (who really sent this?).

Each check compares the learner's answer with what the world really did, answers with one
`CheckResult` line, gives a hint (never the answer) when it is wrong, and asks for an answer
(`your_turn`) while the blank ``...`` is still there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from email.message import Message

from smtplearn.exercises import CheckResult, correct, is_unanswered, not_yet, your_turn
from smtplearn.world.authcheck import check_message
from smtplearn.world.hosts import DeliveredMessage
from smtplearn.world.world import OUTSIDE_ADDRESS, World

_RECEIVED_FROM = re.compile(r"^from\s+(\S+)")


def check_first_mx(world: World, domain: str, predicted: object) -> CheckResult:
    """Which host does a relay try first for `domain`? (RFC 5321 §5.1: lowest preference.)"""
    if is_unanswered(predicted):
        return your_turn("write the host name you expect the relay to try first, then run the cell.")
    hosts, _ = world.resolver.mail_exchangers(domain, purpose="exercise")
    first = hosts[0][1] if hosts else None
    if str(predicted).strip().rstrip(".").lower() == first:
        return correct(f"{first} has the lowest preference value, so it is tried first (RFC 5321 §5.1).")
    return not_yet(
        f"{predicted!r} is not the first host a relay tries for {domain}.",
        "look at the MX records' numbers: is the smaller or the larger one preferred?",
    )


def check_bounce_status(bounce: DeliveredMessage, predicted: object) -> CheckResult:
    """The enhanced status code (RFC 3463) in the bounce's delivery-status part."""
    if is_unanswered(predicted):
        return your_turn("copy the Status: field of the bounce's message/delivery-status part.")
    status_part = next(
        (p for p in bounce.message.walk() if p.get_content_type() == "message/delivery-status"), None
    )
    if status_part is None:
        return not_yet(
            "this message is not a bounce: it has no message/delivery-status part.", "open the bounce."
        )
    blocks: list[Message] = status_part.get_payload()  # type: ignore[assignment]
    recipient_block = blocks[-1]
    actual = str(recipient_block["Status"])
    if str(predicted).strip() == actual:
        return correct(
            f"Status {actual}: class {actual[0]} (permanent), subject {actual.split('.')[1]} (addressing), "
            "detail: the mailbox does not exist (RFC 3463 §3.2)."
        )
    return not_yet(
        f"{predicted!r} is not the Status of this bounce.",
        "the Status field is in the second part (message/delivery-status), in the per-recipient block; "
        "it has three numbers separated by dots.",
    )


def received_path(message: DeliveredMessage) -> list[str]:
    """The hosts named in the ``from`` clauses of the Received headers, oldest hop first."""
    names = []
    for header in reversed(message.message.get_all("Received") or []):
        found = _RECEIVED_FROM.match(str(header))
        if found:
            names.append(found.group(1))
    return names


def check_trace(message: DeliveredMessage, path: object) -> CheckResult:
    """Reading Received headers bottom-up: the hosts that handed the message on, in order."""
    if is_unanswered(path):
        return your_turn("list the host names from the Received headers, oldest hop first.")
    actual = received_path(message)
    given = (
        [str(p).strip().lower() for p in path]
        if isinstance(path, Sequence) and not isinstance(path, str)
        else None
    )
    if given == actual:
        return correct(f"the message was handed on by {' → '.join(actual)}: read bottom-up (RFC 5321 §4.4).")
    if given is not None and given == list(reversed(actual)):
        return not_yet(
            "you have the right hosts in the wrong order.", "each server adds its Received on top."
        )
    return not_yet(
        "that is not the path in the Received headers.",
        "take the name after 'from' in each Received header, starting from the lowest one.",
    )


def check_verdicts(message: DeliveredMessage, predicted: object) -> CheckResult:
    """Predict (spf, dkim, dmarc) for a message, then compare with the receiving server's verdicts."""
    if is_unanswered(predicted) or (
        isinstance(predicted, tuple) and any(is_unanswered(p) for p in predicted)
    ):
        return your_turn(
            "predict the three results as a tuple (spf, dkim, dmarc) of 'pass', 'fail', 'softfail' or 'none'."
        )
    if message.verdicts is None:
        return not_yet("this message was not checked by a receiving MX.", "use a message from an inbox.")
    v = message.verdicts
    actual = (v.spf, v.dkim, v.dmarc)
    if isinstance(predicted, tuple) and tuple(str(p).lower() for p in predicted) == actual:
        return correct(f"SPF {v.spf}, DKIM {v.dkim}, DMARC {v.dmarc}: {v}.")
    wrong = [
        name
        for name, guess, real in zip(
            ("SPF", "DKIM", "DMARC"),
            tuple(predicted) if isinstance(predicted, tuple) else (),
            actual,
            strict=False,
        )
        if str(guess).lower() != real
    ]
    return not_yet(
        f"not all three are right ({', '.join(wrong) or 'the answer must be a tuple of three'}).",
        "SPF looks at the connecting IP and the MAIL FROM domain, DKIM at a signature, "
        "DMARC at whether a pass is aligned with the From: domain.",
    )


def check_spf_record(world: World, record: object, *, domain: str, allowed: Sequence[str]) -> CheckResult:
    """An SPF record for `domain` that lets exactly the `allowed` addresses send for it."""
    if is_unanswered(record):
        return your_turn("write the SPF record (a string starting with v=spf1), then run the cell.")
    text = str(record).strip()
    if not text.startswith("v=spf1"):
        return not_yet("an SPF record starts with v=spf1 (RFC 7208 §4.5).", "begin with the version.")
    previous = [r.value for r in world.zone.find(domain, "TXT")]
    world.zone.replace(domain, "TXT", text)
    try:
        results = {
            ip: check_message(
                world.resolver,
                raw=b"From: x@" + domain.encode() + b"\r\n\r\nx\r\n",
                ip=ip,
                mail_from=f"x@{domain}",
                helo="check.example",
                authserv_id="check",
            ).spf
            for ip in [*allowed, OUTSIDE_ADDRESS]
        }
    finally:
        world.zone.remove(domain, "TXT")
        for value in previous:
            world.zone.add(domain, "TXT", value)
    refused = [ip for ip in allowed if results[ip] != "pass"]
    if refused:
        return not_yet(
            f"with this record SPF does not pass for {', '.join(refused)} ({results[refused[0]]}).",
            "add one ip4: mechanism per address that sends mail for the domain.",
        )
    if results[OUTSIDE_ADDRESS] not in ("fail", "softfail"):
        return not_yet(
            f"with this record a stranger at {OUTSIDE_ADDRESS} gets SPF {results[OUTSIDE_ADDRESS]}.",
            "end the record with a mechanism that fails everyone else.",
        )
    return correct(f"{', '.join(allowed)} pass and everyone else fails: publish it (RFC 7208 §5).")


def check_survivor(message: DeliveredMessage, predicted: object) -> CheckResult:
    """After forwarding, which of SPF or DKIM still passes aligned, and keeps DMARC passing?"""
    if is_unanswered(predicted):
        return your_turn("answer 'spf' or 'dkim'.")
    verdicts = message.verdicts
    if verdicts is None:
        return not_yet("this message was not checked by a receiving MX.", "use bob's forwarded message.")
    survivor = "dkim" if verdicts.dkim == "pass" else "spf" if verdicts.spf == "pass" else "neither"
    if str(predicted).strip().lower() == survivor:
        return correct(
            f"{survivor.upper()} passes after forwarding: the signature travels with the message, "
            "while SPF judges the forwarder's address (RFC 7489 §4.2: one aligned pass is enough)."
        )
    return not_yet(
        f"{predicted!r} is not what kept DMARC passing here.",
        "which check depends on the IP address of the last hop, and which on the message itself?",
    )
