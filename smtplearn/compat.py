"""An smtplib-compatible facade over `Client`, so smtplib code runs with only its import changed.

`SMTP` and `SMTP_SSL` take smtplib's arguments, send exactly the lines smtplib sends
(lower-case ``ehlo``, ``mail FROM:<...> size=266``), return the same tuples and raise
smtplib's exceptions (subclasses of them, carrying `transcript`), or the socket and ssl
modules' own errors where smtplib lets those through (``ConnectionRefusedError``,
``ssl.SSLCertVerificationError``, with smtplearn's advice as a note). No smtplearn-only
exception reaches code written for smtplib. ``set_debuglevel(1)`` prints smtplib's debug
format to stderr; `transcript` gives the structured view of the same session.

A server that breaks the reply grammar (RFC 5321 §4.2, §4.2.1: a line without a code,
a code that changes inside a multi-line reply, a last line without CRLF, a line over
8192 bytes) gets what smtplib gives it: ``(-1, text)``, the last code, ``(221, b"bye")``,
``SMTPResponseException(500, "Line too long.")``. A read timeout or a connection closed
mid-reply is ``SMTPServerDisconnected``, as in smtplib.

smtplib's attributes: `sock` (the live socket, TLS after `starttls`, None when closed;
read-only, and for looking: bytes read or written on it pass the client by),
`putcmd`, `send`, `getreply`, `docmd`, `ehlo_resp`, `helo_resp`, `esmtp_features` (parsed
as smtplib parses them), `does_esmtp`, `command_encoding`, `local_hostname`,
`debuglevel`, `timeout`, `source_address`, `default_port`, `user`, `password`.

Deliberate differences:

- ``file`` is absent (``AttributeError`` saying so): replies are read by smtplearn's
  parser, and a second reader on the socket would steal their bytes. Use `getreply`.
- `send` takes whole command lines ending in CRLF (what `putcmd` gives it), each recorded
  as a step when `getreply` reads its reply; half a line or message content raises
  ``ValueError``: send the message with `data` or `sendmail`, which dot-stuff it.
- After a reply smtplib would read but RFC 5321 forbids, the facade returns what smtplib
  returns and then hangs up (nothing after such a reply can be trusted): the next command
  raises ``SMTPServerDisconnected``. A reply longer than 64 KiB (smtplib has no bound) is
  ``SMTPServerDisconnected`` too.
- A command line with a control character or over 512 octets (RFC 5321 §4.1.2,
  §4.5.3.1.4) raises ``ValueError``, as smtplib does for CR or LF; smtplib sends it.
- `getreply` before `connect` raises ``SMTPServerDisconnected`` (smtplib: AttributeError).
- ``timeout=None`` (smtplib: wait for ever) waits a day: a socket takes no infinity.
- `starttls` without a context verifies the certificate (smtplib's does not).
- Passwords (and their base64 forms) are redacted in the debug output, and bare CR or LF
  in a message given as bytes are turned into CRLF (smtplib sends them as they are, which
  is what SMTP smuggling exploits).
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import functools
import hmac
import smtplib
import socket
import ssl
import sys
from collections.abc import Callable, Sequence
from email.message import Message
from typing import Any

from smtplearn import smtplib_reading
from smtplearn.client import Client
from smtplearn.envelope import envelope_of
from smtplearn.protocol import commands
from smtplearn.protocol.commands import Command
from smtplearn.protocol.data import encode_data, message_bytes
from smtplearn.protocol.errors import (
    EndlessAuthError,
    LocalProtocolError,
    RemoteProtocolError,
    SMTPLearnError,
)
from smtplearn.record import Exchange, Step, Transcript
from smtplearn.render.text import smtplib_debug_lines, smtplib_message
from smtplearn.transport import (
    ConnectionClosedError,
    ConnectTimeoutError,
    SMTPTimeoutError,
    TransportError,
)

SMTP_PORT = smtplib.SMTP_PORT
SMTP_SSL_PORT = smtplib.SMTP_SSL_PORT
# smtplib's timeout=None blocks for ever; the client needs a number (a socket takes no infinity).
_WAIT_FOR_EVER = 24 * 3600.0


# smtplib's exceptions, with the session's transcript attached for inspection.
class SMTPException(smtplib.SMTPException, SMTPLearnError):
    transcript: Transcript | None = None


class SMTPNotSupportedError(smtplib.SMTPNotSupportedError, SMTPException):
    pass


class SMTPServerDisconnected(smtplib.SMTPServerDisconnected, SMTPException):
    pass


class SMTPResponseException(smtplib.SMTPResponseException, SMTPException):
    pass


class SMTPSenderRefused(smtplib.SMTPSenderRefused, SMTPResponseException):
    pass


class SMTPRecipientsRefused(smtplib.SMTPRecipientsRefused, SMTPException):
    pass


class SMTPDataError(smtplib.SMTPDataError, SMTPResponseException):
    pass


class SMTPHeloError(smtplib.SMTPHeloError, SMTPResponseException):
    pass


class SMTPAuthenticationError(smtplib.SMTPAuthenticationError, SMTPResponseException):
    pass


class SMTPConnectError(smtplib.SMTPConnectError, SMTPResponseException):
    pass


# smtplib's exception -> the facade's subclass of it (which carries the transcript).
_OURS: dict[type[smtplib.SMTPException], type[SMTPException]] = {
    smtplib.SMTPServerDisconnected: SMTPServerDisconnected,
    smtplib.SMTPResponseException: SMTPResponseException,
}


def _default_local_hostname() -> str:
    # The same choice smtplib makes (RFC 5321 §4.1.4: the FQDN, else an address literal),
    # so that the facade's EHLO line is the one smtplib would send.
    fqdn = socket.getfqdn()
    if "." in fqdn:
        return fqdn
    try:
        address = socket.gethostbyname(socket.gethostname())
    except socket.gaierror:
        address = "127.0.0.1"
    return f"[{address}]"


# The spelling of the running Python's smtplib: 3.13 sends "mail from:", earlier ones "mail FROM:"
# (SMTP keywords are case-insensitive, RFC 5321 §2.4; the facade copies smtplib to the letter).
_FROM, _TO = ("from:", "to:") if sys.version_info >= (3, 13) else ("FROM:", "TO:")

# SMTP verb -> the `Client` method that sends it (the facade's steps carry these names).
_STEP_NAMES = {
    verb: verb.lower()
    for verb in ("EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "VRFY", "EXPN", "HELP", "QUIT")
} | {"AUTH": "login", "AUTH-RESPONSE": "login"}


class SMTP:
    """Drop-in for `smtplib.SMTP`, recording every step in `transcript`."""

    default_port = SMTP_PORT
    ehlo_msg = "ehlo"
    _implicit_tls = False

    def __init__(
        self,
        host: str = "",
        port: int = 0,
        local_hostname: str | None = None,
        timeout: float | None = socket.getdefaulttimeout() or 30.0,
        source_address: tuple[str, int] | None = None,
        *,
        context: ssl.SSLContext | None = None,
    ) -> None:
        self.timeout = timeout
        self.source_address = source_address
        self.local_hostname = local_hostname or _default_local_hostname()
        self.debuglevel = 0
        self.context = context
        self.esmtp_features: dict[str, str] = {}
        self.does_esmtp = False
        self.ehlo_resp: bytes | None = None
        self.helo_resp: bytes | None = None
        self.command_encoding = "ascii"
        self.transcript = Transcript()
        self.user = ""
        self.password = ""
        self._auth_challenge_count = 0
        self._client: Client | None = None
        self._host = host
        if host:
            code, message = self.connect(host, port)
            if code != 220:
                self.close()
                raise SMTPConnectError(code, message)

    def __enter__(self) -> SMTP:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            code, message = self.docmd("QUIT")
            if code != 221:
                raise SMTPResponseException(code, message)
        except smtplib.SMTPServerDisconnected:
            pass
        finally:
            self.close()

    # -- debugging -------------------------------------------------------------------

    def set_debuglevel(self, debuglevel: int) -> None:
        """1: print each line sent and received to stderr as smtplib does; 2: add timestamps."""
        self.debuglevel = debuglevel

    def _print_debug(self, *args: object) -> None:
        if self.debuglevel > 1:
            print(datetime.datetime.now().time(), *args, file=sys.stderr)
        else:
            print(*args, file=sys.stderr)

    def _show_sending(self, sending: Command | bytes) -> None:
        # Printed before the reply is awaited, as smtplib's send() does: an unreadable reply
        # must not hide what was sent.
        if self.debuglevel > 0:
            if isinstance(sending, Command):
                exchange = Exchange(sending.shown, sending.line, sending.redacted, None)
            else:
                exchange = Exchange("", sending, sending, None)
            for line in smtplib_debug_lines(exchange):
                self._print_debug(line)

    def _show_replies(self, step: Step) -> None:
        if self.debuglevel > 0:
            for exchange in step.exchanges:
                for line in smtplib_debug_lines(exchange):
                    if not line.startswith("send: "):  # shown by _show_sending
                        self._print_debug(line)

    # -- connection ------------------------------------------------------------------

    def connect(
        self, host: str = "localhost", port: int = 0, source_address: tuple[str, int] | None = None
    ) -> tuple[int, bytes]:
        if source_address:
            self.source_address = source_address
        if not port and host.count(":") == 1:
            host, _, port_text = host.partition(":")
            try:
                port = int(port_text)
            except ValueError:
                raise OSError("nonnumeric port") from None
        port = port or self.default_port
        if self.timeout is not None and not self.timeout:
            raise ValueError("Non-blocking socket (timeout=0) is not supported")
        self._host = host
        if self.debuglevel > 0:
            self._print_debug("connect: to", (host, port), self.source_address)
        self._client = Client(
            host,
            port,
            timeout=_WAIT_FOR_EVER if self.timeout is None else self.timeout,
            tls_context=self.context,
            implicit_tls=self._implicit_tls,
            local_hostname=self.local_hostname,
            # smtplib lets a program send anything in any order; so does the facade.
            strict=False,
            allow_insecure_auth=True,
            source_address=self.source_address,
        )
        self.transcript = self._client.transcript
        code, message = self._run(self._client.connect)
        if self.debuglevel > 0:
            self._print_debug("connect:", repr(message))
        return code, message

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def quit(self) -> tuple[int, bytes]:
        result = self.docmd("quit")
        self.ehlo_resp = self.helo_resp = None
        self.esmtp_features = {}
        self.does_esmtp = False
        self.close()
        return result

    # -- the commands ----------------------------------------------------------------

    def docmd(self, cmd: str, args: str = "") -> tuple[int, bytes]:
        line = f"{cmd} {args}" if args else cmd
        smtplib_reading.refuse_newlines(line)
        return self._send(self._command(line))

    # -- smtplib's lower layer: putcmd, send, getreply ----------------------------------

    @property
    def sock(self) -> socket.socket | None:
        """The connected socket (an `ssl.SSLSocket` after STARTTLS), None when closed.

        For looking (``getpeercert()``, ``cipher()``, ``getsockname()``); bytes written to it
        or read from it directly would pass the client by and desynchronise its replies.
        """
        return None if self._client is None else self._client.connected_socket

    @property
    def file(self) -> None:
        raise AttributeError(
            "compat.SMTP has no 'file': replies are read by smtplearn's parser, and a second "
            "reader on the socket would steal their bytes; use getreply() to read a reply"
        )

    def putcmd(self, cmd: str, args: str = "") -> None:
        """Send one command line without reading its reply (read it with `getreply`)."""
        line = f"{cmd} {args}" if args else cmd
        smtplib_reading.refuse_newlines(line)
        self.send(f"{line}\r\n")

    def send(self, s: str | bytes) -> None:
        """Send whole command lines, each ending in CRLF, as `putcmd` does (see the module notes)."""
        client = self._require_client()
        wire = s.encode(self.command_encoding) if isinstance(s, str) else s
        if not wire.endswith(b"\r\n"):
            raise ValueError(
                f"compat.SMTP.send() takes whole command lines ending in CRLF, got {s!r}: "
                "send a message with data() or sendmail(), which dot-stuff and record it"
            )
        lines = [_checked(client.raw_command, line.decode("utf-8")) for line in wire[:-2].split(b"\r\n")]
        if self.debuglevel > 0:
            redacted = b"".join(command.redacted for command in lines)
            self._print_debug("send:", repr(redacted.decode("utf-8") if isinstance(s, str) else redacted))
        for command in lines:
            try:
                client.send_only(command)
            except TransportError:
                self.close()
                raise self._attach(SMTPServerDisconnected("Server not connected")) from None

    def getreply(self) -> tuple[int, bytes]:
        """Read one reply: (code, text), or (-1, text) for a line without a code, as smtplib."""
        return self._run(self._require_client().read_step)

    def helo(self, name: str = "") -> tuple[int, bytes]:
        code, message = self.docmd("helo", name or self.local_hostname)
        self.helo_resp = message
        return code, message

    def ehlo(self, name: str = "") -> tuple[int, bytes]:
        self.esmtp_features = {}
        code, message = self.docmd(self.ehlo_msg, name or self.local_hostname)
        # smtplib's reading of a server that hangs up on EHLO (RFC 1869 says some do).
        if code == -1 and not message:
            self.close()
            raise self._attach(SMTPServerDisconnected("Server not connected"))
        self.ehlo_resp = message
        if code != 250:
            return code, message
        self.does_esmtp = True
        self.esmtp_features = smtplib_reading.esmtp_features(message)
        return code, message

    def ehlo_or_helo_if_needed(self) -> None:
        if self.helo_resp is None and self.ehlo_resp is None and not 200 <= self.ehlo()[0] <= 299:
            code, message = self.helo()
            if not 200 <= code <= 299:
                raise self._attach(SMTPHeloError(code, message))

    def has_extn(self, opt: str) -> bool:
        return opt.lower() in self.esmtp_features

    def help(self, args: str = "") -> bytes:
        return self.docmd("help", args)[1]

    def rset(self) -> tuple[int, bytes]:
        self.command_encoding = "ascii"
        return self.docmd("rset")

    def noop(self) -> tuple[int, bytes]:
        return self.docmd("noop")

    def mail(self, sender: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        option_list = ""
        if options and self.does_esmtp:
            if any(x.lower() == "smtputf8" for x in options):
                if not self.has_extn("smtputf8"):
                    raise self._attach(SMTPNotSupportedError("SMTPUTF8 not supported by server"))
                self.command_encoding = "utf-8"
            option_list = " " + " ".join(options)
        return self.docmd("mail", f"{_FROM}{smtplib.quoteaddr(sender)}{option_list}")

    def rcpt(self, recip: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        option_list = " " + " ".join(options) if options and self.does_esmtp else ""
        return self.docmd("rcpt", f"{_TO}{smtplib.quoteaddr(recip)}{option_list}")

    def data(self, msg: str | bytes) -> tuple[int, bytes]:
        code, reply = self.docmd("data")
        if self.debuglevel > 0:
            self._print_debug("data:", (code, reply))
        if code != 354:
            raise self._attach(SMTPDataError(code, reply))
        if isinstance(msg, str):
            msg = msg.encode("ascii")
        client = self._require_client()
        self._show_sending(encode_data(msg))
        code, reply = self._run(client.send_body, msg)
        if self.debuglevel > 0:
            self._print_debug("data:", (code, reply))
        return code, reply

    def verify(self, address: str) -> tuple[int, bytes]:
        return self.docmd("vrfy", _addr_only(address))

    vrfy = verify

    def expn(self, address: str) -> tuple[int, bytes]:
        return self.docmd("expn", _addr_only(address))

    # -- TLS and AUTH ------------------------------------------------------------------

    def starttls(self, *, context: ssl.SSLContext | None = None) -> tuple[int, bytes]:
        """Start TLS. The certificate is verified: pass the server's context for a DebugServer."""
        self.ehlo_or_helo_if_needed()
        if not self.has_extn("starttls"):
            raise self._attach(SMTPNotSupportedError("STARTTLS extension not supported by server."))
        client = self._require_client()
        self._show_sending(commands.starttls())
        code, reply = self._run(client.starttls, context or self.context)
        if code != 220:
            raise self._attach(SMTPResponseException(code, reply))
        self.helo_resp = self.ehlo_resp = None
        self.esmtp_features = {}
        self.does_esmtp = False
        return code, reply

    def login(self, user: str, password: str, *, initial_response_ok: bool = True) -> tuple[int, bytes]:
        self.ehlo_or_helo_if_needed()
        if not self.has_extn("auth"):
            raise self._attach(SMTPNotSupportedError("SMTP AUTH extension not supported by server."))
        advertised = self.esmtp_features["auth"].split()
        usable = [name for name in ("CRAM-MD5", "PLAIN", "LOGIN") if name in advertised]
        if not usable:
            raise self._attach(SMTPException("No suitable authentication method found."))
        self.user, self.password = user, password
        last_error: SMTPAuthenticationError | None = None
        for mechanism in usable:
            answer = getattr(self, "auth_" + mechanism.lower().replace("-", "_"))
            try:
                return self.auth(mechanism, answer, initial_response_ok=initial_response_ok)
            except SMTPAuthenticationError as error:
                last_error = error
        assert last_error is not None
        raise last_error

    # smtplib's three authobjects: each returns the next answer as text (RFC 4954 §4).
    def auth_cram_md5(self, challenge: bytes | None = None) -> str | None:
        if challenge is None:
            return None
        digest = hmac.HMAC(self.password.encode("ascii"), challenge, "md5").hexdigest()
        return f"{self.user} {digest}"

    def auth_plain(self, challenge: bytes | None = None) -> str:
        return f"\0{self.user}\0{self.password}"

    def auth_login(self, challenge: bytes | None = None) -> str:
        return self.user if challenge is None or self._auth_challenge_count < 2 else self.password

    def auth(
        self, mechanism: str, authobject: Callable[..., str | None], *, initial_response_ok: bool = True
    ) -> tuple[int, bytes]:
        """smtplib's AUTH loop, one recorded step per line; answers holding the password are redacted."""
        mechanism = mechanism.upper()
        first = authobject() if initial_response_ok else None
        if first is not None:
            command = _checked(commands.auth, mechanism, _b64(first), secret=self._is_secret(first))
            self._auth_challenge_count = 1
        else:
            command = _checked(commands.auth, mechanism)
            self._auth_challenge_count = 0
        code, reply = self._send(command)
        while code == 334:
            self._auth_challenge_count += 1
            text = authobject(base64.decodebytes(reply)) or ""
            response = _checked(commands.auth_response, _b64(text), secret=self._is_secret(text))
            code, reply = self._send(response)
            if self._auth_challenge_count > smtplib._MAXCHALLENGE:  # type: ignore[attr-defined]
                raise self._attach(
                    SMTPException(f"Server AUTH mechanism infinite loop. Last response: {(code, reply)!r}")
                )
        if code in (235, 503):
            return code, reply
        raise self._attach(SMTPAuthenticationError(code, reply))

    def _is_secret(self, answer: str) -> bool:
        # Without a known password (a caller's own authobject) every answer is treated as secret.
        return not self.password or self.password in answer

    # -- whole messages --------------------------------------------------------------

    def sendmail(
        self,
        from_addr: str,
        to_addrs: str | Sequence[str],
        msg: str | bytes,
        mail_options: Sequence[str] = (),
        rcpt_options: Sequence[str] = (),
    ) -> dict[str, tuple[int, bytes]]:
        """The whole transaction, with smtplib's return value and exceptions."""
        self.ehlo_or_helo_if_needed()
        if isinstance(msg, str):
            msg = smtplib._fix_eols(msg).encode("ascii")  # type: ignore[attr-defined]
        options = list(mail_options)
        if self.does_esmtp and self.has_extn("size"):
            options.insert(0, f"size={len(msg)}")
        code, reply = self.mail(from_addr, options)
        if code != 250:
            self._abandon(code)
            raise self._attach(SMTPSenderRefused(code, reply, from_addr))
        refused: dict[str, tuple[int, bytes]] = {}
        recipients = [to_addrs] if isinstance(to_addrs, str) else list(to_addrs)
        for address in recipients:
            code, reply = self.rcpt(address, rcpt_options)
            if code not in (250, 251):
                refused[address] = (code, reply)
            if code == 421:
                self.close()
                raise self._attach(SMTPRecipientsRefused(refused))
        if len(refused) == len(recipients):
            self._abandon(0)
            raise self._attach(SMTPRecipientsRefused(refused))
        code, reply = self.data(msg)
        if code != 250:
            self._abandon(code)
            raise self._attach(SMTPDataError(code, reply))
        return refused

    def send_message(
        self,
        msg: Message,
        from_addr: str | None = None,
        to_addrs: str | Sequence[str] | None = None,
        mail_options: Sequence[str] = (),
        rcpt_options: Sequence[str] = (),
    ) -> dict[str, tuple[int, bytes]]:
        """Like smtplib: the envelope from the headers, Bcc removed, then `sendmail`."""
        self.ehlo_or_helo_if_needed()
        envelope = envelope_of(msg, from_addr, to_addrs)
        international = envelope.needs_smtputf8
        if international:
            if not self.has_extn("smtputf8"):
                raise self._attach(
                    SMTPNotSupportedError(
                        "One or more source or delivery addresses require internationalized email "
                        "support, but the server does not advertise the required SMTPUTF8 capability"
                    )
                )
            mail_options = (*mail_options, "SMTPUTF8", "BODY=8BITMIME")
        flat = message_bytes(envelope.message, smtputf8=international)
        return self.sendmail(envelope.sender, list(envelope.recipients), flat, mail_options, rcpt_options)

    # -- plumbing ----------------------------------------------------------------------

    def _require_client(self) -> Client:
        if self._client is None:
            raise self._attach(SMTPServerDisconnected("please run connect() first"))
        return self._client

    def _command(self, line: str) -> Command:
        """The command for `line`, refused where smtplib refuses it and where RFC 5321 does."""
        client = self._require_client()
        (line + "\r\n").encode(self.command_encoding)  # smtplib's check: non-ASCII needs SMTPUTF8
        return _checked(client.raw_command, line)

    def _send(self, command: Command) -> tuple[int, bytes]:
        # Name each step as Client's own methods would, so the transcript reads the same.
        name = _STEP_NAMES.get(command.verb, "send_raw")
        client = self._require_client()
        self._show_sending(command)
        return self._run(functools.partial(client.send_command, name=name), command)

    def _run(self, method: Any, *args: Any) -> tuple[int, bytes]:
        """Run one `Client` step; return smtplib's (code, message), or raise what smtplib raises."""
        try:
            step: Step = method(*args)
        except EndlessAuthError as error:
            # smtplib gives up on the same challenge, with its own words (smtplib.SMTP.auth).
            self.close()
            last = (error.reply.code, smtplib_message(error.reply))
            raise self._attach(
                SMTPException(f"Server AUTH mechanism infinite loop. Last response: {last!r}")
            ) from None
        except RemoteProtocolError as error:
            return self._read_as_smtplib(error.received, eof=False)
        except ConnectionClosedError as error:
            cause = error.__cause__
            if isinstance(cause, RemoteProtocolError):
                return self._read_as_smtplib(cause.received, eof=True)
            self.close()
            # An OSError while reading: smtplib names it ("Connection reset by peer").
            detail = f": {cause}" if isinstance(cause, OSError) else ""
            raise self._attach(SMTPServerDisconnected(f"Connection unexpectedly closed{detail}")) from error
        except SMTPTimeoutError as error:
            if isinstance(error, ConnectTimeoutError):  # no socket: smtplib lets its error through
                raise _socket_error(error) from None
            self.close()  # smtplib's getreply turns a read timeout into a disconnection
            raise self._attach(
                SMTPServerDisconnected(f"Connection unexpectedly closed: {error.__cause__}")
            ) from error
        except TransportError as error:
            self.close()
            raise _socket_error(error) from None
        self._show_replies(step)
        return self._tuple(step)

    def _read_as_smtplib(self, received: bytes, *, eof: bool) -> tuple[int, bytes]:
        """What smtplib's ``getreply()`` makes of `received`, the bytes of a reply we refused.

        The client hangs up on a reply that breaks RFC 5321 §4.2 or §4.2.1 (nothing after
        it can be trusted); smtplib reads such lines on. Whatever smtplib would return or
        raise for them, the facade does too; the next command raises SMTPServerDisconnected.
        `eof`: the server closed the connection after `received`.
        """
        self.close()
        reading = smtplib_reading.read_reply(received, eof=eof)
        if self.debuglevel > 0:
            for line in reading.lines:
                self._print_debug("reply:", repr(line))
        if reading.failure is not None:
            raise self._attach(_OURS[type(reading.failure)](*reading.failure.args))
        if self.debuglevel > 0:
            self._print_debug(f"reply: retcode ({reading.code}); Msg: {reading.message!a}")
        return reading.code, reading.message

    @staticmethod
    def _tuple(step: Step) -> tuple[int, bytes]:
        reply = step.reply
        return (-1, b"") if reply is None else (reply.code, smtplib_message(reply))

    def _abandon(self, code: int) -> None:
        # smtplib closes on 421 (the server is going away) and otherwise resets quietly.
        if code == 421:
            self.close()
            return
        with contextlib.suppress(smtplib.SMTPServerDisconnected):
            self.rset()

    def _attach(self, error: SMTPException) -> SMTPException:
        error.transcript = self.transcript
        return error


