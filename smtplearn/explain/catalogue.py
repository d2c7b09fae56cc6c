"""What SMTP's commands, replies, status codes and extensions mean: data only, no logic.

Every entry is ``(title, plain-language summary, RFC reference)``. A reference is
``"RFC <n>"`` optionally followed by ``" §<section>"``; `smtplearn.explain` turns it into a
link. Sections are quoted only where they are certain; otherwise the RFC alone is named.
"""

from __future__ import annotations

from typing import NamedTuple


class Entry(NamedTuple):
    """One catalogue entry: a short title, one or two plain sentences, and where it is defined."""

    title: str
    summary: str
    rfc: str


#: SMTP commands, keyed by verb (RFC 5321 §4.1.1 unless noted).
COMMANDS: dict[str, Entry] = {
    "EHLO": Entry(
        "EHLO — extended hello",
        "The client says who it is and asks the server to list the service extensions it "
        "supports (one per line of the 250 reply). It also resets any mail transaction.",
        "RFC 5321 §4.1.1.1",
    ),
    "HELO": Entry(
        "HELO — hello",
        "The original greeting: the client says who it is, but no extensions are offered. "
        "Clients fall back to it only when EHLO is refused.",
        "RFC 5321 §4.1.1.1",
    ),
    "MAIL": Entry(
        "MAIL FROM — start a mail transaction",
        "Starts a new message and gives the envelope sender (the reverse-path), which is "
        "where bounces go. It may carry extension parameters such as SIZE= or BODY=.",
        "RFC 5321 §4.1.1.2",
    ),
    "RCPT": Entry(
        "RCPT TO — add a recipient",
        "Names one envelope recipient (a forward-path). Send it once per recipient; each "
        "one gets its own reply, so some recipients can be refused while others are accepted.",
        "RFC 5321 §4.1.1.3",
    ),
    "DATA": Entry(
        "DATA — send the message",
        "Asks to send the message itself. After a 354 reply the client sends the headers and "
        "body, ending with a line holding a single dot; the final reply says whether the "
        "server took responsibility for the message.",
        "RFC 5321 §4.1.1.4",
    ),
    "RSET": Entry(
        "RSET — reset",
        "Abandons the current mail transaction: sender, recipients and data are forgotten, "
        "but the connection and greeting stay.",
        "RFC 5321 §4.1.1.5",
    ),
    "VRFY": Entry(
        "VRFY — verify an address",
        "Asks whether the server knows a user or mailbox. Many servers refuse to say "
        "(reply 252) so that spammers cannot harvest addresses.",
        "RFC 5321 §4.1.1.6",
    ),
    "EXPN": Entry(
        "EXPN — expand a mailing list",
        "Asks the server to list the members of a mailing list. Usually disabled for privacy.",
        "RFC 5321 §4.1.1.7",
    ),
    "HELP": Entry(
        "HELP — ask for help",
        "Asks the server for helpful information for a human, optionally about one command.",
        "RFC 5321 §4.1.1.8",
    ),
    "NOOP": Entry(
        "NOOP — do nothing",
        "Does nothing except get a 250 reply: a way to check the connection is alive.",
        "RFC 5321 §4.1.1.9",
    ),
    "QUIT": Entry(
        "QUIT — end the session",
        "Asks the server to reply 221 and close the connection. A transaction still in "
        "progress is abandoned.",
        "RFC 5321 §4.1.1.10",
    ),
    "STARTTLS": Entry(
        "STARTTLS — switch to TLS",
        "Asks to encrypt the connection. After the 220 reply both sides run a TLS handshake; "
        "the client must then forget what it learned before and send EHLO again.",
        "RFC 3207 §4",
    ),
    "AUTH": Entry(
        "AUTH — authenticate",
        "Starts a SASL authentication exchange with the named mechanism. The server answers "
        "334 with a challenge until it ends the exchange with 235 (success) or an error.",
        "RFC 4954 §4",
    ),
    "BDAT": Entry(
        "BDAT — send a chunk of the message",
        "Sends the message in chunks of an exact byte count instead of DATA's dot-terminated "
        "text; the last chunk is marked LAST. Needs the CHUNKING extension.",
        "RFC 3030 §2",
    ),
}

