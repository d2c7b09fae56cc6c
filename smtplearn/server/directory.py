"""VRFY: the demo directory, the lookup rules and the replies they give (RFC 5321 §3.5).

Pure functions over a ``{"local-part or address": "Full Name <address>"}`` mapping; the
server's VRFY hook calls `vrfy_reply`.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import parseaddr
from typing import Literal

VrfyMode = Literal["directory", "refuse"]
VRFY_MODES: tuple[VrfyMode, ...] = ("directory", "refuse")


def check_vrfy_mode(mode: str) -> None:
    """Refuse a VRFY mode that is not one of `VRFY_MODES`."""
    if mode not in VRFY_MODES:
        raise ValueError(f"vrfy must be 'directory' or 'refuse', not {mode!r}")


#: The seed's ``dhellmann`` entry on the server's domain, two Smiths so that ``VRFY smith``
#: is ambiguous (the example of RFC 5321 §3.5.1), and the demo account.
DEMO_DIRECTORY: Mapping[str, str] = {
    "dhellmann": "Doug Hellmann <dhellmann@mail.example.test>",
    "jsmith": "Joe Smith <jsmith@mail.example.test>",
    "hsmith": "Harry Smith <hsmith@mail.example.test>",
    "student": "Demo Student <student@mail.example.test>",
    "postmaster": "Postmaster <postmaster@mail.example.test>",
}

# Most public servers answer 252 instead of looking anything up: a VRFY that says yes or no
# lets spammers harvest valid addresses, and a site that disables VRFY for that reason "MUST
# return a 252 response" (RFC 5321 §7.3), which tells the client that mail will be tried
# without confirming the address (§3.5.3, §4.2.2). Its enhanced
# code is the neutral 2.0.0: 2.1.5 means "destination address valid" (RFC 3463 §3.2), the very
# thing a 252 does not say.
REFUSE_REPLY = "252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery"


def _local_part(address: str) -> str:
    return address.rpartition("@")[0] if "@" in address else address


def lookup(directory: Mapping[str, str], query: str) -> tuple[str, ...]:
    """The directory entries that `query` names, without duplicates, in directory order.

    RFC 5321 §3.5.1 lets the search string be a mailbox, a local part or a user name, so a
    query matches an entry by its key, its address or that address's local part (all case
    insensitive) and, only when nothing matched that way, by a word of the full name.
    """
    wanted = query.strip().strip("<>").strip('"').strip().casefold()
    if not wanted:
        return ()
    exact: list[str] = []
    by_name: list[str] = []
    for key, entry in directory.items():
        name, address = parseaddr(entry)
        names = {key.casefold(), address.casefold(), _local_part(address).casefold()}
        names.add(_local_part(key).casefold())
        if wanted in names:
            exact.append(entry)
        elif wanted in name.casefold().split() or wanted == name.casefold():
            by_name.append(entry)
    found = exact or by_name
    return tuple(dict.fromkeys(found))


def vrfy_reply(directory: Mapping[str, str], query: str, mode: VrfyMode) -> str:
    """The complete reply to ``VRFY query``: 250, 550, 553 (multi-line) or 252 when refusing."""
    if mode == "refuse":
        return REFUSE_REPLY
    found = lookup(directory, query)
    shown = query.strip().strip("<>")
    if not found:
        return f"550 5.1.1 <{shown}>... User unknown"
    if len(found) == 1:
        return f"250 2.1.5 {found[0]}"
    # RFC 5321 §3.5.1: "553 User ambiguous", optionally listing the possibilities one per
    # line; RFC 3463 X.1.4 is "destination mailbox address ambiguous".
    lines = [f"5.1.4 <{shown}>... Ambiguous; possibilities are:", *(f"5.1.4 {e}" for e in found)]
    return "\r\n".join(f"553{' ' if i == len(lines) - 1 else '-'}{line}" for i, line in enumerate(lines))
