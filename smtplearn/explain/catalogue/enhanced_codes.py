"""What enhanced status codes (RFC 3463) mean: class, subject and subject.detail."""

from __future__ import annotations

from smtplearn.explain.catalogue.entry import Entry

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
