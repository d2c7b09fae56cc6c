"""`DebugServer`: aiosmtpd in a background thread on loopback, with a local CA and a mailbox.

This module starts and stops the server and holds its settings; what a session does is in
`smtplearn.server.protocol` and `smtplearn.server.handler`.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from collections.abc import Mapping, Sequence
from types import TracebackType

from smtplearn.server.auth import (
    DEMO_PASSWORD,
    DEMO_USER,
    SERVER_LOGGERS,
    Authenticator,
    PasswordRedactingFilter,
)
from smtplearn.server.controller import DebugController
from smtplearn.server.directory import DEMO_DIRECTORY, VrfyMode, check_vrfy_mode
from smtplearn.server.faults import Fault, Faults
from smtplearn.server.limits import ConnectionLimits
from smtplearn.server.mailbox import KEEP_BYTES, KEEP_MESSAGES, Mailbox
from smtplearn.server.sessions import KEEP_EVENTS, KEEP_SESSIONS, SessionLogs
from smtplearn.server.settings import (
    check_bool,
    check_count,
    check_hostname,
    check_loopback,
    check_path,
    check_seconds,
    check_text_mapping,
    check_withheld,
)
from smtplearn.server.state import ServerState
from smtplearn.server.tls import LocalCA, TlsMode, check_tls_mode
from smtplearn.server.vulnerable import check_vulnerable, greeting_ident

log = logging.getLogger("smtplearn.server")

DEFAULT_HOSTNAME = "mail.example.test"
DEFAULT_SIZE_LIMIT = 10 * 1024 * 1024


class DebugServer:
    """A debugging mail server for lessons, running in a background thread.

    ``with DebugServer() as server:`` starts it on 127.0.0.1 and a free port and stops it at
    the end of the block; `start` and `stop` do the same by hand. It greets as `hostname`
    (default ``mail.example.test``, a name reserved for testing by RFC 6761), offers
    STARTTLS with a certificate from a local CA that `client_tls_context` trusts, accepts
    AUTH PLAIN, LOGIN and CRAM-MD5 for `users` (default: the demo account ``student`` /
    ``demo-password``) once TLS is on, answers VRFY from `directory`, and keeps every
    accepted message in `mailbox` and every conversation in `sessions`.

    With `auth_required`, mail is refused (530 5.7.0) until the client has logged in, as a
    submission server does.

    `tls` is ``"starttls"`` (default), ``"implicit"`` (TLS from the first byte, as on port
    465) or False; with False, AUTH needs ``auth_require_tls=False``. `size_limit` is
    advertised with SIZE and enforced with 552. With `maildir` set, each message is also
    written to that Maildir before the 250 reply. `faults` are rules from
    `smtplearn.server.faults` for lessons on errors.

    Nobody can lock a class out (`smtplearn.server.limits`): `max_sessions` in all and
    `max_sessions_per_address` from one address (over either: ``421 4.7.0``); an idle session
    gets ``421 4.4.2`` after `idle_timeout`, or `stress_timeout` while 80 % of a cap is used.
    Memory stays bounded: `log_sessions`, `log_events_per_session`, `mailbox_messages` and
    `mailbox_bytes` cap what `sessions` and `mailbox` keep, and each repr says what was dropped;
    `max_receiving_bytes` caps the messages being received at once (over it: ``421 4.3.1``).

    The server is strict by default: it refuses what the lessons teach a client must not
    send (a command ending in a bare LF, ``MAIL FROM: a@b``, a UTF-8 address without
    SMTPUTF8, 8-bit data without BODY=8BITMIME, paths over the RFC 5321 §4.5.3.1 limits...).
    ``lenient=True`` (or ``server.lenient = True`` while it runs) is the one switch that lets
    all of these through, for a lesson that shows what a forgiving server accepts; see
    `lenient`. Every setting is checked here: a bad one raises ValueError or TypeError.

    ``vulnerable=("smuggling",)`` makes this one server DELIBERATELY vulnerable, for the
    attack lesson: the data ends at any "." between line breaks, so a forged second message
    can be smuggled in (`smtplearn.server.vulnerable`). Off by default, fixed while running,
    and announced in the greeting, the session log, `logging` and `repr`.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        hostname: str = DEFAULT_HOSTNAME,
        tls: TlsMode = "starttls",
        users: Mapping[str, str] | None = None,
        auth_require_tls: bool = True,
        auth_required: bool = False,
        directory: Mapping[str, str] | None = None,
        vrfy: VrfyMode = "directory",
        size_limit: int = DEFAULT_SIZE_LIMIT,
        maildir: str | None = None,
        faults: Sequence[Fault] = (),
        allow_remote: bool = False,
        max_sessions: int = ConnectionLimits.max_sessions,
        max_sessions_per_address: int = ConnectionLimits.max_sessions_per_address,
        idle_timeout: float = ConnectionLimits.idle_timeout,
        stress_timeout: float = ConnectionLimits.stress_timeout,
        max_receiving_bytes: int = ConnectionLimits.max_receiving_bytes,
        log_sessions: int = KEEP_SESSIONS,
        log_events_per_session: int = KEEP_EVENTS,
        mailbox_messages: int = KEEP_MESSAGES,
        mailbox_bytes: int = KEEP_BYTES,
        lenient: bool = False,
        vulnerable: Sequence[str] = (),
    ) -> None:
        check_loopback(host, check_bool("allow_remote", allow_remote))
        check_tls_mode(tls)
        check_vrfy_mode(vrfy)
        self._requested = (host, check_count("port", port, minimum=0, maximum=65535))
        self.tls = tls
        self.auth_require_tls = check_bool("auth_require_tls", auth_require_tls)
        self.auth_required = check_bool("auth_required", auth_required)
        limits = ConnectionLimits(
            check_count("max_sessions", max_sessions),
            check_count("max_sessions_per_address", max_sessions_per_address),
            check_seconds("idle_timeout", idle_timeout),
            check_seconds("stress_timeout", stress_timeout),
            check_count("max_receiving_bytes", max_receiving_bytes),
        )
        self._state = ServerState(
            hostname=check_hostname(hostname),
            users=check_text_mapping("users", {DEMO_USER: DEMO_PASSWORD} if users is None else users),
            directory=check_text_mapping("directory", DEMO_DIRECTORY if directory is None else directory),
            vrfy=vrfy,
            size_limit=check_count("size_limit", size_limit),
            maildir=None if maildir is None else check_path("maildir", maildir),
            limits=limits,
            faults=Faults(faults),
            lenient=check_bool("lenient", lenient),
            mailbox=Mailbox(
                check_count("mailbox_messages", mailbox_messages), check_count("mailbox_bytes", mailbox_bytes)
            ),
            sessions=SessionLogs(
                check_count("log_sessions", log_sessions),
                check_count("log_events_per_session", log_events_per_session),
            ),
            vulnerable=check_vulnerable(vulnerable),
        )
        self._controller: DebugController | None = None
        #: A stop asked for from the server's own thread, running on a helper thread.
        self._stopping: threading.Thread | None = None
        self._log_filter = PasswordRedactingFilter(lambda: self._state.users)
        self._ca: LocalCA | None = None
        self._address: tuple[str, int] | None = None

    # -- life cycle -------------------------------------------------------------------

    def start(self) -> DebugServer:
        """Bind, generate the certificates and serve in a background thread; returns self."""
        self._finish_stopping()
        if self._controller is not None:
            raise RuntimeError("this DebugServer is already running")
        host, port = self._requested
        sock = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
        try:
            self._ca = LocalCA(self.hostname) if self.tls else None
            server_tls = self._ca.server_context() if self._ca else None
            controller = DebugController(
                self._state,
                sock,
                implicit_tls=server_tls if self.tls == "implicit" else None,
                check_context=self._ca.client_context() if self._ca else None,
                server_hostname=self.hostname,
                ident=greeting_ident(self.vulnerable),
                tls_context=server_tls if self.tls == "starttls" else None,
                # With implicit TLS every connection is encrypted, so aiosmtpd's own check
                # (which only knows about STARTTLS) must not hold AUTH back.
                auth_require_tls=self.auth_require_tls and self.tls != "implicit",
                # A submission server (RFC 6409 §4.3): MAIL before AUTH gets 530 5.7.0.
                auth_required=self.auth_required,
                authenticator=Authenticator(lambda: self._state.users),
            )
            self._address = sock.getsockname()[:2]
            # Listeners run on the controller's thread: a wait_for there must refuse at once.
            for guard in (self._state.mailbox.server_thread, self._state.sessions.server_thread):
                guard.runs_this_thread = controller.runs_this_thread
            controller.start()
        except BaseException:
            sock.close()
            self._cleanup_ca()
            raise
        self._controller = controller
        for name in SERVER_LOGGERS:
            logging.getLogger(name).addFilter(self._log_filter)
        log.info("DebugServer %s listening on %s:%d", self.hostname, *self.address)
        if self.vulnerable:
            log.warning(
                "DebugServer %s is DELIBERATELY VULNERABLE to %s: for the attack lesson only",
                self.hostname,
                ", ".join(self.vulnerable),
            )
        return self

    def stop(self) -> None:
        """Close every connection, stop the thread and remove the CA file. Safe to repeat.

        Called on the server's own thread (from a mailbox or session-log listener), it only
        starts the stop and returns: waiting there would wait for itself. The next `start`
        or `stop` from any other thread waits until that stop is complete.
        """
        controller, self._controller = self._controller, None
        if controller is not None and controller.runs_this_thread():
            self._stopping = threading.Thread(
                target=self._stop_quietly, args=(controller,), name="DebugServer stop", daemon=True
            )
            self._stopping.start()
            return
        self._finish_stopping()
        self._stop_now(controller)

    def _stop_now(self, controller: DebugController | None) -> None:
        if controller is not None:
            controller.stop()
            for name in SERVER_LOGGERS:
                logging.getLogger(name).removeFilter(self._log_filter)
            log.info("DebugServer %s on %s:%d stopped", self.hostname, *self.address)
        self._cleanup_ca()

    def _stop_quietly(self, controller: DebugController) -> None:
        # On a helper thread an exception would be printed by threading's excepthook, into
        # whichever cell runs; the library never prints, so it is logged instead.
        try:
            self._stop_now(controller)
        except Exception:
            log.exception("DebugServer %s: stopping from a listener failed", self.hostname)

    def _finish_stopping(self) -> None:
        stopping, self._stopping = self._stopping, None
        if stopping is not None and stopping is not threading.current_thread():
            stopping.join()

    def _cleanup_ca(self) -> None:
        if self._ca is not None:
            self._ca.cleanup()
            self._ca = None

    def __enter__(self) -> DebugServer:
        # ``with server.start():`` and ``with server:`` both work.
        return self if self.running else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._controller is not None

    # -- where it is ------------------------------------------------------------------

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) the server listens on; the port is the real one once started."""
        return self._address if self._address is not None else self._requested

    @property
    def host(self) -> str:
        return self.address[0]

    @property
    def port(self) -> int:
        return self.address[1]

    @property
    def hostname(self) -> str:
        """The server's name in its greeting, its EHLO reply and its certificate."""
        return self._state.hostname

    # -- TLS --------------------------------------------------------------------------

    def _running_ca(self) -> LocalCA:
        if self._ca is None:
            reason = "was created with tls=False" if not self.tls else "is not running"
            raise RuntimeError(f"no local CA: this DebugServer {reason}")
        return self._ca

    def client_tls_context(self) -> ssl.SSLContext:
        """A new client context trusting this server's CA, hostname checking on.

        The certificate names 127.0.0.1, ::1, localhost and `hostname`, so connecting to
        `host` verifies as it is.
        """
        return self._running_ca().client_context()

    @property
    def ca_pem_path(self) -> str:
        """The CA certificate as a PEM file, for openssl s_client -CAfile, swaks --tls-ca-path..."""
        return self._running_ca().ca_pem_path

    # -- what it received -------------------------------------------------------------

    @property
    def mailbox(self) -> Mailbox:
        """Every accepted message, oldest first (`Mailbox.wait_for`, `Mailbox.clear`)."""
        return self._state.mailbox

    @property
    def sessions(self) -> SessionLogs:
        """Every connection's dialog as the server saw it, credentials redacted."""
        return self._state.sessions

    # -- settings that may change while it runs ---------------------------------------

    @property
    def faults(self) -> Faults:
        """The fault rules in force; add with `inject`, remove with ``faults.clear()``."""
        return self._state.faults

    def inject(self, fault: Fault) -> Fault:
        """Apply `fault` from the next step on; returns it (to ``faults.remove`` later)."""
        return self._state.faults.add(fault)

    @property
    def vrfy(self) -> VrfyMode:
        """ "directory" answers VRFY from `directory`; "refuse" answers 252 as most servers do."""
        return self._state.vrfy

    @vrfy.setter
    def vrfy(self, mode: VrfyMode) -> None:
        check_vrfy_mode(mode)
        self._state.vrfy = mode

    @property
    def users(self) -> Mapping[str, str]:
        """Accounts AUTH accepts, ``{name: password}``; assign a new mapping to change them."""
        return self._state.users

    @users.setter
    def users(self, users: Mapping[str, str]) -> None:
        self._state.users = check_text_mapping("users", users)

    @property
    def directory(self) -> Mapping[str, str]:
        """VRFY's directory, ``{"local-part or address": "Full Name <address>"}``."""
        return self._state.directory

    @directory.setter
    def directory(self, directory: Mapping[str, str]) -> None:
        self._state.directory = check_text_mapping("directory", directory)

    @property
    def lenient(self) -> bool:
        """Accept what the lessons teach against: bare-LF command lines, MAIL/RCPT without
        brackets or with a space after the colon, paths over the RFC 5321 §4.5.3.1 limits,
        a repeated parameter, a UTF-8 address without SMTPUTF8, 8-bit data without
        BODY=8BITMIME. False (the default) refuses each with the reply a strict server gives;
        control characters and bare CR/LF inside a message are refused either way.
        """
        return self._state.lenient

    @lenient.setter
    def lenient(self, lenient: bool) -> None:
        self._state.lenient = check_bool("lenient", lenient)

    @property
    def limits(self) -> ConnectionLimits:
        """The connection caps and idle timeouts this server was made with."""
        return self._state.limits

    @property
    def idle_timeout(self) -> float:
        return self._state.limits.idle_timeout

    @property
    def vulnerable(self) -> tuple[str, ...]:
        """The deliberate vulnerabilities this server was created with (none by default)."""
        return tuple(sorted(self._state.vulnerable))

    @property
    def withheld_extensions(self) -> frozenset[str]:
        """Extensions the server stops advertising, from the next EHLO on: any of
        ``{"8BITMIME", "SMTPUTF8"}`` (a lesson shows what a client does without them).
        A withheld extension's MAIL parameter is then refused, as by a server without it.
        """
        return self._state.withheld

    @withheld_extensions.setter
    def withheld_extensions(self, names: object) -> None:
        self._state.withheld = check_withheld(names)

    @property
    def size_limit(self) -> int:
        return self._state.size_limit

    @property
    def maildir(self) -> str | None:
        return self._state.maildir

    def __repr__(self) -> str:
        tls = {"starttls": "STARTTLS", "implicit": "implicit TLS", False: "no TLS"}[self.tls]
        state = "running" if self.running else "stopped"
        vulnerable = f", DELIBERATELY VULNERABLE to {', '.join(self.vulnerable)}" if self.vulnerable else ""
        return f"<DebugServer {self.hostname} at {self.host}:{self.port}, {tls}{vulnerable}, {state}>"
