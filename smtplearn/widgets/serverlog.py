"""`ServerLogView`: what the server saw of a raw socket, live, with the mistakes marked.

Lesson 07's learner types SMTP into a bare socket; this pane shows the DebugServer's session
log for that socket as it happens: each line the server received, how it ended on the wire
(``SessionEvent.ending``), and the reply lines it sent back. It marks a line that ended in a
bare ``\\n`` (RFC 5321 §2.3.8 asks for CRLF) and, when the lab's check cells report what the
learner read (`note_read`), a reply that was never read in its own step: the classic missing
read of the 220 greeting, after which every reply is read one step late.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from html import escape
from typing import Any

import ipywidgets as widgets

from smtplearn.exercises.server_view import Conversation, conversation, greeting
from smtplearn.render.theme import MONO_FONT as _MONO
from smtplearn.render.theme import PANE_TEXT as _TEXT
from smtplearn.server.sessions import SessionEvent, SessionLog, SessionLogs
from smtplearn.widgets._common import add_classes, held_here, log, note_html

_CELL = "border:1px solid var(--jp-border-color2, #d0d7de);padding:2px 6px;text-align:left;vertical-align:top"
_MARKED = "background:var(--jp-error-color3, #fdeeee)"
_ENDINGS = {"\r\n": "CRLF", "\n": "bare LF", "": "none yet"}


@dataclass(frozen=True)
class Row:
    """One line of the pane: what the client sent (empty for the greeting), the reply, a warning."""

    sent: str
    ending: str
    replies: tuple[str, ...]
    warning: str = ""


def reply_code(lines: tuple[str, ...]) -> int | None:
    """The code of a reply (its last line's first three digits), or None."""
    return int(lines[-1][:3]) if lines and lines[-1][:3].isdigit() else None


def session_rows(session: SessionLog, reads: dict[int, object]) -> list[Row]:
    """The pane's rows for `session`; `reads` maps a lab step number to what the learner read."""
    rows = [Row("(connection opened)", "", greeting(session))]
    rows += [_row(talk) for talk in conversation(session)]
    answered = [index for index, row in enumerate(rows) if row.replies]
    for step, read in sorted(reads.items()):
        code = read[0] if isinstance(read, tuple) and read else None
        if not 1 < step <= len(answered) or code is None:
            continue
        own, previous = rows[answered[step - 1]], rows[answered[step - 2]]
        if code != reply_code(own.replies) and code == reply_code(previous.replies):
            # The learner's step `step` read the reply to the step before: one read is missing.
            what = "the greeting" if step == 2 else "this reply"
            rows[answered[step - 2]] = Row(
                previous.sent,
                previous.ending,
                previous.replies,
                f"never read in its own step: step {step} read it instead of its own reply. "
                f"Read {what} in step {step - 1}, so every reply is read by the step it answers.",
            )
            break
    return rows


def _row(talk: Conversation) -> Row:
    warning = ""
    if talk.ending == "\n":
        warning = "ended in a bare \\n: every line must end with \\r\\n (RFC 5321 §2.3.8)"
    elif talk.ending == "":
        warning = "no line ending yet: the server waits for \\r\\n before it reads the line"
    return Row(talk.text, talk.ending, talk.replies, warning)


def _ending(row: Row) -> str:
    # The greeting row has no client line, so no line ending to show.
    return "" if not row.sent or row.sent.startswith("(") else _ENDINGS.get(row.ending, repr(row.ending))


def rows_html(rows: list[Row]) -> str:
    """The rows as an HTML table; marked rows carry the ``smtplearn-marked`` class."""
    body = []
    for number, row in enumerate(rows):
        marked = bool(row.warning)
        style = f"{_CELL};{_MARKED}" if marked else _CELL
        warning = f'<div style="{_TEXT}"><strong>⚠ {escape(row.warning)}</strong></div>' if marked else ""
        body.append(
            f'<tr class="{"smtplearn-marked" if marked else ""}">'
            f'<td style="{style}">{number}</td>'
            f'<td style="{style};{_MONO}">{escape(row.sent)}{warning}</td>'
            f'<td style="{style}">{_ending(row)}</td>'
            f'<td style="{style};{_MONO}">{"<br>".join(escape(line) for line in row.replies)}</td></tr>'
        )
    head = "".join(
        f'<th style="{_CELL}">{name}</th>' for name in ("#", "the server received", "line end", "it answered")
    )
    return (
        f'<table style="border-collapse:collapse;{_TEXT};margin:4px 0"><tr>{head}</tr>{"".join(body)}</table>'
    )


# The pane that follows each server's session log. A learner re-running the cell makes a new
# pane: the old one's listener would stay on the server thread for good, refreshing a pane
# nobody sees (and keeping it alive), one more per run.
_FOLLOWING: weakref.WeakKeyDictionary[SessionLogs, ServerLogView] = weakref.WeakKeyDictionary()


class ServerLogView(widgets.VBox):  # type: ignore[misc]
    """The server's session log for the newest connection, refreshed as it grows.

    Controls: button "Refresh" (``smtplearn-serverlog-refresh``). Output:
    ``smtplearn-serverlog`` (the table; marked rows have the class ``smtplearn-marked``).
    It refreshes itself on every event of sessions opened after it was made (a session-log
    listener), on "Refresh", and whenever a check cell calls `note_read`. One pane follows a
    server at a time: making another (re-running the cell) stops the old one, as `close` does.
    """

    def __init__(self, server: Any, **kwargs: Any) -> None:
        self.server = server
        # None until the pane follows a log: ipywidgets closes even a pane that failed here.
        self._following: SessionLogs | None = None
        if held_here(server, "sessions") is None:
            raise ValueError(
                "ServerLogView needs a DebugServer running in this kernel (it reads its session log)"
            )
        self.reads: dict[int, object] = {}
        self.refresh_button = add_classes(
            widgets.Button(description="Refresh", icon="refresh"), "smtplearn-serverlog-refresh"
        )
        self.log_html = add_classes(widgets.HTML(), "smtplearn-serverlog")
        self.refresh_button.on_click(lambda _b: self.refresh())
        super().__init__(children=[self.refresh_button, self.log_html], **kwargs)
        existing = list(server.sessions)
        #: Sessions up to this number were there before the pane: it follows newer ones.
        self._after = existing[-1].number if existing else 0
        #: The session `reads` belong to (a new connection starts them afresh).
        self._reads_session: int | None = None
        previous = _FOLLOWING.get(server.sessions)
        if previous is not None:
            previous.stop_following()
        _FOLLOWING[server.sessions] = self
        self._following = server.sessions
        self._following.add_listener(self._on_event)
        self.log_html.value = note_html(
            "No connection yet: open your socket (step 1) and this pane follows it."
        )

    @property
    def session(self) -> SessionLog | None:
        """The session shown: the newest one opened since the pane was made."""
        sessions = list(self.server.sessions)
        return sessions[-1] if sessions and sessions[-1].number > self._after else None

    def note_read(self, step: int, reply: object) -> None:
        """Record what the learner's `read_reply` returned at lab step `step`, and refresh."""
        session = self.session
        number = None if session is None else session.number
        if number != self._reads_session:
            self.reads, self._reads_session = {}, number
        self.reads[step] = reply
        self.refresh()

    def stop_following(self) -> None:
        """Stop refreshing on the server's events (the pane keeps what it shows)."""
        sessions, self._following = self._following, None
        if sessions is None:
            return
        sessions.remove_listener(self._on_event)
        if _FOLLOWING.get(sessions) is self:
            del _FOLLOWING[sessions]

    def close(self) -> None:
        self.stop_following()
        super().close()

    def _on_event(self, session: SessionLog, event: SessionEvent) -> None:
        # Runs on the server thread: only re-render; never let an error reach the server.
        try:
            if session is self.session:
                self.refresh()
        except Exception:  # a pane failing must not break the server's session
            log.exception("the server log pane could not refresh")

    def refresh(self) -> None:
        session = self.session
        if session is None:
            return
        reads = self.reads if session.number == self._reads_session else {}
        rows = session_rows(session, reads)
        self.log_html.value = f'<div style="{_TEXT}">Session #{session.number}</div>' + rows_html(rows)

    def __repr__(self) -> str:
        session = self.session
        shown = "no session yet" if session is None else f"session #{session.number}"
        return f"ServerLogView: {shown}"
