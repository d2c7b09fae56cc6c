"""Plain-text renderings of a session: smtplib's debug format and a swaks-style arrow log.

Both read `Exchange.sent_redacted` / `Exchange.shown` unless ``reveal=True`` is passed,
so a password typed into AUTH never reaches a rendering by accident.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from smtplearn.protocol.replies import Reply
from smtplearn.record import Exchange, Step

__all__ = [
    "PIPELINE_KEY",
    "WireEvent",
    "arrows",
    "is_message_body",
    "pipeline_groups",
    "reply_lines",
    "reply_wire_lines",
    "sent_bytes",
    "sent_lines",
    "smtplib_debug",
    "smtplib_debug_lines",
    "smtplib_message",
    "wire_events",
]

#: `Step.details` key marking pipelined steps (RFC 2920): consecutive steps with the same
#: non-empty value were written together before any of their replies was read.
PIPELINE_KEY = "pipeline"


def sent_bytes(exchange: Exchange, *, reveal: bool = False) -> bytes:
    """The bytes to show for what was sent: the redacted wire view unless `reveal`."""
    return exchange.sent if reveal else exchange.sent_redacted


def is_message_body(exchange: Exchange) -> bool:
    """True when the exchange sent message content rather than one command line.

    A command is one line ending in its only CRLF (RFC 5321 §2.3.8); the content sent
    after DATA's 354 always ends with CRLF "." CRLF (RFC 5321 §4.1.1.4), so it holds
    at least two.
    """
    return exchange.sent_redacted.count(b"\r\n") > 1


def reply_wire_lines(reply: Reply) -> list[bytes]:
    """Each line of the reply as read from the socket, CRLF included.

    Uses `Reply.raw` when the reply was parsed from the wire; a hand-built reply is
    rebuilt from its lines with ``-`` on all but the last (RFC 5321 §4.2.1).
    """
    if reply.raw:
        # smtplib reads with readline(), which splits after each LF and only there
        # (bytes.splitlines would also split at a bare CR inside a line's text).
        return io.BytesIO(reply.raw).readlines()
    last = len(reply.lines) - 1
    return [
        f"{reply.code}{'-' if i < last else ' '}{line}\r\n".encode("utf-8", "surrogateescape")
        for i, line in enumerate(reply.lines or ("",))
    ]


def smtplib_message(reply: Reply) -> bytes:
    """The reply text as smtplib's ``getreply()`` returns it: lines from column 4, joined."""
    return b"\n".join(line[4:].strip(b" \t\r\n") for line in reply_wire_lines(reply))


def smtplib_debug_lines(exchange: Exchange, *, reveal: bool = False) -> list[str]:
    """What smtplib's ``send()`` and ``getreply()`` print for one exchange at debug level 1.

    A command line is printed as a str repr (smtplib sends commands as str), the
    message content as a bytes repr (``data()`` sends bytes); then one ``reply:`` line
    per reply line and the ``retcode`` summary. Lines carry no newline. The lines that
    smtplib's ``connect()`` and ``data()`` add themselves (``connect: ...``,
    ``data: (354, ...)``) are not included: an smtplib-compatible facade prints those
    from its own ``connect``/``data``, and `smtplib_debug` adds them for a transcript.
    """
    lines: list[str] = []
    sent = sent_bytes(exchange, reveal=reveal)
    if sent:
        if is_message_body(exchange):
            lines.append(f"send: {sent!r}")
        else:
            lines.append(f"send: {sent.decode('utf-8', 'surrogateescape')!r}")
    reply = exchange.reply
    if reply is not None:
        lines += [f"reply: {line!r}" for line in reply_wire_lines(reply)]
        lines.append(f"reply: retcode ({reply.code}); Msg: {smtplib_message(reply)!a}")
    return lines


def _peer(details: Mapping[str, str]) -> tuple[str, int] | None:
    """(host, port) from a connect step's details: ``peer="host:port"`` or host and port."""
    if "host" in details and "port" in details:
        host, port = details["host"], details["port"]
    elif "peer" in details:
        host, _, port = details["peer"].rpartition(":")
    else:
        return None
    return (host, int(port)) if port.isdigit() else None