#: Reply codes (RFC 5321 §4.2.2–4.2.3; AUTH codes from RFC 4954 §6; STARTTLS from RFC 3207 §4).
REPLY_CODES: dict[int, Entry] = {
    211: Entry("System status", "A system status or system help reply.", "RFC 5321 §4.2.3"),
    214: Entry(
        "Help message",
        "Information for a human on how to use the server or what a command means.",
        "RFC 5321 §4.2.3",
    ),
    220: Entry(
        "Service ready",
        "The server is ready: sent as the greeting when the connection opens (and by "
        "STARTTLS to say the TLS handshake may begin).",
        "RFC 5321 §4.2.3",
    ),
    221: Entry(
        "Service closing transmission channel",
        "The server says goodbye and will close the connection (the normal answer to QUIT).",
        "RFC 5321 §4.2.3",
    ),
    235: Entry(
        "Authentication succeeded",
        "The SASL exchange is over and the client is now authenticated.",
        "RFC 4954 §6",
    ),
    250: Entry(
        "Requested mail action okay, completed",
        "Success: the server did what the command asked.",
        "RFC 5321 §4.2.3",
    ),
    251: Entry(
        "User not local; will forward",
        "Success: the recipient is not local, but the server will forward the message.",
        "RFC 5321 §4.2.3",
    ),
    252: Entry(
        "Cannot VRFY user, but will accept message and attempt delivery",
        "The server will not confirm whether the address exists, but would take mail for it.",
        "RFC 5321 §4.2.3",
    ),
    334: Entry(
        "Server challenge",
        "The authentication exchange goes on: the text is a base64 challenge the client "
        "must answer with one base64 line.",
        "RFC 4954 §4",
    ),
    354: Entry(
        "Start mail input; end with <CRLF>.<CRLF>",
        "Go ahead: send the message now and end it with a line holding only a dot.",
        "RFC 5321 §4.2.3",
    ),
    421: Entry(
        "Service not available, closing transmission channel",
        "The server is shutting this connection down (overloaded, shutting down, or too "
        "many errors). Try again later.",
        "RFC 5321 §4.2.3",
    ),
    432: Entry(
        "A password transition is needed",
        "The user must change their password (for example with another protocol) before "
        "this mechanism can be used.",
        "RFC 4954 §6",
    ),
    450: Entry(
        "Requested mail action not taken: mailbox unavailable",
        "Temporary failure: the mailbox is busy or temporarily blocked (greylisting often "
        "answers this way). Retrying later may work.",
        "RFC 5321 §4.2.3",
    ),
    451: Entry(
        "Requested action aborted: local error in processing",
        "Temporary failure on the server's side. Retrying later may work.",
        "RFC 5321 §4.2.3",
    ),
    452: Entry(
        "Requested action not taken: insufficient system storage",
        "Temporary failure: the server is short of space, or (after RCPT) has had too many "
        "recipients for now.",
        "RFC 5321 §4.2.3",
    ),
    454: Entry(
        "Temporary failure (TLS or authentication)",
        "TLS is not available for a temporary reason (RFC 3207), or authentication failed "
        "temporarily (RFC 4954 §6). Retrying later may work.",
        "RFC 3207 §4",
    ),
    455: Entry(
        "Server unable to accommodate parameters",
        "Temporary failure: the server cannot handle the MAIL or RCPT parameters right now.",
        "RFC 5321 §4.2.3",
    ),
    500: Entry(
        "Syntax error, command unrecognized",
        "The server did not understand the command (or the line was too long).",
        "RFC 5321 §4.2.3",
    ),
    501: Entry(
        "Syntax error in parameters or arguments",
        "The command is known but its arguments are malformed.",
        "RFC 5321 §4.2.3",
    ),
    502: Entry(
        "Command not implemented",
        "The server recognises the command but does not support it.",
        "RFC 5321 §4.2.3",
    ),
    503: Entry(
        "Bad sequence of commands",
        "The command came at the wrong moment, e.g. RCPT before MAIL, or MAIL before EHLO.",
        "RFC 5321 §4.2.3",
    ),
    504: Entry(
        "Command parameter not implemented",
        "The command is supported but not with this parameter (e.g. an unknown AUTH mechanism).",
        "RFC 5321 §4.2.3",
    ),
    530: Entry(
        "Authentication required",
        "The server wants the client to authenticate (or to start TLS first, RFC 3207 §4) "
        "before it accepts this command.",
        "RFC 4954 §6",
    ),
    534: Entry(
        "Authentication mechanism is too weak",
        "The chosen SASL mechanism is weaker than the server's policy allows.",
        "RFC 4954 §6",
    ),
    535: Entry(
        "Authentication credentials invalid",
        "The user name or password was wrong.",
        "RFC 4954 §6",
    ),
    538: Entry(
        "Encryption required for requested authentication mechanism",
        "This mechanism would expose the password in clear text: start TLS first.",
        "RFC 4954 §6",
    ),
    550: Entry(
        "Requested action not taken: mailbox unavailable",
        "Permanent failure: the mailbox does not exist, cannot be reached, or the command "
        "was refused for policy reasons.",
        "RFC 5321 §4.2.3",
    ),
    551: Entry(
        "User not local; please try <forward-path>",
        "Permanent failure: this server will not forward to the recipient; the text may say "
        "where to send instead.",
        "RFC 5321 §4.2.3",
    ),
    552: Entry(
        "Requested mail action aborted: exceeded storage allocation",
        "Permanent failure: the message is too big or the mailbox is over its quota.",
        "RFC 5321 §4.2.3",
    ),
    553: Entry(
        "Requested action not taken: mailbox name not allowed",
        "Permanent failure: the address is not acceptable (e.g. bad syntax).",
        "RFC 5321 §4.2.3",
    ),
    554: Entry(
        "Transaction failed",
        "Permanent failure of the transaction (as a greeting: 'No SMTP service here').",
        "RFC 5321 §4.2.3",
    ),
    555: Entry(
        "MAIL FROM/RCPT TO parameters not recognized or not implemented",
        "Permanent failure: the server does not support a parameter given to MAIL or RCPT.",
        "RFC 5321 §4.2.3",
    ),
}

