"""SMTP commands: the `Command` record and one builder per command.

Builders check every argument before a single byte exists, so a bad argument is a
`LocalProtocolError` here, never a strange line on the wire. Whether a command may
be sent *now* is not decided here but in `smtplearn.protocol.states`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from smtplearn.protocol.errors import LocalProtocolError
from smtplearn.protocol.grammar import CONTROL_CHARACTER, mailbox_character_problem

#: What renderings show instead of a secret.
REDACTED = "<redacted>"

#: The verb given to a line that answers a SASL challenge (it has no verb of its own).
AUTH_RESPONSE = "AUTH-RESPONSE"

# RFC 5321 §4.5.3.1.4: "The maximum total length of a command line including the
# command word and the <CRLF> is 512 octets."
MAX_COMMAND_LINE = 512
# RFC 4954 §4: a client response to a 334 challenge may be up to 12288 octets. The
# AUTH command itself keeps the 512 limit: "If use of the initial response argument
# would cause the AUTH command to exceed this length, the client MUST NOT use the
# initial response parameter".
MAX_AUTH_RESPONSE_LINE = 12288

# RFC 4422 §3.1: sasl-mech = 1*20mech-char; mech-char = UPPER-ALPHA / DIGIT / "-" / "_"
SASL_MECH = re.compile(r"[A-Za-z0-9_-]{1,20}\Z")
# RFC 5321 §4.1.2: esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
#                  esmtp-value = 1*(%d33-60 / %d62-126)
ESMTP_PARAM = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*(=[!-<>-~]+)?\Z")

BODY_TYPES = ("7BIT", "8BITMIME")

_CONTROL_NAMES = {
    "\r": "a carriage return (\\r)",
    "\n": "a line feed (\\n)",
    "\0": "a NUL (\\x00)",
}


@dataclass(frozen=True)
class Command:
    """One command line, ready to send, with the views a learner may see.

    `line` is the exact bytes for the wire and is left out of the repr because it
    may carry a password; `shown` and `redacted` replace any secret by ``<redacted>``.
    """

    #: Upper-case verb: "EHLO", "MAIL"...; "AUTH-RESPONSE" for a SASL continuation.
    verb: str
    line: bytes = field(repr=False)
    #: What a learner reads: no CRLF, secrets redacted.
    shown: str
    #: The wire view with the same redaction, CRLF included.
    redacted: bytes
    #: The part of `line` that `shown` and `redacted` hide ("" when nothing is hidden).
    secret: str = field(default="", repr=False)

    @property
    def has_secret(self) -> bool:
        """True when the wire bytes differ from what renderings show."""
        return self.line != self.redacted


def check_text(name: str, value: str) -> str:
    """Return `value` unchanged, or raise if it holds a control character."""
    found = CONTROL_CHARACTER.search(value)
    if found is not None:
        position, char = found.start(), found.group()
        if char in "\r\n":
            raise LocalProtocolError(
                f"{name} contains {_CONTROL_NAMES[char]} at position {position}: SMTP "
                "commands end at CRLF, so this would smuggle a second command "
                "(RFC 5321 §2.3.8)"
            )
        what = _CONTROL_NAMES.get(char, f"a control character (U+{ord(char):04X})")
        raise LocalProtocolError(
            f"{name} contains {what} at position {position}: command arguments are "
            "printable text (RFC 5321 §4.1.2)"
        )
    return value


def _build(verb: str, public: str, secret: str | None = None) -> Command:
    """Assemble a command from its public text and an optional secret tail."""
    text = public + (secret or "")
    line = text.encode("utf-8") + b"\r\n"
    shown = public + REDACTED if secret else text
    limit = MAX_AUTH_RESPONSE_LINE if verb == AUTH_RESPONSE else MAX_COMMAND_LINE
    if len(line) > limit:
        rule = (
            "RFC 4954 §4 allows client responses of"
            if verb == AUTH_RESPONSE
            else "RFC 5321 §4.5.3.1.4 allows command lines of"
        )
        hint = " (send AUTH without an initial response)" if verb == "AUTH" else ""
        # A raw line's first word may be anything (even a secret): never echo much of it.
        named = verb if len(verb) <= 16 else "command"
        raise LocalProtocolError(
            f"the {named} line would be {len(line)} octets with its CRLF; {rule} at most {limit}{hint}"
        )
    return Command(verb, line, shown, shown.encode("utf-8") + b"\r\n", secret or "")


def _domain(domain: str) -> str:
    # RFC 5321 §4.1.1.1: ehlo = "EHLO" SP ( Domain / address-literal ) CRLF
    check_text("domain", domain)
    if not domain or " " in domain:
        raise LocalProtocolError(f"domain must be one non-empty word, got {domain!r} (RFC 5321 §4.1.1.1)")
    return domain


# RFC 5321 §4.1.2:
#   Reverse-path = Path / "<>"
#   Forward-path = Path
#   Path         = "<" [ A-d-l ":" ] Mailbox ">"
# RFC 6531 §3.3 lets Mailbox hold UTF-8 only when the transaction uses SMTPUTF8.
def _path(address: str, *, smtputf8: bool, null_ok: bool) -> str:
    check_text("address", address)
    inner = address[1:-1] if address.startswith("<") and address.endswith(">") else address
    if not inner and not null_ok:
        raise LocalProtocolError(
            "a recipient needs an address: only MAIL FROM may use the null path <> (RFC 5321 §4.1.1.3)"
        )
    # The length limits (grammar.path_length_problem) are not checked here: RFC 5321
    # §4.5.3.1 lets a client try longer paths, as long as it is ready for a refusal.
    problem = mailbox_character_problem(inner)
    if problem is not None:
        raise LocalProtocolError(problem)
    if not inner.isascii() and not smtputf8:
        raise LocalProtocolError(
            f"address {inner!r} is not ASCII: use SMTPUTF8 (smtputf8=True, if the server "
            "announces it) to send an internationalized address (RFC 6531 §3.4)"
        )
    return f"<{inner}>"


def _params(params: Iterable[str]) -> str:
    text = ""
    for param in params:
        check_text("parameter", param)
        if not ESMTP_PARAM.match(param):
            raise LocalProtocolError(
                f"parameter {param!r} is not keyword[=value] (RFC 5321 §4.1.2 esmtp-param)"
            )
        text += " " + param
    return text


def ehlo(domain: str) -> Command:
    """``EHLO domain``: greet the server and ask for its extensions (RFC 5321 §4.1.1.1)."""
    return _build("EHLO", f"EHLO {_domain(domain)}")


def helo(domain: str) -> Command:
    """``HELO domain``: the pre-extension greeting (RFC 5321 §4.1.1.1)."""
    return _build("HELO", f"HELO {_domain(domain)}")


# RFC 1870 §3: SIZE=<size-value>; RFC 6152 §2: BODY=7BIT / BODY=8BITMIME;
# RFC 6531 §3.4: the SMTPUTF8 parameter has no value.
def mail(
    address: str,
    *,
    size: int | None = None,
    body: str | None = None,
    smtputf8: bool = False,
    params: Iterable[str] = (),
) -> Command:
    """``MAIL FROM:<address>`` with optional SIZE, BODY and SMTPUTF8 parameters."""
    text = f"MAIL FROM:{_path(address, smtputf8=smtputf8, null_ok=True)}"
    if size is not None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise LocalProtocolError(f"size must be a whole number of octets, got {size!r}")
        text += f" SIZE={size}"
    if body is not None:
        if body.upper() not in BODY_TYPES:
            raise LocalProtocolError(f"body must be 7BIT or 8BITMIME, got {body!r} (RFC 6152)")
        text += f" BODY={body.upper()}"
    if smtputf8:
        text += " SMTPUTF8"
    return _build("MAIL", text + _params(params))


def rcpt(address: str, *, smtputf8: bool = False, params: Iterable[str] = ()) -> Command:
    """``RCPT TO:<address>`` (RFC 5321 §4.1.1.3); `smtputf8` permits a UTF-8 address."""
    path = _path(address, smtputf8=smtputf8, null_ok=False)
    return _build("RCPT", f"RCPT TO:{path}" + _params(params))


def data() -> Command:
    """``DATA``: ask to send the message; 354 means go ahead (RFC 5321 §4.1.1.4)."""
    return _build("DATA", "DATA")


def rset() -> Command:
    """``RSET``: abort the mail transaction (RFC 5321 §4.1.1.5)."""
    return _build("RSET", "RSET")


def noop() -> Command:
    """``NOOP``: do nothing, get a 250 (RFC 5321 §4.1.1.9)."""
    return _build("NOOP", "NOOP")


def vrfy(address: str) -> Command:
    """``VRFY address``: ask whether a user or mailbox exists (RFC 5321 §4.1.1.6).

    The argument is sent as given: ``vrfy("<dhellmann>")`` is what smtplib sends.
    """
    check_text("address", address)
    return _build("VRFY", f"VRFY {address}".rstrip())


def expn(name: str) -> Command:
    """``EXPN name``: ask for the members of a mailing list (RFC 5321 §4.1.1.7)."""
    check_text("name", name)
    return _build("EXPN", f"EXPN {name}".rstrip())


def help(topic: str | None = None) -> Command:
    """``HELP [topic]`` (RFC 5321 §4.1.1.8)."""
    if topic is None:
        return _build("HELP", "HELP")
    check_text("topic", topic)
    return _build("HELP", f"HELP {topic}".rstrip())


def quit() -> Command:
    """``QUIT``: end the session; the server answers 221 and closes (RFC 5321 §4.1.1.10)."""
    return _build("QUIT", "QUIT")


def starttls() -> Command:
    """``STARTTLS``: switch to TLS; 220 means start the handshake (RFC 3207 §4)."""
    return _build("STARTTLS", "STARTTLS")


# RFC 4954 §4: auth-command = "AUTH" SP sasl-mech [SP initial-response]
#              initial-response = base64 / "="     ; "=" is an empty response
def auth(mechanism: str, initial_response: str | None = None, *, secret: bool = False) -> Command:
    """``AUTH mechanism [initial-response]``; `secret` redacts the response."""
    check_text("mechanism", mechanism)
    if not SASL_MECH.match(mechanism):
        raise LocalProtocolError(f"mechanism {mechanism!r} is not a SASL mechanism name (RFC 4422 §3.1)")
    public = f"AUTH {mechanism.upper()}"
    if initial_response is None:
        return _build("AUTH", public)
    check_text("initial_response", initial_response)
    response = initial_response or "="
    if secret:
        return _build("AUTH", public + " ", response)
    return _build("AUTH", f"{public} {response}")


# RFC 4954 §4: "If the client wishes to cancel an authentication exchange, it issues
# a line with a single "*"."
def auth_response(b64_text: str, *, secret: bool) -> Command:
    """One base64 line answering a 334 challenge; ``"*"`` cancels the exchange."""
    check_text("response", b64_text)
    if secret:
        return _build(AUTH_RESPONSE, "", b64_text)
    return _build(AUTH_RESPONSE, b64_text)


def raw(line: str, *, secret: bool | None = None) -> Command:
    """Any line, spelled exactly as given (``"mail FROM:<a@b> size=266"``).

    The verb is the first word, upper-cased. With `secret`, everything after the
    verb (after the mechanism, for AUTH) is redacted in the learner's views. Left
    unsaid, an AUTH line's initial response counts as secret: typed by hand, it is
    most likely ``AUTH PLAIN`` with a password inside (RFC 4616 §2).
    """
    check_text("line", line)
    words = line.split(" ")
    verb = words[0].upper()
    if secret is None:
        secret = verb == "AUTH" and len(words) > 2
    if not secret:
        return _build(verb, line)
    keep = 2 if verb == "AUTH" else 1
    public = " ".join(words[:keep])
    if len(words) <= keep:
        return _build(verb, "", line)
    return _build(verb, public + " ", line[len(public) + 1 :])
