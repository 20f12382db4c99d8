"""Cells that a spreadsheet will not run as formulas (CSV injection), and their reading back.

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as
a formula by Excel and LibreOffice when a CSV file is opened. Exports write such a cell
with a leading apostrophe, the spreadsheets' own mark of "text, not a formula" (OWASP,
"CSV Injection"); numbers (``-5``, ``+3,5``) are left as they are. Reading a CSV file
takes one apostrophe off such a cell, so that an exported file reads back to the same
values, and a cell a person typed as ``'=A1`` reads as the text ``=A1``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from maillage.model.numbers import parse_number

__all__ = ["has_quoted_formula", "safe_row", "spreadsheet_safe", "unquoted_cell"]

_FORMULA_START = frozenset("=+-@\t\r")
# A cell that starts with apostrophes then a formula character, anywhere in a CSV text.
_QUOTED = re.compile(r"(?:^|[,;\t|])\"?'+[=+\-@\t\r]", re.MULTILINE)


def spreadsheet_safe(text: str) -> str:
    """``text`` with a leading apostrophe when a spreadsheet would run it as a formula
    (after any apostrophes it already starts with), unless it is a number."""
    start = text.lstrip("'")[:1]
    if start and start in _FORMULA_START and parse_number(text) is None:
        return "'" + text
    return text


def safe_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row of cells for a CSV writer, its texts made :func:`spreadsheet_safe`."""
    return {name: spreadsheet_safe(v) if isinstance(v, str) else v for name, v in row.items()}


def unquoted_cell(text: str) -> str:
    """The inverse of :func:`spreadsheet_safe`: one leading apostrophe taken off a cell
    whose text after its apostrophes starts with a formula character."""
    if text[:1] == "'":
        start = text.lstrip("'")[:1]
        if start and start in _FORMULA_START:
            return text[1:]
    return text


def has_quoted_formula(text: str) -> bool:
    """True when some cell of the CSV ``text`` may carry the apostrophe of
    :func:`spreadsheet_safe` (a quick scan, so that most files skip the cell pass)."""
    # A substring test per character runs at memory speed; the pattern only when one hits.
    return any("'" + c in text for c in _FORMULA_START) and _QUOTED.search(text) is not None
