"""SASL mechanisms for AUTH (PLAIN, LOGIN, CRAM-MD5) as pure exchanges.

Each mechanism turns 334 challenges into response commands and writes down its
working in `working`, the way a learner would on paper. The password, and any
base64 that contains it, never appears in a command's views, the working or a repr.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence

from smtplearn.protocol import commands
from smtplearn.protocol.commands import Command
from smtplearn.protocol.errors import LocalProtocolError, RemoteProtocolError
from smtplearn.protocol.grammar import REDACTED, b64decode_strict, b64encode_text, cram_md5_digest
from smtplearn.protocol.replies import Reply

#: Preferred first: CRAM-MD5 never sends the password, PLAIN and LOGIN send it
#: (only base64-encoded, which is why servers offer them only under TLS).
STRENGTH_ORDER = ("CRAM-MD5", "PLAIN", "LOGIN")


# RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd
def plain_message(username: str, password: str) -> str:
    """PLAIN's one message (before base64), with an empty authzid as smtplib sends it."""
    return f"\0{username}\0{password}"


# RFC 2195 §2: "the client ... responds with a string consisting of the user name, a
# space, and a 'digest'" (the digest itself: `grammar.cram_md5_digest`).
def cram_md5_response(username: str, password: str, challenge: bytes) -> str:
    """CRAM-MD5's answer to a decoded challenge (before base64)."""
    return f"{username} {cram_md5_digest(password, challenge)}"


class SASLMechanism(abc.ABC):
    """One authentication exchange for one user; use it once."""

    #: The mechanism's name as AUTH spells it.
    name: str = ""

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self._password = password
        #: What the mechanism did, step by step, with secrets redacted.
        self.working: list[str] = []
        #: How many 334 challenges have arrived so far.
        self.challenges = 0
        #: What no reply may show, should the server echo it: the password, and for
        #: CRAM-MD5 the digest (it lets anyone who sees it guess the password offline).
        self.secrets: list[str] = [password]

    @abc.abstractmethod
    def start(self) -> Command:
        """The AUTH command, with an initial response where the mechanism allows it."""

    @abc.abstractmethod
    def respond(self, challenge: Reply) -> Command:
        """The answer to a 334 challenge."""

    # RFC 4954 §4: "A server challenge is sent as a 334 reply with the text part
    # containing the [BASE64] encoded string supplied by the SASL mechanism."
    def _decode(self, challenge: Reply) -> bytes:
        if challenge.code != 334:
            raise LocalProtocolError(f"respond() answers a 334 challenge, not a {challenge.code} reply")
        self.challenges += 1
        text = challenge.text.strip()
        decoded = b64decode_strict(text)
        if decoded is None:
            raise RemoteProtocolError(f"334 challenge is not base64: {text!r}")
        shown = decoded.decode("utf-8", "replace")
        # A hostile server could send our own password back as a "challenge".
        if self._password:
            shown = shown.replace(self._password, REDACTED)
        self.working.append(f"challenge decoded: {shown}")
        return decoded

    def _cancel(self) -> Command:
        # RFC 4954 §4: "If the client wishes to cancel an authentication exchange,
        # it issues a line with a single "*"."
        self.working.append(f'unexpected challenge for {self.name}: cancelling with "*"')
        return commands.auth_response("*", secret=False)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} for {self.username!r}>"


class PLAIN(SASLMechanism):
    """RFC 4616: one message, ``authzid NUL authcid NUL passwd``, base64-encoded."""

    name = "PLAIN"

    def __init__(self, username: str, password: str) -> None:
        super().__init__(username, password)
        # RFC 4616 §2: the fields are UTF8SAFE, "any UTF-8 encoded Unicode
        # character except NUL", because NUL separates them.
        if "\0" in username or "\0" in password:
            raise LocalProtocolError("PLAIN cannot carry a NUL in the user name or password")

    # RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd
    # RFC 4954 §4 lets it ride on the AUTH line as an initial response.
    def start(self) -> Command:
        self.working.append(f'response = base64("\\0{self.username}\\0{REDACTED}")')
        response = b64encode_text(plain_message(self.username, self._password))
        return commands.auth(self.name, response, secret=True)

    def respond(self, challenge: Reply) -> Command:
        # PLAIN is a single message, already sent with AUTH: a challenge after it
        # is nothing PLAIN can answer.
        self._decode(challenge)
        return self._cancel()


class LOGIN(SASLMechanism):
    """draft-murchison-sasl-login: the server asks "Username:", then "Password:"."""

    name = "LOGIN"

    def start(self) -> Command:
        return commands.auth(self.name)

    def respond(self, challenge: Reply) -> Command:
        prompt = self._decode(challenge).decode("utf-8", "replace").strip().lower()
        # The draft says the prompts are informational: go by order when they are
        # not the usual words (some servers send "User Name" or "Password:").
        step = self.challenges
        if step > 2:
            return self._cancel()
        if prompt.startswith("user") or (step == 1 and not prompt.startswith("pass")):
            self.working.append(f'response = base64("{self.username}")')
            return commands.auth_response(b64encode_text(self.username), secret=False)
        self.working.append(f"response = base64({REDACTED})")
        return commands.auth_response(b64encode_text(self._password), secret=True)


