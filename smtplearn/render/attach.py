"""Attaches display to records: the one module that imports both records and their renderers.

Records (`smtplearn.record`) and explanations (`smtplearn.explain`) are data and import no
renderer, because the renderers import them. ``import smtplearn`` loads this module, so a
`Step`'s ``str()``, ``_repr_html_`` and ``explain()`` work from the first record on.
"""

from __future__ import annotations

from collections.abc import Iterable

from smtplearn import record
from smtplearn.explain import Explanation, explain
from smtplearn.record import Step
from smtplearn.render.diagram import sequence_svg
from smtplearn.render.html import explanation_html, step_html, transcript_html
from smtplearn.render.text import arrows, smtplib_debug


class _Renderers:
    """`record.RecordDisplay` built from the pure renderer functions."""

    def arrows(self, steps: Iterable[Step], *, reveal: bool) -> str:
        return arrows(steps, reveal=reveal)

    def debug_text(self, steps: Iterable[Step], *, reveal: bool) -> str:
        return smtplib_debug(steps, reveal=reveal)

    def sequence_diagram(self, steps: Iterable[Step], *, reveal: bool, time_scale: float | None) -> str:
        return sequence_svg(steps, reveal=reveal, time_scale=time_scale)

    def step_html(self, step: Step) -> str:
        return step_html(step)

    def transcript_html(self, steps: Iterable[Step]) -> str:
        return transcript_html(steps)

    def explain(self, step: Step) -> Explanation:
        return explain(step)


record.attach_display(_Renderers())
Explanation.html_renderer = explanation_html
