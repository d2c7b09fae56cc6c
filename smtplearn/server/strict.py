"""The rules the DebugServer enforces on what it receives; each returns a refusal or None.

Some rules always hold (control characters: the client core's rule, and an attempt at
injection). The others are what the lessons teach but many real servers let through; the
server's one ``lenient`` switch turns all of those off together, for a lesson that shows a
forgiving server. The lexical facts come from `smtplearn.protocol`, never restated here.
"""

from __future__ import annotations

from collections.abc import Iterable

from smtplearn.protocol.data import needs_8bitmime
from smtplearn.protocol.grammar import (
    CONTROL_CHARACTER,
    ESMTP_PARAM,
    SMTPUTF8,
    mailbox_character_problem,
    path_length_problem,
    utf8_without_smtputf8,
)

# -- always -------------------------------------------------------------------------------


def control_character_refusal(line: bytes) -> str | None:
    """A 501 when the command line (without its line ending) holds a control character."""
    found = CONTROL_CHARACTER.search(line.decode("latin-1"))
    if found is None:
        return None
    return (
        f"501 5.5.2 Syntax error: control character U+{ord(found.group()):04X} at position "
        f"{found.start()}; command arguments are printable text (RFC 5321 §4.1.2)"
    )


# -- unless lenient -----------------------------------------------------------------------


def line_ending_refusal(line: bytes) -> str | None:
    """A 500 when a command line does not end in exactly one CRLF (RFC 5321 §2.3.8)."""
    if line.endswith(b"\r\n") and not line.endswith(b"\r\r\n"):
        return None
    ending = "a bare CR before the CRLF" if line.endswith(b"\r\r\n") else "a bare LF"
    return (
        f"500 5.5.2 Syntax error: the command line ends in {ending}; every SMTP line ends "
        "with CRLF, \\r\\n (RFC 5321 §2.3.8)"
    )


def greeting_refusal(verb: str, name: str | None) -> str | None:
    """A 501 for an EHLO or HELO name that is not ASCII.

    RFC 6531 §3.7.1: the client cannot know whether SMTPUTF8 is offered before the EHLO
    reply, so it "MUST send only ASCII (LDH label or A-label) domains in the EHLO command".
    """
    if name is None or name.isascii():
        return None
    return (
        f"501 5.5.4 Syntax error: {verb} takes an ASCII name (an A-label such as "
        "xn--jrgen-kva.example for a non-ASCII one, RFC 6531 §3.7.1)"
    )


def _split_path(argument: str, keyword: str) -> tuple[str, list[str]] | str:
    """(mailbox, parameters) from ``FROM:<mailbox> SP params``, or why it is malformed."""
    # RFC 5321 §3.3: "spaces are not permitted on either side of the colon following FROM
    # in the MAIL command or TO in the RCPT command"; §4.1.2: Path = "<" Mailbox ">".
    shape = f"{keyword}<address> (RFC 5321 §4.1.2, no space after the colon: §3.3)"
    if argument[: len(keyword)].upper() != keyword:
        return f"expected {shape}"
    rest = argument[len(keyword) :]
    if not rest.startswith("<"):
        return f"the address must follow the colon in angle brackets: {shape}"
    end = rest.find(">")
    if end == -1:
        return f"the path has no closing '>': {shape}"
    mailbox, tail = rest[1:end], rest[end + 1 :]
    if tail and not tail.startswith(" "):
        return "parameters are separated from the path by a space (RFC 5321 §4.1.2)"
    return mailbox, tail.split(" ")[1:]


def _parameter_problem(parameters: list[str]) -> str | None:
    seen: set[str] = set()
    for parameter in parameters:
        if not ESMTP_PARAM.match(parameter):
            return f"parameter {parameter!r} is not keyword[=value] (RFC 5321 §4.1.2 esmtp-param)"
        keyword = parameter.partition("=")[0].upper()
        if keyword in seen:
            # RFC 1870 §6: "Only one SIZE parameter may be specified in a single MAIL command";
            # a second value of any parameter leaves the server to guess which one was meant.
            return f"parameter {keyword} is given twice (RFC 1870 §6 for SIZE)"
        seen.add(keyword)
    return None