class CRAM_MD5(SASLMechanism):
    """RFC 2195: answer the challenge with HMAC-MD5 keyed by the password."""

    name = "CRAM-MD5"

    def start(self) -> Command:
        return commands.auth(self.name)

    # RFC 2195 §2: "The data encoded in the first ready response contains a
    # presumptively arbitrary string of random digits, a timestamp, and the
    # fully-qualified primary host name of the server. ... The client makes note of
    # the data and then responds with a string consisting of the user name, a space,
    # and a 'digest'. The latter is computed by applying the keyed MD5 algorithm from
    # [KEYED-MD5] where the key is a shared secret and the digested text is the
    # timestamp (including angle-brackets)."
    def respond(self, challenge: Reply) -> Command:
        message = self._decode(challenge)
        if self.challenges > 1:
            return self._cancel()
        shown = message.decode("utf-8", "replace")
        answer = cram_md5_response(self.username, self._password, message)
        digest = answer.rpartition(" ")[2]
        self.secrets.append(digest)
        self.working.append(f"HMAC-MD5 key = the password ({REDACTED}), message = {shown}")
        self.working.append(f"digest = {digest}")
        self.working.append(f'response = base64("{self.username} {digest}")')
        # Only the user name and the digest travel: nothing here needs redacting.
        return commands.auth_response(b64encode_text(answer), secret=False)


_MECHANISMS: dict[str, type[SASLMechanism]] = {m.name: m for m in (PLAIN, LOGIN, CRAM_MD5)}


def mechanism(name: str, username: str, password: str) -> SASLMechanism:
    """A fresh exchange for mechanism `name` (any case)."""
    try:
        cls = _MECHANISMS[name.upper()]
    except KeyError:
        raise LocalProtocolError(
            f"unsupported SASL mechanism {name!r}; smtplearn speaks {', '.join(STRENGTH_ORDER)}"
        ) from None
    return cls(username, password)


def identity(lines: Sequence[bytes]) -> str | None:
    """The user name an AUTH exchange logged in as, read from the client's lines on the wire.

    `lines` are the client's lines of one exchange in order, the ``AUTH`` command first.
    Only the user name is returned, never the password: PLAIN's ``authcid`` (RFC 4616 §2),
    LOGIN's first answer, or the name before CRAM-MD5's digest (RFC 2195 §2). None when
    the lines are not such an exchange or stop before naming anyone.
    """
    if not lines:
        return None
    words = lines[0].split()
    if len(words) < 2 or words[0].upper() != b"AUTH":
        return None
    name = words[1].decode("ascii", "replace").upper()
    # RFC 4954 §4: an initial response may ride on the AUTH line; "=" stands for an empty one.
    responses = [*words[2:3], *(line.strip() for line in lines[1:])]
    if not responses:
        return None
    first = b"" if responses[0] == b"=" else b64decode_strict(responses[0])
    if first is None:
        return None
    if name == "PLAIN":
        # RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd
        fields = first.split(b"\0")
        user = fields[1] if len(fields) == 3 else None
    elif name == "LOGIN":
        user = first
    elif name == "CRAM-MD5":
        user = first.rpartition(b" ")[0] or None
    else:
        return None
    return None if user is None else user.decode("utf-8", "replace")


def password_in_clear(lines: Sequence[bytes]) -> str | None:
    """The password anyone reading these AUTH lines learns, or None (CRAM-MD5 sends none).

    What a man in the middle decodes from a cleartext PLAIN (RFC 4616 §2, ``passwd``) or
    LOGIN (its second answer) exchange: base64 is an encoding, not a protection.
    """
    if not lines or len(lines[0].split()) < 2:
        return None
    words = lines[0].split()
    name = words[1].decode("ascii", "replace").upper()
    responses = [*words[2:3], *(line.strip() for line in lines[1:])]
    if name == "PLAIN" and responses:
        fields = (b64decode_strict(responses[0]) or b"").split(b"\0")
        password = fields[2] if len(fields) == 3 else None
    elif name == "LOGIN" and len(responses) >= 2:
        password = b64decode_strict(responses[1])
    else:
        return None
    return None if password is None else password.decode("utf-8", "replace")


def choose(offered: Iterable[str]) -> str:
    """The strongest mechanism in `offered` that smtplearn speaks (see STRENGTH_ORDER)."""
    offered = [name.upper() for name in offered]
    for name in STRENGTH_ORDER:
        if name in offered:
            return name
    raise LocalProtocolError(
        f"no usable SASL mechanism: the server offered {', '.join(offered) or 'none'}; "
        f"smtplearn speaks {', '.join(STRENGTH_ORDER)} (RFC 4954 §3)"
    )
