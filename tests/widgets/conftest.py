"""Fixtures for the headless widget tests: a real DebugServer and a way to read what a widget shows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ipywidgets as widgets
import pytest

from smtplearn.server import DebugServer


@pytest.fixture
def server() -> Iterator[DebugServer]:
    with DebugServer() as running:
        yield running


def shown_texts(widget: Any) -> list[str]:
    """Every text a learner can see in `widget` and its descendants.

    HTML and labels, button and field descriptions, text-field values, and `Output`
    contents. A `Password` field's own value is left out (it is the input, shown as dots),
    but its repr is kept: that is what a learner sees on evaluating the field in a cell.
    """
    texts: list[str] = []
    if isinstance(widget, widgets.Password):
        return [widget.description, repr(widget)]
    for name in ("description", "value", "placeholder", "tooltip"):
        value = getattr(widget, name, None)
        if isinstance(value, str):
            texts.append(value)
    if isinstance(widget, widgets.Output):
        for output in widget.outputs:
            texts.append(repr(output))
    for child in getattr(widget, "children", ()):
        texts.extend(shown_texts(child))
    texts.append(repr(widget))
    return texts


def shown_text(widget: Any) -> str:
    return "\n".join(shown_texts(widget))
