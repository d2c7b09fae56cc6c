"""Keeping the client's own secrets out of what the server says back.

A server may echo a credential in a reply (``535 bad password hunter2``), or in the
base64 it received. Every view of a reply (text, HTML, SVG, logs, exceptions) is built
from the `Reply` the core hands out, so the core scrubs each reply once, as it arrives,
and nothing downstream has to remember to.
"""

from __future__ import annotations

import base64
from dataclasses import replace

from smtplearn.protocol.grammar import REDACTED, b64decode_strict
from smtplearn.protocol.replies import Reply

#: Secrets shorter than this are not scrubbed: they would match ordinary words in replies.
MIN_SECRET = 4

_REDACTED_BYTES = REDACTED.encode("ascii")


def base64_forms(secret: bytes) -> set[bytes]:
    """The base64 text that shows whenever `secret` is encoded inside anything longer.

    Base64 turns each 3 bytes into 4 characters, so `secret` encodes one of three ways
    depending on its offset in the encoded data. The characters that depend on `secret`
    alone appear whatever surrounds it (PLAIN's ``\\0user\\0password``, LOGIN's bare password).
    """
    forms = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + secret)
        start = 4 if offset else 0
        end = 4 * ((offset + len(secret)) // 3)
        forms.add(encoded[start:end])
    return forms


class SecretScrubber:
    """The client's secrets, in every form a server could echo them, and their removal."""

    def __init__(self) -> None:
        # Longest first, so a whole base64 response goes before the password inside it.
        self._forms: tuple[bytes, ...] = ()

    def hide(self, secret: str) -> None:
        """Scrub `secret`, as text and inside any base64, from every later reply."""
        raw = secret.encode("utf-8")
        self._add({raw, *base64_forms(raw)})

    def hide_response(self, response: str) -> None:
        """Scrub a secret SASL response: its base64 text and what it decodes to.

        The last NUL-separated field of the decoded text is the password in PLAIN
        (RFC 4616 §2: ``[authzid] NUL authcid NUL passwd``) and the whole of LOGIN's answer.
        """
        self._add({response.encode("utf-8")})
        try:
            decoded = (b64decode_strict(response) or b"").decode("utf-8")
        except UnicodeDecodeError:
            return
        if not decoded:
            return
        self.hide(decoded)
        self.hide(decoded.rpartition("\0")[2])

    def _add(self, forms: set[bytes]) -> None:
        kept = {form for form in forms if len(form) >= MIN_SECRET}
        self._forms = tuple(sorted(set(self._forms) | kept, key=len, reverse=True))

    def scrub(self, data: bytes) -> bytes:
        for form in self._forms:
            data = data.replace(form, _REDACTED_BYTES)
        return data

    def scrub_text(self, text: str) -> str:
        if not self._forms:
            return text
        return self.scrub(text.encode("utf-8", "surrogateescape")).decode("utf-8", "replace")

    def reply(self, reply: Reply) -> Reply:
        """`reply` with every secret replaced by ``<redacted>`` (the same object if none shows)."""
        if not self._forms:
            return reply
        raw, lines = self.scrub(reply.raw), tuple(map(self.scrub_text, reply.lines))
        if raw == reply.raw and lines == reply.lines:
            return reply
        return replace(reply, lines=lines, raw=raw)
