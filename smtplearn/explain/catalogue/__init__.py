"""What SMTP's commands, replies, status codes and extensions mean: data only, no logic.

Every entry is ``(title, plain-language summary, RFC reference)``. A reference is
``"RFC <n>"`` optionally followed by ``" §<section>"``; `smtplearn.explain` turns it into a
link. Sections are quoted only where they are certain; otherwise the RFC alone is named.

One module per kind: `commands`, `reply_codes`, `enhanced_codes`, `extensions`; every table
is also importable from here, as before the split.
"""

from __future__ import annotations

from smtplearn.explain.catalogue.commands import COMMANDS
from smtplearn.explain.catalogue.enhanced_codes import ENHANCED_CLASSES, ENHANCED_DETAILS, ENHANCED_SUBJECTS
from smtplearn.explain.catalogue.entry import Entry
from smtplearn.explain.catalogue.extensions import EXTENSIONS, SASL_MECHANISMS
from smtplearn.explain.catalogue.reply_codes import IN_CONTEXT, REPLY_CATEGORIES, REPLY_CLASSES, REPLY_CODES

__all__ = [
    "COMMANDS",
    "ENHANCED_CLASSES",
    "ENHANCED_DETAILS",
    "ENHANCED_SUBJECTS",
    "EXTENSIONS",
    "IN_CONTEXT",
    "REPLY_CATEGORIES",
    "REPLY_CLASSES",
    "REPLY_CODES",
    "SASL_MECHANISMS",
    "Entry",
]
