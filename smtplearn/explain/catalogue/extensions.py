"""What EHLO keywords (service extensions) and SASL mechanisms mean."""

from __future__ import annotations

from smtplearn.explain.catalogue.entry import Entry

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
