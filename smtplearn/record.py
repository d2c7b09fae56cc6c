"""What happened in a session: `Exchange`, `Step` and `Transcript` records.

Records are plain frozen data and import no renderer. Turning them into text, HTML or SVG is
the job of `smtplearn.render`; saying what they mean is the job of `smtplearn.explain`. Their
``str()``, ``_repr_html_`` and ``explain()`` call the `RecordDisplay` that
`smtplearn.render.attach` installs with `attach_display` (``import smtplearn`` loads it, so it
is in place before any record can be built).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol, overload

from smtplearn.protocol import states
from smtplearn.protocol.errors import SMTPReplyError
from smtplearn.protocol.replies import Reply
from smtplearn.protocol.states import ClientState

if TYPE_CHECKING:
    from smtplearn.explain import Explanation


class RecordDisplay(Protocol):
    """How records show and explain themselves; implemented in `smtplearn.render.attach`."""

    def arrows(self, steps: Iterable[Step], *, reveal: bool) -> str: ...
    def debug_text(self, steps: Iterable[Step], *, reveal: bool) -> str: ...
    def sequence_diagram(self, steps: Iterable[Step], *, reveal: bool, time_scale: float | None) -> str: ...
    def step_html(self, step: Step) -> str: ...
    def transcript_html(self, steps: Iterable[Step]) -> str: ...
    def explain(self, step: Step) -> Explanation: ...


_display: list[RecordDisplay] = []  # at most one: the installed display


def attach_display(display: RecordDisplay) -> None:
    """Install how records render (called once, by `smtplearn.render.attach`)."""
    _display[:] = [display]


def _shown_by() -> RecordDisplay:
    if not _display:
        raise RuntimeError(
            "records have no display attached: import smtplearn (it loads smtplearn.render.attach) "
            "before rendering a record"
        )
    return _display[0]


@dataclass(frozen=True)
class Exchange:
    """One line (or the message body) sent, and the reply it got.

    `shown` is the text a learner reads, with any secret replaced by ``<redacted>``;
    `sent_redacted` is the wire view with the same redaction. `sent` holds the exact
    bytes on the wire and is left out of the repr because it may carry a password.
    For the server's greeting nothing is sent: `shown` is ``""`` and `sent` is ``b""``.
    """

    shown: str
    sent: bytes = field(repr=False)
    sent_redacted: bytes
    reply: Reply | None
    #: The client's own working for this exchange, e.g. a SASL challenge decoded.
    notes: tuple[str, ...] = ()
    #: What the reply answers: a verb, "<greeting>" or "<message>"; "" when not recorded.
    verb: str = ""

    @property
    def ok(self) -> bool:
        """True when the reply means what was sent worked (see `states.succeeded`)."""
        if self.reply is None:
            return False
        if not self.verb:  # a record made by hand, without the verb: judge by the class
            return self.reply.is_positive
        return states.succeeded(self.verb, self.reply.code)

    @property
    def has_secret(self) -> bool:
        """True when the wire bytes differ from what renderings show."""
        return self.sent != self.sent_redacted


@dataclass(frozen=True)
class Step:
    """One SMTP step taken by the client: one public method call.

    Most steps are a single exchange (``MAIL FROM`` → ``250``). Some take several:
    DATA sends the command and then the message; AUTH answers each challenge.
    A negative reply is data here, not an exception: see `ok` and `raise_for_reply`.
    """

    #: The client method that took the step: "connect", "ehlo", "mail", "send_raw"...
    name: str
    #: The SMTP verb in upper case ("EHLO", "MAIL"...); "" for connect.
    command: str
    exchanges: tuple[Exchange, ...]
    state_before: ClientState
    state_after: ClientState
    elapsed: float
    #: Whether the step ran over TLS (after STARTTLS, or on an implicit-TLS port).
    tls: bool
    #: Extra facts a lesson may show: TLS version, cipher, certificate subject... (read-only)
    details: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        # A copy of its own, read-only: steps never share (or let anyone edit) their details.
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))

    @property
    def replies(self) -> tuple[Reply, ...]:
        """Every reply received during the step, in order."""
        return tuple(x.reply for x in self.exchanges if x.reply is not None)

    @property
    def reply(self) -> Reply | None:
        """The final reply: the one that decides the step's outcome."""
        replies = self.replies
        return replies[-1] if replies else None

    @property
    def ok(self) -> bool:
        """True when the final reply says the step worked.

        A 2xx, or a 3xx only where the command asks for more (354 to DATA, 334 to AUTH).
        A DATA step whose DATA did not get 354 is not ok, whatever the code: the message
        was not sent (RFC 5321 §3.3).
        """
        answered = [x for x in self.exchanges if x.reply is not None]
        if not answered or not answered[-1].ok:
            return False
        # A step that ended the session failed, unless ending it was the point (QUIT), even
        # when its last reply looked fine: a 6th AUTH challenge, a TLS handshake that broke.
        return self.state_after is not ClientState.CLOSED or self.command == "QUIT"

    @property
    def shown(self) -> str:
        """The command as a learner reads it (secrets redacted), first exchange first."""
        return "\n".join(x.shown for x in self.exchanges if x.shown)

    def raise_for_reply(self) -> Step:
        """Raise `SMTPReplyError` if the step failed; return the step otherwise."""
        if not self.ok:
            raise SMTPReplyError(self.shown or self.name, self.reply)
        return self

    def __str__(self) -> str:
        """The step as a swaks-style arrow log, secrets redacted (the text form of its HTML)."""
        return _shown_by().arrows([self], reveal=False)

    def explain(self) -> Explanation:
        """What this step did and what its reply means, with RFC sections."""
        return _shown_by().explain(self)

    def _repr_html_(self) -> str:
        return _shown_by().step_html(self)


