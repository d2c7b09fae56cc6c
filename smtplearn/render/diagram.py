"""SVG diagrams as plain strings: a client↔server sequence diagram and a state machine.

No Graphviz or other external tool: the layout is computed here, deterministically
(same input, same bytes), with no ids, scripts or timestamps. Hover texts are SVG
``<title>`` elements. Secrets stay redacted: labels come from `smtplearn.render.text`.

Each diagram is an accessible image (``role="img"``): its name is its title
(``aria-label``) and its ``<desc>`` says in words what it draws, arrow by arrow or state by
state, for a screen reader and for anyone who cannot tell the colours apart. Drawings
shrink to fit their container rather than scroll sideways. Show them inline (as HTML, as
`IPython.display.HTML` does): JupyterLab puts an ``image/svg+xml`` output into an ``<img>``
without alternative text, which hides both.
"""

from __future__ import annotations

from smtplearn.render.sequence_diagram import sequence_svg
from smtplearn.render.state_diagram import state_diagram_svg

__all__ = ["sequence_svg", "state_diagram_svg"]