#: Meaning of a reply code's first digit (RFC 5321 §4.2.1).
REPLY_CLASSES: dict[int, Entry] = {
    2: Entry(
        "2yz Positive Completion",
        "The command succeeded; the client may send the next one.",
        "RFC 5321 §4.2.1",
    ),
    3: Entry(
        "3yz Positive Intermediate",
        "The command is accepted so far; the server is waiting for more (the message after "
        "DATA, or an answer to an AUTH challenge).",
        "RFC 5321 §4.2.1",
    ),
    4: Entry(
        "4yz Transient Negative Completion",
        "The command failed, but the failure is temporary: the same command may succeed later.",
        "RFC 5321 §4.2.1",
    ),
    5: Entry(
        "5yz Permanent Negative Completion",
        "The command failed and repeating it unchanged will not help.",
        "RFC 5321 §4.2.1",
    ),
}

#: Meaning of a reply code's second digit (RFC 5321 §4.2.1).
REPLY_CATEGORIES: dict[int, Entry] = {
    0: Entry("x0z Syntax", "about syntax errors or unimplemented commands", "RFC 5321 §4.2.1"),
    1: Entry("x1z Information", "a reply to a request for information", "RFC 5321 §4.2.1"),
    2: Entry("x2z Connections", "about the transmission channel", "RFC 5321 §4.2.1"),
    3: Entry("x3z Unspecified", "a category RFC 5321 leaves unspecified", "RFC 5321 §4.2.1"),
    4: Entry("x4z Unspecified", "a category RFC 5321 leaves unspecified", "RFC 5321 §4.2.1"),
    5: Entry(
        "x5z Mail system",
        "about the status of the receiver's mail system",
        "RFC 5321 §4.2.1",
    ),
}