class Transcript(Sequence[Step]):
    """The steps of one session, oldest first; list-like and renderable.

    ``str(transcript)`` is the swaks-style arrow log; `debug_text()` is smtplib's
    ``set_debuglevel(1)`` format; in Jupyter it renders as HTML.
    """

    def __init__(self, steps: Iterable[Step] = ()) -> None:
        # A tuple: a transcript cannot be edited from outside. Only a `TranscriptRecorder`
        # swaps in the list it appends to, so a client's transcript stays live.
        self._steps: Sequence[Step] = tuple(steps)

    @overload
    def __getitem__(self, index: int) -> Step: ...
    @overload
    def __getitem__(self, index: slice) -> Transcript: ...
    def __getitem__(self, index: int | slice) -> Step | Transcript:
        if isinstance(index, slice):
            return Transcript(self._steps[index])  # a copy: slicing a live list copies it
        return self._steps[index]

    def __len__(self) -> int:
        return len(self._steps)

    def __iter__(self) -> Iterator[Step]:
        return iter(self._steps)

    def __repr__(self) -> str:
        names = ", ".join(step.name for step in self._steps)
        return f"<Transcript of {len(self._steps)} steps: {names}>"

    def __str__(self) -> str:
        return self.arrows()

    def arrows(self, *, reveal: bool = False) -> str:
        """A swaks-style log: ``->`` sent, ``<-`` received, ``~>``/``<~`` under TLS."""
        return _shown_by().arrows(self, reveal=reveal)

    def debug_text(self, *, reveal: bool = False) -> str:
        """The session as smtplib's ``set_debuglevel(1)`` would have printed it."""
        return _shown_by().debug_text(self, reveal=reveal)

    def sequence_diagram(self, *, reveal: bool = False, time_scale: float | None = None) -> str:
        """An SVG client↔server sequence diagram of the session.

        With `time_scale` (pixels per second) waits for the server are drawn to scale, so
        time runs down the page (see `smtplearn.render.diagram.sequence_svg`).
        """
        return _shown_by().sequence_diagram(self, reveal=reveal, time_scale=time_scale)

    def _repr_html_(self) -> str:
        return _shown_by().transcript_html(self)


class TranscriptRecorder:
    """The one writer of a live `Transcript`: the client records, everyone else reads."""

    def __init__(self) -> None:
        self._steps: list[Step] = []
        #: The live, read-only view of what was recorded.
        self.transcript = Transcript()
        self.transcript._steps = self._steps

    def append(self, step: Step) -> None:
        self._steps.append(step)

    def clear(self) -> None:
        self._steps.clear()
