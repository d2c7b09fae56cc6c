"""The lexical facts of SMTP, each written once (smtplearn's counterpart of h11's ``_abnf.py``).

Which characters an argument may hold, how long a line may be, what a reply line and an
enhanced status code look like, how AUTH encodes its data, and what renderings show
instead of a secret. The command builders, the reply parser, SASL, the smtplib facade,
`explain` and the widgets import these; none of them restates one. Whether a command may
be sent *now* is a state rule and lives in `smtplearn.protocol.states`.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from types import MappingProxyType

#: What renderings show instead of a secret.
REDACTED = "<redacted>"

# -- characters ----------------------------------------------------------------------------

# RFC 5321 §2.3.8: "Lines consist of zero or more data characters terminated by the
# sequence ASCII character "CR" (hex value 0D) followed immediately by ASCII character
# "LF" (hex value 0A)." A CR or LF inside an argument ends the line early and starts a
# second command nobody meant to send (SMTP injection).
LINE_BREAKS = frozenset("\r\n")

# RFC 5321 §4.1.2: no argument grammar (Domain, Mailbox, esmtp-value, String) admits a C0
# control or DEL; only the reply textstring = 1*(%d09 / %d32-126) admits HT. So a command
# argument refuses every C0 control, TAB included, and DEL.
CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f]")

#: Every character a command argument refuses (see `CONTROL_CHARACTER`).
REFUSED_IN_ARGUMENTS = frozenset(chr(code) for code in (*range(0x20), 0x7F))

#: How error messages name the control characters learners meet most.
CONTROL_NAMES = MappingProxyType(
    {
        "\r": "a carriage return (\\r)",
        "\n": "a line feed (\\n)",
        "\0": "a NUL (\\x00)",
    }
)


def find_control(text: str) -> tuple[int, str] | None:
    """The position and character of the first control character in `text`, or None."""
    found = CONTROL_CHARACTER.search(text)
    return None if found is None else (found.start(), found.group())


def control_name(char: str) -> str:
    """A control character named for an error message: ``a line feed (\\n)``."""
    return CONTROL_NAMES.get(char, f"a control character (U+{ord(char):04X})")


# -- line limits ---------------------------------------------------------------------------

# RFC 5321 §4.5.3.1.4: "The maximum total length of a command line including the command
# word and the <CRLF> is 512 octets."
MAX_COMMAND_LINE = 512

# RFC 4954 §4: a client response to a 334 challenge may be up to 12288 octets. The AUTH
# command itself keeps the 512 limit: "If use of the initial response argument would
# cause the AUTH command to exceed this length, the client MUST NOT use the initial
# response parameter".
MAX_AUTH_RESPONSE_LINE = 12288

# RFC 5321 §4.5.3.1.5: "The maximum total length of a reply line including the reply code
# and the <CRLF> is 512 octets."
MAX_REPLY_LINE_RFC = 512

# Real servers send longer reply text than §4.5.3.1.5 allows, so the parser accepts 16
# times that before calling the peer broken (smtplib's limit, ``smtplib._MAXLINE``, is the
# same 8192); a whole reply is bounded too. Both keep memory bounded whatever arrives.
MAX_REPLY_LINE = 16 * MAX_REPLY_LINE_RFC
MAX_REPLY = 64 * 1024

# -- command arguments ---------------------------------------------------------------------

# RFC 4422 §3.1: sasl-mech = 1*20mech-char; mech-char = UPPER-ALPHA / DIGIT / "-" / "_"
SASL_MECH = re.compile(r"[A-Za-z0-9_-]{1,20}\Z")

# RFC 5321 §4.1.2: esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
#                  esmtp-value   = 1*(%d33-60 / %d62-126)
ESMTP_PARAM = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*(=[!-<>-~]+)?\Z")

# -- replies -------------------------------------------------------------------------------

# RFC 5321 §4.2:
#   Reply-line = *( Reply-code "-" [ textstring ] CRLF )
#                Reply-code [ SP textstring ] CRLF
#   Reply-code = %x32-35 %x30-35 %x30-39
# "In a multiline reply, the reply code on each of the lines MUST be the same."
#: The codes a reply may carry (RFC 5321 §4.2: the first digit is 2 to 5).
REPLY_CODES = range(200, 600)
#: What may follow the code: SP before the last line's text, "-" on a line that is
#: followed by more, or nothing (a last line without text).
REPLY_SEPARATORS = (b"", b" ", b"-")
#: One reply line as text, without CRLF: the code, then the separator and the text.
REPLY_LINE = re.compile(r"^(\d{3})(?:[ -](.*))?$", re.DOTALL)

# RFC 3463 §2: status-code = class "." subject "." detail
#   class = "2" / "4" / "5";  subject = 1*3digit;  detail = 1*3digit
_STATUS_CODE = r"([245])\.(\d{1,3})\.(\d{1,3})"
#: An enhanced status code on its own ("5.1.1").
ENHANCED_CODE_EXACT = re.compile(rf"^{_STATUS_CODE}$")
#: An enhanced status code at the start of a reply line's text, and the blanks after it.
ENHANCED_CODE = re.compile(rf"^{_STATUS_CODE}(?:\s+|$)")

# -- AUTH encodings ------------------------------------------------------------------------


# RFC 4954 §4: challenges and responses are "[BASE64] encoded"; the text inside is UTF-8
# (RFC 4616 §2: UTF8SAFE; RFC 4422 §5: SASL names and passwords are UTF-8 strings).
def b64encode_text(text: str) -> str:
    """`text` as UTF-8, base64-encoded, as AUTH sends it."""
    return b64encode_bytes(text.encode("utf-8")).decode("ascii")


def b64encode_bytes(data: bytes) -> bytes:
    """`data` base64-encoded, as a 334 challenge carries it."""
    return base64.b64encode(data)


# RFC 4954 §4: "If the client is transmitting an initial response of zero length, it MUST
# instead transmit the response as a single equals sign ("="). This indicates that the
# response is present, but contains no data."
#: The AUTH line's initial response that stands for zero octets.
EMPTY_INITIAL_RESPONSE = "="


def b64decode_strict(text: str | bytes) -> bytes | None:
    """The bytes `text` encodes (blanks around it ignored), or None if it is not base64."""
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


# RFC 2195 §2: "The latter is computed by applying the keyed MD5 algorithm from
# [KEYED-MD5] where the key is a shared secret and the digested text is the timestamp
# (including angle-brackets)." ... "the digest [is] represented as a sequence of 16
# octets ... converted to a 32 character hexadecimal string in lower case".
def cram_md5_digest(password: str, challenge: bytes) -> str:
    """The CRAM-MD5 digest: HMAC-MD5 keyed by the password, over the decoded challenge."""
    return hmac.new(password.encode("utf-8"), challenge, "md5").hexdigest()


# -- paths (RFC 5321 §4.1.2 and §4.5.3.1) -------------------------------------------------

# RFC 5321 §4.5.3.1.1: "The maximum total length of a user name or other local-part is 64
# octets."
MAX_LOCAL_PART = 64
# RFC 5321 §4.5.3.1.2: "The maximum total length of a domain name or number is 255 octets."
MAX_DOMAIN = 255
# RFC 5321 §4.5.3.1.3: "The maximum total length of a reverse-path or forward-path is 256
# octets (including the punctuation and element separators)."
MAX_PATH = 256


#: The parameter that lets a command carry UTF-8: on MAIL for the whole transaction (RFC 6531
#: §3.4), on VRFY and EXPN for that command only (§3.7.4.2).
SMTPUTF8 = "SMTPUTF8"


def utf8_without_smtputf8(text: str, *, smtputf8: bool) -> bool:
    """True when `text` is not ASCII and its command did not carry SMTPUTF8.

    RFC 5321's grammar is ASCII; RFC 6531 lets an address (§3.3) or a VRFY/EXPN string
    (§3.7.4.2) hold UTF-8 only when the SMTPUTF8 parameter says the client can take it.
    """
    return not smtputf8 and not text.isascii()


def mailbox_character_problem(mailbox: str) -> str | None:
    """Why `mailbox` (the text between ``<`` and ``>``) cannot be sent as a path, or None.

    RFC 5321 §4.1.2: ``Path = "<" [ A-d-l ":" ] Mailbox ">"``: a bracket inside would end the
    path early, and a space would end the argument (only a quoted local part may hold one).
    """
    for position, char in enumerate(mailbox):
        if char in "<>" or (char == " " and not mailbox.startswith('"')):
            return (
                f"address contains {char!r} at position {position}: the path is written "
                "<mailbox>, and this would end it early (RFC 5321 §4.1.2)"
            )
    return None


def path_length_problem(mailbox: str) -> str | None:
    """Why `mailbox` is longer than RFC 5321 §4.5.3.1 allows, or None; lengths are octets."""
    local, at, domain = mailbox.rpartition("@")
    if not at:
        local, domain = mailbox, ""
    for part, size, limit, section in (
        ("local part", len(local.encode("utf-8")), MAX_LOCAL_PART, "4.5.3.1.1"),
        ("domain", len(domain.encode("utf-8")), MAX_DOMAIN, "4.5.3.1.2"),
        ("path", len(mailbox.encode("utf-8")) + 2, MAX_PATH, "4.5.3.1.3"),
    ):
        if size > limit:
            return f"the {part} has {size} octets, at most {limit} are allowed (RFC 5321 §{section})"
    return None