#: The class (first number) of an enhanced status code (RFC 3463 §2).
ENHANCED_CLASSES: dict[int, Entry] = {
    2: Entry("2.X.X Success", "The operation succeeded.", "RFC 3463 §2"),
    4: Entry(
        "4.X.X Persistent Transient Failure",
        "The message is fine but delivery failed for now; trying again later may succeed.",
        "RFC 3463 §2",
    ),
    5: Entry(
        "5.X.X Permanent Failure",
        "Sending the same message again will fail in the same way.",
        "RFC 3463 §2",
    ),
}

#: The subject (second number) of an enhanced status code (RFC 3463 §2).
ENHANCED_SUBJECTS: dict[int, Entry] = {
    0: Entry("X.0.X Other or undefined status", "no more specific subject", "RFC 3463 §2"),
    1: Entry("X.1.X Addressing status", "about an address", "RFC 3463 §2"),
    2: Entry("X.2.X Mailbox status", "about the recipient's mailbox", "RFC 3463 §2"),
    3: Entry("X.3.X Mail system status", "about the receiving mail system", "RFC 3463 §2"),
    4: Entry(
        "X.4.X Network and routing status",
        "about the network or routing",
        "RFC 3463 §2",
    ),
    5: Entry(
        "X.5.X Mail delivery protocol status",
        "about the SMTP protocol itself",
        "RFC 3463 §2",
    ),
    6: Entry(
        "X.6.X Message content or media status",
        "about the message content",
        "RFC 3463 §2",
    ),
    7: Entry("X.7.X Security or policy status", "about security or policy", "RFC 3463 §2"),
}

