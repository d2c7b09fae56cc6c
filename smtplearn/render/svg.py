"""What every SVG diagram here shares: its font, and how it fits the notebook.

The diagrams themselves are `smtplearn.render.sequence_diagram` and
`smtplearn.render.state_diagram` (see `smtplearn.render.diagram` for their conventions).
"""

FONT = "font-family:ui-monospace,Menlo,Consolas,monospace"
# Wider than the notebook, a drawing scales down: a region scrolling sideways would need a
# keyboard stop of its own (WCAG 2.1.1) and breaks reflow (WCAG 1.4.10).
FIT = ' style="max-width:100%;height:auto"'