def _checked_path(argument: str | None, keyword: str, bad_address: str) -> tuple[str, list[str]] | str:
    """(mailbox, parameters) of a MAIL or RCPT argument, or the 501 that refuses it.

    `bad_address` begins the reply for a mailbox the grammar refuses (its code differs:
    5.1.7 for a sender, 5.1.3 for a recipient, RFC 3463).
    """
    split = _split_path(argument or "", keyword)
    if isinstance(split, str):
        return f"501 5.5.4 Syntax error: {split}"
    mailbox, parameters = split
    problem = _parameter_problem(parameters)
    if problem is not None:
        return f"501 5.5.4 Syntax error: {problem}"
    problem = mailbox_character_problem(mailbox) or path_length_problem(mailbox)
    if problem is not None:
        return f"{bad_address}: {problem}"
    return mailbox, parameters


def mail_refusal(argument: str | None) -> str | None:
    """Why ``MAIL <argument>`` is refused, or None (then aiosmtpd handles it as usual)."""
    checked = _checked_path(argument, "FROM:", "501 5.1.7 Bad sender address")
    if isinstance(checked, str):
        return checked
    mailbox, parameters = checked
    if utf8_without_smtputf8(mailbox, smtputf8=SMTPUTF8 in (p.upper() for p in parameters)):
        # RFC 6531 §3.4: the client MUST add SMTPUTF8 when the envelope needs it; §3.5 names
        # the reply: 550 with 5.6.7 for MAIL, 553 with 5.6.7 for RCPT.
        return (
            f"550 5.6.7 Non-ASCII address <{mailbox}> not permitted without SMTPUTF8: "
            "add SMTPUTF8 to MAIL FROM (RFC 6531 §3.4)"
        )
    return None


def rcpt_refusal(argument: str | None, *, smtputf8: bool) -> str | None:
    """Why ``RCPT <argument>`` is refused, or None; `smtputf8` is the transaction's MAIL."""
    checked = _checked_path(argument, "TO:", "501 5.1.3 Bad recipient address")
    if isinstance(checked, str):
        return checked
    mailbox, _ = checked
    if utf8_without_smtputf8(mailbox, smtputf8=smtputf8):
        return (
            f"553 5.6.7 Non-ASCII address <{mailbox}> not permitted: this transaction's "
            "MAIL FROM did not carry SMTPUTF8 (RFC 6531 §3.4)"
        )
    return None


def lookup_refusal(verb: str, argument: str | None) -> str | None:
    """A 550 5.6.8 for ``VRFY``/``EXPN`` with a non-ASCII string but no SMTPUTF8 parameter.

    RFC 6531 §3.7.4.2: ``vrfy = "VRFY" SP String [ SP "SMTPUTF8" ]``, the parameter counting
    "for that command only"; a reply that would need UTF-8 for a client that did not send
    it "MUST use either the reply-code 252 or 550", enhanced code X.6.8.
    """
    words = (argument or "").split(" ")
    smtputf8 = words[-1].upper() == SMTPUTF8
    query = " ".join(words[:-1] if smtputf8 else words)
    if not utf8_without_smtputf8(query, smtputf8=smtputf8):
        return None
    return (
        f"550 5.6.8 Non-ASCII {verb} string {query!r} not permitted without SMTPUTF8: add the "
        f"parameter, as in {verb} {query} {SMTPUTF8} (RFC 6531 §3.7.4.2)"
    )


def eight_bit_refusal(content: bytes, mail_options: Iterable[str]) -> str | None:
    """A 554 for 8-bit message data that MAIL FROM did not declare (RFC 5321 §2.4)."""
    options = {option.upper() for option in mail_options}
    # RFC 6531 §3.1 item 8: a server offering SMTPUTF8 also supports 8BITMIME, and an
    # SMTPUTF8 message (RFC 6532) carries UTF-8 header fields: SMTPUTF8 covers 8-bit data.
    if not needs_8bitmime(content) or options & {"BODY=8BITMIME", "SMTPUTF8"}:
        return None
    return (
        "554 5.6.0 Message refused: it holds 8-bit data, but MAIL FROM did not declare "
        "BODY=8BITMIME (RFC 6152; without it, RFC 5321 §2.4 allows only 7-bit data)"
    )
