"""HTML renderings for Jupyter: steps, transcripts, replies and explanations.

Pure functions returning self-contained HTML strings: inline CSS only, no scripts, no
random ids or timestamps (so notebook outputs are stable), every piece of text escaped.
Each line carries its explanation as a ``title`` tooltip, and each step a ``<details>``
block with the full explanation and RFC links. Secrets stay redacted: lines come from
`smtplearn.render.text`, which reads only redacted views.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from smtplearn.explain import Explanation, explain, explain_reply
from smtplearn.explain.catalogue import EXTENSIONS, SASL_MECHANISMS
from smtplearn.protocol.replies import Reply
from smtplearn.record import Step
from smtplearn.render.text import (
    pipeline_groups,
    reply_lines,
    sent_lines,
    wire_events,
)
from smtplearn.render.theme import (
    BORDER,
    LINK,
    MONO_FONT,
    MUTED_TEXT,
    SURFACE,
    TEXT,
    TLS_EDGE,
    Accent,
    tinted,
)

__all__ = ["explanation_html", "reply_html", "step_html", "transcript_html"]

_BOX = (
    f"{MONO_FONT};font-size:12.5px;"
    f"line-height:1.45;border:1px solid {BORDER};border-radius:6px;padding:6px 8px;"
    f"margin:4px 0;background:{SURFACE};color:{TEXT};max-width:100%"
)
# Long lines wrap rather than scroll: no sideways scrolling region to reach by keyboard.
_LINE = (
    "white-space:pre-wrap;overflow-wrap:anywhere;padding:0 6px;margin:1px 0;"
    "border-left:4px solid {border};color:" + TEXT + ";background:"
)
_SENT = _LINE + tinted(Accent.SENT)
# Reply tints by class (RFC 5321 §4.2.1): 2yz/3yz went well, 4yz try later, 5yz failed.
_RECEIVED = {
    2: _LINE + tinted(Accent.GOOD),
    3: _LINE + tinted(Accent.GOOD),
    4: _LINE + tinted(Accent.LATER),
    5: _LINE + tinted(Accent.FAILED),
}
_PLAIN_BORDER, _TLS_BORDER = BORDER, TLS_EDGE
_DETAILS = "margin:2px 0 6px 0;font-family:system-ui,sans-serif;font-size:12.5px"
_SUMMARY = f"cursor:pointer;color:{MUTED_TEXT}"
_LEGEND = f"font-family:system-ui,sans-serif;font-size:11px;color:{MUTED_TEXT};margin-top:4px"
# Underlined: a link must not differ from its sentence by colour alone (WCAG 1.4.1).
_LINK = f"color:{LINK};text-decoration:underline"


def _one_line(explanation: Explanation) -> str:
    return str(explanation).splitlines()[0]


def _line_div(text: str, style: str, tooltip: str) -> str:
    return f'<div style="{escape(style)}" title="{escape(tooltip)}">{escape(text)}</div>'


def _reply_tooltips(reply: Reply, verb: str) -> list[str]:
    """One tooltip per reply line: the reply's meaning, and for EHLO each keyword's."""
    tips = [str(explain_reply(reply, verb))] * len(reply_lines(reply))
    if verb == "EHLO" and reply.code == 250:
        # RFC 5321 §4.1.1.1: after the first line, each line is one extension keyword.
        for i, line in enumerate(reply.lines[1:], start=1):
            keyword = line.split(" ", 1)[0].split("=", 1)[0].upper()
            if keyword in EXTENSIONS and i < len(tips):
                mechanisms = [m for m in line.split()[1:] if m.upper() in SASL_MECHANISMS]
                tips[i] = "\n".join(_one_line(explain(k)) for k in [keyword, *mechanisms])
    return tips


def _lines_html(steps: list[Step], *, reveal: bool) -> list[str]:
    out: list[str] = []
    for event in wire_events(steps):
        step = event.step
        border = _TLS_BORDER if step.tls else _PLAIN_BORDER
        verb = step.command.upper()
        if event.outgoing:
            tip = _one_line(explain(verb)) if verb else step.name
            arrow = " ~> " if step.tls else " -> "
            style = _SENT.format(border=border)
            for line in sent_lines(event.exchange, reveal=reveal):
                out.append(_line_div(arrow + line, style, tip))
            continue
        reply = event.exchange.reply
        if reply is None:
            continue
        arrow = "<~  " if step.tls else "<-  "
        style = _RECEIVED.get(reply.reply_class, _RECEIVED[5]).format(border=border)
        for line, tip in zip(reply_lines(reply), _reply_tooltips(reply, verb), strict=True):
            out.append(_line_div(arrow + line, style, tip))
    return out


def explanation_html(explanation: Explanation) -> str:
    """An explanation as HTML: bold title, summary, RFC link, and its parts as a list."""
    ref = ""
    if explanation.rfc and explanation.url:
        ref = (
            f' (<a href="{escape(explanation.url)}" target="_blank" rel="noopener" style="{_LINK}">'
            f"{escape(explanation.rfc)}</a>)"
        )
    elif explanation.rfc:
        ref = f" ({escape(explanation.rfc)})"
    parts = ""
    if explanation.parts:
        items = "".join(f"<li>{explanation_html(p)}</li>" for p in explanation.parts)
        parts = f'<ul style="margin:2px 0 2px 18px;padding:0">{items}</ul>'
    return (
        f'<div style="font-family:system-ui,sans-serif;font-size:12.5px">'
        f"<strong>{escape(explanation.title)}</strong>: {escape(explanation.summary)}"
        f"{ref}{parts}</div>"
    )


def _details(step: Step, *, opened: bool = False) -> str:
    explanation = explain(step)
    state = " open" if opened else ""
    return (
        f'<details{state} style="{_DETAILS}"><summary style="{_SUMMARY}">'
        f"explain {escape(step.name)}</summary>{explanation_html(explanation)}</details>"
    )


def _group_html(group: list[Step], *, reveal: bool, opened: bool = False) -> str:
    lines = "".join(_lines_html(group, reveal=reveal))
    details = "".join(_details(step, opened=opened) for step in group)
    return f"{lines}{details}"


def step_html(step: Step, *, reveal: bool = False, opened: bool = False) -> str:
    """One step: its lines (hover for meaning) and a collapsible explanation, open if `opened`."""
    body = _group_html([step], reveal=reveal, opened=opened)
    return f'<div class="smtplearn-step" style="{_BOX}">{body}</div>'


def transcript_html(steps: Iterable[Step], *, reveal: bool = False) -> str:
    """A whole session in wire order, pipelined groups kept together, with a legend."""
    body = "".join(_group_html(group, reveal=reveal) for group in pipeline_groups(steps))
    legend = (
        f'<div style="{_LEGEND}">-&gt; sent by the client · &lt;- received from the server · '
        "~&gt; / &lt;~ protected by TLS · hover a line for its meaning</div>"
    )
    return f'<div class="smtplearn-transcript" style="{_BOX}">{body}{legend}</div>'


def reply_html(reply: Reply) -> str:
    """One reply, line by line, with its explanation (and enhanced status code) below."""
    style = _RECEIVED.get(reply.reply_class, _RECEIVED[5]).format(border=_PLAIN_BORDER)
    tip = _one_line(explain(reply))
    lines = "".join(_line_div(line, style, tip) for line in reply_lines(reply))
    return f'<div class="smtplearn-reply" style="{_BOX}">{lines}{explanation_html(explain(reply))}</div>'