class SMTP_SSL(SMTP):
    """Drop-in for `smtplib.SMTP_SSL`: TLS from the first byte (RFC 8314), verified by default."""

    default_port = SMTP_SSL_PORT
    _implicit_tls = True

    def __init__(
        self,
        host: str = "",
        port: int = 0,
        local_hostname: str | None = None,
        *,
        timeout: float | None = socket.getdefaulttimeout() or 30.0,
        source_address: tuple[str, int] | None = None,
        context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(host, port, local_hostname, timeout, source_address, context=context)


def _checked(build: Callable[..., Command], *args: Any, **kwargs: Any) -> Command:
    """`build(...)`, with the core's refusal of a line (control character, too long) as ValueError."""
    try:
        return build(*args, **kwargs)
    except LocalProtocolError as error:
        raise ValueError(str(error)) from None


def _socket_error(error: TransportError) -> BaseException:
    """The socket or ssl module's own exception under `error`, as smtplib lets it through.

    smtplearn's explanation (which server, what to do) is kept as a note on it (Python 3.11+).
    """
    cause = error.__cause__
    if not isinstance(cause, OSError):
        return error
    if sys.version_info >= (3, 11):
        cause.add_note(str(error))
    return cause


def _addr_only(address: str) -> str:
    from email.utils import parseaddr

    name, email = parseaddr(address)
    return address if (name, email) == ("", "") else email


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("ascii")).decode("ascii")
