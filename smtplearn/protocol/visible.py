"""Showing text that came off the wire: every character that could act on a display, escaped.

A terminal obeys the control characters in what it prints: ESC starts sequences that set
the window title, clear the screen or (OSC 52) write the clipboard, BEL rings, CR goes back
over the line, and the C1 controls U+0080–U+009F (U+009B is a one-character CSI) are
obeyed by many terminals when they arrive UTF-8 encoded. Unicode format characters reorder
or hide text without controlling anything (bidirectional overrides, zero-width
characters), which is enough to make a line read as something it is not. Whoever shows a
peer's text (a server's console, a transcript in a terminal) passes it through `visible`.
"""

from __future__ import annotations

import re

# C0 controls except TAB (it only moves the cursor right, and folded headers use it),
# DEL, C1 controls; then the format characters that hide or reorder text: soft hyphen,
# Arabic letter mark, Mongolian vowel separator, zero-width and directional marks,
# line and paragraph separators, bidirectional embeddings/overrides/isolates, word
# joiner and invisible operators, the byte-order mark, interlinear annotation marks,
# tag characters; and lone surrogates (undecodable bytes kept by "surrogateescape"),
# which cannot even be encoded for output.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u2069\ufeff\ufff9-\ufffb\U000e0000-\U000e007f\ud800-\udfff]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: str) -> str:
    """`text` with each control or invisible formatting character shown as a Python escape.

    ``visible("\\x1b]0;owned\\x07")`` is ``"\\\\x1b]0;owned\\\\x07"``: the characters a learner can
    read, and none a terminal acts on. TAB is kept; CR and LF are escaped (show a message
    line by line). Backslashes are left alone, so the result is for reading, not for decoding.
    """
    return _INVISIBLE.sub(_escape, text)
