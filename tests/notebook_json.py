"""The nbformat 4.5 skeleton shared by the tests that write fixture notebooks (browser, Binder)."""

from __future__ import annotations

from typing import Any


def notebook(cells: list[dict[str, Any]], id_prefix: str) -> dict[str, Any]:
    """A notebook for the python3 kernel holding `cells`, each given an id (nbformat 4.5 needs them)."""
    for number, cell in enumerate(cells, start=1):
        cell["id"] = f"{id_prefix}-{number}"
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