#: Subject.detail of enhanced status codes (RFC 3463 §3.1–3.8 and later RFCs, as registered
#: by IANA under RFC 5248's registry).
ENHANCED_DETAILS: dict[str, Entry] = {
    "0.0": Entry("Other undefined status", "No more detail is available.", "RFC 3463 §3.1"),
    "1.0": Entry("Other address status", "Something about an address is wrong.", "RFC 3463 §3.2"),
    "1.1": Entry(
        "Bad destination mailbox address",
        "The mailbox named in the recipient address does not exist here.",
        "RFC 3463 §3.2",
    ),
    "1.2": Entry(
        "Bad destination system address",
        "The domain of the recipient address does not exist or will not accept mail.",
        "RFC 3463 §3.2",
    ),
    "1.3": Entry(
        "Bad destination mailbox address syntax",
        "The recipient address is not syntactically valid.",
        "RFC 3463 §3.2",
    ),
    "1.4": Entry(
        "Destination mailbox address ambiguous",
        "The recipient address matches more than one mailbox.",
        "RFC 3463 §3.2",
    ),
    "1.5": Entry(
        "Destination address valid",
        "The recipient address is valid (used with success replies to RCPT).",
        "RFC 3463 §3.2",
    ),
    "1.6": Entry(
        "Destination mailbox has moved, no forwarding address",
        "The mailbox used to exist but has moved and no new address is known.",
        "RFC 3463 §3.2",
    ),
    "1.7": Entry(
        "Bad sender's mailbox address syntax",
        "The sender address is not syntactically valid.",
        "RFC 3463 §3.2",
    ),
    "1.8": Entry(
        "Bad sender's system address",
        "The domain of the sender address does not exist or cannot receive replies.",
        "RFC 3463 §3.2",
    ),
    "1.10": Entry(
        "Recipient address has null MX",
        "The recipient's domain publishes a 'null MX': it accepts no mail at all.",
        "RFC 7505",
    ),
    "2.0": Entry(
        "Other or undefined mailbox status",
        "The mailbox exists, but something about it prevents delivery.",
        "RFC 3463 §3.3",
    ),
    "2.1": Entry(
        "Mailbox disabled, not accepting messages",
        "The mailbox exists but is not accepting messages.",
        "RFC 3463 §3.3",
    ),
    "2.2": Entry(
        "Mailbox full",
        "The mailbox is over its quota.",
        "RFC 3463 §3.3",
    ),
    "2.3": Entry(
        "Message length exceeds administrative limit",
        "The message is bigger than this mailbox's limit.",
        "RFC 3463 §3.3",
    ),
    "2.4": Entry(
        "Mailing list expansion problem",
        "The address is a mailing list that could not be expanded.",
        "RFC 3463 §3.3",
    ),
    "3.0": Entry(
        "Other or undefined mail system status",
        "The receiving mail system has a problem.",
        "RFC 3463 §3.4",
    ),
    "3.1": Entry("Mail system full", "The mail system is out of storage.", "RFC 3463 §3.4"),
    "3.2": Entry(
        "System not accepting network messages",
        "The host is not accepting messages (for example, shutting down).",
        "RFC 3463 §3.4",
    ),
    "3.3": Entry(
        "System not capable of selected features",
        "The message asks for features this system does not support.",
        "RFC 3463 §3.4",
    ),
    "3.4": Entry(
        "Message too big for system",
        "The message is larger than the system's fixed size limit.",
        "RFC 3463 §3.4",
    ),
    "3.5": Entry(
        "System incorrectly configured",
        "The mail system is misconfigured.",
        "RFC 3463 §3.4",
    ),
    "4.0": Entry(
        "Other or undefined network or routing status",
        "Something went wrong on the network or in routing.",
        "RFC 3463 §3.5",
    ),
    "4.1": Entry(
        "No answer from host",
        "The next host did not answer the connection attempt.",
        "RFC 3463 §3.5",
    ),
    "4.2": Entry(
        "Bad connection",
        "The connection was made but broke or was unusable.",
        "RFC 3463 §3.5",
    ),
    "4.3": Entry("Directory server failure", "A directory (e.g. DNS) lookup failed.", "RFC 3463 §3.5"),
    "4.4": Entry("Unable to route", "No route to the destination could be found.", "RFC 3463 §3.5"),
    "4.5": Entry("Mail system congestion", "The mail system is congested.", "RFC 3463 §3.5"),
    "4.6": Entry("Routing loop detected", "The message is going round in a loop.", "RFC 3463 §3.5"),
    "4.7": Entry(
        "Delivery time expired",
        "The message could not be delivered within its time limit.",
        "RFC 3463 §3.5",
    ),
    "5.0": Entry(
        "Other or undefined protocol status",
        "Something went wrong in the SMTP exchange.",
        "RFC 3463 §3.6",
    ),
    "5.1": Entry(
        "Invalid command",
        "The command is not valid here (unknown, or out of sequence).",
        "RFC 3463 §3.6",
    ),
    "5.2": Entry("Syntax error", "The command could not be parsed.", "RFC 3463 §3.6"),
    "5.3": Entry(
        "Too many recipients",
        "More recipients than the server accepts in one transaction.",
        "RFC 3463 §3.6",
    ),
    "5.4": Entry(
        "Invalid command arguments",
        "The command is valid but its arguments are not.",
        "RFC 3463 §3.6",
    ),
    "5.5": Entry(
        "Wrong protocol version",
        "The two sides do not speak compatible protocol versions.",
        "RFC 3463 §3.6",
    ),
    "5.6": Entry(
        "Authentication exchange line is too long",
        "An AUTH line was longer than the server accepts.",
        "RFC 4954 §6",
    ),
    "6.0": Entry(
        "Other or undefined media error",
        "Something about the message content prevents delivery.",
        "RFC 3463 §3.7",
    ),
    "6.1": Entry(
        "Media not supported",
        "The message uses a media type the destination does not support.",
        "RFC 3463 §3.7",
    ),
    "6.2": Entry(
        "Conversion required and prohibited",
        "The content must be converted to be delivered, but conversion is not allowed.",
        "RFC 3463 §3.7",
    ),
    "6.3": Entry(
        "Conversion required but not supported",
        "The content must be converted to be delivered, but the system cannot do it.",
        "RFC 3463 §3.7",
    ),
    "6.4": Entry(
        "Conversion with loss performed",
        "The content was converted and some information was lost.",
        "RFC 3463 §3.7",
    ),
    "6.5": Entry("Conversion failed", "Converting the content failed.", "RFC 3463 §3.7"),
    "6.7": Entry(
        "Non-ASCII addresses not permitted for that sender/recipient",
        "An internationalized (UTF-8) address was used where it is not allowed.",
        "RFC 6531",
    ),
    "6.8": Entry(
        "UTF-8 string reply is required, but not permitted by the SMTP client",
        "The server needs to reply in UTF-8 but the client did not ask for SMTPUTF8.",
        "RFC 6531",
    ),
    "6.9": Entry(
        "UTF-8 header message cannot be transferred to one or more recipients",
        "The message has UTF-8 headers and a recipient's server cannot take them.",
        "RFC 6531",
    ),
    "7.0": Entry(
        "Other or undefined security status",
        "A security or policy problem (also used by AUTH for 'authentication required').",
        "RFC 3463 §3.8",
    ),
    "7.1": Entry(
        "Delivery not authorized, message refused",
        "The sender is not allowed to send to this recipient (e.g. relaying denied).",
        "RFC 3463 §3.8",
    ),
    "7.2": Entry(
        "Mailing list expansion prohibited",
        "The sender may not expand this mailing list.",
        "RFC 3463 §3.8",
    ),
    "7.3": Entry(
        "Security conversion required but not possible",
        "A security conversion was needed but could not be done.",
        "RFC 3463 §3.8",
    ),
    "7.4": Entry(
        "Security features not supported",
        "The message asks for security features the system lacks.",
        "RFC 3463 §3.8",
    ),
    "7.5": Entry("Cryptographic failure", "A cryptographic operation failed.", "RFC 3463 §3.8"),
    "7.6": Entry(
        "Cryptographic algorithm not supported",
        "The message uses a cryptographic algorithm the system does not support.",
        "RFC 3463 §3.8",
    ),
    "7.7": Entry(
        "Message integrity failure",
        "The message was changed or corrupted in transit.",
        "RFC 3463 §3.8",
    ),
    "7.8": Entry(
        "Authentication credentials invalid",
        "The user name or password given with AUTH was wrong.",
        "RFC 4954 §6",
    ),
    "7.9": Entry(
        "Authentication mechanism is too weak",
        "The server's policy does not allow this SASL mechanism.",
        "RFC 4954 §6",
    ),
    "7.10": Entry(
        "Encryption needed",
        "The operation needs an encrypted connection.",
        "RFC 5248",
    ),
    "7.11": Entry(
        "Encryption required for requested authentication mechanism",
        "Start TLS before using this authentication mechanism.",
        "RFC 4954 §6",
    ),
    "7.12": Entry(
        "A password transition is needed",
        "The user must change their password before authenticating this way.",
        "RFC 4954 §6",
    ),
    "7.13": Entry("User account disabled", "The account has been disabled.", "RFC 5248"),
    "7.14": Entry(
        "Trust relationship required",
        "The server requires a trust relationship with the client that does not exist.",
        "RFC 5248",
    ),
    "7.20": Entry(
        "No passing DKIM signature found",
        "The message carries no DKIM signature that verifies.",
        "RFC 7372",
    ),
    "7.21": Entry(
        "No acceptable DKIM signature found",
        "DKIM signatures verified, but none is acceptable to the server's policy.",
        "RFC 7372",
    ),
    "7.22": Entry(
        "No valid author-matched DKIM signature found",
        "No verifying DKIM signature matches the author's (From:) domain.",
        "RFC 7372",
    ),
    "7.23": Entry(
        "SPF validation failed",
        "The sending host is not allowed to send for the sender's domain (SPF fail).",
        "RFC 7372",
    ),
    "7.24": Entry(
        "SPF validation error",
        "The SPF check could not be completed (e.g. DNS error).",
        "RFC 7372",
    ),
    "7.25": Entry(
        "Reverse DNS validation failed",
        "The client's IP address has no matching reverse DNS name.",
        "RFC 7372",
    ),
    "7.26": Entry(
        "Multiple authentication checks failed",
        "Several sender authentication checks failed together.",
        "RFC 7372",
    ),
    "7.27": Entry(
        "Sender address has null MX",
        "The sender's domain publishes a 'null MX', so replies to it could never be delivered.",
        "RFC 7505",
    ),
    "7.30": Entry(
        "REQUIRETLS support required",
        "The message demands TLS all the way (REQUIRETLS) and the next hop cannot promise it.",
        "RFC 8689",
    ),
}

