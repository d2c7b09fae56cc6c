"""What reply codes mean: each code, its first and second digit, and a code in reply to a
particular command."""

from __future__ import annotations

from smtplearn.explain.catalogue.entry import Entry

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
