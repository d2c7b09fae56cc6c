"""What each SMTP command means, keyed by verb."""

from __future__ import annotations

from smtplearn.explain.catalogue.entry import Entry

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