#: EHLO keywords (service extensions), keyed by keyword.
EXTENSIONS: dict[str, Entry] = {
    "SIZE": Entry(
        "SIZE — message size declaration",
        "The server announces the largest message it accepts, in octets (0 means no fixed "
        "limit; no number gives no indication), and the client may declare SIZE= on MAIL so "
        "an oversized message is refused before it is sent.",
        "RFC 1870",
    ),
    "PIPELINING": Entry(
        "PIPELINING — send commands without waiting",
        "The client may send several commands (MAIL, RCPT..., DATA last) in one go and read "
        "the replies afterwards, in order, saving round trips.",
        "RFC 2920",
    ),
    "8BITMIME": Entry(
        "8BITMIME — 8-bit message content",
        "The server accepts message bodies with 8-bit bytes when the client says BODY=8BITMIME on MAIL.",
        "RFC 6152",
    ),
    "DSN": Entry(
        "DSN — delivery status notifications",
        "The client may ask for delivery reports (success, failure, delay) with NOTIFY= and "
        "RET= / ENVID= parameters on RCPT and MAIL.",
        "RFC 3461",
    ),
    "ETRN": Entry(
        "ETRN — remote queue starting",
        "A client may ask the server to start delivering mail queued for a domain.",
        "RFC 1985",
    ),
    "AUTH": Entry(
        "AUTH — authentication",
        "The server supports the AUTH command; the words after AUTH are the SASL mechanisms "
        "it offers (e.g. PLAIN LOGIN CRAM-MD5).",
        "RFC 4954 §3",
    ),
    "STARTTLS": Entry(
        "STARTTLS — TLS upgrade",
        "The server can switch this connection to TLS. It is not advertised again once TLS is active.",
        "RFC 3207",
    ),
    "ENHANCEDSTATUSCODES": Entry(
        "ENHANCEDSTATUSCODES — detailed status codes",
        "The server starts its reply texts with an RFC 3463 code such as 2.1.0 or 5.1.1.",
        "RFC 2034",
    ),
    "DELIVERBY": Entry(
        "DELIVERBY — delivery deadline",
        "The client may give BY= on MAIL: deliver within this time or report/return the message.",
        "RFC 2852",
    ),
    "HELP": Entry(
        "HELP — the HELP command",
        "The server answers the HELP command.",
        "RFC 5321 §4.1.1.8",
    ),
    "VRFY": Entry(
        "VRFY — the VRFY command",
        "The server says it answers VRFY (address verification).",
        "RFC 5321 §4.1.1.6",
    ),
    "EXPN": Entry(
        "EXPN — the EXPN command",
        "The server says it answers EXPN (mailing list expansion).",
        "RFC 5321 §4.1.1.7",
    ),
    "SMTPUTF8": Entry(
        "SMTPUTF8 — internationalized email",
        "The server accepts UTF-8 in addresses and headers when the client adds SMTPUTF8 to MAIL.",
        "RFC 6531",
    ),
    "CHUNKING": Entry(
        "CHUNKING — the BDAT command",
        "The client may send the message with BDAT in counted chunks instead of DATA.",
        "RFC 3030",
    ),
    "BINARYMIME": Entry(
        "BINARYMIME — binary message content",
        "With BODY=BINARYMIME on MAIL (and BDAT), the message may contain arbitrary binary "
        "data, with no line-length limit.",
        "RFC 3030",
    ),
    "REQUIRETLS": Entry(
        "REQUIRETLS — insist on TLS for every hop",
        "The client may mark a message so that it is only relayed over verified TLS.",
        "RFC 8689",
    ),
}

