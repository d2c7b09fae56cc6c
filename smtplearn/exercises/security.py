"""The check of lesson 06's exercise: decoding an AUTH PLAIN token, to see base64 is not encryption.

RFC 4616 §2: the token is base64 of ``authzid NUL authcid NUL passwd`` in UTF-8. The test
tokens use made-up accounts only (a wrong decoder's message shows them), with non-ASCII
text, and with spaces at the edges of a password: a password is every byte between the NULs.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from smtplearn.exercises import CheckResult, correct, is_unanswered, not_yet, your_turn

__all__ = ["check_plain_decoder"]

#: (authorization identity, user, password) triples the check encodes.
PLAIN_CASES = (
    ("", "bob", "tr0ub4dor&3"),
    ("", "renée", "pässwörd with spaces"),
    ("admin", "student", "x:y\u00a0z"),
    # Spaces are part of a password: a decoder that strips them logs the user in with the wrong one.
    ("", "carol", "  spaces at both ends "),
)


def check_plain_decoder(decode_plain: Callable[[str], Any]) -> CheckResult:
    """`decode_plain(token)` must turn an AUTH PLAIN token back into (authzid, user, password)."""
    if is_unanswered(decode_plain):
        return your_turn("write `decode_plain` in the cell above (replace the ...), then run this check.")
    for number, (authzid, user, password) in enumerate(PLAIN_CASES):
        token = base64.b64encode(f"{authzid}\0{user}\0{password}".encode()).decode("ascii")
        try:
            got = decode_plain(token)
        except NotImplementedError:
            return your_turn("write the body of `decode_plain` in the cell above, then run this check.")
        except Exception as error:  # a learner's bug, reported rather than raised
            return not_yet(
                f"decode_plain({token!r}) raised {error!r}.", "base64.b64decode, then split on '\\0'."
            )
        if number == 0 and is_unanswered(got):
            return your_turn("write the body of `decode_plain` in the cell above, then run this check.")
        expected = (authzid, user, password)
        if not isinstance(got, tuple):
            return not_yet(
                f"decode_plain({token!r}) returned a {type(got).__name__}, {got!r}.",
                "return a tuple of three strings: (authorization identity, user, password), "
                "e.g. tuple(parts) or `return authzid, user, password`.",
            )
        if got != expected:
            return not_yet(
                f"decode_plain({token!r}) gave {got!r}, expected {expected!r}.",
                "decode the bytes as UTF-8 and keep every character between the NULs, spaces "
                "too; the first string may be ''.",
            )
    return correct(
        "you can read anyone's password from an AUTH PLAIN line: base64 is an encoding, not encryption. "
        "Only TLS around it protects the password (RFC 4954 §4)."
    )
