"""The colours of every HTML rendering, taken from JupyterLab's theme.

Each value is a CSS variable of JupyterLab's theme (light, dark or any other) with a
fallback after the comma for plain HTML (nbviewer, an exported page, a browser without the
theme), so the same inline style reads well everywhere: in the dark theme the boxes are
dark and their text light. Text always takes the theme's content colour, which has the
contrast the theme promises against its own backgrounds; the meanings (sent, 2yz, 4yz,
5yz, TLS) are carried by a coloured edge and a light tint of the background, and always
also by text (arrows, reply codes, words), never by colour alone.

Only the HTML modules use this; the SVG diagrams are pictures with their own background.
"""

from __future__ import annotations

__all__ = [
    "BORDER",
    "LINK",
    "MUTED_TEXT",
    "RAISED",
    "SURFACE",
    "TEXT",
    "TLS_EDGE",
    "Accent",
    "tinted",
]

#: Body text: the theme's main content colour.
TEXT = "var(--jp-content-font-color1,#1f2328)"
#: Secondary text (legends, summaries): still AA contrast against `SURFACE` in both themes.
MUTED_TEXT = "var(--jp-content-font-color2,#57606a)"
#: Links, in the theme's link colour (the browser's own blue is unreadable on dark).
LINK = "var(--jp-content-link-color,#0969da)"
#: A box on the page: a card slightly raised from the notebook in the dark theme.
SURFACE = "var(--jp-layout-color1,#ffffff)"
#: A quieter box (notes), one step further from the page.
RAISED = "var(--jp-layout-color2,#f6f8fa)"
#: Box and table edges.
BORDER = "var(--jp-border-color1,#d0d7de)"

# -- the type and table cells of the widgets' panes (one place, so they all look alike) --

#: The monospace font stack: wire text, reply codes, addresses.
MONO_FONT = "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace"
#: The text of a widget's pane.
PANE_TEXT = "font-family:system-ui,sans-serif;font-size:12.5px;color:var(--jp-content-font-color1, #1f2328)"
#: A cell of a widget's result table.
PANE_CELL = (
    "border:1px solid var(--jp-border-color2, #d0d7de);padding:3px 6px;text-align:left;vertical-align:top"
)
#: The edge of a line sent or received under TLS. No theme variable is purple, so this is
#: the one fixed colour: chosen for at least 3:1 against white and against the dark theme's
#: backgrounds (WCAG 1.4.11); TLS is also marked by the ``~>``/``<~`` arrows.
TLS_EDGE = "#aa22ff"


class Accent:
    """The theme's signal colours: for edges and tints, not for text (too faint on one theme)."""

    #: Sent by the client.
    SENT = "var(--jp-brand-color1,#0969da)"
    #: 2yz and 3yz replies: it went well so far (RFC 5321 §4.2.1).
    GOOD = "var(--jp-success-color1,#1a7f37)"
    #: 4yz replies: try again later.
    LATER = "var(--jp-warn-color1,#9a6700)"
    #: 5yz replies and errors: it failed.
    FAILED = "var(--jp-error-color1,#cf222e)"


def tinted(accent: str, percent: int = 12) -> str:
    """A background: `accent` mixed lightly into `SURFACE`, dark on dark themes, light on light.

    A browser without ``color-mix`` ignores the declaration and shows no tint; the text
    colour still comes from the theme, so it stays readable.
    """
    return f"color-mix(in srgb,{accent} {percent}%,{SURFACE})"