#: SASL mechanisms offered after AUTH in an EHLO reply.
SASL_MECHANISMS: dict[str, Entry] = {
    "PLAIN": Entry(
        "PLAIN — user name and password in one message",
        "Sends base64 of authzid NUL user NUL password. Base64 is an encoding, not "
        "encryption: use it only over TLS.",
        "RFC 4616",
    ),
    "LOGIN": Entry(
        "LOGIN — user name, then password",
        "The server asks 'Username:' then 'Password:' (base64), and the client answers each "
        "in base64. Never standardised (an expired Internet-Draft); like PLAIN, only safe "
        "over TLS.",
        "draft-murchison-sasl-login",
    ),
    "CRAM-MD5": Entry(
        "CRAM-MD5 — challenge and response",
        "The server sends a unique challenge; the client answers with its user name and an "
        "HMAC-MD5 of the challenge keyed with the password, so the password never crosses "
        "the wire. The server must store the password (or an equivalent) in the clear.",
        "RFC 2195",
    ),
    "GSSAPI": Entry(
        "GSSAPI — Kerberos",
        "Authenticates with Kerberos V5 tickets through the GSS-API; no password is sent.",
        "RFC 4752",
    ),
    "DIGEST-MD5": Entry(
        "DIGEST-MD5 — digest challenge (obsolete)",
        "An HTTP-digest-like challenge/response mechanism. Moved to Historic by RFC 6331; do not use it.",
        "RFC 2831",
    ),
    "XOAUTH2": Entry(
        "XOAUTH2 — OAuth 2.0 bearer token",
        "Sends a user name and an OAuth 2.0 access token instead of a password. A vendor "
        "mechanism (Google, Microsoft) with no RFC of its own; the reference is to RFC 7628, "
        "its standard successor OAUTHBEARER.",
        "RFC 7628",
    ),
    "OAUTHBEARER": Entry(
        "OAUTHBEARER — OAuth 2.0 bearer token",
        "The standard SASL mechanism for OAuth 2.0 access tokens.",
        "RFC 7628",
    ),
    "SCRAM-SHA-256": Entry(
        "SCRAM-SHA-256 — salted challenge and response",
        "Proves knowledge of the password without sending it, and lets the server store only a salted hash.",
        "RFC 7677",
    ),
}

