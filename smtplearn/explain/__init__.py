"""`explain()`: what a step, reply, code, command, extension or status code means.

The meanings themselves live in the `smtplearn.explain.catalogue` package (data only, one
module per kind); this module looks them up and assembles an `Explanation`. Nothing here ever
reads `Exchange.sent`: explanations are built from redacted views only, so they can be shown
anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from smtplearn.explain import catalogue
from smtplearn.explain.catalogue import Entry
from smtplearn.protocol.grammar import ENHANCED_CODE_EXACT, REPLY_LINE, b64decode_strict
from smtplearn.protocol.replies import Reply
from smtplearn.record import Step

__all__ = ["Explanation", "explain", "explain_reply", "rfc_url"]

_REF = re.compile(r"^RFC (\d+)(?: §([\d.]+))?$")


@dataclass(frozen=True)
class Explanation:
    """What something in SMTP means, in plain words, with where the standard defines it.

    ``str()`` is deterministic plain text (what notebooks store and nbval compares);
    in Jupyter `_repr_html_` shows the same with clickable RFC links. A `Step`'s
    explanation carries the command's, each reply's and each status code's as `parts`.
    """

    title: str
    summary: str
    #: Where it is defined, e.g. ``"RFC 5321 §4.1.1.2"``; ``""`` when unknown.
    rfc: str = ""
    #: A link to `rfc` on rfc-editor.org (or the IETF datatracker for drafts).
    url: str = ""
    parts: tuple[Explanation, ...] = ()
    #: False when the input was not found in the catalogue.
    known: bool = True
    #: The HTML renderer, installed by `smtplearn.render.attach` (render imports this module,
    #: so this module cannot import render).
    html_renderer: ClassVar[Callable[[Explanation], str] | None] = None

    def __str__(self) -> str:
        head = f"{self.title}: {self.summary}"
        if self.rfc:
            head += f" ({self.rfc})"
        lines = [head]
        for part in self.parts:
            lines.extend("  " + line for line in str(part).splitlines())
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        if Explanation.html_renderer is None:
            raise RuntimeError(
                "no HTML renderer attached: import smtplearn, which loads smtplearn.render.attach"
            )
        return Explanation.html_renderer(self)


def rfc_url(ref: str) -> str:
    """The rfc-editor.org link for a reference like ``"RFC 5321 §4.1.1.2"``."""
    match = _REF.match(ref)
    if match is not None:
        number, section = match.groups()
        anchor = f"#section-{section}" if section else ""
        return f"https://www.rfc-editor.org/rfc/rfc{number}.html{anchor}"
    if ref.startswith("draft-"):
        return f"https://datatracker.ietf.org/doc/html/{ref}"
    return ""


def explain(x: object) -> Explanation:
    """Explain a `Step`, a `Reply`, a reply code (``550``, ``"550"``), a reply line
    (``"550 5.1.1 unknown"``), a command (``"MAIL"``, ``"mail from"``, ``"ehlo"``), an EHLO
    keyword (``"PIPELINING"``, ``"size"``), a SASL mechanism (``"CRAM-MD5"``) or an
    enhanced status code (``"5.1.1"``).

    Anything not in the catalogue gives an Explanation that says so (``known=False``);
    only a value of the wrong type raises `TypeError`.
    """
    if isinstance(x, Step):
        return _explain_step(x)
    if isinstance(x, Reply):
        return _explain_reply(x)
    if isinstance(x, bool) or not isinstance(x, (int, str)):
        raise TypeError(
            "explain() takes a Step, a Reply, an int reply code or a str "
            f"(command, extension, reply code or status code), not {type(x).__name__}"
        )
    if isinstance(x, int):
        return _explain_code(x)
    return _explain_text(x)


def _from_entry(
    entry: Entry, *, title: str | None = None, parts: tuple[Explanation, ...] = ()
) -> Explanation:
    return Explanation(
        title=entry.title if title is None else title,
        summary=entry.summary,
        rfc=entry.rfc,
        url=rfc_url(entry.rfc),
        parts=parts,
    )


def _unknown(what: str, hint: str) -> Explanation:
    return Explanation(title=what, summary=f"Unknown: {hint}", known=False)


def _explain_text(text: str) -> Explanation:
    word = text.strip()
    if ENHANCED_CODE_EXACT.match(word):
        return _explain_enhanced(word)
    line = REPLY_LINE.match(word)
    if line is not None:
        code, rest = line.groups()
        if rest is None:
            return _explain_code(int(code))
        return _explain_reply(Reply(int(code), (rest.strip(),)))
    # "mail from:<a@b>", "AUTH=LOGIN PLAIN", "SIZE 14680064": the keyword is the first word.
    key = re.split(r"[\s=:]", word.upper(), maxsplit=1)[0]
    if key in catalogue.COMMANDS:
        return _from_entry(catalogue.COMMANDS[key])
    if key in catalogue.EXTENSIONS:
        return _from_entry(catalogue.EXTENSIONS[key])
    if key in catalogue.SASL_MECHANISMS:
        return _from_entry(catalogue.SASL_MECHANISMS[key])
    if key.startswith("X"):
        return _unknown(
            word,
            "not a standard SMTP command or extension; keywords starting with X are "
            "private to one server (RFC 5321 §4.1.5)",
        )
    return _unknown(word, "not a command, extension, SASL mechanism or status code smtplearn knows")


def _explain_code(code: int, command: str | None = None) -> Explanation:
    if not 200 <= code <= 599:
        return _unknown(
            str(code),
            "SMTP reply codes are three digits from 200 to 599 (RFC 5321 §4.2)",
        )
    context = catalogue.IN_CONTEXT.get((command, code)) if command is not None else None
    entry = catalogue.REPLY_CODES.get(code)
    klass = catalogue.REPLY_CLASSES.get(code // 100)
    category = catalogue.REPLY_CATEGORIES.get(code // 10 % 10)
    if context is not None:
        base = _from_entry(context, title=f"{code} {context.title}")
        if entry is None:
            return base
        # In context first, then what the code means on its own.
        if entry.title == context.title:
            return base
        return Explanation(base.title, f"{context.summary} ({code}: {entry.title}.)", base.rfc, base.url)
    if entry is not None:
        return _from_entry(entry, title=f"{code} {entry.title}")
    if klass is None:
        return _unknown(str(code), "the first digit of an SMTP reply code is 2, 3, 4 or 5")
    # Not a standard code: its digits still say what kind of reply it is (RFC 5321 §4.2.1).
    about = category.summary if category else "not one RFC 5321 defines"
    return Explanation(
        title=f"{code} (not a standard code)",
        summary=f"{klass.summary} Category (second digit): {about}.",
        rfc="RFC 5321 §4.2.1",
        url=rfc_url("RFC 5321 §4.2.1"),
        known=False,
    )


def _explain_enhanced(code: str) -> Explanation:
    match = ENHANCED_CODE_EXACT.match(code)
    if match is None:
        return _unknown(code, "enhanced status codes look like 2.1.0 or 5.7.8 (RFC 3463 §2)")
    klass, subject, detail = (int(g) for g in match.groups())
    klass_entry = catalogue.ENHANCED_CLASSES[klass]
    detail_entry = catalogue.ENHANCED_DETAILS.get(f"{subject}.{detail}")
    subject_entry = catalogue.ENHANCED_SUBJECTS.get(subject)
    about = subject_entry.summary if subject_entry else "an unregistered subject"
    if detail_entry is not None:
        # Detail texts describe problems; with class 2 the same detail reports success.
        summary = (
            f"Success; the status is {about}."
            if klass == 2
            else f"{klass_entry.title.split(' ', 1)[1]}. {detail_entry.summary}"
        )
        return Explanation(
            title=f"{code} {detail_entry.title}",
            summary=summary,
            rfc=detail_entry.rfc,
            url=rfc_url(detail_entry.rfc),
        )
    return Explanation(
        title=f"{code} (detail not in smtplearn's catalogue)",
        summary=f"{klass_entry.summary} The subject is {about}.",
        rfc="RFC 3463 §2",
        url=rfc_url("RFC 3463 §2"),
        known=False,
    )


def explain_reply(reply: Reply, command: str | None = None) -> Explanation:
    """Explain `reply` as the answer to `command` (a verb such as ``"STARTTLS"``; ``""``
    for the greeting): 220 after STARTTLS means "start TLS", not "service ready"."""
    return _explain_reply(reply, command.upper() if command is not None else None)


def _explain_reply(reply: Reply, command: str | None = None) -> Explanation:
    base = _explain_code(reply.code, command)
    summary = base.summary
    if reply.code == 334 and command == "AUTH":
        challenge = _decoded_challenge(reply.text)
        if challenge is not None:
            summary += f' Decoded, the challenge reads "{challenge}".'
    enhanced = reply.enhanced_code
    parts = (_explain_enhanced(enhanced),) if enhanced is not None else ()
    return Explanation(base.title, summary, base.rfc, base.url, parts, base.known)


def _decoded_challenge(text: str) -> str | None:
    """The server's 334 challenge decoded (RFC 4954 §4), if it is printable text.

    Challenges come from the server and hold no secret of the client's, so showing them
    is safe; they teach that base64 hides nothing ("Username:", "<1896.697@host>").
    """
    try:
        decoded = (b64decode_strict(text) or b"").decode("ascii")
    except UnicodeDecodeError:
        return None
    return decoded if decoded and decoded.isprintable() else None


def _explain_step(step: Step) -> Explanation:
    verb = step.command.upper()
    parts: list[Explanation] = []
    if verb:
        entry = catalogue.COMMANDS.get(verb)
        parts.append(
            _from_entry(entry) if entry is not None else _unknown(verb, "not a command smtplearn knows")
        )
    for reply in step.replies:
        parts.append(_explain_reply(reply, verb))
    # Titles come from `shown`, never `sent`: a password must not reach an explanation.
    # A step that sent nothing is the server speaking first: the greeting (RFC 5321 §3.1).
    first = step.shown.splitlines()[0] if step.shown else "the server's greeting"
    final = step.reply
    if final is None:
        summary = "No reply was received."
    elif step.ok:
        summary = f"The server answered {final.code}: accepted."
    elif final.is_positive:
        # e.g. 250 to DATA: a success code that does not answer this command (see `Step.ok`).
        why = " ".join(note for x in step.exchanges for note in x.notes if "RFC" in note)
        summary = f"The server answered {final.code}, which does not mean this step worked. {why}".strip()
    elif final.is_transient:
        summary = f"The server answered {final.code}: a temporary failure; try again later."
    else:
        summary = f"The server answered {final.code}: refused; repeating it will not help."
    return Explanation(title=f"{step.name}: {first}", summary=summary, parts=tuple(parts))
