"""SMTP commands: the `Command` record and one builder per command.

Builders check every argument before a single byte exists, so a bad argument is a
`LocalProtocolError` here, never a strange line on the wire. Whether a command may
be sent *now* is not decided here but in `smtplearn.protocol.states`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from smtplearn.protocol.errors import LocalProtocolError
from smtplearn.protocol.grammar import (
    EMPTY_INITIAL_RESPONSE,
    ESMTP_PARAM,
    LINE_BREAKS,
    MAX_AUTH_RESPONSE_LINE,
    MAX_COMMAND_LINE,
    REDACTED,
    SASL_MECH,
    SMTPUTF8,
    control_name,
    find_control,
    mailbox_character_problem,
    utf8_without_smtputf8,
)

#: The verb given to a line that answers a SASL challenge (it has no verb of its own).
AUTH_RESPONSE = "AUTH-RESPONSE"

BODY_TYPES = ("7BIT", "8BITMIME")


def check_text(name: str, value: str) -> str:
    """Return `value` unchanged, or raise if it holds a control character (see `grammar`)."""
    found = find_control(value)
    if found is not None:
        position, char = found
        if char in LINE_BREAKS:
            raise LocalProtocolError(
                f"{name} contains {control_name(char)} at position {position}: SMTP "
                "commands end at CRLF, so this would smuggle a second command "
                "(RFC 5321 §2.3.8)"
            )
        raise LocalProtocolError(
            f"{name} contains {control_name(char)} at position {position}: command arguments are "
            "printable text (RFC 5321 §4.1.2)"
        )
    return value


@dataclass(frozen=True)
class Command:
    """One command: its verb, its arguments and which of them is secret; checked when built.

    Building a `Command` (by a builder below, by hand, or with `dataclasses.replace`)
    refuses control characters and over-long lines, so no unchecked line can reach the
    wire. The wire bytes (`line`) and the learner's views (`shown`, `redacted`) are
    derived from the fields, never parsed back out of bytes.
    """

    #: Upper-case verb: "EHLO", "MAIL"...; "AUTH-RESPONSE" for a SASL continuation.
    verb: str
    #: The words after the verb word, exactly as sent (secrets included: not in the repr).
    arguments: tuple[str, ...] = field(default=(), repr=False)
    #: The end of the line that `shown` and `redacted` hide ("" when nothing is hidden).
    secret: str = field(default="", repr=False)
    #: True when the command may carry UTF-8 (RFC 6531 §3.4; on MAIL, its SMTPUTF8 parameter).
    smtputf8: bool = False
    #: The verb word as it appears on the line ("mail", "  auth" for raw lines typed so); None:
    #: `verb` itself. A SASL response (`AUTH_RESPONSE`) has no verb word.
    spelling: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        words = self._words()
        for word in words:
            check_text("line", word)
        text = " ".join(words)
        if not text.endswith(self.secret):
            raise LocalProtocolError("a command's secret must be the end of its line")
        if self.verb != self.verb.upper():
            raise LocalProtocolError(f"a command's verb is upper case, got {self.verb!r}")
        if self.spelling is not None and self.spelling.lstrip(" ").upper() != self.verb:
            raise LocalProtocolError(f"{self.spelling!r} does not spell the verb {self.verb!r}")
        if self.verb == "MAIL" and self.smtputf8 != (SMTPUTF8 in (a.upper() for a in self.arguments[1:])):
            raise LocalProtocolError("a MAIL command is SMTPUTF8 exactly when it carries that parameter")
        octets = len(text.encode("utf-8")) + 2
        limit = MAX_AUTH_RESPONSE_LINE if self.verb == AUTH_RESPONSE else MAX_COMMAND_LINE
        if octets > limit:
            rule = (
                "RFC 4954 §4 allows client responses of"
                if self.verb == AUTH_RESPONSE
                else "RFC 5321 §4.5.3.1.4 allows command lines of"
            )
            hint = " (send AUTH without an initial response)" if self.verb == "AUTH" else ""
            # A raw line's first word may be anything (even a secret): never echo much of it.
            named = self.verb if len(self.verb) <= 16 else "command"
            raise LocalProtocolError(
                f"the {named} line would be {octets} octets with its CRLF; {rule} at most {limit}{hint}"
            )

    def _words(self) -> tuple[str, ...]:
        if self.verb == AUTH_RESPONSE:  # a SASL response is the line's only word
            return self.arguments
        return (self.verb if self.spelling is None else self.spelling, *self.arguments)

    @property
    def text(self) -> str:
        """The line as sent, without CRLF; it may hold a secret."""
        return " ".join(self._words())

    @property
    def line(self) -> bytes:
        """The exact bytes for the wire, CRLF included; they may hold a secret."""
        return self.text.encode("utf-8") + b"\r\n"

    @property
    def shown(self) -> str:
        """What a learner reads: no CRLF, the secret replaced by ``<redacted>``."""
        text = self.text
        return text[: len(text) - len(self.secret)] + REDACTED if self.secret else text

    @property
    def redacted(self) -> bytes:
        """The wire view with the same redaction, CRLF included."""
        return self.shown.encode("utf-8") + b"\r\n"

    @property
    def has_secret(self) -> bool:
        """True when the wire bytes differ from what renderings show."""
        return bool(self.secret)

    def __repr__(self) -> str:
        # Only the redacted view: the arguments may hold a password.
        return f"Command(verb={self.verb!r}, shown={self.shown!r}, smtputf8={self.smtputf8!r})"

    @property
    def has_initial_response(self) -> bool:
        """True for ``AUTH mechanism initial-response`` (RFC 4954 §4)."""
        return self.verb == "AUTH" and len(self.arguments) > 1

    @property
    def carries_credentials(self) -> bool:
        """True for a SASL response: an AUTH initial response or an answer to a 334.

        ``"*"`` cancels an exchange (RFC 4954 §4) and carries nothing.
        """
        return self.has_initial_response or (self.verb == AUTH_RESPONSE and self.arguments != ("*",))


def _build(verb: str, *arguments: str, secret: str = "", smtputf8: bool = False) -> Command:
    return Command(verb, tuple(arguments), secret, smtputf8)


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
    if utf8_without_smtputf8(inner, smtputf8=smtputf8):
        raise LocalProtocolError(
            f"address {inner!r} is not ASCII: use SMTPUTF8 (smtputf8=True, if the server "
            "announces it) to send an internationalized address (RFC 6531 §3.4)"
        )
    return f"<{inner}>"


def _params(params: Iterable[str]) -> list[str]:
    checked = []
    for param in params:
        check_text("parameter", param)
        if not ESMTP_PARAM.match(param):
            raise LocalProtocolError(
                f"parameter {param!r} is not keyword[=value] (RFC 5321 §4.1.2 esmtp-param)"
            )
        checked.append(param)
    return checked


def ehlo(domain: str) -> Command:
    """``EHLO domain``: greet the server and ask for its extensions (RFC 5321 §4.1.1.1)."""
    return _build("EHLO", _domain(domain))


def helo(domain: str) -> Command:
    """``HELO domain``: the pre-extension greeting (RFC 5321 §4.1.1.1)."""
    return _build("HELO", _domain(domain))


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
    arguments = [f"FROM:{_path(address, smtputf8=smtputf8, null_ok=True)}"]
    if size is not None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise LocalProtocolError(f"size must be a whole number of octets, got {size!r}")
        arguments.append(f"SIZE={size}")
    if body is not None:
        if body.upper() not in BODY_TYPES:
            raise LocalProtocolError(f"body must be 7BIT or 8BITMIME, got {body!r} (RFC 6152)")
        arguments.append(f"BODY={body.upper()}")
    if smtputf8:
        arguments.append(SMTPUTF8)
    return _build("MAIL", *arguments, *_params(params), smtputf8=smtputf8)


def rcpt(address: str, *, smtputf8: bool = False, params: Iterable[str] = ()) -> Command:
    """``RCPT TO:<address>`` (RFC 5321 §4.1.1.3); `smtputf8` permits a UTF-8 address."""
    path = _path(address, smtputf8=smtputf8, null_ok=False)
    return _build("RCPT", f"TO:{path}", *_params(params), smtputf8=smtputf8)


def data() -> Command:
    """``DATA``: ask to send the message; 354 means go ahead (RFC 5321 §4.1.1.4)."""
    return _build("DATA")


def rset() -> Command:
    """``RSET``: abort the mail transaction (RFC 5321 §4.1.1.5)."""
    return _build("RSET")


def noop() -> Command:
    """``NOOP``: do nothing, get a 250 (RFC 5321 §4.1.1.9)."""
    return _build("NOOP")


def _free_text(text: str) -> tuple[str, ...]:
    # A free-text argument is sent as given, trailing blanks dropped ("VRFY x " is "VRFY x").
    text = text.rstrip()
    return tuple(text.split(" ")) if text else ()


# RFC 6531 §3.7.4.2: vrfy = "VRFY" SP String [ SP "SMTPUTF8" ] CRLF, and the same for EXPN;
# "String may include Non-ASCII characters" only with the parameter, for that command only.
def _lookup(verb: str, name: str, text: str, smtputf8: bool) -> Command:
    check_text(name, text)
    if utf8_without_smtputf8(text, smtputf8=smtputf8):
        raise LocalProtocolError(
            f"{name} {text!r} is not ASCII: use SMTPUTF8 (smtputf8=True, if the server announces "
            f"it) to send it with {verb} (RFC 6531 §3.7.4.2)"
        )
    return _build(verb, *_free_text(text), *([SMTPUTF8] if smtputf8 else []), smtputf8=smtputf8)


def vrfy(address: str, *, smtputf8: bool = False) -> Command:
    """``VRFY address [SMTPUTF8]``: ask whether a user or mailbox exists (RFC 5321 §4.1.1.6).

    The argument is sent as given: ``vrfy("<dhellmann>")`` is what smtplib sends.
    """
    return _lookup("VRFY", "address", address, smtputf8)


def expn(name: str, *, smtputf8: bool = False) -> Command:
    """``EXPN name [SMTPUTF8]``: ask for the members of a mailing list (RFC 5321 §4.1.1.7)."""
    return _lookup("EXPN", "name", name, smtputf8)


def help(topic: str | None = None) -> Command:
    """``HELP [topic]`` (RFC 5321 §4.1.1.8)."""
    if topic is None:
        return _build("HELP")
    check_text("topic", topic)
    return _build("HELP", *_free_text(topic))


def quit() -> Command:
    """``QUIT``: end the session; the server answers 221 and closes (RFC 5321 §4.1.1.10)."""
    return _build("QUIT")


def starttls() -> Command:
    """``STARTTLS``: switch to TLS; 220 means start the handshake (RFC 3207 §4)."""
    return _build("STARTTLS")


# RFC 4954 §4: auth-command = "AUTH" SP sasl-mech [SP initial-response]
#              initial-response = base64 / "="     ; "=" is an empty response
def auth(mechanism: str, initial_response: str | None = None, *, secret: bool = False) -> Command:
    """``AUTH mechanism [initial-response]``; `secret` redacts the response."""
    check_text("mechanism", mechanism)
    if not SASL_MECH.match(mechanism):
        raise LocalProtocolError(f"mechanism {mechanism!r} is not a SASL mechanism name (RFC 4422 §3.1)")
    if initial_response is None:
        return _build("AUTH", mechanism.upper())
    check_text("initial_response", initial_response)
    response = initial_response or EMPTY_INITIAL_RESPONSE
    return _build("AUTH", mechanism.upper(), response, secret=response if secret else "")


# RFC 4954 §4: "If the client wishes to cancel an authentication exchange, it issues
# a line with a single "*"."
def auth_response(b64_text: str, *, secret: bool) -> Command:
    """One base64 line answering a 334 challenge; ``"*"`` cancels the exchange."""
    check_text("response", b64_text)
    return _build(AUTH_RESPONSE, b64_text, secret=b64_text if secret else "")


def raw(line: str, *, secret: bool | None = None) -> Command:
    """Any line, spelled exactly as given (``"mail FROM:<a@b> size=266"``).

    The verb is the first word, upper-cased. With `secret`, everything after the
    verb (after the mechanism, for AUTH) is redacted in the learner's views. Left
    unsaid, an AUTH line's initial response counts as secret: typed by hand, it is
    most likely ``AUTH PLAIN`` with a password inside (RFC 4616 §2).
    """
    check_text("line", line)
    # Leading spaces stay on the line as typed, but the verb is the first word: "  auth
    # plain ..." is an AUTH line to every rule that looks at verbs.
    indent = line[: len(line) - len(line.lstrip(" "))]
    word, *arguments = line[len(indent) :].split(" ")
    spelling, verb = indent + word, word.upper()
    if secret is None:
        secret = verb == "AUTH" and len(arguments) > 1
    hidden = ""
    if secret:
        keep = 1 if verb == "AUTH" else 0
        # Everything after the kept words; the whole line when there is nothing after them.
        hidden = " ".join(arguments[keep:]) if len(arguments) > keep else line
    # RFC 6531 §3.4: SMTPUTF8 is a MAIL parameter; a typed MAIL line may carry it too.
    smtputf8 = verb == "MAIL" and SMTPUTF8 in (word.upper() for word in arguments[1:])
    return Command(verb, tuple(arguments), hidden, smtputf8, spelling)