#: What a reply means in reply to a particular command, where that says more than the code
#: alone. Keyed by (verb, code); verb "" is the greeting on connection.
IN_CONTEXT: dict[tuple[str, int], Entry] = {
    ("", 220): Entry(
        "Greeting",
        "The server's greeting: it is ready for EHLO.",
        "RFC 5321 §3.1",
    ),
    ("", 554): Entry(
        "No SMTP service here",
        "The server refuses this connection; the client should send QUIT.",
        "RFC 5321 §3.1",
    ),
    ("EHLO", 250): Entry(
        "Extensions listed",
        "The first line names the server; each following line is one extension keyword with its parameters.",
        "RFC 5321 §4.1.1.1",
    ),
    ("STARTTLS", 220): Entry(
        "Ready to start TLS",
        "Begin the TLS handshake now; after it, send EHLO again.",
        "RFC 3207 §4",
    ),
    ("AUTH", 334): Entry(
        "Server challenge",
        "The text is base64: decode it to see what the server asks, and answer in base64.",
        "RFC 4954 §4",
    ),
    ("AUTH", 235): Entry(
        "Authentication succeeded",
        "The client is authenticated for the rest of the session.",
        "RFC 4954 §6",
    ),
    ("VRFY", 250): Entry(
        "Address verified",
        "The server knows this user and has really checked it (250 after checking only the "
        "syntax is forbidden); the text usually gives the full name and mailbox.",
        "RFC 5321 §3.5.3",
    ),
    ("VRFY", 252): Entry(
        "Won't say",
        "The server will not confirm or deny the address, but would accept mail for it.",
        "RFC 5321 §3.5.3",
    ),
    # RFC 5321 §3.5.1 and §3.5.3: for VRFY, 553 means "user ambiguous", not bad syntax.
    ("VRFY", 553): Entry(
        "User ambiguous",
        "The name matches more than one user; the reply may list the possibilities, one per "
        "line. Ask again with a full address.",
        "RFC 5321 §3.5.1",
    ),
    ("VRFY", 550): Entry(
        "No such user",
        "The server says this address does not exist here.",
        "RFC 5321 §3.5",
    ),
    ("DATA", 354): Entry(
        "Send the message",
        "Send the message now, ending with a line holding only a dot.",
        "RFC 5321 §4.1.1.4",
    ),
    ("QUIT", 221): Entry(
        "Goodbye",
        "The server closes the connection.",
        "RFC 5321 §4.1.1.10",
    ),
}
