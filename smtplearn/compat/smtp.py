"""`SMTP`: smtplib's class over `Client` (see `smtplearn.compat` for the contract).

Connection, commands and smtplib's lower layer (``putcmd``/``send``/``getreply``) live
here; the AUTH loop in `compat.auth`, whole transactions in `compat.transaction`, the
translation of outcomes in `compat.outcomes`, implicit TLS in `compat.smtp_ssl`.
"""

from __future__ import annotations

import datetime
import functools
import smtplib
import socket
import ssl
import sys
from collections.abc import Callable, Sequence
from email.message import Message
from typing import Any

from smtplearn import smtplib_reading
from smtplearn.client import Client
from smtplearn.compat import auth, debug, outcomes, spelling, transaction
from smtplearn.compat.exceptions import (
    SMTPConnectError,
    SMTPDataError,
    SMTPException,
    SMTPHeloError,
    SMTPNotSupportedError,
    SMTPResponseException,
    SMTPServerDisconnected,
    checked,
)
from smtplearn.protocol import commands, sasl
from smtplearn.protocol.commands import Command
from smtplearn.protocol.data import encode_data
from smtplearn.record import Step, Transcript
from smtplearn.transport import (
    TransportError,
)

SMTP_PORT = smtplib.SMTP_PORT
SMTP_SSL_PORT = smtplib.SMTP_SSL_PORT
# smtplib's timeout=None blocks for ever; the client needs a number (a socket takes no infinity).
_WAIT_FOR_EVER = 24 * 3600.0


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
        self.local_hostname = local_hostname or spelling.default_local_hostname()
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
            for line in debug.sending_lines(sending):
                self._print_debug(line)

    def _show_replies(self, step: Step) -> None:
        if self.debuglevel > 0:
            for line in debug.reply_lines(step):
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
        self._forget_server()
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
        lines = [checked(client.raw_command, line.decode("utf-8")) for line in wire[:-2].split(b"\r\n")]
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
        return self.docmd("mail", f"{spelling.FROM}{smtplib.quoteaddr(sender)}{option_list}")

    def rcpt(self, recip: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        option_list = " " + " ".join(options) if options and self.does_esmtp else ""
        return self.docmd("rcpt", f"{spelling.TO}{smtplib.quoteaddr(recip)}{option_list}")

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
        return self.docmd("vrfy", spelling.addr_only(address))

    vrfy = verify

    def expn(self, address: str) -> tuple[int, bytes]:
        return self.docmd("expn", spelling.addr_only(address))

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
        # The core forgot what it learnt in clear text (RFC 3207 §4.2, in
        # `ClientConnection.starttls_done`); smtplib's views of it go with it.
        self._forget_server()
        return code, reply

    def login(self, user: str, password: str, *, initial_response_ok: bool = True) -> tuple[int, bytes]:
        return auth.login(self, user, password, initial_response_ok=initial_response_ok)

    # smtplib's three authobjects: each returns the next answer as text (RFC 4954 §4); what
    # PLAIN and CRAM-MD5 answer is the core's (`smtplearn.protocol.sasl`).
    def auth_cram_md5(self, challenge: bytes | None = None) -> str | None:
        if challenge is None:
            return None
        return sasl.cram_md5_response(self.user, self.password, challenge)

    def auth_plain(self, challenge: bytes | None = None) -> str:
        return sasl.plain_message(self.user, self.password)

    def auth_login(self, challenge: bytes | None = None) -> str:
        return self.user if challenge is None or self._auth_challenge_count < 2 else self.password

    def auth(
        self, mechanism: str, authobject: Callable[..., str | None], *, initial_response_ok: bool = True
    ) -> tuple[int, bytes]:
        """smtplib's AUTH loop, one recorded step per line; answers holding the password are redacted."""
        return auth.auth(self, mechanism, authobject, initial_response_ok=initial_response_ok)

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
        return transaction.sendmail(self, from_addr, to_addrs, msg, mail_options, rcpt_options)

    def send_message(
        self,
        msg: Message,
        from_addr: str | None = None,
        to_addrs: str | Sequence[str] | None = None,
        mail_options: Sequence[str] = (),
        rcpt_options: Sequence[str] = (),
    ) -> dict[str, tuple[int, bytes]]:
        """Like smtplib: the envelope from the headers, Bcc removed, then `sendmail`."""
        return transaction.send_message(self, msg, from_addr, to_addrs, mail_options, rcpt_options)

    # -- plumbing ----------------------------------------------------------------------

    def _require_client(self) -> Client:
        if self._client is None:
            raise self._attach(SMTPServerDisconnected("please run connect() first"))
        return self._client

    def _command(self, line: str) -> Command:
        """The command for `line`, refused where smtplib refuses it and where RFC 5321 does."""
        client = self._require_client()
        (line + "\r\n").encode(self.command_encoding)  # smtplib's check: non-ASCII needs SMTPUTF8
        return checked(client.raw_command, line)

    def _send(self, command: Command) -> tuple[int, bytes]:
        # Name each step as Client's own methods would, so the transcript reads the same.
        name = spelling.STEP_NAMES.get(command.verb, "send_raw")
        client = self._require_client()
        self._show_sending(command)
        return self._run(functools.partial(client.send_command, name=name), command)

    def _run(self, method: Callable[..., Step], *args: Any) -> tuple[int, bytes]:
        """Run one `Client` step; return smtplib's (code, message), or raise what smtplib raises."""
        return outcomes.run_step(self, method, *args)

    def _forget_server(self) -> None:
        """Clear smtplib's views of the server's greeting (after QUIT, and after STARTTLS)."""
        self.ehlo_resp = self.helo_resp = None
        self.esmtp_features = {}
        self.does_esmtp = False

    def _attach(self, error: SMTPException) -> SMTPException:
        error.transcript = self.transcript
        return error
