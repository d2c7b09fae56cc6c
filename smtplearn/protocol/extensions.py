"""What the server said it can do: the `Extensions` parsed from an EHLO reply.

Nothing here decides what to send; the connection and the client ask `Extensions`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from smtplearn.protocol.errors import RemoteProtocolError
from smtplearn.protocol.replies import Reply

# RFC 5321 §4.1.1.1:
#   ehlo-line    = ehlo-keyword *( SP ehlo-param )
#   ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
#   ehlo-param   = 1*(%d33-126)
# Old servers (and Outlook clients of theirs) also announce "AUTH=LOGIN PLAIN", from
# a draft of RFC 2554; smtplib accepts it too, so "=" may stand for the first space.
#: RFC 1870 §3: size-value ::= 1*20DIGIT, the longest size a client can declare.
MAX_SIZE_DIGITS = 20

EHLO_LINE = re.compile(r"([A-Za-z0-9][A-Za-z0-9-]*)(?:[ =](.*))?\Z", re.DOTALL)


class Extensions(Mapping[str, str]):
    """The SMTP service extensions from an EHLO reply: keyword → parameters.

    Keys are upper case; lookups ignore case (``ext["size"]``). A keyword without
    parameters maps to ``""``. Lines that are not ehlo-lines are kept in `ignored`.
    """

    def __init__(
        self,
        keywords: Mapping[str, str] | None = None,
        *,
        domain: str = "",
        greeting: str = "",
        auth_mechanisms: tuple[str, ...] = (),
        ignored: tuple[str, ...] = (),
    ) -> None:
        self._keywords = {k.upper(): v for k, v in (keywords or {}).items()}
        #: The server's name for itself: the first word of the reply (RFC 5321 §4.1.1.1).
        self.domain = domain
        #: The rest of the first line, e.g. "Hello [192.168.1.17], pleased to meet you".
        self.greeting = greeting
        self._auth = auth_mechanisms or tuple(self._keywords.get("AUTH", "").upper().split())
        #: Lines after the first that are not valid ehlo-lines (skipped, not fatal).
        self.ignored = ignored

    @classmethod
    def empty(cls) -> Extensions:
        """No extensions: after HELO, before EHLO, or just after STARTTLS."""
        return cls()

    # RFC 5321 §4.1.1.1:
    #   ehlo-ok-rsp = ( "250" SP Domain [ SP ehlo-greet ] CRLF )
    #               / ( "250-" Domain [ SP ehlo-greet ] CRLF
    #                   *( "250-" ehlo-line CRLF )
    #                   "250" SP ehlo-line CRLF )
    @classmethod
    def from_ehlo(cls, reply: Reply) -> Extensions:
        """Parse a 250 reply to EHLO. Raises only `RemoteProtocolError`."""
        if reply.code != 250:
            raise RemoteProtocolError(f"EHLO extensions come in a 250 reply, not {reply.code}")
        first, *rest = reply.lines or ("",)
        domain, _, greeting = first.strip().partition(" ")
        keywords: dict[str, str] = {}
        auth: list[str] = []
        ignored: list[str] = []
        for line in rest:
            match = EHLO_LINE.match(line.strip())
            if match is None:
                ignored.append(line)
                continue
            keyword, params = match.group(1).upper(), (match.group(2) or "").strip()
            # "AUTH PLAIN" and "AUTH=LOGIN" may both appear: merge their mechanisms.
            if keyword == "AUTH":
                auth.extend(m for m in params.upper().split() if m not in auth)
            keywords.setdefault(keyword, params)
        return cls(
            keywords,
            domain=domain,
            greeting=greeting.strip(),
            auth_mechanisms=tuple(auth),
            ignored=tuple(ignored),
        )

    def __getitem__(self, key: str) -> str:
        if not isinstance(key, str):
            raise KeyError(key)
        return self._keywords[key.upper()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keywords)

    def __len__(self) -> int:
        return len(self._keywords)

    def has(self, name: str) -> bool:
        """True if the server announced the extension `name` (any case)."""
        return name in self

    def params(self, name: str) -> str | None:
        """The parameters announced with `name` (``""`` if none), or None if absent."""
        return self.get(name)

    # RFC 1870 §3: size-param ::= [1*DIGIT]; "A parameter value of 0 (zero) indicates
    # that no fixed maximum message size is in force." The client's own SIZE= value is
    # size-value ::= 1*20DIGIT, so a longer limit is one no message could reach.
    @property
    def size_limit(self) -> int | None:
        """The largest message the server takes (SIZE), or None if it states none.

        None too when the parameter is not a number (``SIZE 10MB``) or longer than 20
        digits: never an exception, whatever the server announced.
        """
        value = (self.get("SIZE") or "").strip()
        if not value.isascii() or not value.isdigit() or len(value) > MAX_SIZE_DIGITS:
            return None
        return int(value) or None

    @property
    def auth_mechanisms(self) -> tuple[str, ...]:
        """The SASL mechanisms offered with AUTH (RFC 4954 §3), upper case, in order."""
        return self._auth

    def __repr__(self) -> str:
        if not self._keywords:
            return "<Extensions: none>"
        listed = ", ".join(f"{k} {v}".rstrip() for k, v in self._keywords.items())
        return f"<Extensions of {self.domain or '?'}: {listed}>"
