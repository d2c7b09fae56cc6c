"""How a verifier reads a DKIM key record, where dkimpy does not (RFC 6376 §3.6.1, §6.1.2).

Two tags dkimpy ignores: "h" (`reason_to_ignore`) and the testing flag "t=y" (`in_testing_mode`).

dkimpy checks a key record's "v", "k", "s" and "p" tags but not "h", the hash algorithms the
key may be used with: a key published as ``h=sha1`` still verified an ``rsa-sha256``
signature. RFC 6376 §6.1.2 step 6: "If the "h=" tag exists in the public-key record and the
hash algorithm implied by the "a=" tag in the DKIM-Signature header field is not included in
the contents of the "h=" tag, the Verifier MUST ignore the key record and return PERMFAIL
(inappropriate hash algorithm)."
"""

from __future__ import annotations

import re

import dkim.util


def reason_to_ignore(record: bytes, signature_algorithm: bytes) -> str | None:
    """Why the key `record` must not verify a signature made with `signature_algorithm` (its "a=").

    None when it may; also when the record cannot be read, which dkimpy then reports. The
    reason is an Authentication-Results comment, so ASCII only (RFC 5322 §3.2.2, ctext).
    """
    try:
        tags = dkim.util.parse_tag_value(record)
    except dkim.util.InvalidTagValueList:
        return None
    if b"h" not in tags:
        return None  # RFC 6376 §3.6.1: "defaults to allowing all algorithms"
    # key-h-tag: algorithm names separated by ":" with folding white space around it; names
    # are case-sensitive (§3.2), and unrecognized ones are ignored, so they allow nothing.
    allowed = re.split(rb"\s*:\s*", tags[b"h"].strip())
    hash_algorithm = signature_algorithm.partition(b"-")[2]
    if hash_algorithm in allowed:
        return None
    return (
        f"key record h={_as_ctext(tags[b'h'])} leaves out {_as_ctext(hash_algorithm)}, "
        "so the key is ignored: RFC 6376 section 6.1.2"
    )


def _as_ctext(value: bytes) -> str:
    """`value` with each octet a comment may not hold (RFC 5322 §3.2.2: no parentheses,
    backslash or non-ASCII) replaced by "?"."""
    return re.sub(rb"[^ !-'*-\[\]-~]", b"?", value).decode("ascii")


#: The comment on a signature whose key is in testing mode (ASCII: an Authentication-Results comment).
TESTING_MODE = "key in testing mode (t=y), so DMARC counts the message as unsigned: RFC 6376 section 3.6.1"


def in_testing_mode(record: bytes) -> bool:
    """Whether the key `record` has the "y" flag in "t=": its domain "is testing DKIM".

    RFC 6376 §3.6.1: "Verifiers MUST NOT treat messages from Signers in testing mode
    differently from unsigned email". dkimpy does not read "t=". Flags are separated by ":"
    and are case-sensitive (§3.2); unknown ones are ignored.
    """
    try:
        flags = dkim.util.parse_tag_value(record).get(b"t", b"")
    except dkim.util.InvalidTagValueList:
        return False
    return b"y" in re.split(rb"\s*:\s*", flags.strip())