def smtplib_debug(steps: Iterable[Step], *, reveal: bool = False) -> str:
    """The whole session as smtplib's ``set_debuglevel(1)`` output (stderr), one line each.

    Identical to the standard library's output (``connect()``/``data()`` lines included)
    except that secrets stay redacted unless `reveal` is true. No trailing newline.
    """
    lines: list[str] = []
    for step in steps:
        name = step.name.lower()
        peer = _peer(step.details) if name == "connect" else None
        if peer is not None:
            lines.append(f"connect: to {peer!r} None")
        for exchange in step.exchanges:
            lines += smtplib_debug_lines(exchange, reveal=reveal)
            reply = exchange.reply
            if reply is None:
                continue
            if name == "connect":
                lines.append(f"connect: {smtplib_message(reply)!r}")
            elif step.command.upper() == "DATA":
                lines.append(f"data: {(reply.code, smtplib_message(reply))!r}")
    return "\n".join(lines)


def pipeline_groups(steps: Iterable[Step]) -> Iterator[list[Step]]:
    """Split steps into groups written together: one step each unless pipelined (RFC 2920)."""
    group: list[Step] = []
    mark = ""
    for step in steps:
        step_mark = step.details.get(PIPELINE_KEY, "")
        if group and (not step_mark or step_mark != mark):
            yield group
            group = []
        group.append(step)
        mark = step_mark
    if group:
        yield group


@dataclass(frozen=True)
class WireEvent:
    """One direction of one exchange, in the order it crossed the wire."""

    #: True for client → server (a line or the message sent), False for a reply.
    outgoing: bool
    step: Step
    #: Position of `exchange` inside `step.exchanges`.
    index: int
    exchange: Exchange


def wire_events(steps: Iterable[Step]) -> Iterator[WireEvent]:
    """Every send and every reply of the session in wire order.

    Within a pipelined group (RFC 2920 §3.1) each step's first line is written before any
    reply is read; later exchanges (the message after DATA's 354) follow in turn.
    """
    for group in pipeline_groups(steps):
        firsts = [step for step in group if step.exchanges]
        for step in firsts:
            yield WireEvent(True, step, 0, step.exchanges[0])
        for step in firsts:
            yield WireEvent(False, step, 0, step.exchanges[0])
        for step in firsts:
            for index, exchange in enumerate(step.exchanges[1:], start=1):
                yield WireEvent(True, step, index, exchange)
                yield WireEvent(False, step, index, exchange)


def sent_lines(exchange: Exchange, *, reveal: bool = False) -> list[str]:
    """The lines a learner reads for what was sent in one exchange (no CRLF)."""
    if is_message_body(exchange):
        body = sent_bytes(exchange, reveal=reveal).decode("utf-8", "replace")
        return body.removesuffix("\r\n").split("\r\n")
    if reveal and exchange.has_secret:
        return [exchange.sent.decode("utf-8", "replace").removesuffix("\r\n")]
    return exchange.shown.splitlines()


def reply_lines(reply: Reply) -> list[str]:
    """Each line of the reply as text, code and separator included, no CRLF."""
    return [line.decode("utf-8", "replace").rstrip("\r\n") for line in reply_wire_lines(reply)]


def arrows(steps: Iterable[Step], *, reveal: bool = False) -> str:
    """A swaks-style log: `` -> `` sent and ``<-  `` received; `` ~>`` / ``<~  `` under TLS.

    Multi-line replies get one arrow per line and a message body one arrow per line.
    Pipelined steps show all their lines sent first, then the replies, as on the wire.
    """
    out: list[str] = []
    for event in wire_events(steps):
        tls = event.step.tls
        if event.outgoing:
            lines = sent_lines(event.exchange, reveal=reveal)
            out += [(" ~> " if tls else " -> ") + line for line in lines]
        elif event.exchange.reply is not None:
            out += [("<~  " if tls else "<-  ") + line for line in reply_lines(event.exchange.reply)]
    return "\n".join(out)
